// Undo/redo. Every edit is a list of primitive operations, each stored with
// its inverse, so undo replays inverses backwards and redo replays the
// operations forwards: cost is proportional to the edit, not to the flow.

export class History extends EventTarget {
  constructor() {
    super();
    this.entries = [];
    this.cursor = 0; // entries[0..cursor) are applied
    this.savedAt = 0; // cursor position that matches the deployed flows
  }

  /** Record an applied edit: `steps` is a list of `{op, inverse}`. */
  push(label, steps) {
    if (!steps.length) return;
    this.entries.length = this.cursor;
    if (this.savedAt > this.cursor) this.savedAt = -1; // the saved state can no longer be reached
    this.entries.push({ label, steps });
    this.cursor = this.entries.length;
    this.changed();
  }

  canUndo() {
    return this.cursor > 0;
  }

  canRedo() {
    return this.cursor < this.entries.length;
  }

  /** The entry to undo, moving the cursor back (the caller applies it). */
  takeUndo() {
    if (!this.canUndo()) return null;
    this.cursor -= 1;
    this.changed();
    return this.entries[this.cursor];
  }

  takeRedo() {
    if (!this.canRedo()) return null;
    const e = this.entries[this.cursor];
    this.cursor += 1;
    this.changed();
    return e;
  }

  /** The current state is what the runtime runs. */
  markSaved() {
    this.savedAt = this.cursor;
    this.changed();
  }

  /** Forget everything (a fresh load from the runtime). */
  reset() {
    this.entries = [];
    this.cursor = 0;
    this.savedAt = 0;
    this.changed();
  }

  isDirty() {
    return this.cursor !== this.savedAt;
  }

  changed() {
    this.dispatchEvent(new Event("change"));
  }
}

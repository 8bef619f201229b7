// Copy and paste through the browser's clipboard events, so that Ctrl+V pastes
// what the system clipboard holds — Node-RED's "Export → Clipboard" JSON, or
// flowgate's own copy from another tab or window — and Ctrl+C puts the copied
// nodes there as Node-RED's export JSON. Where a browser fires no paste event
// (no focus, no permission) the editor's own last copy is pasted.

import { forCanvas } from "./keyboard.js";

export class PasteHandler {
  /** `onPasted(ids)` gets the canvas nodes a paste added. */
  constructor({ canvas, clipboard, onPasted }) {
    this.canvas = canvas;
    this.clipboard = clipboard;
    this.onPasted = onPasted;
    this.pointer = null;
    this.pending = null;
    const host = canvas.host;
    host.addEventListener("pointermove", (e) => {
      this.pointer = { x: e.clientX, y: e.clientY };
    });
    host.addEventListener("pointerleave", () => {
      this.pointer = null;
    });
    document.addEventListener("copy", (e) => this.copyEvent(e));
    document.addEventListener("cut", (e) => this.copyEvent(e));
    document.addEventListener("paste", (e) => {
      if (!forCanvas(e)) return;
      e.preventDefault();
      this.paste(e.clipboardData ? e.clipboardData.getData("text/plain") : "");
    });
  }

  /**
   * Ctrl+V was pressed on the canvas: the paste event follows within the
   * same task when the browser fires one; otherwise paste the editor's own
   * copy just after.
   */
  request() {
    clearTimeout(this.pending);
    this.pending = setTimeout(() => this.paste(""), 0);
  }

  /** Put the nodes just copied with Ctrl+C/X on the system clipboard. */
  copyEvent(e) {
    const text = this.clipboard.takeFresh();
    if (!text || !forCanvas(e) || !e.clipboardData) return;
    // Text the user selected in a panel is theirs to copy.
    const s = window.getSelection();
    if (s && !s.isCollapsed) return;
    e.clipboardData.setData("text/plain", text);
    e.preventDefault();
  }

  paste(text) {
    clearTimeout(this.pending);
    this.pending = null;
    const ids = this.clipboard.paste(this.point(), text);
    if (ids.length) this.onPasted(ids);
  }

  /** Where pasted nodes go: at the mouse when it is over the canvas, else near the top left of the visible area. */
  point() {
    if (this.pointer) return this.canvas.toCanvas(this.pointer.x, this.pointer.y);
    const r = this.canvas.host.getBoundingClientRect();
    return this.canvas.toCanvas(r.left + 100, r.top + 60);
  }
}

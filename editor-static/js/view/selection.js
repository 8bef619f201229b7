// What the user has selected on the canvas: a set of nodes, or one wire.

export class Selection extends EventTarget {
  constructor() {
    super();
    this.nodes = new Set();
    this.wire = null; // {source, port, target}
  }

  has(id) {
    return this.nodes.has(id);
  }

  ids() {
    return [...this.nodes];
  }

  /** Select exactly `ids` (and no wire). */
  set(ids) {
    this.nodes = new Set(ids);
    this.wire = null;
    this.changed();
  }

  toggle(id) {
    if (this.nodes.has(id)) this.nodes.delete(id);
    else this.nodes.add(id);
    this.wire = null;
    this.changed();
  }

  selectWire(wire) {
    this.nodes.clear();
    this.wire = wire;
    this.changed();
  }

  clear() {
    if (!this.nodes.size && !this.wire) return;
    this.nodes.clear();
    this.wire = null;
    this.changed();
  }

  /** Drop ids that no longer exist. */
  prune(exists) {
    let dirty = false;
    for (const id of this.nodes) {
      if (!exists(id)) {
        this.nodes.delete(id);
        dirty = true;
      }
    }
    if (this.wire && !(exists(this.wire.source) && exists(this.wire.target))) {
      this.wire = null;
      dirty = true;
    }
    if (dirty) this.changed();
  }

  changed() {
    this.dispatchEvent(new Event("change"));
  }
}

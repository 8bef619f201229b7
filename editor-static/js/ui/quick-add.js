// Node-RED's quick-add (its "type search"): Ctrl/Cmd-click on empty canvas
// opens a filter box at the point; Enter places the chosen type there, wired
// from the one selected node's first output when there is one, as one
// undoable edit.

import { el } from "../model/util.js";
import { isCanvasNode, padWires } from "../model/model.js";
import { iconFor, isLight } from "../view/icons.js";
import { wireStart, NODE_WIDTH, PORT_SIZE } from "../view/geometry.js";

/**
 * The palette types matching `filter`, Node-RED's order: each type is
 * searched as "type|label" (lower case), types where the filter occurs
 * earlier come first, then by label.
 */
export function filterTypes(types, list, filter) {
  const q = filter.trim().toLowerCase();
  const entries = list.map((t) => {
    const label = types.paletteLabel(t);
    return { t, label, at: `${t.type}|${label}`.toLowerCase().indexOf(q) };
  });
  return entries
    .filter((e) => e.at >= 0)
    .sort((a, b) => (q ? a.at - b.at : 0) || a.label.localeCompare(b.label))
    .map((e) => e.t);
}

export class QuickAdd {
  /** `onAdded(id)` gets the new node. */
  constructor({ model, canvas, selection, onAdded }) {
    this.model = model;
    this.canvas = canvas;
    this.selection = selection;
    this.onAdded = onAdded;
    this.box = null;
  }

  /** Open at a client (mouse) position over the canvas. */
  open(clientX, clientY) {
    this.close();
    const model = this.model;
    if (!model.activeTab) return;
    this.at = this.canvas.toCanvas(clientX, clientY);
    const ids = this.selection.ids();
    const only = ids.length === 1 ? model.get(ids[0]) : null;
    this.source = only && isCanvasNode(only) && model.outputs(only) > 0 ? only : null;
    // Wiring from a node needs a type with an input, as Node-RED filters.
    this.types = model.types.categories().flatMap((c) => c.types).filter((t) => !this.source || t.inputs > 0);
    this.input = el("input", { type: "text", id: "quick-add-input", placeholder: "add a node", autocomplete: "off", spellcheck: "false" });
    this.list = el("ol", { class: "type-search-results", id: "quick-add-results" });
    this.box = el("div", { class: "type-search", id: "quick-add", role: "dialog", "aria-label": "Add a node", style: `left:${Math.max(0, clientX - 50)}px;top:${clientY + 20}px` }, this.input, this.list);
    this.input.addEventListener("input", () => this.update());
    this.input.addEventListener("keydown", (e) => this.key(e));
    this.outside = (e) => {
      if (this.box && !this.box.contains(e.target)) this.close();
    };
    document.addEventListener("pointerdown", this.outside, true);
    document.body.append(this.box);
    this.canvas.showGhost(this.at);
    // The wire to come, from the source's first output to the ghost's input.
    const geo = this.source && this.canvas.geometry(this.source.id);
    if (geo) this.canvas.showDragWire(wireStart(geo.box, 0, geo.outputs), { x: this.at.x - NODE_WIDTH / 2 - PORT_SIZE / 2, y: this.at.y });
    this.update();
    this.input.focus();
  }

  close() {
    if (!this.box) return;
    document.removeEventListener("pointerdown", this.outside, true);
    this.box.remove();
    this.box = null;
    this.canvas.hideGhost();
    this.canvas.hideDragWire();
    this.canvas.host.focus({ preventScroll: true });
  }

  update() {
    const types = this.model.types;
    this.shown = filterTypes(types, this.types, this.input.value);
    this.list.replaceChildren(...this.shown.map((t, i) => {
      const icon = el("span", { class: "icon" });
      icon.innerHTML = `<svg viewBox="0 0 16 16" fill="none" stroke="${isLight(t.color) ? "#777" : "#fff"}" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round">${iconFor(t.type, t)}</svg>`;
      const li = el("li", { class: "type-search-result", dataset: { type: t.type } },
        el("span", { class: "type-search-node", style: `background:${t.color}` }, icon),
        el("span", { class: "type-search-label", text: types.paletteLabel(t) }));
      li.addEventListener("pointerenter", () => this.highlight(i));
      li.addEventListener("click", () => this.place(t.type));
      return li;
    }));
    this.highlight(this.shown.length ? 0 : -1);
  }

  highlight(i) {
    this.current = i;
    [...this.list.children].forEach((li, j) => li.classList.toggle("selected", j === i));
    const li = this.list.children[i];
    if (li) li.scrollIntoView({ block: "nearest" });
  }

  key(e) {
    const n = this.shown.length;
    if (e.key === "Escape") this.close();
    else if (e.key === "ArrowDown" && n) this.highlight(Math.min(n - 1, this.current + 1));
    else if (e.key === "ArrowUp" && n) this.highlight(Math.max(0, this.current - 1));
    else if (e.key === "Enter" && this.current >= 0) this.place(this.shown[this.current].type);
    else return;
    e.preventDefault();
  }

  /** Add the node at the point (and its wire) as one edit, and select it. */
  place(type) {
    const model = this.model;
    const source = this.source;
    const node = model.types.instantiate(type, model.activeTab);
    node.x = Math.round(this.at.x);
    node.y = Math.round(this.at.y);
    this.close();
    model.edit(`add ${type}`, (tx) => {
      tx.add(node);
      if (source && model.get(source.id)) {
        const wires = padWires(source.wires, model.outputs(source));
        wires[0] = [...wires[0], node.id];
        tx.set(source.id, { wires });
      }
    });
    this.onAdded(node.id);
  }
}

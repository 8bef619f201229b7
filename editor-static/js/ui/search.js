// Node-RED's search (Ctrl/Cmd-F): every node of every flow, subflow template
// and config node, found by its label, type, id or any string or number in
// its properties; pick a result to go to it.

import { el } from "../model/util.js";
import { isCanvasNode } from "../model/model.js";

/** Where a node is drawn or kept, not what it says: never searched. */
const LAYOUT = new Set(["x", "y", "z", "g", "w", "h", "wires", "d", "credentials"]);
const MAX_RESULTS = 100;

/**
 * Where `query` (lower case) first occurs in a property value: strings and
 * numbers anywhere inside it, as Node-RED indexes them; Infinity when nowhere.
 */
function matchIn(value, query) {
  if (typeof value === "string" || typeof value === "number") {
    const at = String(value).toLowerCase().indexOf(query);
    return at < 0 ? Infinity : at;
  }
  let best = Infinity;
  if (value && typeof value === "object") {
    for (const v of Array.isArray(value) ? value : Object.values(value)) best = Math.min(best, matchIn(v, query));
  }
  return best;
}

/**
 * The nodes matching `query`, best first: Node-RED ranks a node by how early
 * in one of its values the query occurs (a value starting with it first).
 */
export function searchNodes(model, query) {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const found = [];
  for (const n of model.nodes.values()) {
    const label = model.label(n);
    const type = model.types.get(n.type);
    let rank = Math.min(matchIn(label, q), type ? matchIn(model.types.paletteLabel(type), q) : Infinity);
    for (const [k, v] of Object.entries(n)) {
      if (LAYOUT.has(k) || k.startsWith("_") || (n.type === "group" && k === "nodes")) continue;
      rank = Math.min(rank, matchIn(v, q));
    }
    if (rank < Infinity) found.push({ node: n, label, rank });
  }
  return found.sort((a, b) => a.rank - b.rank || a.label.localeCompare(b.label));
}

/** Where a node lives, as the result list says it. */
function placeOf(model, n) {
  if (n.type === "tab") return "flow";
  if (n.type === "subflow") return "subflow";
  const parent = n.z && model.get(n.z);
  if (parent) return parent.type === "subflow" ? `subflow: ${parent.name || parent.id}` : model.label(parent);
  return isCanvasNode(n) ? "" : "config node";
}

export class Search {
  /** `onPick(id)` goes to a node (its tab, selected, in view). */
  constructor({ model, onPick }) {
    this.model = model;
    this.onPick = onPick;
    this.box = null;
  }

  isOpen() {
    return !!this.box;
  }

  open() {
    if (this.box) {
      this.input.select();
      return;
    }
    this.input = el("input", { type: "search", id: "search-input", placeholder: "search nodes by name, type, id or property", autocomplete: "off", spellcheck: "false" });
    this.list = el("ol", { class: "search-results", id: "search-results" });
    this.box = el("div", { class: "search-box", id: "search", role: "dialog", "aria-label": "Search nodes" }, this.input, this.list);
    this.results = [];
    this.current = -1;
    this.input.addEventListener("input", () => this.update());
    this.input.addEventListener("keydown", (e) => this.key(e));
    this.outside = (e) => {
      if (this.box && !this.box.contains(e.target)) this.close();
    };
    document.addEventListener("pointerdown", this.outside, true);
    document.getElementById("canvas-area").append(this.box);
    this.input.focus();
  }

  close() {
    if (!this.box) return;
    document.removeEventListener("pointerdown", this.outside, true);
    this.box.remove();
    this.box = null;
    document.getElementById("chart").focus({ preventScroll: true });
  }

  update() {
    const all = searchNodes(this.model, this.input.value);
    this.results = all.slice(0, MAX_RESULTS);
    const items = this.results.map(({ node, label }, i) => {
      const li = el("li", { class: "search-result", dataset: { id: node.id } },
        el("span", { class: "search-swatch", style: `background:${this.model.types.color(node)}` }),
        el("span", { class: "search-label", text: label }),
        el("span", { class: "search-type", text: node.type }),
        el("span", { class: "search-place", text: placeOf(this.model, node) }));
      li.addEventListener("pointerenter", () => this.highlight(i));
      li.addEventListener("click", () => this.pick(i));
      return li;
    });
    if (this.input.value.trim() && !items.length) items.push(el("li", { class: "search-empty", text: "No matches" }));
    else if (all.length > this.results.length) items.push(el("li", { class: "search-empty", text: `${all.length - this.results.length} more…` }));
    this.list.replaceChildren(...items);
    this.highlight(this.results.length ? 0 : -1);
  }

  highlight(i) {
    this.current = i;
    [...this.list.querySelectorAll(".search-result")].forEach((li, j) => li.classList.toggle("selected", j === i));
    const li = this.list.querySelector(".search-result.selected");
    if (li) li.scrollIntoView({ block: "nearest" });
  }

  key(e) {
    const n = this.results.length;
    if (e.key === "Escape") this.close();
    else if (e.key === "ArrowDown" && n) this.highlight((this.current + 1) % n);
    else if (e.key === "ArrowUp" && n) this.highlight((this.current - 1 + n) % n);
    else if (e.key === "Enter" && this.current >= 0) this.pick(this.current);
    else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "f") this.input.select();
    else return;
    e.preventDefault();
  }

  pick(i) {
    const r = this.results[i];
    if (!r) return;
    this.close();
    this.onPick(r.node.id);
  }
}

// The palette: node types from `GET /nodes` grouped by category, filterable;
// drag one onto the canvas to create a node with the type's defaults.

import { el } from "../model/util.js";
import { iconFor, isLight } from "./icons.js";

export class Palette {
  constructor({ host, filter, model, canvas, onCreate }) {
    this.host = host;
    this.filter = filter;
    this.model = model;
    this.canvas = canvas;
    this.onCreate = onCreate;
    this.collapsed = new Set();
    filter.addEventListener("input", () => this.render());
  }

  render() {
    const q = this.filter.value.trim().toLowerCase();
    const types = this.model.types;
    const sections = types.categories().map(({ category, types: list }) => {
      const shown = list.filter((t) => !q || types.paletteLabel(t).toLowerCase().includes(q) || t.type.includes(q));
      if (!shown.length) return null;
      const section = el("div", { class: `palette-category${this.collapsed.has(category) && !q ? " collapsed" : ""}`, dataset: { category } });
      const title = el("h3", { text: category });
      title.addEventListener("click", () => {
        if (this.collapsed.has(category)) this.collapsed.delete(category);
        else this.collapsed.add(category);
        section.classList.toggle("collapsed");
      });
      section.append(title, el("div", { class: "palette-items" }, shown.map((t) => this.item(t))));
      return section;
    });
    this.host.replaceChildren(...sections.filter(Boolean));
    if (!this.host.children.length) this.host.append(el("div", { class: "empty", text: "No node types" }));
  }

  item(t) {
    const types = this.model.types;
    const icon = el("span", { class: "icon" });
    icon.innerHTML = `<svg viewBox="0 0 16 16" fill="none" stroke="${isLight(t.color) ? "#777" : "#fff"}" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round">${iconFor(t.type, t)}</svg>`;
    const item = el("div", {
      class: `palette-node${types.iconRight(t.type) ? " icon-right" : ""}`,
      style: `background:${t.color}`,
      title: t.type,
      dataset: { type: t.type },
    },
    icon,
    el("span", { class: "label", text: types.paletteLabel(t) }),
    t.inputs > 0 ? el("span", { class: "pport in" }) : null,
    t.outputs > 0 ? el("span", { class: "pport out" }) : null);
    item.addEventListener("pointerdown", (e) => this.drag(e, item, t.type));
    return item;
  }

  /** Follow the pointer with a copy of the item; drop on the canvas creates the node. */
  drag(e, item, type) {
    if (e.button !== 0) return;
    e.preventDefault();
    const r = item.getBoundingClientRect();
    const ghost = item.cloneNode(true);
    ghost.classList.add("palette-ghost");
    ghost.style.width = `${r.width}px`;
    const grab = { x: e.clientX - r.left, y: e.clientY - r.top };
    const place = (ev) => {
      ghost.style.left = `${ev.clientX - grab.x}px`;
      ghost.style.top = `${ev.clientY - grab.y}px`;
    };
    place(e);
    document.body.append(ghost);
    const move = (ev) => place(ev);
    const up = (ev) => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      ghost.remove();
      if (!this.canvas.contains(ev.clientX, ev.clientY) || !this.model.activeTab) return;
      const p = this.canvas.toCanvas(ev.clientX, ev.clientY);
      const node = this.model.createNode(type, p.x, p.y);
      this.onCreate(node);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }
}

// The flow tabs above the canvas: one per `tab` node, in the flow's order.
// Click to switch, double-click to edit, right-click (or ▾) for the tab
// menu, drag to reorder, + to add a flow. A disabled flow's tab is drawn
// as Node-RED draws it (greyed, italic, ⊘), and so is its canvas.

import { el } from "../model/util.js";
import { TabMenu } from "./tab-menu.js";
import { TabDrag } from "./tab-drag.js";
import { openSubflows, closeSubflow } from "../model/subflows.js";

export class TabBar {
  constructor({ host, workspace, model, onEdit }) {
    this.host = host;
    this.workspace = workspace;
    this.model = model;
    this.onEdit = onEdit;
    this.menu = new TabMenu({ model, onEdit });
    this.drag = new TabDrag({ host, onDrop: (id, index) => model.moveTab(id, index) });
    model.addEventListener("change", () => this.render());
  }

  render() {
    const model = this.model;
    const tabs = model.tabs().map((t) => {
      const b = el("button", {
        class: `tab${t.id === model.activeTab ? " active" : ""}${t.disabled ? " disabled" : ""}`,
        dataset: { id: t.id },
        title: t.disabled ? `${model.label(t)} (disabled)` : model.label(t),
      },
      t.disabled ? el("span", { class: "tab-disabled-icon", "aria-hidden": "true", text: "\u2298" }) : null,
      el("span", { class: "tab-label", text: model.label(t) }));
      b.addEventListener("pointerdown", (e) => this.drag.start(e, b, t.id));
      b.addEventListener("click", () => model.setActiveTab(t.id));
      b.addEventListener("dblclick", () => this.onEdit(t.id));
      b.addEventListener("contextmenu", (e) => {
        e.preventDefault();
        this.menu.open(t.id, e.clientX, e.clientY);
      });
      return b;
    });
    // Subflow definitions being edited, each on its own tab.
    for (const sf of openSubflows(model)) {
      const close = el("span", { class: "tab-close", title: "Close", text: "\u00d7" });
      close.addEventListener("click", (e) => {
        e.stopPropagation();
        closeSubflow(model, sf.id);
      });
      const b = el("button", { class: `tab subflow${sf.id === model.activeTab ? " active" : ""}`, dataset: { id: sf.id }, title: `subflow ${sf.id}`, text: `Subflow: ${sf.name || sf.id}` }, close);
      b.addEventListener("click", () => model.setActiveTab(sf.id));
      b.addEventListener("dblclick", () => this.onEdit(sf.id));
      tabs.push(b);
    }
    const add = el("button", { class: "tab-add", title: "Add a flow", text: "+" });
    add.addEventListener("click", () => model.addTab());
    const more = el("button", { class: "tab-menu-button", title: "Flow menu", "aria-haspopup": "menu", text: "\u25BE" });
    more.addEventListener("click", () => {
      const r = more.getBoundingClientRect();
      this.menu.open(model.activeTab, r.left, r.bottom);
    });
    this.host.replaceChildren(...tabs, add, more);
    const active = model.get(model.activeTab);
    if (this.workspace) this.workspace.classList.toggle("flow-disabled", !!(active && active.disabled));
  }
}

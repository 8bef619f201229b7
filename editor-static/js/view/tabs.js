// The flow tabs above the canvas: one per `tab` node; click to switch,
// double-click to edit, + to add a flow.

import { el } from "../model/util.js";
import { openSubflows, closeSubflow } from "../model/subflows.js";

export class TabBar {
  constructor({ host, model, onEdit }) {
    this.host = host;
    this.model = model;
    this.onEdit = onEdit;
    model.addEventListener("change", () => this.render());
  }

  render() {
    const model = this.model;
    const tabs = model.tabs().map((t) => {
      const b = el("button", {
        class: `tab${t.id === model.activeTab ? " active" : ""}${t.disabled ? " disabled" : ""}`,
        dataset: { id: t.id },
        title: t.disabled ? "disabled" : t.id,
        text: model.label(t),
      });
      b.addEventListener("click", () => model.setActiveTab(t.id));
      b.addEventListener("dblclick", () => this.onEdit(t.id));
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
    this.host.replaceChildren(...tabs, add);
  }
}

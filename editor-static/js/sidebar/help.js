// The help panel: the selected node's type help; with nothing selected, an
// index of the node types by category (click one to read its help).

import { el } from "../model/util.js";
import { typeHelp } from "../ui/node-help.js";

export class HelpPanel {
  constructor({ host, model, selection }) {
    this.host = host;
    this.model = model;
    this.selection = selection;
    // A type picked from the index, shown until the selection changes.
    this.picked = null;
    model.addEventListener("change", () => this.render());
    selection.addEventListener("change", () => {
      this.picked = null;
      this.render();
    });
  }

  render() {
    const model = this.model;
    const selected = this.selection.ids().map((id) => model.get(id)).find(Boolean);
    if (selected) {
      this.host.replaceChildren(typeHelp(model.types, selected.type));
      return;
    }
    if (this.picked) {
      const back = el("a", { href: "#", class: "help-back", text: "\u2190 all node types" });
      back.addEventListener("click", (e) => {
        e.preventDefault();
        this.picked = null;
        this.render();
      });
      this.host.replaceChildren(back, typeHelp(model.types, this.picked));
      return;
    }
    this.host.replaceChildren(this.index());
  }

  index() {
    const types = this.model.types;
    const config = [...types.byType.values()].filter((t) => t.config);
    const groups = [...types.categories(), ...(config.length ? [{ category: "config", types: config }] : [])];
    const list = el("div", { class: "help-index" }, el("p", { class: "empty", text: "Select a node to see its help, or pick a type." }));
    for (const { category, types: members } of groups) {
      list.append(el("h4", { class: "info-section", text: category }));
      for (const t of members) {
        const link = el("a", { href: "#", class: "help-index-type", dataset: { type: t.type }, text: types.paletteLabel(t) });
        link.addEventListener("click", (e) => {
          e.preventDefault();
          this.picked = t.type;
          this.render();
        });
        list.append(link);
      }
    }
    return list;
  }
}

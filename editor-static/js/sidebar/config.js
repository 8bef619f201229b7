// The config nodes panel: shared settings (e.g. `jwt-config`) grouped by
// type, with how many nodes use each; click one to edit it.

import { el } from "../model/util.js";

export class ConfigPanel {
  constructor({ host, model, onEdit }) {
    this.host = host;
    this.model = model;
    this.onEdit = onEdit;
    model.addEventListener("change", () => this.render());
  }

  render() {
    const model = this.model;
    const byType = new Map();
    for (const n of model.configNodes()) {
      if (!byType.has(n.type)) byType.set(n.type, []);
      byType.get(n.type).push(n);
    }
    const list = el("div", { id: "config-list" });
    for (const [type, nodes] of [...byType.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      list.append(el("h4", { class: "config-type", text: type }));
      for (const n of nodes) {
        const users = model.usersOf(n.id).length;
        const item = el("div", {
          class: `config-node${users ? "" : " unused"}${model.problems.has(n.id) ? " problem" : ""}`,
          dataset: { id: n.id, type: n.type },
          title: `${n.type} ${n.id}`,
          style: `border-left-color:${model.types.color(n)}`,
        },
        el("span", { class: "name", text: model.label(n) }),
        el("span", { class: "users", text: users ? `${users} user${users === 1 ? "" : "s"}` : "unused" }));
        item.addEventListener("click", () => this.onEdit(n.id));
        list.append(item);
      }
    }
    if (!list.children.length) list.append(el("div", { class: "empty", text: "No config nodes" }));
    const add = el("select", { class: "btn small", id: "config-add", title: "Add a config node" },
      el("option", { value: "", text: "+ add config node" }),
      ...[...model.types.byType.values()].filter((t) => t.config).map((t) => el("option", { value: t.type, text: t.type })));
    add.addEventListener("change", () => {
      if (add.value) this.onEdit(null, add.value);
      add.value = "";
    });
    this.host.replaceChildren(el("div", { class: "panel-toolbar" }, el("span", { class: "grow", text: "Config nodes" }), add), list);
  }
}

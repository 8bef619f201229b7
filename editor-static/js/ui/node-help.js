// A node type's help, built from what the runtime registers for it (`GET
// /nodes`): what it does, its ports and its fields. The edit tray shows the
// description above the form and the Help sidebar shows all of it, from this
// one copy.

import { el } from "../model/util.js";
import { fieldLabel } from "../forms/fields.js";

/** The description of `type` (the runtime's help text), or null when it has none. */
export function helpText(types, type) {
  const t = types.get(type);
  return t && t.help ? el("div", { class: "node-help", text: t.help }) : null;
}

/** The whole help of `type`: title, description, inputs and outputs, fields. */
export function typeHelp(types, type) {
  const t = types.get(type);
  if (!t) {
    return el("div", { class: "type-help", dataset: { type } },
      el("h3", { class: "help-title", text: type }),
      el("p", { class: "empty", text: "This runtime has no node type of this name: the node cannot be deployed." }));
  }
  const title = types.paletteLabel(t);
  return el("div", { class: "type-help", dataset: { type } },
    el("h3", { class: "help-title", text: title }, title !== t.type ? el("span", { class: "help-type", text: ` ${t.type}` }) : null),
    el("div", { class: "help-category", text: t.config ? "config node" : t.category }),
    helpText(types, type) || el("p", { class: "empty", text: "No description." }),
    t.config ? null : el("h4", { class: "info-section", text: "Inputs and outputs" }),
    t.config ? null : el("table", { class: "info-table help-ports" },
      el("tr", {}, el("td", { text: "inputs" }), el("td", { text: t.inputs > 0 ? "1: receives messages" : "none: starts flows itself" })),
      el("tr", {}, el("td", { text: "outputs" }), el("td", { text: portsText(t.outputs) }))),
    fieldsHelp(t));
}

function portsText(n) {
  if (n === 0) return "none";
  return `${n}: sends messages on ${n === 1 ? "it" : "each"}`;
}

/** One row per form field: its label, what it takes, and its help. */
function fieldsHelp(t) {
  const fields = t.editor.fields;
  if (!fields.length) return null;
  const rows = fields.map((f) => {
    const options = Array.isArray(f.options) ? f.options.map((o) => (o && typeof o === "object" ? o.label ?? o.value : o)).join(", ") : "";
    const what = [f.type || "text", f.required ? "required" : "", options ? `one of: ${options}` : ""].filter(Boolean).join(" \u00b7 ");
    return el("div", { class: "help-field", dataset: { field: f.name } },
      el("div", { class: "help-field-name" }, el("strong", { text: fieldLabel(f) }), el("span", { class: "help-field-kind", text: ` ${what}` })),
      f.help ? el("div", { class: "field-help", text: f.help }) : null);
  });
  return [el("h4", { class: "info-section", text: "Properties" }), ...rows];
}

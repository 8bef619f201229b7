// Form fields built from a node type's field definitions. Each builder
// answers `{row, read(), error()}`: `read()` gives the value to store (kept
// in the type the flow already used, e.g. Ignite's "true"/"false" strings),
// `error()` a message when the input cannot be stored.

import { el, humanize } from "../model/util.js";
import { codeEditor } from "./code-editor.js";
import { codeFieldOptions, jsonFieldCheck } from "./code-check.js";

/** A field's label: its definition's, else its property name made readable. */
export function fieldLabel(def) {
  return def.label || humanize(def.name);
}

/** Build the field for definition `def` showing `value`. */
export function buildField(def, value, ctx) {
  const builder = BUILDERS[builderName(def)] || BUILDERS.text;
  const field = builder(def, value, ctx);
  const label = el("label", { for: field.inputId }, fieldLabel(def), def.required ? el("span", { class: "req", text: " *" }) : null);
  const control = el("div", { class: "control" }, field.control);
  if (def.help) control.append(el("div", { class: "field-help", text: def.help }));
  const errorEl = el("div", { class: "field-error" });
  control.append(errorEl);
  const stacked = ["code", "json", "headers", "textarea"].includes(def.type);
  const row = el("div", { class: `form-row${stacked ? " stacked" : ""}`, dataset: { field: def.name, fieldType: builderName(def) } }, label, control);
  return {
    def,
    row,
    read: field.read,
    credential: field.credential || (() => undefined),
    /** Validate; shows the message beside the field. */
    check() {
      let msg = field.error ? field.error() : null;
      if (!msg && def.required && builderName(def) !== "secret" && def.type !== "checkbox") {
        const v = field.read();
        if (v === undefined || v === null || String(v).trim() === "") msg = "required";
      }
      errorEl.textContent = msg || "";
      control.classList.toggle("invalid", !!msg);
      return msg;
    },
  };
}

/**
 * Lists without a widget of their own (a change or switch node's rules, an
 * inject node's properties) edit as JSON, their JSONata values checked.
 */
const JSON_LISTS = ["change-rules", "switch-rules", "props"];

/**
 * Which builder a definition uses. Credentials (`"credential": true`, or the
 * types `secret` and `password`) are always write-only.
 */
function builderName(def) {
  if (def.credential || def.type === "secret" || def.type === "password") return "secret";
  if (JSON_LISTS.includes(def.type)) return "json";
  return def.type || "text";
}

let counter = 0;
const nextId = (name) => `field-${name.replace(/\W/g, "_")}-${++counter}`;

function options(def) {
  return (def.options || []).map((o) => (typeof o === "object" ? { value: String(o.value), label: o.label ?? String(o.value) } : { value: String(o), label: String(o) }));
}

const BUILDERS = {
  text(def, value) {
    const id = nextId(def.name);
    const input = el("input", { type: "text", id, name: def.name, placeholder: def.placeholder, value: value ?? "" });
    const wasNumber = typeof value === "number";
    return {
      inputId: id,
      control: input,
      read: () => (wasNumber && input.value.trim() !== "" && !Number.isNaN(Number(input.value)) ? Number(input.value) : input.value),
    };
  },

  textarea(def, value) {
    const id = nextId(def.name);
    const area = el("textarea", { id, name: def.name, rows: def.rows || 4, placeholder: def.placeholder });
    area.value = value ?? "";
    return { inputId: id, control: area, read: () => area.value };
  },

  number(def, value) {
    const id = nextId(def.name);
    const input = el("input", { type: "number", id, name: def.name, placeholder: def.placeholder, value: value ?? "", min: def.min, max: def.max, step: def.step || "any" });
    const asString = typeof value === "string" || (value === undefined && typeof def.default === "string");
    return {
      inputId: id,
      control: input,
      read: () => (asString ? input.value : input.value === "" ? "" : Number(input.value)),
      error: () => (input.value !== "" && Number.isNaN(Number(input.value)) ? "must be a number" : null),
    };
  },

  select(def, value) {
    const id = nextId(def.name);
    const opts = options(def);
    const select = el("select", { id, name: def.name }, opts.map((o) => el("option", { value: o.value, text: o.label })));
    const current = value === undefined || value === null ? "" : String(value);
    if (current && !opts.some((o) => o.value === current)) select.prepend(el("option", { value: current, text: current }));
    select.value = current || (opts[0] && opts[0].value) || "";
    const wasNumber = typeof value === "number";
    return { inputId: id, control: select, read: () => (wasNumber ? Number(select.value) : select.value) };
  },

  checkbox(def, value) {
    const id = nextId(def.name);
    const input = el("input", { type: "checkbox", id, name: def.name });
    input.checked = value === true || value === "true";
    const asString = typeof value === "string";
    return { inputId: id, control: input, read: () => (asString ? String(input.checked) : input.checked) };
  },

  json(def, value, ctx) {
    const id = nextId(def.name);
    const text = value === undefined ? "" : typeof value === "string" && def.store === "string" ? value : JSON.stringify(value, null, 2);
    const editor = codeEditor({ id, name: def.name, value: text, rows: def.rows || 6, language: "json", check: jsonFieldCheck(ctx) });
    editor.element.classList.add("json-editor");
    const area = { get value() { return editor.value(); } };
    const parse = () => (area.value.trim() === "" ? undefined : JSON.parse(area.value));
    return {
      inputId: id,
      control: editor.element,
      read: () => {
        if (def.store === "string") return area.value;
        try {
          return parse();
        } catch {
          return value;
        }
      },
      error: () => {
        try {
          parse();
          return null;
        } catch (e) {
          return `invalid JSON: ${e.message}`;
        }
      },
    };
  },

  headers(def, value) {
    const list = el("div", { class: "headers-list" });
    const addRow = (k = "", v = "") => {
      const name = el("input", { type: "text", placeholder: "name", value: k, class: "header-name" });
      const val = el("input", { type: "text", placeholder: "value", value: v, class: "header-value" });
      const del = el("button", { type: "button", class: "btn small", title: "Remove header", text: "\u00d7" });
      const row = el("div", { class: "header-row" }, name, val, del);
      del.addEventListener("click", () => row.remove());
      list.insertBefore(row, add);
    };
    const add = el("button", { type: "button", class: "btn small", text: "+ add header" });
    add.addEventListener("click", () => addRow());
    list.append(add);
    for (const [k, v] of Object.entries(value && typeof value === "object" ? value : {})) addRow(k, String(v));
    return {
      control: list,
      read: () => {
        const out = {};
        for (const row of list.querySelectorAll(".header-row")) {
          const k = row.querySelector(".header-name").value.trim();
          if (k) out[k] = row.querySelector(".header-value").value;
        }
        return out;
      },
    };
  },

  code(def, value, ctx) {
    const id = nextId(def.name);
    let editor = null;
    const options = codeFieldOptions(def, ctx, () => editor && editor.element);
    editor = codeEditor({ id, name: def.name, value: value ?? "", rows: def.rows, ...options });
    return { inputId: id, control: editor.element, read: editor.value };
  },

  config(def, value, ctx) {
    const id = nextId(def.name);
    const select = el("select", { id, name: def.name });
    const type = def.config_type || def.configType;
    const fill = (selected) => {
      const nodes = ctx.model.configNodes().filter((n) => !type || n.type === type);
      select.replaceChildren(
        el("option", { value: "", text: nodes.length ? "— none —" : `— no ${type || "config"} nodes —` }),
        ...nodes.map((n) => el("option", { value: n.id, text: ctx.model.label(n) })),
        el("option", { value: "__new__", text: `Add new ${type || "config"}…` }),
      );
      if (selected && !nodes.some((n) => n.id === selected)) select.append(el("option", { value: selected, text: `${selected} (missing)` }));
      select.value = selected || (nodes[0] ? nodes[0].id : "");
      last = select.value;
    };
    let last = value || "";
    fill(value);
    const edit = el("button", { type: "button", class: "btn small", title: "Edit or add config", text: "\u270e" });
    const openEditor = (existing) =>
      ctx.editConfig(type, existing, (newId) => fill(newId || last));
    select.addEventListener("change", () => {
      if (select.value === "__new__") {
        select.value = last;
        openEditor(null);
      } else last = select.value;
    });
    edit.addEventListener("click", () => openEditor(select.value && ctx.model.get(select.value) ? select.value : null));
    return { inputId: id, control: el("div", { class: "config-picker" }, select, edit), read: () => select.value };
  },

  secret(def, _value, ctx) {
    const id = nextId(def.name);
    const creds = ctx.node.credentials || {};
    const isSet = !!(creds[`has_${def.name}`] || (creds[def.name] !== undefined && creds[def.name] !== ""));
    const placeholder = isSet ? "unchanged \u2014 type to replace" : "not set";
    const input = def.type === "textarea"
      ? el("textarea", { id, name: def.name, rows: def.rows || 4, placeholder, spellcheck: "false", class: "secret-text" })
      : el("input", { type: "password", id, name: def.name, autocomplete: "new-password", placeholder });
    const badge = el("span", { class: `secret-state${isSet ? " set" : ""}`, text: isSet ? "set" : "not set" });
    return {
      inputId: id,
      control: el("div", {}, input, badge),
      read: () => undefined,
      error: () => (def.required && !isSet && input.value === "" ? "required" : null),
      credential: () => (input.value !== "" ? input.value : undefined),
    };
  },
};

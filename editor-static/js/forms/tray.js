// The edit tray: a panel sliding over the sidebar with a node's form (built
// from its type's field definitions). Config pickers open a second tray on
// top to add or edit a config node. Done applies the changes as one
// undoable edit.

import { el, clone } from "../model/util.js";
import { buildField } from "./fields.js";
import { padWires, isCanvasNode } from "../model/model.js";
import { helpText } from "../ui/node-help.js";
import { deleteTabAsking } from "../view/tab-menu.js";
import { openGroupForm, openInstanceForm, openDefinitionForm } from "./structure-forms.js";
import { isInstance, isPort } from "../model/subflows.js";

const TAB_FIELDS = [
  { name: "label", type: "text", label: "Name", required: true },
  { name: "disabled", type: "checkbox", label: "Disabled" },
  { name: "info", type: "textarea", label: "Description", rows: 8, placeholder: "Markdown, shown in the Info sidebar" },
];

export class Trays {
  constructor({ host, model, selection }) {
    this.host = host;
    this.model = model;
    this.selection = selection;
    this.stack = [];
    document.addEventListener("keydown", (e) => {
      const top = this.stack[this.stack.length - 1];
      if (!top || document.querySelector("#dialog-host .backdrop")) return;
      if (e.key === "Escape") {
        e.preventDefault();
        top.cancel();
      } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        top.done();
      }
    });
  }

  isOpen() {
    return this.stack.length > 0;
  }

  /** Edit an existing node (canvas node, config node or tab). */
  editNode(id) {
    const n = this.model.get(id);
    if (!n || isPort(id)) return;
    if (n.type === "group") openGroupForm(this, n);
    else if (isInstance(n)) openInstanceForm(this, n);
    else if (n.type === "subflow") openDefinitionForm(this, n);
    else this.open(n, { existing: true });
  }

  /** Edit config node `id`, or add a new one of `type`; `onDone(id)` gets the result. */
  editConfig(type, id, onDone) {
    const existing = id && this.model.get(id);
    const node = existing || this.model.types.instantiate(type, "");
    this.open(node, { existing: !!existing, onDone });
  }

  open(node, { existing, onDone = () => {} }) {
    const model = this.model;
    const isTab = node.type === "tab";
    const defs = isTab ? TAB_FIELDS : model.types.fields(node);
    const defaults = (model.types.get(node.type) || { editor: { defaults: {} } }).editor.defaults;
    const ctx = { model, node, editConfig: (t, cid, cb) => this.editConfig(t, cid, cb) };
    const fields = defs.map((d) => buildField({ ...d, default: defaults[d.name] }, node[d.name] !== undefined ? node[d.name] : clone(defaults[d.name]), ctx));

    const enabled = el("input", { type: "checkbox", id: "tray-enabled" });
    enabled.checked = !node.d;
    const kind = isTab ? "flow" : isCanvasNode(node) ? `${node.type} node` : `${node.type} config node`;
    const title = existing ? `Edit ${kind}` : `Add new ${kind}`;
    const del = existing ? el("button", { class: "btn danger", id: "tray-delete", text: "Delete" }) : null;
    const cancel = el("button", { class: "btn", id: "tray-cancel", text: "Cancel" });
    const done = el("button", { class: "btn primary", id: "tray-done", text: existing ? "Done" : "Add" });
    const footer = el("table", { class: "info-table" },
      el("tr", {}, el("td", { text: "id" }), el("td", { text: node.id })),
      el("tr", {}, el("td", { text: "type" }), el("td", { text: node.type })));
    const body = el("div", { class: "tray-body" },
      helpText(model.types, node.type),
      el("form", { autocomplete: "off", onsubmit: (e) => e.preventDefault() }, fields.map((f) => f.row)),
      isCanvasNode(node) ? el("div", { class: "form-row" }, el("label", { for: "tray-enabled", text: "Enabled" }), el("div", { class: "control" }, enabled)) : null,
      footer);
    const tray = el("div", { class: "tray", dataset: { id: node.id, type: node.type } },
      el("div", { class: "tray-header" }, el("span", { class: "tray-title", text: title }), del, cancel, done),
      body);
    this.host.append(tray);
    const first = tray.querySelector("input:not([type=checkbox]), textarea, select");
    if (first) first.focus();

    const entry = {
      close: () => {
        tray.remove();
        this.stack = this.stack.filter((t) => t !== entry);
      },
      cancel: () => entry.close(),
      done: () => {
        const errors = fields.map((f) => f.check()).filter(Boolean);
        if (errors.length) return;
        const props = {};
        for (const f of fields) {
          const v = f.read();
          if (v !== undefined) props[f.def.name] = v;
        }
        const creds = {};
        for (const f of fields) {
          const c = f.credential();
          if (c !== undefined) creds[f.def.name] = c;
        }
        if (Object.keys(creds).length) props.credentials = { ...(node.credentials || {}), ...creds };
        if (isCanvasNode(node)) {
          const d = enabled.checked ? undefined : true;
          if (d !== node.d) props.d = d;
        }
        entry.close();
        if (existing) this.apply(node, props);
        else this.add(node, props, onDone);
        if (existing) onDone(node.id);
      },
    };
    cancel.addEventListener("click", entry.cancel);
    done.addEventListener("click", entry.done);
    if (del) del.addEventListener("click", () => {
      entry.close();
      this.remove(node);
      onDone(null);
    });
    this.stack.push(entry);
  }

  /** Store changed properties of an existing node as one edit. */
  apply(node, props) {
    const model = this.model;
    const changed = {};
    for (const [k, v] of Object.entries(props)) {
      if (JSON.stringify(node[k]) !== JSON.stringify(v)) changed[k] = v;
    }
    if (!Object.keys(changed).length) return;
    if ("outputs" in changed && isCanvasNode(node)) {
      const count = Math.max(0, Number(changed.outputs) || 0);
      changed.wires = padWires(node.wires, count).slice(0, count);
    }
    model.edit(`edit ${node.type}`, (tx) => tx.set(node.id, changed));
  }

  add(draft, props, onDone) {
    const node = { ...draft, ...props };
    this.model.edit(`add ${node.type}`, (tx) => tx.add(node));
    onDone(node.id);
  }

  /** Delete a node; a tab takes its nodes with it, a config node its references. */
  remove(node) {
    const model = this.model;
    if (node.type === "tab") {
      deleteTabAsking(model, node.id);
    } else if (isCanvasNode(node)) {
      this.selection.clear();
      model.deleteNodes([node.id]);
    } else {
      model.edit(`delete ${node.type}`, (tx) => {
        for (const user of model.usersOf(node.id)) {
          const props = {};
          for (const [k, v] of Object.entries(user)) if (v === node.id && k !== "z" && k !== "g") props[k] = "";
          tx.set(user.id, props);
        }
        tx.remove(node.id);
      });
    }
  }
}

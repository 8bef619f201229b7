// The context panel: node, flow and global context as the runtime holds it,
// read through Node-RED's `/context/...` admin endpoints, per store, with
// refresh and delete. The node is the selected one, the flow its tab (or the
// tab on screen when nothing is selected). Values come formatted as the debug
// sidebar shows them (`{msg, format}`), so they are shown the same way.

import { api, ApiError } from "../api.js";
import { el } from "../model/util.js";
import { isCanvasNode } from "../model/model.js";
import { confirmDialog } from "../ui/dialog.js";
import { jsonView } from "../ui/json-view.js";
import { notify } from "../ui/notify.js";

const SCOPES = [
  { scope: "node", title: "Node" },
  { scope: "flow", title: "Flow" },
  { scope: "global", title: "Global" },
];

export class ContextPanel {
  constructor({ host, model, selection, isVisible }) {
    this.host = host;
    this.model = model;
    this.selection = selection;
    this.isVisible = isVisible;
    this.sections = new Map();
    for (const { scope, title } of SCOPES) {
      const refresh = el("button", { class: "btn small context-refresh", title: `Refresh the ${scope} context`, text: "\u21bb" });
      const label = el("span", { class: "grow context-target" });
      const body = el("div", { class: "context-body" });
      const section = el("section", { class: "context-scope", dataset: { scope } },
        el("div", { class: "panel-toolbar" }, el("strong", { text: title }), label, refresh), body);
      refresh.addEventListener("click", () => this.load(scope));
      this.sections.set(scope, { section, label, body, id: undefined });
      host.append(section);
    }
    // Node and flow follow the selection and the tab on screen; reading the
    // runtime only while the panel is visible.
    const follow = () => {
      if (this.isVisible()) this.refreshTargets();
    };
    selection.addEventListener("change", follow);
    model.addEventListener("change", follow);
  }

  /** The panel became visible: read everything again. */
  shown() {
    this.refreshTargets(true);
  }

  /** The id each scope reads: null when there is nothing to show. */
  targets() {
    const ids = this.selection.ids();
    const node = ids.length === 1 ? this.model.get(ids[0]) : null;
    const canvasNode = node && isCanvasNode(node) ? node : null;
    return {
      node: canvasNode ? canvasNode.id : null,
      flow: canvasNode ? canvasNode.z : this.model.activeTab,
      global: "",
    };
  }

  refreshTargets(force = false) {
    for (const [scope, id] of Object.entries(this.targets())) {
      const s = this.sections.get(scope);
      if (!force && s.id === id) continue;
      s.id = id;
      this.load(scope);
    }
  }

  async load(scope) {
    const s = this.sections.get(scope);
    const id = s.id;
    const target = id ? this.model.get(id) : null;
    s.label.textContent = scope === "global" ? "" : target ? this.model.label(target) : "";
    if (id === null || id === undefined) {
      s.body.replaceChildren(el("div", { class: "empty", text: scope === "node" ? "Select a node to see its context." : "No flow on screen." }));
      return;
    }
    let answer;
    try {
      answer = await api.getContext(scope, id);
    } catch (e) {
      s.body.replaceChildren(el("div", { class: "empty", text: `Cannot read the ${scope} context: ${e.message}` }));
      return;
    }
    // A newer selection may have been read meanwhile.
    if (s.id !== id) return;
    s.body.replaceChildren(...this.entries(scope, id, answer || {}));
  }

  /** One row per key and store; the store is named when there is more than one. */
  entries(scope, id, answer) {
    const stores = Object.keys(answer);
    const rows = [];
    for (const store of stores) {
      for (const [key, value] of Object.entries(answer[store] || {}).sort(([a], [b]) => a.localeCompare(b))) {
        const del = el("button", { class: "btn small danger context-delete", title: `Delete ${key}`, text: "\u00d7" });
        del.addEventListener("click", () => this.remove(scope, id, key, store));
        rows.push(el("div", { class: "context-entry", dataset: { scope, store, key } },
          el("div", { class: "context-key" },
            el("span", { class: "name", text: key }),
            stores.length > 1 ? el("span", { class: "store", text: store }) : null,
            el("span", { class: "format", text: value && value.format ? value.format : "" }),
            del),
          el("div", { class: "context-value" }, shownValue(value))));
      }
    }
    return rows.length ? rows : [el("div", { class: "empty", text: "none" })];
  }

  async remove(scope, id, key, store) {
    const where = scope === "global" ? "global" : `${scope} ${id}`;
    if (!(await confirmDialog("Delete context value", `Delete "${key}" from the ${where} context (store ${store})?`, "Delete"))) return;
    try {
      await api.deleteContext(scope, id, key, store);
    } catch (e) {
      notify(`Cannot delete ${key}: ${e instanceof ApiError ? e.message : e}`, { kind: "error" });
    }
    await this.load(scope);
  }
}

/** An object or array as a tree, anything else as the text the runtime sent. */
function shownValue(value) {
  const text = value && typeof value.msg === "string" ? value.msg : JSON.stringify(value);
  const format = (value && value.format) || "";
  if (/^(Object|array)/.test(format)) {
    try {
      return jsonView(JSON.parse(text));
    } catch {
      // Not JSON after all (e.g. a truncated value): shown as text.
    }
  }
  return el("span", { class: "context-text", text });
}

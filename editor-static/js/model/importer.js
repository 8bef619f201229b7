// Bringing nodes into the flow (import, paste) and taking them out (export,
// copy), in both of Node-RED's export forms.

import { clone, freshId } from "./util.js";
import { isCanvasNode, isConfigNode } from "./model.js";
import { withMembers } from "./groups.js";

/** Parse import text: a JSON array of nodes, or `{rev, flows}`. Throws with a readable message. */
export function parseFlowText(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON: ${e.message}`);
  }
  const nodes = Array.isArray(value) ? value : value && Array.isArray(value.flows) ? value.flows : null;
  if (!nodes) throw new Error('expected a JSON array of nodes or {"flows": [...]}');
  nodes.forEach((n, i) => {
    if (!n || typeof n !== "object" || Array.isArray(n)) throw new Error(`item ${i + 1} is not a node object`);
    if (typeof n.id !== "string" || !n.id) throw new Error(`item ${i + 1} has no "id"`);
    if (typeof n.type !== "string" || !n.type) throw new Error(`node ${n.id} has no "type"`);
  });
  return nodes;
}

/**
 * Add `nodes` to the model as one undoable edit. Ids are kept unless they
 * clash (or `freshIds`); a config node identical in id and type to one already
 * present is reused. Canvas nodes whose tab is not part of the import land on
 * the active tab; with `at`, those are moved so that their top left node
 * sits at that canvas point. Answers the ids of the canvas nodes added.
 */
export function importNodes(model, nodes, { freshIds = false, offset = null, at = null, label = "import" } = {}) {
  const idMap = new Map();
  const reused = new Set();
  for (const n of nodes) {
    const existing = model.get(n.id);
    if (existing && isConfigNode(n) && existing.type === n.type) {
      reused.add(n.id);
      idMap.set(n.id, n.id);
    } else {
      idMap.set(n.id, freshIds || existing || idMap.has(n.id) ? freshId() : n.id);
    }
  }
  const importedTabs = new Set(nodes.filter((n) => n.type === "tab" || n.type === "subflow").map((n) => n.id));
  if (at) offset = offsetTo(nodes, importedTabs, at);
  const remap = (v) => (typeof v === "string" && idMap.has(v) ? idMap.get(v) : v);
  const canvasIds = [];
  let firstTab = null;
  model.edit(label, (tx) => {
    let target = model.activeTab;
    if (!target && nodes.some(isCanvasNode) && !importedTabs.size) {
      target = freshId();
      tx.add({ id: target, type: "tab", label: "Flow 1", disabled: false, info: "", env: [] });
      firstTab = target;
    }
    for (const original of nodes) {
      if (reused.has(original.id)) continue;
      const n = clone(original);
      for (const [k, v] of Object.entries(n)) {
        if (k === "id" || k === "type" || k === "wires") continue;
        if (typeof v === "string") n[k] = remap(v);
        else if (Array.isArray(v) && v.every((x) => typeof x === "string")) n[k] = v.map(remap);
      }
      n.id = idMap.get(original.id);
      // A subflow instance names its definition in its type; ports name nodes inside.
      if (n.type.startsWith("subflow:")) n.type = `subflow:${remap(n.type.slice(8))}`;
      if (n.type === "subflow") for (const p of [...(n.in || []), ...(n.out || [])]) p.wires = (p.wires || []).map((w) => ({ ...w, id: remap(w.id) }));
      if (Array.isArray(n.wires)) {
        n.wires = n.wires.map((ts) => (ts || []).filter((t) => idMap.has(t)).map(remap));
      }
      if (isCanvasNode(n) || n.type === "group") {
        if (!importedTabs.has(original.z)) {
          n.z = target;
          if (offset && typeof n.x === "number" && typeof n.y === "number") {
            n.x = Math.round(n.x + offset.x);
            n.y = Math.round(n.y + offset.y);
          }
        }
        if (n.g && !idMap.has(original.g)) delete n.g;
        if (isCanvasNode(n)) canvasIds.push(n.id);
      } else if (isConfigNode(n) && n.z && !importedTabs.has(original.z) && !model.get(n.z)) {
        n.z = "";
      }
      if (n.type === "tab" && !firstTab) firstTab = n.id;
      delete n.credentials;
      tx.add(n);
    }
  });
  if (firstTab) model.setActiveTab(firstTab);
  return canvasIds;
}

/** The shift that puts the top left of the nodes landing on the active tab at `at`. */
function offsetTo(nodes, importedTabs, at) {
  const landing = nodes.filter((n) => isCanvasNode(n) && !importedTabs.has(n.z));
  if (!landing.length) return null;
  const minX = Math.min(...landing.map((n) => n.x));
  const minY = Math.min(...landing.map((n) => n.y));
  return { x: at.x - minX, y: at.y - minY };
}

/**
 * The nodes to export for `ids`: the nodes themselves (a group with what is
 * in it) plus the config nodes they use; credentials are never exported.
 */
export function exportNodes(model, ids) {
  ids = withMembers(model, ids);
  const chosen = new Set(ids);
  for (const id of ids) {
    const n = model.get(id);
    if (!n) continue;
    for (const v of Object.values(n)) {
      const ref = typeof v === "string" ? model.get(v) : null;
      if (ref && isConfigNode(ref)) chosen.add(ref.id);
    }
  }
  return [...model.nodes.values()]
    .filter((n) => chosen.has(n.id))
    .map((n) => {
      const c = clone(n);
      delete c.credentials;
      if (Array.isArray(c.wires) && isCanvasNode(c)) {
        c.wires = c.wires.map((ts) => (ts || []).filter((t) => chosen.has(t)));
      }
      return c;
    });
}

/** Everything in the flow, without credentials. */
export function exportAll(model) {
  return exportNodes(model, [...model.nodes.keys()]);
}

/**
 * The editor's clipboard: Ctrl+C keeps the copied nodes (and their export
 * JSON, which the copy event puts on the system clipboard); a paste takes the
 * system clipboard's flow JSON when it holds one (Node-RED's clipboard export,
 * or a copy from another flowgate window), else the nodes copied here.
 */
export class Clipboard {
  constructor(model) {
    this.model = model;
    this.nodes = null;
    this.text = null;
    this.fresh = null;
  }

  copy(ids) {
    const canvas = ids.map((id) => this.model.get(id)).filter((n) => n && isCanvasNode(n));
    if (!canvas.length) return 0;
    const exported = exportNodes(this.model, canvas.map((n) => n.id));
    this.nodes = exported;
    this.text = JSON.stringify(exported);
    this.fresh = this.text;
    // The copy event of this key press comes before any timer.
    setTimeout(() => (this.fresh = null), 0);
    // Browsers without a copy event for this key press still get the text.
    navigator.clipboard?.writeText(this.text).catch(() => {});
    return canvas.length;
  }

  /** The JSON of a copy made by the key press being handled (once). */
  takeFresh() {
    const t = this.fresh;
    this.fresh = null;
    return t;
  }

  /**
   * Paste `text` (the system clipboard's) when it is flow JSON other than our
   * own copy, else our copy; placed with its top left node at `at`. Ids are
   * kept unless they clash. Answers the canvas nodes added.
   */
  paste(at, text = "") {
    let nodes = this.nodes;
    if (text && text.trim() && text !== this.text) {
      try {
        nodes = parseFlowText(text);
      } catch {
        // Not a flow: paste what was copied here.
      }
    }
    if (!nodes || !nodes.length) return [];
    return importNodes(this.model, nodes, { at, label: "paste" });
  }
}

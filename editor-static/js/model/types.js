// Node types as the runtime describes them (`GET /nodes`): palette category,
// ports, colour, and the editor document (defaults, form fields, label rule).

import { clone, freshId } from "./util.js";

const UNKNOWN_COLOR = "#e0e0e0";

/** Normalise one entry of `GET /nodes` into the shape the editor uses. */
function normalise(t) {
  let editor = t.editor || {};
  if (typeof editor === "string") {
    try {
      editor = JSON.parse(editor || "{}");
    } catch {
      editor = {};
    }
  }
  return {
    type: t.type || t.name,
    category: t.category || "common",
    inputs: Number(t.inputs ?? 1),
    outputs: Number(t.outputs ?? 1),
    color: t.color || "#a6bbcf",
    config: t.category === "config" || t.kind === "config" || t.config === true,
    help: typeof t.help === "string" ? t.help : "",
    editor: {
      defaults: editor.defaults || {},
      fields: editor.fields || [],
      label: editor.label,
      paletteLabel: editor.palette_label || editor.paletteLabel,
      icon: editor.icon,
      align: editor.align,
    },
  };
}

export class TypeRegistry {
  constructor() {
    this.byType = new Map();
  }

  /** Load from the `GET /nodes` answer: an array of types, or an object keyed by type. */
  load(answer) {
    this.byType.clear();
    let list = answer;
    if (answer && !Array.isArray(answer)) {
      list = Array.isArray(answer.types) ? answer.types : Object.entries(answer).map(([type, t]) => ({ type, ...t }));
    }
    for (const t of list || []) {
      const n = normalise(t);
      if (n.type) this.byType.set(n.type, n);
    }
  }

  get(type) {
    return this.byType.get(type);
  }

  known(type) {
    return this.byType.has(type);
  }

  isConfig(type) {
    const t = this.get(type);
    return !!(t && t.config);
  }

  /** Palette entries grouped by category (config types are not dragged onto a canvas). */
  categories() {
    const groups = new Map();
    for (const t of this.byType.values()) {
      if (t.config || t.hidden) continue;
      if (!groups.has(t.category)) groups.set(t.category, []);
      groups.get(t.category).push(t);
    }
    const order = ["subflows", "common", "function", "network", "security", "sequence", "parser", "storage"];
    return [...groups.entries()]
      .sort(([a], [b]) => rank(order, a) - rank(order, b) || a.localeCompare(b))
      .map(([category, types]) => ({ category, types: types.sort((a, b) => a.type.localeCompare(b.type)) }));
  }

  /** Fill colour of a node (light grey for types the runtime does not know). */
  color(n) {
    const t = this.get(n.type);
    return t ? t.color : UNKNOWN_COLOR;
  }

  inputsOf(n) {
    const t = this.get(n.type);
    if (n.type === "comment") return 0;
    if (t) return t.inputs > 0 ? 1 : 0;
    return 1;
  }

  outputsOf(n) {
    const t = this.get(n.type);
    const declared = Number(n.outputs);
    let count = Number.isFinite(declared) && n.outputs !== "" && n.outputs !== undefined ? declared : t ? t.outputs : 0;
    if (n.type === "comment") count = 0;
    return Math.max(count, Array.isArray(n.wires) ? n.wires.length : 0);
  }

  /** The label shown when a node has no name. */
  defaultLabel(n) {
    const t = this.get(n.type);
    const rule = t && t.editor.label;
    if (typeof rule === "string" && rule) {
      if (rule.includes("{")) {
        const text = rule.replace(/\{(\w+)\}/g, (_, k) => (n[k] === undefined ? "" : String(n[k]))).trim();
        if (text && text.replace(/[\[\]\s]/g, "")) return text;
      } else if (n[rule] !== undefined && n[rule] !== "") {
        return String(n[rule]);
      }
    }
    return (t && t.editor.paletteLabel) || n.type;
  }

  paletteLabel(t) {
    return t.editor.paletteLabel || t.type;
  }

  /** Which side the node's icon sits on (Node-RED puts it right on output-only-less nodes). */
  iconRight(type) {
    const t = this.get(type);
    if (!t) return false;
    if (t.editor.align) return t.editor.align === "right";
    return t.inputs > 0 && t.outputs === 0;
  }

  /** A new node object of `type` with its defaults and a fresh id. */
  instantiate(type, z) {
    const t = this.get(type);
    const defaults = t ? clone(t.editor.defaults) : {};
    const node = { id: freshId(), type, z, ...defaults };
    if (!t || !t.config) {
      const outs = Number(node.outputs ?? (t ? t.outputs : 1));
      node.wires = Array.from({ length: Number.isFinite(outs) ? outs : 1 }, () => []);
    }
    return node;
  }

  /** Field definitions for a node's form; a generic one when the type has none. */
  fields(n) {
    const t = this.get(n.type);
    if (t && t.editor.fields.length) return t.editor.fields;
    const skip = new Set(["id", "type", "z", "x", "y", "wires", "g", "d", "credentials", "_users"]);
    const names = new Set([...Object.keys((t && t.editor.defaults) || {}), ...Object.keys(n)]);
    return [...names]
      .filter((k) => !skip.has(k))
      .map((k) => {
        const v = n[k] ?? (t && t.editor.defaults[k]);
        if (typeof v === "boolean") return { name: k, type: "checkbox" };
        if (typeof v === "number") return { name: k, type: "number" };
        if (v !== null && typeof v === "object") return { name: k, type: "json" };
        return { name: k, type: "text" };
      });
  }
}

function rank(order, c) {
  const i = order.indexOf(c);
  return i === -1 ? order.length : i;
}

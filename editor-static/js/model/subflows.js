// Subflows as Node-RED keeps them: a `subflow` definition node (name,
// colour, `env` property definitions, input port `in[0]` with
// `wires: [{id}]`, output ports `out[i]` with `wires: [{id, port}]`), its
// nodes on its own canvas (`z` = the definition's id), and instances of
// type `subflow:<definition id>` on tabs. Each definition is a node type in
// the registry (palette category "subflows"); its ports are drawn on its
// canvas as nodes that exist only in the editor (ids `<sf>~in~0`,
// `<sf>~out~<i>`), and every change to them is a change of the definition.

import { freshId } from "./util.js";
import { nodeBox } from "../view/geometry.js";
import { withMembers, refit } from "./groups.js";

export const PORT_IN = "subflow-in";
export const PORT_OUT = "subflow-out";
const PREFIX = "subflow:";
const COLOR = "#DDAA99";

export function isInstance(n) {
  return !!n && typeof n.type === "string" && n.type.startsWith(PREFIX);
}

/** The definition an instance runs. */
export function definitionOf(model, n) {
  const sf = isInstance(n) ? model.nodes.get(n.type.slice(PREFIX.length)) : null;
  return sf && sf.type === "subflow" ? sf : null;
}

export function definitions(model) {
  return [...model.nodes.values()].filter((n) => n.type === "subflow");
}

// ---------- node types ----------

/**
 * Make the registry's subflow types match the definitions: one type per
 * definition (ports from `in`/`out`, colour, name as palette label), and
 * the two port types, which the palette does not list. Answers whether the
 * palette needs redrawing.
 */
export function syncTypes(model) {
  const types = model.types.byType;
  const wanted = new Map();
  for (const sf of definitions(model)) {
    wanted.set(PREFIX + sf.id, {
      type: PREFIX + sf.id,
      category: sf.category || "subflows",
      inputs: (sf.in || []).length ? 1 : 0,
      outputs: (sf.out || []).length,
      color: sf.color || COLOR,
      config: false,
      help: typeof sf.info === "string" ? sf.info : "",
      editor: { defaults: { name: "", env: [] }, fields: [], label: "name", paletteLabel: sf.name || sf.id, icon: "subflow" },
    });
  }
  if (wanted.size) {
    wanted.set(PORT_IN, portType(PORT_IN, 0, 1));
    wanted.set(PORT_OUT, portType(PORT_OUT, 1, 0));
  }
  let changed = false;
  for (const type of types.keys()) {
    if ((type.startsWith(PREFIX) || type === PORT_IN || type === PORT_OUT) && !wanted.has(type)) {
      types.delete(type);
      changed = true;
    }
  }
  for (const [type, t] of wanted) {
    const old = types.get(type);
    if (!old || JSON.stringify(old) !== JSON.stringify(t)) {
      types.set(type, t);
      changed = true;
    }
  }
  return changed;
}

function portType(type, inputs, outputs) {
  return { type, category: "subflows", inputs, outputs, color: "#eeeeee", config: false, hidden: true, help: "", editor: { defaults: {}, fields: [], paletteLabel: type, icon: "junction" } };
}

// ---------- the ports, drawn as nodes ----------

export function portId(sfId, dir, i) {
  return `${sfId}~${dir}~${i}`;
}

function parsePortId(id) {
  const p = typeof id === "string" ? id.split("~") : [];
  if (p.length !== 3 || (p[1] !== "in" && p[1] !== "out") || !/^\d+$/.test(p[2])) return null;
  return { sf: p[0], dir: p[1], i: Number(p[2]) };
}

/** The node a port id stands for on its definition's canvas, or undefined. */
export function portNode(model, id) {
  const p = parsePortId(id);
  const sf = p && model.nodes.get(p.sf);
  const port = sf && sf.type === "subflow" && (sf[p.dir] || [])[p.i];
  if (!port) return undefined;
  return {
    id,
    type: p.dir === "in" ? PORT_IN : PORT_OUT,
    z: sf.id,
    x: Number(port.x) || 0,
    y: Number(port.y) || 0,
    name: p.dir === "in" ? "input" : `output ${p.i + 1}`,
    wires: p.dir === "in" ? [(port.wires || []).map((w) => w.id)] : [],
  };
}

/** The port nodes of canvas `tabId` when it is a definition's. */
export function portNodes(model, tabId) {
  const sf = model.nodes.get(tabId);
  if (!sf || sf.type !== "subflow") return [];
  const ids = [...(sf.in || []).map((_, i) => portId(sf.id, "in", i)), ...(sf.out || []).map((_, i) => portId(sf.id, "out", i))];
  return ids.map((id) => portNode(model, id));
}

/** The wires into the output ports of definition `tabId`. */
export function portWires(model, tabId) {
  const sf = model.nodes.get(tabId);
  if (!sf || sf.type !== "subflow") return [];
  return (sf.out || []).flatMap((port, i) =>
    (port.wires || []).filter((w) => model.nodes.has(w.id)).map((w) => ({ source: w.id, port: Number(w.port) || 0, target: portId(sf.id, "out", i) })));
}

export function isPort(id) {
  return parsePortId(id) !== null;
}

/**
 * Connect or disconnect a wire that starts at an input port or ends at an
 * output port (a change of the definition's `in`/`out`). Answers false when
 * neither end is a port.
 */
export function editPortWire(model, source, port, target, connect) {
  const s = parsePortId(source);
  const t = parsePortId(target);
  const end = s && s.dir === "in" ? s : t && t.dir === "out" ? t : null;
  if (!end) return false;
  const sf = model.nodes.get(end.sf);
  const list = structuredClone(sf[end.dir] || []);
  const p = list[end.i];
  if (!p) return true;
  const wire = end === s ? { id: target } : { id: source, port };
  const same = (w) => w.id === wire.id && (end === s || (Number(w.port) || 0) === port);
  const has = (p.wires || []).some(same);
  if (connect === has || (connect && (s && t))) return true;
  p.wires = connect ? [...(p.wires || []), wire] : (p.wires || []).filter((w) => !same(w));
  model.edit(connect ? "connect" : "remove wire", (tx) => tx.set(sf.id, { [end.dir]: list }));
  return true;
}

/** Inside a move: move the ports among `ids` by dx, dy. */
export function movePorts(tx, model, ids, dx, dy) {
  const bySf = new Map();
  for (const id of ids) {
    const p = parsePortId(id);
    const sf = p && model.nodes.get(p.sf);
    if (!sf || !(sf[p.dir] || [])[p.i]) continue;
    if (!bySf.has(sf.id)) bySf.set(sf.id, { in: structuredClone(sf.in || []), out: structuredClone(sf.out || []) });
    const port = bySf.get(sf.id)[p.dir][p.i];
    port.x = Math.round(Number(port.x) + dx);
    port.y = Math.round(Number(port.y) + dy);
  }
  for (const [id, ports] of bySf) tx.set(id, ports);
}

/** Inside a delete: drop the port wires to or from deleted nodes. */
export function detachPorts(tx, model, doomed) {
  for (const sf of definitions(model)) {
    const keep = (p) => ({ ...p, wires: (p.wires || []).filter((w) => !doomed.has(w.id)) });
    const touched = (list) => (list || []).some((p) => (p.wires || []).some((w) => doomed.has(w.id)));
    if (touched(sf.in) || touched(sf.out)) tx.set(sf.id, { in: (sf.in || []).map(keep), out: (sf.out || []).map(keep) });
  }
}

// ---------- instance environment ----------

/**
 * The instance's `env` as Node-RED stores it: only the properties whose
 * type or value differ from the definition's, plus any the definition does
 * not define. `values` maps a property name to `{type, value}`.
 */
export function instanceEnv(sf, values, previous = []) {
  const defined = new Set((sf.env || []).map((e) => e.name));
  const out = [];
  for (const d of sf.env || []) {
    const v = values.get(d.name);
    if (v && (v.type !== d.type || v.value !== d.value)) out.push({ name: d.name, type: v.type, value: v.value });
  }
  for (const e of previous || []) if (!defined.has(e.name)) out.push(e);
  return out;
}

// ---------- selection to subflow ----------

/** "Subflow N", N one past the highest number in use (Node-RED's naming). */
function nextName(model) {
  let last = 0;
  for (const sf of definitions(model)) {
    const m = /^Subflow (\d+)$/.exec(sf.name || "");
    if (m) last = Math.max(last, Number(m[1]));
  }
  return `Subflow ${last + 1}`;
}

/**
 * Turn the nodes `ids` of the active tab (a selected group brings its
 * members) into a new subflow definition plus one instance in their place,
 * with Node-RED's `convertToSubflow` rules: wires leaving the selection
 * become output ports (one per source port, top to bottom), wires entering
 * it the input port, which only one node may receive. Answers
 * `{instance}` or `{error}`.
 */
export function selectionToSubflow(model, ids) {
  const tab = model.activeTab;
  const list = withMembers(model, ids).map((id) => model.nodes.get(id)).filter((n) => n && n.z === tab && n.type !== "subflow" && (n.type === "group" || n.x !== undefined));
  if (!list.some((n) => n.type !== "group")) return { error: "Cannot create subflow: no nodes selected" };
  const chosen = new Map(list.map((n) => [n.id, n]));
  const outerGroups = new Set(list.filter((n) => n.g && !chosen.has(n.g)).map((n) => n.g));
  if (outerGroups.size > 1) return { error: "Cannot create subflow across multiple groups" };
  const outer = [...outerGroups][0];

  const { inbound, outs } = boundary(model, tab, chosen);
  const inputNodes = [...new Set(inbound.map((l) => l.target))];
  if (inputNodes.length > 1) return { error: "Cannot create subflow: multiple inputs to selection" };

  const boxes = list.filter((n) => n.type !== "group").map((n) => ({ n, b: nodeBox(n, model.label(n), model.outputs(n)) }));
  const x0 = Math.min(...boxes.map(({ b }) => b.x0));
  const y0 = Math.min(...boxes.map(({ b }) => b.y0));
  const x1 = Math.max(...boxes.map(({ b }) => b.x0 + b.w));
  const y1 = Math.max(...boxes.map(({ b }) => b.y0 + b.h));
  const offX = Math.round(x0 - 140);
  const offY = Math.round(y0 - 60);
  const half = (n) => nodeBox(n, model.label(n), model.outputs(n)).w / 2;

  const sfId = freshId();
  const sf = {
    id: sfId,
    type: "subflow",
    name: nextName(model),
    info: "",
    category: "",
    in: inputNodes.map((id) => {
      const n = chosen.get(id);
      return { x: Math.round(n.x - half(n) - 80 - offX), y: Math.round(n.y - offY), wires: [{ id }] };
    }),
    out: outs.map((o) => ({ x: Math.round(o.source.x + half(o.source) + 80 - offX), y: Math.round(o.source.y - offY), wires: [{ id: o.source.id, port: o.port }] })),
    env: [],
    meta: {},
    color: COLOR,
  };
  const instance = {
    id: freshId(),
    type: PREFIX + sfId,
    z: tab,
    name: "",
    env: [],
    x: Math.round((x0 + x1) / 2),
    y: Math.round((y0 + y1) / 2),
    wires: outs.map((o) => [...o.targets]),
  };
  if (outer) instance.g = outer;

  model.edit("selection to subflow", (tx) => {
    tx.add(sf);
    tx.add(instance);
    // Wires into the selection now go into the instance.
    for (const src of new Set(inbound.map((l) => l.source))) {
      const wires = src.wires.map((ts) => {
        const kept = (ts || []).filter((t) => !chosen.has(t));
        return kept.length !== (ts || []).length && !kept.includes(instance.id) ? [...kept, instance.id] : kept;
      });
      tx.set(src.id, { wires });
    }
    for (const n of list) {
      const props = { z: sfId, x: Math.round(n.x - offX), y: Math.round(n.y - offY) };
      if (Array.isArray(n.wires)) props.wires = n.wires.map((ts) => (ts || []).filter((t) => chosen.has(t)));
      if (n.g && !chosen.has(n.g)) props.g = undefined;
      if (Array.isArray(n.links)) props.links = n.links.filter((id) => chosen.has(id));
      tx.set(n.id, props);
    }
    // Links to nodes left outside lose their way back, as in Node-RED.
    for (const other of model.nodes.values()) {
      if (chosen.has(other.id) || !Array.isArray(other.links)) continue;
      if (other.links.some((id) => chosen.has(id))) tx.set(other.id, { links: other.links.filter((id) => !chosen.has(id)) });
    }
    if (outer && model.nodes.get(outer)) {
      const g = model.nodes.get(outer);
      tx.set(outer, { nodes: [...(g.nodes || []).filter((id) => !chosen.has(id)), instance.id] });
      refit(tx, model, [outer]);
    }
  });
  return { instance: instance.id, subflow: sfId };
}

/**
 * The wires crossing the edge of `chosen` on `tab`: those entering it, and
 * those leaving it grouped by source port (top to bottom by the source's y).
 */
function boundary(model, tab, chosen) {
  const inbound = [];
  const outputs = new Map();
  for (const n of model.nodes.values()) {
    if (n.z !== tab || !Array.isArray(n.wires)) continue;
    n.wires.forEach((targets, port) => {
      for (const t of targets || []) {
        if (chosen.has(n.id) && !chosen.has(t) && model.nodes.has(t)) {
          const key = `${n.id}:${port}`;
          if (!outputs.has(key)) outputs.set(key, { source: n, port, targets: [] });
          outputs.get(key).targets.push(t);
        } else if (!chosen.has(n.id) && chosen.has(t)) inbound.push({ source: n, port, target: t });
      }
    });
  }
  return { inbound, outs: [...outputs.values()].sort((a, b) => a.source.y - b.source.y) };
}

// ---------- subflow tabs ----------

/** Show definition `id`'s canvas as a tab. */
export function openSubflow(model, id) {
  const sf = model.nodes.get(id);
  if (!sf || sf.type !== "subflow") return;
  model.openSubflows.add(id);
  model.setActiveTab(id);
  model.emit({ tab: true });
}

/** Close a definition's tab, showing the first flow again if it was active. */
export function closeSubflow(model, id) {
  model.openSubflows.delete(id);
  if (model.activeTab === id) {
    const first = model.tabs()[0];
    model.activeTab = null;
    model.setActiveTab(first ? first.id : null);
  }
  model.emit({ tab: true });
}

/** The open definitions that still exist. */
export function openSubflows(model) {
  for (const id of model.openSubflows) if (model.nodes.get(id)?.type !== "subflow") model.openSubflows.delete(id);
  return [...model.openSubflows].map((id) => model.nodes.get(id));
}

// The flow being edited: Node-RED's flat list of node objects (tabs, canvas
// nodes, config nodes, anything unknown kept verbatim), changed only through
// `edit()` so every change is undoable and observed by the views.

import { History } from "./history.js";
import { clone, freshId } from "./util.js";
import { TypeRegistry } from "./types.js";
import { indexOf, insertAt, tabOrder, setTabOrder } from "./order.js";
import { withMembers, moveItems, detachDeleted } from "./groups.js";
import { syncTypes, portNode, portNodes, portWires, isPort, editPortWire, movePorts, detachPorts } from "./subflows.js";

const STRUCTURAL = new Set(["tab", "subflow", "group"]);

/** A node drawn on a tab's canvas (it has a position). */
export function isCanvasNode(n) {
  return !STRUCTURAL.has(n.type) && n.x !== undefined && n.y !== undefined && n.z !== undefined;
}

/** A config node: shared settings referenced by id, listed in the side panel. */
export function isConfigNode(n) {
  return !STRUCTURAL.has(n.type) && !isCanvasNode(n);
}

export class FlowModel extends EventTarget {
  constructor() {
    super();
    this.nodes = new Map();
    this.types = new TypeRegistry();
    this.history = new History();
    this.rev = null;
    /** Deploy problems by node id: list of messages. */
    this.problems = new Map();
    /** The deployed JSON of each node, to mark what changed since. */
    this.deployed = new Map();
    this.activeTab = null;
    /** Subflow definitions shown as tabs. */
    this.openSubflows = new Set();
  }

  // ---------- queries ----------

  get(id) {
    return this.nodes.get(id) ?? portNode(this, id);
  }

  tabs() {
    return [...this.nodes.values()].filter((n) => n.type === "tab");
  }

  /** The nodes drawn on canvas `tabId` (a subflow's canvas adds its ports). */
  canvasNodes(tabId) {
    return [...this.nodes.values()].filter((n) => isCanvasNode(n) && n.z === tabId).concat(portNodes(this, tabId));
  }

  groups(tabId) {
    return [...this.nodes.values()].filter((n) => n.type === "group" && n.z === tabId);
  }

  configNodes() {
    return [...this.nodes.values()].filter(isConfigNode);
  }

  /** Every wire of a tab: `{source, port, target}`. */
  wires(tabId) {
    const out = [];
    for (const n of this.canvasNodes(tabId)) {
      (n.wires || []).forEach((targets, port) => {
        for (const target of targets || []) {
          const t = this.nodes.get(target);
          if (t && t.z === tabId) out.push({ source: n.id, port, target });
        }
      });
    }
    return out.concat(portWires(this, tabId));
  }

  /** Nodes that reference config node `id` in one of their fields. */
  usersOf(id) {
    return [...this.nodes.values()].filter(
      (n) => n.id !== id && Object.entries(n).some(([k, v]) => v === id && k !== "z" && k !== "g"),
    );
  }

  /** The label Node-RED would show: the name, else the type's label rule, else the type. */
  label(n) {
    if (n.type === "tab") return n.label || n.id;
    if (n.name) return String(n.name);
    return this.types.defaultLabel(n);
  }

  inputs(n) {
    return this.types.inputsOf(n);
  }

  outputs(n) {
    return this.types.outputsOf(n);
  }

  /** How many nodes were added, changed or deleted since the deploy. */
  changedCount() {
    let n = 0;
    for (const node of this.nodes.values()) if (this.isChanged(node)) n += 1;
    for (const id of this.deployed.keys()) if (!this.nodes.has(id)) n += 1;
    return n;
  }

  /** Whether a node differs from what is deployed. */
  isChanged(n) {
    if (!this.nodes.has(n.id)) return false;
    return this.deployed.get(n.id) !== JSON.stringify(n);
  }

  /** The full flow list to deploy or export, in a stable order. */
  toJSON() {
    return [...this.nodes.values()].map(clone);
  }

  isDirty() {
    return this.history.isDirty();
  }

  // ---------- loading ----------

  /**
   * Replace everything with flows from the runtime (clears undo history).
   * The model takes `flows`' objects as they are (they come freshly parsed),
   * and tells its views once: opening a large flow is one change, not three.
   */
  load(flows, rev) {
    this.nodes.clear();
    for (const n of ensureTabs(flows)) this.nodes.set(n.id, n);
    this.rev = rev || null;
    this.problems.clear();
    this.rememberDeployed();
    this.history.reset();
    const tabs = this.tabs();
    if (!tabs.some((t) => t.id === this.activeTab)) this.activeTab = tabs[0] && tabs[0].id;
    this.emit({ reset: true, deployed: true });
  }

  /** Remember the current state as deployed. */
  markDeployed(rev) {
    if (rev !== undefined) this.rev = rev;
    this.rememberDeployed();
    this.emit({ deployed: true });
  }

  /** Keep each node's JSON as deployed and mark the history saved. */
  rememberDeployed() {
    this.deployed.clear();
    for (const n of this.nodes.values()) {
      // Secrets typed in the editor have been sent; forget them.
      if (n.credentials) n.credentials = redactCredentials(n.credentials);
      this.deployed.set(n.id, JSON.stringify(n));
    }
    this.history.markSaved();
  }

  setProblems(problems) {
    this.problems = problems;
    this.emit({ problems: true });
  }

  setActiveTab(id) {
    if (this.activeTab === id) return;
    this.activeTab = id;
    this.emit({ tab: true });
  }

  // ---------- editing ----------

  /**
   * Run `fn(tx)` as one undoable edit. `tx` offers `add(node)`,
   * `remove(id)` and `set(id, props)` (a value of `undefined` deletes a
   * property), plus the higher-level helpers below.
   */
  edit(label, fn) {
    const steps = [];
    const changed = new Set();
    const tx = {
      add: (node) => {
        const n = clone(node);
        steps.push({ op: { op: "add", node: clone(n) }, inverse: this.apply({ op: "add", node: n }) });
        changed.add(n.id);
        return n;
      },
      remove: (id) => {
        if (!this.nodes.has(id)) return;
        steps.push({ op: { op: "remove", id }, inverse: this.apply({ op: "remove", id }) });
        changed.add(id);
      },
      set: (id, props) => {
        if (!this.nodes.has(id)) return;
        steps.push({ op: { op: "set", id, props: clone(props) }, inverse: this.apply({ op: "set", id, props: clone(props) }) });
        changed.add(id);
      },
      /** Put the tabs in the order of `ids` (Node-RED's flow order). */
      order: (ids) => {
        steps.push({ op: { op: "order", ids: [...ids] }, inverse: this.apply({ op: "order", ids: [...ids] }) });
      },
      model: this,
    };
    const result = fn(tx);
    this.history.push(label, steps);
    if (steps.length) this.emit({ changed });
    return result;
  }

  undo() {
    const e = this.history.takeUndo();
    if (!e) return null;
    const changed = new Set();
    for (const s of [...e.steps].reverse()) changed.add(this.applyQuiet(s.inverse));
    this.emit({ changed, undo: true });
    this.showEdited(changed);
    return e.label;
  }

  redo() {
    const e = this.history.takeRedo();
    if (!e) return null;
    const changed = new Set();
    for (const s of e.steps) changed.add(this.applyQuiet(s.op));
    this.emit({ changed, redo: true });
    this.showEdited(changed);
    return e.label;
  }

  /**
   * After an undo or redo, show the flow it changed (as Node-RED does) when
   * that is not the one on screen, and never a flow that no longer exists.
   */
  showEdited(changed) {
    const tabOf = (n) => (n.type === "tab" || n.type === "subflow" ? n.id : isCanvasNode(n) || n.type === "group" ? n.z : null);
    const tabs = [...changed].map((id) => this.get(id)).map((n) => n && tabOf(n)).filter((t) => t && this.get(t));
    if (tabs.includes(this.activeTab) && this.get(this.activeTab)) return;
    if (tabs.length) this.setActiveTab(tabs[0]);
    else if (!this.get(this.activeTab)) this.setActiveTab((this.tabs()[0] || {}).id || null);
  }

  applyQuiet(op) {
    this.apply(clone(op));
    return op.id || (op.node && op.node.id) || null;
  }

  /** Apply one primitive operation and answer its inverse. */
  apply(op) {
    switch (op.op) {
      case "add":
        insertAt(this.nodes, op.node, op.index);
        return { op: "remove", id: op.node.id };
      case "remove": {
        const old = this.nodes.get(op.id);
        const index = indexOf(this.nodes, op.id);
        this.nodes.delete(op.id);
        return { op: "add", node: clone(old), index };
      }
      case "order": {
        const old = tabOrder(this.nodes);
        setTabOrder(this.nodes, op.ids);
        return { op: "order", ids: old };
      }
      case "set": {
        const n = this.nodes.get(op.id);
        const old = {};
        for (const [k, v] of Object.entries(op.props)) {
          old[k] = k in n ? clone(n[k]) : undefined;
          if (v === undefined) delete n[k];
          else n[k] = v;
        }
        return { op: "set", id: op.id, props: old };
      }
      default:
        throw new Error(`unknown operation ${op.op}`);
    }
  }

  emit(detail) {
    // Subflow definitions are node types: keep the registry in step.
    detail.types = syncTypes(this);
    this.dispatchEvent(new CustomEvent("change", { detail }));
  }

  // ---------- edits users make ----------

  /** Connect `source` port `port` to `target` (no duplicates, no self-loops). */
  connect(source, port, target) {
    const s = this.get(source);
    const t = this.get(target);
    if (!s || !t || source === target || this.inputs(t) === 0) return false;
    if (isPort(source) || isPort(target)) return editPortWire(this, source, port, target, true);
    const wires = padWires(s.wires, this.outputs(s));
    if (wires[port].includes(target)) return false;
    wires[port] = [...wires[port], target];
    this.edit("connect", (tx) => tx.set(source, { wires }));
    return true;
  }

  disconnect(source, port, target) {
    const s = this.get(source);
    if (!s) return;
    if (isPort(source) || isPort(target)) {
      editPortWire(this, source, port, target, false);
      return;
    }
    const wires = padWires(s.wires, this.outputs(s));
    wires[port] = wires[port].filter((t) => t !== target);
    this.edit("remove wire", (tx) => tx.set(source, { wires }));
  }

  /** Delete nodes (a group with its members) and every wire into them. */
  deleteNodes(ids) {
    const doomed = new Set(withMembers(this, ids));
    if (!doomed.size) return;
    this.edit(`delete ${doomed.size} node${doomed.size === 1 ? "" : "s"}`, (tx) => {
      for (const n of this.nodes.values()) {
        if (doomed.has(n.id) || !Array.isArray(n.wires)) continue;
        if (n.wires.some((ts) => (ts || []).some((t) => doomed.has(t)))) {
          tx.set(n.id, { wires: n.wires.map((ts) => (ts || []).filter((t) => !doomed.has(t))) });
        }
      }
      detachDeleted(tx, this, doomed);
      detachPorts(tx, this, doomed);
      for (const id of doomed) tx.remove(id);
    });
  }

  /** Move nodes by a delta (one undoable step). */
  moveNodes(ids, dx, dy) {
    if (!ids.length || (!dx && !dy)) return;
    this.edit("move", (tx) => {
      moveItems(tx, this, ids, dx, dy);
      movePorts(tx, this, ids, dx, dy);
    });
  }

  /** A new node of `type` at (x, y) on the active tab, with the type's defaults. */
  createNode(type, x, y) {
    const node = this.types.instantiate(type, this.types.isConfig(type) ? "" : this.activeTab);
    if (!this.types.isConfig(type)) {
      node.x = Math.round(x);
      node.y = Math.round(y);
    }
    return this.edit(`add ${type}`, (tx) => tx.add(node));
  }

  /**
   * Add a flow tab named as Node-RED names it ("Flow N", the first N not
   * taken), at `index` in the tab order (the end by default), and show it.
   */
  addTab(index) {
    const names = new Set(this.tabs().map((t) => t.label));
    let n = 1;
    while (names.has(`Flow ${n}`)) n += 1;
    const tab = { id: freshId(), type: "tab", label: `Flow ${n}`, disabled: false, info: "", env: [] };
    const order = tabOrder(this.nodes);
    order.splice(index === undefined ? order.length : index, 0, tab.id);
    this.edit("add flow", (tx) => {
      tx.add(tab);
      tx.order(order);
    });
    this.setActiveTab(tab.id);
    return tab.id;
  }

  /** Move tab `id` to position `index` of the tab order. */
  moveTab(id, index) {
    const order = tabOrder(this.nodes).filter((t) => t !== id);
    order.splice(Math.max(0, Math.min(index, order.length)), 0, id);
    if (order.join() === tabOrder(this.nodes).join()) return;
    this.edit("reorder flows", (tx) => tx.order(order));
  }

  setTabDisabled(id, disabled) {
    const tab = this.get(id);
    if (!tab || tab.type !== "tab" || !!tab.disabled === disabled) return;
    this.edit(disabled ? "disable flow" : "enable flow", (tx) => tx.set(id, { disabled }));
  }

  /**
   * Delete a flow tab with every node on it, and the wires and links into
   * them from elsewhere, as one undoable edit; the neighbouring tab is shown.
   * The last tab stays (Node-RED's rule).
   */
  deleteTab(id) {
    const order = tabOrder(this.nodes);
    const at = order.indexOf(id);
    if (at < 0 || order.length < 2) return false;
    const doomed = new Set([...this.nodes.values()].filter((n) => n.z === id).map((n) => n.id));
    this.edit("delete flow", (tx) => {
      for (const n of this.nodes.values()) {
        if (doomed.has(n.id) || n.id === id) continue;
        const props = {};
        if (Array.isArray(n.wires) && n.wires.some((ts) => (ts || []).some((t) => doomed.has(t)))) {
          props.wires = n.wires.map((ts) => (ts || []).filter((t) => !doomed.has(t)));
        }
        if (Array.isArray(n.links) && n.links.some((t) => doomed.has(t))) props.links = n.links.filter((t) => !doomed.has(t));
        if (Object.keys(props).length) tx.set(n.id, props);
      }
      for (const nid of doomed) tx.remove(nid);
      tx.remove(id);
    });
    this.setActiveTab(order[at + 1] || order[at - 1]);
    return true;
  }
}

/** `wires` with one (copied) list per output port. */
export function padWires(wires, outputs) {
  const w = (wires || []).map((ts) => [...(ts || [])]);
  while (w.length < outputs) w.push([]);
  return w;
}

/**
 * Node-RED creates the tab a flow's nodes refer to when the export has none
 * (the Ignite export), and a first tab when there is nothing at all.
 */
export function ensureTabs(flows) {
  const out = [...flows];
  const tabIds = new Set(out.filter((n) => n.type === "tab").map((n) => n.id));
  const subflows = new Set(out.filter((n) => n.type === "subflow").map((n) => n.id));
  let count = tabIds.size;
  for (const n of flows) {
    if (!isCanvasNode(n) && n.type !== "group") continue;
    if (!n.z || tabIds.has(n.z) || subflows.has(n.z)) continue;
    count += 1;
    tabIds.add(n.z);
    out.unshift({ id: n.z, type: "tab", label: `Flow ${count}`, disabled: false, info: "", env: [] });
  }
  if (tabIds.size === 0) out.unshift({ id: freshId(), type: "tab", label: "Flow 1", disabled: false, info: "", env: [] });
  return out;
}

/** Keep only the `has_*` flags of credentials (what the runtime reports). */
function redactCredentials(creds) {
  const out = {};
  for (const [k, v] of Object.entries(creds)) {
    if (k.startsWith("has_")) out[k] = v;
    else if (v !== undefined && v !== "") out[`has_${k}`] = true;
  }
  return out;
}

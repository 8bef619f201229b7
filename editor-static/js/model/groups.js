// Groups as Node-RED 1.1+ keeps them: a `group` node with the ids of its
// members in `nodes` (nodes and nested groups), each member pointing back
// with `g`, and the box `x, y, w, h` around the members. Every change here
// runs inside a model edit (`tx`), so it is undone with the edit.

import { freshId } from "./util.js";
import { nodeBox, textWidth } from "../view/geometry.js";

/** Node-RED's margin between a group's border and its members. */
const MARGIN = 26;
/** An empty group's size in Node-RED. */
const EMPTY = 40;

/**
 * The style Node-RED gives a new group: its theme's defaults written out,
 * so the export reads the same as one made in Node-RED.
 */
export const DEFAULT_STYLE = Object.freeze({
  stroke: "#999999",
  "stroke-opacity": "1",
  fill: "none",
  "fill-opacity": "1",
  label: true,
  "label-position": "nw",
  color: "#767676",
});

/** The members of group `g` that exist, in its `nodes` order. */
export function members(model, g) {
  return (g.nodes || []).map((id) => model.get(id)).filter(Boolean);
}

/** `ids` with every selected group's members (nested groups too) added. */
export function withMembers(model, ids) {
  const out = new Set();
  const visit = (id) => {
    if (out.has(id)) return;
    const n = model.get(id);
    if (!n) return;
    out.add(id);
    if (n.type === "group") for (const m of n.nodes || []) visit(m);
  };
  ids.forEach(visit);
  return [...out];
}

/**
 * The box a group is drawn in, from its members as Node-RED's view computes
 * it: each node's box plus the margin (nested groups' boxes plus the
 * margin), at least wide enough for its label; 40×40 when empty.
 * `boxOf(node)` answers a node's drawn box.
 */
export function groupBounds(model, g, boxOf, memo = new Map()) {
  if (memo.has(g.id)) return memo.get(g.id);
  memo.set(g.id, null); // a group that contains itself counts as empty
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const m of members(model, g)) {
    const b = m.type === "group" ? groupBounds(model, m, boxOf, memo) : boxOf(m);
    if (!b) continue;
    x0 = Math.min(x0, b.x - MARGIN);
    y0 = Math.min(y0, b.y - MARGIN);
    x1 = Math.max(x1, b.x + b.w + MARGIN);
    y1 = Math.max(y1, b.y + b.h + MARGIN);
  }
  const style = g.style || {};
  const minWidth = style.label && g.name ? textWidth(String(g.name)) + 8 : EMPTY;
  const box = x0 === Infinity
    ? { x: Number(g.x) || 0, y: Number(g.y) || 0, w: Math.max(EMPTY, minWidth), h: EMPTY }
    : { x: x0, y: y0, w: Math.max(x1 - x0, minWidth), h: y1 - y0 };
  memo.set(g.id, box);
  return box;
}

/** A node's box as the canvas draws it, `{x, y, w, h}`. */
export function drawnBox(model, n) {
  const b = nodeBox(n, model.label(n), model.outputs(n));
  return { x: b.x0, y: b.y0, w: b.w, h: b.h };
}

/** Store the drawn box of `groupIds` and the groups around them (after a move). */
export function refit(tx, model, groupIds) {
  const todo = new Set();
  for (let id of groupIds) {
    while (id && !todo.has(id) && model.get(id)) {
      todo.add(id);
      id = model.get(id).g;
    }
  }
  const memo = new Map();
  for (const id of todo) {
    const b = groupBounds(model, model.get(id), (n) => drawnBox(model, n), memo);
    const r = (v) => Math.round(v);
    tx.set(id, { x: r(b.x), y: r(b.y), w: r(b.w), h: r(b.h) });
  }
}

/**
 * Group `ids` (nodes and groups of one tab, all in the same group or in
 * none), as Node-RED's "Group selection": the new group takes their place
 * in their group. Answers the new group's id, or an error message.
 */
export function groupSelection(model, ids) {
  const items = ids.map((id) => model.get(id)).filter((n) => n && n.z === model.activeTab && (n.type === "group" || n.x !== undefined));
  if (!items.length) return { error: "Select the nodes to group" };
  const parent = items[0].g;
  if (items.some((n) => n.g !== parent)) return { error: "Cannot create group: the nodes are in different groups" };
  const group = { id: freshId(), type: "group", z: model.activeTab, name: "", style: { ...DEFAULT_STYLE }, nodes: items.map((n) => n.id), x: 0, y: 0, w: 0, h: 0 };
  if (parent) group.g = parent;
  model.edit("group", (tx) => {
    tx.add(group);
    for (const n of items) tx.set(n.id, { g: group.id });
    if (parent) {
      const p = model.get(parent);
      const inside = new Set(group.nodes);
      tx.set(parent, { nodes: [...(p.nodes || []).filter((id) => !inside.has(id)), group.id] });
    }
    refit(tx, model, [group.id]);
  });
  return { id: group.id };
}

/**
 * Ungroup the groups among `ids`: their members move to the group around
 * them (or to none) and the groups go. Answers the former members.
 */
export function ungroupSelection(model, ids) {
  const groups = ids.map((id) => model.get(id)).filter((n) => n && n.type === "group");
  const freed = [];
  if (!groups.length) return freed;
  model.edit("ungroup", (tx) => {
    for (const g of groups) {
      const inner = members(model, g);
      for (const m of inner) tx.set(m.id, { g: g.g || undefined });
      if (g.g && model.get(g.g)) {
        const p = model.get(g.g);
        tx.set(p.id, { nodes: [...(p.nodes || []).filter((id) => id !== g.id), ...inner.map((m) => m.id)] });
      }
      tx.remove(g.id);
      freed.push(...inner.map((m) => m.id));
    }
  });
  return freed;
}

/**
 * Inside a delete of `doomed` (ids, groups already expanded to their
 * members): take the deleted nodes out of the `nodes` of the groups that
 * stay, as Node-RED's `removeFromGroup` does.
 */
export function detachDeleted(tx, model, doomed) {
  const lists = new Map();
  for (const id of doomed) {
    const n = model.get(id);
    if (!n || !n.g || doomed.has(n.g) || !model.get(n.g)) continue;
    if (!lists.has(n.g)) lists.set(n.g, new Set());
    lists.get(n.g).add(id);
  }
  for (const [gid, gone] of lists) {
    tx.set(gid, { nodes: (model.get(gid).nodes || []).filter((id) => !gone.has(id)) });
  }
}

/**
 * Inside a move: move `ids` by dx, dy, a group with everything in it, then
 * fit the moved groups and the groups around what moved to their members
 * (the stored box is the drawn one, as in Node-RED's export).
 */
export function moveItems(tx, model, ids, dx, dy) {
  const all = withMembers(model, ids.filter((id) => model.nodes.has(id)));
  const moved = new Set(all);
  const around = [];
  for (const id of all) {
    const n = model.nodes.get(id);
    // A group's box is refitted to its moved members below.
    if (n.type === "group") around.push(id);
    else if (typeof n.x === "number" && typeof n.y === "number") tx.set(id, { x: Math.round(n.x + dx), y: Math.round(n.y + dy) });
    if (n.g && !moved.has(n.g)) around.push(n.g);
  }
  if (around.length) refit(tx, model, around);
}

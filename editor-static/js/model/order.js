// The order of the flow's node list. Node-RED keeps it: the tabs' order is
// the order of the flow tabs, and a deleted node comes back where it was
// when the delete is undone. Both are kept here as operations on the model's
// id → node Map (a Map iterates in insertion order).

/** The position of `id` in `nodes`, or -1. */
export function indexOf(nodes, id) {
  let i = 0;
  for (const k of nodes.keys()) {
    if (k === id) return i;
    i += 1;
  }
  return -1;
}

/** Put `node` at position `index` (at the end when there is no index). */
export function insertAt(nodes, node, index) {
  nodes.delete(node.id);
  if (index === undefined || index < 0 || index >= nodes.size) {
    nodes.set(node.id, node);
    return;
  }
  const entries = [...nodes.entries()];
  entries.splice(index, 0, [node.id, node]);
  rebuild(nodes, entries);
}

/** The ids of the tabs in their order. */
export function tabOrder(nodes) {
  return [...nodes.values()].filter((n) => n.type === "tab").map((n) => n.id);
}

/**
 * Reorder the tabs as `ids` lists them (tabs it does not list follow in
 * their current order); the tabs take the places tabs had, every other
 * node keeps its place.
 */
export function setTabOrder(nodes, ids) {
  const current = tabOrder(nodes);
  const wanted = [...ids.filter((id) => current.includes(id)), ...current.filter((id) => !ids.includes(id))];
  let next = 0;
  const entries = [...nodes.entries()].map(([k, n]) => (n.type === "tab" ? [wanted[next], nodes.get(wanted[next++])] : [k, n]));
  rebuild(nodes, entries);
}

function rebuild(nodes, entries) {
  nodes.clear();
  for (const [k, v] of entries) nodes.set(k, v);
}

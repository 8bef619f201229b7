// The structural edits Node-RED offers on the selection — group
// (Ctrl+Shift+G), ungroup (Ctrl+Shift+U) and "Selection to Subflow" — as
// one set of actions for the keyboard and the toolbar buttons, which are
// enabled only when the selection allows them.

import { groupSelection, ungroupSelection } from "./model/groups.js";
import { selectionToSubflow } from "./model/subflows.js";

export function setupEditActions({ model, selection, notify, buttons }) {
  const actions = {
    group() {
      const r = groupSelection(model, selection.ids());
      if (r.error) notify(r.error, { kind: "error" });
      else selection.set([r.id]);
    },
    ungroup() {
      const freed = ungroupSelection(model, selection.ids());
      if (freed.length) selection.set(freed);
    },
    toSubflow() {
      const r = selectionToSubflow(model, selection.ids());
      if (r.error) notify(r.error, { kind: "error" });
      else selection.set([r.instance]);
    },
  };
  const refresh = () => {
    const picked = selection.ids().map((id) => model.nodes.get(id)).filter(Boolean);
    const onCanvas = picked.filter((n) => n.z === model.activeTab && (n.type === "group" || n.x !== undefined));
    buttons.group.disabled = !onCanvas.length;
    buttons.ungroup.disabled = !picked.some((n) => n.type === "group");
    buttons.toSubflow.disabled = !onCanvas.some((n) => n.type !== "group") && !onCanvas.some((n) => n.type === "group" && (n.nodes || []).length);
  };
  buttons.group.addEventListener("click", () => actions.group());
  buttons.ungroup.addEventListener("click", () => actions.ungroup());
  buttons.toSubflow.addEventListener("click", () => actions.toSubflow());
  selection.addEventListener("change", refresh);
  model.addEventListener("change", refresh);
  refresh();
  return actions;
}

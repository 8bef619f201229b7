// The flow tabs' menu, as Node-RED's: right-click a tab (or the ▾ button at
// the end of the tab bar, for the tab on screen) to edit, add, enable or
// disable, move or delete a flow. Every entry is one undoable edit.

import { el } from "../model/util.js";
import { confirmDialog } from "../ui/dialog.js";

/**
 * Delete a flow tab and its nodes after asking (one copy of the rule for the
 * menu and the flow's form); answers whether it was deleted.
 */
export async function deleteTabAsking(model, id) {
  const tab = model.get(id);
  if (!tab || model.tabs().length < 2) return false;
  const count = [...model.nodes.values()].filter((n) => n.z === id).length;
  const what = count ? ` and its ${count} node${count === 1 ? "" : "s"}` : "";
  const ok = await confirmDialog("Delete flow", `Delete the flow "${model.label(tab)}"${what}? Undo (Ctrl+Z) brings it back.`, "Delete");
  return ok && model.deleteTab(id);
}

export class TabMenu {
  constructor({ model, onEdit }) {
    this.model = model;
    this.onEdit = onEdit;
    this.el = null;
    this.onOutside = (e) => {
      if (this.el && !this.el.contains(e.target)) this.close();
    };
    this.onKey = (e) => {
      if (e.key === "Escape") this.close();
    };
  }

  /** The entries for tab `id`: `[label, action, enabled]`, null for a separator. */
  entries(id) {
    const model = this.model;
    const tab = model.get(id);
    const order = model.tabs().map((t) => t.id);
    const at = order.indexOf(id);
    return [
      ["Edit flow…", "edit", () => this.onEdit(id), true],
      null,
      ["Add flow", "add", () => model.addTab(), true],
      ["Add flow to the right", "add-right", () => model.addTab(at + 1), true],
      null,
      tab.disabled
        ? ["Enable flow", "enable", () => model.setTabDisabled(id, false), true]
        : ["Disable flow", "disable", () => model.setTabDisabled(id, true), true],
      ["Move to start", "move-start", () => model.moveTab(id, 0), at > 0],
      ["Move to end", "move-end", () => model.moveTab(id, order.length - 1), at < order.length - 1],
      null,
      ["Delete", "delete", () => deleteTabAsking(model, id), order.length > 1],
    ];
  }

  /** Open the menu for tab `id` at a viewport point. */
  open(id, x, y) {
    this.close();
    if (!this.model.get(id)) return;
    const items = this.entries(id).map((e) => {
      if (!e) return el("hr");
      const [label, action, run, enabled] = e;
      const b = el("button", { role: "menuitem", dataset: { action }, text: label, disabled: !enabled });
      b.addEventListener("click", () => {
        this.close();
        run();
      });
      return b;
    });
    this.el = el("div", { class: "tab-menu", role: "menu", dataset: { tab: id } }, items);
    this.el.style.left = `${x}px`;
    this.el.style.top = `${y}px`;
    document.body.append(this.el);
    const r = this.el.getBoundingClientRect();
    if (r.right > innerWidth) this.el.style.left = `${Math.max(0, innerWidth - r.width - 4)}px`;
    document.addEventListener("pointerdown", this.onOutside, true);
    document.addEventListener("keydown", this.onKey);
  }

  close() {
    if (!this.el) return;
    this.el.remove();
    this.el = null;
    document.removeEventListener("pointerdown", this.onOutside, true);
    document.removeEventListener("keydown", this.onKey);
  }
}

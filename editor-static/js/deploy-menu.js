// The deploy button's menu, as Node-RED's: the deploy mode (Full, Modified
// Flows, Modified Nodes — Node-RED's deployment types `full`, `flows`,
// `nodes`) that the button then uses and names, and "Restart Flows", which
// restarts the deployed flows at once. The chosen mode is kept in the
// browser, as Node-RED keeps it per user.

import { el } from "./model/util.js";

const MODE_KEY = "flowgate.deployMode";

export const MODES = [
  { type: "full", label: "Full", button: "Deploy", desc: "Deploys everything in the workspace" },
  { type: "flows", label: "Modified Flows", button: "Deploy modified flows", desc: "Only deploys flows that contain changed nodes" },
  { type: "nodes", label: "Modified Nodes", button: "Deploy modified nodes", desc: "Only deploys nodes that have changed" },
];

/**
 * Build the menu in `menu`, opened by `toggle`; `label` shows the mode.
 * Answers `{mode()}`, the deployment type to send.
 */
export function setupDeployMenu({ toggle, menu, label, onRestart }) {
  let mode = MODES.some((m) => m.type === localStorage.getItem(MODE_KEY)) ? localStorage.getItem(MODE_KEY) : "full";
  const items = MODES.map((m) => {
    const item = el("button", { class: "deploy-menu-item", role: "menuitemradio", dataset: { mode: m.type } },
      el("span", { class: "check" }), el("span", { class: "label", text: m.label }), el("span", { class: "desc", text: m.desc }));
    item.addEventListener("click", () => {
      mode = m.type;
      localStorage.setItem(MODE_KEY, mode);
      show();
      close();
    });
    return item;
  });
  const restart = el("button", { class: "deploy-menu-item", role: "menuitem", dataset: { action: "restart" } },
    el("span", { class: "check" }), el("span", { class: "label", text: "Restart Flows" }), el("span", { class: "desc", text: "Restarts the current deployed flows" }));
  restart.addEventListener("click", () => {
    close();
    onRestart();
  });
  menu.replaceChildren(...items, el("hr"), restart);

  const show = () => {
    const m = MODES.find((x) => x.type === mode);
    label.textContent = m.button;
    for (const item of items) item.setAttribute("aria-checked", String(item.dataset.mode === mode));
  };
  const close = () => {
    menu.hidden = true;
    document.removeEventListener("pointerdown", outside, true);
  };
  const outside = (e) => {
    if (!menu.contains(e.target) && !toggle.contains(e.target)) close();
  };
  toggle.addEventListener("click", () => {
    if (!menu.hidden) return close();
    menu.hidden = false;
    document.addEventListener("pointerdown", outside, true);
  });
  show();
  return { mode: () => mode };
}

// Starts the editor: loads node types and flows from the runtime, builds the
// views, wires the toolbar, and follows live events over /comms.

import { api, connectComms, onLoginRequired } from "./api.js";
import { FlowModel } from "./model/model.js";
import { Clipboard } from "./model/importer.js";
import { Selection } from "./view/selection.js";
import { Canvas } from "./view/canvas.js";
import { Interaction } from "./view/interaction.js";
import { Palette } from "./view/palette.js";
import { TabBar } from "./view/tabs.js";
import { Trays } from "./forms/tray.js";
import { InfoPanel } from "./sidebar/info.js";
import { ConfigPanel } from "./sidebar/config.js";
import { DebugPanel } from "./sidebar/debug.js";
import { HelpPanel } from "./sidebar/help.js";
import { ContextPanel } from "./sidebar/context.js";
import { setupSidebarTabs } from "./sidebar/tabs.js";
import { openImportDialog, openExportDialog } from "./ui/import-export.js";
import { openTokenConsole } from "./tokens/console.js";
import { notify } from "./ui/notify.js";
import { login } from "./ui/login.js";
import { deploy, restartFlows } from "./deploy.js";
import { setupDeployMenu } from "./deploy-menu.js";
import { isCanvasNode } from "./model/model.js";
import { PasteHandler } from "./view/paste.js";
import { bindKeys, shortcutOf } from "./view/keyboard.js";
import { Search } from "./ui/search.js";
import { QuickAdd } from "./ui/quick-add.js";
import { setupEditActions } from "./edit-actions.js";

const $ = (id) => document.getElementById(id);

function start() {
  const model = new FlowModel();
  const selection = new Selection();
  const canvas = new Canvas($("chart"), model, selection);
  const trays = new Trays({ host: $("tray-host"), model, selection });
  const clipboard = new Clipboard(model);
  const sidebar = setupSidebarTabs($("sidebar"));

  const actions = setupEditActions({
    model,
    selection,
    notify,
    buttons: { group: $("btn-group"), ungroup: $("btn-ungroup"), toSubflow: $("btn-subflow") },
  });
  const paste = new PasteHandler({ canvas, clipboard, onPasted: (ids) => selection.set(ids) });
  const quickAdd = new QuickAdd({ model, canvas, selection, onAdded: (id) => selection.set([id]) });
  new Interaction({
    canvas,
    model,
    selection,
    clipboard,
    actions,
    onEdit: (id) => trays.editNode(id),
    notify: (t) => notify(t, { timeout: 1500 }),
    onPaste: () => paste.request(),
    onQuickAdd: (x, y) => quickAdd.open(x, y),
  });
  const palette = new Palette({
    host: $("palette-body"),
    filter: $("palette-filter"),
    model,
    canvas,
    onCreate: (node) => selection.set([node.id]),
  });
  // Subflow definitions are palette entries: redraw it when they change.
  model.addEventListener("change", (e) => e.detail.types && palette.render());
  const tabBar = new TabBar({ host: $("tabs"), workspace: $("canvas-area"), model, onEdit: (id) => trays.editNode(id) });
  new InfoPanel({ host: $("info-panel"), model, selection });
  new HelpPanel({ host: $("help-panel"), model, selection });
  new ConfigPanel({
    host: $("config-panel"),
    model,
    onEdit: (id, type) => (id ? trays.editNode(id) : trays.editConfig(type, null, () => {})),
  });
  const selectNode = (id) => {
    const n = model.get(id);
    if (!n) return;
    if (n.z && model.get(n.z)) model.setActiveTab(n.z);
    selection.set([id]);
    requestAnimationFrame(() => canvas.reveal(id));
  };
  // Go to any node: a flow shows its tab, a canvas node is selected on its
  // tab and scrolled into view, a config node opens its form.
  const goTo = (id) => {
    const n = model.get(id);
    if (!n) return;
    if (n.type === "tab" || n.type === "subflow") model.setActiveTab(id);
    else if (n.type === "group") model.setActiveTab(n.z);
    else if (isCanvasNode(n)) selectNode(id);
    else trays.editNode(id);
  };
  const search = new Search({ model, onPick: goTo });
  const debug = new DebugPanel({
    host: $("debug-panel"),
    counter: $("debug-count"),
    model,
    onSelectNode: selectNode,
    isVisible: () => $("debug-panel").classList.contains("active"),
  });
  document.querySelector('.sidebar-tabs [data-panel="debug"]').addEventListener("click", () => debug.seen());
  const context = new ContextPanel({
    host: $("context-panel"),
    model,
    selection,
    isVisible: () => $("context-panel").classList.contains("active"),
  });
  document.querySelector('.sidebar-tabs [data-panel="context"]').addEventListener("click", () => context.shown());

  wireToolbar({ model, selection, canvas, search, editNode: (id) => trays.editNode(id) });
  onLoginRequired(login);
  window.addEventListener("beforeunload", (e) => {
    if (model.isDirty()) {
      e.preventDefault();
      e.returnValue = "";
    }
  });

  load(model, palette, tabBar).then(() => {
    const comms = connectComms({
      onEvent: (topic, data) => {
        if (topic === "debug") debug.add(data);
        else if (topic.startsWith("status/")) canvas.setStatus(topic.slice(7), data);
        else if (topic === "notification/runtime-deploy") {
          // Restarted nodes start without a status (those that had one
          // clear it as they stop, as in Node-RED): show exactly the
          // statuses the runtime still holds.
          canvas.clearStatuses();
          comms.subscribe("status/#");
        }
      },
      onState: (s) => debug.setConnection(s),
    });
    document.body.dataset.ready = "true";
  });
  sidebar.show("info");
  // For debugging from the browser console.
  window.flowgateEditor = { model, selection, canvas };
}

async function load(model, palette, tabBar) {
  try {
    model.types.load(await api.getNodes());
  } catch (e) {
    notify(`Cannot load node types: ${e.message}`, { kind: "error" });
  }
  palette.render();
  try {
    const r = await api.getFlows();
    const flows = Array.isArray(r) ? r : r.flows || [];
    model.load(flows, Array.isArray(r) ? null : r.rev);
  } catch (e) {
    model.load([], null);
    notify(`Cannot load flows: ${e.message}`, { kind: "error" });
  }
  tabBar.render();
}

function wireToolbar({ model, selection, canvas, search, editNode }) {
  const undo = $("btn-undo");
  const redo = $("btn-redo");
  const deployBtn = $("btn-deploy");
  const state = $("deploy-state");
  const refresh = () => {
    const h = model.history;
    undo.disabled = !h.canUndo();
    redo.disabled = !h.canRedo();
    undo.title = h.canUndo() ? `Undo ${h.entries[h.cursor - 1].label} (Ctrl+Z)` : "Undo (Ctrl+Z)";
    redo.title = h.canRedo() ? `Redo ${h.entries[h.cursor].label} (Ctrl+Shift+Z)` : "Redo (Ctrl+Shift+Z)";
    const dirty = model.isDirty();
    deployBtn.classList.toggle("dirty", dirty);
    $("btn-deploy-menu").classList.toggle("dirty", dirty);
    state.classList.toggle("dirty", dirty);
    const changed = dirty ? model.changedCount() : 0;
    state.textContent = dirty ? `unsaved changes${changed ? ` \u00b7 ${changed} node${changed === 1 ? "" : "s"}` : ""}` : model.rev ? `deployed \u00b7 rev ${String(model.rev).slice(0, 12)}` : "";
    document.title = `${dirty ? "\u25cf " : ""}flowgate editor`;
  };
  model.history.addEventListener("change", refresh);
  model.addEventListener("change", refresh);
  undo.addEventListener("click", () => model.undo());
  redo.addEventListener("click", () => model.redo());
  $("btn-import").addEventListener("click", () => openImportDialog({ model, selection }));
  $("btn-export").addEventListener("click", () => openExportDialog({ model, selection }));
  $("btn-tokens").addEventListener("click", () => openTokenConsole());
  // One deploy or restart at a time.
  const busy = async (action) => {
    if (deployBtn.classList.contains("busy")) return;
    deployBtn.classList.add("busy");
    try {
      await action();
    } finally {
      deployBtn.classList.remove("busy");
      refresh();
    }
  };
  const menu = setupDeployMenu({
    toggle: $("btn-deploy-menu"),
    menu: $("deploy-menu"),
    label: $("deploy-label"),
    onRestart: () => busy(() => restartFlows()),
  });
  deployBtn.addEventListener("click", () => busy(() => deploy(model, { type: menu.mode() })));
  const stepTab = (d) => {
    const tabs = model.tabs();
    const i = tabs.findIndex((t) => t.id === model.activeTab);
    if (tabs.length) model.setActiveTab(tabs[(i + d + tabs.length) % tabs.length].id);
  };
  const actions = {
    "core:search": () => search.open(),
    "core:deploy-flows": () => deployBtn.click(),
    "core:show-export-dialog": () => openExportDialog({ model, selection }),
    "core:show-import-dialog": () => openImportDialog({ model, selection }),
    "core:zoom-in": () => canvas.setZoom(canvas.zoom + 0.1),
    "core:zoom-out": () => canvas.setZoom(canvas.zoom - 0.1),
    "core:zoom-reset": () => canvas.setZoom(1),
    "core:zoom-fit": () => canvas.zoomToFit(),
    "core:show-previous-tab": () => stepTab(-1),
    "core:show-next-tab": () => stepTab(1),
    "core:edit-selected-node": () => selection.nodes.size === 1 && editNode(selection.ids()[0]),
  };
  bindKeys(actions);
  const buttons = { "zoom-in": "core:zoom-in", "zoom-out": "core:zoom-out", "zoom-reset": "core:zoom-reset", "zoom-fit": "core:zoom-fit", "btn-search": "core:search" };
  for (const [id, action] of Object.entries(buttons)) {
    $(id).addEventListener("click", actions[action]);
    $(id).title = `${$(id).title} (${shortcutOf(action)})`;
  }
  const info = $("chart-info");
  const showInfo = () => {
    const n = model.activeTab ? model.canvasNodes(model.activeTab).length : 0;
    info.textContent = `${n} node${n === 1 ? "" : "s"}${selection.nodes.size ? ` \u00b7 ${selection.nodes.size} selected` : ""}`;
  };
  model.addEventListener("change", showInfo);
  selection.addEventListener("change", showInfo);
  refresh();
}

start();

// Import (paste JSON or open a file, either export form) and export (the
// selection, the current flow or everything; copy or download).

import { el, download } from "../model/util.js";
import { openDialog } from "./dialog.js";
import { examplesPane } from "./examples.js";
import { notify } from "./notify.js";
import { parseFlowText, importNodes, exportNodes, exportAll } from "../model/importer.js";

export function openImportDialog({ model, selection }) {
  const area = el("textarea", { id: "import-text", rows: 16, spellcheck: "false", placeholder: "Paste flow JSON here: an array of nodes or {\"rev\", \"flows\"}" });
  const error = el("div", { class: "error-text", id: "import-error" });
  const file = el("input", { type: "file", id: "import-file", accept: ".json,application/json,text/plain", style: "display:none" });
  const pick = el("button", { class: "btn", type: "button", text: "Open file…" });
  pick.addEventListener("click", () => file.click());
  file.addEventListener("change", async () => {
    if (file.files[0]) area.value = await file.files[0].text();
    area.dispatchEvent(new Event("input"));
  });
  area.addEventListener("input", () => {
    error.textContent = "";
  });
  // Node-RED's Import dialog: the clipboard, or one of the runtime's examples.
  const examples = examplesPane({
    onChoose: () => (error.textContent = ""),
    onOpen: () => dialog.querySelector("#import-confirm").click(),
  });
  const clipboardPane = el("div", { class: "import-pane" }, area);
  const panes = { clipboard: clipboardPane, examples: examples.element };
  let source = "clipboard";
  const tabs = el("div", { class: "import-tabs", role: "tablist" });
  const show = (name) => {
    source = name;
    for (const b of tabs.children) b.classList.toggle("active", b.dataset.source === name);
    for (const [k, pane] of Object.entries(panes)) pane.hidden = k !== name;
    pick.hidden = name !== "clipboard";
    error.textContent = "";
  };
  for (const [name, label] of [["clipboard", "Clipboard"], ["examples", "Examples"]]) {
    const b = el("button", { type: "button", class: "import-tab", role: "tab", id: `import-tab-${name}`, dataset: { source: name }, text: label });
    b.addEventListener("click", () => show(name));
    tabs.append(b);
  }
  show("clipboard");
  const { dialog } = openDialog({
    title: "Import nodes",
    id: "import-dialog",
    body: el("div", {}, tabs, clipboardPane, examples.element, error, file),
    extra: pick,
    buttons: [
      { label: "Cancel" },
      {
        label: "Import",
        primary: true,
        id: "import-confirm",
        onClick: async () => {
          let nodes;
          try {
            const text = source === "examples" ? await examples.chosen() : area.value;
            if (text === null) throw new Error("choose an example to import");
            nodes = parseFlowText(text);
          } catch (e) {
            error.textContent = e.message;
            return false;
          }
          const ids = importNodes(model, nodes);
          selection.set(ids);
          notify(`Imported ${nodes.length} node${nodes.length === 1 ? "" : "s"}`);
          return true;
        },
      },
    ],
  });
  area.focus();
  return dialog;
}

export function openExportDialog({ model, selection }) {
  let scope = selection.nodes.size ? "selected" : "flow";
  let pretty = false;
  const area = el("textarea", { id: "export-text", rows: 16, readonly: true, spellcheck: "false" });
  const nodesFor = () => {
    if (scope === "selected") return exportNodes(model, selection.ids());
    if (scope === "flow") {
      const tab = model.activeTab;
      return exportNodes(model, [tab, ...[...model.nodes.values()].filter((n) => n.z === tab).map((n) => n.id)]);
    }
    return exportAll(model);
  };
  const refresh = () => {
    area.value = JSON.stringify(nodesFor(), null, pretty ? 4 : 0);
  };
  const radio = (name, value, label, checked, onPick) => {
    const input = el("input", { type: "radio", name, value, checked });
    input.addEventListener("change", () => {
      onPick(value);
      refresh();
    });
    return el("label", {}, input, ` ${label}`);
  };
  const body = el("div", {},
    el("div", { class: "radio-row" },
      radio("scope", "selected", "selected nodes", scope === "selected", (v) => (scope = v)),
      radio("scope", "flow", "current flow", scope === "flow", (v) => (scope = v)),
      radio("scope", "all", "all flows", false, (v) => (scope = v))),
    el("div", { class: "radio-row" },
      radio("format", "compact", "compact", true, () => (pretty = false)),
      radio("format", "pretty", "formatted", false, () => (pretty = true))),
    area);
  refresh();
  openDialog({
    title: "Export nodes",
    id: "export-dialog",
    body,
    buttons: [
      {
        label: "Download",
        onClick: () => {
          download("flows.json", area.value);
          return false;
        },
      },
      {
        label: "Copy to clipboard",
        primary: true,
        onClick: async () => {
          try {
            await navigator.clipboard.writeText(area.value);
          } catch {
            area.select();
            document.execCommand("copy");
          }
          notify("Copied flow JSON to the clipboard");
        },
      },
    ],
  });
}

// Import (paste JSON or open a file, either export form) and export (the
// selection, the current flow or everything; copy or download).

import { el, download } from "../model/util.js";
import { openDialog } from "./dialog.js";
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
  const { dialog } = openDialog({
    title: "Import nodes",
    id: "import-dialog",
    body: el("div", {}, area, error, file),
    extra: pick,
    buttons: [
      { label: "Cancel" },
      {
        label: "Import",
        primary: true,
        id: "import-confirm",
        onClick: () => {
          let nodes;
          try {
            nodes = parseFlowText(area.value);
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

// The info panel: what is selected (its properties, its description and any
// problems), or, as Node-RED's, the current flow: its name, id, whether it
// is enabled, and its description (`info`, Markdown).

import { el } from "../model/util.js";
import { problemsOf } from "../model/validate.js";
import { renderMarkdown } from "../ui/markdown.js";

const HIDDEN = new Set(["id", "type", "z", "x", "y", "wires", "credentials", "g", "info"]);

export class InfoPanel {
  constructor({ host, model, selection }) {
    this.host = host;
    this.model = model;
    this.selection = selection;
    const render = () => this.render();
    model.addEventListener("change", render);
    selection.addEventListener("change", render);
  }

  render() {
    const model = this.model;
    const ids = this.selection.ids();
    if (ids.length === 1 && model.get(ids[0])) {
      this.host.replaceChildren(...this.nodeInfo(model.get(ids[0])).filter(Boolean));
      return;
    }
    const tab = model.get(model.activeTab);
    const nodes = tab ? model.canvasNodes(tab.id) : [];
    const rows = [
      ["flow", tab ? model.label(tab) : "—"],
      ["id", tab ? tab.id : "—"],
      ["status", tab ? (tab.disabled ? "disabled" : "enabled") : "—"],
      ["nodes", String(nodes.length)],
      ["wires", String(tab ? model.wires(tab.id).length : 0)],
      ["selected", String(ids.length)],
      ["revision", model.rev || "—"],
    ];
    const problems = nodes.filter((n) => model.problems.has(n.id));
    const parts = [
      el("h4", { class: "info-section", text: "Flow" }),
      table(rows),
      ...description(tab),
      problems.length ? el("h4", { class: "info-section", text: "Deploy problems" }) : null,
      problems.length ? el("ul", { class: "problem-list" }, problems.flatMap((n) => model.problems.get(n.id).map((p) => el("li", { text: `${model.label(n)}: ${p}` })))) : null,
    ];
    this.host.replaceChildren(...parts.filter(Boolean));
  }

  nodeInfo(n) {
    const model = this.model;
    const rows = [["id", n.id], ["type", n.type], ["name", model.label(n)]];
    for (const [k, v] of Object.entries(n)) {
      if (HIDDEN.has(k) || k === "name") continue;
      const text = typeof v === "string" ? v : JSON.stringify(v);
      rows.push([k, text.length > 200 ? `${text.slice(0, 200)}…` : text]);
    }
    const problems = [...(model.problems.get(n.id) || []), ...problemsOf(model, n)];
    return [
      el("h4", { class: "info-section", text: "Node" }),
      table(rows),
      ...description(n),
      problems.length ? el("h4", { class: "info-section", text: "Problems" }) : null,
      problems.length ? el("ul", { class: "problem-list" }, problems.map((p) => el("li", { text: p }))) : null,
    ];
  }
}

/** A flow's or node's description (its `info` Markdown), when it has one. */
function description(n) {
  if (!n || typeof n.info !== "string" || !n.info.trim()) return [];
  return [el("h4", { class: "info-section", text: "Description" }), el("div", { class: "info-description" }, renderMarkdown(n.info))];
}

function table(rows) {
  return el("table", { class: "info-table" }, rows.map(([k, v]) => el("tr", { dataset: { key: k } }, el("td", { text: k }), el("td", { text: v }))));
}

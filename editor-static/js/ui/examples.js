// The Import dialog's Examples tab: the example flows the runtime ships,
// read through Node-RED's library API (`library/examples/flows/...`), each
// listed with its title and what it shows. Choosing one fetches its flow.

import { el } from "../model/util.js";
import { api } from "../api.js";

/**
 * The Examples pane. `onChoose()` is called when the user picks an example
 * (a click) and `onOpen()` when they double-click one. `chosen()` answers
 * a promise of the picked flow's JSON text, or null when none is picked.
 */
export function examplesPane({ onChoose = () => {}, onOpen = () => {} } = {}) {
  const status = el("div", { class: "examples-status", text: "Loading examples\u2026" });
  const list = el("ul", { class: "examples-list", id: "import-examples", role: "listbox" });
  const element = el("div", { class: "examples-pane" }, status, list);
  let picked = null;

  const choose = (item, entry) => {
    for (const li of list.children) li.classList.toggle("selected", li === item);
    item.setAttribute("aria-selected", "true");
    picked = entry;
    onChoose(entry);
  };

  (async () => {
    try {
      const entries = [];
      for (const module of await api.exampleModules()) {
        for (const e of await api.examples(module)) {
          if (e && typeof e === "object" && e.fn) entries.push({ module, ...e });
        }
      }
      status.textContent = entries.length ? "" : "No examples available.";
      for (const entry of entries) {
        const item = el("li", { class: "example", role: "option", tabindex: "0", dataset: { example: entry.fn } },
          el("div", { class: "example-title", text: entry.title || entry.fn }),
          entry.description ? el("div", { class: "example-description", text: entry.description }) : null);
        item.addEventListener("click", () => choose(item, entry));
        item.addEventListener("dblclick", () => {
          choose(item, entry);
          onOpen(entry);
        });
        item.addEventListener("keydown", (e) => {
          if (e.key === "Enter") choose(item, entry);
        });
        list.append(item);
      }
    } catch (e) {
      status.textContent = `Cannot load examples: ${e.message}`;
    }
  })();

  return {
    element,
    chosen: async () => (picked ? JSON.stringify(await api.example(picked.module, picked.fn)) : null),
  };
}

// A collapsible JSON tree, as the debug sidebar and token console show values.

import { el } from "../model/util.js";

const AUTO_EXPAND_DEPTH = 1;

/** Render `value` as a tree; objects below `AUTO_EXPAND_DEPTH` start collapsed. */
export function jsonView(value) {
  return el("div", { class: "json" }, node(value, null, 0));
}

function node(value, key, depth) {
  const keyEl = key === null ? null : el("span", { class: "key", text: `${key}: ` });
  if (value !== null && typeof value === "object") {
    const isArray = Array.isArray(value);
    const entries = isArray ? value.map((v, i) => [i, v]) : Object.entries(value);
    const summary = isArray ? `array[${entries.length}]` : `object`;
    const wrap = el("div", { class: `branch${depth >= AUTO_EXPAND_DEPTH ? " collapsed" : ""}` });
    const toggle = el("span", { class: "toggle", text: "\u25be" });
    const head = el("div", { class: "head" }, toggle, keyEl, el("span", { class: "summary", text: entries.length ? summary : isArray ? "[ ]" : "{ }" }));
    const children = el("div", { class: "children" });
    let built = false;
    const build = () => {
      if (built) return;
      built = true;
      children.append(...entries.map(([k, v]) => node(v, k, depth + 1)));
    };
    const sync = () => {
      const collapsed = wrap.classList.contains("collapsed");
      toggle.textContent = collapsed ? "\u25b8" : "\u25be";
      if (!collapsed) build();
    };
    head.addEventListener("click", () => {
      wrap.classList.toggle("collapsed");
      sync();
    });
    if (!entries.length) toggle.style.visibility = "hidden";
    wrap.append(head, children);
    sync();
    return wrap;
  }
  const [cls, text] =
    typeof value === "string" ? ["str", JSON.stringify(value)]
    : typeof value === "number" ? ["num", String(value)]
    : typeof value === "boolean" ? ["bool", String(value)]
    : ["null", value === undefined ? "undefined" : "null"];
  return el("div", { class: "leaf" }, el("span", { class: "toggle" }), keyEl, el("span", { class: cls, text }));
}

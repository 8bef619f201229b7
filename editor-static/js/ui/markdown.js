// Markdown as Node-RED's editor renders a flow's or node's description:
// marked turns it into HTML and DOMPurify removes anything that could run
// (scripts, event handler attributes, javascript: links) before it reaches
// the page. Both are the vendored bundle built by tools/editor-vendor.

import { marked, DOMPurify } from "../../vendor/markdown.min.js";
import { el } from "../model/util.js";

/** A `div.markdown` showing `text` rendered and sanitized. */
export function renderMarkdown(text) {
  const out = el("div", { class: "markdown" });
  const html = marked.parse(String(text ?? ""), { async: false, gfm: true });
  out.append(DOMPurify.sanitize(html, { RETURN_DOM_FRAGMENT: true }));
  // Links leave the editor in a new tab, without access to it.
  for (const a of out.querySelectorAll("a[href]")) {
    a.target = "_blank";
    a.rel = "noopener noreferrer";
  }
  return out;
}

// A plain code editor for function bodies: monospace, line numbers, Tab
// indents (Shift+Tab outdents), Enter keeps the current indentation. Edits go
// through the browser's own text input so its undo (Ctrl+Z) still works.

import { el } from "../model/util.js";

const INDENT = "    ";

export function codeEditor({ id, name, value, rows }) {
  const gutter = el("div", { class: "code-gutter", "aria-hidden": "true" });
  const area = el("textarea", { id, name, class: "code", spellcheck: "false", wrap: "off", autocomplete: "off", autocapitalize: "off" });
  area.value = value;
  const element = el("div", { class: "code-editor" }, gutter, area);
  if (rows) element.style.height = `${rows * 1.5 + 1}em`;

  const renumber = () => {
    const lines = area.value.split("\n").length;
    if (gutter.childElementCount !== lines) {
      gutter.textContent = Array.from({ length: lines }, (_, i) => i + 1).join("\n");
    }
    gutter.scrollTop = area.scrollTop;
  };
  area.addEventListener("input", renumber);
  area.addEventListener("scroll", () => {
    gutter.scrollTop = area.scrollTop;
  });
  area.addEventListener("keydown", (e) => {
    if (e.key === "Tab") {
      e.preventDefault();
      if (e.shiftKey) outdent(area);
      else indent(area);
    } else if (e.key === "Enter" && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      const start = area.value.lastIndexOf("\n", area.selectionStart - 1) + 1;
      const line = area.value.slice(start, area.selectionStart);
      let lead = line.match(/^\s*/)[0];
      if (/[{[(]\s*$/.test(line)) lead += INDENT;
      insert(area, `\n${lead}`);
    }
    renumber();
  });
  renumber();
  return { element, value: () => area.value };
}

function insert(area, text) {
  area.focus();
  // execCommand keeps the edit in the textarea's undo stack.
  if (!document.execCommand("insertText", false, text)) {
    area.setRangeText(text, area.selectionStart, area.selectionEnd, "end");
    area.dispatchEvent(new Event("input"));
  }
}

function selectedLines(area) {
  const v = area.value;
  const start = v.lastIndexOf("\n", area.selectionStart - 1) + 1;
  let end = v.indexOf("\n", area.selectionEnd - (area.selectionEnd > area.selectionStart ? 1 : 0));
  if (end === -1) end = v.length;
  return { start, end, text: v.slice(start, end) };
}

function indent(area) {
  if (area.selectionStart === area.selectionEnd) {
    insert(area, INDENT);
    return;
  }
  const { start, end, text } = selectedLines(area);
  area.setSelectionRange(start, end);
  insert(area, text.split("\n").map((l) => INDENT + l).join("\n"));
  area.setSelectionRange(start, start + text.length + INDENT.length * text.split("\n").length);
}

function outdent(area) {
  const caret = area.selectionStart === area.selectionEnd ? area.selectionStart : null;
  const { start, end, text } = selectedLines(area);
  const out = text
    .split("\n")
    .map((l) => l.replace(/^( {1,4}|\t)/, ""))
    .join("\n");
  if (out === text) return;
  area.setSelectionRange(start, end);
  insert(area, out);
  // A caret stays a caret (moved left with its line); a selection stays selected.
  if (caret !== null) {
    const at = Math.max(start, caret - (text.length - out.length));
    area.setSelectionRange(at, at);
  } else {
    area.setSelectionRange(start, start + out.length);
  }
}

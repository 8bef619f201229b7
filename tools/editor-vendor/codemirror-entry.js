// The CodeMirror 6 pieces flowgate's editor uses, re-exported from one
// module so build.sh can bundle them into editor-static/vendor/codemirror.min.js.
// Rhai has no CodeMirror language package: it is highlighted with the
// legacy C-like tokenizer given Rhai's keywords (see rhaiMode below).

export { EditorState, Compartment } from "@codemirror/state";
export { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection, highlightSpecialChars, placeholder } from "@codemirror/view";
export { defaultKeymap, history, historyKeymap, indentWithTab, undo, redo } from "@codemirror/commands";
export { bracketMatching, indentOnInput, indentUnit, syntaxHighlighting, defaultHighlightStyle, StreamLanguage, foldGutter, foldKeymap } from "@codemirror/language";
export { search, searchKeymap, highlightSelectionMatches, openSearchPanel, closeSearchPanel } from "@codemirror/search";
export { closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
export { linter, lintGutter, lintKeymap, forceLinting, diagnosticCount } from "@codemirror/lint";
export { javascript } from "@codemirror/lang-javascript";
export { json } from "@codemirror/lang-json";
export { html } from "@codemirror/lang-html";

import { clike } from "@codemirror/legacy-modes/mode/clike";

const words = (s) => Object.fromEntries(s.split(" ").map((w) => [w, true]));

/** A stream mode for Rhai (https://rhai.rs): C-like syntax with Rhai's keywords. */
export const rhaiMode = clike({
  name: "rhai",
  keywords: words(
    "let const if else switch do while loop until for in break continue return throw try catch fn private import export as global is_shared this",
  ),
  types: words("int float bool char string array map timestamp"),
  atoms: words("true false ()"),
  blockKeywords: words("if else switch do while loop for try catch fn"),
  defKeywords: words("fn let const"),
  typeFirstDefinitions: false,
  indentStatements: false,
  hooks: {
    // Rhai strings: "…", `…` (multi-line, with ${…} inside) and 'c' characters.
    "`": (stream) => {
      let escaped = false;
      let ch;
      while ((ch = stream.next()) != null) {
        if (ch === "`" && !escaped) return "string";
        escaped = !escaped && ch === "\\";
      }
      return "string";
    },
  },
});

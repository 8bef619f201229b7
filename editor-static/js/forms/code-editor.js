// The code editor of forms: CodeMirror 6 (vendored, see
// tools/editor-vendor/) with line numbers, highlighting for the field's
// language, bracket matching, search/replace (Ctrl+F / Ctrl+H inside the
// editor), Tab / Shift+Tab indentation and its own undo history. Given a
// `check`, it asks the runtime what deploy would refuse while the user types
// (debounced) and underlines it, with the message on hover and a problem
// count under the editor.

import {
  EditorState, Compartment, EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  drawSelection, highlightSpecialChars, defaultKeymap, history, historyKeymap, indentWithTab, bracketMatching,
  indentOnInput, indentUnit, syntaxHighlighting, defaultHighlightStyle, StreamLanguage, search, searchKeymap,
  highlightSelectionMatches, closeBrackets, closeBracketsKeymap, linter, lintGutter, lintKeymap, diagnosticCount,
  forceLinting, javascript, json, html, rhaiMode,
} from "../../vendor/codemirror.min.js";
import { el } from "../model/util.js";

/** How long typing must pause before the runtime is asked (ms). */
const CHECK_DELAY = 300;

const rhai = StreamLanguage.define(rhaiMode);

/** The CodeMirror language support for one of the editor's language names. */
function languageSupport(name) {
  switch (name) {
    case "javascript":
      return javascript();
    case "rhai":
      return rhai;
    case "json":
      return json();
    case "html":
      return html();
    default:
      return [];
  }
}

/** CodeMirror's editing keys, less Ctrl+Enter: in a form that is Done. */
const editingKeys = defaultKeymap.filter((b) => b.key !== "Mod-Enter");

/** Keys the editor answers itself: the page's own shortcuts must not see them. */
function ownsKey(e, view) {
  const mod = e.ctrlKey || e.metaKey;
  if (mod && ["f", "h", "g", "z", "y", "a"].includes(e.key.toLowerCase())) return true;
  // Escape closes the search panel first, not the form around the editor.
  return e.key === "Escape" && !!view.dom.querySelector(".cm-search");
}

/** A 1-based line/column of the document as an offset (clamped to the document). */
function offset(doc, line, column) {
  const l = doc.line(Math.min(Math.max(1, line), doc.lines));
  return Math.min(l.from + Math.max(0, column - 1), l.to);
}

/** The runtime's problems as CodeMirror diagnostics. */
function diagnostics(doc, problems) {
  return problems.map((p) => {
    const from = offset(doc, p.line, p.column);
    let to = offset(doc, p.endLine ?? p.line, p.endColumn ?? p.column);
    // An empty span still gets an underline: the character at it (or before it at a line end).
    if (to <= from) to = Math.min(from + 1, doc.length);
    return { from: to > from ? from : Math.max(0, from - 1), to, severity: p.severity || "error", message: p.message };
  });
}

/**
 * A code editor for a form field. `language` is a language name
 * ("javascript", "rhai", "json", "html", anything else is plain text) or a
 * function answering one (read again before each check, so a form's
 * language select takes effect); `check(code, language)` answers the
 * problems `[{line, column, endLine, endColumn, severity, message}]`.
 * Answers `{element, value()}`.
 */
export function codeEditor({ id, name, value, rows, language = "text", check = null }) {
  const currentLanguage = () => (typeof language === "function" ? language() : language);
  const lang = new Compartment();
  let shownLanguage = currentLanguage();
  const count = el("div", { class: "code-problems", "aria-live": "polite" });

  const extensions = [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    history(),
    drawSelection(),
    indentOnInput(),
    indentUnit.of("    "),
    EditorState.tabSize.of(4),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    bracketMatching(),
    closeBrackets(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    search({ top: true }),
    keymap.of([...closeBracketsKeymap, ...editingKeys, ...searchKeymap, ...historyKeymap, ...lintKeymap, indentWithTab]),
    lang.of(languageSupport(shownLanguage)),
    EditorView.contentAttributes.of({ id, "aria-label": name, spellcheck: "false", autocapitalize: "off", autocorrect: "off" }),
  ];
  if (check) {
    extensions.push(
      lintGutter(),
      linter(
        async (view) => {
          const now = followLanguage(view);
          const doc = view.state.doc;
          try {
            const problems = await check(doc.toString(), now);
            count.classList.remove("unavailable");
            return diagnostics(doc, problems || []);
          } catch (e) {
            count.classList.add("unavailable");
            count.textContent = `problems check unavailable: ${e.message}`;
            return [];
          }
        },
        { delay: CHECK_DELAY },
      ),
      EditorView.updateListener.of((u) => {
        if (count.classList.contains("unavailable")) return;
        const n = diagnosticCount(u.state);
        count.textContent = n === 0 ? "No problems" : n === 1 ? "1 problem" : `${n} problems`;
        count.classList.toggle("has-problems", n > 0);
      }),
    );
  }

  // The language may follow another field (a function node's `lang`):
  // read again before each check and whenever the editor gets the focus.
  let element = null;
  const followLanguage = (view) => {
    const now = currentLanguage();
    if (now !== shownLanguage) {
      shownLanguage = now;
      element.dataset.language = now;
      view.dispatch({ effects: lang.reconfigure(languageSupport(now)) });
      if (check) forceLinting(view);
    }
    return now;
  };
  if (typeof language === "function") extensions.push(EditorView.domEventHandlers({ focus: (_e, view) => void followLanguage(view) }));

  const host = el("div", { class: "code-host" });
  element = el("div", { class: "code-editor", dataset: { language: shownLanguage } }, host, check ? count : null);
  if (rows) host.style.height = `${rows * 1.5 + 1}em`;
  const view = new EditorView({ state: EditorState.create({ doc: value, extensions }), parent: host });
  // The editor's own shortcuts never reach the page's (the canvas's Ctrl+A,
  // the editor-wide Ctrl+F, the tray's Escape). Decided before CodeMirror
  // handles the key (its Escape closes the search panel), stopped after.
  let owned = false;
  element.addEventListener("keydown", (e) => (owned = ownsKey(e, view)), true);
  element.addEventListener("keydown", (e) => {
    if (owned) e.stopPropagation();
  });
  return { element, value: () => view.state.doc.toString() };
}

// What a form's code fields are written in and how the runtime checks them:
// a function node's bodies go to `POST function/check` as JavaScript or Rhai
// (its `lang` select decides), JSONata expressions inside the rules and
// properties of change, switch and inject nodes as JSONata, and JSON fields
// are parsed here. Problems come back as `{line, column, endLine,
// endColumn, severity, message}` (1-based, end exclusive).

import { api } from "../api.js";

const FUNCTION_BODIES = ["func", "initialize", "finalize"];

/** The value of a sibling field of the form `element` is in, if shown. */
function formValue(element, name, fallback) {
  const input = element?.closest("form")?.querySelector(`[name="${name}"]`);
  return input ? input.value : fallback;
}

/** Template node formats with a highlighting of their own. */
const TEMPLATE_LANGUAGES = { html: "html", handlebars: "html", mustache: "html", json: "json", javascript: "javascript" };

/**
 * `{language, check}` for a code field: `language` a name or a function
 * answering it (read again while editing), `check` or null. `element()`
 * gives the field's element once built (for its form's other fields).
 */
export function codeFieldOptions(def, ctx, element) {
  const node = ctx.node || {};
  if (node.type === "function" && FUNCTION_BODIES.includes(def.name)) {
    const language = () => (formValue(element(), "lang", node.lang) === "rhai" ? "rhai" : "javascript");
    const check = async (code, lang) => {
      const outputs = Number(formValue(element(), "outputs", node.outputs ?? 1));
      const body = { language: lang, field: def.name, code, libs: Array.isArray(node.libs) ? node.libs : [] };
      if (Number.isFinite(outputs)) body.outputs = outputs;
      return (await api.checkCode(body)).problems;
    };
    return { language, check };
  }
  if (node.type === "template" && def.name === "template") {
    return { language: () => TEMPLATE_LANGUAGES[formValue(element(), "format", node.format)] || "text", check: null };
  }
  return { language: "text", check: null };
}

/** Where a change, switch or inject list keeps JSONata: [value key, type key]. */
const JSONATA_KEYS = { change: [["to", "tot"], ["from", "fromt"]], switch: [["v", "vt"], ["v2", "v2t"]], inject: [["v", "vt"]] };

/** A JSON parse error as a problem at the position the browser names. */
function jsonProblem(text, e) {
  const at = /position (\d+)/.exec(e.message);
  const lineCol = /line (\d+) column (\d+)/.exec(e.message);
  let line = 1;
  let column = 1;
  if (lineCol) {
    line = Number(lineCol[1]);
    column = Number(lineCol[2]);
  } else if (at) {
    const before = text.slice(0, Number(at[1]));
    line = before.split("\n").length;
    column = before.length - before.lastIndexOf("\n");
  }
  return { line, column, endLine: line, endColumn: column + 1, severity: "error", message: `invalid JSON: ${e.message}` };
}

/** The 1-based line/column span of `text`'s first occurrence of `needle` from `from`. */
function spanOf(text, needle, from) {
  const start = text.indexOf(needle, from);
  if (start < 0) return null;
  const before = text.slice(0, start);
  const line = before.split("\n").length;
  const column = start - before.lastIndexOf("\n");
  return { start, line, column, endLine: line, endColumn: column + needle.length };
}

/**
 * The check of a JSON field: parse errors here; for a change, switch or
 * inject list, each JSONata expression in it checked by the runtime and
 * its problem shown on the expression's string.
 */
export function jsonFieldCheck(ctx) {
  const keys = JSONATA_KEYS[(ctx.node || {}).type];
  return async (text) => {
    if (text.trim() === "") return [];
    let value;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return [jsonProblem(text, e)];
    }
    if (!keys || !Array.isArray(value)) return [];
    const problems = [];
    let from = 0;
    for (const item of value) {
      for (const [v, t] of keys) {
        if (!item || item[t] !== "jsonata" || typeof item[v] !== "string") continue;
        const span = spanOf(text, JSON.stringify(item[v]), from);
        if (span) from = span.start + 1;
        const found = (await api.checkCode({ language: "jsonata", code: item[v] })).problems;
        for (const p of found) {
          const where = span || { line: 1, column: 1, endLine: 1, endColumn: 2 };
          problems.push({ ...where, severity: p.severity, message: p.message });
        }
      }
    }
    return problems;
  };
}

// Problems the editor can see before deploying: required fields left empty
// and config references to nodes that are not in the flow.

/** Messages describing what is wrong with node `n` per its type's fields. */
export function problemsOf(model, n) {
  const out = [];
  for (const f of model.types.get(n.type)?.editor.fields || []) {
    const v = n[f.name];
    if (f.type === "config") {
      if (v && !model.get(v)) out.push(`${f.name}: config node ${v} is missing`);
      else if (!v && f.required) out.push(`${f.name}: no ${f.config_type || f.configType || "config"} node selected`);
    } else if (f.required && !f.credential && f.type !== "secret" && f.type !== "password" && (v === undefined || v === null || String(v).trim() === "")) {
      out.push(`${f.name} is required`);
    }
  }
  return out;
}

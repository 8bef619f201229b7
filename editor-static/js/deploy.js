// Deploying: send the whole flow to `POST /flows` with the chosen deployment
// type, show the new revision, or show every problem the runtime reported and
// mark the offending nodes; and restarting the deployed flows.

import { api, ApiError } from "./api.js";
import { confirmDialog } from "./ui/dialog.js";
import { notify } from "./ui/notify.js";

/** The flow as the runtime should receive it: typed secrets only, never `has_*` flags. */
export function deployPayload(model) {
  return model.toJSON().map((n) => {
    if (!n.credentials) return n;
    const creds = {};
    for (const [k, v] of Object.entries(n.credentials)) if (!k.startsWith("has_") && v !== undefined) creds[k] = v;
    if (Object.keys(creds).length) n.credentials = creds;
    else delete n.credentials;
    return n;
  });
}

/**
 * The problems of a rejected deploy, by node id (`""` for the flow as a
 * whole). Accepts the runtime's `{code, message, problems: [{node, type,
 * name, field?, message}]}` and the common variants of that list's name.
 */
export function problemsByNode(body) {
  const out = new Map();
  const list = body && (body.problems || body.errors || body.nodes || body.details);
  if (!Array.isArray(list)) return out;
  for (const p of list) {
    if (!p || typeof p !== "object") continue;
    const id = p.node || p.id || "";
    const text = p.field ? `${p.field}: ${p.message}` : String(p.message ?? p.error ?? "invalid");
    if (!out.has(id)) out.set(id, []);
    out.get(id).push(text);
  }
  return out;
}

/**
 * Deploy the flows with Node-RED's deployment `type` (`full`, `flows`,
 * `nodes`); answers whether the runtime took them.
 */
export async function deploy(model, { force = false, type = "full" } = {}) {
  try {
    const r = await api.deploy(force ? null : model.rev, deployPayload(model), type);
    model.setProblems(new Map());
    model.markDeployed(r && r.rev ? r.rev : model.rev);
    notify(`Successfully deployed${r && r.rev ? ` \u2014 revision ${r.rev}` : ""}`, { kind: "success", key: "deploy" });
    return true;
  } catch (e) {
    if (!(e instanceof ApiError)) {
      notify(`Deploy failed: ${e.message}`, { kind: "error", key: "deploy" });
      return false;
    }
    if (e.status === 409) {
      const overwrite = await confirmDialog("Flows changed on the runtime", "Someone deployed since you loaded these flows. Overwrite them with yours?", "Overwrite");
      return overwrite ? deploy(model, { force: true, type }) : false;
    }
    const problems = problemsByNode(e.body);
    model.setProblems(new Map([...problems].filter(([id]) => id && model.get(id))));
    const details = [];
    for (const [id, msgs] of problems) {
      const n = id && model.get(id);
      const who = n ? `${model.label(n)} (${n.type} ${id})` : id || "flow";
      for (const m of msgs) details.push(`${who}: ${m}`);
    }
    // The runtime's message lists the problems too: show them once, as the list.
    const headline = details.length ? e.message.split("\n")[0].replace(/:$/, "") : e.message;
    notify(`Deploy rejected: ${headline}`, { kind: "error", details, key: "deploy" });
    return false;
  }
}

/** Node-RED's "Restart Flows": the runtime restarts what it runs; the editor's edits stay as they are. */
export async function restartFlows() {
  try {
    await api.restartFlows();
    notify("Successfully restarted flows", { kind: "success", key: "deploy" });
    return true;
  } catch (e) {
    notify(`Restart failed: ${e.message}`, { kind: "error", key: "deploy" });
    return false;
  }
}

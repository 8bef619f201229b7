// The token console: generate a JWT with a deployed `jwt-config` (audience,
// scope and any other claims), and decode and verify any pasted token,
// showing why verification failed. Backed by the admin API's /jwt endpoints.

import { el } from "../model/util.js";
import { api } from "../api.js";
import { openDialog } from "../ui/dialog.js";
import { jsonView } from "../ui/json-view.js";
import { decodeJwt } from "./decode.js";

export async function openTokenConsole() {
  const genConfig = el("select", { id: "token-config" });
  const verConfig = el("select", { id: "verify-config" });
  const aud = el("input", { type: "text", id: "token-aud", placeholder: "e.g. my-client-id (several: comma-separated)" });
  const scope = el("input", { type: "text", id: "token-scope", placeholder: "e.g. memberof:my-org read" });
  const claims = el("textarea", { id: "token-claims", rows: 6, spellcheck: "false" });
  claims.value = JSON.stringify({ sub: "" }, null, 2);
  const genError = el("div", { class: "error-text", id: "token-error" });
  const genOut = el("div", { class: "token-out", id: "token-generated" });
  const genParts = el("div", { class: "token-parts" });
  const generate = el("button", { class: "btn primary", id: "token-generate", text: "Generate token" });
  const copy = el("button", { class: "btn", id: "token-copy", text: "Copy", disabled: true });
  const toVerify = el("button", { class: "btn", id: "token-to-verify", text: "Verify it \u2192", disabled: true });

  const token = el("textarea", { id: "verify-token", rows: 6, spellcheck: "false", placeholder: "Paste a JWT (header.payload.signature)" });
  const verify = el("button", { class: "btn primary", id: "verify-run", text: "Verify" });
  const verdict = el("div", { id: "verify-verdict" });
  const verParts = el("div", { class: "token-parts", id: "verify-parts" });

  const row = (label, control) => el("div", { class: "form-row" }, el("label", { text: label }), el("div", { class: "control" }, control));
  const body = el("div", { class: "token-console" },
    el("section", { id: "token-generate-section" },
      el("h4", { text: "Generate a token" }),
      row("Config", genConfig),
      row("Audience (aud)", aud),
      row("Scope", scope),
      el("div", { class: "form-row stacked" }, el("label", { text: "Other claims (JSON object)" }), el("div", { class: "control" }, claims)),
      el("div", { class: "panel-toolbar", style: "background:none;border:none;padding:0 0 8px" }, generate, copy, toVerify),
      genError, genOut, genParts),
    el("section", { id: "token-verify-section" },
      el("h4", { text: "Decode and verify a token" }),
      row("Config", verConfig),
      el("div", { class: "form-row stacked" }, el("label", { text: "Token" }), el("div", { class: "control" }, token)),
      el("div", { style: "padding-bottom:8px" }, verify),
      verdict, verParts));

  openDialog({ title: "Token console", id: "token-console", wide: true, body, buttons: [{ label: "Close" }] });

  // Audience and scope start from the chosen config's own (what its verify
  // side expects), so a generated token passes it unless the user edits them.
  let configs = [];
  const prefill = () => {
    const c = configs.find((x) => x.id === genConfig.value);
    aud.value = c ? audienceText(c.audience) : "";
    scope.value = c && typeof c.scope === "string" ? c.scope : "";
  };
  genConfig.addEventListener("change", prefill);
  try {
    configs = normaliseConfigs(await api.jwtConfigs());
    for (const select of [genConfig, verConfig]) {
      select.replaceChildren(...configs.map((c) => el("option", { value: c.id, text: c.label })));
      if (!configs.length) select.append(el("option", { value: "", text: "\u2014 no jwt-config deployed \u2014" }));
    }
    prefill();
  } catch (e) {
    genError.textContent = `Cannot list JWT configs: ${e.message}`;
  }

  generate.addEventListener("click", async () => {
    genError.textContent = "";
    let extra;
    try {
      extra = claims.value.trim() ? JSON.parse(claims.value) : {};
      if (!extra || typeof extra !== "object" || Array.isArray(extra)) throw new Error("claims must be a JSON object");
    } catch (e) {
      genError.textContent = e.message;
      return;
    }
    const all = { ...extra };
    const audiences = aud.value.split(",").map((a) => a.trim()).filter(Boolean);
    if (audiences.length) all.aud = audiences.length === 1 ? audiences[0] : audiences;
    if (scope.value.trim()) all.scope = scope.value.trim();
    for (const [k, v] of Object.entries(all)) if (v === "") delete all[k];
    generate.disabled = true;
    try {
      const r = await api.generateToken(genConfig.value, all);
      genOut.textContent = r.token;
      genParts.replaceChildren(...parts(r.header, r.claims));
      copy.disabled = false;
      toVerify.disabled = false;
    } catch (e) {
      genError.textContent = e.message;
      genOut.textContent = "";
      genParts.replaceChildren();
    } finally {
      generate.disabled = false;
    }
  });
  copy.addEventListener("click", () => navigator.clipboard?.writeText(genOut.textContent).catch(() => {}));
  toVerify.addEventListener("click", () => {
    token.value = genOut.textContent;
    verConfig.value = genConfig.value;
    token.dispatchEvent(new Event("input"));
    verify.click();
  });

  token.addEventListener("input", () => {
    verdict.replaceChildren();
    const d = decodeJwt(token.value);
    verParts.replaceChildren(...(d ? parts(d.header, d.claims) : []));
  });
  verify.addEventListener("click", async () => {
    const t = token.value.trim();
    if (!t) return;
    verify.disabled = true;
    try {
      const r = await api.verifyToken(verConfig.value, t);
      verdict.replaceChildren(badge(r.valid, r.reason));
      if (r.header || r.claims) verParts.replaceChildren(...parts(r.header, r.claims));
    } catch (e) {
      verdict.replaceChildren(badge(false, e.message));
    } finally {
      verify.disabled = false;
    }
  });
}

/** `GET /jwt/configs` as `[{id, label}]`, whatever list shape the runtime uses. */
function normaliseConfigs(answer) {
  const list = Array.isArray(answer) ? answer : (answer && (answer.configs || answer.items)) || [];
  return list.map((c) => {
    const alg = c.algorithm || c.alg;
    const name = c.name || c.id;
    return { id: c.id, label: alg ? `${name} (${alg})` : name, audience: c.audience, scope: c.scope };
  });
}

function audienceText(a) {
  if (Array.isArray(a)) return a.join(", ");
  return typeof a === "string" ? a : "";
}

function badge(valid, reason) {
  return el("span", { class: `token-verdict ${valid ? "valid" : "invalid"}` }, valid ? "\u2713 valid" : `\u2717 invalid${reason ? `: ${reason}` : ""}`);
}

function parts(header, claims) {
  const out = [];
  if (header) out.push(el("div", { class: "part" }, el("h5", { text: "Header" }), jsonView(header)));
  if (claims) out.push(el("div", { class: "part" }, el("h5", { text: "Claims" }), jsonView(claims), expiry(claims)));
  return out;
}

function expiry(claims) {
  if (typeof claims.exp !== "number") return null;
  const when = new Date(claims.exp * 1000);
  const past = when.getTime() < Date.now();
  return el("div", { class: "field-help", style: past ? "color:#a32020" : "" }, `${past ? "expired" : "expires"} ${when.toISOString()}`);
}

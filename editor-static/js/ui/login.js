// Asking for admin credentials when the runtime answers 401: a user name and
// password when it offers Node-RED's credentials scheme, else the token.

import { el } from "../model/util.js";
import { api, setAdminToken } from "../api.js";
import { openDialog } from "./dialog.js";

let pending = null;

/** Ask once (concurrent 401s share the dialog); answers whether a token was stored. */
export function login() {
  if (!pending) pending = ask().finally(() => (pending = null));
  return pending;
}

async function ask() {
  let scheme = {};
  try {
    const res = await fetch("auth/login", { headers: { Accept: "application/json" } });
    if (res.ok) scheme = await res.json();
  } catch {
    scheme = {};
  }
  const withPassword = scheme && scheme.type === "credentials";
  const user = el("input", { type: "text", id: "login-user", autocomplete: "username" });
  const pass = el("input", { type: "password", id: "login-pass", autocomplete: withPassword ? "current-password" : "off" });
  const error = el("div", { class: "error-text" });
  const row = (label, input) => el("div", { class: "form-row" }, el("label", { text: label }), el("div", { class: "control" }, input));
  return new Promise((resolve) => {
    let done = false;
    const { dialog } = openDialog({
      title: "Log in to the runtime",
      id: "login-dialog",
      body: el("div", {}, withPassword ? row("Username", user) : null, row(withPassword ? "Password" : "Admin token", pass), error),
      buttons: [
        {
          label: "Log in",
          primary: true,
          onClick: async () => {
            try {
              const token = withPassword ? await api.login(user.value, pass.value) : pass.value.trim();
              if (!token) return false;
              setAdminToken(token);
              done = true;
              resolve(true);
              return true;
            } catch (e) {
              error.textContent = e.message;
              return false;
            }
          },
        },
      ],
    });
    (withPassword ? user : pass).focus();
    new MutationObserver((_, obs) => {
      if (!dialog.isConnected) {
        obs.disconnect();
        if (!done) resolve(false);
      }
    }).observe(document.getElementById("dialog-host"), { childList: true });
  });
}

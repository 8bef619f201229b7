// Short messages at the top of the page: deploy results, errors, hints.

import { el } from "../model/util.js";
import { keepPlaced, placeNotifications } from "./notify-place.js";

/**
 * Show a notification. `kind` is "success", "warn" or "error"; `details` an
 * optional list of lines. Errors stay until closed; others fade after a while.
 * A `key` names what the message is about: a new one with the same key
 * replaces the last (one deploy result on screen, however often Deploy is
 * pressed).
 */
export function notify(text, { kind = "success", details = [], timeout, key } = {}) {
  const host = document.getElementById("notifications");
  keepPlaced(host);
  if (key) for (const old of host.querySelectorAll(".notification")) if (old.dataset.key === key) old.remove();
  const close = el("button", { class: "close", title: "Close", text: "\u00d7" });
  const n = el("div", { class: `notification ${kind}`, role: kind === "error" ? "alert" : "status" },
    close,
    el("div", { class: "text", text }),
    details.length ? el("ul", {}, details.map((d) => el("li", { text: d }))) : null);
  if (key) n.dataset.key = key;
  close.addEventListener("click", () => n.remove());
  host.append(n);
  while (host.children.length > 4) host.firstChild.remove();
  placeNotifications(host);
  const ms = timeout ?? (kind === "error" ? 0 : 3500);
  if (ms) setTimeout(() => n.remove(), ms);
  return n;
}

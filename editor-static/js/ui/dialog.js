// Modal dialogs (import, export, token console, login, confirmations).

import { el } from "../model/util.js";

/**
 * Open a modal dialog. `buttons` is a list of `{label, primary?, danger?,
 * onClick}`; an onClick answering `false` keeps the dialog open. Escape or a
 * click outside closes it. Answers `{close, body, footer}`.
 */
export function openDialog({ title, body, buttons = [], wide = false, id, extra = null }) {
  const host = document.getElementById("dialog-host");
  const footer = el("div", { class: "dialog-footer" }, extra, el("span", { class: "grow" }));
  const dialog = el("div", { class: `dialog${wide ? " wide" : ""}`, role: "dialog", "aria-label": title, id },
    el("div", { class: "dialog-header", text: title }),
    el("div", { class: "dialog-body" }, body),
    footer);
  const backdrop = el("div", { class: "backdrop" }, dialog);
  const onKey = (e) => {
    if (e.key === "Escape") close();
  };
  const close = () => {
    backdrop.remove();
    document.removeEventListener("keydown", onKey);
  };
  for (const b of buttons) {
    const btn = el("button", { class: `btn${b.primary ? " primary" : ""}${b.danger ? " danger" : ""}`, text: b.label, id: b.id });
    btn.addEventListener("click", async () => {
      const keep = b.onClick ? await b.onClick() : undefined;
      if (keep !== false) close();
    });
    footer.append(btn);
  }
  backdrop.addEventListener("pointerdown", (e) => {
    if (e.target === backdrop) close();
  });
  document.addEventListener("keydown", onKey);
  host.append(backdrop);
  return { close, body, footer, dialog };
}

/** Ask a yes/no question; answers a promise of true/false. */
export function confirmDialog(title, text, yes = "OK") {
  return new Promise((resolve) => {
    let answered = false;
    const { dialog } = openDialog({
      title,
      body: el("p", { text }),
      buttons: [
        { label: "Cancel", onClick: () => { answered = true; resolve(false); } },
        { label: yes, primary: true, onClick: () => { answered = true; resolve(true); } },
      ],
    });
    new MutationObserver((_, obs) => {
      if (!dialog.isConnected) {
        obs.disconnect();
        if (!answered) resolve(false);
      }
    }).observe(document.getElementById("dialog-host"), { childList: true });
  });
}

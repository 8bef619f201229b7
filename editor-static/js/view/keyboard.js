// The workspace shortcuts that are not canvas gestures (search, zoom,
// deploy, import/export, flow tabs, edit), bound by Node-RED's keymap names
// so the keys a Node-RED user has in their fingers do the same here. The
// canvas gestures (select, delete, copy/paste, undo, nudge) live in
// interaction.js and share `forCanvas`.

/** Node-RED's chords (its `keymap.json`, "ctrl" meaning Ctrl or Cmd) → action names. */
const KEYMAP = {
  "ctrl-f": "core:search",
  "ctrl-d": "core:deploy-flows",
  "ctrl-e": "core:show-export-dialog",
  "ctrl-i": "core:show-import-dialog",
  "ctrl-+": "core:zoom-in",
  "ctrl-=": "core:zoom-in", // the same key as "+" without Shift
  "ctrl--": "core:zoom-out",
  "ctrl-0": "core:zoom-reset",
  "ctrl-1": "core:zoom-fit",
  "ctrl-[": "core:show-previous-tab",
  "ctrl-]": "core:show-next-tab",
  enter: "core:edit-selected-node",
};

/**
 * Whether a key (or clipboard) event is meant for the workspace: not typed
 * into a field or a code editor, and no dialog or edit tray open.
 */
export function forCanvas(e) {
  const t = e.target;
  if (t && t.closest && (t.closest("input, textarea, select, [contenteditable], .cm-editor") || t.closest(".tray, .dialog, .type-search"))) return false;
  return !document.querySelector("#dialog-host .backdrop, #tray-host .tray");
}

/** The chord of a key event in the keymap's spelling ("ctrl-1", "enter"). */
export function chord(e) {
  const key = e.key.toLowerCase();
  // A printable key already carries Shift ("+" is Shift+"="); named keys do not.
  const shift = e.shiftKey && e.key.length > 1 ? "shift-" : "";
  return `${e.ctrlKey || e.metaKey ? "ctrl-" : ""}${e.altKey ? "alt-" : ""}${shift}${key}`;
}

/**
 * Listen for the keymap's chords and run `actions[name]()`. Enter on a
 * focused button or link keeps its own meaning.
 */
export function bindKeys(actions) {
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || !forCanvas(e)) return;
    const name = KEYMAP[chord(e)];
    const action = name && actions[name];
    if (!action) return;
    if (e.key === "Enter" && e.target.closest && e.target.closest("button, a")) return;
    e.preventDefault();
    action();
  });
}

/** The chord bound to an action, for tooltips ("Ctrl+1"). */
export function shortcutOf(action) {
  const found = Object.entries(KEYMAP).find(([, a]) => a === action);
  if (!found) return "";
  return found[0]
    .split(/-(?=.)/)
    .map((p) => (p.length === 1 ? p.toUpperCase() : p.charAt(0).toUpperCase() + p.slice(1)))
    .join("+");
}

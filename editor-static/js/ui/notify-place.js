// Where notifications go: top centre below the toolbar, as Node-RED puts
// them, but never over what the user is about to click. An open edit tray
// narrows the area to the canvas left of it; an open dialog's header and
// buttons push the stack below them.

const GAP = 8;

/** The rectangles a notification must not cover: tray headers (with their buttons), dialog headers and footers. */
function obstacles() {
  return [...document.querySelectorAll("#tray-host .tray-header, #dialog-host .dialog-header, #dialog-host .dialog-footer")]
    .map((e) => e.getBoundingClientRect())
    .filter((r) => r.width && r.height);
}

const intersects = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/** Place the notification stack `host` for what is open now. */
export function placeNotifications(host) {
  if (!host.children.length) return;
  const trays = document.querySelectorAll("#tray-host .tray");
  const right = trays.length
    ? Math.min(...[...trays].map((t) => t.getBoundingClientRect().left))
    : document.documentElement.clientWidth;
  host.style.left = `${right / 2}px`;
  host.style.maxWidth = `${Math.max(160, right - 4 * GAP)}px`;
  const toolbar = document.getElementById("toolbar");
  let top = (toolbar ? toolbar.getBoundingClientRect().bottom : 0) + GAP;
  const avoid = obstacles();
  // Each step moves below one obstacle, so this ends after at most all of them.
  for (let i = 0; i <= avoid.length; i++) {
    host.style.top = `${top}px`;
    const r = host.getBoundingClientRect();
    const hit = avoid.find((o) => intersects(r, o));
    if (!hit) break;
    top = hit.bottom + GAP;
  }
}

let watching = false;

/** Re-place `host` whenever trays, dialogs or notifications come and go, or the window resizes. */
export function keepPlaced(host) {
  if (watching) return;
  watching = true;
  const again = () => placeNotifications(host);
  const observer = new MutationObserver(again);
  for (const id of ["tray-host", "dialog-host"]) {
    const el = document.getElementById(id);
    if (el) observer.observe(el, { childList: true });
  }
  observer.observe(host, { childList: true });
  window.addEventListener("resize", again);
}

// The debug panel: messages from `debug` nodes and `node.warn/error`, live
// from the runtime, with time, node (click selects it), property and a
// collapsible view of the value.

import { el } from "../model/util.js";
import { jsonView } from "../ui/json-view.js";

const MAX_MESSAGES = 500;

export class DebugPanel {
  constructor({ host, counter, model, onSelectNode, isVisible }) {
    this.host = host;
    this.counter = counter;
    this.model = model;
    this.onSelectNode = onSelectNode;
    this.isVisible = isVisible;
    this.unseen = 0;
    this.state = el("span", { class: "comms-state", text: "connecting…" });
    const clear = el("button", { class: "btn small", id: "debug-clear", text: "Clear" });
    clear.addEventListener("click", () => this.clear());
    this.list = el("div", { class: "debug-list", id: "debug-list" });
    this.empty = el("div", { class: "empty", text: "Messages from debug nodes appear here." });
    this.list.append(this.empty);
    host.replaceChildren(el("div", { class: "panel-toolbar" }, el("span", { class: "grow" }, this.state), clear), this.list);
  }

  setConnection(state) {
    this.state.textContent = state === "connected" ? "live" : "reconnecting…";
    this.state.style.color = state === "connected" ? "#1c7a35" : "#a32020";
  }

  /** Add one debug event (the runtime's `debug` topic data). */
  add(data) {
    if (!data || typeof data !== "object") return;
    this.empty.remove();
    const node = data.id ? this.model.get(data.id) : null;
    const name = data.name || (node ? this.model.label(node) : data.id || "runtime");
    const when = new Date(data.timestamp || Date.now());
    const nodeLink = el("a", { class: "debug-node", href: "#", dataset: { id: data.id || "" }, title: data.id ? `node ${data.id}` : "", text: name });
    nodeLink.addEventListener("click", (e) => {
      e.preventDefault();
      if (data.id) this.onSelectNode(data.id);
    });
    const prop = data.property === "msg" || !data.property ? "msg" : `msg.${data.property}`;
    const header = [data.topic ? `${prop} : ${data.topic}` : prop, data.format].filter(Boolean).join(" : ");
    const level = data.level === "warn" || data.level === "error" ? data.level : "log";
    const item = el("div", { class: `debug-msg ${level}`, dataset: { node: data.id || "" } },
      el("div", { class: "debug-meta" }, el("span", { class: "time", text: formatTime(when) }), nodeLink),
      el("div", { class: "debug-prop", text: header }),
      el("div", { class: "debug-value" }, jsonView(data.msg)));
    const atBottom = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 20;
    this.list.append(item);
    while (this.list.childElementCount > MAX_MESSAGES) this.list.firstElementChild.remove();
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
    if (!this.isVisible()) {
      this.unseen += 1;
      this.counter.textContent = String(this.unseen);
    }
  }

  /** The panel became visible: nothing is unseen any more. */
  seen() {
    this.unseen = 0;
    this.counter.textContent = "";
  }

  clear() {
    this.list.replaceChildren(this.empty);
    this.seen();
  }
}

function formatTime(d) {
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// The SVG canvas: draws the active tab's nodes, wires and groups, keyed by id
// so a change redraws only what changed. Interaction lives in interaction.js.

import { svg } from "../model/util.js";
import { iconFor, isLight } from "./icons.js";
import { nodeBox, outputPortY, wireStart, wireEnd, wirePath, PORT_SIZE, NODE_WIDTH, NODE_HEIGHT } from "./geometry.js";
import { problemsOf } from "../model/validate.js";
import { statusGroup, isEmptyStatus } from "./status.js";
import { renderGroups } from "./groups.js";
import { withMembers } from "../model/groups.js";

const SIZE = 5000;
const MIN_ZOOM = 0.3;
const MAX_ZOOM = 2;
/** Quiet time after the last zoom step before the drawing is redone at the new scale. */
const ZOOM_SETTLE_MS = 200;
/** New node elements made per frame while a large tab is first drawn. */
const NODES_PER_FRAME = 200;
/** Margin around the view (in screen pixels) drawn first when a large tab opens. */
const VIEW_MARGIN = 200;

export class Canvas {
  constructor(host, model, selection) {
    this.host = host;
    this.model = model;
    this.selection = selection;
    this.zoom = 1;
    /** The zoom the drawing is rasterised at (`zoom` differs during a zoom gesture). */
    this.drawnZoom = 1;
    this.zoomSettle = null;
    /** Node ids to the keys of their drawn wires, so a drag redraws only those. */
    this.wiresOf = new Map();
    /** The move a drag last asked for, drawn on the next frame. */
    this.preview = null;
    this.status = new Map();
    this.nodeEls = new Map();
    this.wireEls = new Map();
    this.groupEls = new Map();
    this.geo = new Map();

    this.svg = svg("svg", { class: "flow-canvas", width: SIZE, height: SIZE });
    const defs = svg("defs", {},
      svg("pattern", { id: "grid", width: 20, height: 20, patternUnits: "userSpaceOnUse" },
        svg("path", { class: "grid-line", d: "M20 0H0V20", fill: "none" })));
    this.viewport = svg("g", { class: "viewport" });
    this.background = svg("rect", { class: "background", width: SIZE, height: SIZE, fill: "url(#grid)" });
    this.groupLayer = svg("g", { class: "groups" });
    this.wireLayer = svg("g", { class: "wires" });
    this.nodeLayer = svg("g", { class: "nodes" });
    this.overlay = svg("g", { class: "overlay" });
    this.dragWire = svg("path", { class: "drag-wire", display: "none" });
    this.rubberband = svg("rect", { class: "rubberband", display: "none" });
    this.ghost = svg("rect", { class: "ghost-node", width: NODE_WIDTH, height: NODE_HEIGHT, rx: 5, display: "none" });
    this.overlay.append(this.dragWire, this.rubberband, this.ghost);
    this.viewport.append(this.background, this.groupLayer, this.wireLayer, this.nodeLayer, this.overlay);
    this.svg.append(defs, this.viewport);
    host.append(this.svg);

    this.pending = false;
    const schedule = () => this.scheduleRender();
    model.addEventListener("change", (e) => {
      if (e.detail && (e.detail.tab || e.detail.reset)) this.clear();
      schedule();
    });
    selection.addEventListener("change", schedule);
  }

  scheduleRender() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render({ budget: NODES_PER_FRAME });
    });
  }

  /** Forget every drawn element (tab switch, reload). */
  clear() {
    for (const m of [this.nodeEls, this.wireEls, this.groupEls]) {
      for (const e of m.values()) e.el.remove();
      m.clear();
    }
  }

  /**
   * Zoom (in tenths, up to 2, as the toolbar buttons and Node-RED's
   * Ctrl+/-/0 step) keeping the canvas point at the centre of the view where
   * it is, or keeping `centre` (a canvas point) there. `exact` skips the
   * rounding to tenths (zoom to fit).
   *
   * Redrawing 1,000 nodes at a new scale costs more than a frame, so a zoom
   * step only scales the drawing as it was rasterised (a CSS transform the
   * compositor applies, `will-change: transform`) and the drawing is redone
   * at the new scale once the steps have settled.
   */
  setZoom(z, { centre = null, exact = false } = {}) {
    const host = this.host;
    const c = centre || { x: (host.scrollLeft + host.clientWidth / 2) / this.zoom, y: (host.scrollTop + host.clientHeight / 2) / this.zoom };
    this.zoom = Math.min(MAX_ZOOM, Math.max(this.minZoom(), exact ? z : Math.round(z * 10) / 10));
    const k = this.zoom / this.drawnZoom;
    this.svg.style.transform = k === 1 ? "" : `scale(${k})`;
    host.scrollLeft = Math.max(0, c.x * this.zoom - host.clientWidth / 2);
    host.scrollTop = Math.max(0, c.y * this.zoom - host.clientHeight / 2);
    clearTimeout(this.zoomSettle);
    this.zoomSettle = setTimeout(() => this.settleZoom(), ZOOM_SETTLE_MS);
  }

  /** Draw at the zoom the steps ended on, keeping the view where it is. */
  settleZoom() {
    const host = this.host;
    const { scrollLeft, scrollTop } = host;
    this.drawnZoom = this.zoom;
    this.svg.style.transform = "";
    this.viewport.setAttribute("transform", `scale(${this.zoom})`);
    this.svg.setAttribute("width", SIZE * this.zoom);
    this.svg.setAttribute("height", SIZE * this.zoom);
    host.scrollLeft = scrollLeft;
    host.scrollTop = scrollTop;
  }

  /** 0.3, or less where the whole canvas still fills the view (Node-RED's limit). */
  minZoom() {
    return Math.min(MIN_ZOOM, Math.max(this.host.clientWidth / SIZE, this.host.clientHeight / SIZE));
  }

  /** Node-RED's zoom to fit: every node of the tab on screen, centred, with a margin. */
  zoomToFit() {
    this.render();
    const boxes = [...this.geo.values()].map((g) => g.box);
    if (!boxes.length) return;
    const pad = 40;
    const x0 = Math.min(...boxes.map((b) => b.x0)) - pad;
    const y0 = Math.min(...boxes.map((b) => b.y0)) - pad;
    const x1 = Math.max(...boxes.map((b) => b.x0 + b.w)) + pad;
    const y1 = Math.max(...boxes.map((b) => b.y0 + b.h)) + pad;
    const fit = Math.min(this.host.clientWidth / (x1 - x0), this.host.clientHeight / (y1 - y0));
    this.setZoom(Math.floor(fit * 100) / 100, { centre: { x: (x0 + x1) / 2, y: (y0 + y1) / 2 }, exact: true });
  }

  /** Canvas coordinates of a client (mouse) position. */
  toCanvas(clientX, clientY) {
    const r = this.svg.getBoundingClientRect();
    return { x: (clientX - r.left) / this.zoom, y: (clientY - r.top) / this.zoom };
  }

  /** Whether a client position lies over the visible canvas. */
  contains(clientX, clientY) {
    const r = this.host.getBoundingClientRect();
    return clientX >= r.left && clientX <= r.right && clientY >= r.top && clientY <= r.bottom;
  }

  /** The drawn box of a node on the active tab (after the last render). */
  geometry(id) {
    return this.geo.get(id);
  }

  /**
   * Bring the drawing up to date with the model. `budget` caps the node
   * elements made in this call: a scheduled redraw makes at most a frame's
   * worth, those in view first, and draws the rest on the following frames,
   * so opening a large tab never blocks the page for long.
   */
  render({ budget = Infinity } = {}) {
    const model = this.model;
    const tab = model.activeTab;
    this.selection.prune((id) => model.get(id));
    let nodes = tab ? model.canvasNodes(tab) : [];
    if (nodes.length - this.nodeEls.size > budget) nodes = this.inViewFirst(nodes);
    this.geo.clear();
    const seen = new Set();
    let deferred = false;
    for (const n of nodes) {
      const label = model.label(n);
      const outputs = model.outputs(n);
      const inputs = model.inputs(n);
      const box = nodeBox(n, label, outputs);
      this.geo.set(n.id, { box, outputs, inputs });
      seen.add(n.id);
      if (!this.nodeEls.has(n.id) && budget-- <= 0) {
        deferred = true;
        continue;
      }
      const state = {
        n,
        label,
        outputs,
        inputs,
        selected: this.selection.has(n.id),
        problems: model.problems.get(n.id) || null,
        invalid: problemsOf(model, n).length > 0,
        changed: model.isChanged(n),
        status: this.status.get(n.id) || null,
        color: model.types.color(n),
        known: model.types.known(n.type),
      };
      const sig = JSON.stringify(state);
      let entry = this.nodeEls.get(n.id);
      if (!entry) {
        entry = { el: svg("g"), sig: null };
        this.nodeEls.set(n.id, entry);
        this.nodeLayer.append(entry.el);
      }
      if (entry.sig !== sig) {
        entry.sig = sig;
        drawNode(entry.el, state, box, model.types.iconRight(n.type), iconFor(n.type, model.types.get(n.type)));
      }
    }
    removeStale(this.nodeEls, seen);
    this.renderWires(tab);
    this.renderGroups(tab);
    if (deferred) this.scheduleRender();
  }

  /** `nodes` with those in view (plus a margin) first, each part in its order. */
  inViewFirst(nodes) {
    const { scrollLeft, scrollTop, clientWidth, clientHeight } = this.host;
    const z = this.zoom;
    const x0 = (scrollLeft - VIEW_MARGIN) / z;
    const y0 = (scrollTop - VIEW_MARGIN) / z;
    const x1 = (scrollLeft + clientWidth + VIEW_MARGIN) / z;
    const y1 = (scrollTop + clientHeight + VIEW_MARGIN) / z;
    const near = [];
    const far = [];
    for (const n of nodes) (n.x >= x0 && n.x <= x1 && n.y >= y0 && n.y <= y1 ? near : far).push(n);
    return near.concat(far);
  }

  renderWires(tab) {
    const seen = new Set();
    const sel = this.selection.wire;
    this.wiresOf.clear();
    const index = (id, key) => {
      const keys = this.wiresOf.get(id);
      if (keys) keys.push(key);
      else this.wiresOf.set(id, [key]);
    };
    for (const w of tab ? this.model.wires(tab) : []) {
      const key = `${w.source}:${w.port}:${w.target}`;
      const s = this.geo.get(w.source);
      const t = this.geo.get(w.target);
      // A wire waits for both its nodes while a large tab is drawn over frames.
      if (!s || !t || !this.nodeEls.has(w.source) || !this.nodeEls.has(w.target)) continue;
      seen.add(key);
      index(w.source, key);
      index(w.target, key);
      const d = wirePath(wireStart(s.box, w.port, s.outputs), wireEnd(t.box));
      const selected = !!sel && sel.source === w.source && sel.port === w.port && sel.target === w.target;
      let entry = this.wireEls.get(key);
      if (!entry) {
        const hit = svg("path", { class: "wire-hit" });
        const line = svg("path", { class: "wire", dataset: { source: w.source, port: w.port, target: w.target } });
        entry = { el: svg("g", { class: "wire-group", dataset: { source: w.source, port: w.port, target: w.target } }, hit, line), hit, line, d: null, selected: null };
        this.wireEls.set(key, entry);
        this.wireLayer.append(entry.el);
      }
      if (entry.d !== d) {
        entry.d = d;
        entry.hit.setAttribute("d", d);
        entry.line.setAttribute("d", d);
      }
      if (entry.selected !== selected) {
        entry.selected = selected;
        entry.line.classList.toggle("selected", selected);
      }
    }
    removeStale(this.wireEls, seen);
  }

  renderGroups(tab) {
    renderGroups(this, tab);
  }

  /**
   * Move drawn nodes (and their wires) while dragging, before the model
   * changes: drawn once per frame, however many pointer moves arrive.
   */
  previewMove(selected, dx, dy) {
    const scheduled = this.preview !== null;
    this.preview = { selected, dx, dy };
    if (scheduled) return;
    requestAnimationFrame(() => {
      const p = this.preview;
      this.preview = null;
      if (p) this.drawMove(p.selected, p.dx, p.dy);
    });
  }

  /** Drop a drag's move not drawn yet (the drag ended). */
  stopPreview() {
    this.preview = null;
  }

  /** Draw a drag's move: only the moved nodes and groups and their wires. */
  drawMove(selected, dx, dy) {
    // A group moves with everything in it.
    const ids = withMembers(this.model, selected);
    for (const id of ids) this.groupEls.get(id)?.el.setAttribute("transform", `translate(${dx} ${dy})`);
    for (const id of ids) {
      const entry = this.nodeEls.get(id);
      const g = this.geo.get(id);
      if (!entry || !g) continue;
      entry.el.setAttribute("transform", `translate(${g.box.x0 + dx} ${g.box.y0 + dy})`);
    }
    const moved = new Set(ids);
    const keys = new Set(ids.flatMap((id) => this.wiresOf.get(id) || []));
    for (const key of keys) {
      const entry = this.wireEls.get(key);
      if (!entry) continue;
      const [source, port, target] = splitKey(key);
      const s = this.geo.get(source);
      const t = this.geo.get(target);
      const shift = (box, id) => (moved.has(id) ? { ...box, x0: box.x0 + dx, y0: box.y0 + dy } : box);
      const d = wirePath(wireStart(shift(s.box, source), Number(port), s.outputs), wireEnd(shift(t.box, target)));
      entry.hit.setAttribute("d", d);
      entry.line.setAttribute("d", d);
      entry.d = null;
    }
  }

  showDragWire(a, b) {
    this.dragWire.setAttribute("d", wirePath(a, b));
    this.dragWire.removeAttribute("display");
  }

  hideDragWire() {
    this.dragWire.setAttribute("display", "none");
  }

  showRubberband(x, y, w, h) {
    Object.entries({ x, y, width: w, height: h }).forEach(([k, v]) => this.rubberband.setAttribute(k, v));
    this.rubberband.removeAttribute("display");
  }

  hideRubberband() {
    this.rubberband.setAttribute("display", "none");
  }

  /** The outline of a node about to be added at canvas point `p` (quick-add). */
  showGhost(p) {
    this.ghost.setAttribute("x", p.x - NODE_WIDTH / 2);
    this.ghost.setAttribute("y", p.y - NODE_HEIGHT / 2);
    this.ghost.removeAttribute("display");
  }

  hideGhost() {
    this.ghost.setAttribute("display", "none");
  }

  /** Scroll so a node is visible. */
  reveal(id) {
    const g = this.geo.get(id);
    if (!g) return;
    const cx = (g.box.x0 + g.box.w / 2) * this.zoom;
    const cy = (g.box.y0 + g.box.h / 2) * this.zoom;
    const { clientWidth: w, clientHeight: h, scrollLeft: l, scrollTop: t } = this.host;
    if (cx < l + 40 || cx > l + w - 40) this.host.scrollLeft = Math.max(0, cx - w / 2);
    if (cy < t + 40 || cy > t + h - 40) this.host.scrollTop = Math.max(0, cy - h / 2);
  }

  /** A node's status from the runtime (kept for nodes on every tab). */
  setStatus(id, status) {
    if (isEmptyStatus(status)) this.status.delete(id);
    else this.status.set(id, status);
    this.scheduleRender();
  }

  /** Forget every status (after a deploy, before the runtime's are replayed). */
  clearStatuses() {
    this.status.clear();
    this.scheduleRender();
  }
}

function splitKey(key) {
  const a = key.indexOf(":");
  const b = key.lastIndexOf(":");
  return [key.slice(0, a), key.slice(a + 1, b), key.slice(b + 1)];
}

function removeStale(map, seen) {
  for (const [k, e] of map) {
    if (!seen.has(k)) {
      e.el.remove();
      map.delete(k);
    }
  }
}

const iconTemplates = new Map();

/**
 * An icon's elements: its markup is parsed once per icon and cloned for each
 * node, as parsing it for every node is most of drawing a large flow.
 */
function iconNodes(markup) {
  let template = iconTemplates.get(markup);
  if (!template) {
    template = svg("g");
    template.innerHTML = markup;
    iconTemplates.set(markup, template);
  }
  return [...template.childNodes].map((n) => n.cloneNode(true));
}

/** (Re)draw one node's group element. */
function drawNode(g, s, box, iconRight, icon) {
  const { n } = s;
  const classes = ["node", n.type === "comment" ? "comment" : "", n.type === "junction" ? "junction" : ""];
  if (s.selected) classes.push("selected");
  if (s.problems) classes.push("problem");
  if (s.invalid || !s.known) classes.push("invalid");
  if (n.d) classes.push("disabled");
  g.setAttribute("class", classes.filter(Boolean).join(" "));
  g.setAttribute("transform", `translate(${box.x0} ${box.y0})`);
  g.dataset.id = n.id;
  g.dataset.type = n.type;
  const parts = [];
  if (n.type === "junction") {
    parts.push(svg("rect", { class: "node-body", width: box.w, height: box.h, rx: 3 }));
    parts.push(svg("rect", { class: "port port-in", x: 0, y: 0, width: box.w, height: box.h, rx: 3, "data-port": 0, opacity: 0 }));
    parts.push(svg("rect", { class: "port port-out", x: 0, y: 0, width: box.w, height: box.h, rx: 3, "data-port": 0, opacity: 0 }));
    g.replaceChildren(...parts);
    return;
  }
  parts.push(svg("rect", { class: "node-body", width: box.w, height: box.h, rx: 5, ry: 5, fill: s.color }));
  if (n.type !== "comment" && icon) {
    const ix = iconRight ? box.w - 30 : 0;
    parts.push(svg("path", { class: "node-icon-shade", d: iconRight ? `M${ix} 0h25a5 5 0 015 5v${box.h - 10}a5 5 0 01-5 5h-25z` : `M5 0h25v${box.h}h-25a5 5 0 01-5-5v-${box.h - 10}a5 5 0 015-5z` }));
    parts.push(svg("path", { class: "node-icon-sep", d: `M${iconRight ? ix + 0.5 : 29.5} 0v${box.h}` }));
    const iconG = svg("g", { class: `node-icon${isLight(s.color) ? " dark" : ""}`, transform: `translate(${ix + 7} ${box.h / 2 - 8})` });
    iconG.append(...iconNodes(icon));
    parts.push(iconG);
  }
  const textX = n.type === "comment" ? 10 : iconRight ? 12 : 38;
  parts.push(svg("text", { class: "node-label", x: textX, y: box.h / 2, text: s.label }));
  if (s.inputs > 0) {
    parts.push(svg("rect", { class: "port port-in", x: -PORT_SIZE / 2, y: box.h / 2 - PORT_SIZE / 2, width: PORT_SIZE, height: PORT_SIZE, rx: 3, "data-port": 0 }));
  }
  for (let i = 0; i < s.outputs; i++) {
    const y = outputPortY(box, i, s.outputs);
    parts.push(svg("rect", { class: "port port-out", x: box.w - PORT_SIZE / 2, y: y - PORT_SIZE / 2, width: PORT_SIZE, height: PORT_SIZE, rx: 3, "data-port": i }));
  }
  if (s.changed) parts.push(svg("circle", { class: "node-changed", cx: box.w - 8, cy: -2, r: 4 }));
  if (s.problems || s.invalid || !s.known) {
    const tip = s.problems ? s.problems.join("\n") : !s.known ? `unknown node type "${n.type}"` : "required properties are missing";
    parts.push(svg("g", { class: "node-error-badge", transform: `translate(${box.w - 24} -9)` },
      svg("title", { text: tip }),
      svg("path", { d: "M8 0l8 14H0z" }),
      svg("text", { x: 8, y: 12, text: "!" })));
  }
  const status = statusGroup(s.status, box.h, n.d === true);
  if (status) parts.push(status);
  g.replaceChildren(...parts);
}

// The SVG canvas: draws the active tab's nodes, wires and groups, keyed by id
// so a change redraws only what changed. Interaction lives in interaction.js.

import { svg } from "../model/util.js";
import { iconFor, isLight } from "./icons.js";
import { nodeBox, outputPortY, wireStart, wireEnd, wirePath, PORT_SIZE, NODE_WIDTH, NODE_HEIGHT } from "./geometry.js";
import { problemsOf } from "../model/validate.js";
import { statusGroup, isEmptyStatus } from "./status.js";
import { renderGroups } from "./groups.js";
import { withMembers } from "../model/groups.js";
import { isCanvasNode } from "../model/model.js";
import { regions, boxIn, nodeNear, wireIn, wireNear, distanceTo, FRAME_BUDGET_MS, REMOVE_PER_FRAME } from "./cull.js";

const SIZE = 5000;
const MIN_ZOOM = 0.3;
const MAX_ZOOM = 2;
/** Quiet time after the last zoom step before the drawing is redone at the new scale. */
const ZOOM_SETTLE_MS = 200;
/** Time (ms) a frame's tasks may have taken before its render waits for the next frame. */
const LATE_FRAME_MS = 6;

export class Canvas {
  constructor(host, model, selection) {
    this.host = host;
    this.model = model;
    this.selection = selection;
    this.zoom = 1;
    /** The zoom the drawing is rasterised at (`zoom` differs during a zoom gesture). */
    this.drawnZoom = 1;
    this.zoomSettle = null;
    /** Node ids to the keys of their wires, so a drag redraws only those. */
    this.wiresOf = new Map();
    /** The active tab's canvas nodes and wires (`{source, port, target, key}`), as last read from the model. */
    this.nodeList = [];
    this.wireList = [];
    /** Whether those and every node's geometry must be read again. */
    this.stale = true;
    /** Whether the wires' paths must be computed again (the nodes were measured). */
    this.remeasured = false;
    /** Drawn nodes to compare with the model again: a set of ids, or "all". */
    this.dirty = "all";
    /** Whether the last render drew all that the view asks for. */
    this.complete = false;
    /** The move a drag last asked for, drawn on the next frame. */
    this.preview = null;
    /** The drag drawn last (`{ids, dx, dy}`), kept by renders until it ends. */
    this.moving = null;
    this.status = new Map();
    this.nodeEls = new Map();
    this.wireEls = new Map();
    this.groupEls = new Map();
    /** Boxes of the active tab's nodes by id, measured when first asked for (see `geometry`). */
    this.geo = new Map();
    /** The active tab's canvas nodes by id. */
    this.byId = new Map();

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
      const detail = e.detail || {};
      if (detail.tab || detail.reset) this.clear();
      this.stale = true;
      this.invalidate(this.changedNodes(detail));
      schedule();
    });
    selection.addEventListener("change", schedule);
    // Panning and resizing bring other parts of a large tab into view.
    host.addEventListener("scroll", schedule, { passive: true });
    new ResizeObserver(schedule).observe(host);
  }

  /** Compare drawn nodes `ids` (every drawn node when null) with the model on the next render. */
  invalidate(ids = null) {
    if (!ids) this.dirty = "all";
    else if (this.dirty !== "all") for (const id of ids) this.dirty.add(id);
  }

  /**
   * The ids an edit changed when they are only canvas nodes and groups:
   * then no other node looks different. Anything else (a config node, a
   * subflow, a tab, a deploy, deploy problems) may change any node.
   */
  changedNodes(detail) {
    if (!detail.changed || detail.types) return null;
    for (const id of detail.changed) {
      const n = this.model.get(id);
      if (n ? !isCanvasNode(n) && n.type !== "group" : !this.byId.has(id)) return null;
    }
    return detail.changed;
  }

  /**
   * Render on the next frame. A frame whose tasks already took most of it
   * (parsing and loading a large flow) is left to paint: the drawing
   * waits one frame, so the two costs do not add up in one long frame.
   */
  scheduleRender() {
    if (this.pending) return;
    this.pending = true;
    let waited = false;
    const frame = (t) => {
      if (!waited && performance.now() - t > LATE_FRAME_MS) {
        waited = true;
        requestAnimationFrame(frame);
        return;
      }
      this.pending = false;
      this.render({ budgetMs: FRAME_BUDGET_MS });
    };
    requestAnimationFrame(frame);
  }

  /** Forget every drawn element (tab switch, reload). */
  clear() {
    for (const m of [this.nodeEls, this.wireEls, this.groupEls]) {
      for (const e of m.values()) e.el.remove();
      m.clear();
    }
    this.stale = true;
  }

  /** Draw nodes `ids` again from the model (a drag was cancelled: undo its preview). */
  redraw(selected) {
    const ids = withMembers(this.model, selected);
    for (const id of ids) {
      const entry = this.nodeEls.get(id);
      if (entry) entry.sig = null;
      for (const key of this.wiresOf.get(id) || []) {
        const wire = this.wireEls.get(key);
        if (wire) wire.d = null;
      }
    }
    this.invalidate(ids);
    this.render();
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
    // Zooming out brings more of a large tab into view.
    this.scheduleRender();
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
    if (this.stale) this.measure(this.model.activeTab);
    const boxes = this.nodeList.map((n) => this.geometry(n.id).box);
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

  /**
   * A node of the active tab as drawn: `{box, label, outputs, inputs}`.
   * Measured when first asked for after the tab's nodes were read, so a
   * large tab measures only the nodes near the view before its first frame.
   */
  geometry(id) {
    // Asked before the render after an edit or a tab switch (a node found by search is revealed).
    if (this.stale) this.measure(this.model.activeTab);
    let g = this.geo.get(id);
    if (g) return g;
    const n = this.byId.get(id);
    if (!n) return undefined;
    const model = this.model;
    const label = model.label(n);
    const outputs = model.outputs(n);
    g = { box: nodeBox(n, label, outputs), label, outputs, inputs: model.inputs(n) };
    this.geo.set(id, g);
    return g;
  }

  /**
   * Bring the drawing up to date with the model and the view. Only what
   * lies in the view and its margin is drawn (see cull.js): what is in view
   * at once, the margin nearest first for at most `budgetMs` of script, and
   * the rest on the following frames, so neither opening a large tab nor
   * panning it blocks the page for long. `complete` tells whether anything
   * was left for a later frame.
   */
  render({ budgetMs = Infinity } = {}) {
    const start = performance.now();
    const model = this.model;
    const tab = model.activeTab;
    this.selection.prune((id) => model.get(id));
    if (this.stale) this.measure(tab);
    const r = regions(this.host, this.zoom, this.nodeList.length);
    const dirty = this.dirty;
    this.dirty = new Set();
    const removals = { left: REMOVE_PER_FRAME };
    const later = [];
    for (const n of this.nodeList) {
      const entry = this.nodeEls.get(n.id);
      if (entry) {
        const g = this.geometry(n.id);
        if (!boxIn(g.box, r.keep) && takeOne(removals)) {
          entry.el.remove();
          this.nodeEls.delete(n.id);
          continue;
        }
        if (dirty === "all" || dirty.has(n.id)) this.drawEntry(n, g, entry);
        this.markSelected(n.id, entry);
      } else if (nodeNear(n, r.view) && boxIn(this.geometry(n.id).box, r.view)) this.addNode(n, this.geometry(n.id));
      else if (nodeNear(n, r.draw)) later.push({ n, d: distanceTo(n, r.view) });
    }
    // The margin, nearest the view first, measured only as it is drawn.
    later.sort((a, b) => a.d - b.d);
    let left = later.length;
    for (const { n } of later) {
      if (performance.now() - start > budgetMs) break;
      const g = this.geometry(n.id);
      if (boxIn(g.box, r.draw)) this.addNode(n, g);
      left -= 1;
    }
    const wiresLeft = this.renderWires(r, removals, () => performance.now() - start > budgetMs);
    renderGroups(this, tab, (box) => boxIn(box, r.draw));
    this.complete = left === 0 && wiresLeft === 0 && removals.left > 0;
    if (!this.complete) this.scheduleRender();
  }

  /**
   * Read the tab's nodes and wires from the model, drop the elements of
   * those gone, and forget every node's box (measured again as asked for).
   */
  measure(tab) {
    const model = this.model;
    this.stale = false;
    this.remeasured = true;
    this.nodeList = tab ? model.canvasNodes(tab) : [];
    this.byId = new Map(this.nodeList.map((n) => [n.id, n]));
    this.geo.clear();
    this.wireList = [];
    this.wiresOf.clear();
    const index = (id, key) => {
      const keys = this.wiresOf.get(id);
      if (keys) keys.push(key);
      else this.wiresOf.set(id, [key]);
    };
    for (const w of tab ? model.wires(tab) : []) {
      const s = this.byId.get(w.source);
      const t = this.byId.get(w.target);
      if (!s || !t) continue;
      const key = `${w.source}:${w.port}:${w.target}`;
      this.wireList.push({ ...w, key, s, t });
      index(w.source, key);
      index(w.target, key);
    }
    removeStale(this.nodeEls, this.byId);
    removeStale(this.wireEls, new Set(this.wireList.map((w) => w.key)));
  }

  /** Make a node's element and draw it. */
  addNode(n, g) {
    const entry = { el: svg("g"), sig: null, selected: null };
    this.nodeEls.set(n.id, entry);
    this.nodeLayer.append(entry.el);
    this.drawEntry(n, g, entry);
    this.markSelected(n.id, entry);
  }

  /** Redraw a node's element if what it shows changed. */
  drawEntry(n, g, entry) {
    const model = this.model;
    const state = {
      n,
      label: g.label,
      outputs: g.outputs,
      inputs: g.inputs,
      problems: model.problems.get(n.id) || null,
      invalid: problemsOf(model, n).length > 0,
      changed: model.isChanged(n),
      status: this.status.get(n.id) || null,
      color: model.types.color(n),
      known: model.types.known(n.type),
    };
    const sig = JSON.stringify(state);
    if (entry.sig === sig) return;
    entry.sig = sig;
    entry.selected = null;
    drawNode(entry.el, state, g.box, model.types.iconRight(n.type), iconFor(n.type, model.types.get(n.type)));
    if (this.moving) this.placeNode(n.id, entry, g);
  }

  /** Show a node's selection: a class, so selecting never redraws a node. */
  markSelected(id, entry) {
    const selected = this.selection.has(id);
    if (entry.selected === selected) return;
    entry.selected = selected;
    entry.el.classList.toggle("selected", selected);
  }

  /**
   * Draw the wires that may cross the draw region (those crossing the view
   * at once, the rest while `overBudget()` says no), drop those outside
   * the keep region. Answers how many were left for a later frame.
   */
  renderWires(r, removals, overBudget) {
    const sel = this.selection.wire;
    const remeasured = this.remeasured;
    this.remeasured = false;
    let left = 0;
    for (const w of this.wireList) {
      let entry = this.wireEls.get(w.key);
      if (!entry && !wireNear(w.s, w.t, r.draw)) continue;
      if (!entry && !wireNear(w.s, w.t, r.view) && overBudget()) {
        left += 1;
        continue;
      }
      const [a, b] = this.wireEnds(w.source, w.port, w.target);
      if (entry && !wireIn(a, b, r.keep) && takeOne(removals)) {
        entry.el.remove();
        this.wireEls.delete(w.key);
        continue;
      }
      if (!entry) {
        if (!wireIn(a, b, r.draw)) continue;
        entry = this.addWire(w);
      }
      if (remeasured || entry.d === null || this.moving) this.setWirePath(entry, [a, b]);
      const selected = !!sel && sel.source === w.source && sel.port === w.port && sel.target === w.target;
      if (entry.selected !== selected) {
        entry.selected = selected;
        entry.line.classList.toggle("selected", selected);
      }
    }
    return left;
  }

  addWire(w) {
    const data = { source: w.source, port: w.port, target: w.target };
    const hit = svg("path", { class: "wire-hit" });
    const line = svg("path", { class: "wire", dataset: data });
    const entry = { el: svg("g", { class: "wire-group", dataset: data }, hit, line), hit, line, d: null, selected: null };
    this.wireEls.set(w.key, entry);
    this.wireLayer.append(entry.el);
    return entry;
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
    this.moving = null;
  }

  /** Draw a drag's move: only the moved nodes and groups and their wires. */
  drawMove(selected, dx, dy) {
    // A group moves with everything in it.
    const ids = withMembers(this.model, selected);
    this.moving = { ids: new Set(ids), dx, dy };
    for (const id of ids) this.groupEls.get(id)?.el.setAttribute("transform", `translate(${dx} ${dy})`);
    for (const id of ids) {
      const entry = this.nodeEls.get(id);
      const g = this.geometry(id);
      if (entry && g) this.placeNode(id, entry, g);
    }
    const keys = new Set(ids.flatMap((id) => this.wiresOf.get(id) || []));
    for (const key of keys) {
      const entry = this.wireEls.get(key);
      if (!entry) continue;
      const [source, port, target] = splitKey(key);
      this.setWirePath(entry, this.wireEnds(source, Number(port), target));
    }
  }

  /** Where a node's box is drawn: moved by the drag in progress, if it is one of those dragged. */
  shifted(id, box) {
    const m = this.moving;
    return m && m.ids.has(id) ? { ...box, x0: box.x0 + m.dx, y0: box.y0 + m.dy } : box;
  }

  /** Put a node's element where it is drawn (see `shifted`). */
  placeNode(id, entry, g) {
    const box = this.shifted(id, g.box);
    entry.el.setAttribute("transform", `translate(${box.x0} ${box.y0})`);
  }

  /** The two ends of a wire as drawn: `[start, end]`. */
  wireEnds(source, port, target) {
    const s = this.geometry(source);
    const t = this.geometry(target);
    return [wireStart(this.shifted(source, s.box), port, s.outputs), wireEnd(this.shifted(target, t.box))];
  }

  setWirePath(entry, [a, b]) {
    const d = wirePath(a, b);
    if (entry.d === d) return;
    entry.d = d;
    entry.hit.setAttribute("d", d);
    entry.line.setAttribute("d", d);
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
    const g = this.geometry(id);
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
    this.invalidate([id]);
    this.scheduleRender();
  }

  /** Forget every status (after a deploy, before the runtime's are replayed). */
  clearStatuses() {
    this.status.clear();
    this.invalidate();
    this.scheduleRender();
  }
}

function splitKey(key) {
  const a = key.indexOf(":");
  const b = key.lastIndexOf(":");
  return [key.slice(0, a), key.slice(a + 1, b), key.slice(b + 1)];
}

/** Take one from a per-frame allowance: false once it is used up. */
function takeOne(allowance) {
  if (allowance.left <= 0) return false;
  allowance.left -= 1;
  return true;
}

/** Remove the elements whose key `seen` no longer has. */
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

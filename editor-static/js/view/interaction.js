// Mouse and keyboard on the canvas: select (click, shift-click, rubber band),
// move (drag, arrow keys), connect (drag between ports), delete, copy/paste,
// undo/redo. Every change goes through the model so it can be undone.

import { wireStart, wireEnd } from "./geometry.js";
import { forCanvas } from "./keyboard.js";

const DRAG_THRESHOLD = 3;

export class Interaction {
  constructor({ canvas, model, selection, clipboard, onEdit, notify, onPaste, onQuickAdd, actions = {} }) {
    this.canvas = canvas;
    this.onPaste = onPaste;
    this.onQuickAdd = onQuickAdd;
    this.model = model;
    this.selection = selection;
    this.clipboard = clipboard;
    this.onEdit = onEdit;
    this.notify = notify;
    /** Edits offered on the toolbar too: `group`, `ungroup`. */
    this.actions = actions;
    this.gesture = null;
    const host = canvas.host;
    host.addEventListener("pointerdown", (e) => this.down(e));
    // Moves and releases are watched on the window so a drag may leave the canvas.
    window.addEventListener("pointermove", (e) => this.gesture && this.gesture.move(e));
    window.addEventListener("pointerup", (e) => this.finish(e, true));
    window.addEventListener("pointercancel", (e) => this.finish(e, false));
    host.addEventListener("dblclick", (e) => {
      const g = e.target.closest("g.node, g.group");
      if (g) onEdit(g.dataset.id);
    });
    document.addEventListener("keydown", (e) => this.key(e));
  }

  finish(e, commit) {
    const g = this.gesture;
    this.gesture = null;
    if (g) g.end(e, commit);
  }

  down(e) {
    if (e.button !== 0) return;
    this.canvas.host.focus({ preventScroll: true });
    const port = e.target.closest(".port");
    const nodeEl = e.target.closest("g.node");
    const wireEl = e.target.closest("g.wire-group");
    const groupEl = e.target.closest("g.group");
    e.preventDefault();
    if (port && nodeEl) this.gesture = this.wireGesture(nodeEl.dataset.id, port, e);
    else if (nodeEl) this.gesture = this.nodeGesture(nodeEl.dataset.id, e);
    else if (wireEl) {
      const { source, port: p, target } = wireEl.dataset;
      this.selection.selectWire({ source, port: Number(p), target });
    } else if (groupEl) this.gesture = this.nodeGesture(groupEl.dataset.id, e);
    else this.gesture = this.bandGesture(e);
  }

  /** Press on a node: select it, then move the selection if dragged. */
  nodeGesture(id, e) {
    const sel = this.selection;
    const additive = e.shiftKey || e.ctrlKey || e.metaKey;
    const wasSelected = sel.has(id);
    if (additive) sel.toggle(id);
    else if (!wasSelected) sel.set([id]);
    const start = this.canvas.toCanvas(e.clientX, e.clientY);
    let dragging = false;
    let delta = { x: 0, y: 0 };
    return {
      move: (ev) => {
        if (!sel.has(id)) return;
        const p = this.canvas.toCanvas(ev.clientX, ev.clientY);
        delta = { x: p.x - start.x, y: p.y - start.y };
        if (!dragging && Math.hypot(delta.x, delta.y) * this.canvas.zoom < DRAG_THRESHOLD) return;
        dragging = true;
        this.canvas.previewMove(sel.ids(), delta.x, delta.y);
      },
      end: (_ev, commit) => {
        this.canvas.stopPreview();
        if (dragging) {
          if (commit) this.model.moveNodes(sel.ids(), delta.x, delta.y);
          else this.canvas.redraw(sel.ids());
        } else if (!additive && wasSelected && sel.nodes.size > 1) {
          sel.set([id]);
        }
      },
    };
  }

  /** Drag from a port to a port of the other kind to connect them. */
  wireGesture(id, portEl, e) {
    const fromOutput = portEl.classList.contains("port-out");
    const port = Number(portEl.dataset.port || 0);
    const geo = this.canvas.geometry(id);
    if (!geo) return null;
    const anchor = fromOutput ? wireStart(geo.box, port, geo.outputs) : wireEnd(geo.box);
    let hovered = null;
    const findPort = (ev) => {
      const hit = document.elementFromPoint(ev.clientX, ev.clientY);
      const p = hit && hit.closest(fromOutput ? ".port-in" : ".port-out");
      return p && p.closest("g.node") ? p : null;
    };
    const show = (ev) => {
      const p = this.canvas.toCanvas(ev.clientX, ev.clientY);
      if (fromOutput) this.canvas.showDragWire(anchor, p);
      else this.canvas.showDragWire(p, anchor);
      const over = findPort(ev);
      if (over !== hovered) {
        hovered && hovered.classList.remove("hover");
        over && over.classList.add("hover");
        hovered = over;
      }
    };
    show(e);
    return {
      move: show,
      end: (ev, commit) => {
        this.canvas.hideDragWire();
        hovered && hovered.classList.remove("hover");
        const over = commit && findPort(ev);
        if (!over) return;
        const other = over.closest("g.node").dataset.id;
        if (fromOutput) this.model.connect(id, port, other);
        else this.model.connect(other, Number(over.dataset.port || 0), id);
      },
    };
  }

  /** Drag on empty canvas: select the nodes inside the rectangle. */
  bandGesture(e) {
    const additive = e.shiftKey || e.ctrlKey || e.metaKey;
    if (!additive) this.selection.clear();
    const start = this.canvas.toCanvas(e.clientX, e.clientY);
    let rect = null;
    return {
      move: (ev) => {
        const p = this.canvas.toCanvas(ev.clientX, ev.clientY);
        rect = { x: Math.min(p.x, start.x), y: Math.min(p.y, start.y), w: Math.abs(p.x - start.x), h: Math.abs(p.y - start.y) };
        this.canvas.showRubberband(rect.x, rect.y, rect.w, rect.h);
      },
      end: (ev, commit) => {
        this.canvas.hideRubberband();
        // Ctrl/Cmd-click on empty canvas: Node-RED's quick-add.
        if (!rect && commit && (e.ctrlKey || e.metaKey)) this.onQuickAdd(ev.clientX, ev.clientY);
        if (!rect || rect.w < 2 || rect.h < 2) return;
        const inside = this.model
          .canvasNodes(this.model.activeTab)
          .filter((n) => n.x >= rect.x && n.x <= rect.x + rect.w && n.y >= rect.y && n.y <= rect.y + rect.h)
          .map((n) => n.id);
        this.selection.set(additive ? [...this.selection.ids(), ...inside] : inside);
      },
    };
  }

  key(e) {
    if (!forCanvas(e)) return;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const sel = this.selection;
    let handled = true;
    if (mod && e.shiftKey && key === "g" && this.actions.group) this.actions.group();
    else if (mod && e.shiftKey && key === "u" && this.actions.ungroup) this.actions.ungroup();
    else if (mod && key === "z" && !e.shiftKey) this.model.undo();
    else if ((mod && key === "z" && e.shiftKey) || (mod && key === "y")) this.model.redo();
    else if (mod && key === "a") sel.set(this.model.canvasNodes(this.model.activeTab).map((n) => n.id));
    else if (mod && key === "c") this.copy();
    else if (mod && key === "x") {
      if (this.copy()) this.model.deleteNodes(sel.ids());
    } else if (mod && key === "v") this.onPaste();
    else if (key === "Delete" || key === "Backspace") this.deleteSelection();
    else if (key === "Escape") sel.clear();
    else if (key.startsWith("Arrow") && sel.nodes.size) {
      const step = e.shiftKey ? 20 : 1;
      const d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[key];
      this.model.moveNodes(sel.ids(), d[0], d[1]);
    } else handled = false;
    // Copy, cut and paste go on to the browser's clipboard events (paste.js).
    if (handled && !(mod && "cxv".includes(key))) e.preventDefault();
  }

  copy() {
    const n = this.clipboard.copy(this.selection.ids());
    if (n) this.notify(`Copied ${n} node${n === 1 ? "" : "s"}`);
    return n;
  }

  deleteSelection() {
    const sel = this.selection;
    if (sel.wire) {
      const { source, port, target } = sel.wire;
      sel.clear();
      this.model.disconnect(source, port, target);
    } else if (sel.nodes.size) {
      const ids = sel.ids();
      sel.clear();
      this.model.deleteNodes(ids);
    }
  }
}

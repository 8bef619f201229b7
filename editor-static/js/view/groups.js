// Groups on the canvas, drawn as Node-RED 1.1+ draws them: a rounded box in
// the group's `style` (stroke, fill and their opacities) around its
// members, behind the wires and nodes, with its name placed by
// `label-position` in the label colour. Nested groups are drawn over the
// group around them. A wide transparent border and the label take the
// pointer, so a group is picked by its border or its name, while a press
// inside it still reaches the canvas (rubber band) and its nodes.

import { svg } from "../model/util.js";
import { groupBounds } from "../model/groups.js";

/** Node-RED's label line height and inset. */
const LABEL_LINE = 16;
const LABEL_INSET = 5;

/** The groups of `tab`, outermost first (so nested ones are drawn on top). */
function byDepth(model, tab) {
  const depth = (g, seen = new Set()) => (g.g && !seen.has(g.id) && model.nodes.get(g.g) ? 1 + depth(model.nodes.get(g.g), seen.add(g.id)) : 0);
  return model.groups(tab).map((g) => ({ g, d: depth(g) })).sort((a, b) => a.d - b.d).map((e) => e.g);
}

/**
 * (Re)draw the groups of `tab` into `canvas.groupLayer`, keyed by id in
 * `canvas.groupEls`. Node boxes come from the canvas's last measure.
 * Only groups whose box `visible({x0, y0, w, h})` accepts are kept drawn.
 * Answers each group's box by id.
 */
export function renderGroups(canvas, tab, visible = () => true) {
  const model = canvas.model;
  const boxes = new Map();
  const seen = new Set();
  const memo = new Map();
  const boxOf = (n) => {
    const geo = canvas.geometry(n.id);
    return geo ? { x: geo.box.x0, y: geo.box.y0, w: geo.box.w, h: geo.box.h } : null;
  };
  const order = tab ? byDepth(model, tab) : [];
  const drawn = [];
  for (const g of order) {
    const box = groupBounds(model, g, boxOf, memo);
    boxes.set(g.id, box);
    if (!visible({ x0: box.x, y0: box.y, w: box.w, h: box.h })) continue;
    seen.add(g.id);
    const state = JSON.stringify({ box, name: g.name || "", style: g.style || {}, selected: canvas.selection.has(g.id) });
    let entry = canvas.groupEls.get(g.id);
    if (!entry) {
      entry = { el: svg("g", { class: "group", dataset: { id: g.id } }), sig: null };
      canvas.groupEls.set(g.id, entry);
    }
    drawn.push(entry.el);
    const moving = canvas.moving;
    if (moving && moving.ids.has(g.id)) entry.el.setAttribute("transform", `translate(${moving.dx} ${moving.dy})`);
    else entry.el.removeAttribute("transform");
    if (entry.sig === state) continue;
    entry.sig = state;
    drawGroup(entry.el, g, box, canvas.selection.has(g.id));
  }
  for (const [id, e] of canvas.groupEls) {
    if (!seen.has(id)) {
      e.el.remove();
      canvas.groupEls.delete(id);
    }
  }
  // Keep the layer in nesting order (outer groups first), touching it only
  // when that order changed.
  const layer = canvas.groupLayer;
  if (drawn.length !== layer.children.length || drawn.some((e, i) => layer.children[i] !== e)) layer.replaceChildren(...drawn);
  return boxes;
}

function drawGroup(el, g, box, selected) {
  const style = g.style || {};
  const css = [];
  if (style.stroke) css.push(`stroke:${style.stroke}`);
  if (style["stroke-opacity"] !== undefined) css.push(`stroke-opacity:${style["stroke-opacity"]}`);
  if (style.fill) css.push(`fill:${style.fill}`);
  if (style["fill-opacity"] !== undefined) css.push(`fill-opacity:${style["fill-opacity"]}`);
  el.classList.toggle("selected", selected);
  el.dataset.id = g.id;
  const parts = [
    svg("rect", { class: "group-select", x: box.x - 3, y: box.y - 3, width: box.w + 6, height: box.h + 6, rx: 6 }),
    svg("rect", { class: "group-box", x: box.x, y: box.y, width: box.w, height: box.h, rx: 4, style: css.join(";") || undefined }),
    svg("rect", { class: "group-outline", x: box.x, y: box.y, width: box.w, height: box.h, rx: 4 }),
  ];
  if (style.label && g.name) parts.push(label(g, box, style));
  el.replaceChildren(...parts);
}

/** The name, placed as Node-RED places it: n/s × w/centre/e. */
function label(g, box, style) {
  const pos = style["label-position"] || "nw";
  const lines = String(g.name).split("\n");
  const y = pos[0] === "s" ? box.y + box.h - LABEL_INSET - (lines.length - 1) * LABEL_LINE : box.y + 15;
  const x = pos[1] === "w" ? box.x + LABEL_INSET : pos[1] === "e" ? box.x + box.w - LABEL_INSET : box.x + box.w / 2;
  const anchor = pos[1] === "w" ? "start" : pos[1] === "e" ? "end" : "middle";
  const text = svg("text", { class: "group-label", x, y, "text-anchor": anchor, style: style.color ? `fill:${style.color}` : undefined });
  lines.forEach((line, i) => text.append(svg("tspan", { x, dy: i ? LABEL_LINE : 0, text: line })));
  return text;
}

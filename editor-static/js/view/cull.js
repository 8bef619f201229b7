// Which part of a tab is kept in the DOM. A browser's cost per frame (style,
// layout, paint, and the re-rasterising after a zoom) grows with the
// elements in the SVG, not with what is on screen, so a large tab keeps
// only what lies in view plus a margin: the margin is drawn a little per
// frame after what is in view, so panning finds it already there, and what
// leaves a wider margin is dropped a batch per frame.

import { NODE_WIDTH, NODE_HEIGHT } from "./geometry.js";

/**
 * Tabs with fewer canvas nodes than this are drawn whole: drawing them
 * costs less than a frame, and panning then never meets an empty margin.
 */
export const CULL_FROM = 300;
/** The margin drawn around the view, in viewports on each side. */
const DRAW_MARGIN = 1;
/** What stays drawn once drawn, in viewports on each side (wider, so a pan back and forth does not redraw). */
const KEEP_MARGIN = 1.5;
/** Script time (ms) a scheduled redraw may spend making elements outside the view. */
export const FRAME_BUDGET_MS = 3;
/** Elements removed per frame at most (a zoom out and back may leave hundreds). */
export const REMOVE_PER_FRAME = 200;
/** How far a wire's curve may reach past its ends (see `wirePath`): 2.75 node widths back, half a node height up or down. */
const WIRE_REACH_X = 2.75 * NODE_WIDTH;
const WIRE_REACH_Y = NODE_HEIGHT / 2;

/** A rectangle in canvas coordinates. */
function rect(x0, y0, x1, y1) {
  return { x0, y0, x1, y1 };
}

const EVERYWHERE = rect(-Infinity, -Infinity, Infinity, Infinity);

/**
 * The regions of a tab of `count` nodes, in canvas coordinates, for a view
 * scrolled in `host` at `zoom`: `view` (on screen), `draw` (the view and
 * its margin: drawn) and `keep` (drawn elements outside it are removed).
 * A small tab's regions cover everything.
 */
export function regions(host, zoom, count) {
  const { scrollLeft, scrollTop, clientWidth: w, clientHeight: h } = host;
  const around = (m) =>
    rect((scrollLeft - m * w) / zoom, (scrollTop - m * h) / zoom, (scrollLeft + (1 + m) * w) / zoom, (scrollTop + (1 + m) * h) / zoom);
  const view = around(0);
  if (count < CULL_FROM) return { view, draw: EVERYWHERE, keep: EVERYWHERE };
  return { view, draw: around(DRAW_MARGIN), keep: around(KEEP_MARGIN) };
}

/**
 * How far from its stored centre a node's box may reach: a node is only
 * measured (its label's width) when its centre lies this close to a region.
 * Wider than any node but one with a label of over 500 px.
 */
const NODE_REACH = 300;

/** Whether node `n`'s box may overlap region `r`, from its stored centre alone. */
export function nodeNear(n, r) {
  return n.x >= r.x0 - NODE_REACH && n.x <= r.x1 + NODE_REACH && n.y >= r.y0 - NODE_REACH && n.y <= r.y1 + NODE_REACH;
}

/** Whether a wire between nodes `s` and `t` may cross region `r`, from their stored centres alone. */
export function wireNear(s, t, r) {
  const reach = NODE_REACH + WIRE_REACH_X;
  return (
    Math.min(s.x, t.x) - reach <= r.x1 &&
    Math.max(s.x, t.x) + reach >= r.x0 &&
    Math.min(s.y, t.y) - NODE_REACH - WIRE_REACH_Y <= r.y1 &&
    Math.max(s.y, t.y) + NODE_REACH + WIRE_REACH_Y >= r.y0
  );
}

/** Whether a node box `{x0, y0, w, h}` overlaps region `r`. */
export function boxIn(box, r) {
  return box.x0 <= r.x1 && box.x0 + box.w >= r.x0 && box.y0 <= r.y1 && box.y0 + box.h >= r.y0;
}

/** Whether a wire from point `a` to point `b` may cross region `r` (its curve's bounds, generously). */
export function wireIn(a, b, r) {
  return (
    Math.min(a.x, b.x) - WIRE_REACH_X <= r.x1 &&
    Math.max(a.x, b.x) + WIRE_REACH_X >= r.x0 &&
    Math.min(a.y, b.y) - WIRE_REACH_Y <= r.y1 &&
    Math.max(a.y, b.y) + WIRE_REACH_Y >= r.y0
  );
}

/** Distance (squared, canvas units) from node `n`'s centre to the centre of region `r`, to draw the nearest first. */
export function distanceTo(n, r) {
  const dx = n.x - (r.x0 + r.x1) / 2;
  const dy = n.y - (r.y0 + r.y1) / 2;
  return dx * dx + dy * dy;
}

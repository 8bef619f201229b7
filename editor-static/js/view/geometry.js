// Where things are drawn: node boxes (sized like Node-RED's: centred on the
// stored x,y, width from the label, height from the output count), ports,
// and wire curves between them.

export const NODE_HEIGHT = 30;
export const NODE_WIDTH = 100;
export const PORT_SIZE = 10;
const PORT_GAP = 13;
const ICON_SPACE = 50;

const measureCtx = document.createElement("canvas").getContext("2d");
measureCtx.font = '14px "Helvetica Neue", Arial, Helvetica, sans-serif';
const widthCache = new Map();

/** Rendered width of a label at the canvas font. */
export function textWidth(text) {
  let w = widthCache.get(text);
  if (w === undefined) {
    w = measureCtx.measureText(text).width;
    if (widthCache.size > 5000) widthCache.clear();
    widthCache.set(text, w);
  }
  return w;
}

/** The box of a node: `{x0, y0, w, h}` in canvas coordinates. */
export function nodeBox(node, label, outputs) {
  if (node.type === "junction") return { x0: node.x - 5, y0: node.y - 5, w: 10, h: 10 };
  const w = Math.max(NODE_WIDTH, 20 * Math.ceil((textWidth(label) + ICON_SPACE) / 20));
  const h = Math.max(NODE_HEIGHT, outputs * 15);
  return { x0: node.x - w / 2, y0: node.y - h / 2, w, h };
}

/** Vertical centre (relative to the box top) of output port `i` of `n`. */
export function outputPortY(box, i, n) {
  return box.h / 2 - ((n - 1) / 2) * PORT_GAP + PORT_GAP * i;
}

/** Canvas point where a wire leaves output `port` of a node. */
export function wireStart(box, port, outputs) {
  return { x: box.x0 + box.w + PORT_SIZE / 2, y: box.y0 + outputPortY(box, port, outputs) };
}

/** Canvas point where a wire enters a node's input. */
export function wireEnd(box) {
  return { x: box.x0 - PORT_SIZE / 2, y: box.y0 + box.h / 2 };
}

/**
 * A cubic curve from an output to an input: horizontal tangents at both ends,
 * bowing outwards further when the target lies behind the source.
 */
export function wirePath(a, b) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const dist = Math.hypot(dx, dy);
  let reach = 0.75;
  let bend = 0;
  if (dist < NODE_WIDTH) reach *= dist / NODE_WIDTH;
  if (dx < 0) {
    reach += 2 * (Math.min(5 * NODE_WIDTH, -dx) / (5 * NODE_WIDTH));
    if (Math.abs(dy) < 3 * NODE_HEIGHT) {
      bend = (dy > 0 ? 0.5 : -0.5) * ((3 * NODE_HEIGHT - Math.abs(dy)) / (3 * NODE_HEIGHT)) * (Math.min(NODE_WIDTH, -dx) / NODE_WIDTH);
    }
  }
  const c = NODE_WIDTH * reach;
  const bendY = bend * NODE_HEIGHT;
  const f = (v) => Math.round(v * 10) / 10;
  return `M${f(a.x)} ${f(a.y)} C${f(a.x + c)} ${f(a.y + bendY)} ${f(b.x - c)} ${f(b.y - bendY)} ${f(b.x)} ${f(b.y)}`;
}

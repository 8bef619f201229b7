// Node status under a node, as Node-RED's editor draws it: a 9×9 dot (filled)
// or ring (outlined) in one of Node-RED's status colours, then the text, on
// a faint background strip 3px below the node. Statuses arrive live over
// `/comms` (`status/<id>`); the canvas keeps them per node id, so the nodes
// of other tabs keep theirs and show them when their tab is opened.

import { svg } from "../model/util.js";

/** Node-RED's permitted status colours; any other fill gets no colour. */
const COLOURS = { red: "#c00", green: "#5a8", yellow: "#F9DF31", blue: "#53A3F3", grey: "#d3d3d3", gray: "#d3d3d3" };

/** What Node-RED shows for a status: `null` when there is nothing to show. */
export function shownStatus(status) {
  if (!status || typeof status !== "object") return null;
  const colour = COLOURS[status.fill] || null;
  const shape = status.shape === "ring" ? "ring" : status.shape == null && !colour ? null : "dot";
  const text = status.text === undefined || status.text === null ? "" : String(status.text);
  if (!shape && !text) return null;
  return { shape, colour, text };
}

/**
 * The status group of a node whose body is `height` tall, or null. Hidden
 * for disabled nodes, as in Node-RED.
 */
export function statusGroup(status, height, disabled) {
  const s = disabled ? null : shownStatus(status);
  if (!s) return null;
  const textX = s.shape ? 20 : 3;
  const label = svg("text", { class: "node-status-label", x: textX, y: 10, text: s.text });
  const g = svg("g", { class: "node-status", transform: `translate(3 ${height + 3})`, dataset: { shape: s.shape || "none", fill: s.colour ? status.fill : "none" } });
  // The background strip is sized once the label has been laid out.
  const background = svg("rect", { class: "node-status-background", x: 3, y: -1, width: 0, height: 13, rx: 2, ry: 2 });
  g.append(background);
  if (s.shape) {
    const colour = s.colour || "#000";
    const fill = s.shape === "ring" ? "#fff" : colour;
    g.append(svg("rect", { class: "node-status-shape", x: 6, y: 1, width: 9, height: 9, rx: 2, ry: 2, "stroke-width": 3, fill, stroke: s.colour ? colour : "none" }));
  }
  g.append(label);
  requestAnimationFrame(() => {
    if (!label.isConnected) return;
    const w = label.getComputedTextLength();
    background.setAttribute("width", (s.shape ? 15 : 0) + w + (w > 0 ? 6 : 0));
  });
  return g;
}

/** Node-RED's rule for a `status/<id>` event: no text, fill or shape clears it. */
export function isEmptyStatus(status) {
  return !status || (!status.text && !status.fill && !status.shape);
}

// The edit trays of a group (name, line and fill colours with their
// opacity, label shown or not, its colour and position: Node-RED's group
// form), of a subflow instance (name, the definition's env properties
// with the instance's own values, and "Edit subflow template") and of a
// subflow definition (name, colour, description, its env properties).

import { el } from "../model/util.js";
import { DEFAULT_STYLE } from "../model/groups.js";
import { definitionOf, instanceEnv, openSubflow, closeSubflow } from "../model/subflows.js";

const POSITIONS = [["nw", "top left"], ["n", "top centre"], ["ne", "top right"], ["sw", "bottom left"], ["s", "bottom centre"], ["se", "bottom right"]];
const ENV_TYPES = ["str", "num", "bool", "json", "env"];

/**
 * A tray like the node form's (same header, buttons and keys: Escape,
 * Ctrl+Enter), with `rows` as its form. `done()` answers false to keep it open.
 */
function openTray(trays, { node, title, rows, extra = [], done, remove }) {
  const del = el("button", { class: "btn danger", id: "tray-delete", text: "Delete" });
  const cancel = el("button", { class: "btn", id: "tray-cancel", text: "Cancel" });
  const ok = el("button", { class: "btn primary", id: "tray-done", text: "Done" });
  const tray = el("div", { class: "tray", dataset: { id: node.id, type: node.type } },
    el("div", { class: "tray-header" }, el("span", { class: "tray-title", text: title }), del, cancel, ok),
    el("div", { class: "tray-body" },
      ...extra,
      el("form", { autocomplete: "off", onsubmit: (e) => e.preventDefault() }, rows),
      el("table", { class: "info-table" },
        el("tr", {}, el("td", { text: "id" }), el("td", { text: node.id })),
        el("tr", {}, el("td", { text: "type" }), el("td", { text: node.type })))));
  trays.host.append(tray);
  tray.querySelector("input, select")?.focus();
  const entry = {
    close: () => {
      tray.remove();
      trays.stack = trays.stack.filter((t) => t !== entry);
    },
    cancel: () => entry.close(),
    done: () => {
      if (done() !== false) entry.close();
    },
  };
  cancel.addEventListener("click", entry.cancel);
  ok.addEventListener("click", entry.done);
  del.addEventListener("click", () => {
    entry.close();
    remove();
  });
  trays.stack.push(entry);
  return entry;
}

function row(label, ...controls) {
  return el("div", { class: "form-row" }, el("label", { text: label }), el("div", { class: "control" }, ...controls));
}

function colorInput(name, value) {
  const none = value === "none";
  const input = el("input", { type: "color", name, value: /^#[0-9a-f]{6}$/i.test(value) ? value : "#ffffff" });
  return { input, none };
}

function opacityInput(name, value) {
  return el("input", { type: "number", name, min: 0, max: 1, step: 0.1, value: value ?? "1", class: "group-opacity" });
}

/** Node-RED's group form; Done stores `name` and `style` as one edit. */
export function openGroupForm(trays, g) {
  const model = trays.model;
  const style = { ...DEFAULT_STYLE, ...(g.style || {}) };
  const name = el("input", { type: "text", name: "name", value: g.name || "" });
  const stroke = colorInput("stroke", style.stroke);
  const strokeNone = el("input", { type: "checkbox", name: "stroke-none" });
  strokeNone.checked = stroke.none;
  const fill = colorInput("fill", style.fill);
  const fillNone = el("input", { type: "checkbox", name: "fill-none" });
  fillNone.checked = fill.none;
  const strokeOpacity = opacityInput("stroke-opacity", style["stroke-opacity"]);
  const fillOpacity = opacityInput("fill-opacity", style["fill-opacity"]);
  const showLabel = el("input", { type: "checkbox", name: "label" });
  showLabel.checked = !!(g.style || {}).label;
  const color = el("input", { type: "color", name: "color", value: /^#[0-9a-f]{6}$/i.test(style.color) ? style.color : DEFAULT_STYLE.color });
  const position = el("select", { name: "label-position" }, POSITIONS.map(([v, t]) => el("option", { value: v, text: t })));
  position.value = style["label-position"] || "nw";
  const labelRows = [row("Label colour", color), row("Label position", position)];
  // `.form-row` is a flex box, which the `hidden` attribute does not beat.
  const toggle = () => labelRows.forEach((r) => (r.style.display = showLabel.checked ? "" : "none"));
  showLabel.addEventListener("change", toggle);
  toggle();
  const rows = [
    row("Name", name),
    row("Line", stroke.input, el("label", { class: "inline" }, strokeNone, " none"), " opacity ", strokeOpacity),
    row("Fill", fill.input, el("label", { class: "inline" }, fillNone, " none"), " opacity ", fillOpacity),
    row("Label", el("label", { class: "inline" }, showLabel, " show")),
    ...labelRows,
  ];
  openTray(trays, {
    node: g,
    title: "Edit group",
    rows,
    done: () => {
      const next = {
        ...(g.style || {}),
        stroke: strokeNone.checked ? "none" : stroke.input.value,
        "stroke-opacity": strokeOpacity.value,
        fill: fillNone.checked ? "none" : fill.input.value,
        "fill-opacity": fillOpacity.value,
        label: showLabel.checked,
      };
      if (showLabel.checked) {
        next["label-position"] = position.value;
        next.color = color.value;
      } else {
        delete next["label-position"];
        delete next.color;
      }
      // Node-RED stores only what differs from its default style.
      for (const k of ["stroke", "fill", "stroke-opacity", "fill-opacity", "color", "label-position"]) {
        if (String(next[k]) === String(DEFAULT_STYLE[k])) delete next[k];
      }
      const changed = {};
      if ((g.name || "") !== name.value) changed.name = name.value;
      if (JSON.stringify(g.style || {}) !== JSON.stringify(next)) changed.style = next;
      if (Object.keys(changed).length) model.edit("edit group", (tx) => tx.set(g.id, changed));
    },
    remove: () => {
      trays.selection.clear();
      model.deleteNodes([g.id]);
    },
  });
}

/**
 * A subflow instance's form: its name, then one row per property the
 * definition's `env` defines, showing the instance's value where it has
 * one, else the definition's. Done keeps only what differs (Node-RED's rule).
 */
export function openInstanceForm(trays, n) {
  const model = trays.model;
  const sf = definitionOf(model, n);
  if (!sf) return;
  const own = new Map((n.env || []).map((e) => [e.name, e]));
  const name = el("input", { type: "text", name: "name", value: n.name || "", placeholder: sf.name || "" });
  const props = (sf.env || []).filter((d) => d.type !== "cred").map((d) => {
    const current = own.get(d.name) || d;
    const value = el("input", { type: "text", name: `env-${d.name}`, value: current.value ?? "", dataset: { env: d.name } });
    const types = ENV_TYPES.includes(d.type) ? ENV_TYPES : [d.type, ...ENV_TYPES];
    const type = el("select", { name: `env-type-${d.name}`, class: "env-type" }, types.map((t) => el("option", { value: t, text: t })));
    type.value = current.type || d.type || "str";
    return { d, value, type, row: row(d.name, el("div", { class: "env-value" }, type, value)) };
  });
  const enabled = el("input", { type: "checkbox", name: "enabled" });
  enabled.checked = !n.d;
  const template = el("button", { type: "button", class: "btn", id: "tray-edit-template", text: "Edit subflow template" });
  const entry = openTray(trays, {
    node: n,
    title: `Edit subflow: ${sf.name || sf.id}`,
    extra: [el("div", { class: "form-row" }, template)],
    rows: [
      row("Name", name),
      props.length ? el("h4", { class: "env-heading", text: "Properties" }) : null,
      ...props.map((p) => p.row),
      row("Enabled", enabled),
    ],
    done: () => {
      const values = new Map(props.map((p) => [p.d.name, { type: p.type.value, value: p.value.value }]));
      const env = instanceEnv(sf, values, n.env);
      const changed = {};
      if ((n.name || "") !== name.value) changed.name = name.value;
      if (JSON.stringify(n.env || []) !== JSON.stringify(env)) changed.env = env;
      if (!enabled.checked !== !!n.d) changed.d = enabled.checked ? undefined : true;
      if (Object.keys(changed).length) model.edit(`edit ${n.type}`, (tx) => tx.set(n.id, changed));
    },
    remove: () => {
      trays.selection.clear();
      model.deleteNodes([n.id]);
    },
  });
  template.addEventListener("click", () => {
    entry.close();
    trays.selection.clear();
    openSubflow(model, sf.id);
  });
}

/**
 * A subflow definition's form (double-click its tab): name, colour,
 * description, and the env properties its instances offer, each a name, a
 * type and a default value, as Node-RED's subflow template form keeps them.
 */
export function openDefinitionForm(trays, sf) {
  const model = trays.model;
  const name = el("input", { type: "text", name: "name", value: sf.name || "" });
  const color = el("input", { type: "color", name: "color", value: /^#[0-9a-f]{6}$/i.test(sf.color || "") ? sf.color : "#dddddd" });
  const info = el("textarea", { name: "info", rows: 3 });
  info.value = sf.info || "";
  const list = el("div", { class: "env-list" });
  const addRow = (e = { name: "", type: "str", value: "" }) => {
    const n = el("input", { type: "text", class: "env-name", placeholder: "name", value: e.name });
    const types = ENV_TYPES.includes(e.type) ? ENV_TYPES : [e.type, ...ENV_TYPES];
    const t = el("select", { class: "env-type" }, types.map((v) => el("option", { value: v, text: v })));
    t.value = e.type || "str";
    const v = el("input", { type: "text", class: "env-default", placeholder: "value", value: e.value ?? "" });
    const del = el("button", { type: "button", class: "btn small", title: "Remove property", text: "\u00d7" });
    const r = el("div", { class: "env-value env-row" }, n, t, v, del);
    r.entry = e;
    del.addEventListener("click", () => r.remove());
    list.insertBefore(r, add);
  };
  const add = el("button", { type: "button", class: "btn small", id: "env-add", text: "+ add property" });
  add.addEventListener("click", () => addRow());
  list.append(add);
  (sf.env || []).forEach((e) => addRow(e));
  openTray(trays, {
    node: sf,
    title: "Edit subflow template",
    rows: [row("Name", name), row("Colour", color), row("Description", info), el("h4", { class: "env-heading", text: "Properties" }), list],
    done: () => {
      const env = [...list.querySelectorAll(".env-row")]
        .map((r) => ({ ...r.entry, name: r.querySelector(".env-name").value.trim(), type: r.querySelector(".env-type").value, value: r.querySelector(".env-default").value }))
        .filter((e) => e.name);
      const next = { name: name.value, color: color.value, info: info.value, env };
      const changed = {};
      for (const [k, v] of Object.entries(next)) if (JSON.stringify(sf[k] ?? "") !== JSON.stringify(v)) changed[k] = v;
      if (Object.keys(changed).length) model.edit("edit subflow", (tx) => tx.set(sf.id, changed));
    },
    remove: () => {
      // The definition goes with its nodes and every instance of it.
      const ids = [...model.nodes.values()].filter((n) => n.z === sf.id || n.type === `subflow:${sf.id}`).map((n) => n.id);
      trays.selection.clear();
      closeSubflow(model, sf.id);
      model.deleteNodes([...ids, sf.id]);
    },
  });
}

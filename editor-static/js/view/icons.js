// Node icons: small line drawings in a 16×16 box, chosen by node type, then
// by the type's `icon` in its editor document, then by palette category.

const ICONS = {
  globe: '<circle cx="8" cy="8" r="6"/><path d="M2 8h12M8 2c-2.5 3-2.5 9 0 12M8 2c2.5 3 2.5 9 0 12"/>',
  func: '<path d="M10.5 2.5c-2 0-2.5 1-2.8 3l-1.2 7c-.3 1.6-1 2-2.5 2M5 6.5h6"/>',
  debug: '<path d="M3 4h10M3 8h10M3 12h6"/>',
  inject: '<path d="M2 8h9M8 4.5L11.5 8 8 11.5"/><path d="M13.5 3v10"/>',
  key: '<circle cx="5" cy="8" r="3"/><path d="M8 8h6M12 8v2.5M14 8v2"/>',
  shield: '<path d="M8 2l5 2v4c0 3-2.2 5-5 6-2.8-1-5-3-5-6V4z"/><path d="M5.8 8l1.6 1.6L10.5 6.5"/>',
  template: '<path d="M5.5 2.5C4 2.5 4 3.5 4 5s-.5 2.5-1.5 3C3.5 8.5 4 9.5 4 11s0 2.5 1.5 2.5M10.5 2.5c1.5 0 1.5 1 1.5 2.5s.5 2.5 1.5 3c-1 .5-1.5 1.5-1.5 3s0 2.5-1.5 2.5"/>',
  change: '<path d="M2 5h8M8 2.5L10.5 5 8 7.5M14 11H6M8 8.5L5.5 11 8 13.5"/>',
  switch: '<path d="M2 8h4l3-4h5M6 8l3 4h5M12 2l2 2-2 2M12 10l2 2-2 2"/>',
  alert: '<path d="M8 2l6.5 11.5h-13z"/><path d="M8 6.5v3.5"/><circle class="solid" cx="8" cy="11.8" r=".9"/>',
  clock: '<circle cx="8" cy="8" r="6"/><path d="M8 4.5V8l2.5 1.8"/>',
  link: '<path d="M6.5 9.5l3-3M7 4.5l1.2-1.2a2.6 2.6 0 013.6 3.6L10.5 8M9 11.5l-1.2 1.2a2.6 2.6 0 01-3.6-3.6L5.5 8"/>',
  comment: '<path d="M2.5 3.5h11v7h-6l-3 2.5v-2.5h-2z"/>',
  status: '<circle cx="8" cy="8" r="2.5"/><circle cx="8" cy="8" r="6"/>',
  json: '<path d="M5 3c-1.5 0-1.5 1-1.5 2.5S3 7.5 2 8c1 .5 1.5 1 1.5 2.5S3.5 13 5 13M11 3c1.5 0 1.5 1 1.5 2.5S13 7.5 14 8c-1 .5-1.5 1-1.5 2.5S12.5 13 11 13"/><circle class="solid" cx="8" cy="8" r="1"/>',
  cog: '<circle cx="8" cy="8" r="2.2"/><path d="M8 1.5v2M8 12.5v2M1.5 8h2M12.5 8h2M3.4 3.4l1.4 1.4M11.2 11.2l1.4 1.4M3.4 12.6l1.4-1.4M11.2 4.8l1.4-1.4"/>',
  junction: "",
  subflow: '<rect x="2" y="4" width="5" height="8" rx="1"/><rect x="9" y="4" width="5" height="8" rx="1"/><path d="M7 8h2"/>',
  split: '<path d="M2 8h5M7 8l6-4.5M7 8l6 4.5M7 8h6"/>',
  join: '<path d="M14 8H9M9 8L3 3.5M9 8l-6 4.5M9 8H3"/>',
  sort: '<path d="M2.5 4h8M2.5 8h5.5M2.5 12h3M12.5 3v10M10.5 11l2 2 2-2"/>',
  batch: '<path d="M2 4.5h5v7H2zM9 4.5h5v7H9z"/>',
  range: '<path d="M2.5 12.5l11-9M2.5 9.5v3h3M13.5 6.5v-3h-3"/>',
  filter: '<path d="M2 3h12l-4.5 5.5V13l-3 1V8.5z"/>',
  terminal: '<path d="M3 4.5l3 3.5-3 3.5M8 12h5"/>',
  file: '<path d="M4 2h5l3 3v9H4zM9 2v3h3"/>',
  eye: '<path d="M1.5 8s2.5-4.5 6.5-4.5S14.5 8 14.5 8 12 12.5 8 12.5 1.5 8 1.5 8z"/><circle cx="8" cy="8" r="2"/>',
};

const BY_TYPE = {
  "http in": "globe",
  "http response": "globe",
  "http request": "globe",
  function: "func",
  debug: "debug",
  inject: "inject",
  jwt: "key",
  "jwt sign": "key",
  "jwt verify": "shield",
  "jwt-config": "key",
  template: "template",
  change: "change",
  switch: "switch",
  catch: "alert",
  complete: "alert",
  status: "status",
  delay: "clock",
  trigger: "clock",
  "link in": "link",
  "link out": "link",
  "link call": "link",
  comment: "comment",
  json: "json",
  junction: "junction",
  split: "split",
  join: "join",
  sort: "sort",
  batch: "batch",
  range: "range",
  rbe: "filter",
  exec: "terminal",
  csv: "json",
  xml: "json",
  yaml: "json",
  html: "json",
  file: "file",
  "file in": "file",
  watch: "eye",
};

const BY_CATEGORY = {
  network: "globe",
  function: "func",
  security: "key",
  common: "cog",
  parser: "json",
  sequence: "switch",
  storage: "file",
};

/** SVG markup (inner elements) of a node's icon. */
export function iconFor(type, typeDef) {
  const name = BY_TYPE[type] || (typeDef && typeDef.editor.icon) || (typeDef && BY_CATEGORY[typeDef.category]) || "cog";
  return ICONS[name] ?? ICONS.cog;
}

/** Whether a fill colour is so light that a white icon would vanish on it. */
export function isLight(color) {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(color || "").trim());
  if (!m) return false;
  const hex = m[1].length === 3 ? [...m[1]].map((c) => c + c).join("") : m[1];
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return 0.299 * r + 0.587 * g + 0.114 * b > 235;
}

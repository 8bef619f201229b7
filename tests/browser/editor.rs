//! What the editor's tests read off the page in either browser: counts of
//! drawn elements, the wires, node positions in canvas coordinates, and the
//! runtime's own view of the flows.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common;
use crate::driver::chromium::Chromium;
use crate::driver::{js_str, Driver};

/// Start the binary on `flow` and open the editor in Chromium, once its
/// `nodes` are drawn and the page says it has loaded.
pub fn editor(flow: &str, nodes: usize) -> (common::Server, Chromium) {
    let server = common::Server::start(flow);
    let page = Chromium::open(&server.url(""));
    wait_count(&page, "g.node", nodes);
    page.wait(
        "the editor loaded",
        "document.body.dataset.ready === 'true'",
    );
    (server, page)
}

/// A drawn wire: (source id, port, target id).
pub type Wire = (String, u64, String);

pub fn node_selector(id: &str) -> String {
    format!("g.node[data-id=\"{id}\"]")
}

/// How many elements match `selector` now.
pub fn count(page: &impl Driver, selector: &str) -> usize {
    page.eval(&format!(
        "document.querySelectorAll({}).length",
        js_str(selector)
    ))
    .as_u64()
    .unwrap() as usize
}

/// Wait until exactly `n` elements match.
pub fn wait_count(page: &impl Driver, selector: &str, n: usize) {
    page.wait(
        &format!("{n} × {selector}"),
        &format!(
            "document.querySelectorAll({}).length === {n}",
            js_str(selector)
        ),
    );
}

/// The drawn wires.
pub fn wires(page: &impl Driver) -> BTreeSet<Wire> {
    let v = page.eval(
        "[...document.querySelectorAll('path.wire')].map(w => [w.dataset.source, Number(w.dataset.port), w.dataset.target])",
    );
    v.as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w[0].as_str().unwrap().to_string(),
                w[1].as_u64().unwrap(),
                w[2].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Centre of a node's drawn body in canvas coordinates (Node-RED's x, y).
pub fn node_centre(page: &impl Driver, id: &str) -> (f64, f64) {
    let v = page.eval(&format!(
        "(() => {{ const svg = document.querySelector('#chart svg'); const s = svg.getBoundingClientRect(); \
         const z = window.flowgateEditor.canvas.zoom; \
         const r = document.querySelector('g.node[data-id={}] .node-body').getBoundingClientRect(); \
         return [(r.left + r.width / 2 - s.left) / z, (r.top + r.height / 2 - s.top) / z]; }})()",
        js_str(id)
    ));
    (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
}

/// Whether the Deploy button shows unsaved changes.
pub fn dirty(page: &impl Driver) -> bool {
    page.eval("document.querySelector('#btn-deploy').classList.contains('dirty')")
        .as_bool()
        .unwrap()
}

/// Assert each node of `flow` (a flows file's nodes) is drawn at its stored
/// x, y, and answer the wires the flow stores.
pub fn assert_drawn_as_stored(page: &impl Driver, flow: &[Value]) -> BTreeSet<Wire> {
    let mut stored = BTreeSet::new();
    for n in flow {
        let Some(x) = n["x"].as_f64() else { continue };
        let y = n["y"].as_f64().unwrap();
        let id = n["id"].as_str().unwrap();
        let (cx, cy) = node_centre(page, id);
        assert!(
            (cx - x).abs() < 1.0 && (cy - y).abs() < 1.0,
            "{id} drawn at {cx},{cy}, stored at {x},{y}"
        );
        for (port, targets) in n["wires"].as_array().unwrap().iter().enumerate() {
            for t in targets.as_array().unwrap() {
                stored.insert((id.to_string(), port as u64, t.as_str().unwrap().to_string()));
            }
        }
    }
    stored
}

/// Assert each wire runs from its source's output port to its target's
/// input port.
pub fn assert_wires_join_ports(page: &impl Driver) {
    let ends = page.eval(
        "[...document.querySelectorAll('path.wire')].map(w => { const l = w.getTotalLength(); \
         const a = w.getPointAtLength(0), b = w.getPointAtLength(l); \
         const port = (sel) => { const r = document.querySelector(sel).getBoundingClientRect(), s = document.querySelector('#chart svg').getBoundingClientRect(); return [r.left + r.width / 2 - s.left, r.top + r.height / 2 - s.top]; }; \
         return [a.x, a.y, b.x, b.y, ...port(`g.node[data-id=\"${w.dataset.source}\"] .port-out`), ...port(`g.node[data-id=\"${w.dataset.target}\"] .port-in`)]; })",
    );
    for e in ends.as_array().unwrap() {
        let f: Vec<f64> = e
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert!(
            (f[0] - f[4]).abs() <= 6.0 && (f[1] - f[5]).abs() <= 1.0,
            "wire starts at its output port: {f:?}"
        );
        assert!(
            (f[2] - f[6]).abs() <= 6.0 && (f[3] - f[7]).abs() <= 1.0,
            "wire ends at its input port: {f:?}"
        );
    }
}

/// `GET path` from the admin API (v2 answers), as JSON.
pub fn get_json(server: &common::Server, path: &str) -> Value {
    common::client()
        .get(server.url(path))
        .header("Node-RED-API-Version", "v2")
        .send()
        .unwrap()
        .json()
        .unwrap()
}

/// `GET path`: (status, body text).
pub fn get_text(server: &common::Server, path: &str) -> (u16, String) {
    let r = common::client().get(server.url(path)).send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

/// The code editor (CodeMirror's editable content) of field `field` in the
/// open tray.
pub fn code_selector(field: &str) -> String {
    format!(".tray [data-field=\"{field}\"] .cm-content")
}

/// The text of field `field`'s code editor as the page shows it, one line
/// per drawn line.
pub fn code_text(page: &impl Driver, field: &str) -> Value {
    let sel = js_str(&code_selector(field));
    page.eval(&format!(
        "[...document.querySelectorAll({sel} + ' .cm-line')].map(l => l.textContent).join('\\n')"
    ))
}

/// The line numbers field `field`'s code editor shows, joined by newlines.
pub fn code_line_numbers(page: &impl Driver, field: &str) -> Value {
    let sel = js_str(&format!(
        ".tray [data-field=\"{field}\"] .cm-lineNumbers .cm-gutterElement"
    ));
    page.eval(&format!(
        "[...document.querySelectorAll({sel})].filter(e => e.style.visibility !== 'hidden').map(e => e.textContent).join('\\n')"
    ))
}

//! The web editor in headless Firefox (Debian's `firefox-esr`, through
//! geckodriver and WebDriver): the binary runs the Ignite export, and the
//! test checks what a Firefox user sees and does at 1280×800 — the drawn
//! flow, the palette, the config panel, undo/redo of a delete, a node's form
//! and the code editor, and a deploy that keeps `/jwt/generate` answering.

mod common;
#[path = "editor_firefox/driver.rs"]
mod driver;

use std::collections::BTreeSet;

use driver::{js_str, Page};
use fantoccini::key::Key;
use serde_json::{json, Value};

const IGNITE_NODE: &str = "91ef189c.6f3fb8";
const ACCESS_TOKEN_NODE: &str = "f115185f.c4bcd8";
const PAYLOAD_NODE: &str = "34c70aa9.45ad56";
const CONFIG_NODE: &str = "766dcb94.6ebc04";

fn node_selector(id: &str) -> String {
    format!("g.node[data-id=\"{id}\"]")
}

/// Wait until exactly `n` elements match.
fn wait_count(page: &Page, selector: &str, n: usize) {
    page.wait(
        &format!("{n} × {selector}"),
        &format!(
            "document.querySelectorAll({}).length === {n}",
            js_str(selector)
        ),
    );
}

/// The drawn wires: (source id, port, target id).
fn wires(page: &Page) -> BTreeSet<(String, u64, String)> {
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
fn node_centre(page: &Page, id: &str) -> (f64, f64) {
    let v = page.eval(&format!(
        "(() => {{ const svg = document.querySelector('#chart svg'); const s = svg.getBoundingClientRect(); \
         const z = window.flowgateEditor.canvas.zoom; \
         const r = document.querySelector('g.node[data-id={}] .node-body').getBoundingClientRect(); \
         return [(r.left + r.width / 2 - s.left) / z, (r.top + r.height / 2 - s.top) / z]; }})()",
        js_str(id)
    ));
    (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
}

fn get_json(server: &common::Server, path: &str) -> Value {
    common::client()
        .get(server.url(path))
        .header("Node-RED-API-Version", "v2")
        .send()
        .unwrap()
        .json()
        .unwrap()
}

/// The node types `GET /nodes` offers for the canvas (config types excluded).
fn palette_types(nodes: &Value) -> BTreeSet<String> {
    let list: Vec<Value> = match nodes {
        Value::Array(a) => a.clone(),
        Value::Object(o) => match o.get("types") {
            Some(Value::Array(a)) => a.clone(),
            _ => o
                .iter()
                .map(|(k, v)| {
                    let mut v = v.clone();
                    v["type"] = json!(k);
                    v
                })
                .collect(),
        },
        _ => panic!("GET /nodes answered {nodes}"),
    };
    list.iter()
        .filter(|t| {
            t["category"] != json!("config")
                && t["kind"] != json!("config")
                && t["config"] != json!(true)
        })
        .map(|t| {
            t["type"]
                .as_str()
                .or(t["name"].as_str())
                .unwrap()
                .to_string()
        })
        .collect()
}

fn dirty(page: &Page) -> bool {
    page.eval("document.querySelector('#btn-deploy').classList.contains('dirty')")
        .as_bool()
        .unwrap()
}

#[test]
fn ignite_flow_in_firefox_draws_edits_undoes_and_deploys() {
    let flow_path = common::repo_root().join("flows/ignite-jwt.json");
    let server = common::Server::start_file(&flow_path, &[], &[]);
    let page = Page::open(&server.url(""));
    assert!(
        page.eval("navigator.userAgent")
            .as_str()
            .unwrap()
            .contains("Firefox/"),
        "the page runs in Firefox"
    );
    assert_eq!(page.eval("[innerWidth, innerHeight]"), json!([1280, 800]));

    // The palette lists what the runtime offers, by category.
    let offered = palette_types(&get_json(&server, "/nodes"));
    assert!(
        offered.contains("jwt") && offered.contains("http in"),
        "{offered:?}"
    );
    page.wait(
        "the palette",
        "!!document.querySelector('.palette-category[data-category=\"network\"] .palette-node[data-type=\"http in\"]')",
    );
    let shown: BTreeSet<String> = serde_json::from_value(page.eval(
        "[...document.querySelectorAll('#palette-body .palette-node')].map(n => n.dataset.type)",
    ))
    .unwrap();
    assert_eq!(shown, offered);

    // The flow as stored: 5 nodes at their x, y; 4 wires port to port.
    wait_count(&page, "g.node", 5);
    wait_count(&page, "path.wire", 4);
    let seed: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&flow_path).unwrap()).unwrap();
    let mut expected_wires = BTreeSet::new();
    for n in &seed {
        let Some(x) = n["x"].as_f64() else { continue };
        let y = n["y"].as_f64().unwrap();
        let id = n["id"].as_str().unwrap();
        let (cx, cy) = node_centre(&page, id);
        assert!(
            (cx - x).abs() < 1.0 && (cy - y).abs() < 1.0,
            "{id} drawn at {cx},{cy}, stored at {x},{y}"
        );
        for (port, targets) in n["wires"].as_array().unwrap().iter().enumerate() {
            for t in targets.as_array().unwrap() {
                expected_wires.insert((
                    id.to_string(),
                    port as u64,
                    t.as_str().unwrap().to_string(),
                ));
            }
        }
    }
    assert_eq!(expected_wires.len(), 4);
    assert_eq!(wires(&page), expected_wires);
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
    let labels =
        page.eval("[...document.querySelectorAll('g.node .node-label')].map(t => t.textContent)");
    for name in [
        "creating jwt",
        "Setting jwt as access_token",
        "Setting payload to encode",
        "[get] /jwt/generate",
    ] {
        assert!(
            labels.as_array().unwrap().contains(&json!(name)),
            "labels {labels}"
        );
    }

    // The config node is in the side panel, not on the canvas.
    assert_eq!(
        page.eval("document.querySelectorAll('g.node[data-type=\"jwt-config\"]').length"),
        json!(0)
    );
    page.click(".sidebar-tabs [data-panel=\"config\"]");
    let cfg = page.wait(
        "the jwt-config in the config panel",
        &format!(
            "document.querySelector('#config-list .config-node[data-id=\"{CONFIG_NODE}\"]')?.textContent"
        ),
    );
    assert!(cfg.as_str().unwrap().contains("igniteadmin"), "{cfg}");
    assert!(cfg.as_str().unwrap().contains("1 user"), "{cfg}");
    assert!(!dirty(&page), "nothing changed yet");
    page.screenshot(&common::repo_root().join("target/editor-ignite-firefox.png"));

    // Delete a node with the keyboard; undo and redo bring it and its wires
    // back and take them away again.
    page.click(&node_selector(PAYLOAD_NODE));
    page.wait(
        "the node selected",
        &format!(
            "!!document.querySelector('{}.selected')",
            node_selector(PAYLOAD_NODE)
        ),
    );
    page.key(Key::Delete.into(), &[]);
    wait_count(&page, "g.node", 4);
    wait_count(&page, "path.wire", 2);
    assert!(dirty(&page), "a delete is an unsaved change");
    page.key('z', &[Key::Control]);
    wait_count(&page, "g.node", 5);
    wait_count(&page, "path.wire", 4);
    assert_eq!(wires(&page), expected_wires);
    let (x, y) = node_centre(&page, PAYLOAD_NODE);
    assert!(
        (x - 370.0).abs() < 1.0 && (y - 180.0).abs() < 1.0,
        "restored at {x},{y}"
    );
    assert!(!dirty(&page), "undo returns to the deployed state");
    page.key('z', &[Key::Control, Key::Shift]);
    wait_count(&page, "g.node", 4);
    wait_count(&page, "path.wire", 2);
    page.click("#btn-undo");
    wait_count(&page, "path.wire", 4);
    assert_eq!(wires(&page), expected_wires);

    // Double-click opens the node's form, with its config node picked;
    // Escape leaves it unchanged.
    let picked = page.double_click_until(
        &node_selector(IGNITE_NODE),
        "the jwt form with its config",
        "(() => { const s = document.querySelector('.tray [data-field=\"jwtconfig\"] select'); \
         return s && s.selectedOptions[0] ? s.selectedOptions[0].textContent : null; })()",
    );
    assert!(picked.as_str().unwrap().contains("igniteadmin"), "{picked}");
    page.key(Key::Escape.into(), &[]);
    page.wait("the tray to close", "!document.querySelector('.tray')");
    assert!(!dirty(&page), "a cancelled form changes nothing");

    // The function body's code editor: Enter keeps the indentation, Tab
    // indents (through the browser's own text input), the gutter follows.
    page.double_click_until(
        &node_selector(ACCESS_TOKEN_NODE),
        "the code editor",
        "!!document.querySelector('.tray [data-field=\"func\"] textarea')",
    );
    let code = ".tray [data-field=\"func\"] textarea";
    let func = seed
        .iter()
        .find(|n| n["id"] == json!(ACCESS_TOKEN_NODE))
        .unwrap()["func"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        page.eval(&format!("document.querySelector({}).value", js_str(code))),
        json!(func)
    );
    page.type_into(code, &format!("{}{}msg.browser = 1;", Key::Enter, Key::Tab));
    assert_eq!(
        page.eval(&format!("document.querySelector({}).value", js_str(code))),
        json!(format!("{func}\n    msg.browser = 1;"))
    );
    assert_eq!(
        page.eval("document.querySelector('.tray .code-gutter').textContent"),
        json!("1\n2\n3\n4\n5")
    );
    page.key(Key::Escape.into(), &[]);
    page.wait("the tray to close", "!document.querySelector('.tray')");
    assert!(!dirty(&page), "a cancelled form changes nothing");

    // Rename the jwt node in its form, deploy, and the runtime holds the new name and
    // still issues tokens.
    page.double_click_until(
        &node_selector(IGNITE_NODE),
        "the jwt form",
        "!!document.querySelector('.tray [data-field=\"name\"] input')",
    );
    page.fill(
        ".tray [data-field=\"name\"] input",
        "creating jwt in Firefox",
    );
    page.click("#tray-done");
    page.wait(
        "the new label",
        &format!(
            "document.querySelector('{} .node-label').textContent === 'creating jwt in Firefox'",
            node_selector(IGNITE_NODE)
        ),
    );
    assert!(dirty(&page));
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    page.wait(
        "the deployed state",
        "!document.querySelector('#btn-deploy').classList.contains('dirty')",
    );
    let flows = get_json(&server, "/flows");
    let jwt = flows["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == json!(IGNITE_NODE))
        .unwrap()
        .clone();
    assert_eq!(jwt["name"], json!("creating jwt in Firefox"));
    assert_eq!(jwt["jwtconfig"], json!(CONFIG_NODE));
    let r = common::client()
        .get(server.url("/jwt/generate"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().unwrap();
    assert_eq!(
        body["access_token"].as_str().unwrap().split('.').count(),
        3,
        "{body}"
    );
    page.assert_no_errors();
}

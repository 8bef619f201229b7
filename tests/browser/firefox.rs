//! The editor in headless Firefox (Debian's `firefox-esr`, through
//! geckodriver and WebDriver): the binary runs the Ignite example flow, and
//! each test checks one thing a Firefox user sees or does at 1280×800 — the
//! palette, the drawn flow and the config panel, undo/redo of a delete, a
//! node's form, the code editor, and a deploy that keeps `/jwt/generate`
//! answering.

use std::collections::BTreeSet;

use fantoccini::key::Key;
use serde_json::{json, Value};

use crate::common;
use crate::driver::firefox::Firefox;
use crate::driver::{js_str, Driver, Modifier};
use crate::editor::{
    assert_drawn_as_stored, assert_wires_join_ports, code_line_numbers, code_selector, code_text,
    dirty, get_json, node_centre, node_selector, wait_count, wires,
};

const IGNITE_NODE: &str = "91ef189c.6f3fb8";
const ACCESS_TOKEN_NODE: &str = "f115185f.c4bcd8";
const PAYLOAD_NODE: &str = "34c70aa9.45ad56";
const CONFIG_NODE: &str = "766dcb94.6ebc04";

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

/// The binary running the Ignite example flow, Firefox open on its editor
/// with the flow drawn, and the flow as stored.
fn ignite_in_firefox() -> (common::Server, Firefox, Vec<Value>) {
    let flow_path = common::repo_root().join("flows/ignite-jwt.json");
    let server = common::Server::start_file(&flow_path, &[], &[]);
    let page = Firefox::open(&server.url(""));
    assert!(
        page.eval("navigator.userAgent")
            .as_str()
            .unwrap()
            .contains("Firefox/"),
        "the page runs in Firefox"
    );
    assert_eq!(page.eval("[innerWidth, innerHeight]"), json!([1280, 800]));
    wait_count(&page, "g.node", 5);
    wait_count(&page, "path.wire", 4);
    let seed: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&flow_path).unwrap()).unwrap();
    (server, page, seed)
}

#[test]
fn firefox_palette_lists_what_the_runtime_offers_by_category() {
    let (server, page, _) = ignite_in_firefox();
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
    page.assert_no_errors();
}

#[test]
fn firefox_draws_the_ignite_flow_as_stored_with_its_config_in_the_side_panel() {
    let (_server, page, seed) = ignite_in_firefox();
    // The flow as stored: 5 nodes at their x, y; 4 wires port to port.
    let expected_wires = assert_drawn_as_stored(&page, &seed);
    assert_eq!(expected_wires.len(), 4);
    assert_eq!(wires(&page), expected_wires);
    assert_wires_join_ports(&page);
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
    page.assert_no_errors();
}

#[test]
fn firefox_undo_and_redo_restore_a_node_deleted_with_the_keyboard() {
    let (_server, page, seed) = ignite_in_firefox();
    let expected_wires = assert_drawn_as_stored(&page, &seed);
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
    page.key("Delete", &[]);
    wait_count(&page, "g.node", 4);
    wait_count(&page, "path.wire", 2);
    assert!(dirty(&page), "a delete is an unsaved change");
    page.key("z", &[Modifier::Ctrl]);
    wait_count(&page, "g.node", 5);
    wait_count(&page, "path.wire", 4);
    assert_eq!(wires(&page), expected_wires);
    let (x, y) = node_centre(&page, PAYLOAD_NODE);
    assert!(
        (x - 370.0).abs() < 1.0 && (y - 180.0).abs() < 1.0,
        "restored at {x},{y}"
    );
    assert!(!dirty(&page), "undo returns to the deployed state");
    page.key("z", &[Modifier::Ctrl, Modifier::Shift]);
    wait_count(&page, "g.node", 4);
    wait_count(&page, "path.wire", 2);
    page.click("#btn-undo");
    wait_count(&page, "path.wire", 4);
    assert_eq!(wires(&page), expected_wires);
    page.assert_no_errors();
}

#[test]
fn firefox_node_form_shows_its_config_and_escape_changes_nothing() {
    let (_server, page, _) = ignite_in_firefox();
    // Double-click opens the node's form, with its config node picked;
    // Escape leaves it unchanged.
    let picked = page.double_click_until(
        &node_selector(IGNITE_NODE),
        "the jwt form with its config",
        "(() => { const s = document.querySelector('.tray [data-field=\"jwtconfig\"] select'); \
         return s && s.selectedOptions[0] ? s.selectedOptions[0].textContent : null; })()",
    );
    assert!(picked.as_str().unwrap().contains("igniteadmin"), "{picked}");
    page.key("Escape", &[]);
    page.wait("the tray to close", "!document.querySelector('.tray')");
    assert!(!dirty(&page), "a cancelled form changes nothing");
    page.assert_no_errors();
}

#[test]
fn firefox_code_editor_keeps_indentation_and_tab_indents() {
    let (_server, page, seed) = ignite_in_firefox();
    // The function body's code editor: Enter indents as the language does
    // (none after a top-level statement), Tab indents, the line numbers follow.
    let code = code_selector("func");
    page.double_click_until(
        &node_selector(ACCESS_TOKEN_NODE),
        "the code editor",
        &format!("!!document.querySelector({})", js_str(&code)),
    );
    let func = seed
        .iter()
        .find(|n| n["id"] == json!(ACCESS_TOKEN_NODE))
        .unwrap()["func"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(code_text(&page, "func"), json!(func));
    page.type_into(
        &code,
        &format!("{}{}msg.browser = 1;", Key::Enter, Key::Tab),
    );
    assert_eq!(
        code_text(&page, "func"),
        json!(format!("{func}\n    msg.browser = 1;"))
    );
    assert_eq!(code_line_numbers(&page, "func"), json!("1\n2\n3\n4\n5"));
    page.key("Escape", &[]);
    page.wait("the tray to close", "!document.querySelector('.tray')");
    assert!(!dirty(&page), "a cancelled form changes nothing");
    page.assert_no_errors();
}

#[test]
fn firefox_renamed_node_deploys_and_the_flow_still_issues_tokens() {
    let (server, page, _) = ignite_in_firefox();
    // Rename the jwt node in its form, deploy, and the runtime holds the new
    // name and still issues tokens.
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

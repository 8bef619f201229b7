//! The editor's Help and Context sidebars and its deploy modes, in headless
//! Chromium against the real binary: what a user sees in each panel, and
//! what the runtime then holds or runs.

use serde_json::{json, Value};

use crate::common;
use crate::driver::chromium::Chromium;
use crate::driver::{js_str, Driver};
use crate::editor::{editor, get_json, get_text, node_selector, wait_count};

/// Click a node on the canvas to select it.
fn select(page: &Chromium, id: &str) {
    page.click(&format!("{} .node-body", node_selector(id)));
    wait_count(page, &format!("{}.selected", node_selector(id)), 1);
}

/// Click empty canvas: nothing selected.
fn select_nothing(page: &Chromium) {
    let (x, y) = page.center("#chart");
    page.click_at((x, y + 250.0));
    wait_count(page, "g.node.selected", 0);
}

/// The text of the first element matching `selector`, once it is there.
fn text_of(page: &Chromium, selector: &str) -> String {
    page.wait(
        selector,
        &format!("document.querySelector({})?.textContent", js_str(selector)),
    )
    .as_str()
    .unwrap()
    .to_string()
}

/// A node type's entry in `GET /nodes`.
fn node_type(server: &common::Server, name: &str) -> Value {
    get_json(server, "/nodes")
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == json!(name))
        .unwrap_or_else(|| panic!("{name} in GET /nodes"))
        .clone()
}

const HELP_FLOW: &str = r#"[
  {"id":"t1","type":"tab","label":"Scale"},
  {"id":"rng","type":"range","z":"t1","name":"scale","minin":"0","maxin":"1023","minout":"0","maxout":"100","action":"scale","round":false,"property":"payload","x":160,"y":100,"wires":[["fn"]]},
  {"id":"fn","type":"function","z":"t1","name":"double","func":"msg.payload *= 2;\nreturn msg;","outputs":1,"x":360,"y":100,"wires":[[]]}
]"#;

#[test]
fn help_sidebar_shows_the_selected_nodes_type_help_and_an_index() {
    let (server, page) = editor(HELP_FLOW, 2);
    page.click(".sidebar-tabs [data-panel=\"help\"]");

    // Nothing selected: an index of every node type the runtime registers.
    let registered = get_json(&server, "/nodes").as_array().unwrap().len();
    page.wait(
        "the index of node types",
        &format!(
            "document.querySelectorAll('#help-panel .help-index-type').length === {registered}"
        ),
    );

    // Selecting the range node shows its type's help as the runtime registers it.
    select(&page, "rng");
    let range = node_type(&server, "range");
    let shown = text_of(
        &page,
        "#help-panel .type-help[data-type=\"range\"] .node-help",
    );
    assert_eq!(shown, range["help"].as_str().unwrap());
    let ports = text_of(&page, "#help-panel .help-ports");
    assert!(ports.contains("1: receives messages"), "{ports}");
    let fields = page.eval(
        "[...document.querySelectorAll('#help-panel .help-field')].map(f => f.dataset.field)",
    );
    let defined: Vec<Value> = range["editor"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].clone())
        .collect();
    assert_eq!(fields, Value::Array(defined));
    page.screenshot(&common::repo_root().join("target/editor-help.png"));

    // Another node: its type's help, its fields by their labels.
    select(&page, "fn");
    let func = text_of(
        &page,
        "#help-panel .type-help[data-type=\"function\"] .help-field[data-field=\"func\"] strong",
    );
    // Node-RED's own label for the body.
    assert_eq!(func, "On Message");

    // The edit tray shows the same description above the form.
    page.double_click(&node_selector("rng"));
    let tray = text_of(&page, ".tray .node-help");
    assert_eq!(tray, range["help"].as_str().unwrap());
    page.click("#tray-cancel");

    // Back to nothing selected: the index; picking a type from it shows its help.
    select_nothing(&page);
    page.click("#help-panel .help-index-type[data-type=\"range\"]");
    let picked = text_of(
        &page,
        "#help-panel .type-help[data-type=\"range\"] .node-help",
    );
    assert_eq!(picked, range["help"].as_str().unwrap());
    page.assert_no_errors();
}

const CONTEXT_FLOW: &str = r#"[
  {"id":"t1","type":"tab","label":"Counter"},
  {"id":"in","type":"http in","z":"t1","name":"","url":"/count","method":"get","x":140,"y":100,"wires":[["fn"]]},
  {"id":"fn","type":"function","z":"t1","name":"count","func":"const n = (flow.get('count') || 0) + 1;\nflow.set('count', n);\ncontext.set('last', 'seen ' + n);\nglobal.set('settings', {unit: 'ms', limits: [1, 2]});\nmsg.payload = String(n);\nreturn msg;","outputs":1,"x":340,"y":100,"wires":[["out"]]},
  {"id":"out","type":"http response","z":"t1","name":"","statusCode":"","headers":{},"x":540,"y":100,"wires":[]}
]"#;

/// The value text of `key` in the context sidebar's `scope` section.
fn context_value(page: &Chromium, scope: &str, key: &str) -> String {
    text_of(
        page,
        &format!(
            "#context-panel .context-scope[data-scope=\"{scope}\"] .context-entry[data-key=\"{key}\"] .context-value"
        ),
    )
}

#[test]
fn context_sidebar_shows_node_flow_and_global_context_and_deletes_a_key() {
    let (server, page) = editor(CONTEXT_FLOW, 3);
    for n in ["1", "2"] {
        assert_eq!(get_text(&server, "/count"), (200, n.to_string()));
    }
    page.click(".sidebar-tabs [data-panel=\"context\"]");
    select(&page, "fn");

    // Each scope as the runtime holds it, formatted as the debug sidebar formats values.
    assert_eq!(context_value(&page, "node", "last"), "seen 2");
    assert_eq!(context_value(&page, "flow", "count"), "2");
    let settings = context_value(&page, "global", "settings");
    assert!(
        settings.contains("unit") && settings.contains("ms"),
        "{settings}"
    );
    page.screenshot(&common::repo_root().join("target/editor-context.png"));

    // Refresh reads the runtime again.
    assert_eq!(get_text(&server, "/count"), (200, "3".to_string()));
    page.click("#context-panel .context-scope[data-scope=\"flow\"] .context-refresh");
    page.wait(
        "the refreshed flow count",
        "document.querySelector('#context-panel [data-scope=\"flow\"] .context-entry[data-key=\"count\"] .context-value')?.textContent === '3'",
    );

    // Delete asks first, then removes the key from the runtime too.
    page.click(
        "#context-panel [data-scope=\"flow\"] .context-entry[data-key=\"count\"] .context-delete",
    );
    page.click("#dialog-host .dialog .btn.primary");
    wait_count(
        &page,
        "#context-panel [data-scope=\"flow\"] .context-entry[data-key=\"count\"]",
        0,
    );
    let flow = get_json(&server, "/context/flow/t1");
    let stores = flow.as_object().unwrap();
    assert!(!stores.is_empty(), "{flow}");
    for (store, keys) in stores {
        assert!(keys.get("count").is_none(), "count left in {store}: {flow}");
    }
    // The other scopes keep their values.
    page.click("#context-panel .context-scope[data-scope=\"node\"] .context-refresh");
    page.wait(
        "the refreshed node context",
        "document.querySelector('#context-panel [data-scope=\"node\"] .context-entry[data-key=\"last\"] .context-value')?.textContent === 'seen 3'",
    );
    let global = get_json(&server, "/context/global");
    assert!(
        global
            .as_object()
            .unwrap()
            .values()
            .any(|s| s.get("settings").is_some()),
        "{global}"
    );
    page.assert_no_errors();
}

/// A counter whose start-up code zeroes it: it counts on while its node keeps
/// running and starts again at 1 once the node is restarted.
const DEPLOY_FLOW: &str = r#"[
  {"id":"t1","type":"tab","label":"Modes"},
  {"id":"in1","type":"http in","z":"t1","name":"","url":"/count","method":"get","x":140,"y":100,"wires":[["counter"]]},
  {"id":"counter","type":"function","z":"t1","name":"counter","initialize":"context.set('n', 0);","func":"const n = context.get('n') + 1;\ncontext.set('n', n);\nmsg.payload = String(n);\nreturn msg;","outputs":1,"x":340,"y":100,"wires":[["out1"]]},
  {"id":"out1","type":"http response","z":"t1","name":"","statusCode":"","headers":{},"x":540,"y":100,"wires":[]},
  {"id":"in2","type":"http in","z":"t1","name":"","url":"/other","method":"get","x":140,"y":200,"wires":[["other"]]},
  {"id":"other","type":"function","z":"t1","name":"other","func":"msg.payload = 'other';\nreturn msg;","outputs":1,"x":340,"y":200,"wires":[["out2"]]},
  {"id":"out2","type":"http response","z":"t1","name":"","statusCode":"","headers":{},"x":540,"y":200,"wires":[]}
]"#;

/// Pick an entry of the deploy button's menu.
fn deploy_menu(page: &Chromium, item: &str) {
    page.click("#btn-deploy-menu");
    page.click(&format!("#deploy-menu {item}"));
}

fn count(server: &common::Server) -> String {
    let (status, body) = get_text(server, "/count");
    assert_eq!(status, 200, "{body}");
    body
}

#[test]
fn modified_nodes_deploy_restarts_only_the_changed_node_and_restart_flows_restarts_all() {
    let (server, page) = editor(DEPLOY_FLOW, 6);
    assert_eq!(count(&server), "1");
    assert_eq!(count(&server), "2");

    deploy_menu(&page, "[data-mode=\"nodes\"]");
    assert_eq!(text_of(&page, "#deploy-label"), "Deploy modified nodes");
    assert_eq!(
        page.eval("document.querySelector('#deploy-menu [data-mode=\"nodes\"]').getAttribute('aria-checked')"),
        json!("true")
    );

    // Change another node; the toolbar says how much changed.
    page.double_click(&node_selector("other"));
    page.fill(".tray [data-field=\"name\"] input", "renamed");
    page.click("#tray-done");
    page.wait(
        "one changed node",
        "document.querySelector('#deploy-state').textContent.includes('1 node')",
    );
    page.screenshot(&common::repo_root().join("target/editor-deploy-modes.png"));
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    let flows = get_json(&server, "/flows")["flows"].clone();
    let other = flows
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == json!("other"))
        .unwrap();
    assert_eq!(other["name"], json!("renamed"));
    // The counter was not restarted: it counts on.
    assert_eq!(count(&server), "3");

    // Restart Flows restarts everything: the counter starts again.
    page.eval("document.querySelectorAll('.notification').forEach(n => n.remove())");
    deploy_menu(&page, "[data-action=\"restart\"]");
    let note = text_of(&page, ".notification.success, .notification.error");
    assert!(note.contains("restarted"), "{note}");
    assert_eq!(count(&server), "1");
    // The mode stays chosen.
    assert_eq!(text_of(&page, "#deploy-label"), "Deploy modified nodes");
    page.assert_no_errors();
}

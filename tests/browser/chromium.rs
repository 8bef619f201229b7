//! The editor in Debian's headless Chromium: the editor served by the
//! binary, importing the Ignite export, drawing and wiring nodes, the code
//! editor, deploy errors on their node, the live debug sidebar, the token
//! console, undo/redo, selection and the admin login.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::common;
use crate::driver::chromium::Chromium;
use crate::driver::{js_str, Driver, Modifier};
use crate::editor::{
    assert_drawn_as_stored, assert_wires_join_ports, code_line_numbers, code_selector, code_text,
    count, get_json, get_text, node_centre, node_selector, wait_count, wires,
};

/// The Ignite example's export as Node-RED wrote it.
const IGNITE: &str = include_str!("ignite-export.json");

/// Start the binary on `flow` and open the editor on it.
fn editor(flow: &str) -> (common::Server, Chromium) {
    let server = common::Server::start(flow);
    let page = Chromium::open(&server.url(""));
    (server, page)
}

#[test]
fn editor_is_served_by_the_binary_and_shows_the_deployed_flow() {
    let (server, page) =
        editor(&std::fs::read_to_string(common::repo_root().join("flows/hello.json")).unwrap());
    let r = common::client().get(server.url("/")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let r = common::client()
        .get(server.url("/editor/js/main.js"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("javascript"));
    // Flow endpoints still answer beside the editor.
    assert_eq!(
        get_text(&server, "/hello/World?x=1"),
        (200, r#"{"x":"1"}"#.to_string())
    );

    wait_count(&page, "g.node", 2);
    assert_eq!(
        page.eval("document.querySelector('#tabs .tab.active').textContent"),
        json!("Hello")
    );
    assert_eq!(
        wires(&page),
        BTreeSet::from([("in1".to_string(), 0, "out1".to_string())])
    );
    let (x, y) = node_centre(&page, "in1");
    assert!(
        (x - 120.0).abs() < 1.0 && (y - 80.0).abs() < 1.0,
        "http in drawn at {x},{y}"
    );
    // Label: no name, so the type's label rule (the url); ports: none in, one out.
    let label =
        page.eval("document.querySelector('g.node[data-id=\"in1\"] .node-label').textContent");
    assert!(
        label.as_str().unwrap().contains("/hello/:name"),
        "label {label}"
    );
    assert_eq!(count(&page, "g.node[data-id=\"in1\"] .port-in"), 0);
    assert_eq!(count(&page, "g.node[data-id=\"in1\"] .port-out"), 1);
    assert_eq!(count(&page, "g.node[data-id=\"out1\"] .port-in"), 1);
    assert_eq!(count(&page, "g.node[data-id=\"out1\"] .port-out"), 0);
    // The palette lists the runtime's node types by category.
    page.wait(
        "http in in the network category",
        "!!document.querySelector('.palette-category[data-category=\"network\"] .palette-node[data-type=\"http in\"]')",
    );
    assert_eq!(
        page.eval("document.querySelector('#btn-deploy').classList.contains('dirty')"),
        json!(false)
    );
    page.assert_no_errors();
}

#[test]
fn ignite_export_imports_verbatim_with_positions_wires_and_config_panel() {
    let (server, page) = editor("[]");
    page.click("#btn-import");
    page.fill("#import-text", IGNITE);
    page.click("#import-confirm");
    wait_count(&page, "g.node", 5);

    let seed: Vec<Value> = serde_json::from_str(IGNITE).unwrap();
    let expected_wires = assert_drawn_as_stored(&page, &seed);
    assert_eq!(expected_wires.len(), 4);
    wait_count(&page, "path.wire", 4);
    assert_eq!(wires(&page), expected_wires);
    // Each wire runs from its source's output port to its target's input port.
    assert_wires_join_ports(&page);
    // Names as labels; the config node is in the side panel, not on the canvas.
    let labels =
        page.eval("[...document.querySelectorAll('g.node .node-label')].map(t => t.textContent)");
    for name in [
        "creating jwt",
        "Setting jwt as access_token",
        "Setting payload to encode",
    ] {
        assert!(
            labels.as_array().unwrap().contains(&json!(name)),
            "labels {labels}"
        );
    }
    assert_eq!(count(&page, "g.node[data-type=\"jwt-config\"]"), 0);
    page.click(".sidebar-tabs [data-panel=\"config\"]");
    let cfg = page.wait(
        "the jwt-config in the config panel",
        "document.querySelector('#config-list .config-node[data-id=\"766dcb94.6ebc04\"]')?.textContent",
    );
    assert!(cfg.as_str().unwrap().contains("igniteadmin"), "{cfg}");
    assert!(cfg.as_str().unwrap().contains("1 user"), "{cfg}");
    // Imported but not deployed: marked as unsaved.
    assert_eq!(
        page.eval("document.querySelector('#btn-deploy').classList.contains('dirty')"),
        json!(true)
    );
    page.eval("document.querySelectorAll('.notification').forEach(n => n.remove())");
    page.click_at((page.center("#chart").0, page.center("#chart").1 + 200.0));
    wait_count(&page, "g.node.selected", 0);
    page.screenshot(&common::repo_root().join("target/editor-ignite.png"));

    // The imported flow deploys as it is and serves its endpoint.
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    let (status, body) = get_text(&server, "/jwt/generate");
    assert_eq!(status, 200, "{body}");
    let token: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        token["access_token"].as_str().unwrap().split('.').count(),
        3,
        "{body}"
    );
    page.assert_no_errors();
}

/// Drag a palette entry to a point on the canvas (relative to its top-left).
fn drop_from_palette(page: &Chromium, node_type: &str, at: (f64, f64)) {
    let entry = format!(".palette-node[data-type=\"{node_type}\"]");
    // The palette scrolls: bring the entry into view before grabbing it.
    page.eval(&format!(
        "(document.querySelector('{}').scrollIntoView({{block: 'center'}}), true)",
        entry.replace('\'', "\\'")
    ));
    let from = page.center(&entry);
    let chart = page.eval("(() => { const r = document.querySelector('#chart').getBoundingClientRect(); return [r.left, r.top]; })()");
    let to = (
        chart[0].as_f64().unwrap() + at.0,
        chart[1].as_f64().unwrap() + at.1,
    );
    page.drag(from, to);
}

fn node_id_of_type(page: &Chromium, node_type: &str) -> String {
    page.wait(
        &format!("a {node_type} node"),
        &format!("document.querySelector('g.node[data-type=\"{node_type}\"]')?.dataset.id"),
    )
    .as_str()
    .unwrap()
    .to_string()
}

#[test]
fn dragged_and_wired_http_pair_deploys_and_serves() {
    let (server, page) = editor("[]");
    drop_from_palette(&page, "http in", (180.0, 140.0));
    drop_from_palette(&page, "http response", (460.0, 220.0));
    wait_count(&page, "g.node", 2);
    let input = node_id_of_type(&page, "http in");
    let output = node_id_of_type(&page, "http response");
    assert_ne!(input, output);
    let from = page.center(&format!("{} .port-out", node_selector(&input)));
    let to = page.center(&format!("{} .port-in", node_selector(&output)));
    page.drag(from, to);
    wait_count(&page, "path.wire", 1);
    assert_eq!(
        wires(&page),
        BTreeSet::from([(input.clone(), 0, output.clone())])
    );

    // A required url is missing: the node is marked until it is set.
    assert_eq!(
        count(&page, &format!("{}.invalid", node_selector(&input))),
        1
    );
    page.double_click(&node_selector(&input));
    page.fill(".tray [data-field=\"url\"] input", "/made-in-browser");
    page.click("#tray-done");
    page.wait(
        "the url as label",
        &format!(
            "document.querySelector('{} .node-label').textContent.includes('/made-in-browser')",
            node_selector(&input)
        ),
    );
    assert_eq!(
        count(&page, &format!("{}.invalid", node_selector(&input))),
        0
    );

    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    let rev = get_json(&server, "/flows")["rev"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        note.contains(&rev),
        "notification {note:?} shows revision {rev}"
    );
    page.wait(
        "the deployed state",
        "!document.querySelector('#btn-deploy').classList.contains('dirty')",
    );
    let (status, _) = get_text(&server, "/made-in-browser");
    assert_eq!(status, 200);
    // The runtime holds what was drawn.
    let flows = get_json(&server, "/flows")["flows"].clone();
    let node = flows
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == json!(input))
        .unwrap()
        .clone();
    assert_eq!(node["url"], json!("/made-in-browser"));
    assert_eq!(node["wires"], json!([[output]]));
    page.assert_no_errors();
}

const FUNCTION_FLOW: &str = r#"[
  {"id":"t1","type":"tab","label":"Answer"},
  {"id":"in","type":"http in","z":"t1","name":"","url":"/answer","method":"get","x":140,"y":100,"wires":[["fn"]]},
  {"id":"fn","type":"function","z":"t1","name":"answer","func":"msg.payload = \"v1\";\nreturn msg;","outputs":1,"noerr":0,"x":340,"y":100,"wires":[["out"]]},
  {"id":"out","type":"http response","z":"t1","name":"","statusCode":"","headers":{},"x":540,"y":100,"wires":[]}
]"#;

/// Replace the text of field `field`'s code editor as a user does: click
/// into it, select all, type.
pub(crate) fn replace_code(page: &Chromium, field: &str, text: &str) {
    let code = code_selector(field);
    page.wait(
        "the code editor",
        &format!("!!document.querySelector({})", js_str(&code)),
    );
    page.click(&code);
    page.key("a", &[Modifier::Ctrl]);
    page.type_text(text);
}

/// Open the function node's form and replace its body.
fn edit_function_body(page: &Chromium, body: &str) {
    page.double_click(&node_selector("fn"));
    replace_code(page, "func", body);
    page.click("#tray-done");
    page.wait("the tray to close", "!document.querySelector('.tray')");
}

#[test]
fn edited_function_body_deploys_and_changes_the_answer() {
    let (server, page) = editor(FUNCTION_FLOW);
    assert_eq!(get_text(&server, "/answer"), (200, "v1".to_string()));
    wait_count(&page, "g.node", 3);
    page.double_click(&node_selector("fn"));
    let code = code_selector("func");
    page.wait(
        "the code editor",
        &format!("!!document.querySelector({})", js_str(&code)),
    );
    // A code editor: monospace, line numbers, the language's indentation,
    // Tab / Shift+Tab on the selected lines, its own undo.
    let font = page.eval(&format!(
        "getComputedStyle(document.querySelector({})).fontFamily",
        js_str(&code)
    ));
    assert!(
        font.as_str().unwrap().to_lowercase().contains("mono"),
        "{font}"
    );
    assert_eq!(code_line_numbers(&page, "func"), json!("1\n2"));
    replace_code(&page, "func", "msg.payload = \"v2\";\nif (msg.payload) {");
    page.key("Enter", &[]);
    page.type_text("msg.topic = \"t\";");
    page.key("Enter", &[]);
    page.type_text("}");
    page.key("Enter", &[]);
    page.type_text("return msg;");
    let typed = "msg.payload = \"v2\";\nif (msg.payload) {\n    msg.topic = \"t\";\n}\nreturn msg;";
    assert_eq!(
        code_text(&page, "func"),
        json!(typed),
        "Enter indents inside a block, a closing brace goes back"
    );
    page.key("a", &[Modifier::Ctrl]);
    page.key("Tab", &[]);
    let indented = typed
        .lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(code_text(&page, "func"), json!(indented), "Tab indents");
    page.key("z", &[Modifier::Ctrl]);
    assert_eq!(code_text(&page, "func"), json!(typed), "Ctrl+Z undoes");
    page.key("y", &[Modifier::Ctrl]);
    assert_eq!(code_text(&page, "func"), json!(indented), "Ctrl+Y redoes");
    page.key("Tab", &[Modifier::Shift]);
    assert_eq!(code_text(&page, "func"), json!(typed), "Shift+Tab outdents");
    assert_eq!(code_line_numbers(&page, "func"), json!("1\n2\n3\n4\n5"));
    page.click("#tray-done");
    page.wait("the tray to close", "!document.querySelector('.tray')");
    page.wait(
        "the changed marker",
        "!!document.querySelector('g.node[data-id=\"fn\"] .node-changed')",
    );
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    assert_eq!(get_text(&server, "/answer"), (200, "v2".to_string()));
    assert_eq!(count(&page, "g.node[data-id=\"fn\"] .node-changed"), 0);
    page.assert_no_errors();
}

#[test]
fn broken_function_is_rejected_on_its_node_and_old_flow_keeps_serving() {
    let (server, page) = editor(FUNCTION_FLOW);
    wait_count(&page, "g.node", 3);
    let rev_before = get_json(&server, "/flows")["rev"].clone();
    edit_function_body(&page, "msg.payload = ;\nreturn msg +;");
    let note = page.deploy();
    assert!(note.to_lowercase().contains("rejected"), "{note}");
    assert!(note.contains("fn"), "the error names the node: {note}");
    page.wait(
        "the function node marked",
        "!!document.querySelector('g.node[data-id=\"fn\"].problem .node-error-badge')",
    );
    assert_eq!(
        count(&page, "g.node.problem"),
        1,
        "only the broken node is marked"
    );
    let tip = page.eval(
        "document.querySelector('g.node[data-id=\"fn\"] .node-error-badge title').textContent",
    );
    assert!(!tip.as_str().unwrap().is_empty());
    // Still unsaved, and the runtime still runs the old flow.
    assert_eq!(
        page.eval("document.querySelector('#btn-deploy').classList.contains('dirty')"),
        json!(true)
    );
    assert_eq!(get_text(&server, "/answer"), (200, "v1".to_string()));
    assert_eq!(get_json(&server, "/flows")["rev"], rev_before);
    // Fixing it clears the mark on the next deploy.
    edit_function_body(&page, "msg.payload = \"fixed\";\nreturn msg;");
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    wait_count(&page, "g.node.problem", 0);
    assert_eq!(get_text(&server, "/answer"), (200, "fixed".to_string()));
}

#[test]
fn debug_message_appears_live_in_the_sidebar() {
    let flow = r#"[
      {"id":"t1","type":"tab","label":"Debugging"},
      {"id":"in","type":"http in","z":"t1","name":"","url":"/debug-me","method":"get","x":140,"y":100,"wires":[["dbg","out"]]},
      {"id":"dbg","type":"debug","z":"t1","name":"probe","active":true,"tosidebar":true,"console":false,"tostatus":false,"complete":"payload","targetType":"msg","statusVal":"","statusType":"auto","x":360,"y":60,"wires":[]},
      {"id":"out","type":"http response","z":"t1","name":"","statusCode":"","headers":{},"x":360,"y":140,"wires":[]}
    ]"#;
    let (server, page) = editor(flow);
    page.click(".sidebar-tabs [data-panel=\"debug\"]");
    page.wait(
        "the live connection",
        "document.querySelector('.comms-state').textContent === 'live'",
    );
    let (status, _) = get_text(&server, "/debug-me?word=hello");
    assert_eq!(status, 200);
    let text = page.wait(
        "a debug message",
        "document.querySelector('.debug-msg')?.textContent",
    );
    let text = text.as_str().unwrap();
    assert!(text.contains("probe"), "node name shown: {text}");
    assert!(text.contains("msg.payload"), "property shown: {text}");
    // The timestamp, then the value as a collapsible tree.
    let time = page.eval("document.querySelector('.debug-msg .time').textContent");
    assert!(regex_like_time(time.as_str().unwrap()), "{time}");
    // The value as a tree: expanded at the top, collapsible with a click.
    let value = page.wait(
        "the value",
        "document.querySelector('.debug-msg .json .children')?.textContent",
    );
    assert!(value.as_str().unwrap().contains("\"hello\""), "{value}");
    let collapsed =
        "document.querySelector('.debug-msg .json .branch').classList.contains('collapsed')";
    assert_eq!(page.eval(collapsed), json!(false));
    page.click(".debug-msg .json .head");
    page.wait("the value collapsed", collapsed);
    page.click(".debug-msg .json .head");
    page.wait("the value expanded again", &format!("!{collapsed}"));
    // Clicking the node name selects the node on the canvas.
    page.click(".debug-msg .debug-node");
    page.wait(
        "the debug node selected",
        "!!document.querySelector('g.node[data-id=\"dbg\"].selected')",
    );
    page.assert_no_errors();
}

/// `YYYY-MM-DD HH:MM:SS.mmm`.
fn regex_like_time(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 23 && b[4] == b'-' && b[10] == b' ' && b[13] == b':' && b[19] == b'.'
}

#[test]
fn token_console_generates_a_verifiable_token_and_reports_expired_ones() {
    use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
    const SECRET: &str = "editor-test-secret-0123456789abcdef";
    let (server, page) = editor("[]");
    // Add a jwt-config with a secret in the config panel, then deploy it.
    page.click(".sidebar-tabs [data-panel=\"config\"]");
    page.eval("(() => { const s = document.querySelector('#config-add'); s.value = 'jwt-config'; s.dispatchEvent(new Event('change')); })()");
    page.wait(
        "the config form",
        "!!document.querySelector('.tray[data-type=\"jwt-config\"]')",
    );
    assert_eq!(
        page.eval(
            "document.querySelector('.tray [data-field=\"secret\"] .secret-state').textContent"
        ),
        json!("not set")
    );
    page.fill(".tray [data-field=\"name\"] input", "portal");
    page.fill(".tray [data-field=\"secret\"] input", SECRET);
    page.click("#tray-done");
    let cfg_id = page
        .wait("the new config", "document.querySelector('#config-list .config-node[data-type=\"jwt-config\"]')?.dataset.id")
        .as_str()
        .unwrap()
        .to_string();
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    let flows = get_json(&server, "/flows").to_string();
    assert!(
        flows.contains(&cfg_id) && !flows.contains(SECRET),
        "secret never returned: {flows}"
    );
    // Write-only: the form says it is set but never shows it.
    page.click(&format!("#config-list .config-node[data-id=\"{cfg_id}\"]"));
    page.wait("the secret marked set", "document.querySelector('.tray [data-field=\"secret\"] .secret-state')?.textContent === 'set'");
    assert_eq!(
        page.eval("document.querySelector('.tray [data-field=\"secret\"] input').value"),
        json!("")
    );
    page.click("#tray-cancel");

    page.click("#btn-tokens");
    page.wait(
        "the config list",
        &format!(
            "[...document.querySelectorAll('#token-config option')].some(o => o.value === {})",
            js_str(&cfg_id)
        ),
    );
    page.fill("#token-aud", "my-client");
    page.fill("#token-scope", "memberof:acme");
    page.click("#token-generate");
    let token = page
        .wait(
            "a generated token",
            "document.querySelector('#token-generated').textContent",
        )
        .as_str()
        .unwrap()
        .to_string();
    let shown = page.eval("document.querySelector('#token-generate-section').textContent");
    assert!(
        shown.as_str().unwrap().contains("memberof:acme"),
        "decoded claims shown: {shown}"
    );
    // The token is signed with the config's secret and carries the chosen claims.
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&["my-client"]);
    let claims = decode::<Value>(
        &token,
        &DecodingKey::from_secret(SECRET.as_bytes()),
        &validation,
    )
    .expect("token verifies with the secret")
    .claims;
    assert_eq!(claims["scope"], json!("memberof:acme"));
    // The runtime's verify endpoint accepts it.
    let verdict: Value = common::client()
        .post(server.url("/jwt/console/verify"))
        .json(&json!({"config": cfg_id, "token": token}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(verdict["valid"], json!(true), "{verdict}");
    // ... and so does the console's own verify view.
    page.click("#token-to-verify");
    let v = page.wait(
        "a verdict",
        "document.querySelector('#verify-verdict').textContent",
    );
    assert!(
        v.as_str().unwrap().contains("valid") && !v.as_str().unwrap().contains("invalid"),
        "{v}"
    );

    // An expired token (signed with the right key) is reported as expired.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expired = encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": "old", "aud": "my-client", "iat": now - 7200, "exp": now - 3600}),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    page.fill("#verify-token", &expired);
    page.wait(
        "the pasted token decoded",
        "document.querySelector('#verify-parts').textContent.includes('old')",
    );
    page.click("#verify-run");
    let v = page.wait(
        "a verdict",
        "document.querySelector('#verify-verdict').textContent",
    );
    let v = v.as_str().unwrap().to_lowercase();
    assert!(v.contains("invalid") && v.contains("expired"), "{v}");
    page.assert_no_errors();
}

#[test]
fn undo_and_redo_restore_a_deleted_node_with_its_wires() {
    let flow = r#"[
      {"id":"t1","type":"tab","label":"Undo"},
      {"id":"a","type":"http in","z":"t1","name":"entry","url":"/u","method":"get","x":140,"y":120,"wires":[["b","c"]]},
      {"id":"b","type":"http response","z":"t1","name":"first","statusCode":"","headers":{},"x":380,"y":80,"wires":[]},
      {"id":"c","type":"http response","z":"t1","name":"second","statusCode":"","headers":{},"x":380,"y":160,"wires":[]}
    ]"#;
    let (_server, page) = editor(flow);
    wait_count(&page, "path.wire", 2);
    let before = wires(&page);
    let unload_blocked = "(() => { const e = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(e); return e.defaultPrevented; })()";
    assert_eq!(page.eval(unload_blocked), json!(false));

    page.click(&node_selector("a"));
    page.wait(
        "a selected",
        "!!document.querySelector('g.node[data-id=\"a\"].selected')",
    );
    page.key("Delete", &[]);
    wait_count(&page, "g.node", 2);
    wait_count(&page, "path.wire", 0);
    assert_eq!(
        page.eval("document.querySelector('#btn-deploy').classList.contains('dirty')"),
        json!(true)
    );
    assert_eq!(
        page.eval(unload_blocked),
        json!(true),
        "leaving with unsaved changes asks first"
    );

    page.key("z", &[Modifier::Ctrl]);
    wait_count(&page, "g.node", 3);
    wait_count(&page, "path.wire", 2);
    assert_eq!(wires(&page), before);
    let (x, y) = node_centre(&page, "a");
    assert!(
        (x - 140.0).abs() < 1.0 && (y - 120.0).abs() < 1.0,
        "restored at {x},{y}"
    );
    assert_eq!(
        page.eval("document.querySelector('#btn-deploy').classList.contains('dirty')"),
        json!(false),
        "back to the deployed state"
    );

    page.key("z", &[Modifier::Ctrl, Modifier::Shift]);
    wait_count(&page, "g.node", 2);
    wait_count(&page, "path.wire", 0);
    page.click("#btn-undo");
    wait_count(&page, "path.wire", 2);
    assert_eq!(wires(&page), before);
    page.assert_no_errors();
}

#[test]
fn selection_move_copy_paste_and_wire_removal_are_undoable() {
    let flow = r#"[
      {"id":"t1","type":"tab","label":"Edit"},
      {"id":"a","type":"http in","z":"t1","name":"","url":"/e","method":"get","x":160,"y":100,"wires":[["b"]]},
      {"id":"b","type":"http response","z":"t1","name":"","statusCode":"","headers":{},"x":360,"y":100,"wires":[]},
      {"id":"far","type":"http response","z":"t1","name":"far away","statusCode":"","headers":{},"x":360,"y":400,"wires":[]}
    ]"#;
    let (_server, page) = editor(flow);
    wait_count(&page, "g.node", 3);
    // Rubber band around a and b (not far).
    let chart = page.eval("(() => { const r = document.querySelector('#chart').getBoundingClientRect(); return [r.left, r.top]; })()");
    let (cx, cy) = (chart[0].as_f64().unwrap(), chart[1].as_f64().unwrap());
    page.drag((cx + 60.0, cy + 40.0), (cx + 480.0, cy + 180.0));
    wait_count(&page, "g.node.selected", 2);
    // Shift-click adds far; shift-click again removes it.
    let far = page.center(&node_selector("far"));
    page.shift_click_at(far);
    wait_count(&page, "g.node.selected", 3);
    page.shift_click_at(far);
    wait_count(&page, "g.node.selected", 2);
    // Arrow keys move the selection.
    page.key("ArrowRight", &[]);
    page.key("ArrowRight", &[]);
    page.key("ArrowDown", &[Modifier::Shift]);
    page.wait("moved by keys", "(() => { const n = window.flowgateEditor.model.get('a'); return n.x === 162 && n.y === 120; })()");
    let (x, y) = node_centre(&page, "b");
    assert!(
        (x - 362.0).abs() < 1.0 && (y - 120.0).abs() < 1.0,
        "b drawn at {x},{y}"
    );
    // Dragging a node moves it.
    let p = page.center(&node_selector("far"));
    page.click_at(p);
    page.drag(p, (p.0 + 40.0, p.1 + 20.0));
    let (x, y) = node_centre(&page, "far");
    assert!(
        (x - 400.0).abs() < 1.5 && (y - 420.0).abs() < 1.5,
        "far dragged to {x},{y}"
    );
    // Copy a and b, paste: fresh ids, the wire between them copied too.
    page.drag((cx + 60.0, cy + 40.0), (cx + 480.0, cy + 180.0));
    wait_count(&page, "g.node.selected", 2);
    page.key("c", &[Modifier::Ctrl]);
    page.key("v", &[Modifier::Ctrl]);
    wait_count(&page, "g.node", 5);
    wait_count(&page, "path.wire", 2);
    let pasted: Vec<String> = page
        .eval("[...document.querySelectorAll('g.node.selected')].map(n => n.dataset.id)")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(pasted.len(), 2);
    assert!(
        pasted
            .iter()
            .all(|id| id != "a" && id != "b" && id.len() == 16),
        "{pasted:?}"
    );
    // Click a wire and delete it; undo brings it back.
    let wire = page.eval(
        "(() => { const w = document.querySelector('path.wire[data-source=\"a\"]'); const l = w.getTotalLength(); const p = w.getPointAtLength(l / 2); \
         const s = document.querySelector('#chart svg').getBoundingClientRect(); return [s.left + p.x, s.top + p.y]; })()",
    );
    page.click_at((wire[0].as_f64().unwrap(), wire[1].as_f64().unwrap()));
    page.wait(
        "the wire selected",
        "!!document.querySelector('path.wire.selected[data-source=\"a\"]')",
    );
    page.key("Delete", &[]);
    wait_count(&page, "path.wire", 1);
    page.key("z", &[Modifier::Ctrl]);
    wait_count(&page, "path.wire", 2);
    page.key("z", &[Modifier::Ctrl]);
    wait_count(&page, "g.node", 3);
    page.assert_no_errors();
}

#[test]
fn admin_token_is_asked_for_once_and_used_for_api_and_live_events() {
    const TOKEN: &str = "editor-admin-token-0123456789";
    let flow = std::fs::read_to_string(common::repo_root().join("flows/hello.json")).unwrap();
    let server = common::Server::start_with(&flow, &["--admin-token", TOKEN], &[]);
    let r = common::client().get(server.url("/flows")).send().unwrap();
    assert_eq!(r.status(), 401, "the API needs the token");
    let page = Chromium::launch(&server.url(""));
    page.wait(
        "the login dialog",
        "!!document.querySelector('#login-dialog')",
    );
    page.fill("#login-user", "admin");
    page.fill("#login-pass", TOKEN);
    page.click("#login-dialog .btn.primary");
    page.wait(
        "the editor to load",
        "document.body.dataset.ready === 'true'",
    );
    wait_count(&page, "g.node", 2);
    assert_eq!(count(&page, "#login-dialog"), 0, "asked once");
    page.click(".sidebar-tabs [data-panel=\"debug\"]");
    page.wait(
        "the live connection",
        "document.querySelector('.comms-state').textContent === 'live'",
    );
    // Deploying uses the token too.
    page.click(&node_selector("in1"));
    page.key("ArrowDown", &[]);
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    let flows: Value = common::client()
        .get(server.url("/flows"))
        .bearer_auth(TOKEN)
        .header("Node-RED-API-Version", "v2")
        .send()
        .unwrap()
        .json()
        .unwrap();
    let moved = flows["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == json!("in1"))
        .unwrap()
        .clone();
    assert_eq!(moved["y"], json!(81));
    page.assert_no_errors();
}

//! Node status under the nodes, flow and node descriptions in the Info
//! sidebar, and managing flow tabs (rename, disable, reorder, delete), in
//! headless Chromium against the real binary: what the page shows, and
//! what the runtime then holds and serves.

use serde_json::{json, Value};

use crate::common;
use crate::driver::chromium::Chromium;
use crate::driver::{js_str, Driver, Modifier};
use crate::editor::{editor, get_json, get_text, node_selector, wait_count};

/// `GET path` answers `status` (the body is returned).
fn expect(server: &common::Server, path: &str, status: u16) -> String {
    let (got, body) = get_text(server, path);
    assert_eq!(got, status, "GET {path}: {body}");
    body
}

/// The status drawn under node `id`: `{text, shape, fill, colour}` once
/// its text is `text`.
fn status_of(page: &Chromium, id: &str, text: &str) -> Value {
    let sel = js_str(&format!("{} .node-status", node_selector(id)));
    page.wait(
        &format!("status \"{text}\" under {id}"),
        &format!(
            "(() => {{ const g = document.querySelector({sel}); if (!g) return null; \
             const label = g.querySelector('text').textContent; \
             if (label !== {}) return null; \
             const shape = g.querySelector('.node-status-shape'); \
             return {{ text: label, shape: g.dataset.shape, fill: g.dataset.fill, \
                       colour: shape && shape.getAttribute('stroke'), inner: shape && shape.getAttribute('fill') }}; }})()",
            js_str(text)
        ),
    )
}

/// How many statuses are drawn under node `id` (0 or 1).
fn status_count(id: &str) -> String {
    format!(
        "document.querySelectorAll({}).length",
        js_str(&format!("{} .node-status", node_selector(id)))
    )
}

/// The ids of the flow tabs, in the tab bar's order.
fn tab_bar(page: &Chromium) -> Value {
    page.eval("[...document.querySelectorAll('#tabs .tab')].map(t => t.dataset.id)")
}

/// The ids of the tab nodes the runtime holds, in the deployed order.
fn deployed_tabs(server: &common::Server) -> Vec<Value> {
    get_json(server, "/flows")["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == json!("tab"))
        .cloned()
        .collect()
}

/// Open the tab menu of the flow on screen and pick `action`.
fn tab_menu(page: &Chromium, action: &str) {
    page.click("#tabs .tab-menu-button");
    page.click(&format!(".tab-menu [data-action=\"{action}\"]"));
}

fn tab_selector(id: &str) -> String {
    format!("#tabs .tab[data-id=\"{id}\"]")
}

const STATUS_FLOW: &str = r#"[
  {"id":"t1","type":"tab","label":"Status"},
  {"id":"t2","type":"tab","label":"Other"},
  {"id":"in","type":"http in","z":"t1","name":"","url":"/hit","method":"get","x":140,"y":100,"wires":[["fn"]]},
  {"id":"fn","type":"function","z":"t1","name":"count","func":"const n = (context.get('n') || 0) + 1;\ncontext.set('n', n);\nnode.status(n % 2 ? {fill: 'green', shape: 'dot', text: 'ok ' + n} : {fill: 'red', shape: 'ring', text: 'ok ' + n});\nmsg.payload = String(n);\nreturn msg;","outputs":1,"x":340,"y":100,"wires":[["out"]]},
  {"id":"out","type":"http response","z":"t1","name":"","statusCode":"","headers":{},"x":540,"y":100,"wires":[]}
]"#;

#[test]
fn node_status_shows_under_the_node_updates_per_request_and_survives_tab_switches() {
    let (server, page) = editor(STATUS_FLOW, 3);
    assert_eq!(expect(&server, "/hit", 200), "1");

    // Node-RED's green dot: filled and outlined in its green, text beside it.
    let s = status_of(&page, "fn", "ok 1");
    assert_eq!(s["shape"], json!("dot"), "{s}");
    assert_eq!(s["fill"], json!("green"), "{s}");
    assert_eq!(s["colour"], json!("#5a8"), "{s}");
    assert_eq!(s["inner"], json!("#5a8"), "{s}");
    // Under the node, not over it.
    let below = page.eval(&format!(
        "document.querySelector({}).getBoundingClientRect().top >= document.querySelector({}).getBoundingClientRect().bottom",
        js_str(&format!("{} .node-status-shape", node_selector("fn"))),
        js_str(&format!("{} .node-body", node_selector("fn")))
    ));
    assert_eq!(below, json!(true));
    page.screenshot(&common::repo_root().join("target/editor-status.png"));

    // The next request's status replaces it: a red ring (white inside).
    assert_eq!(expect(&server, "/hit", 200), "2");
    let s = status_of(&page, "fn", "ok 2");
    assert_eq!(s["shape"], json!("ring"), "{s}");
    assert_eq!(s["colour"], json!("#c00"), "{s}");
    assert_eq!(s["inner"], json!("#fff"), "{s}");
    assert_eq!(page.eval(&status_count("fn")), json!(1));

    // Another tab and back: the status is still there.
    page.click(&tab_selector("t2"));
    wait_count(&page, "g.node", 0);
    assert_eq!(expect(&server, "/hit", 200), "3");
    page.click(&tab_selector("t1"));
    status_of(&page, "fn", "ok 3");
    page.assert_no_errors();
}

/// Untick or tick a node's Enabled box in its form (below the fields).
fn toggle_enabled(page: &Chromium, id: &str) {
    page.double_click(&node_selector(id));
    page.wait(
        "the Enabled box",
        "(() => { const e = document.querySelector('#tray-enabled'); if (!e) return false; e.scrollIntoView({block: 'center'}); return true; })()",
    );
    page.click("#tray-enabled");
}

#[test]
fn node_status_is_hidden_on_a_disabled_node() {
    let (server, page) = editor(STATUS_FLOW, 3);
    expect(&server, "/hit", 200);
    status_of(&page, "fn", "ok 1");

    // Disabling the node in the editor hides its status, as in Node-RED.
    toggle_enabled(&page, "fn");
    page.click("#tray-done");
    page.wait(
        "the status hidden",
        &format!("{} === 0", status_count("fn")),
    );
    // Enabling it again shows it.
    toggle_enabled(&page, "fn");
    page.click("#tray-done");
    status_of(&page, "fn", "ok 1");
    page.assert_no_errors();
}

/// A debug node showing each message in its status, beside the counter.
const DEBUG_STATUS_FLOW: &str = r#"[
  {"id":"t1","type":"tab","label":"Status"},
  {"id":"in","type":"http in","z":"t1","name":"","url":"/hit","method":"get","x":140,"y":100,"wires":[["fn"]]},
  {"id":"fn","type":"function","z":"t1","name":"count","func":"msg.payload = 'seen';\nreturn msg;","outputs":1,"x":340,"y":100,"wires":[["out","dbg"]]},
  {"id":"out","type":"http response","z":"t1","name":"","statusCode":"","headers":{},"x":540,"y":100,"wires":[]},
  {"id":"dbg","type":"debug","z":"t1","name":"","active":true,"tosidebar":true,"console":false,"tostatus":true,"complete":"payload","targetType":"msg","statusVal":"payload","statusType":"auto","x":540,"y":180,"wires":[]}
]"#;

#[test]
fn node_statuses_are_cleared_when_a_deploy_restarts_the_nodes() {
    let (server, page) = editor(DEBUG_STATUS_FLOW, 4);
    expect(&server, "/hit", 200);
    status_of(&page, "dbg", "seen");

    // A full deploy restarts every node: none has a status any more.
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    page.wait(
        "the status cleared",
        &format!("{} === 0", status_count("dbg")),
    );
    // The restarted node reports again.
    expect(&server, "/hit", 200);
    status_of(&page, "dbg", "seen");
    page.assert_no_errors();
}

/// A flow whose description has a heading, a link and two attempts to run
/// script; a node with its own description.
fn info_flow() -> String {
    let info = "# Orders API\n\nServes the orders. See [the docs](https://example.com/docs).\n\n\
                <script>window.pwned = 'script'</script>\n\n\
                <img src=\"data:,\" onerror=\"window.pwned = 'onerror'\">\n";
    json!([
        {"id": "t1", "type": "tab", "label": "Orders", "disabled": false, "info": info},
        {"id": "fn", "type": "function", "z": "t1", "name": "price", "func": "return msg;",
         "outputs": 1, "info": "Adds **VAT** to the price.", "x": 200, "y": 100, "wires": [[]]}
    ])
    .to_string()
}

#[test]
fn tab_info_shows_the_flow_and_its_description_as_safe_markdown() {
    let (_server, page) = editor(&info_flow(), 1);
    page.click(".sidebar-tabs [data-panel=\"info\"]");

    // Nothing selected: the flow's name, id, status and description.
    let row = |key: &str| {
        page.wait(
            key,
            &format!(
                "document.querySelector('#info-panel tr[data-key=\"{key}\"] td:last-child')?.textContent"
            ),
        )
    };
    assert_eq!(row("flow"), json!("Orders"));
    assert_eq!(row("id"), json!("t1"));
    assert_eq!(row("status"), json!("enabled"));
    let heading = page.wait(
        "the description's heading",
        "document.querySelector('#info-panel .info-description h1')?.textContent",
    );
    assert_eq!(heading, json!("Orders API"));
    let link = page.eval(
        "(() => { const a = document.querySelector('#info-panel .info-description a'); \
         return [a.getAttribute('href'), a.textContent, a.target, a.rel]; })()",
    );
    assert_eq!(
        link,
        json!([
            "https://example.com/docs",
            "the docs",
            "_blank",
            "noopener noreferrer"
        ])
    );
    // Neither the script nor the onerror handler reached the page.
    let unsafe_parts =
        page.eval("document.querySelectorAll('#info-panel script, #info-panel [onerror]').length");
    assert_eq!(unsafe_parts, json!(0));
    assert_eq!(page.eval("window.pwned === undefined"), json!(true));
    page.screenshot(&common::repo_root().join("target/editor-tab-info.png"));

    // A selected node shows its own description.
    page.click(&format!("{} .node-body", node_selector("fn")));
    let strong = page.wait(
        "the node's description",
        "document.querySelector('#info-panel .info-description strong')?.textContent",
    );
    assert_eq!(strong, json!("VAT"));
    assert_eq!(page.eval("window.pwned === undefined"), json!(true));
    page.assert_no_errors();
}

const TABS_FLOW: &str = r#"[
  {"id":"ta","type":"tab","label":"A","disabled":false,"info":""},
  {"id":"tb","type":"tab","label":"B","disabled":false,"info":""},
  {"id":"tc","type":"tab","label":"C","disabled":false,"info":""},
  {"id":"in","type":"http in","z":"tb","name":"","url":"/b","method":"get","x":140,"y":100,"wires":[["fn"]]},
  {"id":"fn","type":"function","z":"tb","name":"answer","func":"msg.payload = 'from B';\nreturn msg;","outputs":1,"x":340,"y":100,"wires":[["out"]]},
  {"id":"out","type":"http response","z":"tb","name":"","statusCode":"","headers":{},"x":540,"y":100,"wires":[]},
  {"id":"ca","type":"comment","z":"ta","name":"on A","info":"","x":140,"y":60,"wires":[]}
]"#;

#[test]
fn renaming_and_disabling_a_tab_deploys_it_disabled_and_its_endpoint_is_gone() {
    let (server, page) = editor(TABS_FLOW, 1);
    assert_eq!(expect(&server, "/b", 200), "from B");
    page.click(&tab_selector("tb"));
    wait_count(&page, "g.node", 3);

    // Rename through the flow's form (double-click its tab).
    page.double_click(&tab_selector("tb"));
    page.fill(".tray [data-field=\"label\"] input", "Orders");
    page.click("#tray-done");
    page.wait(
        "the renamed tab",
        &format!(
            "document.querySelector({})?.textContent === 'Orders'",
            js_str(&tab_selector("tb"))
        ),
    );

    // Disable it from the tab menu: drawn as Node-RED draws a disabled flow.
    tab_menu(&page, "disable");
    page.wait(
        "the tab drawn disabled",
        &format!(
            "document.querySelector({})?.classList.contains('disabled')",
            js_str(&tab_selector("tb"))
        ),
    );
    assert_eq!(
        page.eval(&format!(
            "[getComputedStyle(document.querySelector({0})).fontStyle, !!document.querySelector({0} + ' .tab-disabled-icon'), \
             document.getElementById('canvas-area').classList.contains('flow-disabled')]",
            js_str(&tab_selector("tb"))
        )),
        json!(["italic", true, true])
    );
    page.click(".sidebar-tabs [data-panel=\"info\"]");
    page.screenshot(&common::repo_root().join("target/editor-tab-disabled.png"));
    page.wait(
        "the Info sidebar saying disabled",
        "document.querySelector('#info-panel tr[data-key=\"status\"] td:last-child')?.textContent === 'disabled'",
    );

    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    let tab = deployed_tabs(&server)
        .into_iter()
        .find(|t| t["id"] == json!("tb"))
        .unwrap();
    assert_eq!(tab["label"], json!("Orders"), "{tab}");
    assert_eq!(tab["disabled"], json!(true), "{tab}");
    expect(&server, "/b", 404);
    page.assert_no_errors();
}

#[test]
fn dragging_a_tab_reorders_the_flows_and_deploy_keeps_the_order() {
    let (server, page) = editor(TABS_FLOW, 1);
    assert_eq!(tab_bar(&page), json!(["ta", "tb", "tc"]));

    // Drag C to the left of A.
    let from = page.center(&tab_selector("tc"));
    let a = page.center(&tab_selector("ta"));
    page.drag(from, (a.0 - 20.0, a.1));
    page.wait(
        "C first",
        "[...document.querySelectorAll('#tabs .tab')].map(t => t.dataset.id).join() === 'tc,ta,tb'",
    );
    // A drag is not a click: the flow on screen is still A.
    assert_eq!(
        page.eval("document.querySelector('#tabs .tab.active').dataset.id"),
        json!("ta")
    );

    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    let order: Vec<Value> = deployed_tabs(&server)
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(order, vec![json!("tc"), json!("ta"), json!("tb")]);

    // Undoable: back to A, B, C.
    page.key("z", &[Modifier::Ctrl]);
    page.wait(
        "the old order",
        "[...document.querySelectorAll('#tabs .tab')].map(t => t.dataset.id).join() === 'ta,tb,tc'",
    );
    page.assert_no_errors();
}

#[test]
fn deleting_a_tab_asks_removes_its_nodes_and_undo_restores_them_in_place() {
    let (server, page) = editor(TABS_FLOW, 1);
    page.click(&tab_selector("tb"));
    wait_count(&page, "g.node", 3);

    page.click("#tabs .tab-menu-button");
    page.wait(
        "the tab menu",
        "document.querySelector('.tab-menu [data-action=\"delete\"]')",
    );
    page.screenshot(&common::repo_root().join("target/editor-tab-menu.png"));
    page.click(".tab-menu [data-action=\"delete\"]");
    let question = page.wait(
        "the confirmation",
        "document.querySelector('#dialog-host .dialog-body')?.textContent",
    );
    assert!(question.as_str().unwrap().contains("3 nodes"), "{question}");
    page.click("#dialog-host .dialog .btn.primary");
    page.wait(
        "B gone",
        "[...document.querySelectorAll('#tabs .tab')].map(t => t.dataset.id).join() === 'ta,tc'",
    );
    assert_eq!(
        page.eval("['in', 'fn', 'out'].filter(id => window.flowgateEditor.model.get(id)).length"),
        json!(0)
    );

    // Undo brings the tab back where it was, with its nodes and wires.
    page.key("z", &[Modifier::Ctrl]);
    page.wait(
        "B back in the middle",
        "[...document.querySelectorAll('#tabs .tab')].map(t => t.dataset.id).join() === 'ta,tb,tc'",
    );
    page.click(&tab_selector("tb"));
    wait_count(&page, "g.node", 3);
    wait_count(&page, "path.wire", 2);

    // Nothing to deploy was lost: the runtime still serves B after a deploy.
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    assert_eq!(expect(&server, "/b", 200), "from B");
    page.assert_no_errors();
}

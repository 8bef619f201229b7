//! Finding and moving around in the editor, in headless Chromium against the
//! real binary: search across flows, quick-add, the clipboard (within the
//! editor and from Node-RED's clipboard export), undo of edits on another
//! flow, and zoom to fit.

use serde_json::{json, Value};

use crate::common;
use crate::driver::chromium::Chromium;
use crate::driver::{js_str, Driver, Modifier};
use crate::editor::{editor, get_json, get_text, node_selector, wait_count, wires};

/// A point on empty canvas (the chart's lower right), clicked to give the
/// canvas the keyboard with nothing selected.
fn focus_empty_canvas(page: &Chromium) -> (f64, f64) {
    let r = chart_rect(page);
    let p = (r[2] - 120.0, r[3] - 80.0);
    page.click_at(p);
    wait_count(page, "g.node.selected", 0);
    p
}

/// The chart's client rectangle: [left, top, right, bottom].
fn chart_rect(page: &Chromium) -> Vec<f64> {
    page.eval("(() => { const r = document.querySelector('#chart').getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })()")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

/// Ids of the drawn nodes whose body lies wholly outside or across the
/// chart's visible rectangle.
fn nodes_outside_view(page: &Chromium) -> Value {
    page.eval(
        "(() => { const c = document.querySelector('#chart').getBoundingClientRect(); \
         return [...document.querySelectorAll('g.node')].filter(g => { const r = g.querySelector('.node-body').getBoundingClientRect(); \
         return r.left < c.left || r.top < c.top || r.right > c.right || r.bottom > c.bottom; }).map(g => g.dataset.id); })()",
    )
}

/// The editor's model of a node.
fn model_node(page: &Chromium, id: &str) -> Value {
    page.eval(&format!("window.flowgateEditor.model.get({})", js_str(id)))
}

fn active_tab(page: &Chromium) -> Value {
    page.eval("window.flowgateEditor.model.activeTab")
}

const TWO_TABS: &str = r#"[
  {"id":"t1","type":"tab","label":"First"},
  {"id":"t2","type":"tab","label":"Second"},
  {"id":"a","type":"http in","z":"t1","name":"entry","url":"/a","method":"get","x":160,"y":100,"wires":[["b"]]},
  {"id":"b","type":"http response","z":"t1","name":"answer","statusCode":"","headers":{},"x":380,"y":100,"wires":[]},
  {"id":"far","type":"function","z":"t2","name":"far away","func":"msg.payload = 'needle-7731 in a haystack';\nreturn msg;","outputs":1,"x":2300,"y":1500,"wires":[[]]},
  {"id":"near","type":"function","z":"t2","name":"close by","func":"return msg;","outputs":1,"x":200,"y":100,"wires":[[]]}
]"#;

#[test]
fn search_finds_a_node_by_a_property_value_on_another_tab_and_goes_there() {
    let (_server, page) = editor(TWO_TABS, 2);
    assert_eq!(active_tab(&page), json!("t1"));
    focus_empty_canvas(&page);
    page.key("f", &[Modifier::Ctrl]);
    // Only the function body on the other flow holds this text.
    page.fill("#search-input", "needle-77");
    page.wait(
        "one result",
        "document.querySelectorAll('#search-results .search-result').length === 1",
    );
    let shown = page.eval(
        "(() => { const r = document.querySelector('#search-results .search-result.selected'); \
         return [r.dataset.id, r.querySelector('.search-label').textContent, r.querySelector('.search-type').textContent, r.querySelector('.search-place').textContent]; })()",
    );
    assert_eq!(shown, json!(["far", "far away", "function", "Second"]));
    page.screenshot(&common::repo_root().join("target/editor-search.png"));

    page.key("Enter", &[]);
    page.wait("the search closed", "!document.querySelector('#search')");
    page.wait(
        "the second flow shown",
        "document.querySelector('#tabs .tab.active')?.dataset.id === 't2'",
    );
    wait_count(&page, &format!("{}.selected", node_selector("far")), 1);
    page.wait(
        "the found node scrolled into view",
        "(() => { const c = document.querySelector('#chart').getBoundingClientRect(); \
         const r = document.querySelector('g.node[data-id=\"far\"] .node-body').getBoundingClientRect(); \
         return r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom; })()",
    );

    // A name finds a node too, and Escape closes the search without moving.
    page.key("f", &[Modifier::Ctrl]);
    page.fill("#search-input", "entry");
    page.wait(
        "the name's node listed",
        "document.querySelector('#search-results .search-result.selected')?.dataset.id === 'a'",
    );
    page.key("Escape", &[]);
    page.wait("the search closed", "!document.querySelector('#search')");
    assert_eq!(active_tab(&page), json!("t2"));
    page.assert_no_errors();
}

const QUICK_ADD_FLOW: &str = r#"[
  {"id":"t1","type":"tab","label":"Quick add"},
  {"id":"in","type":"http in","z":"t1","name":"","url":"/quick","method":"get","x":160,"y":120,"wires":[[]]}
]"#;

#[test]
fn quick_add_places_a_node_wired_from_the_selected_node_and_deploys() {
    let (server, page) = editor(QUICK_ADD_FLOW, 1);
    page.click(&format!("{} .node-body", node_selector("in")));
    wait_count(&page, "g.node.selected", 1);
    let r = chart_rect(&page);
    let at = (r[0] + 420.0, r[1] + 220.0);
    page.ctrl_click_at(at);
    page.wait(
        "the quick-add box",
        "document.activeElement?.id === 'quick-add-input'",
    );
    // Wiring from a node lists only types with an input, as Node-RED does.
    page.fill("#quick-add-input", "http");
    page.wait(
        "types filtered",
        "document.querySelectorAll('#quick-add-results li').length > 0",
    );
    let listed = page
        .eval("[...document.querySelectorAll('#quick-add-results li')].map(li => li.dataset.type)");
    assert!(
        !listed.as_array().unwrap().contains(&json!("http in")),
        "{listed}"
    );
    page.fill("#quick-add-input", "resp");
    page.wait(
        "http response first",
        "document.querySelector('#quick-add-results li.selected')?.dataset.type === 'http response'",
    );
    page.screenshot(&common::repo_root().join("target/editor-quick-add.png"));
    page.key("Enter", &[]);
    wait_count(&page, "g.node", 2);
    let added = page
        .wait(
            "the new node selected",
            "(() => { const s = document.querySelectorAll('g.node.selected'); return s.length === 1 && s[0].dataset.type === 'http response' ? s[0].dataset.id : null; })()",
        )
        .as_str()
        .unwrap()
        .to_string();
    assert!(wires(&page).contains(&("in".to_string(), 0, added.clone())));
    // Placed where the click was.
    let n = model_node(&page, &added);
    let z = page
        .eval("window.flowgateEditor.canvas.zoom")
        .as_f64()
        .unwrap();
    assert!(
        (n["x"].as_f64().unwrap() - 420.0 / z).abs() < 2.0
            && (n["y"].as_f64().unwrap() - 220.0 / z).abs() < 2.0,
        "placed at {n}"
    );

    // One edit: one undo takes node and wire away, redo brings both back.
    page.key("z", &[Modifier::Ctrl]);
    wait_count(&page, "g.node", 1);
    wait_count(&page, "path.wire", 0);
    page.key("z", &[Modifier::Ctrl, Modifier::Shift]);
    wait_count(&page, "path.wire", 1);

    let msg = page.deploy();
    assert!(msg.contains("Successfully deployed"), "{msg}");
    let flows = get_json(&server, "/flows");
    let entry = flows["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == json!("in"))
        .unwrap()
        .clone();
    assert_eq!(entry["wires"], json!([[added]]));
    assert_eq!(get_text(&server, "/quick").0, 200);
    page.assert_no_errors();
}

/// What Node-RED 5's "Export → Clipboard" gives for three wired nodes and a
/// WebSocket input with its listener config node (compact form).
const NODE_RED_CLIPBOARD: &str = r#"[{"id":"8f1c2a3b4d5e6f70","type":"http in","z":"a1b2c3d4e5f60718","name":"","url":"/pasted","method":"get","upload":false,"skipBodyParsing":false,"swaggerDoc":"","x":150,"y":120,"wires":[["5e6f708192a3b4c5"]]},{"id":"5e6f708192a3b4c5","type":"change","z":"a1b2c3d4e5f60718","name":"greet","rules":[{"t":"set","p":"payload","pt":"msg","to":"pasted from Node-RED","tot":"str"}],"action":"","property":"","from":"","to":"","reg":false,"x":340,"y":120,"wires":[["c4b5a6978877e6d5"]]},{"id":"c4b5a6978877e6d5","type":"http response","z":"a1b2c3d4e5f60718","name":"","statusCode":"","headers":{},"x":520,"y":120,"wires":[]},{"id":"d1e2f3a4b5c6d7e8","type":"websocket in","z":"a1b2c3d4e5f60718","name":"","server":"f0e1d2c3b4a59687","client":"","x":170,"y":200,"wires":[[]]},{"id":"f0e1d2c3b4a59687","type":"websocket-listener","path":"/ws/pasted","wholemsg":"false"}]"#;

#[test]
fn pasting_a_node_red_clipboard_export_adds_its_nodes_wired_and_they_serve() {
    // A node already holds the export's http in id: that one gets a fresh id.
    let flow = r#"[
      {"id":"t1","type":"tab","label":"Paste"},
      {"id":"8f1c2a3b4d5e6f70","type":"comment","z":"t1","name":"already here","info":"","x":160,"y":60,"wires":[]}
    ]"#;
    let (server, page) = editor(flow, 1);
    page.grant_clipboard(&server.url(""));
    page.eval(&format!(
        "navigator.clipboard.writeText({})",
        js_str(NODE_RED_CLIPBOARD)
    ));
    let r = chart_rect(&page);
    let at = (r[0] + 300.0, r[1] + 260.0);
    page.click_at(at);
    page.key("v", &[Modifier::Ctrl]);
    wait_count(&page, "g.node", 5);
    wait_count(&page, "path.wire", 2);

    let model = page.eval("window.flowgateEditor.model.toJSON()");
    let nodes = model.as_array().unwrap();
    let of_type = |t: &str| {
        nodes
            .iter()
            .find(|n| n["type"] == json!(t))
            .unwrap()
            .clone()
    };
    let entry = of_type("http in");
    assert_ne!(
        entry["id"],
        json!("8f1c2a3b4d5e6f70"),
        "clashing id replaced"
    );
    assert_eq!(entry["wires"], json!([["5e6f708192a3b4c5"]]));
    assert_eq!(of_type("change")["wires"], json!([["c4b5a6978877e6d5"]]));
    assert_eq!(of_type("websocket in")["server"], json!("f0e1d2c3b4a59687"));
    assert_eq!(of_type("websocket-listener")["path"], json!("/ws/pasted"));
    for n in nodes
        .iter()
        .filter(|n| n["x"].is_number() && n["id"] != json!("8f1c2a3b4d5e6f70"))
    {
        assert_eq!(n["z"], json!("t1"), "{n}");
    }
    // The export's top left node lands at the mouse.
    let z = page
        .eval("window.flowgateEditor.canvas.zoom")
        .as_f64()
        .unwrap();
    assert!(
        (entry["x"].as_f64().unwrap() - 300.0 / z).abs() < 2.0
            && (entry["y"].as_f64().unwrap() - 260.0 / z).abs() < 2.0,
        "pasted at {entry}"
    );

    let msg = page.deploy();
    assert!(msg.contains("Successfully deployed"), "{msg}");
    assert_eq!(
        get_text(&server, "/pasted"),
        (200, "pasted from Node-RED".to_string())
    );
    page.assert_no_errors();
}

#[test]
fn nodes_copied_on_one_flow_paste_into_view_on_another() {
    let flow = r#"[
      {"id":"t1","type":"tab","label":"Source"},
      {"id":"t2","type":"tab","label":"Target"},
      {"id":"a","type":"http in","z":"t1","name":"","url":"/copied","method":"get","x":2200,"y":1400,"wires":[["b"]]},
      {"id":"b","type":"http response","z":"t1","name":"","statusCode":"","headers":{},"x":2420,"y":1400,"wires":[]},
      {"id":"c","type":"comment","z":"t2","name":"target flow","info":"","x":160,"y":60,"wires":[]}
    ]"#;
    let (_server, page) = editor(flow, 2);
    focus_empty_canvas(&page);
    page.key("a", &[Modifier::Ctrl]);
    wait_count(&page, "g.node.selected", 2);
    page.key("c", &[Modifier::Ctrl]);
    page.click("#tabs .tab[data-id=\"t2\"]");
    wait_count(&page, "g.node", 1);
    page.key("v", &[Modifier::Ctrl]);
    wait_count(&page, "g.node", 3);
    wait_count(&page, "path.wire", 1);
    wait_count(&page, "g.node.selected", 2);
    let pasted = page.eval(
        "[...document.querySelectorAll('g.node.selected')].map(g => window.flowgateEditor.model.get(g.dataset.id))",
    );
    for n in pasted.as_array().unwrap() {
        assert_eq!(n["z"], json!("t2"), "{n}");
        assert!(n["id"] != json!("a") && n["id"] != json!("b"), "{n}");
    }
    assert_eq!(nodes_outside_view(&page), json!([]), "pasted into view");
    // The source flow still has its two nodes.
    page.click("#tabs .tab[data-id=\"t1\"]");
    wait_count(&page, "g.node", 2);
    page.assert_no_errors();
}

#[test]
fn undo_of_a_form_edit_shows_its_flow_with_the_old_value_and_redo_reapplies() {
    let (_server, page) = editor(TWO_TABS, 2);
    page.double_click_until(
        &format!("{} .node-body", node_selector("b")),
        "the node's form",
        "!!document.querySelector('.tray[data-id=\"b\"]')",
    );
    page.fill(".tray [data-field=\"name\"] input", "renamed");
    page.click("#tray-done");
    let label = |page: &Chromium| {
        page.eval("document.querySelector('g.node[data-id=\"b\"] .node-label')?.textContent")
    };
    page.wait(
        "the new name drawn",
        "document.querySelector('g.node[data-id=\"b\"] .node-label')?.textContent === 'renamed'",
    );
    // Undo from another flow brings the edited flow back with the old name.
    page.click("#tabs .tab[data-id=\"t2\"]");
    wait_count(&page, &node_selector("near"), 1);
    focus_empty_canvas(&page);
    page.key("z", &[Modifier::Ctrl]);
    page.wait(
        "the edited flow shown",
        "document.querySelector('#tabs .tab.active')?.dataset.id === 't1'",
    );
    page.wait(
        "the old name drawn",
        "document.querySelector('g.node[data-id=\"b\"] .node-label')?.textContent === 'answer'",
    );
    assert_eq!(model_node(&page, "b")["name"], json!("answer"));
    page.key("z", &[Modifier::Ctrl, Modifier::Shift]);
    page.wait(
        "the new name again",
        "document.querySelector('g.node[data-id=\"b\"] .node-label')?.textContent === 'renamed'",
    );
    assert_eq!(label(&page), json!("renamed"));
    page.assert_no_errors();
}

#[test]
fn undo_of_adding_a_flow_shows_a_remaining_flow() {
    let (_server, page) = editor(TWO_TABS, 2);
    page.click("#tabs .tab-add");
    page.wait(
        "a third flow shown",
        "document.querySelectorAll('#tabs .tab').length === 3 && document.querySelector('#tabs .tab.active')?.textContent === 'Flow 1'",
    );
    wait_count(&page, "g.node", 0);
    focus_empty_canvas(&page);
    page.key("z", &[Modifier::Ctrl]);
    page.wait(
        "the added flow gone",
        "document.querySelectorAll('#tabs .tab').length === 2",
    );
    page.wait(
        "a remaining flow shown",
        "!!document.querySelector('#tabs .tab.active')",
    );
    wait_count(&page, "g.node", 2);
    page.assert_no_errors();
}

#[test]
fn zoom_to_fit_puts_every_node_of_the_flow_in_view() {
    let flow = r#"[
      {"id":"t1","type":"tab","label":"Wide"},
      {"id":"n1","type":"comment","z":"t1","name":"top left","info":"","x":120,"y":60,"wires":[]},
      {"id":"n2","type":"comment","z":"t1","name":"far right","info":"","x":2600,"y":300,"wires":[]},
      {"id":"n3","type":"comment","z":"t1","name":"far down","info":"","x":900,"y":1700,"wires":[]},
      {"id":"n4","type":"comment","z":"t1","name":"far corner","info":"","x":2500,"y":1600,"wires":[]}
    ]"#;
    let (_server, page) = editor(flow, 4);
    assert_ne!(
        nodes_outside_view(&page),
        json!([]),
        "the flow is wider than the view"
    );
    focus_empty_canvas(&page);
    page.key("1", &[Modifier::Ctrl]);
    page.wait(
        "every node in view",
        "(() => { const c = document.querySelector('#chart').getBoundingClientRect(); \
         return [...document.querySelectorAll('g.node .node-body')].every(b => { const r = b.getBoundingClientRect(); \
         return r.left >= c.left && r.top >= c.top && r.right <= c.right && r.bottom <= c.bottom; }); })()",
    );
    let z = page
        .eval("window.flowgateEditor.canvas.zoom")
        .as_f64()
        .unwrap();
    assert!(z < 0.6, "zoomed out to {z}");

    // Node-RED's Ctrl+0 resets the zoom; Ctrl+= and Ctrl+- step it by a tenth.
    page.key("0", &[Modifier::Ctrl]);
    page.wait("zoom reset", "window.flowgateEditor.canvas.zoom === 1");
    page.key("=", &[Modifier::Ctrl]);
    page.wait("zoomed in", "window.flowgateEditor.canvas.zoom === 1.1");
    page.key("-", &[Modifier::Ctrl]);
    page.key("-", &[Modifier::Ctrl]);
    page.wait("zoomed out", "window.flowgateEditor.canvas.zoom === 0.9");
    page.assert_no_errors();
}

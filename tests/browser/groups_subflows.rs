//! Groups and subflows in the editor, in headless Chromium against the real
//! binary: a group drawn around its nodes and moved with them, group and
//! ungroup, a Node-RED export with a subflow (its instance's ports, its
//! template on its own tab), selection to subflow, and an instance's env
//! property reaching the running subflow.

use serde_json::{json, Value};

use crate::common;
use crate::driver::chromium::Chromium;
use crate::driver::{js_str, Driver, Modifier};
use crate::editor::{count, editor, get_json, get_text, node_centre, node_selector, wait_count};

/// The deployed flow's node `id` (`GET /flows`).
fn deployed(server: &common::Server, id: &str) -> Value {
    get_json(server, "/flows")["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == json!(id))
        .cloned()
        .unwrap_or(Value::Null)
}

/// The deployed nodes of type `node_type`.
fn deployed_of_type(server: &common::Server, node_type: &str) -> Vec<Value> {
    get_json(server, "/flows")["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == json!(node_type))
        .cloned()
        .collect()
}

/// A node in the editor's model (null when it is not there).
fn model_node(page: &Chromium, id: &str) -> Value {
    page.eval(&format!(
        "window.flowgateEditor.model.nodes.get({}) || null",
        js_str(id)
    ))
}

/// Client rectangle `[left, top, right, bottom]` of the first element matching `selector`.
fn rect(page: &Chromium, selector: &str) -> [f64; 4] {
    let v = page.wait(
        selector,
        &format!(
            "(() => {{ const e = document.querySelector({}); if (!e) return null; const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }})()",
            js_str(selector)
        ),
    );
    let f = |i: usize| v[i].as_f64().unwrap();
    [f(0), f(1), f(2), f(3)]
}

fn inside(inner: [f64; 4], outer: [f64; 4]) -> bool {
    inner[0] > outer[0] && inner[1] > outer[1] && inner[2] < outer[2] && inner[3] < outer[3]
}

/// Select `ids` by clicking the first and Shift-clicking the rest.
fn select(page: &Chromium, ids: &[&str]) {
    for (i, id) in ids.iter().enumerate() {
        let p = page.center(&format!("{} .node-body", node_selector(id)));
        if i == 0 {
            page.click_at(p);
        } else {
            page.shift_click_at(p);
        }
    }
    wait_count(page, "g.node.selected", ids.len());
}

/// A group whose stored box is stale (as an export from another editor may
/// be): the editor sizes it from its members.
const GROUP_FLOW: &str = r##"[
  {"id":"t1","type":"tab","label":"Grouped"},
  {"id":"grp","type":"group","z":"t1","name":"Greeting API","style":{"label":true,"stroke":"#3f93cf","fill":"#bfdbef","fill-opacity":"0.5","color":"#0070c0"},"nodes":["in","fn"],"x":34,"y":39,"w":12,"h":12},
  {"id":"in","type":"http in","z":"t1","g":"grp","name":"","url":"/hello","method":"get","x":180,"y":140,"wires":[["fn"]]},
  {"id":"fn","type":"function","z":"t1","g":"grp","name":"greet","func":"msg.payload = 'hello';\nreturn msg;","outputs":1,"x":380,"y":140,"wires":[["out"]]},
  {"id":"out","type":"http response","z":"t1","name":"","statusCode":"","headers":{},"x":600,"y":140,"wires":[]}
]"##;

#[test]
fn group_is_drawn_around_its_nodes_with_its_name_and_style() {
    let (_server, page) = editor(GROUP_FLOW, 3);
    let group = "g.group[data-id=\"grp\"]";
    let label = page.wait(
        "the group's label",
        &format!(
            "document.querySelector({})?.textContent",
            js_str(&format!("{group} .group-label"))
        ),
    );
    assert_eq!(label, json!("Greeting API"));
    // The box holds its two members, not the node outside the group.
    let body = rect(&page, &format!("{group} .group-box"));
    for id in ["in", "fn"] {
        let n = rect(&page, &format!("{} .node-body", node_selector(id)));
        assert!(inside(n, body), "{id} {n:?} inside the group {body:?}");
    }
    let out = rect(&page, &format!("{} .node-body", node_selector("out")));
    assert!(!inside(out, body), "out {out:?} outside the group {body:?}");
    // Drawn in the group's style, behind the nodes.
    let style = page.eval(&format!(
        "(() => {{ const s = getComputedStyle(document.querySelector({})); return [s.stroke, s.fill, s.fillOpacity]; }})()",
        js_str(&format!("{group} .group-box"))
    ));
    assert_eq!(
        style,
        json!(["rgb(63, 147, 207)", "rgb(191, 219, 239)", "0.5"])
    );
    let color = page.eval(&format!(
        "getComputedStyle(document.querySelector({})).fill",
        js_str(&format!("{group} .group-label"))
    ));
    assert_eq!(color, json!("rgb(0, 112, 192)"));
    let behind = page.eval(
        "document.querySelector('g.groups').compareDocumentPosition(document.querySelector('g.nodes')) & Node.DOCUMENT_POSITION_FOLLOWING",
    );
    assert_eq!(behind, json!(4));
    page.screenshot(&common::repo_root().join("target/editor-groups.png"));
    page.assert_no_errors();
}

#[test]
fn nested_group_is_drawn_inside_and_over_the_group_around_it() {
    let flow = r#"[
      {"id":"t1","type":"tab","label":"Nested"},
      {"id":"outer","type":"group","z":"t1","name":"Outer","style":{"label":true},"nodes":["inner","a"],"x":0,"y":0,"w":10,"h":10},
      {"id":"inner","type":"group","z":"t1","g":"outer","name":"Inner","style":{"label":true},"nodes":["b"],"x":0,"y":0,"w":10,"h":10},
      {"id":"a","type":"comment","z":"t1","g":"outer","name":"a","info":"","x":160,"y":120,"wires":[]},
      {"id":"b","type":"comment","z":"t1","g":"inner","name":"b","info":"","x":200,"y":260,"wires":[]}
    ]"#;
    let (_server, page) = editor(flow, 2);
    let outer = rect(&page, "g.group[data-id=\"outer\"] .group-box");
    let inner = rect(&page, "g.group[data-id=\"inner\"] .group-box");
    let b = rect(&page, &format!("{} .node-body", node_selector("b")));
    assert!(inside(b, inner), "b {b:?} inside inner {inner:?}");
    assert!(
        inside(inner, outer),
        "inner {inner:?} inside outer {outer:?}"
    );
    let order =
        page.eval("[...document.querySelectorAll('g.groups > g.group')].map(g => g.dataset.id)");
    assert_eq!(order, json!(["outer", "inner"]));
    page.assert_no_errors();
}

#[test]
fn dragging_a_group_moves_its_nodes_and_the_deployed_positions_change_by_the_drag() {
    let (server, page) = editor(GROUP_FLOW, 3);
    let label = page.center("g.group[data-id=\"grp\"] .group-label");
    page.drag(label, (label.0 + 100.0, label.1 + 60.0));
    page.wait(
        "the members moved",
        "(() => { const m = window.flowgateEditor.model; return m.get('in').x === 280 && m.get('fn').y === 200; })()",
    );
    let (x, y) = node_centre(&page, "fn");
    assert!(
        (x - 480.0).abs() < 1.0 && (y - 200.0).abs() < 1.0,
        "fn drawn at {x},{y}"
    );
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    for (id, x, y) in [("in", 280, 200), ("fn", 480, 200), ("out", 600, 140)] {
        let n = deployed(&server, id);
        assert_eq!(
            (n["x"].clone(), n["y"].clone()),
            (json!(x), json!(y)),
            "{n}"
        );
    }
    // The group's stored box is the drawn one, around the moved members.
    let g = deployed(&server, "grp");
    let drawn = page.eval(
        "(() => { const r = document.querySelector('g.group[data-id=\"grp\"] .group-box'); return ['x','y','width','height'].map(a => Math.round(Number(r.getAttribute(a)))); })()",
    );
    assert_eq!(json!([g["x"], g["y"], g["w"], g["h"]]), drawn, "{g}");
    assert!(g["x"].as_f64().unwrap() > 180.0, "{g}");
    assert_eq!(g["nodes"], json!(["in", "fn"]));
    // One undo puts the group and its nodes back.
    page.key("z", &[Modifier::Ctrl]);
    page.wait(
        "the move undone",
        "(() => { const m = window.flowgateEditor.model; return m.get('in').x === 180 && m.get('fn').y === 140; })()",
    );
    let (status, body) = get_text(&server, "/hello");
    assert_eq!((status, body.as_str()), (200, "hello"));
    page.assert_no_errors();
}

#[test]
fn group_form_edits_name_and_style_as_one_undoable_edit() {
    let (server, page) = editor(GROUP_FLOW, 3);
    page.double_click_until(
        "g.group[data-id=\"grp\"] .group-label",
        "the group's form",
        "document.querySelector('.tray[data-id=\"grp\"]')",
    );
    assert_eq!(
        page.eval("document.querySelector('.tray input[name=\"stroke\"]').value"),
        json!("#3f93cf")
    );
    page.fill(".tray input[name=\"name\"]", "Public API");
    page.click(".tray input[name=\"label\"]");
    page.screenshot(&common::repo_root().join("target/editor-group-form.png"));
    page.click("#tray-done");
    wait_count(&page, ".tray", 0);
    wait_count(&page, "g.group[data-id=\"grp\"] .group-label", 0);
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    let g = deployed(&server, "grp");
    assert_eq!(g["name"], json!("Public API"));
    // Node-RED keeps only what differs from its default style.
    assert_eq!(
        g["style"],
        json!({"label": false, "stroke": "#3f93cf", "fill": "#bfdbef", "fill-opacity": "0.5"})
    );
    page.key("z", &[Modifier::Ctrl]);
    wait_count(&page, "g.group[data-id=\"grp\"] .group-label", 1);
    assert_eq!(model_node(&page, "grp")["name"], json!("Greeting API"));
    page.assert_no_errors();
}

#[test]
fn deleting_a_grouped_node_takes_it_out_of_its_group() {
    let (server, page) = editor(GROUP_FLOW, 3);
    select(&page, &["fn"]);
    page.key("Delete", &[]);
    wait_count(&page, "g.node", 2);
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    assert_eq!(deployed(&server, "grp")["nodes"], json!(["in"]));
    assert_eq!(deployed(&server, "fn"), Value::Null);
    // The box shrinks to what is left in it.
    let body = rect(&page, "g.group[data-id=\"grp\"] .group-box");
    let n = rect(&page, &format!("{} .node-body", node_selector("in")));
    assert!(inside(n, body), "{n:?} inside {body:?}");
    assert!(body[2] < n[2] + 40.0, "{body:?} around {n:?}");
    page.assert_no_errors();
}

const PLAIN_FLOW: &str = r#"[
  {"id":"t1","type":"tab","label":"Plain"},
  {"id":"in","type":"http in","z":"t1","name":"","url":"/hello","method":"get","x":160,"y":120,"wires":[["fn1"]]},
  {"id":"fn1","type":"function","z":"t1","name":"greet","func":"msg.payload = 'hello ' + (msg.req.query.name || 'you');\nreturn msg;","outputs":1,"x":340,"y":120,"wires":[["fn2"]]},
  {"id":"fn2","type":"function","z":"t1","name":"shout","func":"msg.payload = msg.payload.toUpperCase() + '!';\nreturn msg;","outputs":1,"x":520,"y":120,"wires":[["out"]]},
  {"id":"out","type":"http response","z":"t1","name":"","statusCode":"","headers":{},"x":700,"y":120,"wires":[]}
]"#;

#[test]
fn group_and_ungroup_keep_and_clear_membership_and_are_undoable() {
    let (server, page) = editor(PLAIN_FLOW, 4);
    select(&page, &["fn1", "fn2"]);
    page.key("g", &[Modifier::Ctrl, Modifier::Shift]);
    wait_count(&page, "g.group", 1);
    wait_count(&page, "g.group.selected", 1);
    let gid = page
        .eval("document.querySelector('g.group').dataset.id")
        .as_str()
        .unwrap()
        .to_string();
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    let g = deployed(&server, &gid);
    assert_eq!(g["type"], json!("group"));
    assert_eq!(g["z"], json!("t1"));
    assert_eq!(g["nodes"], json!(["fn1", "fn2"]));
    assert_eq!(g["style"]["label"], json!(true));
    for id in ["fn1", "fn2"] {
        assert_eq!(deployed(&server, id)["g"], json!(gid));
    }
    assert_eq!(deployed(&server, "in").get("g"), None);
    assert_eq!(get_text(&server, "/hello?name=ann").1, "HELLO ANN!");

    // Ungroup from the toolbar: the group goes, its nodes lose `g`.
    page.click("#btn-ungroup");
    wait_count(&page, "g.group", 0);
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    assert!(deployed_of_type(&server, "group").is_empty());
    for id in ["fn1", "fn2"] {
        assert_eq!(deployed(&server, id).get("g"), None);
    }
    // Undo brings the group back with its members' `g`; redo ungroups again.
    page.key("z", &[Modifier::Ctrl]);
    wait_count(&page, "g.group", 1);
    assert_eq!(model_node(&page, "fn1")["g"], json!(gid));
    assert_eq!(model_node(&page, &gid)["nodes"], json!(["fn1", "fn2"]));
    page.key("z", &[Modifier::Ctrl, Modifier::Shift]);
    wait_count(&page, "g.group", 0);
    assert_eq!(model_node(&page, "fn2").get("g"), None);
    page.assert_no_errors();
}

/// A flow as Node-RED 4 exports it: a subflow with one input and two
/// outputs (a switch inside), and an instance on a tab.
const SUBFLOW_EXPORT: &str = r##"[
  {"id":"t9","type":"tab","label":"Routing","disabled":false,"info":"","env":[]},
  {"id":"sf9","type":"subflow","name":"Split by size","info":"","category":"","in":[{"x":60,"y":80,"wires":[{"id":"sw9"}]}],"out":[{"x":380,"y":60,"wires":[{"id":"sw9","port":0}]},{"x":380,"y":120,"wires":[{"id":"sw9","port":1}]}],"env":[],"meta":{},"color":"#C7E9C0"},
  {"id":"sw9","type":"switch","z":"sf9","name":"big?","property":"req.query.n","propertyType":"msg","rules":[{"t":"gt","v":"10","vt":"num"},{"t":"else"}],"checkall":"true","repair":false,"outputs":2,"x":210,"y":80,"wires":[[],[]]},
  {"id":"in9","type":"http in","z":"t9","name":"","url":"/size","method":"get","upload":false,"swaggerDoc":"","x":140,"y":100,"wires":[["sfi9"]]},
  {"id":"sfi9","type":"subflow:sf9","z":"t9","name":"","x":330,"y":100,"wires":[["big9"],["small9"]]},
  {"id":"big9","type":"change","z":"t9","name":"","rules":[{"t":"set","p":"payload","pt":"msg","to":"big","tot":"str"}],"x":520,"y":80,"wires":[["res9"]]},
  {"id":"small9","type":"change","z":"t9","name":"","rules":[{"t":"set","p":"payload","pt":"msg","to":"small","tot":"str"}],"x":520,"y":140,"wires":[["res9"]]},
  {"id":"res9","type":"http response","z":"t9","name":"","statusCode":"","headers":{},"x":700,"y":100,"wires":[]}
]"##;

#[test]
fn imported_subflow_shows_its_instance_ports_and_opens_its_template_tab() {
    let (server, page) = editor("[]", 0);
    page.click("#btn-import");
    page.fill("#import-text", SUBFLOW_EXPORT);
    page.click("#import-confirm");
    wait_count(&page, "g.node", 5);
    // The instance: one input, two outputs, the subflow's name and colour.
    let inst = node_selector("sfi9");
    assert_eq!(count(&page, &format!("{inst} .port-in")), 1);
    assert_eq!(count(&page, &format!("{inst} .port-out")), 2);
    assert_eq!(
        page.eval(&format!(
            "document.querySelector({}).textContent",
            js_str(&format!("{inst} .node-label"))
        )),
        json!("Split by size")
    );
    assert_eq!(
        page.eval(&format!(
            "document.querySelector({}).getAttribute('fill')",
            js_str(&format!("{inst} .node-body"))
        )),
        json!("#C7E9C0")
    );
    // The definition is in the palette, under "subflows", by its name.
    let entry = page.wait(
        "the subflow in the palette",
        "document.querySelector('.palette-category[data-category=\"subflows\"] .palette-node[data-type=\"subflow:sf9\"]')?.textContent",
    );
    assert_eq!(entry, json!("Split by size"));

    // Its form offers the template, which opens as a tab with the ports and the switch.
    page.double_click_until(
        &inst,
        "the instance's form",
        "document.querySelector('.tray[data-id=\"sfi9\"]')",
    );
    page.click("#tray-edit-template");
    page.wait(
        "the subflow's tab",
        "document.querySelector('.tabs .tab.subflow.active[data-id=\"sf9\"]')?.textContent.includes('Split by size')",
    );
    wait_count(&page, "g.node", 4);
    assert_eq!(count(&page, "g.node[data-type=\"subflow-in\"]"), 1);
    assert_eq!(count(&page, "g.node[data-type=\"subflow-out\"]"), 2);
    assert_eq!(count(&page, &node_selector("sw9")), 1);
    wait_count(&page, "path.wire", 3);
    let (x, y) = node_centre(&page, "sw9");
    assert!(
        (x - 210.0).abs() < 1.0 && (y - 80.0).abs() < 1.0,
        "sw9 at {x},{y}"
    );
    page.eval("document.querySelectorAll('.notification').forEach(n => n.remove())");
    page.screenshot(&common::repo_root().join("target/editor-subflow.png"));

    // Definition and instance deploy, and the runtime runs them.
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    assert_eq!(
        deployed(&server, "sf9")["out"][1]["wires"],
        json!([{"id": "sw9", "port": 1}])
    );
    assert_eq!(get_text(&server, "/size?n=20"), (200, "big".to_string()));
    assert_eq!(get_text(&server, "/size?n=3"), (200, "small".to_string()));
    page.assert_no_errors();
}

#[test]
fn selection_to_subflow_then_deploy_keeps_the_endpoint_answering_the_same() {
    let (server, page) = editor(PLAIN_FLOW, 4);
    let before = get_text(&server, "/hello?name=bo");
    assert_eq!(before, (200, "HELLO BO!".to_string()));
    select(&page, &["fn1", "fn2"]);
    page.click("#btn-subflow");
    // One instance in their place: one input, one output.
    wait_count(&page, "g.node", 3);
    let inst = page
        .wait(
            "the subflow instance",
            "document.querySelector('g.node[data-type^=\"subflow:\"]')?.dataset.id",
        )
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        count(&page, &format!("{} .port-in", node_selector(&inst))),
        1
    );
    assert_eq!(
        count(&page, &format!("{} .port-out", node_selector(&inst))),
        1
    );
    wait_count(&page, "path.wire", 2);

    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    assert_eq!(get_text(&server, "/hello?name=bo"), before);
    let sf = &deployed_of_type(&server, "subflow")[0];
    let sf_id = sf["id"].as_str().unwrap();
    assert_eq!(sf["name"], json!("Subflow 1"));
    assert_eq!(sf["in"][0]["wires"], json!([{"id": "fn1"}]));
    assert_eq!(sf["out"][0]["wires"], json!([{"id": "fn2", "port": 0}]));
    assert_eq!(deployed(&server, "fn1")["z"], json!(sf_id));
    assert_eq!(deployed(&server, "fn1")["wires"], json!([["fn2"]]));
    assert_eq!(deployed(&server, "fn2")["wires"], json!([[]]));
    assert_eq!(deployed(&server, "in")["wires"], json!([[inst]]));
    let instance = deployed(&server, &inst);
    assert_eq!(instance["type"], json!(format!("subflow:{sf_id}")));
    assert_eq!(instance["wires"], json!([["out"]]));

    // Undo puts the two nodes back on the tab.
    page.key("z", &[Modifier::Ctrl]);
    wait_count(&page, "g.node", 4);
    assert_eq!(count(&page, &node_selector("fn1")), 1);
    assert_eq!(model_node(&page, sf_id), Value::Null);
    page.assert_no_errors();
}

/// A subflow whose change node answers its `GREETING` env property.
const ENV_FLOW: &str = r##"[
  {"id":"t1","type":"tab","label":"Env"},
  {"id":"sfe","type":"subflow","name":"Greeter","info":"","category":"","in":[{"x":60,"y":80,"wires":[{"id":"chg"}]}],"out":[{"x":360,"y":80,"wires":[{"id":"chg","port":0}]}],"env":[{"name":"GREETING","type":"str","value":"hello"}],"meta":{},"color":"#DDAA99"},
  {"id":"chg","type":"change","z":"sfe","name":"","rules":[{"t":"set","p":"payload","pt":"msg","to":"GREETING","tot":"env"}],"x":210,"y":80,"wires":[[]]},
  {"id":"in","type":"http in","z":"t1","name":"","url":"/greet","method":"get","x":140,"y":100,"wires":[["inst"]]},
  {"id":"inst","type":"subflow:sfe","z":"t1","name":"","x":320,"y":100,"wires":[["out"]]},
  {"id":"out","type":"http response","z":"t1","name":"","statusCode":"","headers":{},"x":500,"y":100,"wires":[]}
]"##;

#[test]
fn env_property_set_in_the_instance_form_reaches_the_running_subflow() {
    let (server, page) = editor(ENV_FLOW, 3);
    assert_eq!(get_text(&server, "/greet"), (200, "hello".to_string()));
    page.double_click_until(
        &node_selector("inst"),
        "the instance's form",
        "document.querySelector('.tray[data-id=\"inst\"]')",
    );
    // The definition's property, with its default value, in the form.
    assert_eq!(
        page.eval("document.querySelector('.tray input[name=\"env-GREETING\"]').value"),
        json!("hello")
    );
    page.fill(".tray input[name=\"env-GREETING\"]", "hi there");
    page.screenshot(&common::repo_root().join("target/editor-subflow-instance.png"));
    page.click("#tray-done");
    wait_count(&page, ".tray", 0);
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    assert_eq!(
        deployed(&server, "inst")["env"],
        json!([{"name": "GREETING", "type": "str", "value": "hi there"}])
    );
    assert_eq!(get_text(&server, "/greet"), (200, "hi there".to_string()));
    // The definition keeps its own default.
    assert_eq!(deployed(&server, "sfe")["env"][0]["value"], json!("hello"));
    page.assert_no_errors();
}

#[test]
fn subflow_template_form_edits_env_defaults_that_instances_then_use() {
    let (server, page) = editor(ENV_FLOW, 3);
    page.double_click_until(
        &node_selector("inst"),
        "the instance's form",
        "document.querySelector('.tray[data-id=\"inst\"]')",
    );
    page.click("#tray-edit-template");
    wait_count(&page, "g.node", 3);
    page.double_click_until(
        ".tabs .tab.subflow[data-id=\"sfe\"]",
        "the template's form",
        "document.querySelector('.tray[data-id=\"sfe\"]')",
    );
    // A new default for GREETING, and a second property.
    page.fill(".tray .env-row .env-default", "howdy");
    page.click("#env-add");
    page.fill(".tray .env-row:nth-last-child(2) .env-name", "PUNCT");
    page.fill(".tray .env-row:nth-last-child(2) .env-default", "!");
    page.screenshot(&common::repo_root().join("target/editor-subflow-template.png"));
    page.click("#tray-done");
    wait_count(&page, ".tray", 0);
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    assert_eq!(
        deployed(&server, "sfe")["env"],
        json!([
            {"name": "GREETING", "type": "str", "value": "howdy"},
            {"name": "PUNCT", "type": "str", "value": "!"}
        ])
    );
    assert_eq!(get_text(&server, "/greet"), (200, "howdy".to_string()));
    // The instance's form offers the new property with its default.
    page.click(".tabs .tab[data-id=\"t1\"]");
    wait_count(&page, &node_selector("inst"), 1);
    page.double_click_until(
        &node_selector("inst"),
        "the instance's form",
        "document.querySelector('.tray[data-id=\"inst\"]')",
    );
    assert_eq!(
        page.eval("document.querySelector('.tray input[name=\"env-PUNCT\"]').value"),
        json!("!")
    );
    page.assert_no_errors();
}

#[test]
fn subflow_ports_are_rewired_and_moved_on_the_template_tab() {
    let (server, page) = editor(ENV_FLOW, 3);
    page.double_click_until(
        &node_selector("inst"),
        "the instance's form",
        "document.querySelector('.tray[data-id=\"inst\"]')",
    );
    page.click("#tray-edit-template");
    wait_count(&page, "path.wire", 2);
    // Remove the wire from the input port, then draw it again.
    page.click("g.wire-group[data-source=\"sfe~in~0\"] path.wire");
    page.key("Delete", &[]);
    wait_count(&page, "path.wire", 1);
    assert_eq!(
        page.eval("window.flowgateEditor.model.get('sfe').in[0].wires"),
        json!([])
    );
    page.drag(
        page.center(&format!("{} .port-out", node_selector("sfe~in~0"))),
        page.center(&format!("{} .port-in", node_selector("chg"))),
    );
    wait_count(&page, "path.wire", 2);
    // The input port moves like a node.
    let p = page.center(&format!("{} .node-body", node_selector("sfe~in~0")));
    page.click_at(p);
    page.drag(p, (p.0, p.1 + 40.0));
    page.wait(
        "the port moved",
        "window.flowgateEditor.model.get('sfe').in[0].y === 120",
    );
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    assert_eq!(
        deployed(&server, "sfe")["in"],
        json!([{"x": 60, "y": 120, "wires": [{"id": "chg"}]}])
    );
    assert_eq!(get_text(&server, "/greet"), (200, "hello".to_string()));
    page.assert_no_errors();
}

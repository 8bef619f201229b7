//! The code editor in Chromium: problems deploy would refuse, underlined
//! while typing with flowgate's own message; search and replace inside the
//! editor; the edited body is what gets deployed.

use serde_json::json;

use crate::chromium::replace_code;
use crate::common;
use crate::driver::chromium::Chromium;
use crate::driver::{js_str, Driver, Modifier};
use crate::editor::{code_selector, code_text, get_json, get_text, node_selector, wait_count};

const FLOW: &str = r#"[
  {"id":"t1","type":"tab","label":"Code"},
  {"id":"in","type":"http in","z":"t1","name":"","url":"/answer","method":"get","x":140,"y":100,"wires":[["fn"]]},
  {"id":"fn","type":"function","z":"t1","name":"answer","func":"msg.payload = \"v1\";\nreturn msg;","outputs":1,"noerr":0,"x":340,"y":100,"wires":[["out"]]},
  {"id":"out","type":"http response","z":"t1","name":"","statusCode":"","headers":{},"x":540,"y":100,"wires":[]}
]"#;

/// The binary on [`FLOW`], the editor open on it and the function's form open.
fn function_form() -> (common::Server, Chromium) {
    let server = common::Server::start(FLOW);
    let page = Chromium::open(&server.url(""));
    wait_count(&page, "g.node", 3);
    page.double_click(&node_selector("fn"));
    page.wait(
        "the code editor",
        &format!(
            "!!document.querySelector({})",
            js_str(&code_selector("func"))
        ),
    );
    (server, page)
}

/// The problem count under the function body's editor.
fn problem_count(page: &Chromium) -> String {
    page.eval("document.querySelector('.tray [data-field=\"func\"] .code-problems').textContent")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn unsupported_code_is_underlined_with_flowgates_message_before_deploying() {
    let (server, page) = function_form();
    replace_code(
        &page,
        "func",
        "msg.payload = 1;\nfunction* ids() { yield 1; }\nreturn msg;",
    );
    page.wait(
        "the underline",
        "!!document.querySelector('.tray [data-field=\"func\"] .cm-lintRange-error')",
    );
    page.wait(
        "the problem count",
        "document.querySelector('.tray [data-field=\"func\"] .code-problems').textContent === '1 problem'",
    );
    // The underline is on the construct deploy names.
    let underlined = page.eval("document.querySelector('.tray .cm-lintRange-error').textContent");
    assert!(
        underlined.as_str().unwrap().starts_with("function* ids()"),
        "{underlined}"
    );
    // Hovering it shows flowgate's message.
    page.click(".tray .cm-lintRange-error");
    let message = page.wait(
        "the hover message",
        "(() => { const t = document.querySelector('.cm-tooltip-lint'); return t ? t.textContent : null; })()",
    );
    let message = message.as_str().unwrap();
    assert!(
        message.contains("unsupported JavaScript at line 2:1: generator function"),
        "{message}"
    );
    page.screenshot(&common::repo_root().join("target/editor-code-problems.png"));
    // Fixing the body clears it, still before any deploy.
    replace_code(
        &page,
        "func",
        "msg.payload = Object.keys({a: 1}).join();\nreturn msg;",
    );
    page.wait(
        "the underline to go",
        "!document.querySelector('.tray [data-field=\"func\"] .cm-lintRange-error')",
    );
    page.wait(
        "no problems",
        "document.querySelector('.tray [data-field=\"func\"] .code-problems').textContent === 'No problems'",
    );
    assert_eq!(problem_count(&page), "No problems");
    // Nothing was deployed meanwhile.
    assert_eq!(get_text(&server, "/answer"), (200, "v1".to_string()));
    page.assert_no_errors();
}

#[test]
fn search_and_replace_inside_the_editor_and_the_result_deploys() {
    let (server, page) = function_form();
    replace_code(
        &page,
        "func",
        "msg.payload = \"old\";\nmsg.topic = \"old\";\nreturn msg;",
    );
    // Ctrl+F belongs to the code editor while it has the focus: the page's
    // own shortcuts never see it.
    page.eval(
        "(window.__pageSawCtrlF = false, document.addEventListener('keydown', e => { if (e.ctrlKey && e.key.toLowerCase() === 'f') window.__pageSawCtrlF = true; }), true)",
    );
    page.key("f", &[Modifier::Ctrl]);
    page.wait(
        "the search panel",
        "!!document.querySelector('.tray .cm-search input[name=\"search\"]')",
    );
    assert_eq!(page.eval("window.__pageSawCtrlF"), json!(false));
    page.fill(".tray .cm-search input[name=\"search\"]", "old");
    page.fill(".tray .cm-search input[name=\"replace\"]", "new");
    page.click(".tray .cm-search button[name=\"replaceAll\"]");
    let replaced = "msg.payload = \"new\";\nmsg.topic = \"new\";\nreturn msg;";
    page.wait(
        "the replacement",
        &format!(
            "[...document.querySelectorAll({} + ' .cm-line')].map(l => l.textContent).join('\\n') === {}",
            js_str(&code_selector("func")),
            js_str(replaced)
        ),
    );
    assert_eq!(code_text(&page, "func"), json!(replaced));
    // Escape closes the search panel, not the form.
    page.click(".tray .cm-search input[name=\"search\"]");
    page.key("Escape", &[]);
    page.wait(
        "the search panel to close",
        "!document.querySelector('.tray .cm-search')",
    );
    assert_eq!(page.eval("!!document.querySelector('.tray')"), json!(true));
    page.click("#tray-done");
    page.wait("the tray to close", "!document.querySelector('.tray')");
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    let flows = get_json(&server, "/flows");
    let func = flows
        .as_array()
        .and_then(|a| a.iter().find(|n| n["id"] == "fn"))
        .or_else(|| {
            flows["flows"]
                .as_array()
                .and_then(|a| a.iter().find(|n| n["id"] == "fn"))
        })
        .expect("the function node")["func"]
        .clone();
    assert_eq!(func, json!(replaced));
    assert_eq!(get_text(&server, "/answer"), (200, "new".to_string()));
    page.assert_no_errors();
}

const CHANGE_FLOW: &str = r#"[
  {"id":"t1","type":"tab","label":"Rules"},
  {"id":"ch","type":"change","z":"t1","name":"total","rules":[{"t":"set","p":"payload","pt":"msg","to":"$sum(payload)","tot":"jsonata"}],"x":340,"y":100,"wires":[[]]}
]"#;

#[test]
fn a_broken_jsonata_rule_is_underlined_with_deploys_message() {
    let server = common::Server::start(CHANGE_FLOW);
    let page = Chromium::open(&server.url(""));
    wait_count(&page, "g.node", 1);
    page.double_click(&node_selector("ch"));
    let rules = "[\n  {\"t\": \"set\", \"p\": \"payload\", \"pt\": \"msg\",\n   \"to\": \"$sum(payload\", \"tot\": \"jsonata\"}\n]";
    replace_code(&page, "rules", rules);
    page.wait(
        "the underline on the expression",
        "!!document.querySelector('.tray [data-field=\"rules\"] .cm-lintRange-error')",
    );
    assert_eq!(
        page.eval("document.querySelector('.tray [data-field=\"rules\"] .cm-lintRange-error').textContent"),
        json!("\"$sum(payload\"")
    );
    page.click(".tray [data-field=\"rules\"] .cm-lintRange-error");
    let message = page.wait(
        "the hover message",
        "(() => { const t = document.querySelector('.cm-tooltip-lint'); return t ? t.textContent : null; })()",
    );
    assert!(
        message
            .as_str()
            .unwrap()
            .starts_with("invalid JSONata expression: "),
        "{message}"
    );
    // A rule that compiles clears it.
    replace_code(
        &page,
        "rules",
        &rules.replace("$sum(payload\"", "$sum(payload)\""),
    );
    page.wait(
        "no problems",
        "document.querySelector('.tray [data-field=\"rules\"] .code-problems').textContent === 'No problems'",
    );
    page.assert_no_errors();
}

#[test]
fn a_rhai_body_is_highlighted_and_checked_as_rhai() {
    let (_server, page) = function_form();
    // The user picks Rhai as the node's language, then edits the body.
    page.eval(
        "(() => { const s = document.querySelector('.tray [name=\"lang\"]'); s.value = 'rhai'; s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()",
    );
    replace_code(&page, "func", "let x = ;\nmsg");
    page.wait(
        "Rhai highlighting",
        "document.querySelector('.tray [data-field=\"func\"] .code-editor').dataset.language === 'rhai'",
    );
    page.wait(
        "the underline",
        "!!document.querySelector('.tray [data-field=\"func\"] .cm-lintRange-error')",
    );
    page.click(".tray [data-field=\"func\"] .cm-lintRange-error");
    let message = page.wait(
        "the hover message",
        "(() => { const t = document.querySelector('.cm-tooltip-lint'); return t ? t.textContent : null; })()",
    );
    assert!(
        message
            .as_str()
            .unwrap()
            .starts_with("Rhai syntax error at line 1:"),
        "{message}"
    );
    page.assert_no_errors();
}

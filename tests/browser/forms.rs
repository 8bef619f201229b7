//! The editor's forms, notifications and Import dialog in headless
//! Chromium against the real binary: Node-RED's field labels, notifications
//! that leave the tray's buttons free, one message per rejected deploy, and
//! an example imported from the Examples tab that then serves real tokens.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};

use crate::common;
use crate::driver::chromium::Chromium;
use crate::driver::{js_str, Driver};
use crate::editor::{editor, get_json, node_selector, wait_count};

/// Double-click a node and wait for its edit tray.
fn open_tray(page: &Chromium, id: &str) {
    page.double_click_until(
        &format!("{} .node-body", node_selector(id)),
        "the edit tray",
        &format!("!!document.querySelector('.tray[data-id={}]')", js_str(id)),
    );
}

/// The label the open tray shows for field `name`.
fn label_of(page: &Chromium, name: &str) -> String {
    page.eval(&format!(
        "document.querySelector('.tray .form-row[data-field={}] > label')?.textContent ?? null",
        js_str(name)
    ))
    .as_str()
    .unwrap_or_else(|| panic!("no {name} field in the tray"))
    .trim_end_matches(" *")
    .to_string()
}

fn ignite_flow() -> String {
    std::fs::read_to_string(common::repo_root().join("flows/ignite-jwt.json")).unwrap()
}

#[test]
fn ignite_jwt_form_shows_node_reds_labels() {
    let (_server, page) = editor(&ignite_flow(), 5);
    open_tray(&page, "91ef189c.6f3fb8");
    assert_eq!(label_of(&page, "name"), "Name");
    assert_eq!(label_of(&page, "jwtconfig"), "Configuration");
    assert_eq!(label_of(&page, "generatejwt"), "Action");
    let options = page.eval(
        "[...document.querySelectorAll('.tray [data-field=\"generatejwt\"] option')].map(o => o.textContent)",
    );
    assert_eq!(options, json!(["Generate", "Verify"]));
    let labels = page
        .eval("[...document.querySelectorAll('.tray .form-row > label')].map(l => l.textContent)");
    for raw in ["Generatejwt", "Jwtconfig", "generatejwt"] {
        assert!(
            !labels.to_string().contains(raw),
            "a raw property name shows: {labels}"
        );
    }
    page.screenshot(&common::repo_root().join("target/editor-jwt-form.png"));
    page.assert_no_errors();
}

/// Viewport rectangle of an element: [left, top, right, bottom].
fn rect(page: &Chromium, selector: &str) -> [f64; 4] {
    let v = page.eval(&format!(
        "(() => {{ const r = document.querySelector({}).getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }})()",
        js_str(selector)
    ));
    let f = |i: usize| v[i].as_f64().unwrap();
    [f(0), f(1), f(2), f(3)]
}

fn overlap(a: [f64; 4], b: [f64; 4]) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

#[test]
fn notification_leaves_the_open_trays_header_and_buttons_free() {
    let (_server, page) = editor(&ignite_flow(), 5);
    open_tray(&page, "f115185f.c4bcd8");
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");
    let header = rect(&page, ".tray .tray-header");
    for button in ["#tray-done", "#tray-cancel", "#tray-delete"] {
        let b = rect(&page, button);
        assert!(
            b[0] >= header[0] && b[2] <= header[2] && b[1] >= header[1] && b[3] <= header[3],
            "{button} lies in the tray header"
        );
    }
    let n = rect(&page, ".notification");
    assert!(
        !overlap(n, header),
        "notification {n:?} covers the tray header {header:?}"
    );
    // Still where Node-RED puts it: at the top, below the toolbar.
    let toolbar = rect(&page, "#toolbar");
    assert!(
        n[1] >= toolbar[3] && n[1] < toolbar[3] + 40.0,
        "notification {n:?} below the toolbar {toolbar:?}"
    );
    page.screenshot(&common::repo_root().join("target/editor-notification-tray.png"));
    // The tray's buttons still take clicks.
    page.click("#tray-cancel");
    page.wait("the tray to close", "!document.querySelector('.tray')");
    page.assert_no_errors();
}

const HTTP_FLOW: &str = r#"[
  {"id":"t1","type":"tab","label":"Answer"},
  {"id":"in","type":"http in","z":"t1","name":"","url":"/answer","method":"get","x":140,"y":100,"wires":[["out"]]},
  {"id":"out","type":"http response","z":"t1","name":"","statusCode":"","headers":{},"x":340,"y":100,"wires":[]}
]"#;

#[test]
fn a_rejected_deploy_shows_one_notification_naming_each_problem_once() {
    let (_server, page) = editor(HTTP_FLOW, 2);
    open_tray(&page, "in");
    // The admin API's own path: the runtime refuses it for a flow.
    page.fill(".tray [data-field=\"url\"] input", "/flows");
    page.click("#tray-done");
    page.wait("the tray to close", "!document.querySelector('.tray')");
    let note = page.deploy();
    assert!(note.contains("rejected"), "{note}");
    let problems = page
        .eval("[...document.querySelectorAll('.notification.error li')].map(li => li.textContent)");
    let problems: Vec<String> = serde_json::from_value(problems).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    // The runtime's message for the url, as the list shows it once.
    let message = problems[0].split("url: ").nth(1).expect("names the field");
    assert_eq!(
        note.matches(message).count(),
        1,
        "the problem is shown once: {note}"
    );
    // Deploying again replaces the message rather than stacking a second.
    page.eval("document.querySelector('.notification.error').dataset.seen = 'yes'");
    page.click("#btn-deploy");
    page.wait(
        "the second deploy's answer",
        "!!document.querySelector('.notification.error:not([data-seen])')",
    );
    assert_eq!(
        page.eval("document.querySelectorAll('.notification').length"),
        json!(1)
    );
    page.screenshot(&common::repo_root().join("target/editor-deploy-rejected.png"));
    page.assert_no_errors();
}

#[test]
fn ignite_example_from_the_examples_tab_deploys_and_answers_a_verified_token() {
    let (server, page) = editor("[]", 0);
    page.click("#btn-import");
    page.click("#import-tab-examples");
    let item = "#import-examples li[data-example=\"ignite-jwt\"]";
    let text = page.wait(
        "the Ignite example listed",
        &format!("document.querySelector({})?.textContent", js_str(item)),
    );
    assert!(
        text.as_str().unwrap().contains("/jwt/generate"),
        "listed with what it does: {text}"
    );
    page.click(item);
    page.screenshot(&common::repo_root().join("target/editor-examples.png"));
    page.click("#import-confirm");
    wait_count(&page, "g.node", 5);
    let note = page.deploy();
    assert!(note.contains("deployed"), "{note}");

    let r = common::client()
        .get(server.url("/jwt/generate"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().unwrap();
    let token = body["access_token"].as_str().expect("an access token");
    let flows = get_json(&server, "/flows");
    let config = flows["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["type"] == "jwt-config")
        .expect("the jwt-config deployed")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let creds: Value = serde_json::from_str(
        &std::fs::read_to_string(server.dir.path().join("flows_cred.json"))
            .expect("the generated secret saved"),
    )
    .unwrap();
    let secret = creds[&config]["secret"].as_str().expect("an HS256 secret");
    let mut v = Validation::new(Algorithm::HS256);
    v.required_spec_claims.clear();
    let claims =
        jsonwebtoken::decode::<Value>(token, &DecodingKey::from_secret(secret.as_bytes()), &v)
            .unwrap_or_else(|e| panic!("{token} does not verify with the secret: {e}"))
            .claims;
    assert_eq!(claims["name"], "CYber Group Inc.");
    page.assert_no_errors();
}

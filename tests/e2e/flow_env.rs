//! Flows read the environment the way Node-RED's do, except the runtime's
//! own variables (`FLOWGATE_*`: the admin token, the credentials secret),
//! which read as unset everywhere a flow can look: `env.get` in a function
//! node, a `${VAR}` property, an `env` typed value, the template node.

use crate::common::{client, Server};
use serde_json::{json, Value};

const ADMIN_TOKEN: &str = "admin-token-that-flows-must-not-see-1234";
const CREDENTIAL_SECRET: &str = "credential-secret-flows-must-not-see-5678";
const ORDINARY: &str = "an-ordinary-value";

/// `GET /e` runs `node` and answers with its `msg.payload`.
fn serve(node: Value) -> Server {
    let mut node = node;
    node["id"] = json!("n");
    node["z"] = json!("tab");
    node["wires"] = json!([["out"]]);
    let flow = json!([
        {"id": "tab", "type": "tab", "label": "env"},
        {"id": "in", "type": "http in", "z": "tab", "url": "/e", "method": "get", "wires": [["n"]]},
        node,
        {"id": "out", "type": "http response", "z": "tab", "statusCode": "", "headers": {}, "wires": []}
    ]);
    Server::start_with(
        &flow.to_string(),
        &[],
        &[
            ("FLOWGATE_ADMIN_TOKEN", ADMIN_TOKEN),
            ("FLOWGATE_CREDENTIAL_SECRET", CREDENTIAL_SECRET),
            ("FG_TEST_ORDINARY", ORDINARY),
        ],
    )
}

fn answer(s: &Server) -> Value {
    let r = client().get(s.url("/e")).send().unwrap();
    assert_eq!(r.status(), 200, "{}", s.logs());
    r.json().unwrap()
}

fn assert_hidden(body: &Value) {
    let text = body.to_string();
    assert!(
        !text.contains(ADMIN_TOKEN) && !text.contains(CREDENTIAL_SECRET),
        "a runtime secret reached the flow: {text}"
    );
}

#[test]
fn env_get_in_a_function_does_not_see_the_runtime_secrets() {
    let s = serve(json!({"type": "function", "name": "", "outputs": 1, "func":
        "var out = {};\n\
         var names = {token: 'FLOWGATE_ADMIN_TOKEN', secret: 'FLOWGATE_CREDENTIAL_SECRET',\n\
                      ordinary: 'FG_TEST_ORDINARY'};\n\
         for (var k in names) {\n\
           var v = env.get(names[k]);\n\
           out[k] = v === undefined ? 'undefined' : v;\n\
         }\n\
         msg.payload = out;\n\
         return msg;"}));
    let body = answer(&s);
    assert_hidden(&body);
    assert_eq!(
        body,
        json!({"token": "undefined", "secret": "undefined", "ordinary": ORDINARY})
    );
}

#[test]
fn a_dollar_brace_property_does_not_see_the_runtime_secrets() {
    // Node-RED leaves a reference to an unset variable as it is.
    let s = serve(json!({"type": "change", "name": "", "rules": [
        {"t": "set", "p": "payload.token", "pt": "msg", "to": "${FLOWGATE_ADMIN_TOKEN}", "tot": "str"},
        {"t": "set", "p": "payload.secret", "pt": "msg", "to": "$(FLOWGATE_CREDENTIAL_SECRET)", "tot": "str"},
        {"t": "set", "p": "payload.ordinary", "pt": "msg", "to": "${FG_TEST_ORDINARY}", "tot": "str"}
    ]}));
    let body = answer(&s);
    assert_hidden(&body);
    assert_eq!(
        body,
        json!({"token": "${FLOWGATE_ADMIN_TOKEN}", "secret": "$(FLOWGATE_CREDENTIAL_SECRET)",
               "ordinary": ORDINARY})
    );
}

#[test]
fn an_env_typed_value_does_not_see_the_runtime_secrets() {
    // Node-RED gives an empty string for an unset variable.
    let s = serve(json!({"type": "change", "name": "", "rules": [
        {"t": "set", "p": "payload.token", "pt": "msg", "to": "FLOWGATE_ADMIN_TOKEN", "tot": "env"},
        {"t": "set", "p": "payload.secret", "pt": "msg", "to": "${FLOWGATE_CREDENTIAL_SECRET}", "tot": "env"},
        {"t": "set", "p": "payload.ordinary", "pt": "msg", "to": "FG_TEST_ORDINARY", "tot": "env"}
    ]}));
    let body = answer(&s);
    assert_hidden(&body);
    assert_eq!(
        body,
        json!({"token": "", "secret": "", "ordinary": ORDINARY})
    );
}

#[test]
fn the_template_node_does_not_see_the_runtime_secrets() {
    let s = serve(
        json!({"type": "template", "name": "", "field": "payload", "fieldType": "msg",
        "format": "handlebars", "syntax": "mustache", "output": "json",
        "template": "{\"token\": \"{{env.FLOWGATE_ADMIN_TOKEN}}\", \"ordinary\": \"{{env.FG_TEST_ORDINARY}}\"}"}),
    );
    let body = answer(&s);
    assert_hidden(&body);
    assert_eq!(body, json!({"token": "", "ordinary": ORDINARY}));
}

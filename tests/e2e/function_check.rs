//! `POST /function/check`, the editor's live problems, through the real
//! binary: each answer is compared with what deploy says of the same body.

use crate::common;

use serde_json::{json, Value};

const TOKEN: &str = "function-check-token-0123456789abcdef";

fn empty_flow() -> String {
    json!([{"id": "tab", "type": "tab", "label": "check"}]).to_string()
}

fn check(s: &common::Server, req: &Value) -> (u16, Value) {
    let r = common::client()
        .post(s.url("/function/check"))
        .json(req)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn problems(s: &common::Server, req: &Value) -> Vec<Value> {
    let (status, body) = check(s, req);
    assert_eq!(status, 200, "{body}");
    body["problems"].as_array().expect("problems").clone()
}

/// What deploy answers for a function node with `field` = `code`: the
/// problems' messages.
fn deploy_messages(s: &common::Server, lang: &str, field: &str, code: &str) -> Vec<String> {
    let mut node = json!({"id": "fn1", "type": "function", "z": "tab", "name": "",
        "func": "return msg;", "outputs": 1, "x": 100, "y": 100, "wires": [[]]});
    node[field] = json!(code);
    if lang == "rhai" {
        node["lang"] = json!("rhai");
    }
    refused_deploy(s, node)["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["message"].as_str().unwrap().to_owned())
        .collect()
}

/// Deploy a tab holding `node`, which deploy must refuse: its answer.
fn refused_deploy(s: &common::Server, node: Value) -> Value {
    let flows = json!([{"id": "tab", "type": "tab", "label": "check"}, node]);
    let r = common::client()
        .post(s.url("/flows"))
        .json(&flows)
        .send()
        .unwrap();
    assert_eq!(r.status(), 400, "deploy refuses the body");
    r.json().unwrap()
}

fn position(p: &Value) -> (u64, u64, u64, u64) {
    let n = |k: &str| p[k].as_u64().unwrap_or_else(|| panic!("{k} in {p}"));
    (n("line"), n("column"), n("endLine"), n("endColumn"))
}

#[test]
fn the_check_needs_the_admin_token() {
    let s = common::Server::start_with(&empty_flow(), &["--admin-token", TOKEN], &[]);
    let req = json!({"language": "javascript", "field": "func", "code": "return msg;"});
    assert_eq!(check(&s, &req).0, 401);
    let r = common::client()
        .post(s.url("/function/check"))
        .bearer_auth(TOKEN)
        .json(&req)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap(), json!({"problems": []}));
}

#[test]
fn an_unsupported_construct_gets_deploys_message_and_its_span() {
    let s = common::Server::start(&empty_flow());
    let code = "let n = 0;\nfunction* ids() {\n  yield n++;\n}\nreturn msg;";
    let found = problems(
        &s,
        &json!({"language": "javascript", "field": "func", "code": code}),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    let p = &found[0];
    assert_eq!(p["severity"], "error");
    assert_eq!(p["field"], "func");
    let message = p["message"].as_str().unwrap();
    assert!(
        message.starts_with("unsupported JavaScript at line 2:1: generator function"),
        "{message}"
    );
    // The span covers the whole construct deploy names, over its lines.
    assert_eq!(position(p), (2, 1, 4, 2));
    assert_eq!(
        deploy_messages(&s, "javascript", "func", code),
        vec![message]
    );
}

#[test]
fn code_made_from_text_is_refused_with_deploys_message() {
    let s = common::Server::start(&empty_flow());
    let code = "msg.payload = eval(\"1 + 1\");\nreturn msg;";
    let found = problems(&s, &json!({"language": "javascript", "code": code}));
    assert_eq!(found.len(), 1, "{found:?}");
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("refused JavaScript at line 1:15:"),
        "{message}"
    );
    assert_eq!(position(&found[0]), (1, 15, 1, 19));
    assert_eq!(
        deploy_messages(&s, "javascript", "func", code),
        vec![message]
    );
}

#[test]
fn a_syntax_error_gets_its_line_and_column() {
    let s = common::Server::start(&empty_flow());
    let code = "let a = 1;\nlet b = (a + ;\nreturn msg;";
    let found = problems(
        &s,
        &json!({"language": "javascript", "field": "initialize", "code": code}),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("JavaScript syntax error at line 2:14:"),
        "{message}"
    );
    assert_eq!(found[0]["field"], "initialize");
    assert_eq!(position(&found[0]).0, 2);
    assert_eq!(position(&found[0]).1, 14);
    assert_eq!(
        deploy_messages(&s, "javascript", "initialize", code),
        vec![message]
    );
}

#[test]
fn a_clean_body_and_an_empty_body_have_no_problems() {
    let s = common::Server::start(&empty_flow());
    for code in [
        "msg.payload = [1, 2].map((x) => x * 2);\nreturn msg;",
        "",
        "  \n",
    ] {
        let req = json!({"language": "javascript", "field": "func", "code": code, "outputs": 1});
        assert_eq!(problems(&s, &req), Vec::<Value>::new(), "{code:?}");
    }
}

#[test]
fn a_rhai_syntax_error_gets_deploys_message() {
    let s = common::Server::start(&empty_flow());
    let clean = json!({"language": "rhai", "code": "msg.payload = 40 + 2;\nmsg"});
    assert_eq!(problems(&s, &clean), Vec::<Value>::new());
    let code = "let x = 1;\nlet y = ;\nmsg";
    let found = problems(&s, &json!({"language": "rhai", "code": code}));
    assert_eq!(found.len(), 1, "{found:?}");
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Rhai syntax error at line 2:"),
        "{message}"
    );
    assert_eq!(position(&found[0]).0, 2);
    assert_eq!(deploy_messages(&s, "rhai", "func", code), vec![message]);
}

#[test]
fn a_jsonata_syntax_error_is_reported_where_it_is() {
    let s = common::Server::start(&empty_flow());
    let clean = json!({"language": "jsonata", "code": "$sum(payload.items.price)"});
    assert_eq!(problems(&s, &clean), Vec::<Value>::new());
    let found = problems(
        &s,
        &json!({"language": "jsonata", "code": "payload +\n  (1 + ]"}),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("invalid JSONata expression: "),
        "{message}"
    );
    assert_eq!(position(&found[0]).0, 2, "{:?}", found[0]);
    // A construct flowgate does not evaluate is deploy's refusal too.
    let found = problems(
        &s,
        &json!({"language": "jsonata", "code": "$moment().year()"}),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0]["message"].as_str().unwrap().contains("$moment"));
}

#[test]
fn an_oversized_body_is_refused_with_413() {
    let s = common::Server::start(&empty_flow());
    let code = "// padding\n".repeat(30_000);
    let (status, body) = check(&s, &json!({"language": "javascript", "code": code}));
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["code"], "request_too_large");
}

#[test]
fn a_request_without_a_known_language_is_a_400() {
    let s = common::Server::start(&empty_flow());
    let (status, body) = check(&s, &json!({"language": "python", "code": "x"}));
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "invalid_request");
}

/// A valid body that declares thousands of variables at its top level:
/// compiling it would cost time in the square of its size (seconds of a
/// core for this one, minutes for a few hundred KiB), so the check and
/// deploy refuse it at translation with the same message, naming node and
/// field.
#[test]
fn a_body_too_costly_to_compile_is_refused_quickly_naming_node_and_field() {
    let s = common::Server::start(&empty_flow());
    // 4000 names in 50 KiB, under the 64 KiB the check takes.
    let code: String = (0..4000)
        .map(|i| format!("var v{i}=msg;\n"))
        .chain(["return msg;".to_owned()])
        .collect();
    let found = problems(
        &s,
        &json!({"language": "javascript", "field": "func", "code": code}),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["field"], "func");
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("the body is too large to compile"),
        "{message}"
    );
    let node = json!({"id": "big1", "type": "function", "z": "tab", "name": "",
        "func": code, "outputs": 1, "x": 100, "y": 100, "wires": [[]]});
    let body = refused_deploy(&s, node);
    let problem = &body["problems"][0];
    assert_eq!(problem["node"], "big1", "{body}");
    assert_eq!(problem["field"], "func", "{body}");
    assert_eq!(problem["message"], message, "{body}");
}

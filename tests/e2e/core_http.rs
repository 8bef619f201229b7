//! `http in` → `http response` behaviour through the real binary, as Node-RED
//! answers it.

use crate::common::{client, Server};
use serde_json::{json, Value};

fn echo_flow(method: &str, extra_response: &str) -> String {
    format!(
        r#"[{{"id":"i","type":"http in","z":"t","url":"/echo/:name","method":"{method}","x":1,"y":1,"wires":[["o"]]}},
            {{"id":"o","type":"http response","z":"t","x":2,"y":1,"wires":[]{extra_response}}}]"#
    )
}

#[test]
fn get_payload_is_the_query_object() {
    let s = Server::start(&echo_flow("get", ""));
    let r = client()
        .get(s.url("/echo/x?a=1&a=2&b=%C3%A9"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let v: Value = r.json().unwrap();
    assert_eq!(v, json!({"a":["1","2"],"b":"é"}));
    // Express matching: case-insensitive, optional trailing slash.
    let r = client().get(s.url("/ECHO/x/")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), "{}");
}

#[test]
fn post_bodies_are_decoded_by_content_type() {
    let s = Server::start(&echo_flow("post", ""));
    let c = client();
    let body = json!({"a":[1,2.5,"x",null,true],"nested":{"k":"v"}});
    let r = c.post(s.url("/echo/x")).json(&body).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap(), body);

    let r = c
        .post(s.url("/echo/x"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("identity=user%40example.com&n=1")
        .send()
        .unwrap();
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"identity":"user@example.com","n":"1"})
    );

    let r = c
        .post(s.url("/echo/x"))
        .header("content-type", "text/plain")
        .body("hello there")
        .send()
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(r.text().unwrap(), "hello there");

    let r = c
        .post(s.url("/echo/x"))
        .header("content-type", "application/octet-stream")
        .body(vec![0u8, 159, 146, 150])
        .send()
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    assert_eq!(r.bytes().unwrap().as_ref(), &[0u8, 159, 146, 150]);
}

#[test]
fn malformed_json_is_a_400_with_a_json_error() {
    let s = Server::start(&echo_flow("post", ""));
    let r = client()
        .post(s.url("/echo/x"))
        .header("content-type", "application/json")
        .body("{\"a\": ")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().unwrap();
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid JSON body at line 1"),
        "{v}"
    );
}

#[test]
fn oversized_bodies_are_refused_with_413() {
    let s = Server::start_with(&echo_flow("post", ""), &["--max-body", "1024"], &[]);
    let r = client()
        .post(s.url("/echo/x"))
        .header("content-type", "text/plain")
        .body("x".repeat(2048))
        .send()
        .unwrap();
    assert_eq!(r.status(), 413);
    let r = client()
        .post(s.url("/echo/x"))
        .header("content-type", "text/plain")
        .body("x".repeat(1000))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn unknown_paths_and_wrong_methods_are_404_as_in_express() {
    let s = Server::start(&echo_flow("get", ""));
    let r = client().get(s.url("/nowhere")).send().unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert!(r.text().unwrap().contains("<pre>Cannot GET /nowhere</pre>"));
    let r = client().delete(s.url("/echo/x")).send().unwrap();
    assert_eq!(r.status(), 404);
    assert!(r
        .text()
        .unwrap()
        .contains("<pre>Cannot DELETE /echo/x</pre>"));
    // A GET route answers HEAD, without a body.
    let r = client().head(s.url("/echo/x")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), "");
}

#[test]
fn response_node_status_and_headers_win() {
    let s = Server::start(&echo_flow(
        "post",
        r#","statusCode":"201","headers":{"X-Served-By":"flowgate","content-type":"text/plain"}"#,
    ));
    let r = client()
        .post(s.url("/echo/x"))
        .header("content-type", "text/plain")
        .body("made")
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["x-served-by"], "flowgate");
    assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(r.text().unwrap(), "made");
}

#[test]
fn a_flow_that_ends_without_a_response_gets_504_at_once() {
    let flow = r#"[{"id":"i","type":"http in","z":"t","url":"/void","method":"get","x":1,"y":1,"wires":[["j"]]},
                   {"id":"j","type":"junction","z":"t","x":2,"y":1,"wires":[[]]}]"#;
    let s = Server::start(flow);
    let started = std::time::Instant::now();
    let r = client().get(s.url("/void")).send().unwrap();
    assert_eq!(r.status(), 504);
    assert_eq!(
        r.json::<Value>().unwrap()["error"],
        "the flow ended without reaching an http response node"
    );
    // Not the 120 s default timeout: nothing could answer any more.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn fan_out_answers_once_from_the_first_wire() {
    let flow = r#"[{"id":"i","type":"http in","z":"t","url":"/fan","method":"get","x":1,"y":1,"wires":[["a","b"]]},
                   {"id":"a","type":"http response","z":"t","statusCode":"201","x":2,"y":1,"wires":[]},
                   {"id":"b","type":"http response","z":"t","statusCode":"202","x":2,"y":2,"wires":[]}]"#;
    let s = Server::start(flow);
    for _ in 0..5 {
        let r = client().get(s.url("/fan")).send().unwrap();
        assert_eq!(r.status(), 201);
    }
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut s = Server::start(&echo_flow("get", ""));
    assert_eq!(client().get(s.url("/echo/x")).send().unwrap().status(), 200);
    let status = s.terminate().expect("exited");
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_request_still_waiting_at_the_timeout_gets_504() {
    let flow = r#"[{"id":"i","type":"http in","z":"t","url":"/slow","method":"get","x":1,"y":1,"wires":[["d"]]},
                   {"id":"d","type":"delay","z":"t","pauseType":"delay","timeout":"3","timeoutUnits":"seconds","x":2,"y":1,"wires":[["o"]]},
                   {"id":"o","type":"http response","z":"t","x":3,"y":1,"wires":[]},
                   {"id":"i2","type":"http in","z":"t","url":"/fast","method":"get","x":1,"y":2,"wires":[["o"]]}]"#;
    let s = Server::start_with(flow, &["--http-timeout", "0.5"], &[]);
    let started = std::time::Instant::now();
    let r = client().get(s.url("/slow")).send().unwrap();
    assert_eq!(r.status(), 504);
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(450),
        "{waited:?}"
    );
    assert!(waited < std::time::Duration::from_secs(3), "{waited:?}");
    assert_eq!(
        r.json::<Value>().unwrap()["error"],
        "no http response node answered within 0.5 s"
    );
    assert_eq!(client().get(s.url("/fast")).send().unwrap().status(), 200);
}

#[test]
fn flows_may_serve_other_methods_beside_the_inject_admin_route() {
    let flow = r#"[{"id":"i","type":"http in","z":"t","url":"/inject/state","method":"get","x":1,"y":1,"wires":[["o"]]},
                   {"id":"o","type":"http response","z":"t","x":2,"y":1,"wires":[]},
                   {"id":"inj","type":"inject","z":"t","props":[{"p":"payload"}],"payload":"hi","payloadType":"str","x":1,"y":2,"wires":[[]]}]"#;
    let s = Server::start_with(flow, &["--admin-token", "test-admin-token"], &[]);
    // The flow's endpoint needs no admin token...
    let r = client().get(s.url("/inject/state?a=1")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap(), json!({"a": "1"}));
    // ...while the admin route beside it does.
    let r = client().post(s.url("/inject/inj")).send().unwrap();
    assert_eq!(r.status(), 401);
    let r = client()
        .post(s.url("/inject/inj"))
        .bearer_auth("test-admin-token")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// A flow endpoint whose pattern also matches paths the admin API, the
/// editor or a node type's admin route serve leaves those paths to them, as
/// the router's order says, and answers the others itself.
#[test]
fn routes_ahead_of_the_flows_keep_their_paths_from_flow_patterns() {
    let flow = r#"[{"id":"a","type":"http in","z":"t","url":"/:page","method":"get","x":1,"y":1,"wires":[["f"]]},
                   {"id":"r","type":"http in","z":"t","url":"/","method":"get","x":1,"y":2,"wires":[["f"]]},
                   {"id":"p","type":"http in","z":"t","url":"/inject/:id","method":"post","x":1,"y":3,"wires":[["f"]]},
                   {"id":"f","type":"function","z":"t","func":"msg.payload = 'flow ' + (msg.req.params.page || msg.req.params.id || '/'); return msg;","outputs":1,"x":2,"y":1,"wires":[["o"]]},
                   {"id":"o","type":"http response","z":"t","x":3,"y":1,"wires":[]},
                   {"id":"inj","type":"inject","z":"t","props":[{"p":"payload"}],"payload":"hi","payloadType":"str","x":1,"y":4,"wires":[[]]}]"#;
    let s = Server::start_with(flow, &["--admin-token", "test-admin-token"], &[]);
    let c = client();
    // The admin API's paths stay its own: no token, no answer.
    for path in ["/flows", "/settings", "/nodes"] {
        let r = c.get(s.url(path)).send().unwrap();
        assert_eq!(r.status(), 401, "GET {path}");
    }
    // The node type's admin route with a parameter keeps its method and paths.
    let r = c.post(s.url("/inject/inj")).send().unwrap();
    assert_eq!(r.status(), 401);
    // The editor's page keeps the root.
    let r = c.get(s.url("/")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("<html"), "the editor's page");
    // Every other path the pattern matches is the flow's.
    let r = c.get(s.url("/pricing")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), "flow pricing");
    // Including a different case of an admin path, which the admin API
    // does not serve.
    let r = c.get(s.url("/FLOWS")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), "flow FLOWS");
}

/// Under an admin root of its own, the admin API keeps everything below
/// it, and flows every path outside it.
#[test]
fn an_admin_root_keeps_its_paths_from_flow_patterns() {
    let flow = r#"[{"id":"a","type":"http in","z":"t","url":"/:one/:two","method":"get","x":1,"y":1,"wires":[["f"]]},
                   {"id":"f","type":"function","z":"t","func":"msg.payload = msg.req.params.one + '/' + msg.req.params.two; return msg;","outputs":1,"x":2,"y":1,"wires":[["o"]]},
                   {"id":"o","type":"http response","z":"t","x":3,"y":1,"wires":[]}]"#;
    let s = Server::start_with(
        flow,
        &["--admin-token", "test-admin-token", "--admin-root", "/ops"],
        &[],
    );
    let c = client();
    let r = c.get(s.url("/ops/flows")).send().unwrap();
    assert_eq!(r.status(), 401);
    let r = c.get(s.url("/ops/nothing-here")).send().unwrap();
    assert_eq!(r.status(), 404);
    let r = c.get(s.url("/a/b")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), "a/b");
}

/// Without an admin API, a flow may answer any path, the admin API's
/// included.
#[test]
fn without_an_admin_api_flows_answer_every_path() {
    let flow = r#"[{"id":"a","type":"http in","z":"t","url":"/flows","method":"get","x":1,"y":1,"wires":[["o"]]},
                   {"id":"o","type":"http response","z":"t","x":3,"y":1,"wires":[]}]"#;
    let s = Server::start_with(flow, &["--no-admin"], &[]);
    let r = client().get(s.url("/flows?k=v")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap(), json!({"k": "v"}));
}

/// As Express's `res.send` does, 204 and 304 answers carry no body and no
/// `Content-Type`/`Content-Length`, even when the flow set a payload and a
/// content type.
#[test]
fn no_content_and_not_modified_answer_without_a_body() {
    let flow = json!([
        {"id": "t", "type": "tab"},
        {"id": "in", "type": "http in", "z": "t", "url": "/status/:code", "method": "get", "wires": [["set"]]},
        {"id": "set", "type": "change", "z": "t", "rules": [
            {"t": "set", "p": "statusCode", "pt": "msg", "to": "req.params.code", "tot": "msg"},
            {"t": "set", "p": "payload", "pt": "msg", "to": "some text", "tot": "str"},
            {"t": "set", "p": "headers", "pt": "msg", "to": "{\"content-type\":\"text/plain\"}", "tot": "json"}],
         "wires": [["out"]]},
        {"id": "out", "type": "http response", "z": "t", "wires": []}
    ]);
    let server = Server::start(&flow.to_string());
    for code in [204u16, 304] {
        let r = client()
            .get(server.url(&format!("/status/{code}")))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), code);
        assert!(
            r.headers().get("content-type").is_none(),
            "{code}: {:?}",
            r.headers()
        );
        assert_eq!(r.text().unwrap(), "", "{code}");
    }
    let r = client().get(server.url("/status/200")).send().unwrap();
    assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(r.text().unwrap(), "some text");
}

/// Node-RED adds the message's headers the node does not name with the
/// same spelling, and Express sets them in turn: one spelled in another
/// case replaces the node's, and an array is one header line per element
/// (checked against Node-RED 5).
#[test]
fn message_headers_in_another_case_replace_the_nodes_and_arrays_are_lines() {
    let flow = r#"[{"id":"i","type":"http in","z":"t","url":"/h","method":"get","x":1,"y":1,"wires":[["f"]]},
        {"id":"f","type":"function","z":"t","func":"msg.headers = {'X-A': 'm', 'x-same': 'msg', 'x-multi': [1, 'two'], 'x-b': 'b'}; msg.payload = 'ok'; return msg;","outputs":1,"x":2,"y":1,"wires":[["o"]]},
        {"id":"o","type":"http response","z":"t","headers":{"x-a":"node","x-same":"node"},"x":3,"y":1,"wires":[]}]"#;
    let s = Server::start(flow);
    let r = client().get(s.url("/h")).send().unwrap();
    assert_eq!(r.status(), 200);
    let all = |name: &str| -> Vec<String> {
        r.headers()
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(all("x-a"), ["m"]);
    assert_eq!(all("x-same"), ["node"]);
    assert_eq!(all("x-multi"), ["1", "two"]);
    assert_eq!(all("x-b"), ["b"]);
}

/// Two `http in` nodes on one method and path load, as in Node-RED: the
/// first answers, and the log says the second never will.
#[test]
fn the_first_of_two_endpoints_on_one_route_answers() {
    let flow = r#"[{"id":"a","type":"http in","z":"t","url":"/same/:id","method":"get","x":1,"y":1,"wires":[["fa"]]},
        {"id":"fa","type":"change","z":"t","rules":[{"t":"set","p":"payload","pt":"msg","to":"first","tot":"str"}],"x":2,"y":1,"wires":[["o"]]},
        {"id":"b","type":"http in","z":"t","url":"/Same/:other/","method":"get","x":1,"y":2,"wires":[["fb"]]},
        {"id":"fb","type":"change","z":"t","rules":[{"t":"set","p":"payload","pt":"msg","to":"second","tot":"str"}],"x":2,"y":2,"wires":[["o"]]},
        {"id":"o","type":"http response","z":"t","x":3,"y":1,"wires":[]}]"#;
    let s = Server::start(flow);
    let r = client().get(s.url("/same/7")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), "first");
    // The log reaches the test through a pipe: wait (bounded) for the line.
    let line = "is already served by http in node a";
    let start = std::time::Instant::now();
    while !s.logs().contains(line) && start.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(s.logs().contains(line), "{}", s.logs());
}

/// A node that signs from `msg.payload` leaves `msg.req` alone, so flowgate
/// builds it only when something reads it: when the signing fails, the
/// `catch` node's message still carries the request as `http in` saw it.
#[test]
fn a_failed_signing_hands_catch_the_whole_request() {
    let flow = r#"[
      {"id":"t","type":"tab","label":"t"},
      {"id":"cfg","type":"jwt-config","z":"","name":"k","expiresin":"60","algorithm":"HS256"},
      {"id":"i","type":"http in","z":"t","url":"/sign/:who","method":"post","wires":[["j"]]},
      {"id":"j","type":"jwt","z":"t","jwtconfig":"cfg","generatejwt":"true","outputs":1,"wires":[["o"]]},
      {"id":"c","type":"catch","z":"t","scope":null,"uncaught":false,"wires":[["f"]]},
      {"id":"f","type":"function","z":"t","func":"msg.payload = {method: msg.req.method, who: msg.req.params.who, q: msg.req.query, body: msg.req.body, cookie: msg.req.cookies.c, error: msg.error.source.id};\nreturn msg;","outputs":1,"wires":[["o"]]},
      {"id":"o","type":"http response","z":"t","wires":[]}
    ]"#;
    let s = Server::start(flow);
    let r = client()
        .post(s.url("/sign/ann?x=1"))
        .header("content-type", "text/plain")
        .header("cookie", "c=crumb")
        .body("not claims")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"method": "POST", "who": "ann", "q": {"x": "1"}, "body": "not claims", "cookie": "crumb", "error": "j"})
    );
    // Claims that sign answer the token, as before.
    let r = client()
        .post(s.url("/sign/ann"))
        .json(&json!({"sub": "ann"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap().split('.').count(), 3);
}

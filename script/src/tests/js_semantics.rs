use serde_json::json;

use crate::testing::js;

#[test]
fn ignite_bodies() {
    let out = js(
        "msg.payload = {\n    \"access_token\" : msg.payload\n}\nreturn msg;",
        json!({"payload": "tok"}),
    );
    assert_eq!(out, json!({"payload": {"access_token": "tok"}}));
    let out = js(
        "msg.payload = {\n    \"name\" : \"CYber Group Inc.\",\n    \"Domain\" : \"Information Technology & Services\",\n    \"Offices\" : {\n        \"Dallas\" :  \"12900 Preston Road, Ste 900, Dallas, TX, 75230\",\n        \"India\" : \"30/1 Knowledge Park III, Greater Noida\"\n    }\n}\nreturn msg;",
        json!({"payload": {}}),
    );
    assert_eq!(
        serde_json::to_string(&out["payload"]).unwrap(),
        r#"{"name":"CYber Group Inc.","Domain":"Information Technology & Services","Offices":{"Dallas":"12900 Preston Road, Ste 900, Dallas, TX, 75230","India":"30/1 Knowledge Park III, Greater Noida"}}"#
    );
}

#[test]
fn deep_recursion_fails_cleanly_on_a_small_stack() {
    // Runs on a 2 MiB thread like a tokio worker: recursion stops at the
    // call-depth limit with V8's RangeError, never overflows the stack.
    let t = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let h = crate::testing::node(
                crate::convert::Mode::Js,
                "function down(n) { return n === 0 ? 0 : 1 + down(n - 1); }\nmsg.payload = down(10);\nmsg.deep = down(100000);\nreturn msg;",
                1,
            )
            .unwrap();
            h.run(json!({"payload": 0}))
        })
        .unwrap();
    let (sends, r) = t.join().expect("no stack overflow");
    assert!(sends.is_empty());
    assert_eq!(
        r.unwrap_err(),
        "RangeError: Maximum call stack size exceeded"
    );
}

fn load_error(func: &str) -> String {
    match crate::testing::node(crate::convert::Mode::Js, func, 1) {
        Ok(_) => panic!("expected a load error for {func:?}"),
        Err(e) => e,
    }
}

#[test]
fn constructs_outside_the_subset_are_load_errors_with_location() {
    let cases = [
        ("class A { static { } }", "line 1:11: this class member"),
        ("function* g() {}", "line 1:1: generator function"),
        ("with (msg) { }", "line 1:1: `with` statement"),
        (
            "block: { break block; }",
            "line 1:10: `break` to a label that is not a loop",
        ),
        ("var x = Math.nope(1);", "line 1:9: `Math.nope`"),
        (
            "try { return 1; } finally { }",
            "line 1:7: `return` inside `try` with `finally`",
        ),
        ("var n = 1n;", "line 1:9: BigInt literal"),
        (
            "var s = JSON.stringify(msg, (k, v) => v);\nreturn util;",
            "line 2:8: the global `util`",
        ),
    ];
    for (body, want) in cases {
        let e = load_error(body);
        assert!(
            e.starts_with(&format!(
                "unsupported JavaScript at {want} is not supported by flowgate"
            )),
            "{body:?}: {e}"
        );
    }
    assert_eq!(
        load_error("var ok = /(?<=a)b/i; var re = /x{3,1}/;"),
        "JavaScript syntax error at line 1:31: Invalid regular expression: /x{3,1}/: numbers out of order in {} quantifier"
    );
    assert_eq!(
        load_error("var x = ;"),
        "JavaScript syntax error at line 1:9: Unexpected token"
    );
    // Code made from text at run time is refused with the reason and the
    // alternative, not as a gap in the subset.
    for (body, want) in [
        ("return eval('1 + 1');", "line 1:8: `eval`"),
        (
            "var f = new Function('a', 'return a');",
            "line 1:9: `new Function`",
        ),
        ("var f = Function('return 1');", "line 1:9: `Function`"),
    ] {
        let e = load_error(body);
        assert!(
            e.starts_with(&format!(
                "refused JavaScript at {want} runs code made from text"
            )) && e.contains("write the logic in the body itself"),
            "{body:?}: {e}"
        );
    }
}

#[test]
fn debug_and_status_events_have_the_editor_shape() {
    let h = crate::testing::node(
        crate::convert::Mode::Js,
        "node.warn('careful');\nnode.error({code: 7});\nnode.status({fill: 'red', shape: 'ring', text: 'down'});\nnode.log('just a log');\nreturn msg;",
        1,
    )
    .unwrap();
    let mut rx = h.events.subscribe();
    let (sends, r) = h.run(json!({"payload": 1, "topic": "t1"}));
    r.unwrap();
    assert_eq!(sends.len(), 1);
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    assert_eq!(
        events.len(),
        3,
        "warn, error and status; node.log only logs"
    );
    assert_eq!(events[0].topic, "debug");
    let mut warn = events[0].data.clone();
    assert!(warn["timestamp"].as_i64().unwrap() > 1_600_000_000_000);
    warn.as_object_mut().unwrap().shift_remove("timestamp");
    assert_eq!(
        warn,
        json!({"id": "f1", "z": "", "name": "fn", "topic": "t1", "property": "msg", "msg": "careful",
               "format": "string[7]", "level": "warn"})
    );
    assert_eq!(events[1].data["msg"], json!({"code": 7}));
    assert_eq!(events[1].data["format"], "Object");
    assert_eq!(events[1].data["level"], "error");
    assert_eq!(events[2].topic, "status/f1");
    assert_eq!(
        events[2].data,
        json!({"fill": "red", "shape": "ring", "text": "down"})
    );
}

#[test]
fn node_error_with_a_message_is_catchable_and_the_run_continues() {
    let h = crate::testing::node(
        crate::convert::Mode::Js,
        "msg.payload = 'flagged';\nnode.error('bad input', msg);\nmsg.payload = 'still sent';\nreturn msg;",
        1,
    )
    .unwrap();
    let (sends, r) = h.run_full(json!({"payload": 1}));
    assert_eq!(sends, vec![(0, json!({"payload": "still sent"}))]);
    let (message, body) = r.unwrap_err();
    assert_eq!(message, "bad input");
    assert_eq!(body, json!({"payload": "flagged"}));
}

#[test]
fn native_rhai_keeps_types_and_key_order() {
    let h = crate::testing::node(
        crate::convert::Mode::Rhai,
        "msg.payload.count += 1;\nmsg.payload.added = 2.0;\nmsg.payload.list.push(());\nmsg",
        1,
    )
    .unwrap();
    let (sends, r) = h.run(json!({"topic": "z", "payload": {"zeta": 1, "count": 41, "list": [1.5, "x"], "alpha": null}}));
    r.unwrap();
    assert_eq!(
        serde_json::to_string(&sends[0].1).unwrap(),
        r#"{"topic":"z","payload":{"zeta":1,"count":42,"list":[1.5,"x",null],"alpha":null,"added":2.0}}"#
    );
}

#[test]
fn a_slow_script_moves_off_the_worker_and_times_out() {
    let node = crate::function::Function::standalone(crate::function::StandaloneConfig {
        id: "spin",
        name: "",
        rhai: false,
        func: "while (true) {}",
        outputs: 1,
        timeout: std::time::Duration::from_millis(300),
        events: flowgate_runtime::events::Events::new(),
    })
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut out = flowgate_runtime::Outputs::default();
    let started = std::time::Instant::now();
    let outcome = node.on_input(flowgate_runtime::Message::new(), &mut out);
    // The worker is given back after one slice, long before the timeout.
    assert!(started.elapsed() < std::time::Duration::from_millis(250));
    let flowgate_runtime::Outcome::Pending(fut) = outcome else {
        panic!("an endless loop cannot finish on the fast path")
    };
    let err = rt.block_on(fut).unwrap_err();
    assert_eq!(err.message, "Error: Script execution timed out after 300ms");
}

#[test]
fn concatenating_strings_and_numbers_and_stringifying_match_v8() {
    // Expected values printed by Node.js 22 for the same body.
    let out = js(
        "const r = {};\nr.a = \"claim\" + 7; r.b = 7 + \"x\"; r.c = \"x\" + 1.5; r.d = \"x\" + (-0);\nr.e = \"x\" + 2 ** 53; r.f = \"x\" + 1e21; r.g = \"x\" + 0.1 * 3; r.h = 1 + 2 + \"3\";\nr.i = JSON.stringify({ a: \"q\\\"\\\\\\n\\u0001\\u001fé😀\\t\", b: [1, -0, 1.5, -7] });\nr.j = \"\" + 123 + \"\";\nmsg.payload = r;\nreturn msg;",
        json!({}),
    );
    assert_eq!(
        serde_json::to_string(&out["payload"]).unwrap(),
        r#"{"a":"claim7","b":"7x","c":"x1.5","d":"x0","e":"x9007199254740992","f":"x1e+21","g":"x0.30000000000000004","h":"33","i":"{\"a\":\"q\\\"\\\\\\n\\u0001\\u001fé😀\\t\",\"b\":[1,0,1.5,-7]}","j":"123"}"#
    );
}

//! Replays the fixture sets under `tests/fixtures/nodered/<set>/` against the
//! real flowgate binary and compares every answer with what real Node-RED
//! answered (recorded by `scripts/record-nodered-fixtures`): status, content
//! type and body (JSON bodies compared as values, so incidental key order does
//! not matter). One test per set, so one feature's regression does not hide
//! another's.

use crate::common;

use std::time::Duration;

use serde_json::Value;

fn read_json(set: &str, name: &str) -> Value {
    let path = common::repo_root()
        .join("tests/fixtures/nodered")
        .join(set)
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn same_body(content_type: &str, expected: &str, actual: &str) -> bool {
    if content_type.starts_with("application/json") {
        let e: Result<Value, _> = serde_json::from_str(expected);
        let a: Result<Value, _> = serde_json::from_str(actual);
        if let (Ok(e), Ok(a)) = (e, a) {
            return e == a;
        }
    }
    expected == actual
}

/// Send one case, retrying while `wait_for` is not in the body yet.
fn answer(
    client: &reqwest::blocking::Client,
    server: &common::Server,
    case: &Value,
) -> (u16, String, String) {
    let name = case["name"].as_str().unwrap();
    let method: reqwest::Method = case["method"].as_str().unwrap().parse().unwrap();
    let url = server.url(case["path"].as_str().unwrap());
    let wait_for = case["wait_for"].as_str();
    let mut attempt = 0;
    loop {
        let mut req = client.request(method.clone(), &url);
        if let Some(headers) = case["headers"].as_object() {
            for (k, v) in headers {
                req = req.header(k.as_str(), v.as_str().unwrap_or_default());
            }
        }
        if let Some(j) = case.get("json") {
            req = req.json(j);
        }
        if let Some(t) = case["text"].as_str() {
            req = req.header("content-type", "text/plain").body(t.to_owned());
        }
        if let Some(t) = case["json_text"].as_str() {
            req = req
                .header("content-type", "application/json")
                .body(t.to_owned());
        }
        if let Some(t) = case["raw"].as_str() {
            req = req.body(t.to_owned());
        }
        let res = req.send().unwrap_or_else(|e| panic!("{name}: {e}"));
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = res.text().unwrap();
        attempt += 1;
        match wait_for {
            Some(w) if !body.contains(w) && attempt < 50 => {
                std::thread::sleep(Duration::from_millis(100))
            }
            _ => return (status, ct, body),
        }
    }
}

/// Run set `set`'s flow in flowgate and replay its cases.
fn replay(set: &str) {
    let dir = common::repo_root().join("tests/fixtures/nodered").join(set);
    let flow = std::fs::read_to_string(dir.join("flow.json")).unwrap();
    let env: Vec<(String, String)> = match std::fs::read_to_string(dir.join("env.json")) {
        Ok(text) => serde_json::from_str::<serde_json::Map<String, Value>>(&text)
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned()))
            .collect(),
        Err(_) => Vec::new(),
    };
    // "@tempdir": a fresh directory, removed when the set is done;
    // "@mqttport": the port of a mosquitto broker run for the set.
    let tempdir = tempfile::tempdir().unwrap();
    let broker = env
        .iter()
        .any(|(_, v)| v == "@mqttport")
        .then(common::Mosquitto::start);
    let env: Vec<(String, String)> = env
        .into_iter()
        .map(|(k, v)| match v.as_str() {
            "@tempdir" => (k, tempdir.path().display().to_string()),
            "@mqttport" => (k, broker.as_ref().unwrap().port.to_string()),
            _ => (k, v),
        })
        .collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // flowgate's own flags the set needs (Node-RED has no equivalent).
    let args: Vec<String> = match std::fs::read_to_string(dir.join("args.json")) {
        Ok(text) => serde_json::from_str(&text).unwrap(),
        Err(_) => Vec::new(),
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = common::Server::start_with(&flow, &args, &env);
    let client = common::client();
    let cases = read_json(set, "cases.json");
    let recorded = read_json(set, "recorded.json");
    let (cases, recorded) = (cases.as_array().unwrap(), recorded.as_array().unwrap());
    assert_eq!(
        cases.len(),
        recorded.len(),
        "{set}: recorded.json is out of date"
    );
    let mut failures = Vec::new();
    for (case, want) in cases.iter().zip(recorded) {
        let name = case["name"].as_str().unwrap();
        assert_eq!(
            want["name"], case["name"],
            "{set}: recorded.json is out of date"
        );
        let (status, content_type, body) = answer(&client, &server, case);
        let want_status = want["status"].as_u64().unwrap() as u16;
        let want_ct = want["content_type"].as_str().unwrap_or("");
        let want_body = want["body"].as_str().unwrap();
        if status != want_status || content_type != want_ct || !same_body(want_ct, want_body, &body)
        {
            failures.push(format!(
                "{name}:\n  node-red: {want_status} {want_ct} {want_body}\n  flowgate: {status} {content_type} {body}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{set}: {} of {} answers differ from Node-RED:\n{}\nlogs:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n"),
        server.logs()
    );
}

/// Change, switch, template, json, inject, delay and link nodes.
#[test]
fn core_nodes_answer_like_node_red() {
    replay("core");
}

/// `range` (scale, clamp, roll, drop, round) and `rbe` (filter: every mode,
/// topics, resets, percentage bands, start values).
#[test]
fn range_and_filter_answer_like_node_red() {
    replay("range-filter");
}

/// `trigger`: send then wait, extend, block until reset, per topic, loop,
/// second output, every kind of value for both messages.
#[test]
fn trigger_answers_like_node_red() {
    replay("trigger");
}

/// `exec` in exec and spawn mode: appended properties, stderr, return codes,
/// unknown commands, timeouts, `msg.kill`, old-style return codes.
#[test]
fn exec_answers_like_node_red() {
    replay("exec");
}

/// `http in` urls in Express 4's syntax (named, optional, patterned and
/// wildcard parameters, unnamed groups) with their `req.params`, and which of
/// overlapping routes answers, on one tab and across tabs.
#[test]
fn express_routes_answer_like_node_red() {
    replay("routes");
}

/// `msg.req` as `http in` builds it (method, urls, hostname, ip, params,
/// query in JavaScript's key order, cookies, headers, body) read by a
/// function body the engine runs and by a data-only one.
#[test]
fn msg_req_reads_like_node_red() {
    replay("msg-req");
}

/// `msg.req` read by a function, change, template or switch node after a
/// data-only function (which leaves it alone, so flowgate builds it only
/// then): the same object, in JavaScript's key order, for every copy of a
/// fanned-out message; JSON and form bodies in `JSON.parse` order.
#[test]
fn msg_req_read_after_nodes_that_leave_it_alone() {
    replay("req-late");
}

/// Function bodies in the common core of JavaScript (loops, string and
/// array methods, arithmetic and comparisons across types, objects with
/// integer-like keys, `JSON`), which flowgate compiles and runs without its
/// script engine: Node-RED's answers, byte for byte.
#[test]
fn compiled_function_bodies_answer_like_node_red() {
    replay("function-direct");
}

/// `http in` with file uploads (multipart fields nested as multer nests
/// them, `msg.req.files`, its malformed-body 500) and with body parsing off
/// (a Buffer, only on the path the node's URL spells).
#[test]
fn uploads_and_raw_bodies_read_like_node_red() {
    replay("uploads");
}

/// Context objects are the stored ones: a `push` without `set`, changes
/// after `set`, the same object from two reads, nested paths, and another
/// node reading what a function changed.
#[test]
fn context_objects_are_the_stored_ones_like_node_red() {
    replay("context-live");
}

/// `http request` following redirects as Node-RED's got does: the methods
/// each status keeps, `msg.redirectList`, cookies carried from hop to hop,
/// `msg.followRedirects`, and the 21-redirect limit.
#[test]
fn http_request_follows_redirects_like_node_red() {
    replay("redirects");
}

/// Subflows (env of every type per instance, nested instances, two outputs,
/// catch inside, status port, per-instance flow context, `$parent.`), group
/// env, `global-config` env and Node-RED's `NR_*` variables.
#[test]
fn subflows_answer_like_node_red() {
    replay("subflows");
}

/// Wiring loops (a counter, a retry through a delay, link out to link in, a
/// poll started by inject), a wire to a missing node, and the complete node.
#[test]
fn loops_and_complete_answer_like_node_red() {
    replay("loops");
}

/// Switch regex rules and change replace rules with look-behind,
/// back-references, named groups and the case-insensitive flag.
#[test]
fn regular_expressions_answer_like_node_red() {
    replay("regex");
}

/// `split` (text, Buffers, arrays, objects, streams, nested parts), `join`
/// (automatic and every manual build, `msg.complete`, resets, accumulate),
/// `sort` (arrays and sequences) and `batch` (count, overlap, concatenate).
#[test]
fn sequence_nodes_answer_like_node_red() {
    replay("sequence");
}

/// JSONata in change, switch and inject, across the standard library and
/// Node-RED's extension functions.
#[test]
fn jsonata_answers_like_node_red() {
    replay("jsonata");
}

/// JSONata 2.x in a change node: order-by with several keys, the `?:` and
/// `??` operators, `$number` on `0x`/`0o`/`0b` text, base64 on Latin-1
/// bytes, `$eval`, and picture strings of dates and numbers.
#[test]
fn jsonata2_answers_like_node_red() {
    replay("jsonata2");
}

/// `join` in reduce mode (initial values, fix-up, reverse order, `$I`/`$N`)
/// and `sort` by a JSONata key, on arrays and on sequences.
#[test]
fn sequence_jsonata_answers_like_node_red() {
    replay("sequence-jsonata");
}

/// What catch and complete nodes are told about a message's source node:
/// `name` only for named nodes, except that function, template, delay and
/// debug nodes report an empty one too.
#[test]
fn listener_sources_answer_like_node_red() {
    replay("sources");
}

/// `csv` under both of Node-RED's parsers (RFC 4180 and legacy): text to
/// rows (per-row messages with `msg.parts`, arrays, header rows, skipped
/// lines, sequences of lines, numbers, empty and null cells, separators,
/// quotes) and objects or arrays to text (column lists, `msg.columns`,
/// header rows never, always and once until `msg.reset`, newlines).
#[test]
fn csv_answers_like_node_red() {
    replay("csv");
}

/// Numbers in JSON written back out (echoed bodies, the json node both
/// ways, indented, function results, token claims): `10.0` comes back as
/// `10`, `1e20` in full, integers past 2^53 as the nearest double.
#[test]
fn json_numbers_print_like_node_red() {
    replay("numbers");
}

/// `yaml` both ways: js-yaml's dump format (indentation, quoting, block
/// scalars, folding, numbers) and load (core schema, merges, anchors,
/// timestamps, empty documents), parse errors caught.
#[test]
fn yaml_answers_like_node_red() {
    replay("yaml");
}

/// TCP and UDP on fixed loopback ports (18940-18949): `tcp request` in its
/// return modes against a `tcp in` server answering on its session, a
/// refused connection caught, `udp out` to `udp in` as text and Base64.
#[test]
fn sockets_answer_like_node_red() {
    replay("sockets");
}

/// `file` (append, overwrite, delete, create directories, newlines,
/// encodings, filenames from msg and flow context, errors) and `file in`
/// (string, buffer, lines, stream chunks, all properties, legacy error
/// messages), in a temporary directory.
#[test]
fn storage_nodes_answer_like_node_red() {
    replay("storage");
}

/// The xml node both ways: xml2js's object shape and its options, the
/// builder's output, sax's error messages.
#[test]
fn xml_answers_like_node_red() {
    replay("xml");
}

/// The html node: each output kind, one array or one message per element
/// with `msg.parts`, cheerio's serialisation of inner HTML and text.
#[test]
fn html_answers_like_node_red() {
    replay("html");
}

/// Function bodies with the JavaScript constructs of real flows: labelled
/// loops, classes, accessors, `this` (the sandbox's global object at the
/// top of a body), `Set`/`Map`, `Symbol.iterator`, tagged templates,
/// hoisting, `Object.defineProperty`/`freeze`, properties kept on the
/// sandbox's `global`, and a new object not carrying the input's properties.
#[test]
fn function_lang() {
    replay("function-lang");
}

/// The `/context` admin endpoints the editor's context sidebar reads:
/// every store, one store, keys only, one key in each value format,
/// nested keys, deletes, unknown stores (404) and undeployed nodes.
#[test]
fn context_endpoints_answer_like_node_red() {
    replay("context");
}

/// A request body nested 100,000 elements deep reaches the xml and html
/// nodes as a catchable error naming the bound; the runtime keeps answering.
#[test]
fn documents_nested_100000_deep_are_refused_not_crashing() {
    let flow = serde_json::json!([
        {"id": "t", "type": "tab", "label": "deep"},
        {"id": "in-x", "type": "http in", "z": "t", "url": "/xml", "method": "post", "wires": [["x"]]},
        {"id": "x", "type": "xml", "z": "t", "property": "payload", "attr": "", "chr": "", "wires": [["res"]]},
        {"id": "in-h", "type": "http in", "z": "t", "url": "/html", "method": "post", "wires": [["h"]]},
        {"id": "h", "type": "html", "z": "t", "property": "payload", "outproperty": "payload", "tag": "div", "ret": "text", "as": "single", "chr": "_", "wires": [["res"]]},
        {"id": "c", "type": "catch", "z": "t", "scope": null, "uncaught": false, "wires": [["e"]]},
        {"id": "e", "type": "change", "z": "t", "rules": [{"t": "set", "p": "payload", "pt": "msg", "to": "error.message", "tot": "msg"}], "wires": [["res"]]},
        {"id": "res", "type": "http response", "z": "t", "statusCode": "", "headers": {}, "wires": []}
    ]);
    let server = common::Server::start(&flow.to_string());
    let client = common::client();
    let post = |path: &str, body: String| {
        let res = client
            .post(server.url(path))
            .header("content-type", "text/plain")
            .body(body)
            .send()
            .unwrap();
        res.text().unwrap()
    };
    let n = 100_000;
    let xml = format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
    assert_eq!(
        post("/xml", xml),
        "Error: XML nested deeper than 128 elements"
    );
    let html = format!("{}x{}", "<div>".repeat(n), "</div>".repeat(n));
    assert_eq!(post("/html", html), "HTML nested deeper than 512 elements");
    assert_eq!(post("/xml", "<a>ok</a>".into()), r#"{"a":"ok"}"#);
    assert_eq!(post("/html", "<div>ok</div>".into()), r#"["ok"]"#);
}

/// Function bodies using `await`, promises and their combinators, timers
/// that send later, `node.on`, and the order of `node.error(err, msg)` and
/// the sends (a catch branch wired straight to the response answers
/// first), as Node-RED 5 runs them.
#[test]
fn function_async() {
    replay("function-async");
}

#[test]
fn mqtt() {
    replay("mqtt")
}

/// Function bodies using the library: local time in the `TZ` zone, locale
/// formatting (dates and numbers, Intl), number formatting edge cases,
/// code points and normalization, astral characters in regular
/// expressions, V8's error texts (caught in the body and at a catch node)
/// and the `crypto` module given through `libs`.
#[test]
fn function_lib() {
    replay("function-lib");
}

/// Deleting or moving a key (change node, `delete` in a function) keeps the
/// other keys in order, as JavaScript does: CSV columns and response
/// objects come out in the order they went in.
#[test]
fn removing_a_key_keeps_the_others_in_order() {
    replay("key-order");
}

/// An error nothing catches does not stop the message: what it reaches may
/// still answer the request (`node.error(text, msg)` then `return msg`, an
/// `http request` that failed).
#[test]
fn an_uncaught_error_lets_the_message_answer() {
    replay("errors-continue");
}

/// Objects are answered as Express's `res.jsonp` answers them: a
/// `?callback=` wraps the JSON in a call to it.
#[test]
fn a_callback_in_the_query_gets_jsonp() {
    replay("jsonp");
}

/// Environment variables keep their type (`num`, `bool`, `json`) in typed
/// inputs of type `env` and in JSONata's `$env`, as `env.get` does.
#[test]
fn typed_environment_variables_keep_their_type() {
    replay("typed-env");
}

/// What a server sees of an `http request`: got's `User-Agent` unless a
/// header sets one, and `msg.cookies` in a `Cookie` header, as Node-RED's
/// cookie jar sends them.
#[test]
fn http_request_sends_the_user_agent_and_cookies_node_red_does() {
    replay("http-request-client");
}

/// `OPTIONS` on a path served for other methods gets Express's automatic
/// answer: the methods, as the body and the `Allow` header.
#[test]
fn options_lists_the_methods_a_path_is_served_for() {
    replay("options");
}

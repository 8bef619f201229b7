//! A request body that is expensive to convert into script values — a 5 MB
//! JSON object of integer-like keys (`{"0": 0, "1": 1, …}`), which
//! JavaScript orders specially — is answered within the function timeout
//! (with the right result, or the timeout error), and while two such
//! requests are converted another endpoint keeps answering promptly.

use std::time::{Duration, Instant};

use crate::common::{client, Server};
use serde_json::{json, Value};

/// The function nodes' timeout (the `timeout` property, in seconds). Short,
/// so that in a debug build the conversion itself is what runs out of time.
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(2);

/// What an answer may take beyond the function timeout: uploading, parsing
/// and copying 5 MB (into `msg.payload` and `msg.req.body`), the message
/// coming back for the error, and answering, in a debug build on a busy
/// machine. (Two such requests at once take about 5 s there in all;
/// converting one key at a time took hours.)
const MARGIN: Duration = Duration::from_secs(10);

/// The cheap endpoint's bound per request while big bodies convert (a
/// request normally takes about a millisecond).
const PROBE_BOUND: Duration = Duration::from_millis(500);

/// Most probes of the cheap endpoint per test.
const MAX_PROBES: usize = 60;

/// Just under the default 5 MiB body limit.
const BODY_BYTES: usize = 5_000_000;

/// A function timeout short enough that the conversion itself runs out of
/// time, even in a release build.
const SHORT_TIMEOUT: Duration = Duration::from_millis(20);

fn endpoint(id: &str, method: &str, url: &str, func: &str, lang: &str) -> Vec<Value> {
    endpoint_with_timeout(id, method, url, func, lang, FUNCTION_TIMEOUT)
}

fn endpoint_with_timeout(
    id: &str,
    method: &str,
    url: &str,
    func: &str,
    lang: &str,
    timeout: Duration,
) -> Vec<Value> {
    vec![
        json!({"id": format!("{id}-in"), "type": "http in", "z": "tab", "url": url, "method": method,
               "x": 1, "y": 1, "wires": [[format!("{id}-fn")]]}),
        json!({"id": format!("{id}-fn"), "type": "function", "z": "tab", "func": func, "lang": lang,
               "outputs": 1, "timeout": timeout.as_secs_f64(), "x": 2, "y": 1, "wires": [["out"]]}),
    ]
}

const COUNT_JS: &str = "msg.payload = Object.keys(msg.payload).length;\nreturn msg;";
const COUNT_RHAI: &str = "msg.payload = msg.payload.len(); msg";

fn start() -> Server {
    let mut nodes = vec![
        json!({"id": "tab", "type": "tab", "label": "input cost"}),
        json!({"id": "out", "type": "http response", "z": "tab", "x": 3, "y": 1, "wires": []}),
    ];
    nodes.extend(endpoint("count", "post", "/count", COUNT_JS, "javascript"));
    nodes.extend(endpoint("rhai", "post", "/count-rhai", COUNT_RHAI, "rhai"));
    for (id, url, func, lang) in [
        ("short", "/count-short", COUNT_JS, "javascript"),
        ("short-rhai", "/count-short-rhai", COUNT_RHAI, "rhai"),
    ] {
        nodes.extend(endpoint_with_timeout(
            id,
            "post",
            url,
            func,
            lang,
            SHORT_TIMEOUT,
        ));
    }
    nodes.extend(endpoint(
        "fast",
        "get",
        "/fast",
        "msg.payload = {n: Number(msg.req.query.n) * 2};\nreturn msg;",
        "javascript",
    ));
    Server::start(&Value::Array(nodes).to_string())
}

/// `{"0":0,"1":1,…}` of about [`BODY_BYTES`], and its number of keys.
fn integer_keyed_body() -> (String, usize) {
    let mut text = String::with_capacity(BODY_BYTES + 32);
    text.push('{');
    let mut n = 0;
    while text.len() < BODY_BYTES - 32 {
        if n > 0 {
            text.push(',');
        }
        text.push_str(&format!("\"{n}\":{n}"));
        n += 1;
    }
    text.push('}');
    (text, n)
}

/// POST `body` to `path`: the time to the answer, its status and JSON body.
fn post(s: &Server, path: &str, body: String) -> (Duration, u16, Value) {
    let c = reqwest::blocking::Client::builder()
        .timeout(FUNCTION_TIMEOUT + MARGIN)
        .build()
        .unwrap();
    let started = Instant::now();
    let r = c
        .post(s.url(path))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .unwrap_or_else(|e| {
            panic!(
                "{path}: no answer within {:?}: {e}",
                FUNCTION_TIMEOUT + MARGIN
            )
        });
    let status = r.status().as_u16();
    let text = r.text().unwrap();
    let took = started.elapsed();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (took, status, value)
}

/// The answer is the key count, or the function's timeout error.
fn assert_count_or_timeout(path: &str, status: u16, body: &Value, keys: usize, timeout: Duration) {
    match status {
        200 => assert_eq!(*body, json!(keys), "{path}"),
        500 => {
            let message = body["error"].as_str().unwrap_or_default();
            assert!(
                message.contains(&format!(
                    "Script execution timed out after {}ms",
                    timeout.as_millis()
                )),
                "{path}: {body}"
            );
        }
        other => panic!("{path}: status {other}: {body}"),
    }
}

#[test]
fn a_5mb_body_of_integer_keys_is_answered_within_the_function_timeout() {
    // Each test keeps both cores of a small machine busy on its own, and
    // its bounds are for that load.
    let _turn = crate::exclusive();
    let s = start();
    let (body, keys) = integer_keyed_body();
    for (path, timeout) in [
        ("/count", FUNCTION_TIMEOUT),
        ("/count-rhai", FUNCTION_TIMEOUT),
        ("/count-short", SHORT_TIMEOUT),
        ("/count-short-rhai", SHORT_TIMEOUT),
    ] {
        let (took, status, answer) = post(&s, path, body.clone());
        eprintln!(
            "{path}: {keys} keys, {} bytes: {status} in {took:?}: {answer}",
            body.len()
        );
        assert_count_or_timeout(path, status, &answer, keys, timeout);
        assert!(took < timeout + MARGIN, "{path} took {took:?}");
    }
}

#[test]
fn another_endpoint_keeps_answering_while_two_big_bodies_convert() {
    // Each test keeps both cores of a small machine busy on its own, and
    // its bounds are for that load.
    let _turn = crate::exclusive();
    let s = start();
    let (body, keys) = integer_keyed_body();
    // Warm up the cheap endpoint (its first run compiles the script).
    let c = client();
    assert_eq!(c.get(s.url("/fast?n=1")).send().unwrap().status(), 200);
    let big: Vec<_> = (0..2)
        .map(|_| {
            let (url, body) = (s.url("/count"), body.clone());
            std::thread::spawn(move || {
                let c = reqwest::blocking::Client::builder()
                    .timeout(FUNCTION_TIMEOUT + MARGIN)
                    .build()
                    .unwrap();
                let started = Instant::now();
                let r = c
                    .post(url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .expect("an answer within the function timeout and margin");
                let status = r.status().as_u16();
                (started.elapsed(), status, r.json::<Value>().unwrap())
            })
        })
        .collect();
    let mut probes = Vec::new();
    let mut n = 1;
    while probes.len() < MAX_PROBES && big.iter().any(|t| !t.is_finished()) {
        n += 1;
        let started = Instant::now();
        let r = c.get(s.url(&format!("/fast?n={n}"))).send().unwrap();
        let took = started.elapsed();
        assert_eq!(r.json::<Value>().unwrap(), json!({"n": n * 2}));
        probes.push(took);
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!(
        "{} probes while converting, slowest {:?}",
        probes.len(),
        probes.iter().max()
    );
    for t in big {
        let (took, status, answer) = t.join().unwrap();
        eprintln!("/count: {status} in {took:?}");
        assert_count_or_timeout("/count", status, &answer, keys, FUNCTION_TIMEOUT);
        assert!(took < FUNCTION_TIMEOUT + MARGIN, "/count took {took:?}");
    }
    assert!(probes.len() >= 3, "only {} probes", probes.len());
    for (i, took) in probes.iter().enumerate() {
        assert!(*took < PROBE_BOUND, "probe {i} took {took:?}: {probes:?}");
    }
}

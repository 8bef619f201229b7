//! Script isolation under load: function nodes that loop forever, recurse
//! without end, build huge strings, arrays, maps or nested values, or
//! busy-wait, each run while a bounded loopback load hits another endpoint.
//! The runaway scripts fail with their own error (500), the process lives,
//! and the other endpoint's p99 latency stays within a generous bound.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{client, Server};
use serde_json::{json, Value};

/// The other endpoint's p99 while scripts run away, on a noisy 2-core
/// machine (a request normally takes about a millisecond).
const P99_BOUND: Duration = Duration::from_millis(400);

/// Each load thread's fewest requests per case.
const MIN_SAMPLES: usize = 50;

/// How long each case keeps its runaway scripts coming (quick failures such
/// as the recursion limit are sent again and again).
const CASE_TIME: Duration = Duration::from_millis(1500);

/// Runaway scripts in parallel per case (as many as there are cores).
const PARALLEL: usize = 2;

fn endpoint(id: &str, url: &str, func: &str, rhai: bool) -> Vec<Value> {
    vec![
        json!({"id": format!("{id}-in"), "type": "http in", "z": "tab", "url": url, "method": "get", "x": 1, "y": 1, "wires": [[format!("{id}-fn")]]}),
        json!({"id": format!("{id}-fn"), "type": "function", "z": "tab", "func": func, "lang": if rhai { "rhai" } else { "javascript" },
               "outputs": 1, "timeout": 1, "x": 2, "y": 1, "wires": [["out"]]}),
    ]
}

/// (path, body, Rhai?, what the error must say: one of `|`-separated texts;
/// a data builder may hit its size limit or its time limit first, depending
/// on the machine's speed)
const CASES: &[(&str, &str, bool, &str)] = &[
    ("/loop", "while (true) {}\nreturn msg;", false, "Error: Script execution timed out after 1000ms"),
    ("/rhai-loop", "loop { }", true, "Script execution timed out after 1000ms"),
    (
        "/recurse",
        "function down(n) { return down(n + 1) + 1; }\nmsg.payload = down(0);\nreturn msg;",
        false,
        "RangeError: Maximum call stack size exceeded",
    ),
    (
        "/rhai-recurse",
        "fn down(n) { down(n + 1) + 1 } msg.payload = down(0); msg",
        true,
        "RangeError: Maximum call stack size exceeded",
    ),
    (
        "/string",
        "var s = 'x';\nwhile (true) { s = s + s; }\nreturn msg;",
        false,
        "RangeError|timed out",
    ),
    (
        "/rhai-string",
        "let s = \"x\"; loop { s += s; }",
        true,
        "RangeError|timed out",
    ),
    (
        "/array",
        "var a = [];\nwhile (true) { a.push('row ' + a.length + ' '.repeat(1000)); }\nreturn msg;",
        false,
        "RangeError|timed out",
    ),
    (
        "/map",
        "var o = {};\nvar i = 0;\nwhile (true) { o['key' + i] = 'v'.repeat(10000) + i; i++; }\nreturn msg;",
        false,
        "RangeError|timed out",
    ),
    (
        "/nested",
        "var a = [];\nwhile (true) { a = [a, {b: a}]; }\nreturn msg;",
        false,
        "Error: Script execution timed out after 1000ms",
    ),
    (
        "/nested-return",
        "var a = {};\nfor (var i = 0; i < 3000; i++) { a = {a: a}; }\nmsg.payload = a;\nreturn msg;",
        false,
        "nests deeper than",
    ),
    (
        "/busy-wait",
        "var until = Date.now() + 60000;\nwhile (Date.now() < until) {}\nreturn msg;",
        false,
        "Error: Script execution timed out after 1000ms",
    ),
];

fn start() -> Server {
    let mut nodes = vec![
        json!({"id": "tab", "type": "tab", "label": "isolation"}),
        json!({"id": "out", "type": "http response", "z": "tab", "x": 3, "y": 1, "wires": []}),
    ];
    nodes.extend(endpoint(
        "fast",
        "/fast",
        "msg.payload = {n: Number(msg.req.query.n) * 2};\nreturn msg;",
        false,
    ));
    for (i, (path, func, rhai, _)) in CASES.iter().enumerate() {
        nodes.extend(endpoint(&format!("c{i}"), path, func, *rhai));
    }
    Server::start(&Value::Array(nodes).to_string())
}

/// Latencies of `/fast` requests sent back to back until `stop` (at most
/// `limit` requests), each answer checked.
fn load(s: &Server, stop: Arc<AtomicBool>, limit: usize) -> std::thread::JoinHandle<Vec<Duration>> {
    let url = s.url("/fast");
    std::thread::spawn(move || {
        let c = client();
        let mut took = Vec::new();
        let mut n = 0;
        while (took.len() < MIN_SAMPLES || !stop.load(Ordering::Relaxed)) && took.len() < limit {
            n += 1;
            let started = Instant::now();
            let r = c.get(format!("{url}?n={n}")).send().unwrap();
            assert_eq!(r.status(), 200);
            assert_eq!(r.json::<Value>().unwrap(), json!({"n": n * 2}));
            took.push(started.elapsed());
        }
        took
    })
}

fn p99(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[(samples.len() * 99 / 100).min(samples.len() - 1)]
}

#[test]
fn runaway_scripts_neither_crash_nor_starve_other_endpoints() {
    let _turn = crate::exclusive();
    let s = start();
    // Warm up and take a baseline (reported on failure).
    let stop = Arc::new(AtomicBool::new(false));
    let baseline = p99(load(&s, stop, 100).join().unwrap());

    for (path, _, _, error) in CASES {
        let stop = Arc::new(AtomicBool::new(false));
        let loaders: Vec<_> = (0..2).map(|_| load(&s, stop.clone(), 2000)).collect();
        let started = Instant::now();
        let runaways: Vec<_> = (0..PARALLEL)
            .map(|_| {
                let url = s.url(path);
                std::thread::spawn(move || {
                    let c = client();
                    let mut answers = Vec::new();
                    while answers.is_empty() || started.elapsed() < CASE_TIME {
                        let r = c.get(&url).send().unwrap();
                        answers.push((r.status().as_u16(), r.json::<Value>().unwrap()));
                    }
                    answers
                })
            })
            .collect();
        let answers: Vec<_> = runaways
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        let runaway_time = started.elapsed();
        stop.store(true, Ordering::Relaxed);
        let samples: Vec<Duration> = loaders
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        for (status, body) in &answers {
            assert_eq!(*status, 500, "{path}: {body}");
            let message = body["error"].as_str().unwrap_or_default();
            assert!(
                error.split('|').any(|e| message.contains(e)),
                "{path}: {message}"
            );
        }
        assert!(
            runaway_time < Duration::from_secs(20),
            "{path} took {runaway_time:?}"
        );
        assert!(
            samples.len() >= 2 * MIN_SAMPLES,
            "{path}: only {} requests",
            samples.len()
        );
        let p = p99(samples);
        assert!(
            p < P99_BOUND,
            "{path}: /fast p99 {p:?} while scripts ran away (baseline p99 {baseline:?})"
        );
    }
    // Still serving, and the runaways left no lasting damage.
    assert_eq!(
        client()
            .get(s.url("/fast?n=21"))
            .send()
            .unwrap()
            .json::<Value>()
            .unwrap(),
        json!({"n": 42})
    );
    let logs = s.logs();
    assert!(!logs.contains("panicked"), "{logs}");
    assert!(!logs.contains("overflow"), "{logs}");
}

//! The loop guard under load: an unconditional synchronous loop (function →
//! function → back) gets its catchable error at the default hop limit, and
//! while such loops spin, another endpoint's p99 latency stays within twice
//! its idle p99, because the engine yields to the scheduler between hops.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{client, Server};
use serde_json::{json, Value};

/// Requests measured per phase (idle, then while loops spin).
const SAMPLES: usize = 300;

/// The longest the loaded phase may take, whatever the machine.
const PHASE_LIMIT: Duration = Duration::from_secs(8);

fn start() -> Server {
    let func = |id: &str, body: &str, to: &str| {
        json!({"id": id, "type": "function", "z": "t", "func": body, "outputs": 1, "x": 1, "y": 1, "wires": [[to]]})
    };
    let flow = json!([
        {"id": "spin-in", "type": "http in", "z": "t", "url": "/spin", "method": "get", "x": 1, "y": 1, "wires": [["f1"]]},
        func("f1", "return msg;", "f2"),
        func("f2", "return msg;", "f1"),
        {"id": "c", "type": "catch", "z": "t", "scope": ["f1", "f2"], "x": 1, "y": 1, "wires": [["show"]]},
        func("show", "msg.payload = {error: msg.error.message};\nreturn msg;", "out"),
        {"id": "fast-in", "type": "http in", "z": "t", "url": "/fast", "method": "get", "x": 1, "y": 1, "wires": [["double"]]},
        func("double", "msg.payload = {n: Number(msg.req.query.n) * 2};\nreturn msg;", "out"),
        {"id": "out", "type": "http response", "z": "t", "x": 1, "y": 1, "wires": []}
    ]);
    Server::start(&flow.to_string())
}

/// `SAMPLES` back-to-back `/fast` requests (or fewer when `limit` passes),
/// each answer checked: their latencies.
fn measure(s: &Server, limit: Duration) -> Vec<Duration> {
    let c = client();
    let started = Instant::now();
    let mut took = Vec::with_capacity(SAMPLES);
    for n in 0..SAMPLES {
        if started.elapsed() > limit {
            break;
        }
        let t = Instant::now();
        let r = c.get(s.url(&format!("/fast?n={n}"))).send().unwrap();
        assert_eq!(r.json::<Value>().unwrap(), json!({"n": n * 2}));
        took.push(t.elapsed());
    }
    took
}

fn p99(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[(samples.len() * 99 / 100).min(samples.len() - 1)]
}

#[test]
fn an_endless_loop_fails_and_other_requests_keep_their_latency() {
    let _turn = crate::exclusive();
    let s = start();

    // One loop on its own: its error, naming the loop, through catch.
    let t = Instant::now();
    let r = client().get(s.url("/spin")).send().unwrap();
    let one_loop = t.elapsed();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"error": "message made more than 20000 hops in one dispatch (--max-hops): \
                         it loops through nodes f1, f2"})
    );

    // Warm up, then the idle baseline.
    measure(&s, PHASE_LIMIT);
    let idle = p99(measure(&s, PHASE_LIMIT));

    // Loops spinning back to back while the same requests are measured.
    let stop = Arc::new(AtomicBool::new(false));
    let spins = Arc::new(AtomicUsize::new(0));
    let spinner = {
        let (url, stop, spins) = (s.url("/spin"), stop.clone(), spins.clone());
        std::thread::spawn(move || {
            let c = client();
            while !stop.load(Ordering::Relaxed) {
                let r = c.get(&url).send().unwrap();
                assert_eq!(r.status(), 200);
                spins.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    // Let the first loop start spinning.
    std::thread::sleep(Duration::from_millis(50));
    let loaded_samples = measure(&s, PHASE_LIMIT);
    stop.store(true, Ordering::Relaxed);
    spinner.join().unwrap();
    let (count, loaded) = (loaded_samples.len(), p99(loaded_samples));
    let spun = spins.load(Ordering::Relaxed);
    eprintln!(
        "loop guard: one loop to its error {one_loop:?}; /fast p99 idle {idle:?}, \
         while {spun} loops spun {loaded:?} ({count} requests)"
    );
    assert!(count >= SAMPLES / 2, "only {count} requests in {PHASE_LIMIT:?}");
    assert!(spun >= 2, "the loops did not spin during the measurement ({spun})");
    assert!(
        loaded <= idle * 2,
        "/fast p99 {loaded:?} while loops spun, idle p99 {idle:?}"
    );
}

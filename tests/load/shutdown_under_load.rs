//! SIGTERM while a bounded load runs: requests already in flight are
//! finished and answered, new connections are refused, and the process exits
//! 0 within the grace period (`--shutdown-grace`), even when a request would
//! take longer.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{client, Server};
use serde_json::{json, Value};

fn flow() -> String {
    json!([
        {"id": "t", "type": "tab", "label": "shutdown"},
        {"id": "si", "type": "http in", "z": "t", "url": "/slow", "method": "get", "x": 1, "y": 1, "wires": [["sd"]]},
        {"id": "sd", "type": "delay", "z": "t", "pauseType": "delay", "timeout": "700", "timeoutUnits": "milliseconds", "x": 2, "y": 1, "wires": [["o"]]},
        {"id": "hi", "type": "http in", "z": "t", "url": "/stuck", "method": "get", "x": 1, "y": 2, "wires": [["hd"]]},
        {"id": "hd", "type": "delay", "z": "t", "pauseType": "delay", "timeout": "60", "timeoutUnits": "seconds", "x": 2, "y": 2, "wires": [["o"]]},
        {"id": "fi", "type": "http in", "z": "t", "url": "/fast", "method": "get", "x": 1, "y": 3, "wires": [["o"]]},
        {"id": "o", "type": "http response", "z": "t", "x": 3, "y": 1, "wires": []}
    ])
    .to_string()
}

fn exit_within(s: &mut Server, bound: Duration) -> (std::process::ExitStatus, Duration) {
    let started = Instant::now();
    let status = s.terminate().expect("flowgate exited");
    let took = started.elapsed();
    assert!(took < bound, "exit took {took:?}");
    (status, took)
}

#[test]
fn sigterm_under_load_finishes_in_flight_requests_and_exits_0() {
    let _turn = crate::exclusive();
    let mut s = Server::start_with(&flow(), &["--shutdown-grace", "5"], &[]);
    // A bounded load on /fast, until the server goes away.
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let loaders: Vec<_> = (0..2)
        .map(|_| {
            let (url, stop, served) = (s.url("/fast"), stop.clone(), served.clone());
            std::thread::spawn(move || {
                let c = client();
                for _ in 0..5000 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    match c.get(&url).send() {
                        Ok(r) => {
                            // Answered in full, or refused after shutdown
                            // began; never a broken answer.
                            assert!(r.status().is_success(), "{}", r.status());
                            served.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    // Twenty slow requests in flight when the signal arrives.
    let slow: Vec<_> = (0..20)
        .map(|i| {
            let url = s.url(&format!("/slow?i={i}"));
            std::thread::spawn(move || {
                let r = client().get(url).send().unwrap();
                (r.status().as_u16(), r.json::<Value>().unwrap())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let addr = s.addr.clone();
    let (status, took) = exit_within(&mut s, Duration::from_secs(4));
    stop.store(true, Ordering::Relaxed);
    assert!(status.success(), "exit status {status:?}");
    // It waited for the slow requests (700 ms from their start).
    assert!(took >= Duration::from_millis(200), "exited after {took:?}");
    for (i, t) in slow.into_iter().enumerate() {
        let (status, body) = t.join().unwrap();
        assert_eq!(status, 200);
        assert_eq!(body, json!({"i": i.to_string()}));
    }
    for t in loaders {
        t.join().unwrap();
    }
    assert!(served.load(Ordering::Relaxed) > 10);
    // Gone: new connections are refused.
    assert!(std::net::TcpStream::connect(&addr).is_err());
    let logs = s.logs();
    assert!(logs.contains("shutting down"), "{logs}");
}

#[test]
fn a_request_outliving_the_grace_period_does_not_hold_the_exit() {
    let _turn = crate::exclusive();
    let mut s = Server::start_with(&flow(), &["--shutdown-grace", "1"], &[]);
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    {
        let url = s.url("/stuck");
        std::thread::spawn(move || {
            let _ = client().get(url).send();
            let _ = done_tx.send(());
        });
    }
    std::thread::sleep(Duration::from_millis(200));
    let (status, took) = exit_within(&mut s, Duration::from_secs(4));
    assert!(status.success(), "exit status {status:?}");
    assert!(took >= Duration::from_millis(900), "exited after {took:?}");
    // The stuck client does not hang: its connection ends with the process
    // (or its message is flushed as the flows stop).
    assert!(done_rx.recv_timeout(Duration::from_secs(3)).is_ok());
    assert!(
        s.logs().contains("did not finish within 1 s"),
        "{}",
        s.logs()
    );
}

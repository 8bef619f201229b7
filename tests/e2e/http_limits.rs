//! Connection-level limits: slow clients are cut off, huge headers refused,
//! without disturbing other clients.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::{client, Server};

const ECHO: &str = r#"[{"id":"i","type":"http in","z":"t","url":"/echo","method":"get","x":1,"y":1,"wires":[["o"]]},
    {"id":"o","type":"http response","z":"t","x":2,"y":1,"wires":[]}]"#;

#[test]
fn a_slowloris_client_is_cut_off_while_others_are_served() {
    let s = Server::start_with(ECHO, &["--header-timeout", "1"], &[]);
    let mut slow = TcpStream::connect(&s.addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    slow.write_all(b"GET /echo HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = Instant::now();
    // Trickle a header byte now and then, never finishing the head, while
    // normal requests keep succeeding.
    let mut cut_off = false;
    for _ in 0..40 {
        if slow.write_all(b"X").is_err() {
            cut_off = true;
            break;
        }
        let r = client().get(s.url("/echo?a=1")).send().unwrap();
        assert_eq!(r.status(), 200);
        std::thread::sleep(Duration::from_millis(100));
        if started.elapsed() > Duration::from_millis(1500) {
            break;
        }
    }
    if !cut_off {
        // The server closed its side: reading sees EOF (or a 408 then EOF).
        let mut buf = Vec::new();
        let _ = slow.read_to_end(&mut buf);
        let text = String::from_utf8_lossy(&buf);
        assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 408"),
            "{text}"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn oversized_headers_get_431() {
    let s = Server::start_with(ECHO, &["--max-header-bytes", "16384"], &[]);
    let r = client()
        .get(s.url("/echo"))
        .header("x-big", "a".repeat(32 * 1024))
        .send();
    match r {
        Ok(r) => assert_eq!(r.status(), 431),
        // hyper may close the connection right after the 431; either way the
        // request was refused and the server keeps serving.
        Err(e) => assert!(e.is_request() || e.is_connect() || e.is_body(), "{e}"),
    }
    assert_eq!(client().get(s.url("/echo")).send().unwrap().status(), 200);
}

#[test]
fn query_strings_are_capped_at_1000_parameters() {
    let s = Server::start(ECHO);
    let q: Vec<String> = (0..1500).map(|i| format!("k{i}=v")).collect();
    let r = client()
        .get(s.url(&format!("/echo?{}", q.join("&"))))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().unwrap();
    assert_eq!(v.as_object().unwrap().len(), 1000);
}

//! Hostile input at the connection layer: bodies that never finish, many
//! stalled sockets from one address, head sizes at the limit, `Expect:
//! 100-continue` with an oversized body, and requests without a Host.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{client, Server};

const ECHO: &str = r#"[{"id":"i","type":"http in","z":"t","url":"/echo","method":"post","x":1,"y":1,"wires":[["o"]]},
    {"id":"g","type":"http in","z":"t","url":"/echo","method":"get","x":1,"y":2,"wires":[["o"]]},
    {"id":"o","type":"http response","z":"t","x":2,"y":1,"wires":[]}]"#;

/// A raw connection to the server with a bounded read time.
fn raw(s: &Server) -> TcpStream {
    let tcp = TcpStream::connect(&s.addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    tcp
}

/// Everything the server sends until it closes the connection (or the read
/// times out).
fn read_all(tcp: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = tcp.read(&mut buf) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

/// One request on a fresh connection asking the server to close it after.
fn exchange(s: &Server, request: &[u8]) -> String {
    let mut tcp = raw(s);
    tcp.write_all(request).unwrap();
    read_all(&mut tcp)
}

/// The JSON body of a raw HTTP answer.
fn json_body(answer: &str) -> serde_json::Value {
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"))
}

#[test]
fn a_body_trickling_below_the_minimum_rate_gets_408() {
    let _turn = crate::shared();
    let s = Server::start_with(ECHO, &["--min-body-rate", "100"], &[]);
    let mut tcp = raw(&s);
    tcp.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n")
        .unwrap();
    let started = Instant::now();
    let answered = Arc::new(AtomicBool::new(false));
    let mut trickle = tcp.try_clone().unwrap();
    let stop = answered.clone();
    let trickler = std::thread::spawn(move || {
        // Two bytes a second: well below 100 bytes/s, never stalled.
        while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(500));
            if stop.load(Ordering::SeqCst) || trickle.write_all(b"a").is_err() {
                break;
            }
        }
    });
    let mut first = [0u8; 1];
    let got = tcp.read(&mut first).unwrap_or(0);
    answered.store(true, Ordering::SeqCst);
    let elapsed = started.elapsed();
    let answer = String::from_utf8_lossy(&first[..got]).into_owned() + &read_all(&mut tcp);
    trickler.join().unwrap();
    assert_408_and_closed(&answer);
    assert_eq!(
        json_body(&answer)["error"],
        "request body arrived slower than 100 bytes/s"
    );
    // A 5 s grace, then one 5 s window judged; the 60 s deadline is far off.
    assert!(
        elapsed >= Duration::from_secs(9) && elapsed < Duration::from_secs(14),
        "{elapsed:?}"
    );
}

#[test]
fn a_stalled_flow_body_gets_408_within_the_body_timeout() {
    let _turn = crate::shared();
    let s = Server::start_with(ECHO, &["--body-timeout", "2"], &[]);
    let mut tcp = raw(&s);
    let started = Instant::now();
    tcp.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        .unwrap();
    let answer = read_all(&mut tcp);
    let elapsed = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(
        json_body(&answer)["error"],
        "request body not complete within 2 s"
    );
    assert!(
        elapsed >= Duration::from_millis(1900) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    // Others are served as before.
    let r = client().post(s.url("/echo")).body("hi").send().unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn a_stalled_admin_body_gets_408_within_the_body_timeout() {
    let _turn = crate::shared();
    let s = Server::start_with(ECHO, &["--body-timeout", "2"], &[]);
    let mut tcp = raw(&s);
    let started = Instant::now();
    write!(
        tcp,
        "POST /flows HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[",
        s.addr
    )
    .unwrap();
    let answer = read_all(&mut tcp);
    let elapsed = started.elapsed();
    assert_408_and_closed(&answer);
    assert_eq!(json_body(&answer)["code"], "request_timeout", "{answer}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn a_stalled_body_on_a_route_reading_through_an_extractor_gets_408() {
    let _turn = crate::shared();
    // The jwt console's routes take their body as an axum extractor, which
    // knows nothing of timeouts: the connection layer answers for them.
    let s = Server::start_with(ECHO, &["--body-timeout", "2"], &[]);
    let mut tcp = raw(&s);
    let started = Instant::now();
    write!(
        tcp,
        "POST /jwt/console/verify HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{",
        s.addr
    )
    .unwrap();
    let answer = read_all(&mut tcp);
    assert_408_and_closed(&answer);
    assert_eq!(
        json_body(&answer)["error"],
        "request body not complete within 2 s"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// A connection from `source` (any 127.x address works on loopback).
fn connect_from(rt: &tokio::runtime::Runtime, source: &str, addr: &str) -> TcpStream {
    rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
        let stream = socket.connect(addr.parse().unwrap()).await.unwrap();
        let std = stream.into_std().unwrap();
        std.set_nonblocking(false).unwrap();
        std
    })
}

#[test]
fn stalled_sockets_from_one_address_do_not_lock_out_another() {
    let _turn = crate::shared();
    // Timeouts far beyond the test: only the per-address budget can help.
    let s = Server::start_with(
        ECHO,
        &[
            "--max-connections",
            "10",
            "--header-timeout",
            "60",
            "--body-timeout",
            "60",
        ],
        &[],
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let mut stalled = Vec::new();
    for i in 0..40 {
        let mut tcp = connect_from(&rt, "127.0.0.2", &s.addr);
        // Half never finish their head, half never finish their body; the
        // server may already have closed some of them.
        let part: &[u8] = if i % 2 == 0 {
            b"GET /echo HTTP/1.1\r\nHost: x\r\n"
        } else {
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab"
        };
        let _ = tcp.write_all(part);
        stalled.push(tcp);
    }
    let quick = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    for _ in 0..3 {
        let started = Instant::now();
        let r = quick.get(s.url("/echo?from=1")).send().unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
    drop(stalled);
}

fn head_of_length(len: usize) -> Vec<u8> {
    let start = "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: ";
    let end = "\r\n\r\n";
    let pad = len - start.len() - end.len();
    format!("{start}{}{end}", "a".repeat(pad)).into_bytes()
}

#[test]
fn a_head_at_the_size_limit_is_served_and_one_byte_more_gets_431() {
    let _turn = crate::shared();
    // The default limit, 64 KiB.
    let s = Server::start(ECHO);
    let answer = exchange(&s, &head_of_length(64 * 1024));
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "{}",
        &answer[..answer.len().min(200)]
    );
    let answer = exchange(&s, &head_of_length(64 * 1024 + 1));
    assert!(
        answer.starts_with("HTTP/1.1 431"),
        "{}",
        &answer[..answer.len().min(200)]
    );
}

#[test]
fn a_small_head_limit_is_exact_too() {
    let _turn = crate::shared();
    let s = Server::start_with(ECHO, &["--max-header-bytes", "1000"], &[]);
    assert!(exchange(&s, &head_of_length(1000)).starts_with("HTTP/1.1 200"));
    assert!(exchange(&s, &head_of_length(1001)).starts_with("HTTP/1.1 431"));
}

#[test]
fn expect_continue_with_an_oversized_flow_body_gets_413_without_100_continue() {
    let _turn = crate::shared();
    let s = Server::start_with(ECHO, &["--max-body", "1000"], &[]);
    let answer = exchange(
        &s,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(!answer.contains("100 Continue"), "{answer}");
    assert_eq!(
        json_body(&answer)["error"],
        "request body is larger than 1000 bytes"
    );
}

#[test]
fn expect_continue_with_an_oversized_admin_body_gets_413_without_100_continue() {
    let _turn = crate::shared();
    let s = Server::start(ECHO);
    // The jwt console's route takes its body through an extractor.
    for path in ["/flows", "/jwt/console/verify"] {
        let answer = exchange(
            &s,
            format!(
                "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
                s.addr,
                6 * 1024 * 1024
            )
            .as_bytes(),
        );
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        assert!(!answer.contains("100 Continue"), "{path}: {answer}");
        assert_eq!(json_body(&answer)["code"], "request_too_large", "{path}");
    }
}

#[test]
fn an_http11_request_without_host_gets_400() {
    let _turn = crate::shared();
    let s = Server::start(ECHO);
    let answer = exchange(&s, b"GET /echo HTTP/1.1\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(json_body(&answer)["error"]
        .as_str()
        .unwrap()
        .contains("Host"));
}

#[test]
fn a_request_with_two_hosts_gets_400() {
    let _turn = crate::shared();
    let s = Server::start(ECHO);
    let answer = exchange(&s, b"GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
}

#[test]
fn an_http10_request_without_host_is_served() {
    let _turn = crate::shared();
    let s = Server::start(ECHO);
    let answer = exchange(&s, b"GET /echo?a=1 HTTP/1.0\r\n\r\n");
    assert!(
        answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
        "{answer}"
    );
    assert!(answer.ends_with(r#"{"a":"1"}"#), "{answer}");
}

/// Read one response with a `Content-Length` from a kept-alive connection.
fn read_response(tcp: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    while !answer.ends_with(b"\r\n\r\n") {
        assert_eq!(tcp.read(&mut byte).unwrap(), 1, "connection closed");
        answer.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    let length: usize = head
        .split("content-length: ")
        .nth(1)
        .and_then(|rest| rest.split("\r\n").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no content-length: {head}"));
    let mut body = vec![0u8; length];
    tcp.read_exact(&mut body).unwrap();
    answer.extend_from_slice(&body);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn idle_keep_alive_connections_do_not_count_against_their_address() {
    let _turn = crate::shared();
    // A budget of one waiting connection per address.
    let s = Server::start_with(ECHO, &["--max-waiting-per-client", "1"], &[]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    // Clients behind one proxy address: four kept-alive connections, each
    // served once and now idle.
    let request = b"GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut kept: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut tcp = connect_from(&rt, "127.0.0.3", &s.addr);
            tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            tcp.write_all(request).unwrap();
            assert!(read_response(&mut tcp).starts_with("HTTP/1.1 200"));
            tcp
        })
        .collect();
    // The same address then leaves requests unfinished.
    let mut stalled = Vec::new();
    for _ in 0..3 {
        let mut tcp = connect_from(&rt, "127.0.0.3", &s.addr);
        let _ = tcp.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\na");
        stalled.push(tcp);
    }
    std::thread::sleep(Duration::from_millis(300));
    // The idle connections still serve: their requests arrive whole, so
    // they never wait on the client and never count.
    for tcp in &mut kept {
        tcp.write_all(request).unwrap();
        let answer = read_response(tcp);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    // The newest stalled request is still open and can finish...
    let mut newest = stalled.pop().unwrap();
    newest
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    newest.write_all(b"bcdefghi").unwrap();
    let answer = read_response(&mut newest);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // ...the older ones were closed without an answer, long before any
    // body timeout (60 s, and the rate rule's first verdict after 10 s).
    let started = Instant::now();
    for tcp in &mut stalled {
        tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(read_all(tcp), "");
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

/// A 408 answer that closes the connection (what is left of the body on the
/// wire cannot frame another request).
fn assert_408_and_closed(answer: &str) {
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
}

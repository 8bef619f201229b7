//! Ten thousand clients on keep-alive connections at once, on loopback:
//! every one of them is accepted and every request they send is answered
//! 200, the server's memory per connection is reported, and another
//! client's p99 latency while they are all connected (and idle between
//! requests) stays within twice its p99 on a server without them.
//!
//! "Alone" is a second server with the same flow and flags, sampled in
//! turn with the loaded one: both see the same moment's machine noise (two
//! cores shared with builds and other tests), so their ratio measures the
//! connections, not the neighbours.

use std::io;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::Server;

/// Concurrent keep-alive connections.
const CLIENTS: usize = 10_000;

/// `--max-connections` for the test: the clients plus the probe and some
/// slack. The default (10,000, see SECURITY.md) would leave the probe's
/// connection waiting to be accepted once the clients hold every slot.
const MAX_CONNECTIONS: usize = CLIENTS + 100;

/// `--header-timeout` for the test (the default is 10 s): an idle
/// keep-alive connection waits for its next request head under this
/// timeout and is closed when it runs out (Node.js closes idle connections
/// after 5 s). On a busy two-core machine opening all the connections in a
/// debug build can take longer than the default, and the first ones must
/// still be open for their second request.
const HEADER_TIMEOUT_SECS: &str = "120";

/// Connections opened at a time (each sends its first request at once):
/// below the per-address budget of connections waiting on their client (a
/// tenth of `--max-connections`), since every client here shares 127.0.0.1.
const BATCH: usize = 500;

/// The probes' latency samples: p99 of [`PER_SAMPLE`] sequential requests,
/// [`SAMPLES`] pairs (the loaded server's and the quiet one's, in turn);
/// the median of the pairs' ratios is compared.
const SAMPLES: usize = 9;
const PER_SAMPLE: usize = 200;

/// How much slower the loaded server's p99 may be than the quiet one's.
const MAX_SLOWDOWN: f64 = 2.0;

/// File descriptors this process needs beyond the clients' sockets.
const FD_SLACK: u64 = 1024;

fn flow() -> String {
    json!([
        {"id": "t", "type": "tab", "label": "many clients"},
        {"id": "in", "type": "http in", "z": "t", "url": "/hello", "method": "get",
         "x": 1, "y": 1, "wires": [["out"]]},
        {"id": "out", "type": "http response", "z": "t", "x": 2, "y": 1, "wires": []}
    ])
    .to_string()
}

/// Raise this process's open-file soft limit to what the clients need (the
/// server, started afterwards, inherits it). `Err` says why it cannot be.
fn raise_fd_limit(needed: u64) -> Result<(), String> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err("getrlimit failed".into());
        }
        if limit.rlim_cur >= needed {
            return Ok(());
        }
        if limit.rlim_max < needed {
            return Err(format!(
                "the hard open-file limit is {}, {needed} are needed",
                limit.rlim_max
            ));
        }
        limit.rlim_cur = needed;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
            return Err("setrlimit failed".into());
        }
    }
    Ok(())
}

/// The resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// One `GET /hello` on a keep-alive connection: the status code, once the
/// whole answer (a `Content-Length` body) has been read.
async fn get(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<u16> {
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await?;
    buf.clear();
    let mut chunk = [0u8; 1024];
    let (head_end, length) = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before the answer",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or_else(|| io::Error::other(format!("no content-length in {head}")))?;
            break (end + 4, length);
        }
    };
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "body cut"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let status = std::str::from_utf8(&buf[9..12])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok(status)
}

/// The p99 of [`PER_SAMPLE`] sequential requests on `stream`.
async fn p99(stream: &mut TcpStream) -> Duration {
    let mut buf = Vec::new();
    let mut times = Vec::with_capacity(PER_SAMPLE);
    for _ in 0..PER_SAMPLE {
        let t = Instant::now();
        let status = get(stream, &mut buf).await.expect("probe request");
        times.push(t.elapsed());
        assert_eq!(status, 200, "probe answered {status}");
    }
    times.sort();
    times[PER_SAMPLE * 99 / 100 - 1]
}

/// [`SAMPLES`] p99s of `loaded` and `quiet` taken in turn (which goes
/// first alternates): the median p99 of each and the median of the pairs'
/// ratios (loaded / quiet).
async fn paired_p99(loaded: &mut TcpStream, quiet: &mut TcpStream) -> (Duration, Duration, f64) {
    let (mut ls, mut qs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..SAMPLES {
        let (l, q) = if i % 2 == 0 {
            let l = p99(loaded).await;
            (l, p99(quiet).await)
        } else {
            let q = p99(quiet).await;
            (p99(loaded).await, q)
        };
        ratios.push(l.as_secs_f64() / q.as_secs_f64());
        ls.push(l);
        qs.push(q);
    }
    ls.sort();
    qs.sort();
    ratios.sort_by(f64::total_cmp);
    (ls[SAMPLES / 2], qs[SAMPLES / 2], ratios[SAMPLES / 2])
}

/// Each of `conns` sends one request, [`BATCH`] at a time: how many were
/// not answered 200, with the first failure.
async fn request_all(conns: &mut [TcpStream]) -> (usize, Option<String>) {
    let mut failed = 0;
    let mut first = None;
    for batch in conns.chunks_mut(BATCH) {
        let answers = futures::future::join_all(batch.iter_mut().map(|s| async move {
            let mut buf = Vec::new();
            get(s, &mut buf).await
        }))
        .await;
        for a in answers {
            match a {
                Ok(200) => {}
                other => {
                    failed += 1;
                    first.get_or_insert_with(|| format!("{other:?}"));
                }
            }
        }
    }
    (failed, first)
}

/// Open [`CLIENTS`] connections, [`BATCH`] at a time, each sending its
/// first request at once (so it never counts as waiting on its client for
/// long): the connections, or the first failure.
async fn open_clients(addr: &str) -> Result<Vec<TcpStream>, String> {
    let mut conns = Vec::with_capacity(CLIENTS);
    while conns.len() < CLIENTS {
        let n = BATCH.min(CLIENTS - conns.len());
        let opened = futures::future::join_all((0..n).map(|_| async {
            let mut s = TcpStream::connect(addr).await?;
            let mut buf = Vec::new();
            let status = get(&mut s, &mut buf).await?;
            Ok::<_, io::Error>((s, status))
        }))
        .await;
        for o in opened {
            match o {
                Ok((s, 200)) => conns.push(s),
                Ok((_, status)) => return Err(format!("client {} answered {status}", conns.len())),
                Err(e) => return Err(format!("client {}: {e}", conns.len())),
            }
        }
    }
    Ok(conns)
}

/// A server for the test: the flow, with the connection limit and header
/// timeout above.
fn start_server() -> Server {
    let max_connections = MAX_CONNECTIONS.to_string();
    Server::start_with(
        &flow(),
        &[
            "--max-connections",
            &max_connections,
            "--header-timeout",
            HEADER_TIMEOUT_SECS,
        ],
        &[("RUST_LOG", "warn")],
    )
}

/// A keep-alive connection to `addr` that has been answered a few times.
async fn probe(addr: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("probe connects");
    s.set_nodelay(true).unwrap();
    let mut buf = Vec::new();
    for _ in 0..PER_SAMPLE {
        assert_eq!(get(&mut s, &mut buf).await.expect("warm-up"), 200);
    }
    s
}

#[test]
fn ten_thousand_keep_alive_clients_are_answered_without_slowing_another() {
    let _turn = crate::exclusive();
    if let Err(why) = raise_fd_limit(CLIENTS as u64 + FD_SLACK) {
        eprintln!("SKIPPED ten_thousand_keep_alive_clients: {why}");
        return;
    }
    let server = start_server();
    let quiet_server = start_server();
    let pid = server.child.id();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut loaded = probe(&server.addr).await;
        let mut quiet = probe(&quiet_server.addr).await;
        let (alone, _, before) = paired_p99(&mut loaded, &mut quiet).await;
        let rss_before = rss_kib(pid);

        let opening = Instant::now();
        let mut conns = open_clients(&server.addr).await.unwrap_or_else(|e| {
            panic!(
                "opening {CLIENTS} clients failed: {e}; logs:\n{}",
                server.logs()
            )
        });
        let opened_in = opening.elapsed();
        let rss_with = rss_kib(pid);

        let (beside, quiet_p99, slowdown) = paired_p99(&mut loaded, &mut quiet).await;

        let (failed, first) = request_all(&mut conns).await;
        assert_eq!(
            failed,
            0,
            "{failed} of {CLIENTS} keep-alive clients got no 200 on their second request \
             (first: {}); logs:\n{}",
            first.unwrap_or_default(),
            server.logs()
        );
        let rss_after = rss_kib(pid);
        let per_conn = rss_with.saturating_sub(rss_before) * 1024 / CLIENTS as u64;
        println!(
            "{CLIENTS} keep-alive clients opened and answered in {opened_in:.1?}; \
             server RSS {rss_before} KiB before, {rss_with} KiB with them connected \
             ({per_conn} bytes per connection), {rss_after} KiB after their second requests; \
             probe p99 (median of {SAMPLES} samples of {PER_SAMPLE} requests): \
             {alone:?} before they connected ({before:.2}x the quiet server's), \
             {beside:?} beside them against {quiet_p99:?} on the quiet server ({slowdown:.2}x)"
        );
        assert!(
            slowdown <= MAX_SLOWDOWN,
            "beside {CLIENTS} idle keep-alive connections the probe's p99 was {beside:?}, \
             {slowdown:.2}x the quiet server's {quiet_p99:?} (at most {MAX_SLOWDOWN}x)"
        );
        drop(conns);
    });
}

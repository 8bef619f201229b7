//! The loop guard under load: an unconditional synchronous loop (function →
//! function → back) gets its catchable error at the default hop limit, and
//! while such loops spin, another endpoint's p99 latency stays within twice
//! its idle p99, because the engine yields to the scheduler between hops.
//!
//! "Idle" here is flowgate with no loop in flight while the same CPU time is
//! taken outside it (one busy thread per spinning loop): on a small machine
//! shared with other work, any busy thread (a shell's `while :; do :; done`
//! as much as a spinning flow) doubles a loopback request's p99 by CPU
//! contention alone, which says nothing about the engine. What the engine
//! must not add is its own share: a dispatch that never yields would hold a
//! worker for the whole loop, and with as many loops as workers every other
//! request would wait for a loop to end. The truly quiet p99 is reported
//! beside the figures.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{client, Server};
use serde_json::{json, Value};

/// Rounds of a quiet block, a baseline block and a loaded block:
/// interleaving them keeps a change in the machine's other load from
/// landing on one side only.
const ROUNDS: usize = 8;

/// Requests measured per block.
const BLOCK: usize = 80;

/// The longest one block may take, whatever the machine.
const BLOCK_LIMIT: Duration = Duration::from_millis(600);

/// Loops spinning at once: as many as flowgate has workers on a 2-core
/// machine, so a dispatch that never yields would leave none free.
const PARALLEL: usize = 2;

fn start() -> Server {
    let func = |id: &str, body: &str, to: &str| json!({"id": id, "type": "function", "z": "t", "func": body, "outputs": 1, "x": 1, "y": 1, "wires": [[to]]});
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

/// Up to `BLOCK` back-to-back `/fast` requests on one keep-alive
/// connection (fewer when `BLOCK_LIMIT` passes), each answer checked: their
/// latencies. A plain socket rather than an HTTP client library, so the
/// figure is the server's time and not the client's thread hand-offs.
fn measure(conn: &mut BufReader<TcpStream>, into: &mut Vec<Duration>) {
    let started = Instant::now();
    for n in 0..BLOCK {
        if started.elapsed() > BLOCK_LIMIT {
            break;
        }
        let t = Instant::now();
        let body = get(conn, &format!("/fast?n={n}"));
        into.push(t.elapsed());
        assert_eq!(
            serde_json::from_slice::<Value>(&body).unwrap(),
            json!({"n": n * 2})
        );
    }
}

/// One `GET` on a keep-alive connection: the 200 answer's body.
fn get(conn: &mut BufReader<TcpStream>, path: &str) -> Vec<u8> {
    write!(
        conn.get_mut(),
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    .unwrap();
    let mut line = String::new();
    conn.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    let mut length = None;
    loop {
        line.clear();
        conn.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.trim().parse::<usize>().unwrap());
            }
        }
    }
    let mut body = vec![0; length.expect("content-length")];
    conn.read_exact(&mut body).unwrap();
    body
}

fn p99(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[(samples.len() * 99 / 100).min(samples.len() - 1)]
}

/// Sends `/spin` back to back while `spin` is set, counting the requests
/// out in `busy`. Each answer must be the loop's error.
fn spinner(
    s: &Server,
    spin: Arc<AtomicBool>,
    busy: Arc<AtomicUsize>,
    done: Arc<AtomicBool>,
    spins: Arc<AtomicUsize>,
) -> std::thread::JoinHandle<()> {
    let url = s.url("/spin");
    std::thread::spawn(move || {
        let c = client();
        while !done.load(Ordering::Relaxed) {
            if !spin.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
            busy.fetch_add(1, Ordering::Relaxed);
            let r = c.get(&url).send().unwrap();
            assert_eq!(r.status(), 200);
            busy.fetch_sub(1, Ordering::Relaxed);
            spins.fetch_add(1, Ordering::Relaxed);
        }
    })
}

/// `PARALLEL` threads busy outside flowgate until `stop` is set: the CPU a
/// spinning loop takes, without the engine.
fn busy_threads(stop: &Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<()>> {
    (0..PARALLEL)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut x = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
                }
            })
        })
        .collect()
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

    let stream = TcpStream::connect(&s.addr).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut conn = BufReader::new(stream);
    measure(&mut conn, &mut Vec::new());
    let (spin, done) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (busy, spins) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let spinners: Vec<_> = (0..PARALLEL)
        .map(|_| spinner(&s, spin.clone(), busy.clone(), done.clone(), spins.clone()))
        .collect();
    let (mut quiet, mut idle, mut loaded) = (Vec::new(), Vec::new(), Vec::new());
    let wait = |until: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !until() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    for _ in 0..ROUNDS {
        // Quiet, then idle beside busy threads: no loop in flight.
        spin.store(false, Ordering::Relaxed);
        wait(&|| busy.load(Ordering::Relaxed) == 0);
        measure(&mut conn, &mut quiet);
        let stop = Arc::new(AtomicBool::new(false));
        let hogs = busy_threads(&stop);
        measure(&mut conn, &mut idle);
        stop.store(true, Ordering::Relaxed);
        hogs.into_iter().for_each(|h| h.join().unwrap());
        // Loaded: loops spinning all along.
        spin.store(true, Ordering::Relaxed);
        wait(&|| busy.load(Ordering::Relaxed) == PARALLEL);
        measure(&mut conn, &mut loaded);
    }
    done.store(true, Ordering::Relaxed);
    spinners.into_iter().for_each(|t| t.join().unwrap());
    let spun = spins.load(Ordering::Relaxed);
    let counts = (quiet.len(), idle.len(), loaded.len());
    let (quiet, idle, loaded) = (p99(quiet), p99(idle), p99(loaded));
    eprintln!(
        "loop guard: one loop to its error {one_loop:?}; /fast p99 quiet {quiet:?}, \
         beside {PARALLEL} busy threads {idle:?}, while {PARALLEL} loops spun {loaded:?} \
         ({spun} loops, {counts:?} requests)"
    );
    assert!(counts.2 >= ROUNDS * BLOCK / 2, "only {counts:?} requests");
    assert!(spun >= ROUNDS * PARALLEL, "the loops did not spin ({spun})");
    assert!(
        loaded <= idle * 2,
        "/fast p99 {loaded:?} while loops spun, idle p99 {idle:?} (quiet {quiet:?})"
    );
}

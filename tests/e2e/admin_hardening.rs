//! Admin API and editor hardening, against the real binary: failed
//! authentication backs off only the address it came from, `--insecure-admin`
//! keeps the Host check (`--admin-any-host` lifts it), and every admin and
//! editor answer carries the anti-framing, no-sniffing and CSP headers.

use crate::common;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::common::Server;
use reqwest::blocking::{Client, Response};
use serde_json::{json, Value};

const TOKEN: &str = "hardening-admin-token-0123456789";

/// Wrong credentials an address may present before it is backed off (the
/// rule documented in SECURITY.md).
const FREE_FAILURES: usize = 10;

fn flow() -> String {
    json!([
        {"id": "tab1", "type": "tab", "label": "Flow 1"},
        {"id": "in1", "type": "http in", "z": "tab1", "url": "/hello", "method": "get",
         "wires": [["out1"]]},
        {"id": "out1", "type": "http response", "z": "tab1", "wires": []}
    ])
    .to_string()
}

fn with_token() -> Server {
    Server::start_with(&flow(), &["--admin-token", TOKEN], &[])
}

/// A client whose connections come from `source` (any 127.x address works
/// on loopback).
fn client_from(source: &str) -> Client {
    Client::builder()
        .local_address(source.parse::<IpAddr>().unwrap())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn retry_after(r: &Response) -> u64 {
    r.headers()
        .get("retry-after")
        .expect("429 carries Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn login(c: &Client, s: &Server, password: &str) -> Response {
    c.post(s.url("/auth/token"))
        .form(&[
            ("client_id", "node-red-admin"),
            ("grant_type", "password"),
            ("scope", "*"),
            ("username", "admin"),
            ("password", password),
        ])
        .send()
        .unwrap()
}

fn guess(c: &Client, s: &Server) -> Response {
    c.get(s.url("/flows"))
        .bearer_auth("not-the-token")
        .send()
        .unwrap()
}

#[test]
fn bearer_guessing_is_backed_off_per_address_with_growing_waits() {
    let s = with_token();
    let attacker = client_from("127.0.0.2");
    let admin = client_from("127.0.0.1");
    for i in 0..FREE_FAILURES {
        assert_eq!(guess(&attacker, &s).status(), 401, "guess {i}");
    }
    let mut waits = Vec::new();
    for round in 0..3 {
        let r = guess(&attacker, &s);
        assert_eq!(r.status(), 429, "round {round}");
        assert_eq!(r.json::<Value>().unwrap()["code"], "too_many_attempts");
        let r = guess(&attacker, &s);
        assert_eq!(r.status(), 429);
        waits.push(retry_after(&r));
        // The right token from another address is served at once.
        let r = admin
            .get(s.url("/flows"))
            .bearer_auth(TOKEN)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "round {round}");
        // While backed off, even the right token is not looked at.
        let r = attacker
            .get(s.url("/flows"))
            .bearer_auth(TOKEN)
            .send()
            .unwrap();
        assert_eq!(r.status(), 429);
        if round < 2 {
            std::thread::sleep(Duration::from_millis(waits[round] * 1000 + 100));
            assert_eq!(guess(&attacker, &s).status(), 401, "checked after the wait");
        }
    }
    assert_eq!(waits, [1, 2, 4], "the wait doubles with each failure");
    assert!(s.logs().contains("127.0.0.2"), "{}", s.logs());
    assert!(!s.logs().contains(TOKEN));
}

#[test]
fn login_guessing_is_backed_off_per_address_without_locking_out_the_admin() {
    let s = with_token();
    let attacker = client_from("127.0.0.2");
    let admin = client_from("127.0.0.1");
    for i in 0..FREE_FAILURES {
        let r = login(&attacker, &s, "wrong-password");
        assert_eq!(r.status(), 403, "attempt {i}");
        assert_eq!(r.json::<Value>().unwrap()["error"], "invalid_grant");
    }
    let r = login(&attacker, &s, "wrong-password");
    assert_eq!(r.status(), 429);
    assert_eq!(retry_after(&r), 1);
    assert_eq!(r.json::<Value>().unwrap()["error"], "too_many_attempts");
    let r = login(&admin, &s, TOKEN);
    assert_eq!(r.status(), 200, "another address logs in at once");
    assert_eq!(r.json::<Value>().unwrap()["token_type"], "Bearer");
    // Logins and bearer checks share the count: the address is backed off
    // on the API too.
    assert_eq!(guess(&attacker, &s).status(), 429);
}

#[test]
fn guesses_per_time_are_bounded_by_count() {
    let s = with_token();
    let attacker = client_from("127.0.0.3");
    let attempts = 60;
    let start = Instant::now();
    let mut checked = 0usize;
    let mut refused = 0usize;
    for _ in 0..attempts {
        match guess(&attacker, &s).status().as_u16() {
            401 => checked += 1,
            429 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    // After the free failures the k-th further guess can come no sooner than
    // 2^k - 1 seconds later: at most log2(elapsed + 1) more were checked.
    let bound = FREE_FAILURES + (elapsed + 1.0).log2().floor() as usize;
    assert!(checked >= FREE_FAILURES, "{checked}");
    assert!(
        checked <= bound,
        "{checked} guesses checked in {elapsed:.2} s (bound {bound})"
    );
    assert_eq!(checked + refused, attempts);
}

#[test]
fn failed_comms_authentication_backs_the_address_off() {
    use tungstenite::{connect, Message};
    let s = with_token();
    let url = format!("ws://{}/comms", s.addr);
    for i in 0..FREE_FAILURES {
        let (mut ws, _) = connect(&url).unwrap_or_else(|e| panic!("connect {i}: {e}"));
        ws.send(Message::text(json!({"auth": "wrong"}).to_string()))
            .unwrap();
        let reply = loop {
            match ws.read().unwrap() {
                Message::Text(t) => break serde_json::from_str::<Value>(t.as_str()).unwrap(),
                Message::Close(_) => break Value::Null,
                _ => {}
            }
        };
        assert_eq!(reply, json!({"auth": "fail"}));
    }
    match connect(&url) {
        Err(tungstenite::Error::Http(r)) => {
            assert_eq!(r.status(), 429);
            assert!(r.headers().contains_key("retry-after"));
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a backed-off address opened /comms"),
    }
}

#[test]
fn insecure_admin_keeps_the_host_check_and_warns() {
    let s = Server::start_with(&flow(), &["--insecure-admin"], &[]);
    let port = s.addr.rsplit(':').next().unwrap().to_owned();
    let r = common::client()
        .get(s.url("/flows"))
        .header("Host", format!("evil.example:{port}"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().unwrap()["code"], "forbidden_host");
    let r = common::client()
        .post(s.url("/flows"))
        .header("Host", format!("evil.example:{port}"))
        .json(&json!([]))
        .send()
        .unwrap();
    assert_eq!(r.status(), 403, "no deploy through a rebound name");
    let r = common::client().get(s.url("/flows")).send().unwrap();
    assert_eq!(r.status(), 200);
    let logs = s.logs();
    assert!(
        logs.contains("WARN") && logs.contains("--insecure-admin: the admin API needs no token"),
        "{logs}"
    );
}

#[test]
fn admin_any_host_lifts_the_host_check_and_warns() {
    let s = Server::start_with(&flow(), &["--admin-any-host"], &[]);
    let port = s.addr.rsplit(':').next().unwrap().to_owned();
    let r = common::client()
        .get(s.url("/flows"))
        .header("Host", format!("evil.example:{port}"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let logs = s.logs();
    assert!(
        logs.contains("WARN") && logs.contains("--admin-any-host: the admin API answers"),
        "{logs}"
    );
}

fn assert_security_headers(r: &Response, what: &str) {
    let h = r.headers();
    let get = |name: &str| {
        h.get(name)
            .unwrap_or_else(|| panic!("{what}: no {name} ({h:?})"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    let csp = get("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
}

#[test]
fn admin_and_editor_answers_carry_security_headers() {
    let s = with_token();
    let c = common::client();
    let cases = [
        ("editor page", c.get(s.url("/")), 200),
        ("editor script", c.get(s.url("/editor/js/main.js")), 200),
        (
            "editor stylesheet",
            c.get(s.url("/editor/css/editor.css")),
            200,
        ),
        ("flows without auth", c.get(s.url("/flows")), 401),
        (
            "flows with auth",
            c.get(s.url("/flows")).bearer_auth(TOKEN),
            200,
        ),
        (
            "unknown editor file",
            c.get(s.url("/editor/missing.js")),
            404,
        ),
        (
            "unknown flow",
            c.get(s.url("/flow/missing")).bearer_auth(TOKEN),
            404,
        ),
        (
            "cross-site deploy",
            c.post(s.url("/flows"))
                .bearer_auth(TOKEN)
                .header("Origin", "http://evil.example")
                .json(&json!([])),
            403,
        ),
        ("login scheme", c.get(s.url("/auth/login")), 200),
    ];
    for (what, req, status) in cases {
        let r = req.send().unwrap();
        assert_eq!(r.status(), status, "{what}");
        assert_security_headers(&r, what);
    }
    // The editor's policy still lets it run its own scripts and reach the
    // API and /comms on its origin.
    let r = c.get(s.url("/")).send().unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    for directive in ["script-src 'self'", "connect-src 'self'"] {
        assert!(csp.contains(directive), "{csp}");
    }
    // A backed-off client's 429 too.
    let attacker = client_from("127.0.0.4");
    for _ in 0..FREE_FAILURES {
        guess(&attacker, &s);
    }
    let r = guess(&attacker, &s);
    assert_eq!(r.status(), 429);
    assert_security_headers(&r, "429");
    // The flows' own endpoints are left alone.
    let r = c.get(s.url("/hello")).send().unwrap();
    assert!(r.headers().get("x-frame-options").is_none());
}

#[test]
fn not_found_answers_do_not_repeat_the_path() {
    let marker = "zq9marker";
    let s = Server::start_with(&flow(), &["--admin-root", "/admin"], &[]);
    let c = common::client();
    for path in [
        format!("/admin/{marker}"),
        format!("/admin/flows/{marker}"),
        format!("/admin/editor/{marker}.js"),
        format!("/admin/flow/{marker}"),
    ] {
        let r = c.get(s.url(&path)).send().unwrap();
        assert_eq!(r.status(), 404, "{path}");
        assert_security_headers(&r, &path);
        let body = r.text().unwrap();
        assert!(!body.contains(marker), "{path}: {body}");
    }
    // Outside the admin root, a flow path's 404 stays Express's page.
    let r = c.get(s.url(&format!("/{marker}"))).send().unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().unwrap().contains(&format!("Cannot GET /{marker}")));
}

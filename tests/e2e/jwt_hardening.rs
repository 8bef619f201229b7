//! Hardening of the JWT nodes, against the real binary: key file paths that
//! are not regular files, RFC 6750 answers for a missing token and a missing
//! scope, the JWKS path kept from flows while a config publishes keys, the
//! warning for configs that accept tokens without expiry, and token text
//! that cannot forge log lines.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::{binary, client, Server};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

const SECRET: &str = "hardening-shared-secret-0123456789abcdef";

/// Address space the binary may use in the key file tests: far above what it
/// needs, and a bound on what reading `/dev/zero` to its end could take.
const ADDRESS_SPACE: libc::rlim_t = 2 << 30;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn flow(mut nodes: Vec<Value>) -> Value {
    nodes.insert(0, json!({"id": "tab", "type": "tab", "label": "hardening"}));
    Value::Array(nodes)
}

fn http_in(id: &str, method: &str, url: &str, next: &str) -> Value {
    json!({"id": id, "type": "http in", "z": "tab", "url": url, "method": method, "x": 1, "y": 1, "wires": [[next]]})
}

fn response(id: &str) -> Value {
    json!({"id": id, "type": "http response", "z": "tab", "statusCode": "", "headers": {}, "x": 1, "y": 1, "wires": []})
}

fn verify(id: &str, config: &str, outputs: usize) -> Value {
    let wires: Vec<Value> = (0..outputs).map(|_| json!(["out"])).collect();
    json!({"id": id, "type": "jwt", "z": "tab", "jwtconfig": config, "generatejwt": "false",
           "outputs": outputs, "x": 1, "y": 1, "wires": wires})
}

/// A contrib `jwt sign` answering `POST /sign` with an HS256 token.
fn serving_nodes() -> Vec<Value> {
    vec![
        http_in("in-sign", "post", "/sign", "sign"),
        json!({"id": "sign", "type": "jwt sign", "z": "tab", "alg": "HS256", "exp": 60, "secret": SECRET,
               "signvar": "payload", "storetoken": "payload", "x": 1, "y": 1, "wires": [["out"]]}),
        response("out"),
    ]
}

/// An RS256 contrib `jwt sign` whose key file is `path`.
fn key_file_signer(path: &str) -> Vec<Value> {
    vec![
        http_in("in-rs", "post", "/rs", "rs-sign"),
        json!({"id": "rs-sign", "type": "jwt sign", "z": "tab", "alg": "RS256", "exp": 60, "key": path,
               "signvar": "payload", "storetoken": "payload", "x": 1, "y": 1, "wires": [["out"]]}),
    ]
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap()
}

/// Start `flow` with the address space bounded (so a regression cannot eat
/// the machine) and `RUST_LOG` as given.
fn start_bounded(flow: &Value, log: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(&path, flow.to_string()).unwrap();
    Server::start_configured(dir, path, &[], &[("RUST_LOG", log)], |cmd| unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: ADDRESS_SPACE,
                rlim_max: ADDRESS_SPACE,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    })
}

fn start(flow: &Value) -> Server {
    start_bounded(flow, "info")
}

fn deploy(s: &Server, flow: &Value) -> reqwest::blocking::Response {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
        .post(s.url("/flows"))
        .header("Content-Type", "application/json")
        .body(flow.to_string())
        .send()
        .expect("the deploy is answered within 10 s")
}

/// The problems of a refused deploy as one text.
fn refused(resp: reqwest::blocking::Response) -> String {
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().unwrap();
    body["problems"].to_string()
}

fn sign_works(s: &Server) {
    let r = client()
        .post(s.url("/sign"))
        .json(&json!({"sub": "a"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap().split('.').count(), 3);
}

fn hs(claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

fn www_authenticate(r: &reqwest::blocking::Response) -> Option<String> {
    r.headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
}

// ------------------------------------------------------------- key files

#[test]
fn a_device_as_key_file_is_refused_at_deploy_and_the_flows_keep_serving() {
    let s = start(&flow(serving_nodes()));
    sign_works(&s);
    let before = rss_kib(s.child.id());

    let mut nodes = serving_nodes();
    nodes.extend(key_file_signer("/dev/zero"));
    let started = Instant::now();
    let problems = refused(deploy(&s, &flow(nodes)));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "refused after {took:?}");
    assert!(problems.contains(r#""node":"rs-sign""#), "{problems}");
    assert!(problems.contains(r#""field":"key""#), "{problems}");
    assert!(
        problems.contains("/dev/zero is a character device, not a regular file"),
        "{problems}"
    );
    let after = rss_kib(s.child.id());
    assert!(
        after < before + 20 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    sign_works(&s);
}

/// Run `flowgate run <flows>` (bounded in memory and time): (exit code, stderr).
fn run_to_exit(flows: &Path) -> (Option<i32>, String) {
    let mut cmd = Command::new(binary());
    cmd.arg("run")
        .arg(flows)
        .args(["--host", "127.0.0.1", "--port", "0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: ADDRESS_SPACE,
                rlim_max: ADDRESS_SPACE,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let started = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    (code, err)
}

#[test]
fn a_flows_file_naming_a_device_or_fifo_as_key_file_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("key.pem");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    for (path, kind) in [
        ("/dev/zero", "a character device"),
        (fifo.to_str().unwrap(), "a FIFO"),
    ] {
        let flows = dir.path().join("flows.json");
        let mut nodes = key_file_signer(path);
        nodes.push(response("out"));
        std::fs::write(&flows, flow(nodes).to_string()).unwrap();
        let started = Instant::now();
        let (code, err) = run_to_exit(&flows);
        assert_eq!(code, Some(1), "{path}: {err}");
        assert!(started.elapsed() < Duration::from_secs(5), "{path}");
        assert!(
            err.contains("node rs-sign (jwt sign) field `key`")
                && err.contains(&format!("{path} is {kind}, not a regular file")),
            "{err}"
        );
    }
}

// --------------------------------------------------------------- RFC 6750

/// `/ignite` and `/ignite2` (one and two outputs) need scope `admin`;
/// `/contrib` is a contrib `jwt verify`.
fn scoped_flow() -> Value {
    flow(vec![
        json!({"id": "cfg", "type": "jwt-config", "name": "api", "algorithm": "HS256", "scope": "admin", "requiredclaims": ["exp"]}),
        http_in("in1", "get", "/ignite", "v1"),
        verify("v1", "cfg", 1),
        http_in("in2", "get", "/ignite2", "v2"),
        verify("v2", "cfg", 2),
        http_in("in3", "get", "/contrib", "cv"),
        json!({"id": "cv", "type": "jwt verify", "z": "tab", "alg": ["HS256"], "secret": SECRET,
               "signvar": "bearer", "storetoken": "payload", "x": 1, "y": 1, "wires": [["out"]]}),
        response("out"),
    ])
}

fn start_scoped() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(&path, scoped_flow().to_string()).unwrap();
    std::fs::write(
        dir.path().join("flows_cred.json"),
        json!({"cfg": {"secret": SECRET}}).to_string(),
    )
    .unwrap();
    Server::start_in(dir, path, &[], &[])
}

#[test]
fn a_request_without_a_token_gets_a_bare_bearer_challenge() {
    let s = start_scoped();
    for path in ["/ignite", "/ignite2", "/contrib"] {
        let r = client().get(s.url(path)).send().unwrap();
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(www_authenticate(&r).as_deref(), Some("Bearer"), "{path}");
    }
    let r = client().get(s.url("/ignite2")).send().unwrap();
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"error_description": "token missing"})
    );
    // A bad token is still invalid_token.
    let r = client()
        .get(s.url("/ignite"))
        .bearer_auth("not-a-token")
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(www_authenticate(&r)
        .unwrap()
        .starts_with("Bearer error=\"invalid_token\""));
}

#[test]
fn a_valid_token_without_the_scope_gets_403_insufficient_scope() {
    let s = start_scoped();
    let without = hs(&json!({"sub": "a", "scope": "read", "exp": now() + 600}));
    let expected =
        "Bearer error=\"insufficient_scope\", error_description=\"missing scope: admin\", scope=\"admin\"";
    for path in ["/ignite", "/ignite2"] {
        let r = client()
            .get(s.url(path))
            .bearer_auth(&without)
            .send()
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
        assert_eq!(www_authenticate(&r).as_deref(), Some(expected), "{path}");
    }
    let r = client()
        .get(s.url("/ignite2"))
        .bearer_auth(&without)
        .send()
        .unwrap();
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"error": "insufficient_scope", "error_description": "missing scope: admin"})
    );
    let with = hs(&json!({"sub": "a", "scope": "read admin", "exp": now() + 600}));
    let r = client()
        .get(s.url("/ignite"))
        .bearer_auth(&with)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
}

// ------------------------------------------------------------- JWKS path

fn jwks_flow(publish: bool) -> Value {
    flow(vec![
        json!({"id": "pub", "type": "jwt-config", "name": "keys", "algorithm": "ES256", "publishjwks": publish}),
        http_in("own-jwks", "get", "/.well-known/jwks.json", "out"),
        response("out"),
    ])
}

#[test]
fn a_flow_cannot_take_over_the_jwks_path_of_a_publishing_config() {
    let s = start(&flow(serving_nodes()));
    let problems = refused(deploy(&s, &jwks_flow(true)));
    assert!(problems.contains(r#""node":"own-jwks""#), "{problems}");
    assert!(
        problems.contains("GET /.well-known/jwks.json is served by jwt-config node pub"),
        "{problems}"
    );
    sign_works(&s);

    // Without a publishing config the flow may use the path.
    assert_eq!(deploy(&s, &jwks_flow(false)).status(), 204);
    let r = client()
        .get(s.url("/.well-known/jwks.json?mine=1"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap(), json!({"mine": "1"}));
}

// ---------------------------------------------------------------- expiry

#[test]
fn a_verifying_config_without_required_exp_warns_at_load() {
    let nodes = |required: Value| {
        flow(vec![
            json!({"id": "loose", "type": "jwt-config", "name": "loose", "algorithm": "HS256", "requiredclaims": required}),
            http_in("in1", "get", "/v", "check"),
            verify("check", "loose", 1),
            response("out"),
        ])
    };
    let s = start(&nodes(json!(["sub"])));
    let warned = |s: &Server| {
        s.logs().lines().any(|l| {
            l.contains("WARN")
                && l.contains("jwt-config \"loose\" (loose)")
                && l.contains("tokens without an expiry are accepted")
                && l.contains("jwt node check")
        })
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while !warned(&s) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(warned(&s), "{}", s.logs());

    let strict = start(&nodes(json!(["sub", "exp"])));
    std::thread::sleep(Duration::from_millis(300));
    assert!(!warned(&strict), "{}", strict.logs());
}

// ----------------------------------------------------------- log lines

#[test]
fn control_characters_in_a_token_header_do_not_forge_log_lines() {
    let s = start_bounded(&scoped_flow(), "trace");
    let header =
        URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256\nFAKE LOG LINE","typ":"JWT\r\nFAKE TYP"}"#);
    let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"a"}"#);
    let token = format!("{header}.{payload}.c2ln");
    let r = client()
        .get(s.url("/ignite"))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().unwrap();
    assert_eq!(
        body["error"],
        "algorithm HS256\\nFAKE LOG LINE is not allowed (expected HS256)"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while !s.logs().contains("FAKE LOG LINE") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let logs = s.logs();
    assert!(logs.contains(r"HS256\nFAKE LOG LINE"), "{logs}");
    assert!(
        !logs.lines().any(|l| l.trim_start().starts_with("FAKE")),
        "{logs}"
    );
}

//! Secrets never leave where they belong: the binary runs at `RUST_LOG=trace`
//! with known test secrets (a JWT HMAC secret and an RSA private key in the
//! credentials, an admin token, an `http request` basic-auth password and
//! `FLOWGATE_CREDENTIAL_SECRET`) through a representative set of operations,
//! successes and failures: deploys with credentials from the editor API,
//! token generation and verification, outbound requests with basic auth, the
//! editor's token console, `GET /flows`, `/credentials`, `/settings`,
//! `/nodes`, the `/comms` debug stream, wrong admin tokens, invalid keys,
//! broken deploys and shutdown. Every log line, response header and body is
//! scanned for every secret; the flows file after the deploy holds none, the
//! credentials file is encrypted and mode 0600.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{client, run_cli, Server};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

const ADMIN_TOKEN: &str = "admin-token-SECRET-4f1c2b7e9d0a";
const CREDENTIAL_SECRET: &str = "credential-key-SECRET-8e3d5a1f";
const HS_SECRET: &str = "jwt-hmac-SECRET-2b9e7c4d1a6f3e8b";
const BASIC_USER: &str = "svc-user";
const BASIC_PASSWORD: &str = "basic-auth-SECRET-7a2c9e4b";
const BAD_KEY_BODY: &str = "bm90LWEta2V5LVNFQ1JFVC1ib2R5LWxpbmU";

/// Everything the tests saw from the server: (what, text).
#[derive(Default, Clone)]
struct Transcript(Arc<Mutex<Vec<(String, String)>>>);

impl Transcript {
    fn add(&self, what: impl Into<String>, text: impl Into<String>) {
        self.0.lock().unwrap().push((what.into(), text.into()));
    }

    /// Send `req`, record status, headers and body, return (status, body).
    fn send(&self, what: &str, req: reqwest::blocking::RequestBuilder) -> (u16, String) {
        let r = req.send().unwrap();
        let status = r.status().as_u16();
        let headers = format!("{:?}", r.headers());
        let body = r.text().unwrap();
        self.add(what, format!("{status} {headers} {body}"));
        (status, body)
    }
}

/// Secrets and the forms they could leak in.
fn secrets(rsa_private: &str) -> Vec<(String, String)> {
    let mut s: Vec<(String, String)> = [
        ("admin token", ADMIN_TOKEN),
        ("credential secret", CREDENTIAL_SECRET),
        ("HS secret", HS_SECRET),
        ("basic-auth password", BASIC_PASSWORD),
        ("invalid key text", BAD_KEY_BODY),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    s.push((
        "basic-auth header".into(),
        STANDARD.encode(format!("{BASIC_USER}:{BASIC_PASSWORD}")),
    ));
    // Each base64 line of the private key (any of them would be a leak).
    for (i, line) in rsa_private
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 40)
        .enumerate()
    {
        s.push((format!("RSA private key line {i}"), line.to_owned()));
    }
    s
}

/// Records the requests flowgate's `http request` node makes.
fn upstream() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                head.push_str(&line);
            }
            seen2.lock().unwrap().push(head);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
            );
        }
    });
    (url, seen)
}

fn the_flow(upstream: &str, rsa_private: &str) -> Value {
    json!([
        {"id": "tab", "type": "tab", "label": "secrets"},
        {"id": "hs", "type": "jwt-config", "name": "hs", "algorithm": "HS256", "expiresin": 600,
         "credentials": {"secret": HS_SECRET}},
        {"id": "rs", "type": "jwt-config", "name": "rs", "algorithm": "RS256", "publishjwks": true,
         "credentials": {"privatekey": rsa_private}},
        {"id": "gi", "type": "http in", "z": "tab", "url": "/gen", "method": "get", "x": 1, "y": 1, "wires": [["gf"]]},
        {"id": "gf", "type": "function", "z": "tab", "func": "msg.payload = {sub: 'ann'};\nreturn msg;", "x": 2, "y": 1, "wires": [["gj"]]},
        {"id": "gj", "type": "jwt", "z": "tab", "jwtconfig": "hs", "generatejwt": "true", "x": 3, "y": 1, "wires": [["dbg", "out"]]},
        {"id": "ri", "type": "http in", "z": "tab", "url": "/gen-rs", "method": "get", "x": 1, "y": 2, "wires": [["rf"]]},
        {"id": "rf", "type": "function", "z": "tab", "func": "msg.payload = {sub: 'bob'};\nreturn msg;", "x": 2, "y": 2, "wires": [["rj"]]},
        {"id": "rj", "type": "jwt", "z": "tab", "jwtconfig": "rs", "generatejwt": "true", "x": 3, "y": 2, "wires": [["out"]]},
        {"id": "vi", "type": "http in", "z": "tab", "url": "/check", "method": "get", "x": 1, "y": 3, "wires": [["vj"]]},
        {"id": "vj", "type": "jwt", "z": "tab", "jwtconfig": "hs", "generatejwt": "false", "x": 2, "y": 3, "wires": [["dbg", "out"]]},
        {"id": "ui", "type": "http in", "z": "tab", "url": "/upstream", "method": "get", "x": 1, "y": 4, "wires": [["req"]]},
        {"id": "req", "type": "http request", "z": "tab", "method": "GET", "ret": "txt", "url": format!("{upstream}/data"),
         "authType": "basic", "x": 2, "y": 4, "wires": [["dbg", "out"]],
         "credentials": {"user": BASIC_USER, "password": BASIC_PASSWORD}},
        {"id": "dbg", "type": "debug", "z": "tab", "active": true, "tosidebar": true, "console": true,
         "complete": "true", "x": 4, "y": 1, "wires": []},
        {"id": "out", "type": "http response", "z": "tab", "x": 4, "y": 2, "wires": []}
    ])
}

fn admin(req: reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder {
    req.bearer_auth(ADMIN_TOKEN)
}

#[test]
fn secrets_stay_out_of_logs_answers_and_the_flows_file() {
    let (code, keys, _) = run_cli(&["keygen", "--alg", "RS256"]);
    assert_eq!(code, 0);
    let rsa_private = keys[..keys.find("-----BEGIN PUBLIC KEY-----").unwrap()].to_owned();
    let (upstream_url, upstream_seen) = upstream();
    let t = Transcript::default();

    // Start with an empty flow; everything arrives by a deploy from the editor API.
    let dir = tempfile::tempdir().unwrap();
    let flows_path = dir.path().join("flows.json");
    std::fs::write(&flows_path, "[]").unwrap();
    let mut s = Server::start_configured(
        tempfile::tempdir().unwrap(),
        flows_path.clone(),
        &[],
        &[
            ("FLOWGATE_ADMIN_TOKEN", ADMIN_TOKEN),
            ("FLOWGATE_CREDENTIAL_SECRET", CREDENTIAL_SECRET),
        ],
        |cmd| {
            cmd.env("RUST_LOG", "trace");
        },
    );
    let c = client();

    // Wrong admin tokens, then the login flow with the right one.
    t.send("no token", c.get(s.url("/flows")));
    t.send(
        "wrong token",
        c.get(s.url("/flows")).bearer_auth("wrong-token-0000"),
    );
    t.send("login scheme", c.get(s.url("/auth/login")));
    let (status, body) = t.send(
        "auth token",
        c.post(s.url("/auth/token")).form(&[
            ("client_id", "node-red-editor"),
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", ADMIN_TOKEN),
        ]),
    );
    assert_eq!(status, 200, "{body}");
    let session: Value = serde_json::from_str(&body).unwrap();
    let session = session["access_token"].as_str().unwrap().to_owned();
    t.send(
        "auth token wrong password",
        c.post(s.url("/auth/token")).form(&[
            ("client_id", "node-red-editor"),
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", "not-the-token"),
        ]),
    );

    // Editor-style deploys: a broken one carrying the secrets, one with a
    // key that does not parse, then the real one.
    let mut broken = the_flow(&upstream_url, &rsa_private);
    broken
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "gi", "type": "nonexistent"}));
    let (status, _) = t.send(
        "broken deploy",
        admin(c.post(s.url("/flows"))).json(&broken),
    );
    assert_eq!(status, 400);
    let mut bad_key = the_flow(&upstream_url, &rsa_private);
    bad_key[2]["credentials"]["privatekey"] = json!(format!(
        "-----BEGIN PRIVATE KEY-----\n{BAD_KEY_BODY}\n-----END PRIVATE KEY-----\n"
    ));
    let (status, _) = t.send(
        "bad key deploy",
        admin(c.post(s.url("/flows"))).json(&bad_key),
    );
    assert_eq!(status, 400);
    let mut bad_secret = the_flow(&upstream_url, &rsa_private);
    bad_secret[1]["credentials"]["secret"] = json!({"nested": HS_SECRET});
    t.send(
        "bad secret type deploy",
        admin(c.post(s.url("/flows"))).json(&bad_secret),
    );
    let (status, body) = t.send(
        "deploy",
        admin(c.post(s.url("/flows")))
            .header("Node-RED-API-Version", "v2")
            .json(&json!({"flows": the_flow(&upstream_url, &rsa_private)})),
    );
    assert_eq!(status, 200, "{body}");

    // The debug stream, subscribed before the flows run.
    let ws_url = format!("ws://{}/comms", s.addr);
    let (mut ws, _) = tungstenite::connect(&ws_url).unwrap();
    if let tungstenite::stream::MaybeTlsStream::Plain(tcp) = ws.get_ref() {
        tcp.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
    }
    ws.send(tungstenite::Message::text(
        json!({"auth": session}).to_string(),
    ))
    .unwrap();
    for topic in ["debug", "status/#", "notification/#"] {
        ws.send(tungstenite::Message::text(
            json!({"subscribe": topic}).to_string(),
        ))
        .unwrap();
    }

    // Flow traffic: tokens made and checked, good and bad, an outbound
    // request with basic auth.
    let (status, token) = t.send("generate", c.get(s.url("/gen")));
    assert_eq!(status, 200);
    let (status, _) = t.send("generate rs", c.get(s.url("/gen-rs")));
    assert_eq!(status, 200);
    let (status, _) = t.send("verify", c.get(s.url("/check")).bearer_auth(&token));
    assert_eq!(status, 200);
    t.send(
        "verify tampered",
        c.get(s.url("/check")).bearer_auth(format!("{token}x")),
    );
    t.send("verify missing", c.get(s.url("/check")));
    t.send(
        "verify none",
        c.get(s.url("/check"))
            .bearer_auth("eyJhbGciOiJub25lIn0.e30."),
    );
    let (status, body) = t.send("upstream", c.get(s.url("/upstream")));
    assert_eq!((status, body.as_str()), (200, "ok"));
    let sent = upstream_seen.lock().unwrap().join("\n");
    let expected_auth = STANDARD.encode(format!("{BASIC_USER}:{BASIC_PASSWORD}"));
    assert!(
        sent.to_ascii_lowercase().contains(&format!(
            "authorization: basic {}",
            expected_auth.to_ascii_lowercase()
        )),
        "the http request node must send its credentials upstream: {sent}"
    );
    t.send("jwks", c.get(s.url("/.well-known/jwks.json")));

    // The admin API's views of the flows and their credentials.
    let (_, flows) = t.send("GET /flows", admin(c.get(s.url("/flows"))));
    assert!(
        flows.contains("has_password") || flows.contains("has_secret"),
        "{flows}"
    );
    t.send(
        "GET /flows v2",
        admin(c.get(s.url("/flows"))).header("Node-RED-API-Version", "v2"),
    );
    for (ty, id) in [
        ("jwt-config", "hs"),
        ("jwt-config", "rs"),
        ("http request", "req"),
    ] {
        t.send(
            "GET /credentials",
            admin(c.get(s.url(&format!("/credentials/{ty}/{id}")))),
        );
    }
    t.send("GET /flow/tab", admin(c.get(s.url("/flow/tab"))));
    t.send("GET /settings", admin(c.get(s.url("/settings"))));
    t.send("GET /nodes", admin(c.get(s.url("/nodes"))));
    t.send("GET /jwt/configs", admin(c.get(s.url("/jwt/configs"))));
    t.send(
        "console generate",
        admin(c.post(s.url("/jwt/console/generate")))
            .json(&json!({"config": "hs", "claims": {"sub": "x"}})),
    );
    t.send(
        "console verify",
        admin(c.post(s.url("/jwt/console/verify"))).json(&json!({"config": "rs", "token": token})),
    );
    t.send(
        "console bad config",
        admin(c.post(s.url("/jwt/console/generate")))
            .json(&json!({"config": "no-such-config", "claims": {}})),
    );
    t.send("editor", c.get(s.url("/")));

    // Drain the debug stream.
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut events = 0;
    while Instant::now() < deadline {
        match ws.read() {
            Ok(tungstenite::Message::Text(text)) => {
                events += 1;
                t.add("comms", text.as_str());
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    assert!(events > 0, "no events on the debug stream");

    // Files: the flows file holds no credentials, the credentials file is
    // encrypted and private.
    let flows_file = std::fs::read_to_string(&flows_path).unwrap();
    assert!(!flows_file.contains("\"credentials\""), "{flows_file}");
    t.add("flows file", flows_file);
    let cred_path = dir.path().join("flows_cred.json");
    let cred_file = std::fs::read_to_string(&cred_path).unwrap();
    assert!(cred_file.contains("\"$\""), "not encrypted: {cred_file}");
    t.add("credentials file", cred_file);
    for name in ["flows_cred.json", ".flows_cred.json.backup"] {
        let p = dir.path().join(name);
        if p.exists() {
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
    }

    // The command line (token printed from the encrypted credentials).
    let (code, out, err) = {
        let out = std::process::Command::new(common::binary())
            .args(["token", flows_path.to_str().unwrap(), "--config", "hs"])
            .env("FLOWGATE_CREDENTIAL_SECRET", CREDENTIAL_SECRET)
            .env("RUST_LOG", "trace")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, Some(0), "{err}");
    t.add("token command", format!("{out}\n{err}"));

    assert!(s.terminate().is_some_and(|st| st.success()));
    let logs = s.logs();
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "not at trace level"
    );
    t.add("logs", logs);

    // The scan.
    let transcript = t.0.lock().unwrap();
    let mut leaks = Vec::new();
    for (what, text) in transcript.iter() {
        for (name, secret) in secrets(&rsa_private) {
            if text.contains(&secret) {
                leaks.push(format!("{name} in {what}"));
            }
        }
    }
    assert!(leaks.is_empty(), "secrets leaked: {leaks:?}");
    assert!(transcript.len() > 30);
}

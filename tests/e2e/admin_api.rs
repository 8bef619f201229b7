//! The admin API end to end, against the real binary: Node-RED's shapes and
//! status codes, atomic and persisted deploys, auth, credentials handling and
//! deploys under load.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{client, Server};
use reqwest::blocking::{RequestBuilder, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const TOKEN: &str = "test-admin-token-0123456789abcdef";

/// A flow answering `GET <url>` with the query, and a header naming `version`.
fn versioned_flow(url: &str, version: u64) -> Value {
    json!([
        {"id": "tab1", "type": "tab", "label": "Versioned", "info": "kept as is"},
        {"id": "in1", "type": "http in", "z": "tab1", "name": "load", "url": url, "method": "get",
         "upload": false, "swaggerDoc": "", "x": 120, "y": 80, "wires": [["out1"]]},
        {"id": "out1", "type": "http response", "z": "tab1", "name": "", "statusCode": "",
         "headers": {"x-version": version.to_string()}, "x": 320, "y": 80, "wires": []}
    ])
}

fn start_flow(flow: &Value, args: &[&str], envs: &[(&str, &str)]) -> Server {
    Server::start_with(&flow.to_string(), args, envs)
}

/// Run the binary on `dir/flows.json` (so a test can restart it on the same
/// files).
fn start_in_dir(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Server {
    Server::start_in(
        tempfile::tempdir().unwrap(),
        dir.join("flows.json"),
        args,
        envs,
    )
}

fn get_json(s: &Server, path: &str, v2: bool) -> Value {
    let mut req = client().get(s.url(path));
    if v2 {
        req = req.header("Node-RED-API-Version", "v2");
    }
    let r = req.send().unwrap();
    assert_eq!(r.status(), 200, "GET {path}");
    r.json().unwrap()
}

fn rev(s: &Server) -> String {
    get_json(s, "/flows", true)["rev"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn post(s: &Server, path: &str, body: &Value) -> RequestBuilder {
    client()
        .post(s.url(path))
        .header("Content-Type", "application/json")
        .body(body.to_string())
}

fn deploy_v2(s: &Server, flows: &Value, kind: &str) -> Response {
    post(s, "/flows", &json!({"rev": rev(s), "flows": flows}))
        .header("Node-RED-API-Version", "v2")
        .header("Node-RED-Deployment-Type", kind)
        .send()
        .unwrap()
}

/// SHA-256 of every file a deploy may touch (`absent` when missing).
fn file_hashes(dir: &Path) -> BTreeMap<String, String> {
    [
        "flows.json",
        "flows_cred.json",
        ".flows.json.backup",
        ".flows_cred.json.backup",
    ]
    .iter()
    .map(|name| {
        let h = match std::fs::read(dir.join(name)) {
            Ok(bytes) => hex::encode(Sha256::digest(&bytes)),
            Err(_) => "absent".into(),
        };
        (name.to_string(), h)
    })
    .collect()
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn assert_serves(s: &Server, path: &str, version: u64) {
    let r = client().get(s.url(path)).send().unwrap();
    assert_eq!(r.status(), 200, "GET {path}");
    assert_eq!(
        r.headers()["x-version"].to_str().unwrap(),
        version.to_string(),
        "GET {path}"
    );
}

#[test]
fn round_trip_keeps_every_field_and_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("flows.json"),
        versioned_flow("/v", 1).to_string(),
    )
    .unwrap();
    let mut s = start_in_dir(dir.path(), &[], &[]);
    assert_serves(&s, "/v", 1);

    // Unknown fields, odd values and key order must all come back unchanged.
    let mut flow = versioned_flow("/round-trip", 2);
    flow[1]["vendorField"] = json!({"nested": [1, 2.5, "x", null], "z": true});
    flow[2]["zzz"] = json!("last");
    flow.as_array_mut().unwrap().push(json!({
        "id": "c1", "type": "comment", "z": "tab1", "name": "note", "info": "ünïcødé \u{1F600}",
        "x": 10, "y": 10, "wires": []
    }));
    let r = deploy_v2(&s, &flow, "full");
    assert_eq!(r.status(), 200);
    let new_rev = r.json::<Value>().unwrap()["rev"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(new_rev.len(), 64, "rev is a SHA-256 like Node-RED's");

    assert_eq!(get_json(&s, "/flows", false), flow);
    let v2 = get_json(&s, "/flows", true);
    assert_eq!(v2, json!({"flows": flow, "rev": new_rev}));
    assert_eq!(
        v2.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["flows", "rev"],
        "Node-RED's key order"
    );
    assert_serves(&s, "/round-trip", 2);
    assert_eq!(
        client().get(s.url("/v")).send().unwrap().status(),
        404,
        "the old route went with the old flows"
    );

    // Saved as Node-RED saves it, the previous version kept as a backup.
    let saved: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("flows.json")).unwrap()).unwrap();
    assert_eq!(saved, flow);
    let backup: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(".flows.json.backup")).unwrap())
            .unwrap();
    assert_eq!(backup, versioned_flow("/v", 1));

    assert!(s.terminate().is_some());
    let s = start_in_dir(dir.path(), &[], &[]);
    assert_eq!(get_json(&s, "/flows", false), flow);
    assert_eq!(rev(&s), new_rev, "same flows, same rev after a restart");
    assert_serves(&s, "/round-trip", 2);

    // v1 deploys answer 204.
    let r = post(&s, "/flows", &versioned_flow("/v1", 3))
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_serves(&s, "/v1", 3);
}

#[test]
fn bad_deploys_leave_flows_and_files_untouched() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("flows.json"),
        versioned_flow("/v", 1).to_string(),
    )
    .unwrap();
    let s = start_in_dir(dir.path(), &[], &[]);
    // One good deploy with credentials, so every file and backup exists.
    let mut good = versioned_flow("/v", 2);
    good[2]["credentials"] = json!({"secret": "s3"});
    assert_eq!(deploy_v2(&s, &good, "full").status(), 200);
    let mut good = versioned_flow("/v", 3);
    good[2]["credentials"] = json!({"secret": "s4"});
    assert_eq!(deploy_v2(&s, &good, "full").status(), 200);
    let before = file_hashes(dir.path());
    assert!(before.values().all(|h| h != "absent"), "{before:?}");
    let served_before = get_json(&s, "/flows", true);

    let unknown_type = json!([{"id": "a", "type": "no such node", "x": 1, "y": 1, "wires": []}]);
    let duplicate_ids = json!([
        {"id": "a", "type": "http in", "url": "/a", "x": 1, "y": 1, "wires": [[]]},
        {"id": "a", "type": "http response", "x": 1, "y": 1, "wires": []}
    ]);
    let admin_collision = json!([
        {"id": "a", "type": "http in", "url": "/Flows/", "method": "post", "x": 1, "y": 1, "wires": [[]]}
    ]);
    let bad_field = json!([
        {"id": "a", "type": "http in", "url": "/a", "method": "fetch", "x": 1, "y": 1, "wires": [[]]},
        {"id": "b", "type": "http response", "statusCode": "abc", "x": 1, "y": 1, "wires": []}
    ]);
    let not_a_node = json!([42]);

    // (name, body text, headers, expected status, expected code)
    type Case<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            "invalid JSON",
            "[{\"id\": \"a\",".into(),
            vec![],
            400,
            "invalid_json",
        ),
        (
            "not a flow",
            "{\"nodes\": []}".into(),
            vec![],
            400,
            "invalid_request",
        ),
        (
            "unknown type",
            unknown_type.to_string(),
            vec![],
            400,
            "invalid_flows",
        ),
        (
            "duplicate ids",
            duplicate_ids.to_string(),
            vec![],
            400,
            "invalid_flows",
        ),
        (
            "admin route collision",
            admin_collision.to_string(),
            vec![],
            400,
            "invalid_flows",
        ),
        (
            "bad fields",
            bad_field.to_string(),
            vec![],
            400,
            "invalid_flows",
        ),
        (
            "not a node",
            not_a_node.to_string(),
            vec![],
            400,
            "invalid_flows",
        ),
        (
            "stale rev",
            json!({"rev": "0000", "flows": []}).to_string(),
            vec![("Node-RED-API-Version", "v2")],
            409,
            "version_mismatch",
        ),
        (
            "bad API version",
            "[]".into(),
            vec![("Node-RED-API-Version", "v3")],
            400,
            "invalid_api_version",
        ),
        (
            "undecryptable credentials",
            json!({"flows": [], "credentials": {"$": "00112233445566778899aabbccddeeffAAAA"}})
                .to_string(),
            vec![],
            400,
            "invalid_credentials",
        ),
        (
            "cross-site",
            "[]".into(),
            vec![("Origin", "http://evil.example")],
            403,
            "cross_site_request",
        ),
    ];
    for (name, body, headers, status, code) in cases {
        let mut req = client()
            .post(s.url("/flows"))
            .header("Content-Type", "application/json")
            .body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let r = req.send().unwrap();
        assert_eq!(r.status().as_u16(), status, "{name}");
        let answer: Value = r.json().unwrap();
        assert_eq!(answer["code"], code, "{name}: {answer}");
        assert!(
            answer["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}"
        );
        assert_eq!(file_hashes(dir.path()), before, "{name}: files changed");
        assert_eq!(
            get_json(&s, "/flows", true),
            served_before,
            "{name}: flows changed"
        );
        assert_serves(&s, "/v", 3);
    }

    // A body over the limit (5 MB) is refused before it is read. Sent by
    // hand: headers announcing 6 MB and only the start of the body.
    {
        use std::io::{Read, Write};
        let mut tcp = std::net::TcpStream::connect(&s.addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            tcp,
            "POST /flows HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n[",
            s.addr,
            6 * 1024 * 1024
        )
        .unwrap();
        let mut answer = Vec::new();
        let _ = tcp.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("request_too_large"), "{answer}");
        assert_eq!(file_hashes(dir.path()), before);
    }

    // A rejected flow lists every problem with node id, type and field.
    let r = post(&s, "/flows", &bad_field).send().unwrap();
    let problems = r.json::<Value>().unwrap()["problems"].clone();
    assert_eq!(problems.as_array().unwrap().len(), 2, "{problems}");
    assert_eq!(problems[0]["node"], "a");
    assert_eq!(problems[0]["type"], "http in");
    assert_eq!(problems[0]["field"], "method");
    assert_eq!(problems[1]["node"], "b");
    assert_eq!(problems[1]["field"], "statusCode");
    let r = post(&s, "/flows", &admin_collision).send().unwrap();
    let message = r.json::<Value>().unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("admin route /flows"), "{message}");

    // Saving fails (the backup path is taken by a directory): the deploy is
    // refused and nothing changes, on disk or in what runs.
    std::fs::remove_file(dir.path().join(".flows.json.backup")).unwrap();
    std::fs::create_dir(dir.path().join(".flows.json.backup")).unwrap();
    let before = file_hashes(dir.path());
    let r = deploy_v2(&s, &versioned_flow("/v", 4), "full");
    assert_eq!(r.status(), 500);
    assert_eq!(r.json::<Value>().unwrap()["code"], "save_failed");
    assert_eq!(file_hashes(dir.path()), before);
    assert_eq!(get_json(&s, "/flows", true), served_before);
    assert_serves(&s, "/v", 3);
}

#[test]
fn stale_rev_is_a_conflict_and_deploys_serialize() {
    let s = start_flow(&versioned_flow("/v", 1), &[], &[]);
    let first = rev(&s);
    let r = post(
        &s,
        "/flows",
        &json!({"rev": first, "flows": versioned_flow("/v", 2)}),
    )
    .header("Node-RED-API-Version", "v2")
    .send()
    .unwrap();
    assert_eq!(r.status(), 200);
    // A second client still holding the first rev loses.
    let r = post(
        &s,
        "/flows",
        &json!({"rev": first, "flows": versioned_flow("/v", 3)}),
    )
    .header("Node-RED-API-Version", "v2")
    .send()
    .unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().unwrap()["code"], "version_mismatch");
    assert_serves(&s, "/v", 2);

    // Concurrent deploys against one rev: exactly one wins.
    let current = rev(&s);
    let s = Arc::new(s);
    let handles: Vec<_> = (10..16)
        .map(|v| {
            let s = s.clone();
            let current = current.clone();
            std::thread::spawn(move || {
                post(
                    &s,
                    "/flows",
                    &json!({"rev": current, "flows": versioned_flow("/v", v)}),
                )
                .send()
                .unwrap()
                .status()
                .as_u16()
            })
        })
        .collect();
    let mut codes: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    codes.sort();
    assert_eq!(codes, vec![204, 409, 409, 409, 409, 409]);
}

#[test]
fn auth_is_required_when_a_token_is_set() {
    let s = start_flow(&versioned_flow("/v", 1), &["--admin-token", TOKEN], &[]);
    let c = client();
    for (method, path) in [
        ("GET", "/flows"),
        ("POST", "/flows"),
        ("GET", "/flows/state"),
        ("GET", "/flow/tab1"),
        ("GET", "/nodes"),
        ("GET", "/settings"),
        ("DELETE", "/flow/tab1"),
        ("POST", "/auth/revoke"),
    ] {
        let m: reqwest::Method = method.parse().unwrap();
        let r = c.request(m.clone(), s.url(path)).send().unwrap();
        assert_eq!(r.status(), 401, "{method} {path} without a token");
        assert!(r.headers().contains_key("www-authenticate"));
        let r = c
            .request(m, s.url(path))
            .bearer_auth("wrong-token")
            .send()
            .unwrap();
        assert_eq!(r.status(), 401, "{method} {path} with a wrong token");
    }
    let r = c.get(s.url("/flows")).bearer_auth(TOKEN).send().unwrap();
    assert_eq!(r.status(), 200);
    // The flows' own endpoints stay public.
    assert_serves(&s, "/v", 1);

    // Node-RED's login flow.
    let login: Value = c.get(s.url("/auth/login")).send().unwrap().json().unwrap();
    assert_eq!(login["type"], "credentials");
    assert_eq!(login["prompts"][1]["type"], "password");
    let form = |password: &str| {
        vec![
            ("client_id", "node-red-admin".to_string()),
            ("grant_type", "password".to_string()),
            ("scope", "*".to_string()),
            ("username", "admin".to_string()),
            ("password", password.to_string()),
        ]
    };
    let r = c
        .post(s.url("/auth/token"))
        .form(&form("nope"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().unwrap()["error"], "invalid_grant");
    let r = c
        .post(s.url("/auth/token"))
        .form(&form(TOKEN))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let grant: Value = r.json().unwrap();
    assert_eq!(grant["token_type"], "Bearer");
    assert_eq!(grant["expires_in"], 604800);
    let session = grant["access_token"].as_str().unwrap().to_owned();
    assert_ne!(session, TOKEN);
    let r = c
        .get(s.url("/settings"))
        .bearer_auth(&session)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap()["user"]["username"], "admin");
    let r = c
        .post(s.url("/auth/revoke"))
        .bearer_auth(&session)
        .json(&json!({"token": session}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c.get(s.url("/flows")).bearer_auth(&session).send().unwrap();
    assert_eq!(r.status(), 401, "a revoked session is refused");
    // JSON bodies work too (node-red-admin sends JSON).
    let r = c
        .post(s.url("/auth/token"))
        .json(
            &json!({"client_id": "node-red-editor", "grant_type": "password",
                      "scope": "*", "username": "admin", "password": TOKEN}),
        )
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .post(s.url("/auth/token"))
        .json(&json!({"client_id": "someone", "grant_type": "password",
                      "username": "admin", "password": TOKEN}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    // The token never shows up in the logs.
    assert!(!s.logs().contains(TOKEN));
}

#[test]
fn credentials_never_leave_the_credentials_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("flows.json"),
        versioned_flow("/v", 1).to_string(),
    )
    .unwrap();
    let s = start_in_dir(dir.path(), &[], &[]);
    let secret = "sup3r-s3cret-value";
    let mut flow = versioned_flow("/v", 2);
    flow[2]["credentials"] = json!({"user": "bob", "password": secret});
    assert_eq!(deploy_v2(&s, &flow, "full").status(), 200);

    let mut expected = versioned_flow("/v", 2);
    expected[2]["credentials"] = json!({"has_user": true, "has_password": true});
    assert_eq!(get_json(&s, "/flows", false), expected);
    for path in [
        "/flows",
        "/flow/tab1",
        "/flow/global",
        "/credentials/http-response/out1",
        "/settings",
        "/nodes",
        "/flows/state",
    ] {
        let text = client().get(s.url(path)).send().unwrap().text().unwrap();
        assert!(!text.contains(secret), "{path} leaks the secret: {text}");
    }
    assert_eq!(
        get_json(&s, "/credentials/http-response/out1", false),
        json!({"has_user": true, "has_password": true})
    );
    let flows_file = std::fs::read_to_string(dir.path().join("flows.json")).unwrap();
    assert!(!flows_file.contains(secret) && !flows_file.contains("credentials"));
    let cred_path = dir.path().join("flows_cred.json");
    let cred: Value = serde_json::from_slice(&std::fs::read(&cred_path).unwrap()).unwrap();
    assert_eq!(cred, json!({"out1": {"user": "bob", "password": secret}}));
    assert_eq!(mode(&cred_path), 0o600);

    // Deploying what GET returned keeps the stored credentials; a changed
    // key replaces just that key; an empty one deletes it.
    let shown = get_json(&s, "/flows", false);
    assert_eq!(deploy_v2(&s, &shown, "full").status(), 200);
    let cred: Value = serde_json::from_slice(&std::fs::read(&cred_path).unwrap()).unwrap();
    assert_eq!(cred, json!({"out1": {"user": "bob", "password": secret}}));
    let mut flow = versioned_flow("/v", 3);
    flow[2]["credentials"] = json!({"user": "", "password": "__PWRD__", "token": "t"});
    assert_eq!(deploy_v2(&s, &flow, "nodes").status(), 200);
    let cred: Value = serde_json::from_slice(&std::fs::read(&cred_path).unwrap()).unwrap();
    assert_eq!(cred, json!({"out1": {"password": secret, "token": "t"}}));
    assert_eq!(mode(&cred_path), 0o600);
    assert_eq!(mode(&dir.path().join(".flows_cred.json.backup")), 0o600);

    // Removing the node removes its credentials.
    assert_eq!(deploy_v2(&s, &json!([]), "full").status(), 200);
    let cred: Value = serde_json::from_slice(&std::fs::read(&cred_path).unwrap()).unwrap();
    assert_eq!(cred, json!({}));
    assert!(!s.logs().contains(secret));
}

/// Node-RED's encryption, written here independently of flowgate's code:
/// AES-256-CTR, key = SHA-256(secret), `{"$": hex(iv) + base64(ciphertext)}`.
fn node_red_encrypt(secret: &str, iv: [u8; 16], plain: &str) -> Value {
    use aes::cipher::{KeyIvInit, StreamCipher};
    use base64::Engine;
    let key: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
    let mut data = plain.as_bytes().to_vec();
    ctr::Ctr128BE::<aes::Aes256>::new(&key.into(), &iv.into()).apply_keystream(&mut data);
    json!({"$": format!("{}{}", hex::encode(iv), base64::engine::general_purpose::STANDARD.encode(data))})
}

fn fixture_dir() -> PathBuf {
    common::repo_root().join("tests/fixtures/node-red-encrypted")
}

fn copy_fixture(to: &Path) {
    for f in ["flows.json", "flows_cred.json"] {
        std::fs::copy(fixture_dir().join(f), to.join(f)).unwrap();
    }
}

#[test]
fn reads_node_red_encrypted_credentials_and_writes_its_own() {
    // A file written by real Node-RED (secret "s3cret").
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let env = [("FLOWGATE_CREDENTIAL_SECRET", "s3cret")];
    let s = start_in_dir(dir.path(), &[], &env);
    assert_eq!(
        get_json(&s, "/credentials/http-response/q1", false),
        json!({"has_user": true, "has_password": true})
    );
    assert_eq!(
        get_json(&s, "/settings", false)["flowEncryptionType"],
        "user"
    );
    // A deploy rewrites it in flowgate's authenticated format.
    let mut flow: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("flows.json")).unwrap()).unwrap();
    flow[2]["credentials"] = json!({"token": "new-secret-token"});
    assert_eq!(deploy_v2(&s, &flow, "full").status(), 200);
    let text = std::fs::read_to_string(dir.path().join("flows_cred.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert!(doc["$"].as_str().unwrap().starts_with("gcm:"), "{text}");
    assert!(!text.contains("new-secret-token") && !text.contains("bob"));
    assert_eq!(mode(&dir.path().join("flows_cred.json")), 0o600);
    drop(s);
    let s = start_in_dir(dir.path(), &[], &env);
    assert_eq!(
        get_json(&s, "/credentials/http-response/q1", false),
        json!({"has_user": true, "has_password": true, "has_token": true})
    );
    drop(s);

    // A file made here the way Node-RED makes it, with a random IV.
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let mut iv = [0u8; 16];
    rand_bytes(&mut iv);
    let sealed = node_red_encrypt("another secret", iv, r#"{"q1":{"apikey":"k-123"}}"#);
    std::fs::write(dir.path().join("flows_cred.json"), sealed.to_string()).unwrap();
    let s = start_in_dir(
        dir.path(),
        &[],
        &[("FLOWGATE_CREDENTIAL_SECRET", "another secret")],
    );
    assert_eq!(
        get_json(&s, "/credentials/http-response/q1", false),
        json!({"has_apikey": true})
    );
}

fn rand_bytes(buf: &mut [u8]) {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let digest = Sha256::digest(seed.to_le_bytes());
    buf.copy_from_slice(&digest[..buf.len()]);
}

#[test]
fn a_wrong_or_missing_secret_is_a_clear_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let flows = dir.path().join("flows.json");
    let before = file_hashes(dir.path());
    let run = |env: Option<&str>| {
        let mut cmd = std::process::Command::new(common::binary());
        cmd.args([
            "run",
            flows.to_str().unwrap(),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ])
        .env_remove("FLOWGATE_CREDENTIAL_SECRET");
        if let Some(secret) = env {
            cmd.env("FLOWGATE_CREDENTIAL_SECRET", secret);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(Some("not-the-secret-7f3a"));
    assert_eq!(code, Some(1));
    assert!(
        err.contains("cannot be decrypted with FLOWGATE_CREDENTIAL_SECRET"),
        "{err}"
    );
    assert!(
        !err.contains("not-the-secret-7f3a"),
        "the secret is not echoed: {err}"
    );
    let (code, err) = run(None);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("is encrypted; set FLOWGATE_CREDENTIAL_SECRET"),
        "{err}"
    );
    assert_eq!(file_hashes(dir.path()), before, "nothing was rewritten");
}

#[test]
fn deploys_under_load_answer_every_request_from_old_or_new_flows() {
    const DEPLOYS: u64 = 50;
    const CLIENTS: usize = 4;
    let flow_for = |v: u64| {
        let mut f = versioned_flow("/load", v);
        if v.is_multiple_of(2) {
            // Even versions add an endpoint, odd ones remove it again.
            let list = f.as_array_mut().unwrap();
            list.push(
                json!({"id": "in2", "type": "http in", "z": "tab1", "url": "/extra",
                             "method": "get", "x": 120, "y": 160, "wires": [["out1"]]}),
            );
        }
        f
    };
    let s = Arc::new(start_flow(&flow_for(0), &[], &[]));
    let done = Arc::new(AtomicBool::new(false));
    let total = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (s, done, total) = (s.clone(), done.clone(), total.clone());
            std::thread::spawn(move || {
                let http = client();
                let mut last_version = 0u64;
                let mut n = 0u64;
                let mut seen = std::collections::BTreeSet::new();
                while !done.load(Ordering::Acquire) && started.elapsed() < Duration::from_secs(40) {
                    n += 1;
                    let r = http
                        .get(s.url(&format!("/load?c={c}&n={n}")))
                        .send()
                        .unwrap_or_else(|e| panic!("client {c} request {n} failed: {e}"));
                    assert_eq!(r.status(), 200, "client {c} request {n}");
                    let version: u64 = r.headers()["x-version"].to_str().unwrap().parse().unwrap();
                    let body: Value = r.json().unwrap();
                    assert_eq!(body, json!({"c": c.to_string(), "n": n.to_string()}));
                    assert!(
                        version >= last_version,
                        "client {c}: version went back from {last_version} to {version}"
                    );
                    last_version = version;
                    seen.insert(version);
                    total.fetch_add(1, Ordering::Relaxed);
                }
                (n, seen.len())
            })
        })
        .collect();

    let kinds = ["full", "nodes", "flows"];
    for v in 1..=DEPLOYS {
        let r = deploy_v2(&s, &flow_for(v), kinds[v as usize % 3]);
        assert_eq!(r.status(), 200, "deploy {v}");
        // Once the deploy is answered, new requests see the new flows and
        // the new route table.
        assert_serves(&s, "/load", v);
        let extra = client().get(s.url("/extra")).send().unwrap().status();
        assert_eq!(
            extra,
            if v.is_multiple_of(2) { 200 } else { 404 },
            "deploy {v}: /extra"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let deploy_time = started.elapsed();
    done.store(true, Ordering::Release);
    let per_client: Vec<(u64, usize)> = clients.into_iter().map(|h| h.join().unwrap()).collect();
    let total = total.load(Ordering::Relaxed);
    println!(
        "deploy under load: {DEPLOYS} deploys in {:.1} s, {total} requests from {CLIENTS} clients \
         all answered 200 by the old or new flows (per client: {:?})",
        deploy_time.as_secs_f64(),
        per_client
    );
    assert!(total >= 200, "the load loop ran ({total} requests)");
    assert!(
        per_client.iter().all(|(_, versions)| *versions > 10),
        "clients saw many versions: {per_client:?}"
    );
}

#[test]
fn flows_stop_and_start_without_a_redeploy() {
    let s = start_flow(&versioned_flow("/v", 1), &[], &[]);
    assert_eq!(
        get_json(&s, "/flows/state", false),
        json!({"state": "start"})
    );
    let r = post(&s, "/flows/state", &json!({"state": "stop"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap(), json!({"state": "stop"}));
    assert_eq!(client().get(s.url("/v")).send().unwrap().status(), 404);
    assert_eq!(get_json(&s, "/flows", false), versioned_flow("/v", 1));
    // A deploy while stopped is saved but not started.
    assert_eq!(
        deploy_v2(&s, &versioned_flow("/w", 2), "full").status(),
        200
    );
    assert_eq!(client().get(s.url("/w")).send().unwrap().status(), 404);
    assert_eq!(
        get_json(&s, "/flows/state", false),
        json!({"state": "stop"})
    );
    let r = post(&s, "/flows/state", &json!({"state": "start"}))
        .send()
        .unwrap();
    assert_eq!(r.json::<Value>().unwrap(), json!({"state": "start"}));
    assert_serves(&s, "/w", 2);
    let r = post(&s, "/flows/state", &json!({"state": "pause"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().unwrap()["code"], "invalid_run_state");
}

#[test]
fn reload_deploy_reads_the_file_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("flows.json"),
        versioned_flow("/v", 1).to_string(),
    )
    .unwrap();
    let s = start_in_dir(dir.path(), &[], &[]);
    std::fs::write(
        dir.path().join("flows.json"),
        versioned_flow("/v", 7).to_string(),
    )
    .unwrap();
    let r = client()
        .post(s.url("/flows"))
        .header("Node-RED-Deployment-Type", "reload")
        .header("Node-RED-API-Version", "v2")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_serves(&s, "/v", 7);
    assert_eq!(r.json::<Value>().unwrap()["rev"], rev(&s));
}

#[test]
fn single_tab_operations() {
    let s = start_flow(&versioned_flow("/v", 1), &[], &[]);
    let tab = get_json(&s, "/flow/tab1", false);
    assert_eq!(tab["id"], "tab1");
    assert_eq!(tab["label"], "Versioned");
    assert_eq!(tab["info"], "kept as is");
    assert_eq!(tab["nodes"].as_array().unwrap().len(), 2);
    assert!(tab.get("configs").is_none());
    assert_eq!(get_json(&s, "/flow/global", false), json!({"id": "global"}));
    let r = client().get(s.url("/flow/nope")).send().unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().unwrap()["code"], "not_found");

    let new_tab = json!({"label": "Added", "nodes": [
        {"id": "n1", "type": "http in", "url": "/added", "method": "get", "x": 1, "y": 1, "wires": [["n2"]]},
        {"id": "n2", "type": "http response", "headers": {"x-version": "9"}, "x": 2, "y": 1, "wires": []}
    ]});
    let r = post(&s, "/flow", &new_tab).send().unwrap();
    assert_eq!(r.status(), 200);
    let id = r.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 16);
    assert_serves(&s, "/added", 9);
    assert_serves(&s, "/v", 1);
    let added = get_json(&s, &format!("/flow/{id}"), false);
    assert_eq!(added["label"], "Added");
    assert_eq!(added["nodes"][0]["z"], id.as_str());
    let r = post(&s, "/flow", &new_tab).send().unwrap();
    assert_eq!(r.status(), 400, "ids already in use");
    assert_eq!(r.json::<Value>().unwrap()["message"], "duplicate id");
    let r = post(&s, "/flow", &json!({"label": "x"})).send().unwrap();
    assert_eq!(
        r.json::<Value>().unwrap()["message"],
        "missing nodes property"
    );

    let mut replaced = new_tab.clone();
    replaced["label"] = json!("Replaced");
    replaced["nodes"][1]["headers"]["x-version"] = json!("10");
    let r = client()
        .put(s.url(&format!("/flow/{id}")))
        .json(&replaced)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap(), json!({"id": id}));
    assert_serves(&s, "/added", 10);
    let r = client()
        .put(s.url("/flow/nope"))
        .json(&replaced)
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);

    let r = client()
        .delete(s.url(&format!("/flow/{id}")))
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(client().get(s.url("/added")).send().unwrap().status(), 404);
    assert_serves(&s, "/v", 1);
    assert_eq!(
        client()
            .delete(s.url("/flow/nope"))
            .send()
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        client()
            .delete(s.url("/flow/global"))
            .send()
            .unwrap()
            .status(),
        400
    );
}

#[test]
fn nodes_and_settings_describe_the_runtime() {
    let s = start_flow(&versioned_flow("/v", 1), &[], &[]);
    let nodes = get_json(&s, "/nodes", false);
    let http_in = listed_type(&nodes, "http in");
    assert_eq!(http_in["types"], json!(["http in"]));
    assert_eq!(http_in["category"], "network");
    assert_eq!(http_in["inputs"], 0);
    assert_eq!(http_in["outputs"], 1);
    assert_eq!(http_in["defaults"]["method"], "get");
    assert_eq!(http_in["enabled"], true);
    let settings = get_json(&s, "/settings", false);
    assert_eq!(settings["httpNodeRoot"], "/");
    assert_eq!(settings["version"], env!("CARGO_PKG_VERSION"));
    assert!(settings["editorTheme"].is_object());
    assert!(settings.get("user").is_none(), "no user without auth");
    assert_eq!(
        client()
            .get(s.url("/auth/login"))
            .send()
            .unwrap()
            .json::<Value>()
            .unwrap(),
        json!({})
    );
}

#[test]
fn admin_root_moves_the_api_and_no_admin_removes_it() {
    // Under /admin, /flows is free for a flow.
    let flow = versioned_flow("/flows", 1);
    let s = start_flow(&flow, &["--admin-root", "/admin"], &[]);
    assert_serves(&s, "/flows", 1);
    assert_eq!(get_json(&s, "/admin/flows", false), flow);
    assert_eq!(
        get_json(&s, "/admin/settings", false)["httpAdminRoot"],
        "/admin"
    );
    let r = post(&s, "/admin/flows", &versioned_flow("/admin/x", 2))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400, "a flow cannot take the admin root");
    drop(s);

    let s = start_flow(&versioned_flow("/v", 1), &["--no-admin"], &[]);
    assert_eq!(client().get(s.url("/flows")).send().unwrap().status(), 404);
    assert_serves(&s, "/v", 1);
    drop(s);

    // At the default root, a flow using an admin path does not start.
    let (code, _, err) = {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flows.json");
        std::fs::write(&path, versioned_flow("/settings", 1).to_string()).unwrap();
        common::run_cli(&["run", path.to_str().unwrap(), "--port", "0"])
    };
    assert_eq!(code, 1);
    assert!(
        err.contains("collides with flowgate's admin route /settings"),
        "{err}"
    );
}

#[test]
fn refuses_to_expose_an_open_admin_api() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(&path, versioned_flow("/v", 1).to_string()).unwrap();
    let (code, _, err) = common::run_cli(&[
        "run",
        path.to_str().unwrap(),
        "--host",
        "0.0.0.0",
        "--port",
        "0",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("refusing to serve the admin API on 0.0.0.0 without a token"),
        "{err}"
    );
    assert!(err.contains("--insecure-admin"), "{err}");
    let (code, _, err) = common::run_cli(&[
        "run",
        path.to_str().unwrap(),
        "--admin-token",
        "",
        "--port",
        "0",
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn comms_streams_runtime_events_after_auth() {
    use tungstenite::{connect, Message};
    let s = start_flow(&versioned_flow("/v", 1), &["--admin-token", TOKEN], &[]);
    let url = format!("ws://{}/comms", s.addr);
    let read_json = |ws: &mut tungstenite::WebSocket<_>| -> Value {
        loop {
            match ws.read().unwrap() {
                Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                Message::Close(_) => return Value::Null,
                _ => {}
            }
        }
    };

    // A wrong token is refused and the socket closed.
    let (mut ws, _) = connect(&url).unwrap();
    ws.send(Message::text(json!({"auth": "wrong"}).to_string()))
        .unwrap();
    assert_eq!(read_json(&mut ws), json!({"auth": "fail"}));

    let (mut ws, _) = connect(&url).unwrap();
    if let tungstenite::stream::MaybeTlsStream::Plain(tcp) = ws.get_ref() {
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    }
    ws.send(Message::text(json!({"auth": TOKEN}).to_string()))
        .unwrap();
    assert_eq!(read_json(&mut ws), json!({"auth": "ok"}));
    ws.send(Message::text(json!({"subscribe": "debug"}).to_string()))
        .unwrap();
    ws.send(Message::text(json!({"subscribe": "status/#"}).to_string()))
        .unwrap();

    let r = client()
        .post(s.url("/flows"))
        .bearer_auth(TOKEN)
        .header("Node-RED-API-Version", "v2")
        .json(&versioned_flow("/v", 2))
        .send()
        .unwrap();
    let new_rev = r.json::<Value>().unwrap()["rev"].clone();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let batch = read_json(&mut ws);
        let items = batch.as_array().expect("events come in arrays").clone();
        seen.extend(items);
        if seen
            .iter()
            .any(|e| e["topic"] == "notification/runtime-deploy")
        {
            break;
        }
    }
    let deploy = seen
        .iter()
        .find(|e| e["topic"] == "notification/runtime-deploy")
        .expect("deploy notification");
    assert_eq!(deploy["data"], json!({"revision": new_rev}));

    // A late subscriber gets the retained deploy notification.
    let (mut late, _) = connect(&url).unwrap();
    late.send(Message::text(json!({"auth": TOKEN}).to_string()))
        .unwrap();
    assert_eq!(read_json(&mut late), json!({"auth": "ok"}));
    late.send(Message::text(
        json!({"subscribe": "notification/#"}).to_string(),
    ))
    .unwrap();
    let retained = read_json(&mut late);
    assert!(
        retained.as_array().unwrap().iter().any(
            |e| e["topic"] == "notification/runtime-deploy" && e["data"]["revision"] == new_rev
        ),
        "{retained}"
    );

    // A page on another site cannot open the socket.
    let mut req =
        tungstenite::client::IntoClientRequest::into_client_request(url.as_str()).unwrap();
    req.headers_mut()
        .insert("Origin", "http://evil.example".parse().unwrap());
    assert!(connect(req).is_err());
}

#[test]
fn an_open_api_answers_only_loopback_host_names() {
    // A site re-pointing its own name at 127.0.0.1 (DNS rebinding) reaches
    // the server with its own Host header: refused without a token.
    let s = start_flow(&versioned_flow("/v", 1), &[], &[]);
    let port = s.addr.rsplit(':').next().unwrap().to_owned();
    let r = client()
        .get(s.url("/flows"))
        .header("Host", format!("rebind.example:{port}"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().unwrap()["code"], "forbidden_host");
    let r = client()
        .get(s.url("/flows"))
        .header("Host", format!("localhost:{port}"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    // The flows themselves answer any name.
    let r = client()
        .get(s.url("/v"))
        .header("Host", format!("rebind.example:{port}"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    drop(s);

    // With a token, the token is the protection.
    let s = start_flow(&versioned_flow("/v", 1), &["--admin-token", TOKEN], &[]);
    let r = client()
        .get(s.url("/flows"))
        .header("Host", "flowgate.example")
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn tabs_implied_by_z_work_like_node_red() {
    // Like the Ignite export: nodes name a tab that has no tab node, and a
    // node sits on no tab at all.
    let flow = json!([
        {"id": "in1", "type": "http in", "z": "implied", "url": "/v", "method": "get", "x": 1, "y": 1, "wires": [["out1"]]},
        {"id": "out1", "type": "http response", "z": "implied", "headers": {"x-version": "1"}, "x": 2, "y": 1, "wires": []},
        {"id": "note", "type": "comment", "z": "", "name": "global note"}
    ]);
    let s = start_flow(&flow, &[], &[]);
    let tab = get_json(&s, "/flow/implied", false);
    assert_eq!(tab["id"], "implied");
    assert_eq!(tab["nodes"].as_array().unwrap().len(), 2);
    assert!(tab.get("label").is_none());
    assert_eq!(
        get_json(&s, "/flow/global", false),
        json!({"id": "global", "configs": [flow[2]]})
    );
    // Replacing the global config nodes keeps the implied tab's nodes.
    let r = client()
        .put(s.url("/flow/global"))
        .json(&json!({"configs": []}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(get_json(&s, "/flows", false), json!([flow[0], flow[1]]));
    assert_serves(&s, "/v", 1);
}

#[test]
fn the_editor_offers_every_method_an_http_in_node_serves() {
    let s = start_flow(&versioned_flow("/v", 1), &[], &[]);
    let nodes = get_json(&s, "/nodes", false);
    let http_in = listed_type(&nodes, "http in");
    let method = http_in["editor"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "method")
        .expect("the form has a method field");
    assert_eq!(
        method["options"],
        json!(["get", "post", "put", "delete", "patch"])
    );
}

/// The entry of `GET /nodes` for node type `name`.
fn listed_type<'a>(nodes: &'a Value, name: &str) -> &'a Value {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["type"] == name)
        .unwrap_or_else(|| panic!("{name} is listed"))
}

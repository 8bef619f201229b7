//! The flows file and the credentials file as one pair. A deploy stages both
//! in temp files, writes a redo journal naming them, then renames them into
//! place; each test lays out on disk exactly what a SIGKILL at one point of
//! that sequence leaves, starts the real binary, and checks it comes up with
//! a matching pair (tokens signed before still verify) or refuses with a
//! clear error, and that no temp file is left. Also: a config that held a
//! secret before is never silently re-keyed, and a literal credential field
//! given as a plain property is moved to the credentials, never served.

use crate::common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{client, Server};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const S1: &str = "first-config-secret-0123456789abcdefghij";
const S2: &str = "second-config-secret-0123456789abcdefghij";

fn http_in(id: &str, url: &str, next: &str) -> Value {
    json!({"id": id, "type": "http in", "z": "tab", "url": url, "method": "get",
           "x": 100, "y": 100, "wires": [[next]]})
}

fn response(id: &str) -> Value {
    json!({"id": id, "type": "http response", "z": "tab", "statusCode": "", "headers": {},
           "x": 500, "y": 100, "wires": []})
}

/// `GET /check<n>` verifies a bearer token with config `c<n>`.
fn verifier(n: u8) -> Vec<Value> {
    let (i, v, o) = (format!("in{n}"), format!("v{n}"), format!("out{n}"));
    vec![
        http_in(&i, &format!("/check{n}"), &v),
        json!({"id": v, "type": "jwt", "z": "tab", "name": "", "jwtconfig": format!("c{n}"),
               "generatejwt": "false", "outputs": 1, "x": 300, "y": 100, "wires": [[o]]}),
        response(&o),
    ]
}

fn config(n: u8) -> Value {
    json!({"id": format!("c{n}"), "type": "jwt-config", "z": "", "name": format!("cfg{n}"),
           "algorithm": "HS256"})
}

/// Revision A: config c1 only. Revision B: c1 and c2.
fn flows(with_second: bool) -> Value {
    let mut nodes = vec![
        json!({"id": "tab", "type": "tab", "label": "pair"}),
        config(1),
    ];
    nodes.extend(verifier(1));
    if with_second {
        nodes.push(config(2));
        nodes.extend(verifier(2));
    }
    Value::Array(nodes)
}

fn creds(with_second: bool) -> Value {
    let mut c = json!({"c1": {"secret": S1}});
    if with_second {
        c["c2"] = json!({"secret": S2});
    }
    c
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap()
}

fn token(secret: &str) -> String {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": "before-the-crash", "exp": exp}),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn check(s: &Server, n: u8, secret: &str) -> u16 {
    client()
        .get(s.url(&format!("/check{n}")))
        .bearer_auth(token(secret))
        .send()
        .unwrap()
        .status()
        .as_u16()
}

fn hex_sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Where a deploy from revision A to B was killed.
#[derive(Clone, Copy, Debug)]
enum KilledAt {
    /// Every temp file written and fsynced, journal not yet written.
    TempsWritten,
    /// Journal written, nothing renamed.
    JournalWritten,
    /// Journal written, the credentials file (and its backup) renamed, the
    /// flows file not.
    FirstRename,
    /// Both renamed, the journal not yet removed.
    BothRenamed,
}

/// A directory as a deploy from A to B killed at `at` leaves it. The save
/// stages, in order, the credentials file's backup (A), the credentials (B),
/// the flows file's backup (A) and the flows (B), then journals and renames
/// them in that order.
fn crashed_dir(at: KilledAt) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (flows_a, creds_a) = (bytes(&flows(false)), bytes(&creds(false)));
    let (flows_b, creds_b) = (bytes(&flows(true)), bytes(&creds(true)));
    std::fs::write(d.join("flows.json"), &flows_a).unwrap();
    std::fs::write(d.join("flows_cred.json"), &creds_a).unwrap();
    let staged = [
        (".flows_cred.json.backup", creds_a.clone()),
        ("flows_cred.json", creds_b),
        (".flows.json.backup", flows_a),
        ("flows.json", flows_b),
    ];
    let temp = |target: &str| format!(".{target}.4242.tmp");
    for (target, data) in &staged {
        std::fs::write(d.join(temp(target)), data).unwrap();
    }
    if matches!(at, KilledAt::TempsWritten) {
        return dir;
    }
    let files: Vec<Value> = staged
        .iter()
        .map(
            |(target, data)| json!({"path": target, "temp": temp(target), "sha256": hex_sha(data)}),
        )
        .collect();
    std::fs::write(
        d.join(".flows.json.journal"),
        bytes(&json!({ "files": files })),
    )
    .unwrap();
    let renamed = match at {
        KilledAt::TempsWritten | KilledAt::JournalWritten => 0,
        KilledAt::FirstRename => 2,
        KilledAt::BothRenamed => 4,
    };
    for (target, _) in &staged[..renamed] {
        std::fs::rename(d.join(temp(target)), d.join(target)).unwrap();
    }
    dir
}

/// Names of the temp and journal files in `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.ends_with(".journal"))
        .collect()
}

fn start(dir: tempfile::TempDir) -> Server {
    let flows_path = dir.path().join("flows.json");
    Server::start_in(dir, flows_path, &[], &[])
}

fn stored_creds(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("flows_cred.json")).unwrap()).unwrap()
}

/// After the crash the new pair is in place: both configs verify the tokens
/// signed with their secrets, and nothing was re-keyed.
fn assert_new_pair(at: KilledAt) {
    let s = start(crashed_dir(at));
    assert_eq!(check(&s, 1, S1), 200, "{at:?}: {}", s.logs());
    assert_eq!(check(&s, 2, S2), 200, "{at:?}: {}", s.logs());
    assert_eq!(stored_creds(s.dir.path()), creds(true), "{at:?}");
    let on_disk: Value = serde_json::from_slice(&std::fs::read(&s.flows_path).unwrap()).unwrap();
    assert_eq!(on_disk, flows(true), "{at:?}");
    let backup = std::fs::read(s.dir.path().join(".flows_cred.json.backup")).unwrap();
    assert_eq!(backup, bytes(&creds(false)), "{at:?}");
    assert_eq!(leftovers(s.dir.path()), Vec::<String>::new(), "{at:?}");
    assert!(!s.logs().contains("has no secret"), "{at:?}: {}", s.logs());
}

#[test]
fn killed_before_the_journal_the_old_pair_starts_and_temps_are_removed() {
    let s = start(crashed_dir(KilledAt::TempsWritten));
    assert_eq!(check(&s, 1, S1), 200, "{}", s.logs());
    assert_eq!(check(&s, 2, S2), 404, "revision B must not be running");
    assert_eq!(stored_creds(s.dir.path()), creds(false));
    assert_eq!(leftovers(s.dir.path()), Vec::<String>::new());
}

#[test]
fn killed_after_the_journal_the_new_pair_starts() {
    assert_new_pair(KilledAt::JournalWritten);
}

#[test]
fn killed_between_the_two_renames_the_new_pair_starts() {
    assert_new_pair(KilledAt::FirstRename);
}

#[test]
fn killed_before_the_journal_is_removed_the_new_pair_starts() {
    assert_new_pair(KilledAt::BothRenamed);
}

/// Run `flowgate run` on `dir/flows.json` expecting it to refuse: its exit
/// code and stderr.
fn refused_start(dir: &Path) -> (i32, String) {
    let mut child = Command::new(common::binary())
        .arg("run")
        .arg(dir.join("flows.json"))
        .args(["--host", "127.0.0.1", "--port", "0"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("flowgate started instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_journal_whose_temp_file_was_altered_refuses_to_start() {
    let dir = crashed_dir(KilledAt::FirstRename);
    std::fs::write(dir.path().join(".flows.json.4242.tmp"), b"[]").unwrap();
    let journal = dir.path().join(".flows.json.journal");
    let (code, stderr) = refused_start(dir.path());
    assert_ne!(code, 0, "{stderr}");
    assert!(
        stderr.contains(".flows.json.journal") && stderr.contains("flows.json"),
        "the error names the journal and the file: {stderr}"
    );
    // Nothing was guessed: the files are as they were.
    assert_eq!(stored_creds(dir.path()), creds(true));
    assert!(journal.exists());
}

#[test]
fn a_config_that_lost_its_secret_is_refused_not_rekeyed() {
    // Revision B's flows with revision A's credentials (an older credentials
    // file put back): c2's secret is only in the backup.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("flows.json"), bytes(&flows(true))).unwrap();
    std::fs::write(d.join("flows_cred.json"), bytes(&creds(false))).unwrap();
    std::fs::write(d.join(".flows_cred.json.backup"), bytes(&creds(true))).unwrap();
    let (code, stderr) = refused_start(d);
    assert_ne!(code, 0, "{stderr}");
    assert!(
        stderr.contains("c2") && stderr.contains("secret") && stderr.contains("held one before"),
        "the error names the node and the field: {stderr}"
    );
    assert_eq!(
        stored_creds(d),
        creds(false),
        "no secret was generated and saved"
    );
}

#[test]
fn a_deploy_that_drops_a_secret_is_refused_not_rekeyed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flows.json"), bytes(&flows(false))).unwrap();
    std::fs::write(dir.path().join("flows_cred.json"), bytes(&creds(false))).unwrap();
    let s = start(dir);
    let mut cleared = flows(false);
    cleared[1]["credentials"] = json!({"secret": ""});
    let r = client()
        .post(s.url("/flows"))
        .header("Content-Type", "application/json")
        .body(cleared.to_string())
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().unwrap();
    assert!(
        body.contains("c1") && body.contains("secret") && body.contains("held one before"),
        "{body}"
    );
    assert_eq!(check(&s, 1, S1), 200);
    assert_eq!(stored_creds(s.dir.path()), creds(false));
}

// ------------------------------------------- credential fields as properties

const LITERAL: &str = "literal-secret-in-the-flows-0123456789abcdef";

fn literal_flow() -> Value {
    let mut nodes = vec![
        json!({"id": "tab", "type": "tab", "label": "pair"}),
        json!({"id": "c1", "type": "jwt-config", "z": "tab", "name": "cfg1", "algorithm": "HS256",
               "secret": LITERAL}),
    ];
    nodes.extend(verifier(1));
    Value::Array(nodes)
}

/// The literal is used as the key, kept in the credentials file only, and
/// never served.
fn assert_moved_and_hidden(s: &Server) {
    assert_eq!(check(s, 1, LITERAL), 200, "{}", s.logs());
    assert_eq!(stored_creds(s.dir.path())["c1"]["secret"], LITERAL);
    let file = std::fs::read_to_string(&s.flows_path).unwrap();
    assert!(!file.contains(LITERAL), "still in the flows file: {file}");
    assert!(file.contains("\"c1\""));
    for path in ["/flows", "/flow/tab", "/flow/global"] {
        let body = client().get(s.url(path)).send().unwrap().text().unwrap();
        assert!(!body.contains(LITERAL), "{path} serves the secret: {body}");
    }
    let tab = client()
        .get(s.url("/flow/tab"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(tab.contains("\"c1\""), "{tab}");
    let logs = s.logs();
    assert!(
        logs.contains("jwt-config node c1: property \"secret\" is a credential"),
        "a warning names the node and field: {logs}"
    );
    assert!(!logs.contains(LITERAL));
}

#[test]
fn a_literal_secret_in_the_flows_file_moves_to_the_credentials() {
    let s = Server::start(&literal_flow().to_string());
    assert_moved_and_hidden(&s);
}

#[test]
fn a_literal_secret_deployed_moves_to_the_credentials() {
    let s = Server::start(&json!([{"id": "tab", "type": "tab", "label": "pair"}]).to_string());
    let r = client()
        .post(s.url("/flows"))
        .header("Content-Type", "application/json")
        .body(literal_flow().to_string())
        .send()
        .unwrap();
    assert_eq!(r.status(), 204, "{}", r.text().unwrap());
    assert_moved_and_hidden(&s);
}

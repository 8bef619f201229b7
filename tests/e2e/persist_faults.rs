//! Deploys that cannot be saved: the user directory is not writable, or the
//! disk is full. Either way the deploy is answered with an error, the files
//! stay exactly as they were, the running flows stay as they were, and once
//! the fault is gone the next deploy succeeds.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{client, Server};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const PASSWORD: &str = "fault-test-basic-auth-password";

/// `GET /v` answers with status `200 + version`.
fn flow(version: u16, padding: usize) -> Value {
    json!([
        {"id": "t", "type": "tab", "label": "faults", "info": "x".repeat(padding)},
        {"id": "i", "type": "http in", "z": "t", "url": "/v", "method": "get", "x": 1, "y": 1, "wires": [["o"]]},
        {"id": "o", "type": "http response", "z": "t", "statusCode": (200 + version).to_string(), "x": 2, "y": 1, "wires": []},
        {"id": "r", "type": "http request", "z": "t", "method": "GET", "ret": "txt", "url": "http://127.0.0.1:9/",
         "authType": "basic", "x": 3, "y": 1, "wires": [[]],
         "credentials": {"user": "fault-user", "password": PASSWORD}}
    ])
}

/// Every file in `dir` with its SHA-256 (temporary files included, so a
/// failed save that leaves one behind is caught).
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            (
                e.file_name().to_string_lossy().into_owned(),
                hex::encode(Sha256::digest(&bytes)),
            )
        })
        .collect()
}

fn deploy(s: &Server, flows: &Value) -> reqwest::blocking::Response {
    client()
        .post(s.url("/flows"))
        .header("Content-Type", "application/json")
        .header("Node-RED-Deployment-Type", "full")
        .body(flows.to_string())
        .send()
        .unwrap()
}

fn served_version(s: &Server) -> u16 {
    client().get(s.url("/v")).send().unwrap().status().as_u16() - 200
}

fn running_flows(s: &Server) -> Value {
    client()
        .get(s.url("/flows"))
        .send()
        .unwrap()
        .json()
        .unwrap()
}

/// A user directory holding version 1 of the flow, deployed once through the
/// API so the credentials file and backups exist.
fn prepared_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let flows = dir.path().join("flows.json");
    std::fs::write(&flows, flow(1, 0).to_string()).unwrap();
    {
        let s = Server::start_in(tempfile::tempdir().unwrap(), flows.clone(), &[], &[]);
        assert_eq!(deploy(&s, &flow(1, 0)).status(), 204);
    }
    (dir, flows)
}

/// The refused deploy: 500 `save_failed` naming the file, nothing changed.
fn assert_refused_and_unchanged(s: &Server, dir: &Path, attempt: &Value, why: &str) {
    let files = snapshot(dir);
    let running = running_flows(s);
    let r = deploy(s, attempt);
    assert_eq!(r.status(), 500, "{why}");
    let body: Value = r.json().unwrap();
    assert_eq!(body["code"], "save_failed", "{why}: {body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("cannot save"), "{why}: {message}");
    assert!(!message.contains(PASSWORD), "{why}: {message}");
    assert_eq!(snapshot(dir), files, "{why}: files changed");
    assert_eq!(running_flows(s), running, "{why}: running flows changed");
    assert_eq!(served_version(s), 1, "{why}");
    assert!(!s.logs().contains(PASSWORD));
}

#[test]
fn an_unwritable_user_directory_refuses_the_deploy_and_keeps_the_flows() {
    let (dir, flows) = prepared_dir();
    // The process may read but not write the directory. As root, which may
    // write anywhere, it runs as `nobody` instead.
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let p = f.unwrap().path();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let as_nobody = unsafe { libc::geteuid() } == 0;
    let s = Server::start_configured(
        tempfile::tempdir().unwrap(),
        flows,
        &[],
        &[],
        |cmd: &mut Command| {
            if as_nobody {
                cmd.uid(65534).gid(65534);
            }
        },
    );
    assert_eq!(served_version(&s), 1);
    assert_refused_and_unchanged(&s, dir.path(), &flow(2, 0), "read-only directory");
    // Writable again: the next deploy is saved and served.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    assert_eq!(deploy(&s, &flow(3, 0)).status(), 204);
    assert_eq!(served_version(&s), 3);
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("flows.json")).unwrap())
            .unwrap();
    assert_eq!(saved[2]["statusCode"], "203");
    assert!(!saved.to_string().contains(PASSWORD));
}

#[test]
fn a_full_disk_refuses_the_deploy_and_keeps_the_flows() {
    let (dir, flows) = prepared_dir();
    // A file-size limit stands in for a full disk: writes beyond it fail
    // with EFBIG, as they would with ENOSPC. (SIGXFSZ, which would otherwise
    // kill the process, is ignored, as it is inherited across exec.)
    const LIMIT: libc::rlim_t = 16 * 1024;
    let s = Server::start_configured(
        tempfile::tempdir().unwrap(),
        flows,
        &[],
        &[],
        |cmd: &mut Command| unsafe {
            cmd.pre_exec(|| {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let limit = libc::rlimit {
                    rlim_cur: LIMIT,
                    rlim_max: LIMIT,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        },
    );
    assert_eq!(served_version(&s), 1);
    // A flow bigger than the space left.
    assert_refused_and_unchanged(&s, dir.path(), &flow(2, 64 * 1024), "disk full");
    // One that fits is saved and served.
    assert_eq!(deploy(&s, &flow(3, 0)).status(), 204);
    assert_eq!(served_version(&s), 3);
}

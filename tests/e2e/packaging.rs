//! The container image and the Kubernetes manifests run what they say: the
//! command a pod runs (the Dockerfile's entrypoint followed by the
//! Deployment's args) starts a cluster replica whose probes answer without
//! the admin token while the rest of the admin API keeps it.

use std::time::Duration;

use crate::cluster_harness::{free_port, Redis};
use crate::common;

/// The JSON array after `keyword` in the Dockerfile (`ENTRYPOINT [...]`).
fn dockerfile_array(keyword: &str) -> Vec<String> {
    let text = std::fs::read_to_string(common::repo_root().join("Dockerfile")).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(keyword))
        .unwrap_or_else(|| panic!("no {keyword} in the Dockerfile"));
    serde_json::from_str(line[keyword.len()..].trim()).unwrap()
}

/// The scalar items of the YAML block list under the first `key:` line
/// (`args:` lists one `- value` per line in the manifest).
fn yaml_list(text: &str, key: &str) -> Vec<String> {
    let mut lines = text.lines().skip_while(|l| l.trim() != key).skip(1);
    let mut items = Vec::new();
    for line in lines.by_ref() {
        let t = line.trim();
        if t.starts_with('#') {
            continue;
        }
        match t.strip_prefix("- ") {
            Some(item) => items.push(item.trim_matches('"').to_owned()),
            None => break,
        }
    }
    items
}

/// The `path:` of the probe named `probe` (`readinessProbe:`).
fn probe_path(text: &str, probe: &str) -> String {
    let line = text
        .lines()
        .skip_while(|l| l.trim() != probe)
        .find(|l| l.contains("path:"))
        .unwrap();
    let at = line.find("path:").unwrap() + "path:".len();
    line[at..]
        .split([',', '}'])
        .next()
        .unwrap()
        .trim()
        .to_owned()
}

#[test]
fn the_pod_command_runs_a_replica_whose_probes_need_no_token() {
    let manifest =
        std::fs::read_to_string(common::repo_root().join("deploy/kubernetes/flowgate.yaml"))
            .unwrap();
    let entrypoint = dockerfile_array("ENTRYPOINT");
    assert_eq!(
        entrypoint,
        ["/usr/local/bin/flowgate"],
        "args follow the binary"
    );
    let args = yaml_list(&manifest, "args:");
    assert_eq!(args[..2], ["run", "/data/flows.json"], "{args:?}");
    // The image's default command is the same flow, without the cluster.
    assert_eq!(dockerfile_array("CMD")[..2], args[..2]);

    let redis = Redis::start();
    let dir = tempfile::tempdir().unwrap();
    let flows = dir.path().join("flows.json");
    std::fs::copy(common::repo_root().join("flows/ignite-jwt.json"), &flows).unwrap();
    let port = free_port();
    // The pod's command on loopback: its flows file, host and Redis here.
    let local: Vec<String> = args
        .iter()
        .map(|a| match a.as_str() {
            "/data/flows.json" => flows.to_str().unwrap().to_owned(),
            "0.0.0.0" => "127.0.0.1".to_owned(),
            a if a.starts_with("redis://") => redis.url(),
            a => a.to_owned(),
        })
        .chain(["--port".to_owned(), port.to_string()])
        .collect();
    let mut child = std::process::Command::new(common::binary())
        .args(&local)
        .env(
            "FLOWGATE_CREDENTIAL_SECRET",
            "pod-credential-secret-0123456789abcdef",
        )
        .env("FLOWGATE_ADMIN_TOKEN", "pod-admin-token-0123456789abcdef")
        .env("FLOWGATE_REPLICA_NAME", "flowgate-0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = common::client();
    let ready = probe_path(&manifest, "readinessProbe:");
    let live = probe_path(&manifest, "livenessProbe:");
    let mut status = 0;
    for _ in 0..100 {
        if let Ok(r) = client.get(format!("{base}{ready}")).send() {
            status = r.status().as_u16();
            if status == 200 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let answers = |path: &str| {
        client
            .get(format!("{base}{path}"))
            .send()
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    let outcome = (
        status,
        answers(&live),
        answers("/flows"),
        answers("/jwt/generate"),
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(ready, "/ready");
    assert_eq!(live, "/health");
    assert_eq!(
        outcome,
        (200, 200, 401, 200),
        "readiness, liveness, the admin API without a token, the flow"
    );
}

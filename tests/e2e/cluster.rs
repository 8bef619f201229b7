//! Cluster mode through real parts on loopback: `redis-server`, three
//! `flowgate run --cluster` replicas and `haproxy` in front of them.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cluster_harness::{get, version_flow, Cluster, Haproxy, Redis, Replica};
use crate::common;

/// Send `GET /version` through `url` from `threads` threads until `stop`:
/// every (status, body) seen.
fn load(
    url: String,
    threads: usize,
    stop: Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<Vec<(u16, String)>>> {
    (0..threads)
        .map(|_| {
            let (url, stop) = (url.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                while !stop.load(Ordering::Relaxed) && seen.len() < 20_000 {
                    seen.push(get(&url));
                }
                seen
            })
        })
        .collect()
}

fn collect(handles: Vec<std::thread::JoinHandle<Vec<(u16, String)>>>) -> Vec<(u16, String)> {
    handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect()
}

#[test]
fn deploys_through_different_replicas_under_load_never_fail_a_request() {
    let cluster = Cluster::start(3, &version_flow("v0"));
    let lb = Haproxy::start(&cluster.ports());
    let stop = Arc::new(AtomicBool::new(false));
    let loaders = load(lb.url("/version"), 4, stop.clone());
    let mut last = String::new();
    for i in 1..=20 {
        let via = &cluster.replicas[i % 3];
        let (status, body) = via.deploy(&version_flow(&format!("v{i}")), None);
        assert_eq!(status, 200, "deploy {i} through {}: {body}", via.name);
        last = body["rev"].as_str().unwrap().to_owned();
    }
    cluster.wait_for_rev(&last, Duration::from_secs(5));
    stop.store(true, Ordering::Relaxed);
    let seen = collect(loaders);
    let allowed: HashSet<String> = (0..=20).map(|i| format!("v{i}")).collect();
    let bad: Vec<_> = seen
        .iter()
        .filter(|(s, b)| *s != 200 || !allowed.contains(b))
        .take(5)
        .collect();
    assert!(seen.len() > 100, "only {} requests", seen.len());
    assert!(bad.is_empty(), "{} requests, failures: {bad:?}", seen.len());
    for r in &cluster.replicas {
        assert_eq!(r.get("/version"), (200, "v20".into()), "{}", r.name);
    }
}

#[test]
fn concurrent_deploys_with_the_same_rev_to_two_replicas_one_wins_one_409() {
    let cluster = Cluster::start(3, &version_flow("v0"));
    let rev = cluster.replicas[0].rev();
    let barrier = Arc::new(Barrier::new(2));
    let results: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = [1usize, 2]
            .iter()
            .map(|&i| {
                let (replica, rev, barrier) = (&cluster.replicas[i], rev.clone(), barrier.clone());
                s.spawn(move || {
                    barrier.wait();
                    replica.deploy(&version_flow(&format!("from r{i}")), Some(&rev))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let statuses: Vec<u16> = results.iter().map(|r| r.0).collect();
    let won: Vec<&(u16, Value)> = results.iter().filter(|r| r.0 == 200).collect();
    let lost: Vec<&(u16, Value)> = results.iter().filter(|r| r.0 == 409).collect();
    assert_eq!((won.len(), lost.len()), (1, 1), "{results:?}");
    assert_eq!(lost[0].1["code"], "version_mismatch", "{statuses:?}");
    let winner_rev = won[0].1["rev"].as_str().unwrap();
    cluster.wait_for_rev(winner_rev, Duration::from_secs(3));
    let answers: HashSet<String> = cluster
        .replicas
        .iter()
        .map(|r| r.get("/version").1)
        .collect();
    assert_eq!(
        answers.len(),
        1,
        "every replica runs the winner: {answers:?}"
    );
}

#[test]
fn a_replica_killed_under_load_loses_only_its_requests_and_restarts_on_the_current_flows() {
    let mut cluster = Cluster::start(3, &version_flow("v0"));
    let lb = Haproxy::start(&cluster.ports());
    let stop = Arc::new(AtomicBool::new(false));
    let loaders = load(lb.url("/version"), 4, stop.clone());
    std::thread::sleep(Duration::from_millis(700));
    cluster.replicas[1].kill9();
    // A deploy while it is down: it must come back on these flows.
    let (status, body) = cluster.replicas[0].deploy(&version_flow("v1"), None);
    assert_eq!(status, 200, "{body}");
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::Relaxed);
    let seen = collect(loaders);
    let failed = seen.iter().filter(|(s, _)| *s != 200).count();
    // At most the requests in flight on the killed replica (one per
    // client thread).
    assert!(
        failed <= 4,
        "{failed} of {} failed: {:?}",
        seen.len(),
        seen.iter().find(|r| r.0 != 200)
    );
    assert!(seen.len() > 100, "only {} requests", seen.len());
    cluster.restart(1);
    assert_eq!(cluster.replicas[1].get("/version"), (200, "v1".into()));
    // Its flows file now caches the current flows.
    let cached = std::fs::read_to_string(cluster.dir.path().join("r1/flows.json")).unwrap();
    assert!(cached.contains("\"v1\""), "{cached}");
    // The balancer's check puts it back; every answer is the current flows.
    std::thread::sleep(Duration::from_millis(500));
    for _ in 0..9 {
        assert_eq!(get(&lb.url("/version")), (200, "v1".into()));
    }
}

#[test]
fn while_redis_is_stopped_replicas_serve_report_and_refuse_deploys_then_resume() {
    let cluster = Cluster::start(3, &version_flow("v0"));
    cluster.redis.pause();
    std::thread::sleep(Duration::from_millis(2500));
    for r in &cluster.replicas {
        assert_eq!(
            r.get("/version"),
            (200, "v0".into()),
            "{} keeps serving",
            r.name
        );
        let (status, body) = r.get("/ready");
        assert_eq!(status, 503, "{}: {body}", r.name);
        assert!(
            body.contains("the cluster's Redis is unreachable"),
            "{body}"
        );
    }
    let (status, body) = cluster.replicas[0].deploy(&version_flow("v1"), None);
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("cluster_unavailable")),
        "{body}"
    );
    std::thread::sleep(Duration::from_millis(1000));
    for r in &cluster.replicas {
        let logs = r.logs();
        assert_eq!(
            logs.matches("the cluster's Redis is unreachable (").count(),
            1,
            "{} logs it once:\n{logs}",
            r.name
        );
    }
    cluster.redis.resume();
    cluster.wait_until_ready(Duration::from_secs(5));
    let (status, body) = cluster.replicas[2].deploy(&version_flow("v1"), None);
    assert_eq!(status, 200, "{body}");
    cluster.wait_for_rev(body["rev"].as_str().unwrap(), Duration::from_secs(3));
}

#[test]
fn a_replica_catches_up_on_a_redis_restarted_empty() {
    let mut cluster = Cluster::start(2, &version_flow("v0"));
    let rev = cluster.replicas[0].rev();
    cluster.redis.restart();
    // The replicas store what they run again, and deploys work.
    let deadline = Instant::now() + Duration::from_secs(5);
    while cluster.redis.command(&["GET", "flowgate:rev"]) == "$-1" {
        assert!(Instant::now() < deadline, "{}", cluster.replicas[0].logs());
        std::thread::sleep(Duration::from_millis(50));
    }
    cluster.wait_until_ready(Duration::from_secs(5));
    // The first command on a reconnecting connection may still time out on
    // a loaded machine (a 503 that says so): deploys must work within 5 s.
    let deadline = Instant::now() + Duration::from_secs(5);
    let (status, body) = loop {
        let (status, body) = cluster.replicas[1].deploy(&version_flow("v1"), Some(&rev));
        if status != 503 || Instant::now() > deadline {
            break (status, body);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(status, 200, "{body}");
    cluster.wait_for_rev(body["rev"].as_str().unwrap(), Duration::from_secs(3));
}

/// `/issue` signs a token with an ES256 `jwt-config` that has no key (one
/// is generated), `/verify` verifies the bearer token; the key set is
/// published.
fn jwt_flow() -> Value {
    json!([
        {"id": "t", "type": "tab", "label": "Tokens"},
        {"id": "cfg", "type": "jwt-config", "z": "", "name": "gen", "algorithm": "ES256",
         "expiresin": "600", "publishjwks": true},
        {"id": "i", "type": "http in", "z": "t", "url": "/issue", "method": "get", "wires": [["claims"]]},
        {"id": "claims", "type": "change", "z": "t", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "{\"sub\":\"alice\"}", "tot": "json"}],
         "wires": [["sign"]]},
        {"id": "sign", "type": "jwt", "z": "t", "jwtconfig": "cfg", "generatejwt": "true", "wires": [["o1"]]},
        {"id": "o1", "type": "http response", "z": "t", "wires": []},
        {"id": "v", "type": "http in", "z": "t", "url": "/verify", "method": "get", "wires": [["check"]]},
        {"id": "check", "type": "jwt", "z": "t", "jwtconfig": "cfg", "generatejwt": "false", "wires": [["o2"]]},
        {"id": "o2", "type": "http response", "z": "t", "wires": []}
    ])
}

/// A token from the first replica verifies on each other one, and every
/// replica publishes the same key set.
fn assert_one_key(replicas: &[Replica]) {
    let (status, token) = replicas[0].get("/issue");
    assert_eq!(status, 200, "{token}");
    for r in replicas {
        let resp = common::client()
            .get(r.url("/verify"))
            .bearer_auth(&token)
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{} refuses the token", r.name);
    }
    let sets: HashSet<String> = replicas
        .iter()
        .map(|r| r.get("/.well-known/jwks.json").1)
        .collect();
    assert_eq!(sets.len(), 1, "{sets:?}");
    let set: Value = serde_json::from_str(sets.iter().next().unwrap()).unwrap();
    assert_eq!(set["keys"].as_array().map(Vec::len), Some(1), "{set}");
}

#[test]
fn replicas_starting_at_once_agree_on_one_generated_key() {
    let redis = Redis::start();
    let dir = tempfile::tempdir().unwrap();
    let flow = jwt_flow().to_string();
    let ports: Vec<u16> = (0..3)
        .map(|_| crate::cluster_harness::free_port())
        .collect();
    let replicas: Vec<Replica> = std::thread::scope(|s| {
        let handles: Vec<_> = ports
            .iter()
            .enumerate()
            .map(|(i, &port)| {
                let (dir, url, flow) = (dir.path(), redis.url(), &flow);
                s.spawn(move || Replica::start(dir, &format!("r{i}"), port, &url, flow))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_one_key(&replicas);
}

#[test]
fn a_key_generated_by_a_deploy_is_the_same_on_every_replica() {
    let cluster = Cluster::start(3, &version_flow("v0"));
    let (status, body) = cluster.replicas[1].deploy(&jwt_flow(), None);
    assert_eq!(status, 200, "{body}");
    cluster.wait_for_rev(body["rev"].as_str().unwrap(), Duration::from_secs(3));
    assert_one_key(&cluster.replicas);
}

/// An inject repeating every 100 ms appends a line to `file` per firing.
fn inject_flow(file: &std::path::Path, cluster: Option<&str>) -> Value {
    let mut inject = json!({"id": "tick", "type": "inject", "z": "t", "repeat": "0.1",
        "props": [{"p": "payload"}], "payloadType": "date", "wires": [["append"]]});
    if let Some(c) = cluster {
        inject["cluster"] = json!(c);
    }
    json!([
        {"id": "t", "type": "tab", "label": "Timers"},
        inject,
        {"id": "append", "type": "file", "z": "t", "filename": file.to_str().unwrap(),
         "filenameType": "str", "appendNewline": true, "createDir": false,
         "overwriteFile": "false", "encoding": "none", "wires": [[]]}
    ])
}

/// Lines appended to `file` over `window`.
fn firings(file: &std::path::Path, window: Duration) -> usize {
    let lines = || {
        std::fs::read_to_string(file)
            .unwrap_or_default()
            .lines()
            .count()
    };
    let before = lines();
    std::thread::sleep(window);
    lines() - before
}

/// Which replica holds the timer lease, by its `flowgate_cluster_leader`.
fn leader(replicas: &[Replica]) -> Vec<usize> {
    (0..replicas.len())
        .filter(|&i| {
            let metrics = replicas[i].get("/metrics").1;
            metrics
                .lines()
                .any(|l| l.trim() == "flowgate_cluster_leader 1")
        })
        .collect()
}

#[test]
fn an_inject_repeat_fires_once_per_period_across_the_cluster_and_after_its_leader_dies() {
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("ticks.txt");
    let mut cluster = Cluster::start(3, &inject_flow(&file, None));
    std::thread::sleep(Duration::from_millis(1000));
    let window = Duration::from_secs(2);
    let n = firings(&file, window);
    assert!(
        (14..=24).contains(&n),
        "{n} firings in 2 s (one replica fires: ~20)"
    );
    let leaders = leader(&cluster.replicas);
    assert_eq!(leaders.len(), 1, "{leaders:?}");
    cluster.replicas[leaders[0]].kill9();
    // The lease runs out (2.5 s) and another replica takes it.
    std::thread::sleep(Duration::from_millis(3500));
    let n = firings(&file, window);
    assert!(
        (14..=24).contains(&n),
        "{n} firings in 2 s after the leader died"
    );
}

#[test]
fn an_inject_set_to_every_replica_fires_on_each() {
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("ticks.txt");
    let _cluster = Cluster::start(3, &inject_flow(&file, Some("all")));
    std::thread::sleep(Duration::from_millis(500));
    let n = firings(&file, Duration::from_secs(2));
    assert!(
        (48..=66).contains(&n),
        "{n} firings in 2 s (three replicas: ~60)"
    );
}

#[test]
fn debug_messages_from_any_replica_reach_the_editor_on_another_tagged_with_its_name() {
    use tungstenite::{connect, Message};
    let flow = json!([
        {"id": "t", "type": "tab", "label": "Debug"},
        {"id": "in", "type": "http in", "z": "t", "url": "/hit", "method": "get", "wires": [["set"]]},
        {"id": "set", "type": "change", "z": "t", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "seen", "tot": "str"}], "wires": [["out", "dbg"]]},
        {"id": "dbg", "type": "debug", "z": "t", "active": true, "tosidebar": true, "complete": "payload", "wires": []},
        {"id": "out", "type": "http response", "z": "t", "wires": []}
    ]);
    let cluster = Cluster::start(2, &flow);
    let (mut ws, _) =
        connect(format!("ws://127.0.0.1:{}/comms", cluster.replicas[0].port)).unwrap();
    if let tungstenite::stream::MaybeTlsStream::Plain(tcp) = ws.get_ref() {
        tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    }
    ws.send(Message::text(json!({"subscribe": "debug"}).to_string()))
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(cluster.replicas[1].get("/hit"), (200, "seen".into()));
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut debug = Vec::new();
    while debug.is_empty() && Instant::now() < deadline {
        if let Ok(Message::Text(t)) = ws.read() {
            let batch: Value = serde_json::from_str(t.as_str()).unwrap();
            debug.extend(
                batch
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|e| e["topic"] == "debug")
                    .cloned(),
            );
        }
    }
    let event = debug
        .first()
        .expect("a debug message from r1 on r0's /comms");
    assert_eq!(event["data"]["replica"], "r1", "{event}");
    assert_eq!(event["data"]["msg"], "seen", "{event}");
}

#[test]
fn cluster_mode_refuses_to_start_without_a_credential_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(&path, version_flow("v0").to_string()).unwrap();
    let (code, _, err) = common::run_cli(&[
        "run",
        path.to_str().unwrap(),
        "--port",
        "0",
        "--cluster",
        "redis://127.0.0.1:1/0",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--cluster needs a credential secret (FLOWGATE_CREDENTIAL_SECRET)"),
        "{err}"
    );
}

#[test]
fn a_replica_started_without_redis_serves_its_file_and_joins_when_redis_starts() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::cluster_harness::free_port();
    let url = format!("redis://127.0.0.1:{port}/0");
    let replica = Replica::start(
        dir.path(),
        "r0",
        crate::cluster_harness::free_port(),
        &url,
        &version_flow("v0").to_string(),
    );
    assert_eq!(replica.get("/version"), (200, "v0".into()));
    let (status, body) = replica.get("/ready");
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("the cluster's Redis is unreachable"),
        "{body}"
    );
    let redis = Redis::start_on(port);
    let deadline = Instant::now() + Duration::from_secs(5);
    while replica.get("/ready").0 != 200 {
        assert!(Instant::now() < deadline, "{}", replica.logs());
        std::thread::sleep(Duration::from_millis(50));
    }
    let rev = replica.rev();
    let deadline = Instant::now() + Duration::from_secs(3);
    while redis.command(&["GET", "flowgate:rev"]) == "$-1" {
        assert!(Instant::now() < deadline, "{}", replica.logs());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(replica.deploy(&version_flow("v1"), Some(&rev)).0, 200);
}

#[test]
fn a_nodes_deploy_reaches_every_replica_and_reload_runs_the_stored_flows() {
    let cluster = Cluster::start(2, &version_flow("v0"));
    let resp = common::client()
        .post(cluster.replicas[0].url("/flows"))
        .header("Node-RED-API-Version", "v2")
        .header("Node-RED-Deployment-Type", "nodes")
        .json(&json!({ "flows": version_flow("v1") }))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let rev = resp.json::<Value>().unwrap()["rev"]
        .as_str()
        .unwrap()
        .to_owned();
    cluster.wait_for_rev(&rev, Duration::from_secs(3));
    assert_eq!(cluster.replicas[1].get("/version"), (200, "v1".into()));
    // A reload reads the cluster's flows, not the replica's own file.
    let file = cluster.dir.path().join("r1/flows.json");
    std::fs::write(&file, version_flow("local").to_string()).unwrap();
    let resp = common::client()
        .post(cluster.replicas[1].url("/flows"))
        .header("Node-RED-API-Version", "v2")
        .header("Node-RED-Deployment-Type", "reload")
        .body("{}")
        .header("Content-Type", "application/json")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.json::<Value>().unwrap()["rev"], json!(rev));
    assert_eq!(cluster.replicas[1].get("/version"), (200, "v1".into()));
}

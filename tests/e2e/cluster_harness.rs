//! A cluster on loopback for the cluster tests: a real `redis-server`,
//! `flowgate run --cluster` replicas and an `haproxy` balancing across
//! them, each on a free port with a generated configuration, stopped by
//! process id when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common;

/// The credential secret every replica shares.
pub const SECRET: &str = "cluster-test-credential-secret";

/// A port nothing listens on now, and never handed out before in this test
/// run (see [`common::free_port`]).
pub use crate::common::free_port;

fn signal(child: &Child, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .stderr(Stdio::null())
        .status();
}

/// Wait until `port` accepts connections.
fn wait_listening(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A `redis-server` without persistence.
pub struct Redis {
    child: Child,
    pub port: u16,
}

impl Redis {
    pub fn start() -> Redis {
        Self::start_on(free_port())
    }

    pub fn start_on(port: u16) -> Redis {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (apt-get install redis-server)");
        wait_listening(port, "redis-server");
        Redis { child, port }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Kill it and start an empty one on the same port.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        *self = Self::start_on(self.port);
    }

    /// Freeze it (SIGSTOP): connections stay open, nothing answers.
    pub fn pause(&self) {
        signal(&self.child, "STOP");
    }

    pub fn resume(&self) {
        signal(&self.child, "CONT");
    }

    /// One command over RESP, the answer's first line.
    pub fn command(&self, args: &[&str]) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        s.write_all(req.as_bytes()).unwrap();
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).unwrap();
        line.trim().to_owned()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        signal(&self.child, "CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `flowgate run --cluster` process.
pub struct Replica {
    child: Child,
    pub name: String,
    pub port: u16,
    logs: Arc<Mutex<String>>,
}

impl Replica {
    /// Start replica `name` on `port` with its own flows file under `dir`
    /// (written from `flow` when it does not exist yet).
    pub fn start(dir: &Path, name: &str, port: u16, redis: &str, flow: &str) -> Replica {
        let home = dir.join(name);
        std::fs::create_dir_all(&home).unwrap();
        let flows_path = home.join("flows.json");
        if !flows_path.exists() {
            std::fs::write(&flows_path, flow).unwrap();
        }
        let mut child = Command::new(common::binary())
            .arg("run")
            .arg(&flows_path)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--cluster",
                redis,
                "--replica-name",
                name,
                "--metrics-public",
            ])
            .env("FLOWGATE_CREDENTIAL_SECRET", SECRET)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn flowgate");
        let logs = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().unwrap();
        let sink = logs.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.contains("listening on http://") {
                    let _ = tx.send(());
                }
            }
        });
        if rx.recv_timeout(Duration::from_secs(30)).is_err() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name} did not start:\n{}", logs.lock().unwrap());
        }
        Replica {
            child,
            name: name.to_owned(),
            port,
            logs,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// SIGKILL: no shutdown, no lease released.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// `GET path` on this replica: (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        get(&self.url(path))
    }

    /// The revision this replica runs.
    pub fn rev(&self) -> String {
        let resp = common::client()
            .get(self.url("/flows"))
            .header("Node-RED-API-Version", "v2")
            .send()
            .unwrap();
        let v: Value = resp.json().unwrap();
        v["rev"].as_str().unwrap().to_owned()
    }

    /// Deploy `flows` (expecting revision `rev` when given): (status, body).
    pub fn deploy(&self, flows: &Value, rev: Option<&str>) -> (u16, Value) {
        let mut body = json!({ "flows": flows });
        if let Some(r) = rev {
            body["rev"] = json!(r);
        }
        let resp = common::client()
            .post(self.url("/flows"))
            .header("Node-RED-API-Version", "v2")
            .json(&body)
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().unwrap_or(Value::Null))
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET url`: (status, body); status 0 when the request failed.
pub fn get(url: &str) -> (u16, String) {
    match common::client().get(url).send() {
        Ok(r) => (r.status().as_u16(), r.text().unwrap_or_default()),
        Err(e) => (0, e.to_string()),
    }
}

/// An `haproxy` balancing round-robin over `ports`, checking `GET /health`
/// every 100 ms; a connection refused is retried on another replica.
pub struct Haproxy {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Haproxy {
    pub fn start(ports: &[u16]) -> Haproxy {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let servers: String = ports
            .iter()
            .enumerate()
            .map(|(i, p)| format!("    server r{i} 127.0.0.1:{p} check\n"))
            .collect();
        let cfg = format!(
            "global\n    maxconn 4096\n\
             defaults\n    mode http\n    timeout connect 1s\n    timeout client 30s\n    \
             timeout server 30s\n    retries 3\n    option redispatch 1\n\
             frontend fe\n    bind 127.0.0.1:{port}\n    default_backend be\n\
             backend be\n    balance roundrobin\n    option httpchk GET /health\n    \
             default-server inter 100ms fall 2 rise 2\n{servers}"
        );
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, cfg).unwrap();
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy (apt-get install haproxy)");
        wait_listening(port, "haproxy");
        Haproxy {
            child,
            port,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Redis, `n` replicas started one after the other from `flow`, and their
/// ports (fixed, so a replica can restart on its own).
pub struct Cluster {
    pub redis: Redis,
    pub replicas: Vec<Replica>,
    pub dir: tempfile::TempDir,
}

impl Cluster {
    pub fn start(n: usize, flow: &Value) -> Cluster {
        let redis = Redis::start();
        let dir = tempfile::tempdir().unwrap();
        let text = flow.to_string();
        let replicas = (0..n)
            .map(|i| {
                Replica::start(
                    dir.path(),
                    &format!("r{i}"),
                    free_port(),
                    &redis.url(),
                    &text,
                )
            })
            .collect();
        Cluster {
            redis,
            replicas,
            dir,
        }
    }

    pub fn ports(&self) -> Vec<u16> {
        self.replicas.iter().map(|r| r.port).collect()
    }

    /// Start replica `i` again (after [`Replica::kill9`]) on its port.
    pub fn restart(&mut self, i: usize) {
        let (name, port) = (self.replicas[i].name.clone(), self.replicas[i].port);
        self.replicas[i] = Replica::start(self.dir.path(), &name, port, &self.redis.url(), "[]");
    }

    /// Wait (bounded) until every replica answers `/ready` with 200.
    pub fn wait_until_ready(&self, within: Duration) {
        let deadline = Instant::now() + within;
        for r in &self.replicas {
            while r.get("/ready").0 != 200 {
                assert!(
                    Instant::now() < deadline,
                    "{} not ready:\n{}",
                    r.name,
                    r.logs()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Wait (bounded) until every replica runs revision `rev`.
    pub fn wait_for_rev(&self, rev: &str, within: Duration) {
        let deadline = Instant::now() + within;
        for r in &self.replicas {
            while r.rev() != rev {
                assert!(
                    Instant::now() < deadline,
                    "{} still runs {} instead of {rev}:\n{}",
                    r.name,
                    r.rev(),
                    r.logs()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// `GET /version` answers `text`.
pub fn version_flow(text: &str) -> Value {
    json!([
        {"id": "t", "type": "tab", "label": "Cluster"},
        {"id": "in", "type": "http in", "z": "t", "url": "/version", "method": "get", "wires": [["set"]]},
        {"id": "set", "type": "change", "z": "t", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": text, "tot": "str"}], "wires": [["out"]]},
        {"id": "out", "type": "http response", "z": "t", "wires": []}
    ])
}

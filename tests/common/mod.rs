//! Shared harness for end-to-end tests: start the real `flowgate` binary on an
//! ephemeral loopback port with a flow, talk to it over real HTTP.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Path of the built binary under test: this build's, or `FLOWGATE_BIN`
/// (a release build, when a load test is run by hand for figures).
pub fn binary() -> PathBuf {
    std::env::var_os("FLOWGATE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_flowgate")))
}

/// The repository root (for `flows/` examples).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A running `flowgate run` process; killed on drop.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub dir: tempfile::TempDir,
    pub flows_path: PathBuf,
    /// Everything the process wrote to stderr so far (logs).
    pub logs: Arc<Mutex<String>>,
}

impl Server {
    /// Write `flow` (JSON text) to a fresh temp dir as `flows.json` and run it.
    pub fn start(flow: &str) -> Server {
        Self::start_with(flow, &[], &[])
    }

    /// Like [`start`], with extra CLI args and environment variables.
    pub fn start_with(flow: &str, args: &[&str], envs: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let flows_path = dir.path().join("flows.json");
        std::fs::write(&flows_path, flow).expect("write flow");
        Self::start_in(dir, flows_path, args, envs)
    }

    /// Run an existing file (copied into a temp dir so credentials land there).
    pub fn start_file(path: &Path, args: &[&str], envs: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let flows_path = dir.path().join(path.file_name().unwrap());
        std::fs::copy(path, &flows_path).expect("copy flow");
        Self::start_in(dir, flows_path, args, envs)
    }

    /// Run `flows_path` (inside `dir`) and wait until it listens.
    pub fn start_in(
        dir: tempfile::TempDir,
        flows_path: PathBuf,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> Server {
        Self::start_configured(dir, flows_path, args, envs, |_| {})
    }

    /// Like [`start_in`], letting `configure` adjust the command first
    /// (resource limits, credentials of the process).
    pub fn start_configured(
        dir: tempfile::TempDir,
        flows_path: PathBuf,
        args: &[&str],
        envs: &[(&str, &str)],
        configure: impl FnOnce(&mut Command),
    ) -> Server {
        let mut cmd = Command::new(binary());
        cmd.arg("run")
            .arg(&flows_path)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        configure(&mut cmd);
        let mut child = cmd.spawn().expect("spawn flowgate");
        let logs = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().unwrap();
        let logs2 = logs.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                logs2
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent {
                    if let Some(addr) = line.split("listening on http://").nth(1) {
                        let _ = tx.send(addr.trim().to_string());
                        sent = true;
                    }
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!("flowgate did not start; logs:\n{}", logs.lock().unwrap());
            }
        };
        Server {
            child,
            addr,
            dir,
            flows_path,
            logs,
        }
    }

    /// `http://127.0.0.1:PORT` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The logs written so far.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// Send SIGTERM and wait (bounded) for the exit status.
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        unsafe_kill(self.child.id(), "TERM");
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(s)) = self.child.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

fn unsafe_kill(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking HTTP client with a bounded timeout.
pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Run `flowgate <args>` to completion: (exit code, stdout, stderr).
pub fn run_cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(binary())
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run flowgate");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A free TCP port on loopback (bound, then released), never one this
/// process handed out before: the system may give a port just released
/// back to the next caller, and a test that asks for two ports (a broker's
/// plain and TLS listeners) would then get the same one twice.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if GIVEN.lock().unwrap_or_else(|e| e.into_inner()).insert(port) {
            return port;
        }
    }
}

/// A mosquitto broker on a free loopback port with a generated config,
/// stopped by its PID on drop. `extra` is appended to the config (more
/// listeners, a password file, TLS).
pub struct Mosquitto {
    pub port: u16,
    pub dir: tempfile::TempDir,
    config: PathBuf,
    child: Option<Child>,
}

impl Mosquitto {
    /// An anonymous broker on `127.0.0.1:<free port>`.
    pub fn start() -> Mosquitto {
        Self::start_with(free_port(), "")
    }

    /// A broker whose first listener (`127.0.0.1:port`, anonymous) is
    /// followed by the `extra` config lines.
    pub fn start_with(port: u16, extra: &str) -> Mosquitto {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("mosquitto.conf");
        let text = format!(
            "user root\npersistence false\nper_listener_settings true\n\
             listener {port} 127.0.0.1\nallow_anonymous true\n{extra}\n"
        );
        std::fs::write(&config, text).unwrap();
        let mut m = Mosquitto {
            port,
            dir,
            config,
            child: None,
        };
        m.restart();
        m
    }

    /// Path of a file in the broker's temp dir.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Start the broker (again) with its config; waits until it listens.
    pub fn restart(&mut self) {
        self.stop();
        let log = std::fs::File::create(self.dir.path().join("mosquitto.log")).unwrap();
        let child = Command::new(mosquitto_binary())
            .arg("-c")
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn mosquitto (install the mosquitto package)");
        self.child = Some(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "mosquitto did not listen: {}",
                std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stop the broker (SIGKILL by PID) and wait for it.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.stop();
    }
}

fn mosquitto_binary() -> &'static str {
    if Path::new("/usr/sbin/mosquitto").exists() {
        "/usr/sbin/mosquitto"
    } else {
        "mosquitto"
    }
}

/// Send SIGKILL to the flowgate process (an abrupt end: no clean MQTT
/// disconnect, so the broker publishes the will).
pub fn kill_hard(server: &mut Server) {
    unsafe_kill(server.child.id(), "KILL");
    let _ = server.child.wait();
}

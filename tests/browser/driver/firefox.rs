//! Headless Firefox (Debian's `firefox-esr`) through geckodriver with the
//! fantoccini WebDriver client: real WebDriver input actions, page errors
//! collected over WebDriver BiDi from the start.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use fantoccini::actions::{
    InputSource, KeyAction, KeyActions, MouseActions, PointerAction, MOUSE_BUTTON_LEFT,
};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use super::{bidi, one_browser_at_a_time, Driver, Modifier, WAIT};

/// How long geckodriver and Firefox may take to start.
const START: Duration = Duration::from_secs(60);

/// Firefox's path: `$FIREFOX`, else Debian's `firefox-esr` (installed by
/// `scripts/test`), else `firefox`.
fn firefox() -> PathBuf {
    if let Some(p) = std::env::var_os("FIREFOX") {
        return PathBuf::from(p);
    }
    ["/usr/bin/firefox-esr", "/usr/bin/firefox"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .or_else(|| on_path("firefox-esr"))
        .or_else(|| on_path("firefox"))
        .expect("Firefox not found: install firefox-esr (scripts/test does) or set FIREFOX")
}

/// geckodriver's path: `$GECKODRIVER`, else the project-local install made by
/// `scripts/test` (`target/tools/bin`), else `PATH`.
fn geckodriver() -> PathBuf {
    if let Some(p) = std::env::var_os("GECKODRIVER") {
        return PathBuf::from(p);
    }
    let local = crate::common::repo_root().join("target/tools/bin/geckodriver");
    if local.exists() {
        return local;
    }
    on_path("geckodriver").expect(
        "geckodriver not found: run scripts/test, or \
         `cargo install --locked geckodriver --root target/tools`, or set GECKODRIVER",
    )
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// A running geckodriver on an ephemeral loopback port; killed on drop.
struct Geckodriver {
    child: Child,
    url: String,
    /// What geckodriver and Firefox wrote (for failure messages).
    log: Arc<Mutex<String>>,
}

impl Geckodriver {
    fn start() -> Geckodriver {
        let mut child = Command::new(geckodriver())
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--websocket-port",
                "0",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn geckodriver");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let (log2, tx2) = (log.clone(), tx.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.split("Listening on ").nth(1) {
                    let _ = tx2.send(addr.trim().to_string());
                }
                let mut log = log2.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let log2 = log.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                log2.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        drop(tx);
        let addr = match rx.recv_timeout(START) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "geckodriver did not start; output:\n{}",
                    log.lock().unwrap()
                );
            }
        };
        Geckodriver {
            child,
            url: format!("http://{addr}"),
            log,
        }
    }
}

impl Drop for Geckodriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Firefox with one page open on the editor.
pub struct Firefox {
    client: Client,
    rt: tokio::runtime::Runtime,
    errors: Arc<Mutex<Vec<String>>>,
    _geckodriver: Geckodriver,
    _lock: MutexGuard<'static, ()>,
}

impl Firefox {
    /// Start Firefox (fresh profile, 1280×800 viewport), open `base` + `/`
    /// and wait until the editor has loaded its flows.
    pub fn open(base: &str) -> Firefox {
        let lock = one_browser_at_a_time();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let geckodriver = Geckodriver::start();
        // geckodriver creates a fresh temporary profile for every session.
        let caps = json!({
            "browserName": "firefox",
            "webSocketUrl": true,
            "moz:firefoxOptions": {
                "binary": firefox(),
                "args": ["-headless", "--width=1280", "--height=800"],
                "prefs": {
                    "browser.shell.checkDefaultBrowser": false,
                    "datareporting.policy.dataSubmissionEnabled": false,
                    "toolkit.telemetry.reportingpolicy.firstRun": false,
                },
            },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let started = rt.block_on(async {
            tokio::time::timeout(
                START,
                ClientBuilder::new(HttpConnector::new())
                    .capabilities(caps)
                    .connect(&geckodriver.url),
            )
            .await
        });
        let client = match started {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => panic!(
                "start a Firefox session: {e}; geckodriver:\n{}",
                geckodriver.log.lock().unwrap()
            ),
            Err(_) => panic!(
                "Firefox did not start in time; geckodriver:\n{}",
                geckodriver.log.lock().unwrap()
            ),
        };
        let ws_url = client
            .capabilities()
            .and_then(|c| c.get("webSocketUrl"))
            .and_then(Value::as_str)
            .expect("Firefox offers WebDriver BiDi (webSocketUrl)")
            .to_string();
        let errors = Arc::new(Mutex::new(Vec::new()));
        let page = Firefox {
            client,
            rt,
            errors: errors.clone(),
            _geckodriver: geckodriver,
            _lock: lock,
        };

        let mut bidi = bidi::Bidi::connect(&ws_url, WAIT);
        bidi.command("session.subscribe", json!({"events": ["log.entryAdded"]}));
        let tree = bidi.command("browsingContext.getTree", json!({}));
        let context = tree["contexts"][0]["context"]
            .as_str()
            .expect("a browsing context")
            .to_string();
        // Exactly 1280×800 CSS pixels, whatever the window's toolbars take.
        bidi.command(
            "browsingContext.setViewport",
            json!({"context": context, "viewport": {"width": 1280, "height": 800}, "devicePixelRatio": 1}),
        );
        bidi.collect_errors(errors);

        page.run(page.client.goto(&format!("{base}/")), "open the editor");
        page.wait(
            "the editor to load",
            "document.body.dataset.ready === 'true'",
        );
        page
    }

    /// Run a WebDriver command on the page's runtime, bounded by [`WAIT`].
    fn run<T, E: std::fmt::Display>(
        &self,
        fut: impl std::future::Future<Output = Result<T, E>>,
        what: &str,
    ) -> T {
        match self
            .rt
            .block_on(async { tokio::time::timeout(WAIT, fut).await })
        {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => panic!("{what}: {e}; page errors: {:?}", self.errors()),
            Err(_) => panic!("{what}: no answer within {WAIT:?}"),
        }
    }

    /// Perform a sequence of mouse actions starting with a move to `p`.
    fn mouse(&self, p: (f64, f64), then: &[PointerAction]) {
        let mut seq = MouseActions::new("mouse".into()).then(PointerAction::MoveTo {
            duration: None,
            x: p.0.round(),
            y: p.1.round(),
        });
        for a in then {
            seq = seq.then(a.clone());
        }
        self.run(self.client.perform_actions(seq), "mouse input");
    }

    /// Type `text` (may hold WebDriver key codes such as `Key::Enter`) into
    /// the field matching `selector` with WebDriver's keyboard input; a field
    /// without focus gets it with the caret at the end, as a click would.
    pub fn type_into(&self, selector: &str, text: &str) {
        let field = self.field(selector);
        self.run(field.send_keys(text), &format!("type into {selector}"));
    }

    fn field(&self, selector: &str) -> fantoccini::elements::Element {
        self.run(
            self.client
                .wait()
                .at_most(WAIT)
                .for_element(Locator::Css(selector)),
            &format!("field {selector}"),
        )
    }
}

impl Driver for Firefox {
    fn run_script(&self, script: &str) -> Value {
        self.run(
            self.client.execute(script, vec![]),
            &format!("evaluate `{script}`"),
        )
    }

    fn errors(&self) -> Vec<String> {
        self.errors.lock().unwrap().clone()
    }

    fn click_at(&self, p: (f64, f64)) {
        let (down, up) = press();
        self.mouse(p, &[down, up]);
    }

    fn double_click_at(&self, p: (f64, f64)) {
        let (down, up) = press();
        self.mouse(p, &[down.clone(), up.clone(), down, up]);
    }

    /// Clear the field matching `selector` and type `text` into it.
    fn fill(&self, selector: &str, text: &str) {
        let field = self.field(selector);
        self.run(field.clear(), &format!("clear {selector}"));
        self.run(field.send_keys(text), &format!("type into {selector}"));
    }

    fn key(&self, key: &str, modifiers: &[Modifier]) {
        let key = key_code(key);
        let mut seq = KeyActions::new("keyboard".into());
        for m in modifiers {
            seq = seq.then(KeyAction::Down {
                value: modifier_code(*m),
            });
        }
        seq = seq
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        for m in modifiers.iter().rev() {
            seq = seq.then(KeyAction::Up {
                value: modifier_code(*m),
            });
        }
        self.run(self.client.perform_actions(seq), "keyboard input");
    }

    fn png(&self) -> Vec<u8> {
        self.run(self.client.screenshot(), "screenshot")
    }
}

/// WebDriver's code for a DOM key name ("Delete", "ArrowDown") or a
/// one-character key.
fn key_code(name: &str) -> char {
    let key = match name {
        "Delete" => Key::Delete,
        "Backspace" => Key::Backspace,
        "Escape" => Key::Escape,
        "Enter" => Key::Enter,
        "Tab" => Key::Tab,
        "ArrowLeft" => Key::Left,
        "ArrowRight" => Key::Right,
        "ArrowUp" => Key::Up,
        "ArrowDown" => Key::Down,
        _ => {
            let mut chars = name.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => return c,
                _ => panic!("no WebDriver code for the key {name:?}"),
            }
        }
    };
    key.into()
}

fn modifier_code(m: Modifier) -> char {
    match m {
        Modifier::Ctrl => Key::Control,
        Modifier::Shift => Key::Shift,
    }
    .into()
}

/// A left-button press and release.
fn press() -> (PointerAction, PointerAction) {
    (
        PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        },
        PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        },
    )
}

impl Drop for Firefox {
    /// End the session so geckodriver quits Firefox and removes its profile.
    fn drop(&mut self) {
        let client = self.client.clone();
        let _ = self.rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), client.close()).await
        });
    }
}

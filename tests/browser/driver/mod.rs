//! One interface to the browsers the editor is tested in: headless Chromium
//! over the DevTools protocol ([`chromium`]) and headless Firefox over
//! WebDriver ([`firefox`]). Each browser supplies the primitives (evaluate a
//! script, click at a point, type, press a key, take a screenshot); the rules
//! built on them — how a condition is awaited, how an element is found, what
//! counts as a page error, how a deploy is awaited — are written once here.
//! Conditions are polled with bounded timeouts, never fixed sleeps.

pub mod chromium;
pub mod firefox;

mod bidi;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a condition may take before a test fails.
pub const WAIT: Duration = Duration::from_secs(15);

/// One browser at a time, whichever it is: two cores are shared by
/// everything the tests run.
static BROWSER_LOCK: Mutex<()> = Mutex::new(());

/// Wait for the turn to run a browser (a failed test's panic does not block
/// the next one).
fn one_browser_at_a_time() -> MutexGuard<'static, ()> {
    BROWSER_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A modifier key held while another is pressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Modifier {
    Ctrl,
    Shift,
}

/// A browser page open on the editor.
pub trait Driver {
    /// Run `script` (a function body ending in `return`, which may return a
    /// promise) and answer its JSON value. Panics when it throws.
    fn run_script(&self, script: &str) -> Value;

    /// Errors the page reported so far (exceptions, `console.error`).
    fn errors(&self) -> Vec<String>;

    /// Click at a viewport point.
    fn click_at(&self, p: (f64, f64));

    /// Double-click at a viewport point.
    fn double_click_at(&self, p: (f64, f64));

    /// Replace the content of the field matching `selector` with `text`.
    fn fill(&self, selector: &str, text: &str);

    /// Press `key` (a DOM key name: "Delete", "Escape", "ArrowDown", "z")
    /// while holding `modifiers`.
    fn key(&self, key: &str, modifiers: &[Modifier]);

    /// The page as a PNG image.
    fn png(&self) -> Vec<u8>;

    /// Evaluate a JavaScript expression (awaited if a promise) and answer its
    /// JSON value. Panics with the exception when it throws.
    fn eval(&self, expression: &str) -> Value {
        self.run_script(&format!(
            "return (async () => {{ const v = await ({expression}); return v === undefined ? null : JSON.parse(JSON.stringify(v)); }})();"
        ))
    }

    /// Poll `expression` until it is truthy; answer its value. Fails the test
    /// after [`WAIT`] saying what was awaited, the last value and page errors.
    fn wait(&self, what: &str, expression: &str) -> Value {
        let start = Instant::now();
        let mut last;
        loop {
            last = self.eval(expression);
            if truthy(&last) {
                return last;
            }
            if start.elapsed() > WAIT {
                panic!(
                    "timed out waiting for {what} ({expression}); last value {last}; page errors: {:?}",
                    self.errors()
                );
            }
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    /// Fail if the page threw or logged an error.
    fn assert_no_errors(&self) {
        let errors = self.errors();
        assert!(errors.is_empty(), "page errors: {errors:#?}");
    }

    /// Viewport centre of the first element matching `selector` (waits for it).
    fn center(&self, selector: &str) -> (f64, f64) {
        let sel = js_str(selector);
        let v = self.wait(
            &format!("element {selector}"),
            &format!(
                "(() => {{ const e = document.querySelector({sel}); if (!e) return null; \
                 const r = e.getBoundingClientRect(); \
                 return r.width || r.height ? [r.left + r.width / 2, r.top + r.height / 2] : null; }})()"
            ),
        );
        (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
    }

    /// Click the centre of the element matching `selector`.
    fn click(&self, selector: &str) {
        self.click_at(self.center(selector));
    }

    /// Double-click the centre of the element matching `selector`.
    fn double_click(&self, selector: &str) {
        self.double_click_at(self.center(selector));
    }

    /// Double-click `selector` until `condition` holds (at most three tries,
    /// five seconds each). Firefox's WebDriver input counts the second press
    /// as part of a double-click only within 640 ms of the first; a loaded
    /// machine can exceed that between two action ticks, and a user whose
    /// double-click was too slow simply tries again.
    fn double_click_until(&self, selector: &str, what: &str, condition: &str) -> Value {
        let tries = 3;
        for attempt in 1..=tries {
            self.double_click(selector);
            let start = Instant::now();
            loop {
                let v = self.eval(condition);
                if truthy(&v) {
                    return v;
                }
                if start.elapsed() > WAIT / 3 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(40));
            }
            if attempt == tries {
                panic!(
                    "double-clicking {selector} {tries} times did not bring {what} ({condition}); page errors: {:?}",
                    self.errors()
                );
            }
        }
        unreachable!()
    }

    /// Save a PNG screenshot of the page.
    fn screenshot(&self, path: &Path) {
        let png = self.png();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot dir");
        }
        std::fs::write(path, png).expect("write screenshot");
    }

    /// Click Deploy and wait for the runtime's answer to show; answers the
    /// notification's text.
    fn deploy(&self) -> String {
        self.eval("document.querySelectorAll('.notification').forEach(n => n.remove())");
        self.click("#btn-deploy");
        self.wait(
            "a deploy result",
            "(() => { const n = document.querySelector('.notification.success, .notification.error'); return n ? n.textContent : null; })()",
        )
        .as_str()
        .unwrap()
        .to_string()
    }
}

/// JavaScript's truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// A JavaScript string literal.
pub fn js_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

//! Drives Debian's headless Chromium over the DevTools protocol for the
//! editor's browser tests: real mouse and keyboard input, conditions polled
//! with bounded timeouts (never fixed sleeps), page errors collected.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use headless_chrome::browser::tab::ModifierKey;
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{Emulation, Input, Page as CdpPage, Runtime};
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;

/// How long a condition may take before a test fails.
pub const WAIT: Duration = Duration::from_secs(15);

/// Chromium's path: Debian's package (installed by `scripts/test`).
const CHROMIUM: &str = "/usr/bin/chromium";

/// One browser at a time: two cores are shared by everything the tests run.
static BROWSER_LOCK: Mutex<()> = Mutex::new(());

/// A browser with one page open on the editor.
pub struct Page {
    pub tab: Arc<Tab>,
    errors: Arc<Mutex<Vec<String>>>,
    _browser: Browser,
    _profile: tempfile::TempDir,
    _lock: MutexGuard<'static, ()>,
}

impl Page {
    /// Launch Chromium (1280×800, fresh profile) and open `base` + `/`,
    /// waiting until the editor has loaded its flows.
    pub fn open(base: &str) -> Page {
        let page = Self::launch(base);
        page.wait(
            "the editor to load",
            "document.body.dataset.ready === 'true'",
        );
        page
    }

    /// Like [`open`](Self::open), without waiting for the flows (a login
    /// dialog may come first).
    pub fn launch(base: &str) -> Page {
        let lock = BROWSER_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let profile = tempfile::tempdir().expect("profile dir");
        let args: Vec<&OsStr> = [
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--disable-sync",
            "--force-color-profile=srgb",
            "--hide-scrollbars",
        ]
        .iter()
        .map(OsStr::new)
        .collect();
        let options = LaunchOptions::default_builder()
            .path(Some(PathBuf::from(CHROMIUM)))
            .headless(true)
            .sandbox(false)
            .enable_gpu(false)
            .window_size(Some((1280, 800)))
            .user_data_dir(Some(profile.path().to_path_buf()))
            .disable_default_args(true)
            .args(args)
            .idle_browser_timeout(Duration::from_secs(120))
            .build()
            .expect("launch options");
        let browser = Browser::new(options).expect("start chromium");
        let tab = browser.new_tab().expect("new tab");
        tab.set_default_timeout(WAIT);
        // Exactly 1280×800 CSS pixels, whatever the window decorations take.
        tab.call_method(Emulation::SetDeviceMetricsOverride {
            width: 1280,
            height: 800,
            device_scale_factor: 1.0,
            mobile: false,
            scale: None,
            screen_width: None,
            screen_height: None,
            position_x: None,
            position_y: None,
            dont_set_visible_size: None,
            screen_orientation: None,
            viewport: None,
            display_feature: None,
            device_posture: None,
        })
        .expect("set the viewport");
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = errors.clone();
        tab.enable_runtime().expect("enable runtime events");
        tab.add_event_listener(Arc::new(move |event: &Event| {
            let text = match event {
                Event::RuntimeExceptionThrown(e) => {
                    let d = &e.params.exception_details;
                    let detail = d
                        .exception
                        .as_ref()
                        .and_then(|x| x.description.clone())
                        .unwrap_or_else(|| d.text.clone());
                    Some(format!("exception: {detail}"))
                }
                Event::RuntimeConsoleAPICalled(e)
                    if format!("{:?}", e.params.Type).eq_ignore_ascii_case("error") =>
                {
                    let args: Vec<String> = e
                        .params
                        .args
                        .iter()
                        .map(|a| {
                            a.value
                                .as_ref()
                                .map(|v| v.to_string())
                                .or_else(|| a.description.clone())
                                .unwrap_or_default()
                        })
                        .collect();
                    Some(format!("console.error: {}", args.join(" ")))
                }
                _ => None,
            };
            if let Some(t) = text {
                sink.lock().unwrap().push(t);
            }
        }))
        .expect("listen for page errors");
        let page = Page {
            tab,
            errors,
            _browser: browser,
            _profile: profile,
            _lock: lock,
        };
        page.tab
            .navigate_to(&format!("{base}/"))
            .expect("navigate")
            .wait_until_navigated()
            .expect("page loads");
        page
    }

    /// Evaluate a JavaScript expression (awaited if a promise) and answer its
    /// JSON value. Panics with the exception when it throws.
    pub fn eval(&self, expression: &str) -> Value {
        let wrapped = format!(
            "(async () => {{ const v = await ({expression}); return v === undefined ? null : JSON.parse(JSON.stringify(v)); }})()"
        );
        let r = self
            .tab
            .call_method(Runtime::Evaluate {
                expression: wrapped,
                return_by_value: Some(true),
                await_promise: Some(true),
                generate_preview: None,
                silent: Some(false),
                include_command_line_api: None,
                user_gesture: Some(true),
                object_group: None,
                context_id: None,
                throw_on_side_effect: None,
                timeout: None,
                disable_breaks: None,
                repl_mode: None,
                allow_unsafe_eval_blocked_by_csp: None,
                unique_context_id: None,
                serialization_options: None,
            })
            .unwrap_or_else(|e| panic!("evaluate `{expression}`: {e}"));
        if let Some(ex) = r.exception_details {
            panic!(
                "`{expression}` threw: {}",
                ex.exception.and_then(|e| e.description).unwrap_or(ex.text)
            );
        }
        r.result.value.unwrap_or(Value::Null)
    }

    /// Poll `expression` until it is truthy; answer its value. Fails the test
    /// after [`WAIT`] saying what was awaited, the last value and page errors.
    pub fn wait(&self, what: &str, expression: &str) -> Value {
        let start = Instant::now();
        let mut last;
        loop {
            last = self.eval(expression);
            let truthy = match &last {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
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

    /// Errors the page reported so far.
    pub fn errors(&self) -> Vec<String> {
        self.errors.lock().unwrap().clone()
    }

    /// Fail if the page threw or logged an error.
    pub fn assert_no_errors(&self) {
        let errors = self.errors();
        assert!(errors.is_empty(), "page errors: {errors:#?}");
    }

    /// Viewport centre of the first element matching `selector` (waits for it).
    pub fn center(&self, selector: &str) -> (f64, f64) {
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

    fn mouse(
        &self,
        kind: Input::DispatchMouseEventTypeOption,
        (x, y): (f64, f64),
        pressed: bool,
        clicks: u32,
        modifiers: u32,
    ) {
        let button = match kind {
            Input::DispatchMouseEventTypeOption::MouseMoved if !pressed => None,
            _ => Some(Input::MouseButton::Left),
        };
        self.tab
            .call_method(Input::DispatchMouseEvent {
                Type: kind,
                x,
                y,
                modifiers: Some(modifiers),
                timestamp: None,
                button,
                buttons: Some(if pressed { 1 } else { 0 }),
                click_count: Some(clicks),
                force: None,
                tangential_pressure: None,
                tilt_x: None,
                tilt_y: None,
                twist: None,
                delta_x: None,
                delta_y: None,
                pointer_Type: None,
            })
            .expect("mouse event");
    }

    /// Click at a point, optionally with Shift held.
    pub fn click_at(&self, p: (f64, f64), shift: bool) {
        use Input::DispatchMouseEventTypeOption::*;
        let m = if shift { 8 } else { 0 };
        self.mouse(MouseMoved, p, false, 0, m);
        self.mouse(MousePressed, p, true, 1, m);
        self.mouse(MouseReleased, p, false, 1, m);
    }

    pub fn click(&self, selector: &str) {
        self.click_at(self.center(selector), false);
    }

    pub fn double_click(&self, selector: &str) {
        use Input::DispatchMouseEventTypeOption::*;
        let p = self.center(selector);
        self.mouse(MouseMoved, p, false, 0, 0);
        self.mouse(MousePressed, p, true, 1, 0);
        self.mouse(MouseReleased, p, false, 1, 0);
        self.mouse(MousePressed, p, true, 2, 0);
        self.mouse(MouseReleased, p, false, 2, 0);
    }

    /// Press at `from`, move in steps to `to`, release: a real drag.
    pub fn drag(&self, from: (f64, f64), to: (f64, f64)) {
        use Input::DispatchMouseEventTypeOption::*;
        self.mouse(MouseMoved, from, false, 0, 0);
        self.mouse(MousePressed, from, true, 1, 0);
        let steps = 8;
        for i in 1..=steps {
            let t = f64::from(i) / f64::from(steps);
            let p = (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t);
            self.mouse(MouseMoved, p, true, 0, 0);
        }
        self.mouse(MouseReleased, to, false, 1, 0);
    }

    /// Press a key (e.g. "Delete", "ArrowRight", "z") with modifiers.
    pub fn key(&self, key: &str, modifiers: &[ModifierKey]) {
        self.tab
            .press_key_with_modifiers(
                key,
                if modifiers.is_empty() {
                    None
                } else {
                    Some(modifiers)
                },
            )
            .unwrap_or_else(|e| panic!("press {key}: {e}"));
    }

    /// Focus the element, select its content and type `text` over it.
    pub fn fill(&self, selector: &str, text: &str) {
        let sel = js_str(selector);
        self.wait(
            &format!("field {selector}"),
            &format!("(() => {{ const e = document.querySelector({sel}); if (!e) return false; e.focus(); e.select && e.select(); return document.activeElement === e; }})()"),
        );
        self.tab
            .call_method(Input::InsertText {
                text: text.to_string(),
            })
            .expect("type text");
    }

    /// Save a PNG screenshot of the page.
    pub fn screenshot(&self, path: &Path) {
        let png = self
            .tab
            .capture_screenshot(
                CdpPage::CaptureScreenshotFormatOption::Png,
                None,
                None,
                true,
            )
            .expect("screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot dir");
        }
        std::fs::write(path, png).expect("write screenshot");
    }

    /// Click Deploy and wait for the runtime's answer to show; answers the
    /// notification's text.
    pub fn deploy(&self) -> String {
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

/// A JavaScript string literal.
pub fn js_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

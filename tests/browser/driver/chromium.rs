//! Debian's headless Chromium over the DevTools protocol: real mouse and
//! keyboard input, page errors collected from runtime events.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use headless_chrome::browser::tab::ModifierKey;
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{Emulation, Input, Page as CdpPage, Runtime};
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;

use super::{js_str, one_browser_at_a_time, Driver, Modifier, WAIT};

/// Chromium's path: Debian's package (installed by `scripts/test`).
const CHROMIUM: &str = "/usr/bin/chromium";

/// A Chromium with one page open on the editor.
pub struct Chromium {
    pub tab: Arc<Tab>,
    errors: Arc<Mutex<Vec<String>>>,
    _browser: Browser,
    _profile: tempfile::TempDir,
    _lock: MutexGuard<'static, ()>,
}

impl Chromium {
    /// Launch Chromium (1280×800, fresh profile) and open `base` + `/`,
    /// waiting until the editor has loaded its flows.
    pub fn open(base: &str) -> Chromium {
        let page = Self::launch(base);
        page.wait(
            "the editor to load",
            "document.body.dataset.ready === 'true'",
        );
        page
    }

    /// Like [`open`](Self::open), without waiting for the flows (a login
    /// dialog may come first).
    pub fn launch(base: &str) -> Chromium {
        let lock = one_browser_at_a_time();
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
        let page = Chromium {
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

    /// Click at a point with Shift held (adds to or removes from the
    /// selection).
    pub fn shift_click_at(&self, p: (f64, f64)) {
        self.click_with(p, 8);
    }

    /// Click at a point with the given CDP modifier bits.
    fn click_with(&self, p: (f64, f64), modifiers: u32) {
        use Input::DispatchMouseEventTypeOption::*;
        self.mouse(MouseMoved, p, false, 0, modifiers);
        self.mouse(MousePressed, p, true, 1, modifiers);
        self.mouse(MouseReleased, p, false, 1, modifiers);
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

    /// Click at a point with Ctrl held (Node-RED's quick-add on empty canvas).
    pub fn ctrl_click_at(&self, p: (f64, f64)) {
        self.click_with(p, 2);
    }

    /// Let the page read and write the system clipboard, as a user's browser
    /// does for a page they paste into.
    pub fn grant_clipboard(&self, origin: &str) {
        use headless_chrome::protocol::cdp::Browser::{GrantPermissions, PermissionType};
        self.tab
            .call_method(GrantPermissions {
                permissions: vec![
                    PermissionType::ClipboardReadWrite,
                    PermissionType::ClipboardSanitizedWrite,
                ],
                origin: Some(origin.to_string()),
                browser_context_id: None,
            })
            .expect("grant clipboard access");
    }

    /// Type `text` at the caret, as the browser's text input does.
    pub fn type_text(&self, text: &str) {
        self.tab
            .call_method(Input::InsertText {
                text: text.to_string(),
            })
            .expect("type text");
    }
}

impl Driver for Chromium {
    fn run_script(&self, script: &str) -> Value {
        let expression = format!("(async () => {{ {script} }})()");
        let r = self
            .tab
            .call_method(Runtime::Evaluate {
                expression,
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
            .unwrap_or_else(|e| panic!("evaluate `{script}`: {e}"));
        if let Some(ex) = r.exception_details {
            panic!(
                "`{script}` threw: {}",
                ex.exception.and_then(|e| e.description).unwrap_or(ex.text)
            );
        }
        r.result.value.unwrap_or(Value::Null)
    }

    fn errors(&self) -> Vec<String> {
        self.errors.lock().unwrap().clone()
    }

    fn click_at(&self, p: (f64, f64)) {
        self.click_with(p, 0);
    }

    fn double_click_at(&self, p: (f64, f64)) {
        use Input::DispatchMouseEventTypeOption::*;
        self.mouse(MouseMoved, p, false, 0, 0);
        self.mouse(MousePressed, p, true, 1, 0);
        self.mouse(MouseReleased, p, false, 1, 0);
        self.mouse(MousePressed, p, true, 2, 0);
        self.mouse(MouseReleased, p, false, 2, 0);
    }

    /// Focus the element, select its content and type `text` over it.
    fn fill(&self, selector: &str, text: &str) {
        let sel = js_str(selector);
        self.wait(
            &format!("field {selector}"),
            &format!("(() => {{ const e = document.querySelector({sel}); if (!e) return false; e.focus(); e.select && e.select(); return document.activeElement === e; }})()"),
        );
        self.type_text(text);
    }

    fn key(&self, key: &str, modifiers: &[Modifier]) {
        let modifiers: Vec<ModifierKey> = modifiers
            .iter()
            .map(|m| match m {
                Modifier::Ctrl => ModifierKey::Ctrl,
                Modifier::Shift => ModifierKey::Shift,
            })
            .collect();
        self.tab
            .press_key_with_modifiers(
                key,
                if modifiers.is_empty() {
                    None
                } else {
                    Some(&modifiers)
                },
            )
            .unwrap_or_else(|e| panic!("press {key}: {e}"));
    }

    fn png(&self) -> Vec<u8> {
        self.tab
            .capture_screenshot(
                CdpPage::CaptureScreenshotFormatOption::Png,
                None,
                None,
                true,
            )
            .expect("screenshot")
    }
}

//! A 1,000-node flow in headless Chromium: it opens with the nodes and
//! wires in view (and a margin around it) drawn, pans, zooms and drags, and
//! what is not drawn still selects, moves, deletes and deploys. Frame times
//! are taken in the page
//! (`requestAnimationFrame` intervals) while real input arrives over the
//! DevTools protocol, and printed for each gesture: p50, p95, max and the
//! frames that missed their vsync. Machines differ, so the test asserts
//! behaviour, not timings.

use std::time::Duration;

use headless_chrome::protocol::cdp::{Input, Page as CdpPage};
use serde_json::{json, Value};

use crate::common;
use crate::driver::chromium::Chromium;
use crate::driver::Driver;
use crate::driver::Modifier;
use crate::editor::{count, get_json, node_centre, node_selector, wait_count};

/// Chains of http in → function → change → debug, wired, laid out in a grid.
const CHAINS: usize = 250;
const CHAIN_COLUMNS: usize = 5;

/// The generated flow: 1,000 nodes, 750 wires, one tab.
fn big_flow() -> Value {
    let mut nodes = vec![json!({"id": "t1", "type": "tab", "label": "Scale"})];
    for c in 0..CHAINS {
        let x = 120 + 900 * (c % CHAIN_COLUMNS) as i64;
        let y = 40 + 60 * (c / CHAIN_COLUMNS) as i64;
        let id = |k: &str| format!("{k}{c}");
        nodes.push(json!({"id": id("in"), "type": "http in", "z": "t1", "name": "", "url": format!("/scale/{c}"),
            "method": "get", "x": x, "y": y, "wires": [[id("fn")]]}));
        nodes.push(json!({"id": id("fn"), "type": "function", "z": "t1", "name": format!("step {c}"),
            "func": "msg.payload = msg.req.query;\nreturn msg;", "outputs": 1, "x": x + 200, "y": y, "wires": [[id("ch")]]}));
        nodes.push(json!({"id": id("ch"), "type": "change", "z": "t1", "name": "",
            "rules": [{"t": "set", "p": "topic", "pt": "msg", "to": "scale", "tot": "str"}], "x": x + 400, "y": y, "wires": [[id("dbg")]]}));
        nodes.push(
            json!({"id": id("dbg"), "type": "debug", "z": "t1", "name": "", "active": false,
            "tosidebar": true, "complete": "payload", "x": x + 600, "y": y, "wires": []}),
        );
    }
    Value::Array(nodes)
}

/// Wait until the canvas has drawn all that the view asks for (the view and
/// its margin; the rest of a large tab stays out of the DOM) and answer how
/// many nodes are drawn.
fn wait_drawn(page: &Chromium) -> usize {
    page.wait(
        "the view drawn",
        "window.flowgateEditor?.canvas.complete === true && !window.flowgateEditor.canvas.pending \
         && document.querySelectorAll('#chart g.node').length > 0",
    );
    count(page, "#chart g.node")
}

/// Records every `requestAnimationFrame` interval into `window.__frames`
/// (and when each ended into `window.__ends`),
/// and the main thread's long tasks (over 50 ms: script, style, layout)
/// into `window.__long`, to tell the page's own work from a busy machine.
const FRAME_RECORDER: &str = "(() => { window.__frames = []; window.__ends = []; window.__long = []; window.__longEnds = []; let last = null; \
    const tick = (t) => { if (last !== null) { window.__frames.push(t - last); window.__ends.push(t); } last = t; requestAnimationFrame(tick); }; \
    requestAnimationFrame(tick); \
    new PerformanceObserver((l) => { for (const e of l.getEntries()) { window.__long.push(e.duration); window.__longEnds.push(e.startTime + e.duration); } }) \
      .observe({ entryTypes: ['longtask'] }); })();";

/// One frame budget at 60 Hz.
const FRAME_MS: f64 = 1000.0 / 60.0;

/// What was recorded since the last call, after letting the page settle:
/// frame intervals and long tasks.
struct Frames {
    intervals: Vec<f64>,
    long_tasks: Vec<f64>,
}

fn take_frames(page: &Chromium) -> Frames {
    std::thread::sleep(Duration::from_millis(300));
    let v = page.eval(
        "(() => { const f = [window.__frames, window.__long]; window.__frames = []; window.__ends = []; window.__long = []; \
         window.__longEnds = []; return f; })()",
    );
    Frames {
        intervals: serde_json::from_value(v[0].clone()).unwrap(),
        long_tasks: serde_json::from_value(v[1].clone()).unwrap(),
    }
}

/// Print p50/p95/max and the dropped frames of one gesture, and the page's
/// long tasks meanwhile.
fn report(gesture: &str, recorded: &Frames) {
    let frames = &recorded.intervals;
    assert!(!frames.is_empty(), "no frames recorded for {gesture}");
    let mut sorted = frames.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let over_budget = frames.iter().filter(|&&f| f > FRAME_MS + 0.5).count();
    let missed_vsync = frames.iter().filter(|&&f| f > FRAME_MS * 1.5).count();
    println!(
        "scale frame times {gesture:>5}: {} frames, p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms, \
         over 16.7 ms {over_budget}, missed a vsync {missed_vsync}; \
         long tasks {} ({:.0} ms in all)",
        frames.len(),
        at(0.5),
        at(0.95),
        sorted[sorted.len() - 1],
        recorded.long_tasks.len(),
        recorded.long_tasks.iter().fold(0.0, |a, b| a + b),
    );
}

fn mouse(
    page: &Chromium,
    kind: Input::DispatchMouseEventTypeOption,
    p: (f64, f64),
    pressed: bool,
    wheel: Option<(f64, f64)>,
) {
    let button = match kind {
        Input::DispatchMouseEventTypeOption::MouseMoved
        | Input::DispatchMouseEventTypeOption::MouseWheel
            if !pressed =>
        {
            None
        }
        _ => Some(Input::MouseButton::Left),
    };
    page.tab
        .call_method(Input::DispatchMouseEvent {
            Type: kind,
            x: p.0,
            y: p.1,
            modifiers: None,
            timestamp: None,
            button,
            buttons: Some(if pressed { 1 } else { 0 }),
            click_count: Some(if pressed { 1 } else { 0 }),
            force: None,
            tangential_pressure: None,
            tilt_x: None,
            tilt_y: None,
            twist: None,
            delta_x: wheel.map(|w| w.0),
            delta_y: wheel.map(|w| w.1),
            pointer_Type: None,
        })
        .expect("mouse event");
}

/// One step of input per frame, as a hand on a mouse gives it.
fn pace() {
    std::thread::sleep(Duration::from_millis(16));
}

#[test]
fn thousand_node_flow_opens_pans_zooms_and_drags() {
    let flow = big_flow();
    let server = common::Server::start(&flow.to_string());
    let page = Chromium::open(&server.url(""));
    wait_drawn(&page);

    // Open: reload with the recorder in place from the first script on.
    page.tab
        .call_method(CdpPage::AddScriptToEvaluateOnNewDocument {
            source: FRAME_RECORDER.to_string(),
            world_name: None,
            include_command_line_api: None,
            run_immediately: None,
        })
        .expect("install the frame recorder");
    page.tab.reload(true, None).expect("reload");
    page.tab.wait_until_navigated().expect("reloaded");
    page.wait(
        "the editor to load again",
        "document.body?.dataset.ready === 'true'",
    );
    let drawn = wait_drawn(&page);
    // The page's own start (its scripts, the node types) before the flows
    // arrive, apart from drawing them: frames ending from then on are the
    // tab opening.
    let split = page.eval(
        "(() => { const e = performance.getEntriesByType('resource').find((r) => new URL(r.name).pathname === '/flows'); \
         const at = e ? e.responseEnd : 0; const i = (a) => { const k = a.findIndex((t) => t >= at); return k < 0 ? a.length : k; }; \
         return [i(window.__ends), i(window.__longEnds)]; })()",
    );
    let mut opening = take_frames(&page);
    let (f, l) = (
        split[0].as_u64().unwrap() as usize,
        split[1].as_u64().unwrap() as usize,
    );
    let start = Frames {
        intervals: opening
            .intervals
            .drain(..f.min(opening.intervals.len()))
            .collect(),
        long_tasks: opening
            .long_tasks
            .drain(..l.min(opening.long_tasks.len()))
            .collect(),
    };
    if !start.intervals.is_empty() {
        report("start", &start);
    }
    report("open", &opening);
    page.screenshot(&common::repo_root().join("target/editor-1000-nodes.png"));
    assert!(drawn < 1000, "only the view and its margin drawn: {drawn}");
    // What the page's script spends on a redraw: with nothing changed, with
    // every drawn node compared again (after a deploy), and from nothing
    // (opening the tab), each the median of 5.
    let cost = page.eval(
        "(() => { const c = window.flowgateEditor.canvas; \
         const median = (f) => { const t = []; for (let i = 0; i < 5; i++) { const t0 = performance.now(); f(); t.push(performance.now() - t0); } \
           return t.sort((a, b) => a - b)[2]; }; \
         return [median(() => c.render()), median(() => { c.stale = true; c.invalidate(); c.render(); }), \
           median(() => { c.clear(); c.render(); })]; })()",
    );
    println!(
        "scale redraw of {drawn} drawn nodes: nothing changed {:.1} ms, every node compared {:.1} ms, from nothing {:.1} ms",
        cost[0].as_f64().unwrap(),
        cost[1].as_f64().unwrap(),
        cost[2].as_f64().unwrap()
    );

    // Pan: the mouse wheel scrolls the canvas, down then right.
    let chart = page.center("#chart");
    let scroll = || {
        page.eval("[document.querySelector('#chart').scrollLeft, document.querySelector('#chart').scrollTop]")
    };
    let before = scroll();
    take_frames(&page);
    for i in 0..40 {
        let delta = if i < 20 { (0.0, 60.0) } else { (60.0, 0.0) };
        mouse(
            &page,
            Input::DispatchMouseEventTypeOption::MouseWheel,
            chart,
            false,
            Some(delta),
        );
        pace();
    }
    report("pan", &take_frames(&page));
    let after = scroll();
    assert!(
        after[0].as_f64() > before[0].as_f64() && after[1].as_f64() > before[1].as_f64(),
        "the canvas scrolled: {before} → {after}"
    );
    page.eval("(() => { const c = document.querySelector('#chart'); c.scrollLeft = 0; c.scrollTop = 0; })()");

    // Zoom: in three steps and back out.
    take_frames(&page);
    for button in [
        "#zoom-out",
        "#zoom-out",
        "#zoom-out",
        "#zoom-in",
        "#zoom-in",
        "#zoom-in",
        "#zoom-in",
    ] {
        page.click(button);
        for _ in 0..4 {
            pace();
        }
    }
    report("zoom", &take_frames(&page));
    // The steps scale the drawing as rasterised; once they settle it is
    // drawn again at the zoom they ended on.
    page.wait(
        "the drawing at zoom 1.1",
        "document.querySelector('#chart g.viewport').getAttribute('transform') === 'scale(1.1)' \
         && document.querySelector('#chart svg').style.transform === ''",
    );
    page.click("#zoom-reset");
    page.wait(
        "zoom back at 1",
        "document.querySelector('#chart g.viewport').getAttribute('transform') === 'scale(1)'",
    );

    // Drag: one node 200 px right and 100 px down, one move per frame,
    // from the top left of the canvas (where the wheel's smooth scrolling
    // may have left the view elsewhere).
    page.eval("(() => { const c = document.querySelector('#chart'); c.scrollLeft = 0; c.scrollTop = 0; })()");
    let id = "fn0";
    let (x0, y0) = node_centre(&page, id);
    let from = page.center(&format!("{} .node-body", node_selector(id)));
    let to = (from.0 + 200.0, from.1 + 100.0);
    take_frames(&page);
    use Input::DispatchMouseEventTypeOption::*;
    mouse(&page, MouseMoved, from, false, None);
    mouse(&page, MousePressed, from, true, None);
    let steps = 40;
    for i in 1..=steps {
        let t = f64::from(i) / f64::from(steps);
        let p = (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t);
        mouse(&page, MouseMoved, p, true, None);
        pace();
    }
    mouse(&page, MouseReleased, to, false, None);
    report("drag", &take_frames(&page));
    let (x1, y1) = node_centre(&page, id);
    assert!(
        (x1 - x0 - 200.0).abs() < 1.0 && (y1 - y0 - 100.0).abs() < 1.0,
        "{id} moved from {x0},{y0} to {x1},{y1}"
    );
    // The model holds the move: fn0 was generated at 320, 40.
    let stored = page
        .eval("(() => { const n = window.flowgateEditor.model.get('fn0'); return [n.x, n.y]; })()");
    let (sx, sy) = (stored[0].as_f64().unwrap(), stored[1].as_f64().unwrap());
    assert!(
        (sx - 520.0).abs() < 1.0 && (sy - 140.0).abs() < 1.0,
        "stored at {sx},{sy}"
    );
    page.assert_no_errors();
}

/// The 1,000-node flow served and drawn in Chromium.
fn open_big() -> (common::Server, Chromium) {
    let server = common::Server::start(&big_flow().to_string());
    let page = Chromium::open(&server.url(""));
    wait_drawn(&page);
    (server, page)
}

#[test]
fn opening_a_large_tab_draws_the_view_first_and_the_rest_after() {
    let (_server, page) = open_big();
    // Draw the tab again from nothing, as opening it does, and look at the
    // first frame it draws in (a frame already busy is left to paint):
    // every node in view is there, not yet all of them.
    let first = page.run_script(
        "const c = window.flowgateEditor.canvas; const m = window.flowgateEditor.model; \
         c.clear(); c.scheduleRender(); \
         await new Promise((r) => { const f = () => (c.pending ? requestAnimationFrame(f) : r()); requestAnimationFrame(f); }); \
         const h = c.host; \
         const inView = m.canvasNodes(m.activeTab).filter((n) => n.x >= h.scrollLeft && n.x <= h.scrollLeft + h.clientWidth \
           && n.y >= h.scrollTop && n.y <= h.scrollTop + h.clientHeight); \
         const missing = inView.filter((n) => !document.querySelector(`g.node[data-id=\"${n.id}\"]`)).length; \
         return [document.querySelectorAll('#chart g.node').length, inView.length, missing];",
    );
    let drawn = first[0].as_u64().unwrap();
    assert!(first[1].as_u64().unwrap() > 0, "nodes in view: {first}");
    assert_eq!(
        first[2],
        json!(0),
        "every node in view drawn in the first frame: {first}"
    );
    assert!(drawn < 1000, "the first frame drew {drawn} nodes");
    // The margin follows over the next frames; the rest stays out of the DOM.
    let all = wait_drawn(&page) as u64;
    assert!(
        drawn <= all && all < 1000,
        "first frame {drawn}, then {all}"
    );
    page.assert_no_errors();
}

#[test]
fn zoom_steps_scale_the_drawing_and_redraw_it_once_settled() {
    let (_server, page) = open_big();
    let steps = page.run_script(
        "window.__viewport = 0; \
         new MutationObserver((l) => { window.__viewport += l.length; }) \
           .observe(document.querySelector('#chart g.viewport'), { attributes: true, attributeFilter: ['transform'] }); \
         const body = () => document.querySelector('g.node[data-id=\"fn0\"] .node-body').getBoundingClientRect().width; \
         const w = body(); \
         for (let i = 0; i < 3; i++) document.querySelector('#zoom-in').click(); \
         return [document.querySelector('#chart g.viewport').getAttribute('transform'), body() / w];",
    );
    // On screen at once, without redrawing 1,000 nodes per step.
    assert_ne!(steps[0], json!("scale(1.3)"), "{steps}");
    assert!(
        (steps[1].as_f64().unwrap() - 1.3).abs() < 0.01,
        "scaled by {steps}"
    );
    page.wait(
        "the drawing redone at 1.3",
        "document.querySelector('#chart g.viewport').getAttribute('transform') === 'scale(1.3)' \
         && document.querySelector('#chart svg').style.transform === ''",
    );
    assert_eq!(
        page.eval("window.__viewport"),
        json!(1),
        "one redraw for three steps"
    );
    let (x, y) = node_centre(&page, "fn0");
    assert!(
        (x - 320.0).abs() < 1.0 && (y - 40.0).abs() < 1.0,
        "fn0 at {x},{y}"
    );
    page.assert_no_errors();
}

#[test]
fn a_drag_draws_once_per_frame_whatever_the_pointer_moves() {
    let (_server, page) = open_big();
    // Five pointer moves within one frame, then the frame.
    let drawn = page.run_script(
        "const g = document.querySelector('g.node[data-id=\"fn0\"]'); \
         const r = g.querySelector('.node-body').getBoundingClientRect(); \
         const x = r.left + r.width / 2; const y = r.top + r.height / 2; \
         const wire = document.querySelector('g.wire-group[data-target=\"fn0\"] path.wire'); \
         window.__d = 0; \
         new MutationObserver((l) => { window.__d += l.length; }).observe(wire, { attributes: true, attributeFilter: ['d'] }); \
         const ev = (type, dx) => new PointerEvent(type, { bubbles: true, button: 0, buttons: type === 'pointerup' ? 0 : 1, \
           clientX: x + dx, clientY: y, pointerId: 1, isPrimary: true }); \
         g.querySelector('.node-body').dispatchEvent(ev('pointerdown', 0)); \
         for (let i = 1; i <= 5; i++) window.dispatchEvent(ev('pointermove', 10 * i)); \
         await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))); \
         const drawnAt = g.querySelector('.node-body').getBoundingClientRect().left - r.left; \
         const d = window.__d; \
         window.dispatchEvent(ev('pointerup', 50)); \
         return [d, drawnAt];",
    );
    assert_eq!(drawn[0], json!(1), "the wire redrawn once: {drawn}");
    assert!(
        (drawn[1].as_f64().unwrap() - 50.0).abs() < 1.0,
        "drawn at the last move: {drawn}"
    );
    page.wait(
        "fn0 stored 50 px right",
        "window.flowgateEditor.model.get('fn0').x === 370",
    );
    page.assert_no_errors();
}

/// Scroll the canvas so canvas point `(x, y)` is at the centre of the view,
/// as panning there would.
fn pan_to(page: &Chromium, x: f64, y: f64) {
    page.eval(&format!(
        "(() => {{ const c = document.querySelector('#chart'); const z = window.flowgateEditor.canvas.zoom; \
         c.scrollLeft = {x} * z - c.clientWidth / 2; c.scrollTop = {y} * z - c.clientHeight / 2; }})()"
    ));
}

#[test]
fn a_node_at_the_far_end_is_drawn_once_panned_to_and_drags_and_deploys() {
    let (server, page) = open_big();
    // The last chain's debug node: generated at 4320, 2980, far out of view.
    let id = "dbg249";
    assert_eq!(
        count(&page, &node_selector(id)),
        0,
        "not drawn while out of view"
    );
    pan_to(&page, 4200.0, 2900.0);
    wait_count(&page, &node_selector(id), 1);
    wait_drawn(&page);
    page.screenshot(&common::repo_root().join("target/editor-scale.png"));
    // Its wire from the change node came with it, joined to its ports.
    wait_count(
        &page,
        "g.wire-group[data-source=\"ch249\"][data-target=\"dbg249\"]",
        1,
    );
    let ends = page.eval(
        "(() => { const w = document.querySelector('path.wire[data-source=\"ch249\"][data-target=\"dbg249\"]'); \
         const s = document.querySelector('#chart svg').getBoundingClientRect(); \
         const end = w.getPointAtLength(w.getTotalLength()); \
         const p = document.querySelector('g.node[data-id=\"dbg249\"] .port-in').getBoundingClientRect(); \
         return [end.x, end.y, p.left + p.width / 2 - s.left, p.top + p.height / 2 - s.top]; })()",
    );
    let f: Vec<f64> = serde_json::from_value(ends).unwrap();
    assert!(
        (f[0] - f[2]).abs() <= 6.0 && (f[1] - f[3]).abs() <= 1.0,
        "the wire ends at dbg249's input: {f:?}"
    );

    let body = format!("{} .node-body", node_selector(id));
    page.click(&body);
    wait_count(&page, &format!("{}.selected", node_selector(id)), 1);
    let from = page.center(&body);
    page.drag(from, (from.0 + 100.0, from.1 + 60.0));
    page.wait(
        "the move stored",
        "(() => { const n = window.flowgateEditor.model.get('dbg249'); return n.x === 4420 && n.y === 3040; })()",
    );
    let (x, y) = node_centre(&page, id);
    assert!(
        (x - 4420.0).abs() < 1.0 && (y - 3040.0).abs() < 1.0,
        "drawn at {x},{y}"
    );
    let msg = page.deploy();
    assert!(msg.contains("Successfully deployed"), "{msg}");
    let flows = get_json(&server, "/flows");
    let node = flows["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == json!(id))
        .cloned()
        .unwrap();
    assert_eq!(
        (node["x"].clone(), node["y"].clone()),
        (json!(4420), json!(3040)),
        "{node}"
    );
    page.assert_no_errors();
}

#[test]
fn select_all_and_delete_remove_every_node_drawn_or_not() {
    let (server, page) = open_big();
    let drawn = count(&page, "#chart g.node");
    assert!(drawn < 1000, "{drawn} drawn");
    // Empty canvas between the first two columns of chains and two rows.
    let p = page.eval(
        "(() => { const r = document.querySelector('#chart svg').getBoundingClientRect(); \
         const z = window.flowgateEditor.canvas.zoom; return [r.left + 870 * z, r.top + 70 * z]; })()",
    );
    page.click_at((p[0].as_f64().unwrap(), p[1].as_f64().unwrap()));
    page.key("a", &[Modifier::Ctrl]);
    wait_count(&page, "#chart g.node.selected", drawn);
    assert_eq!(
        page.eval("window.flowgateEditor.selection.nodes.size"),
        json!(1000),
        "every node selected, drawn or not"
    );
    page.key("Delete", &[]);
    wait_count(&page, "#chart g.node", 0);
    wait_count(&page, "#chart path.wire", 0);
    let msg = page.deploy();
    assert!(msg.contains("Successfully deployed"), "{msg}");
    let flows = get_json(&server, "/flows");
    let left: Vec<&Value> = flows["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["z"] == json!("t1"))
        .collect();
    assert!(left.is_empty(), "deployed nodes left on the tab: {left:?}");
    page.assert_no_errors();
}

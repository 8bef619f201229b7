//! A browser as the WebSocket client of a `websocket-listener`: Chromium's
//! own WebSocket implementation talks to the path served beside the flows'
//! `http in` endpoints, gets its own replies and the flow's broadcasts.

use serde_json::{json, Value};

use crate::common;
use crate::driver::chromium::Chromium;
use crate::driver::Driver;

/// `/ws/chat`: what a client sends comes back to it alone, prefixed with
/// "echo:"; `GET /announce?text=…` sends the text to every client.
fn flow() -> String {
    json!([
        {"id": "t", "type": "tab", "label": "Chat"},
        {"id": "L", "type": "websocket-listener", "path": "/ws/chat", "wholemsg": "false"},
        {"id": "in", "type": "websocket in", "z": "t", "server": "L", "client": "", "wires": [["echo"]]},
        {"id": "echo", "type": "function", "z": "t", "outputs": 1,
         "func": "msg.payload = 'echo:' + msg.payload;\nreturn msg;", "wires": [["out"]]},
        {"id": "out", "type": "websocket out", "z": "t", "server": "L", "client": ""},
        {"id": "ann", "type": "http in", "z": "t", "url": "/announce", "method": "get",
         "wires": [["text", "ok"]]},
        {"id": "text", "type": "change", "z": "t", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "req.query.text", "tot": "msg"},
            {"t": "delete", "p": "_session", "pt": "msg"}], "wires": [["out"]]},
        {"id": "ok", "type": "http response", "z": "t", "wires": []}
    ])
    .to_string()
}

/// Open a socket to `/ws/chat` in the page, kept as `window.chat` with the
/// messages it received in `window.received`.
const CONNECT: &str = r#"
    return await new Promise((resolve, reject) => {
        window.received = [];
        const ws = new WebSocket(`ws://${location.host}/ws/chat`);
        ws.onmessage = (e) => window.received.push(e.data);
        ws.onopen = () => { window.chat = ws; resolve(true); };
        ws.onerror = () => reject(new Error('the WebSocket failed to open'));
    });
"#;

#[test]
fn a_browser_client_gets_its_replies_and_the_flows_broadcasts() {
    let server = common::Server::start(&flow());
    let page = Chromium::open(&server.url(""));
    assert_eq!(page.run_script(CONNECT), json!(true));

    page.run_script("window.chat.send('hello'); return true;");
    page.wait(
        "the echo of what the browser sent",
        "window.received.includes('echo:hello')",
    );

    let announced =
        page.run_script("const r = await fetch('/announce?text=to-all'); return r.status;");
    assert_eq!(announced, json!(200));
    page.wait(
        "the broadcast the flow sent to every client",
        "window.received.includes('to-all')",
    );
    assert_eq!(
        page.eval("window.received"),
        Value::from(vec!["echo:hello", "to-all"]),
        "nothing else arrived"
    );
    page.assert_no_errors();
}

//! `http request`: calls an HTTP endpoint and puts the answer in
//! `msg.payload`, `msg.statusCode`, `msg.headers` and `msg.responseUrl`, with
//! Node-RED's rules for the URL (mustache, `msg.url`), method (`use` =
//! `msg.method`), headers, body encoding, authentication and timeouts.

use std::time::Duration;

use flowgate_runtime::events::Events;
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::request::{as_buffer, buffer_value, headers_object};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

mod redirect;

use redirect::Hop;

use crate::support::js;
use crate::support::msgpath::PropPath;
use crate::support::mustache::{self, Template};
use crate::support::settings::{
    self, de, Choice, Choices, Field, Initial, Kind, NodeSettings, Secret,
};
use crate::support::util::{hash_sum, publish_status, status};

/// Node-RED's default `httpRequestTimeout`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

pub fn node_type() -> NodeType {
    NodeType::runnable("http request", build)
        .category("network")
        .color("rgb(231, 231, 174)")
        .editor(settings::editor_json::<HttpRequestSettings>())
}

/// The methods the editor offers; `use` takes `msg.method`. Any other
/// method name is accepted too (and checked per request).
const METHODS: &[Choice] = &[
    Choice::plain("GET"),
    Choice::plain("POST"),
    Choice::plain("PUT"),
    Choice::plain("DELETE"),
    Choice::plain("HEAD"),
    Choice::plain("use"),
];

crate::choices! {
    /// What `msg.payload` becomes.
    pub enum Ret ("ret") {
        Text = "txt",
        Binary = "bin",
        Object = "obj",
    } else Text
}

crate::choices! {
    /// Where the payload of a GET goes.
    pub enum PayloadTo ("paytoqs") {
        Ignore = "ignore",
        Query = "query" | "true",
        Body = "body",
    } else Ignore
}

/// One row of the node's header list: name and value, each a fixed text
/// (`other`, or a well-known header name as the type) or a message property.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HeaderRow {
    pub key_type: Option<String>,
    pub key_value: Option<String>,
    pub value_type: Option<String>,
    pub value_value: Option<String>,
}

/// An `http request` node's settings.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRequestSettings {
    /// Empty: `msg.method`'s default, GET.
    #[serde(deserialize_with = "de::text")]
    pub method: String,
    /// Empty: `msg.url`.
    #[serde(deserialize_with = "de::text")]
    pub url: String,
    pub paytoqs: PayloadTo,
    pub ret: Ret,
    #[serde(deserialize_with = "de::text")]
    pub auth_type: String,
    #[serde(deserialize_with = "de::flag")]
    pub senderr: bool,
    pub headers: Vec<HeaderRow>,
}

impl NodeSettings for HttpRequestSettings {
    const FIELDS: &'static [Field] = &[
        Field::select("method", METHODS, "GET").label("Method"),
        Field::text("url", "").label("URL"),
        Field::select("paytoqs", PayloadTo::CHOICES, "ignore").label("Payload"),
        Field::select("ret", Ret::CHOICES, "txt").label("Return"),
        Field::name(),
        Field::checkbox("persist", false).hidden(),
        Field::text("authType", "").hidden(),
        Field::checkbox("senderr", false).hidden(),
        Field::new("headers", Kind::Json, Initial::Json("[]")).hidden(),
        Field::credential("user", Secret::Text, false).hidden(),
        Field::credential("password", Secret::Password, false).hidden(),
    ];
}

enum HeaderPart {
    Fixed(String),
    Msg(PropPath),
}

enum Auth {
    None,
    Basic(String, String),
    Bearer(String),
}

struct HttpRequest {
    id: String,
    url: Option<String>,
    url_template: Option<Template>,
    method: String,
    ret: Ret,
    payload_to: PayloadTo,
    headers: Vec<(HeaderPart, HeaderPart)>,
    auth: Auth,
    send_errors_to_catch: bool,
    client: reqwest::Client,
    events: Events,
}

fn header_part(kind: Option<&str>, value: Option<&str>) -> Option<HeaderPart> {
    match kind {
        Some("other") => Some(HeaderPart::Fixed(value.unwrap_or("").to_owned())),
        Some("msg") => PropPath::parse_msg(value.unwrap_or(""))
            .ok()
            .map(HeaderPart::Msg),
        Some(k) if !k.is_empty() => Some(HeaderPart::Fixed(k.to_owned())),
        _ => None,
    }
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: HttpRequestSettings = settings::load(config, cx)?;
    let url = (!s.url.is_empty()).then_some(s.url);
    let url_template = match &url {
        Some(u) if u.contains("{{") => {
            Some(mustache::parse(u).map_err(|e| config.problem(Some("url"), e.to_string()))?)
        }
        _ => None,
    };
    let headers = s
        .headers
        .iter()
        .filter_map(|h| {
            Some((
                header_part(h.key_type.as_deref(), h.key_value.as_deref())?,
                header_part(h.value_type.as_deref(), h.value_value.as_deref())?,
            ))
        })
        .collect();
    let user = cx.credential("user");
    let password = cx.credential("password");
    let auth = match (s.auth_type.as_str(), &user, &password) {
        ("bearer", _, Some(token)) => Auth::Bearer(token.clone()),
        ("bearer", _, None) if user.is_some() => Auth::Bearer(String::new()),
        ("digest", ..) if user.is_some() || password.is_some() => {
            return Err(config.problem(
                Some("authType"),
                "digest authentication is not supported by flowgate; use basic or bearer",
            ))
        }
        (_, None, None) => Auth::None,
        (_, u, p) => Auth::Basic(u.clone().unwrap_or_default(), p.clone().unwrap_or_default()),
    };
    let client = reqwest::Client::builder()
        // Redirects are followed hop by hop (see `redirect`).
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| config.problem(None, format!("cannot create HTTP client: {e}")))?;
    Ok(Built::new(
        HttpRequest {
            id: config.id.clone(),
            url,
            url_template,
            method: if s.method.is_empty() {
                "GET".to_owned()
            } else {
                s.method
            },
            ret: s.ret,
            payload_to: s.paytoqs,
            headers,
            auth,
            send_errors_to_catch: s.senderr,
            client,
            events: cx.events.clone(),
        },
        1,
    ))
}

/// JavaScript's `encodeURIComponent`, which Node's `querystring` and the
/// `cookie` package encode values with.
fn encode_uri_component(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, flowgate_script::jslib::builtins::URI_COMPONENT)
        .to_string()
}

/// The `User-Agent` Node-RED's requests carry unless a header sets one:
/// its HTTP client's (got).
const USER_AGENT: &str = "got (https://github.com/sindresorhus/got)";

/// What Node-RED's cookie jar sends: the cookies of a header named exactly
/// `cookie`, then `msg.cookies` (one named again keeps its place): `{value,
/// encode: false}` as written, other values URI-encoded; `null` (which
/// clears a cookie in an `http response`) is left out. `None` when the jar
/// is empty.
fn cookie_header(existing: Option<String>, cookies: Option<&Value>) -> Option<String> {
    let mut pairs: Vec<String> = existing
        .iter()
        .flat_map(|c| c.split(';'))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(Value::Object(cookies)) = cookies {
        for (name, c) in cookies {
            let value = match c {
                Value::Null => continue,
                Value::Object(o) => match o.get("value") {
                    None | Some(Value::Null) => continue,
                    Some(v) if o.get("encode") == Some(&Value::Bool(false)) => value_text(v),
                    Some(v) => encode_uri_component(&value_text(v)),
                },
                other => encode_uri_component(&value_text(other)),
            };
            let pair = format!("{name}={value}");
            match pairs
                .iter()
                .position(|p| p.split('=').next() == Some(name.as_str()))
            {
                Some(i) => pairs[i] = pair,
                None => pairs.push(pair),
            }
        }
    }
    (!pairs.is_empty()).then(|| pairs.join("; "))
}

/// Node's `querystring.stringify`.
pub fn querystring(obj: &Map<String, Value>) -> String {
    let enc = encode_uri_component;
    let prim = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => js::number_to_string(n),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    };
    let mut parts = Vec::new();
    for (k, v) in obj {
        match v {
            Value::Array(items) => {
                for i in items {
                    parts.push(format!("{}={}", enc(k), enc(&prim(i))));
                }
            }
            other => parts.push(format!("{}={}", enc(k), enc(&prim(other)))),
        }
    }
    parts.join("&")
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => js::to_js_string(Some(other)),
    }
}

impl HttpRequest {
    fn status(&self, s: Value) {
        publish_status(&self.events, &self.id, s);
    }

    /// The request for `msg` and the URL it goes to, or the message Node-RED
    /// reports for a request it cannot make.
    fn request(&self, msg: &Message) -> Result<(Hop, String), String> {
        let mut url = self.target_url(msg)?;
        let method = self.method(msg);
        let mut headers = self.headers(msg);
        let body = self.body(msg, &method, &mut headers, &mut url)?;
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| format!("invalid method \"{method}\""))?;
        let parsed = reqwest::Url::parse(&url).map_err(|_| "Invalid url".to_owned())?;
        let hop = Hop {
            method,
            url: parsed,
            headers,
            body,
        };
        Ok((hop, url))
    }

    /// Send one request of a chain.
    async fn send(
        &self,
        hop: &Hop,
        timeout: Duration,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let mut req = self
            .client
            .request(hop.method.clone(), hop.url.clone())
            .timeout(timeout);
        for (k, v) in &hop.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        if let Some(b) = &hop.body {
            req = req.body(b.clone());
        }
        req.send().await
    }

    /// The node's URL (a mustache template over the message) or `msg.url`;
    /// a URL without a scheme gets `http://`.
    fn target_url(&self, msg: &Message) -> Result<String, String> {
        let mut url = match (&self.url_template, &self.url) {
            (Some(t), _) => mustache::render_plain(t, &Value::Object(msg.body.clone())),
            (None, Some(u)) => u.clone(),
            (None, None) => msg.body.get("url").map(value_text).unwrap_or_default(),
        };
        if url.is_empty() {
            return Err("No url specified".into());
        }
        if url.contains("://") && !url.starts_with("http") {
            return Err("non-http transport requested".into());
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            url = format!("http://{url}");
        }
        Ok(url)
    }

    /// The node's method, or `msg.method` (default `GET`) when set to "use".
    fn method(&self, msg: &Message) -> String {
        let mut method = self.method.to_ascii_uppercase();
        if self.method == "use" {
            method = msg
                .body
                .get("method")
                .map(value_text)
                .unwrap_or_else(|| "GET".into())
                .to_ascii_uppercase();
        }
        method
    }

    /// Headers: msg.headers (unless passed through unchanged from an earlier
    /// request), then the node's list, then authentication; names compare
    /// case-insensitively.
    fn headers(&self, msg: &Message) -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut set = |name: String, value: Option<String>| {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case(&name));
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                headers.push((name, v));
            }
        };
        if let Some(Value::Object(h)) = msg.body.get("headers") {
            let mut h = h.clone();
            let unchanged = match h.shift_remove("x-node-red-request-node") {
                Some(Value::String(hash)) => hash_sum(&Value::Object(h.clone())) == hash,
                _ => false,
            };
            if !unchanged {
                for (k, v) in &h {
                    set(k.clone(), Some(value_text(v)));
                }
            }
        }
        for (name, value) in &self.headers {
            let resolve = |p: &HeaderPart| match p {
                HeaderPart::Fixed(s) => Some(s.clone()),
                HeaderPart::Msg(path) => path.get(&msg.body).ok().flatten().map(|v| value_text(&v)),
            };
            if let Some(n) = resolve(name).filter(|n| !n.is_empty()) {
                set(n, resolve(value));
            }
        }
        match &self.auth {
            Auth::None => {}
            Auth::Basic(u, p) => {
                use base64::Engine;
                let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
                set("Authorization".into(), Some(format!("Basic {token}")));
            }
            Auth::Bearer(t) => set("Authorization".into(), Some(format!("Bearer {t}"))),
        }
        // The jar's cookies replace a `Cookie` header in another spelling;
        // without any, that header goes as it is.
        let existing = headers
            .iter()
            .position(|(k, _)| k == "cookie")
            .map(|i| headers.remove(i).1);
        if let Some(cookie) = cookie_header(existing, msg.body.get("cookies")) {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("cookie"));
            headers.push(("cookie".into(), cookie));
        }
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("user-agent"))
        {
            headers.push(("User-Agent".into(), USER_AGENT.into()));
        }
        headers
    }

    /// The request body; for GET, the payload goes to the query string, the
    /// body or nowhere as configured. A JSON body without a content type
    /// adds `Content-Type: application/json` to `headers`.
    fn body(
        &self,
        msg: &Message,
        method: &str,
        headers: &mut Vec<(String, String)>,
        url: &mut String,
    ) -> Result<Option<Vec<u8>>, String> {
        let has = |headers: &[(String, String)], n: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.clone())
        };
        let payload = msg.body.get("payload");
        let mut body: Option<Vec<u8>> = None;
        if method != "GET" && method != "HEAD" {
            if let Some(p) = payload {
                body = Some(match p {
                    Value::String(s) => s.clone().into_bytes(),
                    Value::Number(n) => js::number_to_string(n).into_bytes(),
                    v => match as_buffer(v) {
                        Some(b) => b,
                        None => {
                            let ct = has(headers, "content-type");
                            if ct.as_deref() == Some("application/x-www-form-urlencoded") {
                                match v {
                                    Value::Object(o) => querystring(o).into_bytes(),
                                    _ => Vec::new(),
                                }
                            } else {
                                if ct.is_none() {
                                    headers
                                        .push(("Content-Type".into(), "application/json".into()));
                                }
                                flowgate_runtime::js_json::to_vec(v)
                            }
                        }
                    },
                });
            }
        } else if method == "GET" && payload.is_some() {
            match self.payload_to {
                PayloadTo::Query => match payload {
                    Some(Value::Object(o)) => {
                        let qs = querystring(o);
                        if url.contains('?') {
                            if !url.ends_with('?') {
                                url.push('&');
                            }
                        } else {
                            url.push('?');
                        }
                        url.push_str(&qs);
                    }
                    _ => return Err("Invalid payload".into()),
                },
                PayloadTo::Body => {
                    body = payload.map(|p| match p {
                        Value::String(s) => s.clone().into_bytes(),
                        v => as_buffer(v).unwrap_or_else(|| flowgate_runtime::js_json::to_vec(v)),
                    });
                }
                PayloadTo::Ignore => {}
            }
        }
        Ok(body)
    }

    /// `msg.requestTimeout` in milliseconds; invalid values are logged and
    /// the default is used.
    fn timeout(&self, msg: &Message) -> Duration {
        match msg.body.get("requestTimeout") {
            Some(v) => {
                let ms = js::to_number(Some(v));
                if ms.is_nan() {
                    tracing::warn!(node = %self.id, "Timeout value is not a valid number, ignoring");
                    DEFAULT_TIMEOUT
                } else if ms < 1.0 {
                    tracing::warn!(node = %self.id, "Timeout value is negative, ignoring");
                    DEFAULT_TIMEOUT
                } else {
                    Duration::from_secs_f64(ms / 1000.0)
                }
            }
            None => DEFAULT_TIMEOUT,
        }
    }

    async fn call(&self, mut msg: Message, out: &mut Outputs) -> Result<(), NodeError> {
        self.status(status("blue", "dot", "requesting"));
        let (hop, url) = match self.request(&msg) {
            Ok(r) => r,
            Err(e) => {
                self.status(Value::Object(Map::new()));
                return Err(NodeError::new(e).with_msg(msg));
            }
        };
        match self.send_following(hop, &msg).await {
            Ok((res, redirects)) => {
                let code = res.status().as_u16();
                let mut headers = headers_object(res.headers());
                let hash = hash_sum(&Value::Object(headers.clone()));
                let response_url = res.url().to_string();
                let cookies = headers.get("set-cookie").cloned();
                let bytes = res.bytes().await.unwrap_or_default();
                headers.insert("x-node-red-request-node".into(), Value::String(hash));
                msg.body.insert("statusCode".into(), Value::from(code));
                msg.body.insert("headers".into(), Value::Object(headers));
                msg.body
                    .insert("responseUrl".into(), Value::String(response_url));
                msg.body
                    .insert("redirectList".into(), Value::Array(redirects));
                msg.body.insert("retry".into(), Value::from(0));
                if let Some(Value::Array(list)) = cookies {
                    msg.body.insert(
                        "responseCookies".into(),
                        Value::Object(parse_set_cookies(&list)),
                    );
                }
                let payload = match self.ret {
                    Ret::Binary => buffer_value(&bytes),
                    Ret::Text => Value::String(String::from_utf8_lossy(&bytes).into_owned()),
                    Ret::Object => {
                        let text = if code == 204 {
                            "{}".to_owned()
                        } else {
                            String::from_utf8_lossy(&bytes).into_owned()
                        };
                        match serde_json::from_str(&text) {
                            Ok(v) => v,
                            Err(_) => {
                                tracing::warn!(node = %self.id, "JSON parse error");
                                Value::String(text)
                            }
                        }
                    }
                };
                msg.set_payload(payload);
                self.status(Value::Object(Map::new()));
                out.send(0, msg);
                Ok(())
            }
            Err(e) => {
                let (message, code, shown) = e.describe();
                self.status(status("red", "ring", shown));
                msg.set_payload(Value::String(format!("{message} : {url}")));
                msg.body
                    .insert("statusCode".into(), Value::String(code.into()));
                if !self.send_errors_to_catch {
                    out.send(0, msg.clone());
                }
                Err(NodeError::new(message).with_msg(msg))
            }
        }
    }
}

/// `Set-Cookie` headers → `{name: {value, Path, …}}` as Node-RED's `extractCookies`.
fn parse_set_cookies(list: &[Value]) -> Map<String, Value> {
    let mut out = Map::new();
    for c in list.iter().filter_map(Value::as_str) {
        let Some((key, _)) = c.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() {
            continue;
        }
        let mut cookie = Map::new();
        for (i, part) in c.split(';').enumerate() {
            let (k, v) = match part.split_once('=') {
                Some((k, v)) => (k.trim(), v.trim().trim_matches('"')),
                None => continue,
            };
            let v = percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned();
            if i == 0 {
                cookie.insert("value".into(), Value::String(v));
            } else if !cookie.contains_key(k) {
                cookie.insert(k.to_owned(), Value::String(v));
            }
        }
        out.insert(key.to_owned(), Value::Object(cookie));
    }
    out
}

impl Node for HttpRequest {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        Outcome::Pending(Box::pin(self.call(msg, out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, Sink};
    use serde_json::json;

    #[test]
    fn querystring_like_node() {
        let o = json!({"a": "x y", "b": [1, true], "c": {"d": 1}, "e": "é&"});
        assert_eq!(
            querystring(o.as_object().unwrap()),
            "a=x%20y&b=1&b=true&c=&e=%C3%A9%26"
        );
    }

    #[tokio::test]
    async fn calls_a_loopback_server() {
        use axum::routing::any;
        let app = axum::Router::new().route(
            "/echo/{x}",
            any(|req: axum::extract::Request| async move {
                let method = req.method().to_string();
                let uri = req.uri().to_string();
                let auth = req
                    .headers()
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_owned());
                let ct = req
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_owned());
                let body = axum::body::to_bytes(req.into_body(), 1 << 20)
                    .await
                    .unwrap();
                axum::Json(json!({"method": method, "uri": uri, "auth": auth, "ct": ct,
                    "body": String::from_utf8_lossy(&body)}))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let rt = testkit::start(json!([
            {"id": "hr1", "type": "http request", "z": "t", "method": "use", "ret": "obj", "paytoqs": "query",
             "url": format!("http://{addr}/echo/{{{{id}}}}"), "headers": [{"keyType": "other", "keyValue": "X-A", "valueType": "other", "valueValue": "1"}],
             "wires": [["hr1-out"]]},
            {"id": "hr1-out", "type": "test sink", "z": "t", "wires": []}
        ]));
        let mut out = Sink::new("hr1-out");
        testkit::inject(
            &rt,
            "hr1",
            json!({"id": "a b", "method": "post", "payload": {"k": 1}}),
        )
        .await;
        let m = out.next().await.body;
        assert_eq!(m["statusCode"], json!(200));
        assert_eq!(m["payload"]["method"], json!("POST"));
        assert_eq!(m["payload"]["body"], json!("{\"k\":1}"));
        assert_eq!(m["payload"]["ct"], json!("application/json"));
        assert_eq!(m["headers"]["content-type"], json!("application/json"));
        assert!(m["headers"]["x-node-red-request-node"].is_string());
        testkit::inject(
            &rt,
            "hr1",
            json!({"id": "q", "method": "GET", "payload": {"a": "1 2"}}),
        )
        .await;
        let m = out.next().await.body;
        assert_eq!(m["payload"]["uri"], json!("/echo/q?a=1%202"));
    }

    #[tokio::test]
    async fn connection_errors_are_sent_and_raised() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let rt = testkit::start(json!([
            {"id": "hr2", "type": "http request", "z": "t", "method": "GET", "ret": "txt",
             "url": format!("127.0.0.1:{port}/x"), "wires": [["hr2-out"]]},
            {"id": "hr2-out", "type": "test sink", "z": "t", "wires": []},
            {"id": "hr2-catch", "type": "catch", "z": "t", "scope": null, "wires": [["hr2-err"]]},
            {"id": "hr2-err", "type": "test sink", "z": "t", "wires": []}
        ]));
        let mut out = Sink::new("hr2-out");
        let mut err = Sink::new("hr2-err");
        testkit::inject(&rt, "hr2", json!({})).await;
        let m = out.next().await.body;
        assert_eq!(m["statusCode"], json!("ECONNREFUSED"));
        assert_eq!(
            m["payload"],
            json!(format!(
                "RequestError: connect ECONNREFUSED 127.0.0.1:{port} : http://127.0.0.1:{port}/x"
            ))
        );
        let e = err.next().await.body;
        assert_eq!(
            e["error"]["message"],
            json!(format!(
                "RequestError: connect ECONNREFUSED 127.0.0.1:{port}"
            ))
        );
    }
}

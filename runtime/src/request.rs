//! Decoding an HTTP request into Node-RED's `msg.req` and `msg.payload`,
//! following `21-httpin.js` and the Express/body-parser defaults it uses.

use bytes::Bytes;
use http::{HeaderMap, Method};
use serde_json::{Map, Value};

mod multipart;
mod qs;

/// Why a request body could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("invalid JSON body at line {line} column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// A urlencoded body with more than [`QS_PARAMETER_LIMIT`] parameters
    /// (body-parser's `parameters.too.many`).
    #[error("too many parameters")]
    TooManyParameters,
    /// A urlencoded body with a key nested deeper than 32 brackets
    /// (body-parser's `strictDepth` error).
    #[error("The input exceeded the depth")]
    TooDeep,
    /// A `multipart/form-data` body an uploading endpoint could not read
    /// (multer's errors, which Node-RED answers 500).
    #[error("multipart body: {0}")]
    Multipart(String),
}

impl DecodeError {
    /// The status Node-RED answers: body-parser's 413 for too many
    /// parameters, the `http in` node's error handler's 500 for a
    /// multipart body, 400 otherwise.
    pub fn status(&self) -> http::StatusCode {
        match self {
            DecodeError::TooManyParameters => http::StatusCode::PAYLOAD_TOO_LARGE,
            DecodeError::Multipart(_) => http::StatusCode::INTERNAL_SERVER_ERROR,
            DecodeError::Json { .. } | DecodeError::TooDeep => http::StatusCode::BAD_REQUEST,
        }
    }
}

impl From<qs::FormError> for DecodeError {
    fn from(e: qs::FormError) -> Self {
        match e {
            qs::FormError::TooManyParameters => DecodeError::TooManyParameters,
            qs::FormError::TooDeep(_) => DecodeError::TooDeep,
        }
    }
}

/// Query string → object, as Express 4.22's extended query parser answers
/// (`qs` with depth 5, array limit 1000, at most [`QS_PARAMETER_LIMIT`]
/// pairs read and the rest ignored): repeated keys become arrays, `a[]=1`
/// appends, `a[0]=1` indexes an array, `a[b]=1` nests an object, and a key
/// without `=` is `""`. Nesting past depth 5 stays one literal key.
pub fn parse_query(query: Option<&str>) -> Map<String, Value> {
    let Some(q) = query.filter(|q| !q.is_empty()) else {
        return Map::new();
    };
    // Without `strictDepth` qs never rejects a query string.
    qs::parse(q, &qs::QUERY).unwrap_or_default()
}

/// The most key/value pairs read from one query string or form body (a
/// form body with more is rejected, as body-parser does).
pub const QS_PARAMETER_LIMIT: usize = 1000;

/// `Cookie` header(s) → object of name → value, as Node-RED's
/// cookie-parser answers: the `cookie` package (0.7) splits pairs at `;`,
/// trims spaces and tabs, keeps the first value of a name, drops one pair
/// of surrounding quotes and percent-decodes (a value that does not decode
/// stays as it is); then a value starting `j:` whose rest parses as JSON
/// (and is truthy) becomes that JSON. Node.js joins repeated `Cookie`
/// headers with "; ". One pass over the header; JSON nesting is bounded by
/// serde_json's 128 levels (deeper stays a string).
pub fn parse_cookies(headers: &HeaderMap) -> Map<String, Value> {
    let mut cookies = headers.get_all(http::header::COOKIE).iter();
    // Most requests carry no cookies (API clients, load generators): no
    // joining buffer for them.
    let Some(first) = cookies.next() else {
        return Map::new();
    };
    let joined = std::iter::once(first)
        .chain(cookies)
        .filter_map(|h| h.to_str().ok())
        .collect::<Vec<_>>()
        .join("; ");
    let mut out = Map::new();
    for (name, value) in cookie_pairs(&joined) {
        if name == "__proto__" || out.contains_key(name) {
            continue;
        }
        let decoded = if value.contains('%') {
            qs::decode_uri_component(value).unwrap_or_else(|| value.to_owned())
        } else {
            value.to_owned()
        };
        out.insert(name.to_owned(), json_cookie(decoded));
    }
    qs::js_key_order(out)
}

/// cookie-parser's `JSONCookie`: `j:` + JSON that parses to a truthy value.
fn json_cookie(value: String) -> Value {
    if let Some(json) = value.strip_prefix("j:") {
        if let Ok(v) = serde_json::from_str::<Value>(json) {
            let truthy = match &v {
                Value::Null | Value::Bool(false) => false,
                Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return v;
            }
        }
    }
    Value::String(value)
}

/// The `cookie` package's `parse` loop: (name, raw value) pairs in order,
/// names possibly repeated.
fn cookie_pairs(s: &str) -> Vec<(&str, &str)> {
    let b = s.as_bytes();
    let mut pairs = Vec::new();
    if b.len() < 2 {
        return pairs;
    }
    let find = |from: usize, c: u8| {
        b[from.min(b.len())..]
            .iter()
            .position(|&x| x == c)
            .map(|p| p + from)
    };
    let blank = |c: u8| c == b' ' || c == b'\t';
    let mut index = 0;
    while index < b.len() {
        let Some(eq) = find(index, b'=') else { break };
        let end = match find(index, b';') {
            None => b.len(),
            Some(semi) if eq > semi => {
                // A `;` before the `=`: restart at the last `;` before it.
                index = b[..eq]
                    .iter()
                    .rposition(|&x| x == b';')
                    .map_or(0, |p| p + 1);
                continue;
            }
            Some(semi) => semi,
        };
        let trim = |from: usize, to: usize| {
            let start = (from..to).find(|&i| !blank(b[i])).unwrap_or(to);
            let stop = (start..to)
                .rev()
                .find(|&i| !blank(b[i]))
                .map_or(start, |i| i + 1);
            (start, stop)
        };
        let (ks, ke) = trim(index, eq);
        let (mut vs, mut ve) = trim(eq + 1, end);
        if ve > vs && b[vs] == b'"' && b[ve - 1] == b'"' {
            vs += 1;
            ve -= 1;
        }
        pairs.push((&s[ks..ke], if vs < ve { &s[vs..ve] } else { "" }));
        index = end + 1;
    }
    pairs
}

/// Headers → object with lower-case names; repeated headers are joined with
/// ", " (Node.js does so for all but `set-cookie`, which is an array).
///
/// One pass over the map: [`HeaderMap::iter`] yields a name's values one
/// after another, so a repeat is always the entry just inserted, and no
/// name is looked up again.
pub fn headers_object(headers: &HeaderMap) -> Map<String, Value> {
    let mut out = Map::with_capacity(headers.keys_len());
    let mut last: Option<&http::HeaderName> = None;
    for (name, value) in headers.iter() {
        let text = String::from_utf8_lossy(value.as_bytes());
        let repeat = last == Some(name);
        last = Some(name);
        let set_cookie = name == http::header::SET_COOKIE;
        if repeat {
            match out.get_mut(name.as_str()) {
                Some(Value::Array(values)) => values.push(Value::String(text.into_owned())),
                Some(Value::String(joined)) => {
                    joined.push_str(", ");
                    joined.push_str(&text);
                }
                _ => {}
            }
            continue;
        }
        let text = Value::String(text.into_owned());
        let value = if set_cookie {
            Value::Array(vec![text])
        } else {
            text
        };
        out.insert(name.as_str().to_owned(), value);
    }
    out
}

/// The peer address as `req.ip` shows it. IPv4 (nearly every request) is
/// written digit by digit: the formatting machinery of `to_string` costs
/// more than the rest of the address's handling.
pub fn ip_text(ip: std::net::IpAddr) -> String {
    let std::net::IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let mut out = String::with_capacity(15);
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if octet >= 100 {
            out.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            out.push(char::from(b'0' + octet / 10 % 10));
        }
        out.push(char::from(b'0' + octet % 10));
    }
    out
}

/// Node-RED's JSON form of a Buffer, which `http response` sends as raw bytes.
pub fn buffer_value(bytes: &[u8]) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), Value::String("Buffer".into()));
    m.insert(
        "data".into(),
        Value::Array(bytes.iter().map(|&b| Value::from(b)).collect()),
    );
    Value::Object(m)
}

/// The bytes of a value in Node-RED's Buffer form, if it is one.
pub fn as_buffer(v: &Value) -> Option<Vec<u8>> {
    let m = v.as_object()?;
    if m.len() != 2 || m.get("type")?.as_str()? != "Buffer" {
        return None;
    }
    m.get("data")?
        .as_array()?
        .iter()
        .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
        .collect()
}

/// Decode a body by content type, as Node-RED's parsers do: JSON → value,
/// urlencoded → object, text and XML → string, other `application/*` →
/// string when valid UTF-8, anything else → Buffer. An empty JSON or
/// urlencoded body is `{}`, any other empty body `""`.
pub fn decode_body(headers: &HeaderMap, body: &Bytes) -> Result<Value, DecodeError> {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime == "application/json" {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Map::new()));
        }
        // body-parser's strict mode: only objects and arrays.
        let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
        if !matches!(first, Some(b'{') | Some(b'[')) {
            return Err(DecodeError::Json {
                line: 1,
                column: 1,
                message: "a JSON body must be an object or an array".into(),
            });
        }
        // As `JSON.parse` leaves it: integer-like keys first, numbers as
        // doubles hold them.
        let parsed = serde_json::from_slice(body).map(|mut v| {
            crate::js_value::normalize(&mut v);
            v
        });
        return parsed.map_err(|e| DecodeError::Json {
            line: e.line(),
            column: e.column(),
            message: e
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or("")
                .to_owned(),
        });
    }
    if mime == "application/x-www-form-urlencoded" {
        let text = String::from_utf8_lossy(body);
        return Ok(Value::Object(qs::parse_form(&text)?));
    }
    let (top, sub) = mime.split_once('/').unwrap_or((mime.as_str(), ""));
    let is_text = mime.is_empty() || top == "text" || sub == "xml" || sub.ends_with("+xml");
    if is_text {
        return Ok(Value::String(String::from_utf8_lossy(body).into_owned()));
    }
    if top == "application" && !matches!(sub, "octet-stream" | "cbor" | "x-protobuf") {
        if let Ok(s) = std::str::from_utf8(body) {
            return Ok(Value::String(s.to_owned()));
        }
    }
    Ok(buffer_value(body))
}

/// How an endpoint reads request bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyMode {
    /// Node-RED's parsers, by content type ([`decode_body`]).
    #[default]
    Parsed,
    /// The same, and `multipart/form-data` read into fields and files as
    /// multer does: an `http in` node with `upload` set (POST only, as in
    /// Node-RED).
    Upload,
    /// No parsing: the body as a Buffer (`skipBodyParsing`). Node-RED keys
    /// this by method and the node's URL as written, so only a request
    /// whose path is that text reads its body raw ([`raw_route_key`]).
    Raw,
}

/// A decoded body: `msg.payload` and `msg.req.body`, and for an upload
/// `msg.req.files`.
#[derive(Debug, Clone)]
pub struct Body {
    pub value: Value,
    pub files: Option<Vec<Value>>,
}

/// Decode `body` as an endpoint in `mode` does. `raw` says whether the
/// request's path is the one a [`BodyMode::Raw`] endpoint reads raw.
pub fn decode_for(
    mode: BodyMode,
    raw: bool,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Body, DecodeError> {
    if mode == BodyMode::Raw && raw {
        return Ok(Body {
            value: buffer_value(body),
            files: None,
        });
    }
    if mode == BodyMode::Upload {
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let is_multipart = content_type
            .trim_start()
            .get(..10)
            .is_some_and(|t| t.eq_ignore_ascii_case("multipart/"));
        if is_multipart {
            let parts = multipart::parse(content_type, body.clone())?;
            return Ok(Body {
                value: Value::Object(parts.fields),
                files: Some(parts.files),
            });
        }
    }
    Ok(Body {
        value: decode_body(headers, body)?,
        files: None,
    })
}

/// Node-RED's `getRouteKey` for raw-body routes: double slashes collapsed
/// and one trailing slash dropped (method aside, which the route fixes).
pub fn raw_route_key(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    if out.ends_with('/') {
        out.pop();
    }
    out
}

/// What `msg.req` is built from besides the headers. When it is owed (see
/// [`crate::message::Message::for_request`]) these are kept with the
/// request's [`crate::exchange::Exchange`], which holds the headers.
#[derive(Debug)]
pub struct RequestParts {
    pub method: Method,
    pub uri: http::Uri,
    /// The route's parameters (`/users/:id`).
    pub params: Map<String, Value>,
    pub remote_ip: Option<String>,
    /// The body as decoded, when `msg.req` is owed and the endpoint
    /// decoded one.
    pub body: Option<Body>,
}

impl RequestParts {
    /// The owed `msg.req`.
    pub fn build(&self, headers: &HeaderMap) -> Map<String, Value> {
        request_object(self, headers, self.body.as_ref())
    }
}

/// The message body `http in` sends for a request: `_msgid`, `req` and
/// `payload` as Node-RED's node sets them for its method. With `owe`, `req`
/// is left out and the parts to build it are handed back, keeping the body.
pub fn request_message(
    mut parts: RequestParts,
    headers: &HeaderMap,
    node_method: &str,
    body: Option<Body>,
    owe: bool,
) -> (Map<String, Value>, Option<RequestParts>) {
    let mut msg = Map::with_capacity(3);
    msg.insert("_msgid".into(), Value::String(crate::message::new_msgid()));
    let has_body = matches!(node_method, "post" | "put" | "patch" | "delete" | "options");
    let (payload, owed) = if owe {
        let payload = match &body {
            _ if node_method == "get" => Some(Value::Object(parse_query(parts.uri.query()))),
            Some(b) if has_body => Some(b.value.clone()),
            _ => None,
        };
        parts.body = body;
        (payload, Some(parts))
    } else {
        let req = request_object(&parts, headers, body.as_ref());
        // The body moves into `payload`: `req` made its own copy.
        let payload = match body {
            _ if node_method == "get" => req.get("query").cloned(),
            Some(b) if has_body => Some(b.value),
            _ => None,
        };
        msg.insert("req".into(), Value::Object(req));
        (payload, None)
    };
    match payload {
        Some(p) => {
            msg.insert("payload".into(), p);
        }
        None if has_body => {
            msg.insert("payload".into(), Value::Object(Map::new()));
        }
        None => {}
    }
    (msg, owed)
}

/// `msg.req`: what Node-RED's Express request shows of itself.
fn request_object(
    parts: &RequestParts,
    headers: &HeaderMap,
    body: Option<&Body>,
) -> Map<String, Value> {
    let path = parts.uri.path();
    let url = parts
        .uri
        .path_and_query()
        .map_or_else(|| path.to_owned(), |pq| pq.as_str().to_owned());
    let host = headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let hostname = host.rsplit_once(':').map_or(host, |(h, _)| h).to_owned();
    // Sized up front: growing an (order-preserving) map rehashes every key.
    let mut req = Map::with_capacity(13);
    req.insert(
        "method".into(),
        Value::String(parts.method.as_str().to_owned()),
    );
    req.insert("url".into(), Value::String(url.clone()));
    req.insert("originalUrl".into(), Value::String(url));
    req.insert("path".into(), Value::String(path.to_owned()));
    req.insert("baseUrl".into(), Value::String(String::new()));
    req.insert("hostname".into(), Value::String(hostname));
    req.insert(
        "ip".into(),
        Value::String(parts.remote_ip.clone().unwrap_or_default()),
    );
    req.insert("protocol".into(), Value::String("http".into()));
    // Header, cookie and parameter names are the client's or the route's:
    // as JavaScript objects, integer-like ones list first (the query's
    // parser and the body's decoder order their own).
    let mut header_object = Value::Object(headers_object(headers));
    crate::js_value::normalize(&mut header_object);
    req.insert("headers".into(), header_object);
    let mut params = Value::Object(parts.params.clone());
    crate::js_value::normalize(&mut params);
    req.insert("params".into(), params);
    req.insert(
        "query".into(),
        Value::Object(parse_query(parts.uri.query())),
    );
    let mut cookies = Value::Object(parse_cookies(headers));
    crate::js_value::normalize(&mut cookies);
    req.insert("cookies".into(), cookies);
    req.insert(
        "body".into(),
        body.map_or_else(|| Value::Object(Map::new()), |b| b.value.clone()),
    );
    if let Some(files) = body.and_then(|b| b.files.clone()) {
        req.insert("files".into(), Value::Array(files));
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_arrays_like_express() {
        let q = parse_query(Some("a=1&a=2&b[]=x&c=%20y"));
        assert_eq!(
            Value::Object(q),
            serde_json::json!({"a":["1","2"],"b":["x"],"c":" y"})
        );
    }

    #[test]
    fn repeated_headers_join_and_set_cookie_stays_a_list() {
        let mut h = HeaderMap::new();
        h.append("x-a", "1".parse().unwrap());
        h.append("host", "h:1".parse().unwrap());
        h.append("x-a", "2".parse().unwrap());
        h.append("set-cookie", "a=1".parse().unwrap());
        h.append("set-cookie", "b=2".parse().unwrap());
        h.append("x-a", "3".parse().unwrap());
        h.append("x-b", http::HeaderValue::from_bytes(b"a\xffb").unwrap());
        assert_eq!(
            serde_json::to_string(&headers_object(&h)).unwrap(),
            "{\"x-a\":\"1, 2, 3\",\"host\":\"h:1\",\"set-cookie\":[\"a=1\",\"b=2\"],\"x-b\":\"a\u{fffd}b\"}"
        );
    }

    #[test]
    fn ip_text_is_the_usual_notation() {
        for ip in [
            "0.0.0.0",
            "127.0.0.1",
            "10.20.199.255",
            "255.9.100.1",
            "::1",
            "::ffff:1.2.3.4",
        ] {
            let addr: std::net::IpAddr = ip.parse().unwrap();
            assert_eq!(ip_text(addr), addr.to_string());
        }
    }

    #[test]
    fn no_cookie_header_no_cookies() {
        let mut h = HeaderMap::new();
        assert!(parse_cookies(&h).is_empty());
        h.append("cookie", "a=1".parse().unwrap());
        h.append("cookie", "b=%20".parse().unwrap());
        assert_eq!(
            Value::Object(parse_cookies(&h)),
            serde_json::json!({"a": "1", "b": " "})
        );
    }

    #[test]
    fn body_by_content_type() {
        let mut h = HeaderMap::new();
        h.insert("content-type", "application/json".parse().unwrap());
        assert_eq!(
            decode_body(&h, &Bytes::from_static(b"{\"a\":1}")).unwrap(),
            serde_json::json!({"a":1})
        );
        assert!(decode_body(&h, &Bytes::from_static(b"{\"a\":")).is_err());
        assert!(decode_body(&h, &Bytes::from_static(b"12")).is_err());
        assert_eq!(
            decode_body(&h, &Bytes::new()).unwrap(),
            serde_json::json!({})
        );
        assert_eq!(decode_body(&HeaderMap::new(), &Bytes::new()).unwrap(), "");
        h.insert("content-type", "text/plain; charset=utf-8".parse().unwrap());
        assert_eq!(decode_body(&h, &Bytes::from_static(b"hi")).unwrap(), "hi");
        h.insert(
            "content-type",
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        assert_eq!(
            decode_body(&h, &Bytes::from_static(b"a=1&b=2")).unwrap(),
            serde_json::json!({"a":"1","b":"2"})
        );
        h.insert("content-type", "application/octet-stream".parse().unwrap());
        assert_eq!(
            as_buffer(&decode_body(&h, &Bytes::from_static(b"\x00\x01")).unwrap()),
            Some(vec![0, 1])
        );
    }
}

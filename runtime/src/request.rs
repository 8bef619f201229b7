//! Decoding an HTTP request into Node-RED's `msg.req` and `msg.payload`,
//! following `21-httpin.js` and the Express/body-parser defaults it uses.

use bytes::Bytes;
use http::{HeaderMap, Method};
use serde_json::{Map, Value};

/// Why a request body could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("invalid JSON body at line {line} column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
}

/// Query string (or urlencoded body) → object, with the `qs` rules Express
/// uses: repeated keys become arrays, `a[]=1` appends, `a[0]=1` indexes an
/// array, `a[b]=1` nests an object, and a key without `=` is `""`.
pub fn parse_query(query: Option<&str>) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(q) = query.filter(|q| !q.is_empty()) else {
        return out;
    };
    // qs's parameterLimit: pairs beyond the first 1000 are ignored, which
    // bounds the work a hostile query string can cause.
    for (k, v) in form_urlencoded_pairs(q)
        .into_iter()
        .take(QS_PARAMETER_LIMIT)
    {
        let (base, path) = split_key(&k);
        if base.is_empty() {
            continue;
        }
        insert_path(&mut out, base, &path, Value::String(v));
    }
    out
}

/// The most key/value pairs read from one query string or form body.
pub const QS_PARAMETER_LIMIT: usize = 1000;

/// The most array index `qs` turns into an array (beyond, an object key).
const QS_ARRAY_LIMIT: usize = 20;

/// `a[b][]` → ("a", ["b", ""]); a key without well-formed brackets is taken whole.
fn split_key(key: &str) -> (&str, Vec<&str>) {
    let Some(open) = key.find('[') else {
        return (key, Vec::new());
    };
    if open == 0 {
        return (key, Vec::new());
    }
    let mut segs = Vec::new();
    let mut rest = &key[open..];
    while let Some(r) = rest.strip_prefix('[') {
        let Some(close) = r.find(']') else {
            return (key, Vec::new());
        };
        segs.push(&r[..close]);
        rest = &r[close + 1..];
    }
    if !rest.is_empty() {
        return (key, Vec::new());
    }
    (&key[..open], segs)
}

fn insert_path(map: &mut Map<String, Value>, key: &str, path: &[&str], value: Value) {
    match path.split_first() {
        None => match map.get_mut(key) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                map.insert(key.to_owned(), value);
            }
        },
        Some((seg, rest)) => {
            let index = seg.parse::<usize>().ok().filter(|i| *i <= QS_ARRAY_LIMIT);
            let slot = map.entry(key.to_owned()).or_insert_with(|| {
                if seg.is_empty() || index.is_some() {
                    Value::Array(Vec::new())
                } else {
                    Value::Object(Map::new())
                }
            });
            insert_into(slot, seg, index, rest, value);
        }
    }
}

fn insert_into(slot: &mut Value, seg: &str, index: Option<usize>, rest: &[&str], value: Value) {
    // An array addressed by a non-index key becomes an object keyed by position.
    if let Value::Array(items) = slot {
        if !seg.is_empty() && index.is_none() {
            let obj: Map<String, Value> = std::mem::take(items)
                .into_iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect();
            *slot = Value::Object(obj);
        }
    }
    if !slot.is_array() && !slot.is_object() {
        let first = slot.take();
        *slot = Value::Array(vec![first]);
    }
    match slot {
        Value::Array(items) => {
            if rest.is_empty() {
                // qs compacts sparse indexes: `a[5]=x` alone is `["x"]`.
                items.push(value);
            } else {
                let mut child = Map::new();
                insert_path(&mut child, "_", rest, value);
                items.push(child.remove("_").unwrap_or(Value::Null));
            }
        }
        Value::Object(obj) => insert_path(obj, seg, rest, value),
        _ => {}
    }
}

fn form_urlencoded_pairs(s: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(s).unwrap_or_default()
}

/// `Cookie` header → object of name → value.
pub fn parse_cookies(headers: &HeaderMap) -> Map<String, Value> {
    let mut out = Map::new();
    for h in headers.get_all(http::header::COOKIE) {
        let Ok(s) = h.to_str() else { continue };
        for pair in s.split(';') {
            let pair = pair.trim();
            if let Some((k, v)) = pair.split_once('=') {
                let v = v.trim().trim_matches('"');
                let v = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
                out.entry(k.trim().to_owned())
                    .or_insert_with(|| Value::String(v.into_owned()));
            }
        }
    }
    out
}

/// Headers → object with lower-case names; repeated headers are joined with
/// ", " (Node.js does so for all but `set-cookie`, which is an array).
pub fn headers_object(headers: &HeaderMap) -> Map<String, Value> {
    let mut out = Map::with_capacity(headers.keys_len());
    for name in headers.keys() {
        let mut values = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let value = if name == http::header::SET_COOKIE {
            Value::Array(values.map(Value::String).collect())
        } else {
            let first = values.next().unwrap_or_default();
            let joined = values.fold(first, |mut acc, v| {
                acc.push_str(", ");
                acc.push_str(&v);
                acc
            });
            Value::String(joined)
        };
        out.insert(name.as_str().to_owned(), value);
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
        return serde_json::from_slice(body).map_err(|e| DecodeError::Json {
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
        return Ok(Value::Object(parse_query(Some(&text))));
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

/// Everything about a request that goes into `msg.req`.
pub struct RequestInfo<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub params: Map<String, Value>,
    pub remote_ip: Option<String>,
}

/// Build the message body for a request: `_msgid`, `req` and `payload` as
/// Node-RED's `http in` sets them for the node's method.
pub fn request_message(
    info: RequestInfo<'_>,
    node_method: &str,
    body: Option<Value>,
) -> Map<String, Value> {
    let query = parse_query(info.query);
    let url = match info.query {
        Some(q) => format!("{}?{}", info.path, q),
        None => info.path.to_owned(),
    };
    let host = info
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let hostname = host.rsplit_once(':').map_or(host, |(h, _)| h).to_owned();
    // Sized up front: growing an (order-preserving) map rehashes every key.
    let mut req = Map::with_capacity(13);
    req.insert(
        "method".into(),
        Value::String(info.method.as_str().to_owned()),
    );
    req.insert("url".into(), Value::String(url.clone()));
    req.insert("originalUrl".into(), Value::String(url));
    req.insert("path".into(), Value::String(info.path.to_owned()));
    req.insert("baseUrl".into(), Value::String(String::new()));
    req.insert("hostname".into(), Value::String(hostname));
    req.insert(
        "ip".into(),
        Value::String(info.remote_ip.unwrap_or_default()),
    );
    req.insert("protocol".into(), Value::String("http".into()));
    req.insert(
        "headers".into(),
        Value::Object(headers_object(info.headers)),
    );
    req.insert("params".into(), Value::Object(info.params));
    req.insert("query".into(), Value::Object(query.clone()));
    req.insert("cookies".into(), Value::Object(parse_cookies(info.headers)));
    req.insert(
        "body".into(),
        body.clone().unwrap_or_else(|| Value::Object(Map::new())),
    );
    let mut msg = Map::with_capacity(3);
    msg.insert("_msgid".into(), Value::String(crate::message::new_msgid()));
    msg.insert("req".into(), Value::Object(req));
    match node_method {
        "get" => {
            msg.insert("payload".into(), Value::Object(query));
        }
        "post" | "put" | "patch" | "delete" | "options" => {
            msg.insert("payload".into(), body.unwrap_or(Value::Object(Map::new())));
        }
        _ => {}
    }
    msg
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

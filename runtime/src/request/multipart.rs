//! `multipart/form-data` bodies for an `http in` node with file uploads on:
//! what Node-RED's multer (memory storage, `any()`) over busboy leaves in
//! `req.body` (the text fields) and `req.files` (the files, in part order).
//!
//! The `multer` crate frames the parts; the part headers are read here, byte
//! for byte as busboy reads them, because what users see depends on it:
//! parameter values such as a file name are decoded as Latin-1 unless an
//! RFC 5987 `filename*` names a charset, exactly as Node-RED shows them.

use bytes::Bytes;
use serde_json::{Map, Value};

use super::{buffer_value, DecodeError};

/// busboy's default `fieldNameSize`: a longer field name fails the request.
const FIELD_NAME_MAX: usize = 100;
/// busboy's default `fieldSize` (1 MiB): a longer text field fails it too.
const FIELD_VALUE_MAX: usize = 1024 * 1024;

/// Text fields and files of a multipart body.
pub struct Parts {
    /// `req.body` (and `msg.payload`): the fields, nested as `append-field`
    /// nests bracketed names (`user[name]`, `tags[]`, `list[0]`).
    pub fields: Map<String, Value>,
    /// `req.files`: `{fieldname, originalname, encoding, mimetype, buffer, size}`.
    pub files: Vec<Value>,
}

/// Parse `body` whose content type is `content_type` (a `multipart/*` type).
pub fn parse(content_type: &str, body: Bytes) -> Result<Parts, DecodeError> {
    let boundary = multer::parse_boundary(content_type).map_err(failed)?;
    let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut parts = Parts {
        fields: Map::new(),
        files: Vec::new(),
    };
    // The body is already in memory: every step is ready at once.
    futures::executor::block_on(async {
        while let Some(field) = multipart.next_field().await.map_err(failed)? {
            let head = PartHead::of(field.headers());
            let Some(head) = head else {
                continue; // no `form-data` disposition: busboy skips the part
            };
            let data = field.bytes().await.map_err(failed)?;
            head.add_to(&mut parts, &data)?;
        }
        Ok(parts)
    })
}

fn failed(e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Multipart(e.to_string())
}

/// What busboy reads from one part's headers.
struct PartHead {
    name: Option<String>,
    filename: Option<String>,
    mime: String,
    charset: String,
    encoding: String,
}

impl PartHead {
    fn of(headers: &http::HeaderMap) -> Option<PartHead> {
        let disposition = parse_disposition(headers.get("content-disposition")?.as_bytes())?;
        let mut head = PartHead {
            name: None,
            filename: None,
            mime: "text/plain".into(),
            charset: "utf-8".into(),
            encoding: "7bit".into(),
        };
        // busboy takes each parameter only when it is not empty: a part
        // with `filename=""` is a text field.
        for (key, value) in disposition.into_iter().filter(|(_, v)| !v.is_empty()) {
            match key.as_str() {
                "name" => head.name = Some(value),
                "filename*" => head.filename = Some(basename(&value)),
                "filename" if head.filename.is_none() => head.filename = Some(basename(&value)),
                _ => {}
            }
        }
        if let Some(ct) = headers.get("content-type").and_then(|v| v.to_str().ok()) {
            let mut pieces = ct.split(';');
            let essence = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            if essence
                .split_once('/')
                .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty())
            {
                head.mime = essence;
                for p in pieces {
                    if let Some((k, v)) = p.split_once('=') {
                        if k.trim().eq_ignore_ascii_case("charset") {
                            head.charset = v.trim().trim_matches('"').to_ascii_lowercase();
                        }
                    }
                }
            }
        }
        if let Some(te) = headers
            .get("content-transfer-encoding")
            .and_then(|v| v.to_str().ok())
        {
            head.encoding = te.to_ascii_lowercase();
        }
        Some(head)
    }

    /// File parts (a file name, or `application/octet-stream`) go to
    /// `files` when they have a file name (multer drops the rest); the
    /// others are text fields.
    fn add_to(self, parts: &mut Parts, data: &[u8]) -> Result<(), DecodeError> {
        let Some(name) = self.name else {
            return Err(DecodeError::Multipart("Field name missing".into()));
        };
        if name.len() > FIELD_NAME_MAX {
            return Err(DecodeError::Multipart("Field name too long".into()));
        }
        if self.mime == "application/octet-stream" || self.filename.is_some() {
            let Some(filename) = self.filename.filter(|f| !f.is_empty()) else {
                return Ok(());
            };
            let mut file = Map::new();
            file.insert("fieldname".into(), Value::String(name));
            file.insert(
                "originalname".into(),
                Value::String(decode_form_data_name(&filename)),
            );
            file.insert("encoding".into(), Value::String(self.encoding));
            file.insert("mimetype".into(), Value::String(self.mime));
            file.insert("buffer".into(), buffer_value(data));
            file.insert("size".into(), Value::from(data.len()));
            parts.files.push(Value::Object(file));
            return Ok(());
        }
        if data.len() > FIELD_VALUE_MAX {
            return Err(DecodeError::Multipart("Field value too long".into()));
        }
        let value = decode_text(data, &self.charset);
        append_field(&mut parts.fields, &name, Value::String(value));
        Ok(())
    }
}

/// A field value in its part's charset (busboy's decoders: UTF-8 unless
/// the part names Latin-1 or ASCII).
fn decode_text(data: &[u8], charset: &str) -> String {
    match charset {
        "latin1" | "iso-8859-1" | "iso8859-1" | "binary" | "ascii" | "us-ascii" => latin1(data),
        _ => String::from_utf8_lossy(data).into_owned(),
    }
}

fn latin1(data: &[u8]) -> String {
    data.iter().map(|&b| char::from(b)).collect()
}

/// busboy's `basename`: the part after the last `/` or `\`, and nothing
/// for `.` or `..`.
fn basename(path: &str) -> String {
    let tail = path.rsplit(['/', '\\']).next().unwrap_or(path);
    if tail == "." || tail == ".." {
        String::new()
    } else {
        tail.to_owned()
    }
}

/// multer's `decodeFormDataName`: the three escapes the HTML standard makes
/// browsers write in names (`%0A`, `%0D`, `%22`), and no others.
fn decode_form_data_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let code = rest.get(at + 1..at + 3).map(str::to_ascii_uppercase);
        let decoded = match code.as_deref() {
            Some("0A") => Some('\n'),
            Some("0D") => Some('\r'),
            Some("22") => Some('"'),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[at + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// busboy's `parseDisposition`: the type must be `form-data`; parameter
/// names are lower-cased; values are tokens or quoted strings (backslash
/// escapes), decoded as Latin-1, and `name*` values are RFC 5987
/// (`charset'language'percent-encoded`).
fn parse_disposition(raw: &[u8]) -> Option<Vec<(String, String)>> {
    let text = latin1(raw);
    let (kind, mut rest) = match text.find(';') {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text.as_str(), ""),
    };
    if !kind.trim().eq_ignore_ascii_case("form-data") {
        return None;
    }
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        if rest.is_empty() {
            break;
        }
        let eq = rest.find('=')?;
        let key = rest[..eq].trim().to_ascii_lowercase();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => v.push(c),
                }
            }
            rest = &quoted[end?..];
            value = v;
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            value = rest[..end].trim().to_owned();
            rest = &rest[end..];
        }
        let value = if key.ends_with('*') {
            extended_value(&value)?
        } else {
            value
        };
        params.push((key, value));
    }
    Some(params)
}

/// An RFC 5987 value, `charset'language'text` with `text` percent-encoded;
/// the charset is UTF-8 or Latin-1 as busboy's decoders know them.
fn extended_value(v: &str) -> Option<String> {
    let mut it = v.splitn(3, '\'');
    let charset = it.next()?.to_ascii_lowercase();
    let _language = it.next()?;
    let text = it.next()?;
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(text).collect();
    Some(decode_text(&bytes, &charset))
}

/// One step of a bracketed field name (`append-field`'s `parsePath`).
#[derive(Debug)]
struct Step {
    key: StepKey,
    /// `name[]`: the value is appended to an array.
    append: bool,
    /// The container the next step indexes into.
    next_array: bool,
}

#[derive(Debug)]
enum StepKey {
    Object(String),
    Array(usize),
}

fn parse_path(name: &str) -> Vec<Step> {
    let literal = || {
        vec![Step {
            key: StepKey::Object(name.to_owned()),
            append: false,
            next_array: false,
        }]
    };
    let first = name.split('[').next().unwrap_or("");
    if first.is_empty() {
        return literal();
    }
    let mut steps = vec![Step {
        key: StepKey::Object(first.to_owned()),
        append: false,
        next_array: false,
    }];
    let mut rest = &name[first.len()..];
    while !rest.is_empty() {
        if rest == "[]" {
            steps.last_mut().expect("one step").append = true;
            break;
        }
        let Some(inner) = rest.strip_prefix('[') else {
            return literal();
        };
        let Some(close) = inner.find(']').filter(|&c| c > 0) else {
            return literal();
        };
        let key = &inner[..close];
        let step = if key.bytes().all(|b| b.is_ascii_digit()) {
            match key.parse() {
                Ok(i) if i <= ARRAY_INDEX_MAX => StepKey::Array(i),
                _ => StepKey::Object(key.to_owned()),
            }
        } else {
            StepKey::Object(key.to_owned())
        };
        steps.last_mut().expect("one step").next_array = matches!(step, StepKey::Array(_));
        steps.push(Step {
            key: step,
            append: false,
            next_array: false,
        });
        rest = &inner[close + 1..];
    }
    steps
}

/// The largest array index a field name may use. `append-field` takes any,
/// so `a[99999999]` would make an array that long; flowgate keeps such an
/// index as an object key instead, bounded as every other input is.
const ARRAY_INDEX_MAX: usize = 1000;

/// `append-field`: put `value` under the path `name` spells in `fields`.
fn append_field(fields: &mut Map<String, Value>, name: &str, value: Value) {
    let steps = parse_path(name);
    let mut root = Value::Object(std::mem::take(fields));
    set_path(&mut root, &steps, value);
    if let Value::Object(m) = root {
        *fields = m;
    }
}

fn set_path(container: &mut Value, steps: &[Step], value: Value) {
    let (step, rest) = steps.split_first().expect("at least one step");
    let slot = slot(container, &step.key);
    if rest.is_empty() {
        set_last(slot, step.append, value);
        return;
    }
    let next = match std::mem::take(slot) {
        Value::Null => {
            if step.next_array {
                Value::Array(Vec::new())
            } else {
                Value::Object(Map::new())
            }
        }
        Value::Array(items) if !step.next_array => {
            // An array indexed by a name becomes an object keyed by index.
            let mut obj = Map::new();
            for (i, item) in items.into_iter().enumerate() {
                if !item.is_null() {
                    obj.insert(i.to_string(), item);
                }
            }
            Value::Object(obj)
        }
        v @ (Value::Array(_) | Value::Object(_)) => v,
        scalar => {
            let mut obj = Map::new();
            obj.insert(String::new(), scalar);
            Value::Object(obj)
        }
    };
    *slot = next;
    set_path(slot, rest, value);
}

fn set_last(slot: &mut Value, append: bool, value: Value) {
    match slot {
        Value::Null => {
            *slot = if append {
                Value::Array(vec![value])
            } else {
                value
            }
        }
        Value::Array(items) => items.push(value),
        Value::Object(m) => {
            let inner = m.entry(String::new()).or_insert(Value::Null);
            set_last(inner, false, value);
        }
        _ => {
            let first = std::mem::take(slot);
            *slot = Value::Array(vec![first, value]);
        }
    }
}

/// The slot `key` names in `container` (made if missing; an array grows to
/// the index, its gaps `null` as JSON shows a sparse array's holes).
fn slot<'v>(container: &'v mut Value, key: &StepKey) -> &'v mut Value {
    match (container, key) {
        (Value::Array(items), StepKey::Array(i)) => {
            if items.len() <= *i {
                items.resize(i + 1, Value::Null);
            }
            &mut items[*i]
        }
        (Value::Object(m), StepKey::Object(k)) => m.entry(k.clone()).or_insert(Value::Null),
        (Value::Object(m), StepKey::Array(i)) => m.entry(i.to_string()).or_insert(Value::Null),
        (c, k) => {
            // An array reached by a name: `set_path` made it an object.
            let key = match k {
                StepKey::Object(s) => s.clone(),
                StepKey::Array(i) => i.to_string(),
            };
            *c = Value::Object(Map::new());
            match c {
                Value::Object(m) => m.entry(key).or_insert(Value::Null),
                _ => unreachable!(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(pairs: &[(&str, &str)]) -> Value {
        let mut m = Map::new();
        for (k, v) in pairs {
            append_field(&mut m, k, json!(v));
        }
        Value::Object(m)
    }

    /// append-field's answers (run in Node.js).
    #[test]
    fn bracketed_names_nest_as_append_field_nests_them() {
        assert_eq!(fields(&[("a", "1"), ("a", "2")]), json!({"a": ["1", "2"]}));
        assert_eq!(
            fields(&[("t[]", "x"), ("t[]", "y")]),
            json!({"t": ["x", "y"]})
        );
        assert_eq!(
            fields(&[("u[name]", "n"), ("u[age]", "3")]),
            json!({"u": {"name": "n", "age": "3"}})
        );
        assert_eq!(
            fields(&[("l[1]", "b"), ("l[0]", "a")]),
            json!({"l": ["a", "b"]})
        );
        assert_eq!(
            fields(&[("[x]", "1"), ("a]b", "2")]),
            json!({"[x]": "1", "a]b": "2"})
        );
        assert_eq!(
            fields(&[("a", "1"), ("a[b]", "2")]),
            json!({"a": {"": "1", "b": "2"}})
        );
        assert_eq!(
            fields(&[("a[0]", "1"), ("a[x]", "2")]),
            json!({"a": {"0": "1", "x": "2"}})
        );
        assert_eq!(
            fields(&[("a[0][b]", "1"), ("a[0][c]", "2"), ("a[1]", "z")]),
            json!({"a": [{"b": "1", "c": "2"}, "z"]})
        );
    }

    #[test]
    fn dispositions_read_as_busboy_reads_them() {
        let d =
            parse_disposition(br#"form-data; name="f"; filename="C:\\dir\\a \"b\".txt""#).unwrap();
        assert_eq!(d[0], ("name".into(), "f".into()));
        assert_eq!(basename(&d[1].1), "a \"b\".txt");
        let d = parse_disposition("form-data; name=f; filename=\"é.txt\"".as_bytes()).unwrap();
        assert_eq!(
            d[1].1, "Ã©.txt",
            "Latin-1, as Node-RED shows a UTF-8 file name"
        );
        let d = parse_disposition(b"form-data; filename*=UTF-8''%E2%82%AC.txt").unwrap();
        assert_eq!(d[0], ("filename*".into(), "€.txt".into()));
        assert!(parse_disposition(b"attachment; name=x").is_none());
        assert_eq!(decode_form_data_name("a%22b%0A50%.pdf"), "a\"b\n50%.pdf");
    }
}

//! Node-RED's storage palette: `file` (write, append, delete), `file in`
//! (read) and `watch` (file-system events). What they share lives here:
//! the filename typed input, the character encodings Node-RED offers
//! through iconv-lite, Node.js's wording of file-system errors, and the
//! `--file-root` confinement in [`path`].

pub mod file;
pub mod file_in;
pub mod path;
pub mod watch;

use std::io;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::BuildCx;
use flowgate_runtime::Problem;
use serde_json::{Map, Value};

use crate::support::js;
use crate::support::typed_value::{Contexts, TypedValue};

/// Node.js's code and text for a file-system error (`ENOENT`, `no such
/// file or directory`), where flowgate knows it.
fn io_code(e: &io::Error) -> Option<(&'static str, &'static str)> {
    Some(match e.raw_os_error()? {
        libc::ENOENT => ("ENOENT", "no such file or directory"),
        libc::EACCES => ("EACCES", "permission denied"),
        libc::EEXIST => ("EEXIST", "file already exists"),
        libc::EISDIR => ("EISDIR", "illegal operation on a directory"),
        libc::ENOTDIR => ("ENOTDIR", "not a directory"),
        libc::ENOTEMPTY => ("ENOTEMPTY", "directory not empty"),
        libc::EPERM => ("EPERM", "operation not permitted"),
        libc::EROFS => ("EROFS", "read-only file system"),
        libc::ENOSPC => ("ENOSPC", "no space left on device"),
        libc::ELOOP => ("ELOOP", "too many symbolic links encountered"),
        libc::ENAMETOOLONG => ("ENAMETOOLONG", "name too long"),
        libc::EBUSY => ("EBUSY", "resource busy or locked"),
        libc::EMFILE => ("EMFILE", "too many open files"),
        _ => return None,
    })
}

/// Node.js's text for a file-system error, as `err.toString()` gives it:
/// `Error: ENOENT: no such file or directory, open '/x'` (Node-RED puts this
/// in its messages). Reads name no path.
pub fn node_io_error(e: &io::Error, syscall: &str, path: Option<&str>) -> String {
    let place = match path {
        Some(p) => format!("{syscall} '{p}'"),
        None => syscall.to_owned(),
    };
    match io_code(e) {
        Some((code, text)) => format!("Error: {code}: {text}, {place}"),
        None => format!("Error: {e}, {place}"),
    }
}

/// A Node.js file-system error object as JSON renders it (its own
/// properties: `errno`, `code`, `syscall`, `path`).
pub fn node_io_error_value(e: &io::Error, syscall: &str, path: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("errno".into(), Value::from(-e.raw_os_error().unwrap_or(5)));
    m.insert(
        "code".into(),
        Value::from(io_code(e).map_or("EIO", |(c, _)| c)),
    );
    m.insert("syscall".into(), Value::from(syscall));
    if let Some(p) = path {
        m.insert("path".into(), Value::from(p));
    }
    Value::Object(m)
}

/// A `file` or `file in` node's filename: a typed input, with Node-RED's
/// upgrade of flows from before typed filenames (an empty `filenameType`
/// means `msg.filename` when the name is empty, else the name as text).
pub struct Filename {
    value: TypedValue,
}

impl Filename {
    pub fn build(
        config: &NodeConfig,
        cx: &BuildCx<'_>,
        name: &str,
        kind: &str,
    ) -> Result<Self, Problem> {
        let (name, kind) = match kind {
            "" if name.is_empty() => ("filename", "msg"),
            "" => (name, "str"),
            k => (name, k),
        };
        let value = TypedValue::build(
            config,
            cx,
            "filename",
            Some(&Value::String(name.into())),
            kind,
        )?;
        Ok(Filename { value })
    }

    /// The filename for one message: `Err` is the node's error; a value
    /// that is not text is converted as JavaScript's `toString` does.
    pub fn evaluate(
        &self,
        msg: &Map<String, Value>,
        contexts: &Contexts,
    ) -> Result<String, String> {
        match self.value.evaluate_lenient(msg, contexts)? {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s),
            Some(v) => Ok(js::to_js_string(Some(&v))),
        }
    }
}

/// A character encoding as Node-RED's `file` nodes name it (`none` is
/// Node.js's default, UTF-8; the others are iconv-lite's names).
#[derive(Debug, Clone, Copy)]
pub enum Encoding {
    None,
    Utf8,
    Utf16Le,
    Utf16Be,
    Ascii,
    /// `binary` (latin1): one byte per UTF-16 unit.
    Latin1,
    /// The text is base64 and is written as the bytes it encodes; read
    /// bytes become base64 text.
    Base64,
    Hex,
    Other(&'static encoding_rs::Encoding),
}

impl Encoding {
    /// The encoding for a name Node-RED's editor offers, if flowgate has it.
    pub fn from_name(name: &str) -> Option<Encoding> {
        use encoding_rs as e;
        let lower = name.trim().to_ascii_lowercase();
        Some(match lower.as_str() {
            "" | "none" => Encoding::None,
            "utf8" | "utf-8" => Encoding::Utf8,
            "ucs2" | "utf-16le" | "utf16le" => Encoding::Utf16Le,
            "utf-16be" | "utf16be" => Encoding::Utf16Be,
            "ascii" => Encoding::Ascii,
            "binary" | "latin1" | "iso-8859-1" => Encoding::Latin1,
            "base64" => Encoding::Base64,
            "hex" => Encoding::Hex,
            "shift_jis" | "windows-31j" | "windows932" => Encoding::Other(e::SHIFT_JIS),
            "euc-jp" => Encoding::Other(e::EUC_JP),
            "gb2312" | "gbk" | "windows936" | "euc-cn" => Encoding::Other(e::GBK),
            "gb18030" => Encoding::Other(e::GB18030),
            "ks_c_5601" | "windows949" | "euc-kr" => Encoding::Other(e::EUC_KR),
            "big5" | "big5-hkscs" | "windows950" => Encoding::Other(e::BIG5),
            "cp866" => Encoding::Other(e::IBM866),
            "koi8-r" => Encoding::Other(e::KOI8_R),
            "koi8-u" => Encoding::Other(e::KOI8_U),
            "macintosh" | "macroman" => Encoding::Other(e::MACINTOSH),
            "maccyrillic" => Encoding::Other(e::X_MAC_CYRILLIC),
            other => {
                let label = if let Some(n) = other.strip_prefix("cp") {
                    // cp874 and cp1250–cp1258 are the Windows code pages.
                    format!("windows-{n}")
                } else {
                    other.to_owned()
                };
                let known = ["windows-874", "iso-8859-2", "iso-8859-3", "iso-8859-4"]
                    .contains(&label.as_str())
                    || (label.starts_with("windows-125") && label.len() == 12)
                    || ["iso-8859-5", "iso-8859-6", "iso-8859-7", "iso-8859-8"]
                        .contains(&label.as_str())
                    || [
                        "iso-8859-10",
                        "iso-8859-13",
                        "iso-8859-14",
                        "iso-8859-15",
                        "iso-8859-16",
                    ]
                    .contains(&label.as_str());
                if !known {
                    return None;
                }
                Encoding::Other(e::Encoding::for_label(label.as_bytes())?)
            }
        })
    }

    /// Text to bytes, as iconv-lite's `encode` (characters the encoding
    /// lacks become `?`).
    pub fn encode(self, text: &str) -> Vec<u8> {
        match self {
            Encoding::None | Encoding::Utf8 => text.as_bytes().to_vec(),
            Encoding::Utf16Le => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            Encoding::Utf16Be => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            Encoding::Ascii => text
                .chars()
                .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
                .collect(),
            Encoding::Latin1 => text.encode_utf16().map(|u| u as u8).collect(),
            Encoding::Base64 => base64_lenient(text),
            Encoding::Hex => hex_prefix(text),
            Encoding::Other(enc) => encode_other(enc, text),
        }
    }

    /// Bytes to text, as iconv-lite's `decode` (a byte-order mark is
    /// dropped) or, for `none`, Node's `buffer.toString()`.
    pub fn decode(self, bytes: &[u8]) -> String {
        match self {
            Encoding::None => String::from_utf8_lossy(bytes).into_owned(),
            Encoding::Utf8 => {
                let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                String::from_utf8_lossy(b).into_owned()
            }
            Encoding::Utf16Le => encoding_rs::UTF_16LE
                .decode_with_bom_removal(bytes)
                .0
                .into(),
            Encoding::Utf16Be => encoding_rs::UTF_16BE
                .decode_with_bom_removal(bytes)
                .0
                .into(),
            Encoding::Ascii => bytes
                .iter()
                .map(|&b| if b < 0x80 { b as char } else { '\u{FFFD}' })
                .collect(),
            Encoding::Latin1 => bytes.iter().map(|&b| b as char).collect(),
            Encoding::Base64 => {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.encode(bytes)
            }
            Encoding::Hex => hex::encode(bytes),
            Encoding::Other(enc) => enc.decode_without_bom_handling(bytes).0.into_owned(),
        }
    }
}

/// Read a node's `encoding` field: a load problem for a name flowgate lacks.
pub fn encoding_setting(config: &NodeConfig, name: &str) -> Result<Encoding, Problem> {
    Encoding::from_name(name).ok_or_else(|| {
        config.problem(
            Some("encoding"),
            format!("encoding \"{name}\" is not supported by flowgate"),
        )
    })
}

fn encode_other(enc: &'static encoding_rs::Encoding, text: &str) -> Vec<u8> {
    use encoding_rs::EncoderResult;
    let mut encoder = enc.new_encoder();
    let mut out = Vec::with_capacity(text.len() + 16);
    let mut rest = text;
    loop {
        let room = encoder
            .max_buffer_length_from_utf8_without_replacement(rest.len())
            .unwrap_or(rest.len() * 4 + 16);
        out.reserve(room);
        let (result, read) =
            encoder.encode_from_utf8_to_vec_without_replacement(rest, &mut out, true);
        rest = &rest[read..];
        match result {
            EncoderResult::InputEmpty => return out,
            EncoderResult::Unmappable(_) => out.push(b'?'),
            EncoderResult::OutputFull => {}
        }
    }
}

/// `Buffer.from(text, "base64")`: standard or URL-safe alphabet, padding
/// optional, other characters skipped.
fn base64_lenient(text: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => continue,
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

/// `Buffer.from(text, "hex")`: pairs of hex digits up to the first that
/// is not one.
fn hex_prefix(text: &str) -> Vec<u8> {
    text.as_bytes()
        .chunks_exact(2)
        .map_while(|p| {
            let s = std::str::from_utf8(p).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_round_trip_as_iconv_lite() {
        let e = |n: &str| Encoding::from_name(n).unwrap();
        assert_eq!(e("utf-16le").encode("hé"), vec![0x68, 0, 0xE9, 0]);
        assert_eq!(e("utf-16be").encode("h"), vec![0, 0x68]);
        assert_eq!(e("base64").encode("aGk="), b"hi".to_vec());
        assert_eq!(e("base64").decode(b"hi"), "aGk=");
        assert_eq!(e("hex").encode("6869zz"), b"hi".to_vec());
        assert_eq!(e("binary").encode("é"), vec![0xE9]);
        assert_eq!(e("ascii").encode("é!"), b"?!".to_vec());
        assert_eq!(e("cp1252").encode("€"), vec![0x80]);
        assert_eq!(
            e("Shift_JIS").decode(&e("Shift_JIS").encode("日本")),
            "日本"
        );
        assert_eq!(e("koi8-r").encode("日"), b"?".to_vec());
        assert_eq!(e("utf8").decode(b"\xEF\xBB\xBFx"), "x");
        assert!(Encoding::from_name("cp437").is_none());
    }
}

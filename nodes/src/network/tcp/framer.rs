//! How `tcp in` turns the bytes of one connection into payloads, as
//! Node-RED's `31-tcpin.js` does: each chunk is decoded on its own
//! (`data.toString(datatype)`); in stream mode text is split on the
//! delimiter (the part after the last one waits for more) and other data
//! is sent chunk by chunk; in single mode everything is sent as one
//! payload when the peer ends the connection.

use serde_json::Value;

use crate::support::wire::Decode;

/// One connection's framing settings.
#[derive(Debug, Clone)]
pub struct Framing {
    pub stream: bool,
    pub decode: Decode,
    /// The delimiter, escapes resolved; empty for none.
    pub newline: String,
    /// Re-attach the delimiter to each part (the editor's "re-attach
    /// delimiter", stored as `trim`).
    pub reattach: bool,
    /// Node-RED's server splits any text on the delimiter, its client only
    /// UTF-8 text.
    pub server: bool,
    /// Most bytes held for one connection (a part without its delimiter,
    /// or a single-mode message) before the connection is dropped.
    pub max_buffer: usize,
}

/// The connection held more than [`Framing::max_buffer`] bytes.
#[derive(Debug, thiserror::Error)]
#[error("tcp: more than {0} bytes received without a complete message, connection closed")]
pub struct Overflow(pub usize);

/// What is held between chunks.
enum Held {
    Text(String),
    Bytes(Vec<u8>),
}

/// One connection's framing state.
pub struct Framer {
    f: Framing,
    held: Held,
}

impl Framer {
    pub fn new(f: Framing) -> Self {
        let held = match f.decode {
            Decode::Buffer => Held::Bytes(Vec::new()),
            _ => Held::Text(String::new()),
        };
        Framer { f, held }
    }

    fn splits(&self) -> bool {
        !self.f.newline.is_empty() && (self.f.server || self.f.decode == Decode::Utf8)
    }

    fn held_len(&self) -> usize {
        match &self.held {
            Held::Text(t) => t.len(),
            Held::Bytes(b) => b.len(),
        }
    }

    /// The payloads a chunk completes.
    pub fn data(&mut self, chunk: &[u8]) -> Result<Vec<Value>, Overflow> {
        let decoded = self.f.decode.payload(chunk);
        let mut out = Vec::new();
        let splits = self.f.stream && self.splits();
        match (&mut self.held, decoded) {
            (Held::Text(held), Value::String(text)) if splits => {
                held.push_str(&text);
                let mut parts: Vec<&str> = held.split(self.f.newline.as_str()).collect();
                let rest = parts.pop().unwrap_or("").to_owned();
                for p in parts {
                    let mut p = p.to_owned();
                    if self.f.reattach {
                        p.push_str(&self.f.newline);
                    }
                    out.push(Value::String(p));
                }
                *held = rest;
            }
            (_, payload) if self.f.stream => out.push(payload),
            (Held::Text(held), Value::String(text)) => held.push_str(&text),
            (Held::Bytes(held), _) => held.extend_from_slice(chunk),
            (Held::Text(_), _) => {}
        }
        if self.held_len() > self.f.max_buffer {
            return Err(Overflow(self.f.max_buffer));
        }
        Ok(out)
    }

    /// The payload sent when the peer ends the connection, if any.
    pub fn end(&mut self) -> Option<Value> {
        let flushes = if self.f.server {
            !self.f.stream
                || (self.f.decode == Decode::Utf8 && !self.f.newline.is_empty())
                || self.f.decode == Decode::Base64
        } else {
            !self.f.stream || (self.f.decode == Decode::Utf8 && !self.f.newline.is_empty())
        };
        if !flushes || self.held_len() == 0 {
            return None;
        }
        Some(
            match std::mem::replace(&mut self.held, Held::Bytes(Vec::new())) {
                Held::Text(t) => Value::String(t),
                Held::Bytes(b) => Decode::Buffer.payload(&b),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn framing(stream: bool, decode: Decode, newline: &str) -> Framing {
        Framing {
            stream,
            decode,
            newline: newline.into(),
            reattach: false,
            server: true,
            max_buffer: 64,
        }
    }

    #[test]
    fn stream_of_lines_keeps_the_unfinished_part() {
        let mut f = Framer::new(framing(true, Decode::Utf8, "\n"));
        assert_eq!(f.data(b"a\nb").unwrap(), vec![json!("a")]);
        assert_eq!(f.data(b"c\n\n").unwrap(), vec![json!("bc"), json!("")]);
        assert_eq!(f.data(b"tail").unwrap(), Vec::<Value>::new());
        assert_eq!(f.end(), Some(json!("tail")));
    }

    #[test]
    fn reattached_delimiter() {
        let mut fr = framing(true, Decode::Utf8, ";");
        fr.reattach = true;
        let mut f = Framer::new(fr);
        assert_eq!(f.data(b"x;y;").unwrap(), vec![json!("x;"), json!("y;")]);
    }

    #[test]
    fn buffers_stream_chunk_by_chunk_and_single_waits_for_the_end() {
        let mut f = Framer::new(framing(true, Decode::Buffer, ""));
        assert_eq!(
            f.data(&[1, 2]).unwrap(),
            vec![json!({"type": "Buffer", "data": [1, 2]})]
        );
        assert_eq!(f.end(), None);
        let mut f = Framer::new(framing(false, Decode::Utf8, ""));
        assert!(f.data(b"ab").unwrap().is_empty());
        assert!(f.data(b"cd").unwrap().is_empty());
        assert_eq!(f.end(), Some(json!("abcd")));
    }

    #[test]
    fn too_much_held_is_an_overflow() {
        let mut f = Framer::new(framing(false, Decode::Buffer, ""));
        assert!(f.data(&[0; 65]).is_err());
    }
}

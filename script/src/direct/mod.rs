//! Function bodies compiled to Rust closures and run without the script
//! engine.
//!
//! The engine runs translated JavaScript through Rhai, whose every helper
//! call (evaluating arguments, resolving the call by name and argument
//! types, checking data sizes) costs a few thousand instructions: a body
//! that computes (a loop building claims, a validation with `trim` and
//! `includes`) spent almost all its time there. A body written in the
//! common core of JavaScript (variables, `if`, loops, arithmetic, strings,
//! plain objects and arrays, `JSON`, `Object.keys`, the usual string and
//! array methods) is compiled here, once, into a tree of closures over
//! numbered variable slots, and runs on its own values ([`value::V`]).
//!
//! Such a run has no effect outside itself until it succeeds: it may only
//! read and write named properties of `msg` and return `msg` (or an array
//! of outputs holding it), so it calls no host API, sends nothing and
//! stores nothing. Whenever it meets something its rules do not cover (an
//! error to throw, a method it does not know, a value it would have to
//! turn into a string through a prototype, a run too long or too large),
//! it stops and the caller runs the body on the engine from the start,
//! with the message untouched. What a body does is therefore always what
//! the engine does; this only does the common part of it faster.

mod compile;
mod library;
mod value;

#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use flowgate_runtime::Message;
use serde_json::{Map, Value};

use compile::St;
use value::{Bail, Heap, R, V};

/// A body compiled for direct runs.
pub struct DirectBody {
    body: St,
    slots: usize,
    /// Set when a run outgrew the limits here: later messages go to the
    /// engine straight away rather than being run twice.
    gave_up: AtomicBool,
    /// Runs that finished directly and runs handed to the engine: a body
    /// that keeps handing over (one returning a new object, say) stops
    /// being tried.
    finished: AtomicU32,
    handed_over: AtomicU32,
}

/// Loop iterations one run may take before it needs the engine (which has
/// the node's real budget and timeout).
const MAX_STEPS: u32 = 50_000;
/// Bytes of strings one run may make before it needs the engine.
const MAX_BYTES: usize = 16 * 1024 * 1024;

/// What a successful direct run sends: nothing, or the run's own `msg` on
/// an output.
pub enum Sent {
    Nothing,
    Msg(usize),
}

impl DirectBody {
    /// Compile `source` if it stays within what runs directly.
    pub fn compile(source: &str) -> Option<DirectBody> {
        let (body, slots) = compile::compile(source)?;
        Some(DirectBody {
            body,
            slots,
            gave_up: AtomicBool::new(false),
            finished: AtomicU32::new(0),
            handed_over: AtomicU32::new(0),
        })
    }

    /// Run the body for `msg`: what it sent (and `msg.body` updated), or
    /// `None` — with `msg` untouched — when the engine must run it.
    pub fn try_run(&self, msg: &mut Message) -> Option<Sent> {
        if self.gave_up.load(Ordering::Relaxed) {
            return None;
        }
        let msgid = match msg.body.get("_msgid") {
            Some(Value::String(s)) => s.clone(),
            _ => return None,
        };
        let mut frame = Frame::new(&msg.body, self.slots);
        let outcome = (self.body)(&mut frame).and_then(|flow| frame.finish(flow));
        let over = frame.steps > MAX_STEPS || frame.bytes > MAX_BYTES;
        // Emptied before the message is written: nothing then refers to it.
        frame.heap.release();
        drop(frame);
        let result = match outcome {
            Ok((sent, changes)) => {
                if let (Sent::Msg(_), Some(changes)) = (&sent, changes) {
                    apply(&mut msg.body, changes, msgid);
                }
                Some(sent)
            }
            Err(Bail) => None,
        };
        if result.is_some() {
            self.finished.fetch_add(1, Ordering::Relaxed);
        } else {
            let handed = self.handed_over.fetch_add(1, Ordering::Relaxed) + 1;
            let finished = self.finished.load(Ordering::Relaxed);
            if over || handed > finished.saturating_mul(4).saturating_add(16) {
                self.gave_up.store(true, Ordering::Relaxed);
            }
        }
        result
    }
}

/// Properties of `msg` the run read or wrote, as JSON (`None`: deleted),
/// and whether each was deleted and set again (it then moves to the end).
type Changes = Vec<(Arc<str>, Option<Value>, bool)>;

/// Write a run's changes into the message, then give the rest of it the
/// form a trip through script values gives (see
/// [`flowgate_runtime::js_value`]), as the engine's run would.
fn apply(body: &mut Map<String, Value>, changes: Changes, msgid: String) {
    for (key, v, moved) in changes {
        if moved {
            body.shift_remove(&*key);
        }
        match v {
            Some(v) => flowgate_runtime::message::set_property(body, &key, v),
            None => {
                body.shift_remove(&*key);
            }
        }
    }
    body.insert("_msgid".into(), Value::String(msgid));
    let mut whole = Value::Object(std::mem::take(body));
    flowgate_runtime::js_value::normalize(&mut whole);
    if let Value::Object(m) = whole {
        *body = m;
    }
}

/// One run's state: its variables, the values it made, and `msg`.
pub struct Frame<'m> {
    slots: Vec<V>,
    heap: Heap,
    steps: u32,
    bytes: usize,
    input: &'m Map<String, Value>,
    /// Properties of `msg` read or written so far (`None`: deleted), each
    /// converted from the input once, so that reading twice gives the
    /// same object.
    props: Vec<Prop>,
    /// Argument lists of finished calls, kept to be filled again.
    spare_lists: Vec<Vec<V>>,
    /// Buffers strings are built in (a sum, a case change), kept to be
    /// filled again: a sum may hold one while a term makes another.
    spare_text: Vec<String>,
}

/// A property of `msg` the run read or wrote.
struct Prop {
    key: Arc<str>,
    /// `None`: deleted.
    value: Option<V>,
    /// Deleted and then set again.
    moved: bool,
}

impl<'m> Frame<'m> {
    fn new(input: &'m Map<String, Value>, slots: usize) -> Frame<'m> {
        Frame {
            slots: vec![V::Undef; slots],
            heap: Heap::default(),
            steps: 0,
            bytes: 0,
            input,
            props: Vec::new(),
            spare_lists: Vec::new(),
            spare_text: Vec::new(),
        }
    }

    /// An empty buffer to build a string in.
    fn text_buffer(&mut self) -> String {
        self.spare_text.pop().unwrap_or_default()
    }

    /// The string built in `buf` as a value the run made; the buffer is
    /// kept for the next.
    fn made_from_buffer(&mut self, mut buf: String) -> R<V> {
        let v = self.made_copy(&buf);
        buf.clear();
        self.spare_text.push(buf);
        v
    }

    /// Keep a call's argument list for the next call.
    fn recycle(&mut self, mut list: Vec<V>) {
        list.clear();
        self.spare_lists.push(list);
    }

    /// One more loop iteration.
    fn step(&mut self) -> R<()> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(Bail);
        }
        Ok(())
    }

    /// A string the run made, counted against its limit.
    fn made(&mut self, s: String) -> R<V> {
        self.bytes += s.len();
        if self.bytes > MAX_BYTES {
            return Err(Bail);
        }
        Ok(V::str(s))
    }

    /// A copy of `s` as a string the run made.
    fn made_copy(&mut self, s: &str) -> R<V> {
        self.bytes += s.len();
        if self.bytes > MAX_BYTES {
            return Err(Bail);
        }
        Ok(V::str(s))
    }

    fn msg_get(&mut self, key: &Arc<str>) -> R<V> {
        if let Some(p) = self.props.iter().find(|p| &p.key == key) {
            return Ok(p.value.clone().unwrap_or_default());
        }
        let v = match self.input.get(&**key) {
            Some(j) => self.heap.convert(j, 0)?,
            None => V::Undef,
        };
        self.props.push(Prop {
            key: key.clone(),
            value: Some(v.clone()),
            moved: false,
        });
        Ok(v)
    }

    /// Set (`Some`) or delete (`None`) a property of `msg`.
    fn msg_set(&mut self, key: &Arc<str>, value: Option<V>) {
        match self.props.iter_mut().find(|p| &p.key == key) {
            Some(p) => {
                p.moved |= p.value.is_none() && value.is_some();
                p.value = value;
            }
            None => self.props.push(Prop {
                key: key.clone(),
                moved: false,
                value,
            }),
        }
    }

    /// What a finished run sends, and the changes to `msg` if it sends it.
    fn finish(&mut self, flow: compile::Flow) -> R<(Sent, Option<Changes>)> {
        let value = match flow {
            compile::Flow::Return(v) => v,
            _ => V::Undef,
        };
        let sent = match &value {
            V::Undef | V::Null => Sent::Nothing,
            V::Msg => Sent::Msg(0),
            V::Arr(items) => {
                let mut port = None;
                for (i, item) in items.borrow().iter().enumerate() {
                    match item {
                        V::Undef | V::Null => {}
                        V::Msg if port.is_none() => port = Some(i),
                        _ => return Err(Bail),
                    }
                }
                port.map_or(Sent::Nothing, Sent::Msg)
            }
            _ => return Err(Bail),
        };
        if matches!(sent, Sent::Nothing) {
            return Ok((sent, None));
        }
        let mut changes = Vec::new();
        for p in &self.props {
            // Properties only read are converted back too: the script may
            // have changed what they hold.
            let j = match &p.value {
                Some(v) => value::to_json(v, 0)?,
                None => None,
            };
            changes.push((p.key.clone(), j, p.moved));
        }
        Ok((sent, Some(changes)))
    }
}

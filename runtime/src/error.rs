//! Typed errors: load-time problems (reported all at once, each naming the node)
//! and run-time node errors (routed to `catch` nodes or answered over HTTP).

use std::fmt;

use crate::message::Message;

/// One thing wrong with a flow, tied to the node it was found on so a user can
/// go straight to it in the editor.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The node's id, or empty when the problem concerns the file as a whole.
    pub node: String,
    /// The node's `type`, when known.
    #[serde(rename = "type")]
    pub node_type: String,
    /// The node's `name`, when it has one.
    pub name: String,
    /// The field the problem is in, when one field is to blame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

impl Problem {
    /// A problem with the file itself rather than any node.
    pub fn file(message: impl Into<String>) -> Self {
        Problem {
            node: String::new(),
            node_type: String::new(),
            name: String::new(),
            field: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.node.is_empty() {
            return write!(f, "{}", self.message);
        }
        write!(f, "node {} ({}", self.node, self.node_type)?;
        if !self.name.is_empty() {
            write!(f, " \"{}\"", self.name)?;
        }
        write!(f, ")")?;
        if let Some(field) = &self.field {
            write!(f, " field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Why a flow could not be loaded: every problem found, never just the first.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The flow was read but is not valid; nothing was started.
    #[error("{}", format_problems(.0))]
    Invalid(Vec<Problem>),
}

impl LoadError {
    /// The problems behind an invalid flow (empty for I/O errors).
    pub fn problems(&self) -> &[Problem] {
        match self {
            LoadError::Invalid(p) => p,
            LoadError::Io { .. } => &[],
        }
    }
}

fn format_problems(problems: &[Problem]) -> String {
    let mut out = format!(
        "flow is invalid ({} problem{}):",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        out.push_str("\n  - ");
        out.push_str(&p.to_string());
    }
    out
}

/// An error raised by a node while handling one message.
///
/// It carries the message (when the node still has it) so `catch` nodes receive
/// it with `msg.error` set, as Node-RED's `node.error(err, msg)` does, and an
/// optional HTTP answer for when nothing catches it (401 for a bad token rather
/// than a generic 500).
#[derive(Debug)]
pub struct NodeError {
    /// Human-readable reason, becomes `msg.error.message`.
    pub message: String,
    /// The message being handled, when the node could give it back.
    pub msg: Option<Box<Message>>,
    /// How to answer an HTTP request if no `catch` node handles the error.
    pub http: Option<HttpErrorHint>,
}

/// What an uncaught node error answers on the HTTP request it came from.
#[derive(Debug, Clone)]
pub struct HttpErrorHint {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl NodeError {
    /// An error with a reason and no message attached.
    pub fn new(message: impl Into<String>) -> Self {
        NodeError {
            message: message.into(),
            msg: None,
            http: None,
        }
    }

    /// Attach the message that failed, so `catch` nodes get it back.
    pub fn with_msg(mut self, msg: Message) -> Self {
        self.msg = Some(Box::new(msg));
        self
    }

    /// Choose the HTTP status (and headers) used when nothing catches this error.
    pub fn with_http(mut self, status: u16, headers: Vec<(String, String)>) -> Self {
        self.http = Some(HttpErrorHint { status, headers });
        self
    }
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NodeError {}

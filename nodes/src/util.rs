//! Small helpers shared by node types.

use flowgate_runtime::{Message, NodeError};

/// A node error that hands the message back, so `catch` nodes receive it.
pub fn fail(msg: Message, reason: impl Into<String>) -> NodeError {
    NodeError::new(reason).with_msg(msg)
}

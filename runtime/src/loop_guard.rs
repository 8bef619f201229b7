//! The loop guard: a message tree that spins in a wiring loop must neither
//! hold a worker nor run for ever. The dispatch yields to the scheduler every
//! [`YIELD_EVERY`] hops, and past `--max-hops` (see
//! [`Settings::max_hops`](crate::settings::Settings::max_hops)) the next hop
//! becomes a catchable error naming the loop's nodes.

use std::collections::VecDeque;
use std::ops::ControlFlow;

use crate::engine::{answer_error, Flows, MAX_CATCH_COUNT};
use crate::error::NodeError;
use crate::message::Message;

/// How many hops a dispatch makes between two yields to the scheduler: a
/// message tree spinning in a loop then lets the worker's other tasks (other
/// requests) run every few hundred microseconds, and a short tree (every
/// request of an ordinary flow) never pays for a yield.
pub(crate) const YIELD_EVERY: u64 = 32;

impl Flows {
    /// The hop limit ran out (for the `trips`-th time in this dispatch) with
    /// `msg` on its way to node `index`: fail it with the loop's error, or
    /// stop the tree when its error path keeps looping too.
    pub(crate) fn hop_limit(
        &self,
        index: usize,
        msg: Message,
        trips: u64,
        queue: &mut VecDeque<(usize, Message)>,
    ) -> ControlFlow<()> {
        let (index, msg) = self.looping(index, msg, queue);
        let err = self.loop_error(index);
        if trips >= MAX_CATCH_COUNT {
            let node = &self.nodes[index];
            tracing::error!(node = %node.id, "{}; the message is dropped", err.message);
            answer_error(&msg, &node.id, &err.message, None);
            return ControlFlow::Break(());
        }
        let exchange = msg.exchange().cloned();
        self.handle_error(index, err.with_msg(msg), exchange, queue);
        ControlFlow::Continue(())
    }

    /// The hop limit ran out with `msg` on its way to node `index`: what is
    /// still queued is the same runaway tree and is dropped. The error goes
    /// to a node in a loop: this one, or else the first queued one in a loop
    /// (whose message replaces `msg`).
    fn looping(
        &self,
        index: usize,
        msg: Message,
        queue: &mut VecDeque<(usize, Message)>,
    ) -> (usize, Message) {
        let in_loop = |i: usize| self.loops.iter().any(|l| l.binary_search(&i).is_ok());
        let mut chosen = (index, msg);
        if !in_loop(index) {
            if let Some(at) = queue.iter().position(|(i, _)| in_loop(*i)) {
                chosen = queue.remove(at).expect("position is in range");
            }
        }
        if !queue.is_empty() {
            tracing::warn!(
                node = %self.nodes[chosen.0].id,
                dropped = queue.len(),
                "messages of a looping message tree dropped"
            );
            queue.clear();
        }
        chosen
    }

    /// The error of a message that made more hops than `--max-hops` allows,
    /// naming the loop node `index` is in.
    fn loop_error(&self, index: usize) -> NodeError {
        let members: Vec<&str> = match self.loops.iter().find(|l| l.binary_search(&index).is_ok()) {
            Some(l) => l.iter().map(|&i| self.nodes[i].id.as_str()).collect(),
            None => vec![self.nodes[index].id.as_str()],
        };
        NodeError::new(format!(
            "message made more than {} hops in one dispatch (--max-hops): \
             it loops through nodes {}",
            self.settings.max_hops,
            members.join(", ")
        ))
    }
}

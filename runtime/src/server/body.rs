//! Request bodies with a time limit: a client that sends its head and then
//! trickles (or withholds) the body would otherwise hold its connection for
//! as long as it likes. Every request body is wrapped in [`TimedBody`] at
//! the connection layer, so every route that reads a body (flow endpoints,
//! the admin API, node types' own routes) is covered by the same rule.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::BoxError;
use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::time::{Instant, Sleep};

use super::budget::{ConnState, Phase};

/// The length of the windows the minimum rate is measured over; the first
/// window after the server starts reading is a grace period that is not
/// judged (connection set-up, a client finishing its head).
pub const RATE_WINDOW: Duration = Duration::from_secs(5);

/// How long a body must have had nothing to read before its connection
/// counts as waiting on the client (see `budget`): shorter pauses are
/// hyper handing the body over chunk by chunk, not the client.
const STUCK_AFTER: Duration = Duration::from_millis(100);

/// How fast a request body must arrive (the `--body-timeout` and
/// `--min-body-rate` flags).
#[derive(Debug, Clone, Copy)]
pub struct BodyRules {
    /// The whole body must have arrived this long after the server starts
    /// reading it.
    pub timeout: Duration,
    /// After the grace window, each [`RATE_WINDOW`] must bring at least this
    /// many bytes per second (or the rest of the body, if that is less);
    /// 0 turns the rule off.
    pub min_rate: u64,
}

/// Why a request body was cut off; the client is answered 408.
#[derive(Debug, Clone, Copy, thiserror::Error)]
pub enum BodyTimeout {
    #[error("request body not complete within {} s", .0.as_secs_f64())]
    Deadline(Duration),
    #[error("request body arrived slower than {0} bytes/s")]
    TooSlow(u64),
}

/// Why a request body could not be read whole.
#[derive(Debug, thiserror::Error)]
pub enum BodyReadError {
    #[error("request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error(transparent)]
    TimedOut(BodyTimeout),
    #[error("cannot read request body: {0}")]
    Broken(String),
}

/// Read a whole request body of at most `limit` bytes. A declared
/// `Content-Length` over the limit is refused before anything is read, so a
/// client that sent `Expect: 100-continue` gets its final answer without
/// `100 Continue` and never sends the body.
pub async fn read_limited(body: axum::body::Body, limit: usize) -> Result<Bytes, BodyReadError> {
    if body.size_hint().lower() > limit as u64 {
        return Err(BodyReadError::TooLarge(limit));
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let mut chain =
            std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |e| {
                e.source()
            });
        let mut too_large = false;
        let timeout = chain.find_map(|e| {
            too_large |= e.is::<http_body_util::LengthLimitError>();
            e.downcast_ref::<BodyTimeout>().copied()
        });
        match timeout {
            Some(t) => BodyReadError::TimedOut(t),
            None if too_large || e.to_string().contains("length limit") => {
                BodyReadError::TooLarge(limit)
            }
            None => BodyReadError::Broken(e.to_string()),
        }
    })
}

/// A request body that fails with [`BodyTimeout`] when the client is too
/// slow, and tells its connection when the body is complete (the connection
/// then no longer counts as waiting on its client).
pub(crate) struct TimedBody {
    inner: Incoming,
    rules: BodyRules,
    conn: Arc<ConnState>,
    /// Bytes received in the current rate window.
    window_bytes: u64,
    /// Set once the server first has to wait for the client: bodies that
    /// arrive with their head never touch the clock or the timer wheel.
    clock: Option<Clock>,
    timer: Option<Pin<Box<Sleep>>>,
    /// Since when the body has had nothing to read.
    pending_since: Option<Instant>,
    /// Whether the connection counts as waiting on the client.
    counted: bool,
    done: bool,
    failed: Option<BodyTimeout>,
}

struct Clock {
    deadline: Instant,
    window_end: Instant,
    /// The first window is the grace period.
    judging: bool,
    /// Bytes of the body still to come when the window began, if known.
    window_remaining: u64,
}

impl TimedBody {
    pub(crate) fn new(inner: Incoming, rules: BodyRules, conn: Arc<ConnState>) -> Self {
        let done = inner.is_end_stream();
        TimedBody {
            inner,
            rules,
            conn,
            window_bytes: 0,
            clock: None,
            timer: None,
            pending_since: None,
            counted: false,
            done,
            failed: None,
        }
    }

    fn finish(&mut self) {
        if !self.done {
            self.done = true;
            self.conn.set_phase(Phase::Serving);
        }
    }

    fn fail(&mut self, why: BodyTimeout) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.finish();
        self.failed = Some(why);
        self.conn.record_body_timeout(why);
        Poll::Ready(Some(Err(Box::new(why))))
    }

    /// Apply both rules at `now`; a judged window that passed starts a new one.
    fn check(&mut self, now: Instant) -> Result<(), BodyTimeout> {
        let remaining = self.inner.size_hint().exact().unwrap_or(u64::MAX);
        let rules = self.rules;
        let window_bytes = self.window_bytes;
        let clock = self.clock.get_or_insert_with(|| Clock {
            // A timeout too large to add is no timeout: a year will do.
            deadline: now
                .checked_add(rules.timeout)
                .unwrap_or(now + Duration::from_secs(365 * 24 * 3600)),
            window_end: now + RATE_WINDOW,
            judging: false,
            window_remaining: remaining,
        });
        if now >= clock.deadline {
            return Err(BodyTimeout::Deadline(rules.timeout));
        }
        if now >= clock.window_end {
            let wanted = rules
                .min_rate
                .saturating_mul(RATE_WINDOW.as_secs())
                .min(clock.window_remaining);
            if clock.judging && window_bytes < wanted {
                return Err(BodyTimeout::TooSlow(rules.min_rate));
            }
            clock.judging = true;
            clock.window_end = now + RATE_WINDOW;
            clock.window_remaining = remaining;
            self.window_bytes = 0;
        }
        Ok(())
    }

    /// The client has nothing for us: check the rules and sleep until the
    /// next moment one of them could be broken.
    fn wait(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.clock.is_none() {
            self.window_bytes = 0;
        }
        let mut now = Instant::now();
        let since = *self.pending_since.get_or_insert(now);
        loop {
            if let Err(why) = self.check(now) {
                return self.fail(why);
            }
            if !self.counted && now >= since + STUCK_AFTER {
                self.counted = true;
                self.conn.waiting_on_client();
            }
            let clock = self.clock.as_ref().expect("check starts the clock");
            let mut due = clock.deadline.min(clock.window_end);
            if !self.counted {
                due = due.min(since + STUCK_AFTER);
            }
            let timer = match &mut self.timer {
                Some(timer) => {
                    if timer.deadline() != due {
                        timer.as_mut().reset(due);
                    }
                    timer
                }
                None => self.timer.insert(Box::pin(tokio::time::sleep_until(due))),
            };
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            now = Instant::now();
        }
    }
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if let Some(why) = this.failed {
            return Poll::Ready(Some(Err(Box::new(why))));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.window_bytes += data.len() as u64;
                }
                this.pending_since = None;
                if this.inner.is_end_stream() {
                    this.finish();
                } else if this.clock.is_some() {
                    if let Err(why) = this.check(Instant::now()) {
                        return this.fail(why);
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.finish();
                Poll::Ready(Some(Err(Box::new(e))))
            }
            Poll::Ready(None) => {
                this.finish();
                Poll::Ready(None)
            }
            Poll::Pending if this.done => Poll::Pending,
            Poll::Pending => this.wait(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

//! Connections waiting on their client (a request head or body not yet
//! complete), counted per client address, so that a few addresses cannot
//! hold every connection slot with requests they never finish.
//!
//! Only waiting counts: a keep-alive connection idle between requests, one
//! whose request is being served, and an upgraded (WebSocket) connection
//! cost its address nothing, so many well-behaved clients behind one proxy
//! address are not confused with a slow reader. When an address has more
//! waiting connections than its budget, its *oldest* waiting connection is
//! closed: the newest request gets its chance, and the stragglers go first.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};

use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;

use super::body::BodyTimeout;

/// Whom a connection's waiting counts against: its IPv4 address, or the
/// /64 prefix of its IPv6 address (one host usually owns a whole /64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey(IpAddr);

impl ClientKey {
    pub(crate) fn of(peer: SocketAddr) -> Self {
        match peer.ip() {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    ClientKey(IpAddr::V6(Ipv6Addr::from(prefix)))
                }
            },
            v4 => ClientKey(v4),
        }
    }
}

/// The per-address count of waiting connections, oldest first.
pub(crate) struct ReadingBudget {
    per_client: usize,
    next: AtomicU64,
    waiting: Mutex<HashMap<ClientKey, BTreeMap<u64, Weak<ConnState>>>>,
}

impl ReadingBudget {
    pub(crate) fn new(per_client: usize) -> Arc<Self> {
        Arc::new(ReadingBudget {
            per_client: per_client.max(1),
            next: AtomicU64::new(1),
            waiting: Mutex::new(HashMap::new()),
        })
    }

    /// Count `conn` as waiting; returns its ticket. Closes the address's
    /// oldest waiting connection when the address is over its budget.
    fn enter(&self, conn: &Arc<ConnState>) -> u64 {
        let ticket = self.next.fetch_add(1, Ordering::Relaxed);
        let evicted = {
            let mut waiting = self.waiting.lock();
            let list = waiting.entry(conn.client).or_default();
            list.insert(ticket, Arc::downgrade(conn));
            if list.len() > self.per_client {
                list.pop_first().map(|(_, oldest)| oldest)
            } else {
                None
            }
        };
        if let Some(oldest) = evicted.and_then(|w| w.upgrade()) {
            tracing::debug!(client = %oldest.client.0, "closing the oldest waiting connection of an address over its budget");
            oldest.evicted.notify_one();
        }
        ticket
    }

    fn leave(&self, client: ClientKey, ticket: u64) {
        let mut waiting = self.waiting.lock();
        if let Some(list) = waiting.get_mut(&client) {
            list.remove(&ticket);
            if list.is_empty() {
                waiting.remove(&client);
            }
        }
    }
}

/// Where a connection is in its request cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Phase {
    /// Waiting for the client to finish a request head or body.
    Waiting = 0,
    /// A request is being answered.
    Serving = 1,
    /// Between requests on a keep-alive connection.
    Idle = 2,
    /// Handed over to another protocol (WebSocket): never waiting again.
    Upgraded = 3,
}

/// One connection's state, shared by its I/O, its requests and their bodies.
pub(crate) struct ConnState {
    client: ClientKey,
    budget: Arc<ReadingBudget>,
    phase: AtomicU8,
    ticket: Mutex<Option<u64>>,
    evicted: Notify,
    body_timeout: Mutex<Option<BodyTimeout>>,
}

impl ConnState {
    /// A new connection: waiting for its first request head.
    pub(crate) fn accepted(peer: SocketAddr, budget: Arc<ReadingBudget>) -> Arc<Self> {
        let conn = Arc::new(ConnState {
            client: ClientKey::of(peer),
            budget,
            phase: AtomicU8::new(Phase::Idle as u8),
            ticket: Mutex::new(None),
            evicted: Notify::new(),
            body_timeout: Mutex::new(None),
        });
        conn.set_phase(Phase::Waiting);
        conn
    }

    pub(crate) fn set_phase(self: &Arc<Self>, phase: Phase) {
        let mut ticket = self.ticket.lock();
        if self.phase.load(Ordering::Acquire) == Phase::Upgraded as u8 {
            return;
        }
        self.phase.store(phase as u8, Ordering::Release);
        match (phase, *ticket) {
            (Phase::Waiting, None) => *ticket = Some(self.budget.enter(self)),
            (Phase::Waiting, Some(_)) => {}
            (_, Some(t)) => {
                *ticket = None;
                self.budget.leave(self.client, t);
            }
            (_, None) => {}
        }
    }

    /// Bytes arrived: on an idle connection they start the next request.
    fn bytes_read(self: &Arc<Self>) {
        if self.phase.load(Ordering::Acquire) == Phase::Idle as u8 {
            self.set_phase(Phase::Waiting);
        }
    }

    /// Resolves when the connection must be closed to keep its address
    /// within budget.
    pub(crate) async fn evicted(&self) {
        self.evicted.notified().await
    }

    pub(crate) fn record_body_timeout(&self, why: BodyTimeout) {
        *self.body_timeout.lock() = Some(why);
    }

    /// Why the current request's body was cut off, if it was.
    pub(crate) fn take_body_timeout(&self) -> Option<BodyTimeout> {
        self.body_timeout.lock().take()
    }
}

impl Drop for ConnState {
    fn drop(&mut self) {
        if let Some(t) = self.ticket.get_mut().take() {
            self.budget.leave(self.client, t);
        }
    }
}

/// The TCP stream of a connection, noticing when bytes arrive on an idle
/// connection (the start of its next request).
pub(crate) struct WatchedStream {
    inner: TcpStream,
    conn: Arc<ConnState>,
}

impl WatchedStream {
    pub(crate) fn new(inner: TcpStream, conn: Arc<ConnState>) -> Self {
        WatchedStream { inner, conn }
    }
}

impl AsyncRead for WatchedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.conn.bytes_read();
        }
        result
    }
}

impl AsyncWrite for WatchedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

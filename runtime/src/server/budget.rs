//! Connections waiting on their client, counted per client address, so
//! that a few addresses cannot hold every connection slot with requests
//! they never finish.
//!
//! A connection counts while the server has read everything its client sent
//! of an unfinished request head or body (or of nothing yet, on a new
//! connection) and must wait for more. A request that arrives whole never
//! counts; a keep-alive connection idle between requests, one whose request
//! is being answered, and an upgraded (WebSocket) connection count nothing,
//! so many well-behaved clients behind one proxy address are not confused
//! with a slow reader. When an address has more waiting connections than its
//! budget, the one that has waited longest is closed: the newest request
//! gets its chance, and the most stalled goes first.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Instant;

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

/// A waiting connection's place in its address's list: when its request
/// began (nanoseconds since the budget was made), then arrival order.
type Place = (u64, u64);

/// The per-address lists of waiting connections, longest waiting first.
pub(crate) struct ReadingBudget {
    per_client: usize,
    epoch: Instant,
    next: AtomicU64,
    waiting: Mutex<HashMap<ClientKey, BTreeMap<Place, Weak<ConnState>>>>,
}

impl ReadingBudget {
    pub(crate) fn new(per_client: usize) -> Arc<Self> {
        Arc::new(ReadingBudget {
            per_client: per_client.max(1),
            epoch: Instant::now(),
            next: AtomicU64::new(1),
            waiting: Mutex::new(HashMap::new()),
        })
    }

    /// Nanoseconds from the budget's making to now: when a request began.
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Count `conn`; returns its place. Closes the address's longest-waiting
    /// connection (the one whose request began first) when the address is
    /// over its budget.
    fn enter(&self, conn: &Arc<ConnState>) -> Place {
        let place = (
            conn.request_began.load(Ordering::Acquire),
            self.next.fetch_add(1, Ordering::Relaxed),
        );
        let evicted = {
            let mut waiting = self.waiting.lock();
            let list = waiting.entry(conn.client).or_default();
            list.insert(place, Arc::downgrade(conn));
            if list.len() > self.per_client {
                list.pop_first().map(|(_, longest)| longest)
            } else {
                None
            }
        };
        if let Some(longest) = evicted.and_then(|w| w.upgrade()) {
            tracing::debug!(
                client = %longest.client.0,
                "closing the longest-waiting connection of an address over its budget"
            );
            longest.evicted.notify_one();
        }
        place
    }

    fn leave(&self, client: ClientKey, place: Place) {
        let mut waiting = self.waiting.lock();
        if let Some(list) = waiting.get_mut(&client) {
            list.remove(&place);
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
    /// Reading a request head (or waiting for the first one).
    Head = 0,
    /// The head is in; reading the request body.
    Body = 1,
    /// A request is being answered.
    Serving = 2,
    /// Between requests on a keep-alive connection.
    Idle = 3,
    /// Handed over to another protocol (WebSocket): never waiting again.
    Upgraded = 4,
}

impl Phase {
    /// Whether the connection is still receiving its request.
    fn receiving(self) -> bool {
        matches!(self, Phase::Head | Phase::Body)
    }
}

/// One connection's state, shared by its I/O, its requests and their bodies.
pub(crate) struct ConnState {
    client: ClientKey,
    budget: Arc<ReadingBudget>,
    phase: AtomicU8,
    /// When its current request began (see [`ReadingBudget::now`]): at
    /// accept, or at the first byte after an idle spell.
    request_began: AtomicU64,
    /// Its place in the budget while it counts as waiting.
    place: Mutex<Option<Place>>,
    /// Whether `place` is set (read without the lock on every request).
    counted: AtomicBool,
    evicted: Notify,
    body_timeout: Mutex<Option<BodyTimeout>>,
}

impl ConnState {
    /// A new connection: waiting for its first request head.
    pub(crate) fn accepted(peer: SocketAddr, budget: Arc<ReadingBudget>) -> Arc<Self> {
        Arc::new(ConnState {
            client: ClientKey::of(peer),
            request_began: AtomicU64::new(budget.now()),
            budget,
            phase: AtomicU8::new(Phase::Head as u8),
            place: Mutex::new(None),
            counted: AtomicBool::new(false),
            evicted: Notify::new(),
            body_timeout: Mutex::new(None),
        })
    }

    /// Move to `phase` (an upgraded connection stays upgraded); once the
    /// request is received the connection stops counting against its
    /// address.
    pub(crate) fn set_phase(&self, phase: Phase) {
        let _ = self
            .phase
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |p| {
                (p != Phase::Upgraded as u8).then_some(phase as u8)
            });
        if !phase.receiving() && self.counted.load(Ordering::Acquire) {
            self.stop_counting();
        }
    }

    fn stop_counting(&self) {
        let mut place = self.place.lock();
        self.counted.store(false, Ordering::Release);
        if let Some(p) = place.take() {
            self.budget.leave(self.client, p);
        }
    }

    fn phase_is(&self, phase: Phase) -> bool {
        self.phase.load(Ordering::Acquire) == phase as u8
    }

    /// The server has read everything the client sent of an unfinished
    /// request and must wait for more: from now on the connection counts
    /// against its address. A request that arrives whole never gets here.
    pub(crate) fn waiting_on_client(self: &Arc<Self>) {
        if self.counted.load(Ordering::Acquire) {
            return;
        }
        let mut place = self.place.lock();
        if place.is_none() && (self.phase_is(Phase::Head) || self.phase_is(Phase::Body)) {
            *place = Some(self.budget.enter(self));
            self.counted.store(true, Ordering::Release);
        }
    }

    /// The socket has nothing more to read. While a head is unfinished that
    /// is waiting on the client. (While a body is read, the body itself
    /// judges: hyper also reads ahead once a body is complete.)
    fn read_pending(self: &Arc<Self>) {
        if self.phase_is(Phase::Head) {
            self.waiting_on_client();
        }
    }

    /// Bytes arrived: on an idle connection they start the next request.
    fn bytes_read(&self) {
        if self
            .phase
            .compare_exchange(
                Phase::Idle as u8,
                Phase::Head as u8,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
        {
            self.request_began
                .store(self.budget.now(), Ordering::Release);
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
        if let Some(p) = self.place.get_mut().take() {
            self.budget.leave(self.client, p);
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
        match result {
            Poll::Ready(Ok(())) if buf.filled().len() > before => this.conn.bytes_read(),
            Poll::Pending => this.conn.read_pending(),
            _ => {}
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

#[cfg(test)]
mod tests {
    use futures::FutureExt;

    use super::*;

    fn conn(budget: &Arc<ReadingBudget>, addr: &str) -> Arc<ConnState> {
        ConnState::accepted(addr.parse().unwrap(), Arc::clone(budget))
    }

    #[test]
    fn ipv6_clients_share_a_budget_per_64_and_mapped_ipv4_is_ipv4() {
        let key = |a: &str| ClientKey::of(a.parse().unwrap());
        assert_eq!(key("[2001:db8:1:2::1]:1"), key("[2001:db8:1:2:ffff::9]:2"));
        assert_ne!(key("[2001:db8:1:2::1]:1"), key("[2001:db8:1:3::1]:1"));
        assert_eq!(key("[::ffff:10.0.0.1]:1"), key("10.0.0.1:2"));
    }

    #[test]
    fn an_address_over_budget_loses_its_longest_waiting_connection_only() {
        let budget = ReadingBudget::new(2);
        let (a, b, c) = (
            conn(&budget, "10.0.0.1:1"),
            conn(&budget, "10.0.0.1:2"),
            conn(&budget, "10.0.0.1:3"),
        );
        let other = conn(&budget, "10.0.0.2:1");
        // `c`'s request began first, though it is counted last.
        c.request_began.store(0, Ordering::Release);
        other.waiting_on_client();
        a.waiting_on_client();
        b.waiting_on_client();
        assert!(a.evicted().now_or_never().is_none());
        c.waiting_on_client();
        assert!(c.evicted().now_or_never().is_some());
        assert!(a.evicted().now_or_never().is_none());
        assert!(b.evicted().now_or_never().is_none());
        assert!(other.evicted().now_or_never().is_none());
    }

    #[test]
    fn a_connection_answered_or_idle_does_not_count() {
        let budget = ReadingBudget::new(1);
        let served = conn(&budget, "10.0.0.1:1");
        served.waiting_on_client();
        served.set_phase(Phase::Serving);
        let idle = conn(&budget, "10.0.0.1:2");
        idle.set_phase(Phase::Idle);
        idle.waiting_on_client();
        let waiting = conn(&budget, "10.0.0.1:3");
        waiting.waiting_on_client();
        for c in [&served, &idle, &waiting] {
            assert!(c.evicted().now_or_never().is_none());
        }
    }
}

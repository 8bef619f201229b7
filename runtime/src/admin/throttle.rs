//! Back-off for failed admin authentication, kept per client address.
//!
//! Every presented-but-wrong credential (a bearer token on any protected
//! route, a password on `POST /auth/token`, a token on the `/comms`
//! WebSocket) counts against the address it came from. The first
//! [`FREE_FAILURES`] cost nothing (people mistype); from then on each
//! failure makes the address wait, [`FIRST_BACKOFF`] doubling up to
//! [`MAX_BACKOFF`], and while it waits every admin authentication from it
//! is answered 429 without looking at the credential, so a guesser gets a
//! few dozen tries an hour instead of thousands a second. Other addresses
//! are never affected: an attacker cannot lock the administrator out from
//! somewhere else, as a global lockout would.
//!
//! The table is bounded ([`MAX_ENTRIES`], oldest failure evicted first), so
//! an attacker with many addresses costs at most that much memory; IPv6
//! clients are counted per /64, the block one subscriber usually holds.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use parking_lot::Mutex;

/// Failures an address may make before it has to wait.
pub const FREE_FAILURES: u32 = 10;
/// The wait after the last free failure; it doubles with each further one.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait (Node-RED locks a user out for 10 minutes).
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// An address's count is forgotten this long after its last failure.
pub const FORGET_AFTER: Duration = Duration::from_secs(3600);
/// Most addresses remembered at once.
pub const MAX_ENTRIES: usize = 10_000;

/// The address a request came from, as the throttle counts it. Requests
/// without connection information (a router driven in-process) all count
/// as one client.
pub fn client_of(extensions: &http::Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

/// Extractor: the requesting client's address ([`client_of`]).
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_of(&parts.extensions)))
    }
}

/// IPv4 (also when mapped into IPv6) as is; other IPv6 addresses by /64.
fn key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The wait imposed after an address's `failures`-th failure.
pub fn backoff_after(failures: u32) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES).min(31);
    FIRST_BACKOFF
        .saturating_mul(1u32 << doublings)
        .min(MAX_BACKOFF)
}

struct Entry {
    failures: u32,
    last_failure: Instant,
    blocked_until: Instant,
    /// This entry's key in [`Table::order`].
    order: (Instant, u64),
}

#[derive(Default)]
struct Table {
    entries: HashMap<IpAddr, Entry>,
    /// Entries by last failure, oldest first (the sequence number keeps
    /// keys unique when two failures share an instant).
    order: BTreeMap<(Instant, u64), IpAddr>,
    seq: u64,
}

/// Failed authentications per client address.
pub struct Throttle {
    table: Mutex<Table>,
    max_entries: usize,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::with_capacity(MAX_ENTRIES)
    }
}

impl Throttle {
    /// A throttle remembering at most `max_entries` addresses.
    pub fn with_capacity(max_entries: usize) -> Self {
        Throttle {
            table: Mutex::default(),
            max_entries: max_entries.max(1),
        }
    }

    /// How long `client` must still wait, if it is backed off.
    pub fn wait(&self, client: IpAddr, now: Instant) -> Option<Duration> {
        let table = self.table.lock();
        let entry = table.entries.get(&key(client))?;
        (entry.blocked_until > now).then(|| entry.blocked_until - now)
    }

    /// Count a failure from `client`; the wait it now faces (zero while its
    /// failures are still free).
    pub fn failed(&self, client: IpAddr, now: Instant) -> Duration {
        let key = key(client);
        let mut table = self.table.lock();
        table.seq += 1;
        let order = (now, table.seq);
        let failures = match table.entries.remove(&key) {
            Some(old) => {
                table.order.remove(&old.order);
                let forgotten = now.saturating_duration_since(old.last_failure) > FORGET_AFTER;
                if forgotten {
                    1
                } else {
                    old.failures.saturating_add(1)
                }
            }
            None => {
                while table.entries.len() >= self.max_entries {
                    let Some((_, oldest)) = table.order.pop_first() else {
                        break;
                    };
                    table.entries.remove(&oldest);
                }
                1
            }
        };
        let wait = backoff_after(failures);
        table.order.insert(order, key);
        table.entries.insert(
            key,
            Entry {
                failures,
                last_failure: now,
                blocked_until: now + wait,
                order,
            },
        );
        wait
    }

    /// `client` authenticated: forget its failures.
    pub fn succeeded(&self, client: IpAddr) {
        let mut table = self.table.lock();
        if let Some(old) = table.entries.remove(&key(client)) {
            table.order.remove(&old.order);
        }
    }

    /// How many addresses are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.lock().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn backoff_doubles_after_the_free_failures_up_to_the_cap() {
        assert_eq!(backoff_after(FREE_FAILURES - 1), Duration::ZERO);
        assert_eq!(backoff_after(FREE_FAILURES), FIRST_BACKOFF);
        assert_eq!(backoff_after(FREE_FAILURES + 1), FIRST_BACKOFF * 2);
        assert_eq!(backoff_after(FREE_FAILURES + 3), FIRST_BACKOFF * 8);
        assert_eq!(backoff_after(FREE_FAILURES + 40), MAX_BACKOFF);
        assert_eq!(backoff_after(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn only_the_failing_address_waits() {
        let t = Throttle::default();
        let now = Instant::now();
        for _ in 0..FREE_FAILURES - 1 {
            assert_eq!(t.failed(ip("10.0.0.2"), now), Duration::ZERO);
        }
        assert_eq!(t.wait(ip("10.0.0.2"), now), None);
        assert_eq!(t.failed(ip("10.0.0.2"), now), FIRST_BACKOFF);
        assert_eq!(t.wait(ip("10.0.0.2"), now), Some(FIRST_BACKOFF));
        assert_eq!(t.wait(ip("10.0.0.2"), now + FIRST_BACKOFF), None);
        assert_eq!(t.wait(ip("10.0.0.1"), now), None);
        // The same client over IPv4-mapped IPv6 is the same address.
        assert!(t.wait(ip("::ffff:10.0.0.2"), now).is_some());
        t.succeeded(ip("10.0.0.2"));
        assert_eq!(t.wait(ip("10.0.0.2"), now), None);
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn ipv6_counts_per_64_and_old_failures_are_forgotten() {
        let t = Throttle::default();
        let now = Instant::now();
        for i in 0..FREE_FAILURES {
            t.failed(ip(&format!("2001:db8:1:2::{i:x}")), now);
        }
        assert!(t.wait(ip("2001:db8:1:2:ffff::1"), now).is_some());
        assert!(t.wait(ip("2001:db8:1:3::1"), now).is_none());
        let later = now + FORGET_AFTER + Duration::from_secs(1);
        assert_eq!(t.failed(ip("2001:db8:1:2::1"), later), Duration::ZERO);
    }

    #[test]
    fn the_table_is_bounded_and_evicts_the_oldest() {
        let t = Throttle::with_capacity(3);
        let now = Instant::now();
        for (i, a) in ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
            .iter()
            .enumerate()
        {
            for _ in 0..FREE_FAILURES {
                t.failed(ip(a), now + Duration::from_millis(i as u64));
            }
        }
        assert_eq!(t.len(), 3);
        assert!(t.wait(ip("10.0.0.1"), now).is_none(), "oldest evicted");
        for a in ["10.0.0.2", "10.0.0.3", "10.0.0.4"] {
            assert!(t.wait(ip(a), now).is_some(), "{a}");
        }
    }
}

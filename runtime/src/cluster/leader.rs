//! The timer lease: which replica fires the timers that must fire once per
//! cluster (an `inject`'s repeat or crontab).
//!
//! One Redis key holds the leader's name with a short expiry
//! ([`LEASE_TTL`]); the leader renews it every [`RENEW_EVERY`], any other
//! replica takes it when it is free. A leader that dies stops renewing and
//! the next replica to try takes over within `LEASE_TTL + RENEW_EVERY`. A
//! leader that cannot reach Redis stops firing once its lease may have run
//! out, so two replicas never both believe they lead: while Redis is
//! unreachable nobody fires (at most once, rather than at least once).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Cluster;

/// How long a lease lasts without renewal.
pub const LEASE_TTL: Duration = Duration::from_millis(2500);
/// How often the leader renews and the others try to take over.
pub const RENEW_EVERY: Duration = Duration::from_millis(500);

/// Whether this replica fires the cluster's once-only timers now. Without
/// `--cluster` there is no gate and every timer fires.
///
/// It holds the instant the lease may run out (less a margin), not a flag:
/// a replica stalled past it (CPU starvation, a paused VM) stops firing by
/// itself, before another replica can have taken over.
#[derive(Debug, Clone)]
pub struct TimerGate(Arc<Gate>);

#[derive(Debug)]
struct Gate {
    epoch: Instant,
    /// Milliseconds after `epoch` until which this replica leads; 0: it
    /// does not.
    until_ms: AtomicU64,
}

impl Default for TimerGate {
    fn default() -> Self {
        TimerGate(Arc::new(Gate {
            epoch: Instant::now(),
            until_ms: AtomicU64::new(0),
        }))
    }
}

impl TimerGate {
    /// `true` while this replica holds a lease that cannot have run out.
    pub fn fires_here(&self) -> bool {
        let until = self.0.until_ms.load(Ordering::Acquire);
        until > 0 && (self.0.epoch.elapsed().as_millis() as u64) < until
    }

    /// Lead until `until` (`None`: not at all); whether it led before.
    fn set(&self, until: Option<Instant>) -> bool {
        let was = self.fires_here();
        let ms = until.map_or(0, |u| {
            (u.saturating_duration_since(self.0.epoch).as_millis() as u64).max(1)
        });
        self.0.until_ms.store(ms, Ordering::Release);
        was
    }
}

/// Keep trying to hold the lease until the process ends.
pub(super) async fn run(cluster: Arc<Cluster>) {
    let mut renewed: Option<Instant> = None;
    let mut ticks = tokio::time::interval(RENEW_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let asked = Instant::now();
        let held = match cluster.store.hold_lease(&cluster.replica, LEASE_TTL).await {
            Ok(true) => Some(asked),
            Ok(false) => None,
            // Unreachable: the lease last renewed still counts until it
            // may run out.
            Err(_) => renewed,
        };
        renewed = held;
        // The lease runs out LEASE_TTL after it was asked for at the
        // latest; stop one renewal period earlier (clock drift, a slow
        // answer).
        let until = held.map(|r| r + LEASE_TTL - RENEW_EVERY);
        let was = cluster.gate.set(until);
        let leading = cluster.gate.fires_here();
        if was != leading {
            crate::metrics::cluster_leader(leading);
            if leading {
                tracing::info!(replica = %cluster.replica, "this replica now fires the cluster's timers");
            } else {
                tracing::info!(replica = %cluster.replica, "this replica no longer fires the cluster's timers");
            }
        }
    }
}

/// Give the lease up at shutdown, so the next leader need not wait for it
/// to run out.
pub(super) async fn release(cluster: &Cluster) {
    if cluster.gate.set(None) {
        crate::metrics::cluster_leader(false);
        if let Err(e) = cluster.store.release_lease(&cluster.replica).await {
            tracing::debug!("could not release the timer lease: {e}");
        }
    }
}

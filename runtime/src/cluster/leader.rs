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

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Cluster;

/// How long a lease lasts without renewal.
pub const LEASE_TTL: Duration = Duration::from_millis(2500);
/// How often the leader renews and the others try to take over.
pub const RENEW_EVERY: Duration = Duration::from_millis(500);

/// Whether this replica fires the cluster's once-only timers now. Without
/// `--cluster` there is no gate and every timer fires.
#[derive(Debug, Clone, Default)]
pub struct TimerGate(Arc<AtomicBool>);

impl TimerGate {
    /// `true` while this replica holds the lease.
    pub fn fires_here(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    fn set(&self, leading: bool) -> bool {
        self.0.swap(leading, Ordering::AcqRel)
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
        let leading = match cluster.store.hold_lease(&cluster.replica, LEASE_TTL).await {
            Ok(true) => {
                renewed = Some(asked);
                true
            }
            Ok(false) => false,
            // Unreachable: keep leading only while the lease we last
            // renewed cannot have run out (with a margin for clock drift).
            Err(_) => renewed.is_some_and(|r| r.elapsed() < LEASE_TTL - RENEW_EVERY),
        };
        if !leading {
            renewed = None;
        }
        let was = cluster.gate.set(leading);
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
    if cluster.gate.set(false) {
        crate::metrics::cluster_leader(false);
        if let Err(e) = cluster.store.release_lease(&cluster.replica).await {
            tracing::debug!("could not release the timer lease: {e}");
        }
    }
}

//! Tests that measure time while they load the machine: latency bounds under
//! runaway scripts, endless wiring loops or big bodies, server-side timeouts, shutdown under load,
//! SIGKILL during deploys. They are a binary of their own so the default two
//! test threads never pair one of them with an unrelated heavy test, and
//! within it [`exclusive`] and [`shared`] decide who may run side by side.

#[path = "../common/mod.rs"]
mod common;

mod crash_safety;
mod function_input_cost;
mod http_hardening;
mod loop_guard;
mod many_clients;
mod mqtt_load;
mod script_isolation;
mod shutdown_under_load;

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

static TURN: RwLock<()> = RwLock::new(());

/// Held by a test that loads both cores or measures latency under load: no
/// other test of this binary runs meanwhile.
pub fn exclusive() -> RwLockWriteGuard<'static, ()> {
    TURN.write().unwrap_or_else(|e| e.into_inner())
}

/// Held by a light test that waits on the server's timers (slow bodies,
/// stalled sockets): it may run beside another light one, never beside an
/// [`exclusive`] one.
pub fn shared() -> RwLockReadGuard<'static, ()> {
    TURN.read().unwrap_or_else(|e| e.into_inner())
}

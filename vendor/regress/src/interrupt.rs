//! A cooperative stop for the backtracking matcher (added by flowgate).
//!
//! A backtracking search can take time exponential in the input's length.
//! The matcher calls the stop check installed by [`with_stop_check`] every
//! [`CHECK_EVERY`] backtracks; once it answers `true`, every attempt of the
//! search fails at its next backtrack and the search reports [`Interrupted`].

use core::cell::Cell;

/// How many backtracks pass between two calls of the stop check.
pub const CHECK_EVERY: u32 = 4096;

std::thread_local! {
    static CHECK: Cell<Option<fn() -> bool>> = const { Cell::new(None) };
    static STOPPED: Cell<bool> = const { Cell::new(false) };
}

/// The search was stopped by the stop check; its result is meaningless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

/// Restores the previous check when the search ends, even by a panic.
struct Installed {
    check: Option<fn() -> bool>,
    stopped: bool,
}

impl Drop for Installed {
    fn drop(&mut self) {
        CHECK.set(self.check);
        STOPPED.set(self.stopped);
    }
}

/// Run `search` (any searches on this thread) with `stop` consulted every
/// [`CHECK_EVERY`] backtracks. `Err` when `stop` answered `true`.
pub fn with_stop_check<R>(stop: fn() -> bool, search: impl FnOnce() -> R) -> Result<R, Interrupted> {
    let _restore = Installed {
        check: CHECK.replace(Some(stop)),
        stopped: STOPPED.replace(false),
    };
    let result = search();
    if STOPPED.get() { Err(Interrupted) } else { Ok(result) }
}

/// Whether the search must stop (asked every [`CHECK_EVERY`] backtracks).
pub(crate) fn should_stop() -> bool {
    if STOPPED.get() {
        return true;
    }
    let stop = CHECK.get().is_some_and(|check| check());
    if stop {
        STOPPED.set(true);
    }
    stop
}

//! Memory accounting for script runs.
//!
//! Rhai caps the size of each string, array and map, but not how many a
//! script builds: a loop pushing megabyte strings would exhaust the process's
//! memory within its time limit and abort the whole runtime. The binary
//! therefore installs [`CountingAlloc`] as its global allocator; it keeps a
//! per-thread count of bytes allocated minus bytes freed, and the sandbox
//! stops a run whose thread has grown by more than its memory budget since
//! the run started ([`set_ceiling`], checked on every operation).
//!
//! Without the counting allocator (unit tests, embedders that keep their own
//! allocator) the count stays at zero and no run is ever stopped for memory.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;

thread_local! {
    /// Bytes allocated minus bytes freed by this thread. Blocks freed on
    /// another thread than the one that allocated them make it drift, which
    /// is harmless: only its growth during one run is compared.
    static NET: Cell<isize> = const { Cell::new(0) };
    /// The count at which the running script is stopped (`isize::MAX`: no run).
    static CEILING: Cell<isize> = const { Cell::new(isize::MAX) };
    /// The count when the sandbox last looked at the clock.
    static MARK: Cell<isize> = const { Cell::new(0) };
}

/// A global allocator that counts each thread's net allocation on top of
/// another allocator.
pub struct CountingAlloc<A>(pub A);

#[inline]
fn add(delta: isize) {
    // `try_with`: allocations during thread teardown are simply not counted.
    let _ = NET.try_with(|n| n.set(n.get().wrapping_add(delta)));
}

// SAFETY: every method forwards to the inner allocator unchanged; the
// counting touches only const-initialized thread-locals without destructors,
// which never allocate.
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAlloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = self.0.alloc(layout);
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = self.0.alloc_zeroed(layout);
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.0.dealloc(ptr, layout);
        add(-(layout.size() as isize));
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = self.0.realloc(ptr, layout, new_size);
        if !p.is_null() {
            add(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// This thread's current net allocation.
pub fn thread_net() -> isize {
    NET.try_with(Cell::get).unwrap_or(0)
}

/// Stop the running script once this thread's net allocation grows by more
/// than `budget` bytes from now; returns the previous ceiling for [`restore`].
pub fn set_ceiling(budget: usize) -> isize {
    let ceiling = thread_net().saturating_add(budget.min(isize::MAX as usize) as isize);
    CEILING.with(|c| c.replace(ceiling))
}

/// Put back the ceiling [`set_ceiling`] replaced.
pub fn restore(previous: isize) {
    CEILING.with(|c| c.set(previous));
}

/// Whether this thread allocated more than `bytes` since the last
/// [`mark`]: operations that allocate a lot (doubling a long string) are
/// slow, so the sandbox looks at the clock after them rather than only
/// every so many operations.
#[inline]
pub fn grew_since_mark(bytes: isize) -> bool {
    thread_net().wrapping_sub(MARK.with(Cell::get)) > bytes
}

/// Remember the current count for [`grew_since_mark`].
#[inline]
pub fn mark() {
    MARK.with(|m| m.set(thread_net()));
}

/// Whether the running script has used up its memory budget.
#[inline]
pub fn over_ceiling() -> bool {
    thread_net() > CEILING.with(Cell::get)
}

//! The process's allocator: mimalloc, called the way the system allocator
//! is.
//!
//! The `mimalloc` crate's `GlobalAlloc` always calls mimalloc's aligned
//! entry points (`mi_malloc_aligned`, `mi_realloc_aligned`), which check
//! the alignment and look for a suitably aligned free block before they
//! reach the plain fast path: about 43 instructions per allocation where
//! `mi_malloc` takes about 20. A request allocates a few hundred small
//! blocks (a function node's run, its message, the response), so the plain
//! calls are used wherever they already give the alignment asked for:
//! every mimalloc block is aligned to at least a machine word, as Rust's
//! `System` allocator assumes of `malloc` for alignments up to its own
//! minimum.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// mimalloc with plain calls for word-aligned layouts.
pub struct Mimalloc;

/// The alignment every mimalloc block has.
const WORD: usize = std::mem::size_of::<usize>();

/// Whether a plain call gives `layout`'s alignment.
#[inline]
fn plain(layout: &Layout) -> bool {
    layout.align() <= WORD
}

// SAFETY: each method returns what mimalloc returns for the same size, with
// an alignment of at least `layout.align()` (plain calls only for alignments
// every block has), and frees with `mi_free`, which takes blocks from either
// kind of call.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if plain(&layout) {
            mi::mi_malloc(layout.size()).cast()
        } else {
            mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if plain(&layout) {
            mi::mi_zalloc(layout.size()).cast()
        } else {
            mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi::mi_free(ptr.cast::<c_void>());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if plain(&layout) {
            mi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
        } else {
            mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks of every small size and alignment come back aligned and
    /// usable, through allocation, zeroing and growth.
    #[test]
    fn blocks_have_the_alignment_asked_for() {
        let a = Mimalloc;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1, 3, 8, 13, 24, 40, 100, 1000, 70_000] {
                let layout = Layout::from_size_align(size, align).unwrap();
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "alloc {size}/{align}");
                    p.write_bytes(0xab, size);
                    let p = a.realloc(p, layout, size * 3);
                    assert_eq!(p as usize % align, 0, "realloc {size}/{align}");
                    assert_eq!(*p.add(size - 1), 0xab);
                    a.dealloc(p, Layout::from_size_align(size * 3, align).unwrap());
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "zeroed {size}/{align}");
                    assert!((0..size).all(|i| *z.add(i) == 0));
                    a.dealloc(z, layout);
                }
            }
        }
    }
}

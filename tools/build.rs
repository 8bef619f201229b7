//! Link the binary with packed relative relocations (`DT_RELR`).
//!
//! A position-independent executable carries one relocation per pointer in
//! its read-only data (vtables, static tables, tracing call sites). With
//! classic `RELA` entries that table is ~700 KiB here, and the dynamic loader
//! reads all of it at every start, so it stays resident. `DT_RELR` encodes
//! the same relocations as a bitmap of a few KiB: faster start, smaller
//! resident set, same ASLR. The loader must understand it (glibc 2.36+), so
//! it is only used when building natively against such a glibc.
//!
//! Release builds of `flowgate` also hand lld the list of functions that
//! starting and serving a flow runs (`tools/symbol-order.txt`, written by
//! `tools/bench/order-symbols.sh`), so they sit together at the start of `.text`.
//! The kernel maps executable pages in large runs around each one touched;
//! scattered, that code made over half of the 11 MB `.text` resident;
//! grouped, about a sixth. `FLOWGATE_SYMBOL_ORDER=none` builds without the list.

use std::process::Command;

fn main() {
    // Relative to the package using it (flowgate, or the limit crate).
    println!("cargo:rerun-if-changed={}", file!());
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    if target != host || !target.ends_with("-linux-gnu") {
        return;
    }
    if glibc_version().is_some_and(|v| v >= (2, 36)) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    if std::env::var("CARGO_PKG_NAME").as_deref() == Ok("flowgate") && links_with_rust_lld(&target)
    {
        order_symbols();
    }
}

/// The build host's glibc version, from `getconf GNU_LIBC_VERSION` ("glibc 2.36").
fn glibc_version() -> Option<(u32, u32)> {
    let out = Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let (major, minor) = text.trim().strip_prefix("glibc ")?.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Pass the symbol ordering file to the linker (release builds only: debug
/// builds have other symbol names and no use for it).
fn order_symbols() {
    const LIST: &str = "tools/symbol-order.txt";
    println!("cargo:rerun-if-changed={LIST}");
    println!("cargo:rerun-if-env-changed=FLOWGATE_SYMBOL_ORDER");
    let wanted = std::env::var("FLOWGATE_SYMBOL_ORDER").map_or(true, |v| v != "none");
    let release = std::env::var("PROFILE").as_deref() == Ok("release");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let list = std::path::Path::new(&dir).join(LIST);
    if wanted && release && list.is_file() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            list.display()
        );
        // Names the current build no longer has are expected, not news.
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}

/// Whether the binary is linked by rustc's bundled lld: the default for
/// `x86_64-unknown-linux-gnu` since Rust 1.90, unless a linker is configured.
/// Other linkers do not know `--symbol-ordering-file`.
fn links_with_rust_lld(target: &str) -> bool {
    if target != "x86_64-unknown-linux-gnu" {
        return false;
    }
    let configured = std::env::var_os("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_some()
        || std::env::var("CARGO_ENCODED_RUSTFLAGS").is_ok_and(|f| {
            ["linker", "link-self-contained", "fuse-ld"]
                .iter()
                .any(|flag| f.contains(flag))
        });
    if configured {
        return false;
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok());
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let minor = version
        .as_deref()
        .and_then(|v| v.split_whitespace().nth(1))
        .and_then(|v| v.split('.').nth(1))
        .and_then(|m| m.parse::<u32>().ok());
    minor.is_some_and(|m| m >= 90)
}

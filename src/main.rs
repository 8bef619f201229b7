//! `flowgate`: run, check and inspect Node-RED flows.

mod alloc;
mod cli;
mod editor;
mod examples;
mod token_cmd;

/// mimalloc: the runtime allocates many small, short-lived JSON values per
/// request, where it is markedly faster than the system allocator. Counted
/// per thread so a function node's script run has a memory budget. Built
/// without transparent huge pages (`no_thp`): a 2 MiB page per touched
/// arena region would triple a small service's resident memory for no
/// measurable speed. Called as [`alloc::Mimalloc`] says.
#[global_allocator]
static GLOBAL: flowgate_script::memory::CountingAlloc<alloc::Mimalloc> =
    flowgate_script::memory::CountingAlloc(alloc::Mimalloc);

use clap::Parser;

fn main() -> std::process::ExitCode {
    cli::Cli::parse().run()
}

//! `flowgate`: run, check and inspect Node-RED flows.

mod cli;
mod editor;
mod token_cmd;

/// mimalloc: the runtime allocates many small, short-lived JSON values per
/// request, where it is markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

fn main() -> std::process::ExitCode {
    cli::Cli::parse().run()
}

//! `flowgate`: run, check and inspect Node-RED flows.

mod cli;
mod editor;
mod token_cmd;

use clap::Parser;

fn main() -> std::process::ExitCode {
    cli::Cli::parse().run()
}

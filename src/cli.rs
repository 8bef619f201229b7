//! The command line: `run` serves a flow, `check` validates one.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use flowgate_runtime::error::LoadError;
use flowgate_runtime::service::{Runtime, StartError};
use flowgate_runtime::settings::Settings;

/// A Node-RED compatible flow runtime, built for JSON Web Token services.
#[derive(Parser)]
#[command(name = "flowgate", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a flow's http endpoints.
    Run(RunArgs),
    /// Validate a flow file and print every problem found.
    Check(CheckArgs),
}

#[derive(Args)]
struct FlowArgs {
    /// The flow file: an exported Node-RED/Ignite flow (array or {"rev","flows"}).
    flows: PathBuf,
    /// Credentials file (default: <flows>_cred.json beside the flow file).
    #[arg(long, env = "FLOWGATE_CREDENTIALS")]
    credentials: Option<PathBuf>,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    flow: FlowArgs,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    flow: FlowArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", env = "FLOWGATE_HOST")]
    host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 1880, env = "FLOWGATE_PORT")]
    port: u16,
    /// Seconds a request may wait for an http response node before it gets 504.
    #[arg(long, default_value_t = 120.0)]
    http_timeout: f64,
    /// Largest request body accepted by http in nodes, in bytes.
    #[arg(long, default_value_t = 5 * 1024 * 1024)]
    max_body: usize,
    /// Default wall-clock limit of a function node's script, in seconds.
    #[arg(long, default_value_t = 5.0)]
    function_timeout: f64,
    /// Seconds in-flight requests get to finish after SIGINT/SIGTERM.
    #[arg(long, default_value_t = 10)]
    shutdown_grace: u64,
}

impl Cli {
    pub fn run(self) -> ExitCode {
        init_tracing();
        match self.command {
            Command::Check(args) => check(args),
            Command::Run(args) => run(args),
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn settings_for(flow: &FlowArgs) -> Settings {
    Settings {
        flows_path: Some(flow.flows.clone()),
        credentials_path: flow.credentials.clone(),
        ..Settings::default()
    }
}

fn report(err: &StartError) {
    match err {
        StartError::Load(LoadError::Invalid(problems)) => {
            eprintln!(
                "flowgate: flow is invalid ({} problem{}):",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
            for p in problems {
                eprintln!("  - {p}");
            }
        }
        other => eprintln!("flowgate: {other}"),
    }
}

fn check(args: CheckArgs) -> ExitCode {
    let runtime = Runtime::new(flowgate_nodes::registry(), settings_for(&args.flow));
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let _guard = tokio.enter();
    match runtime.check_file(&args.flow.flows) {
        Ok(summary) => {
            println!(
                "{}: valid ({} nodes, {} endpoints)",
                args.flow.flows.display(),
                summary.0,
                summary.1
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            report(&e);
            ExitCode::from(1)
        }
    }
}

fn run(args: RunArgs) -> ExitCode {
    let settings = Settings {
        http_timeout: Duration::from_secs_f64(args.http_timeout.max(0.001)),
        max_body_bytes: args.max_body,
        function_timeout: Duration::from_secs_f64(args.function_timeout.max(0.001)),
        ..settings_for(&args.flow)
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .max(2);
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("tokio runtime");
    tokio.block_on(async move {
        let runtime = Runtime::new(flowgate_nodes::registry(), settings);
        let flows = match runtime.load_file(&args.flow.flows) {
            Ok(f) => f,
            Err(e) => {
                report(&e);
                return ExitCode::from(1);
            }
        };
        let addr = format!("{}:{}", args.host, args.port);
        let listener = match tokio::net::TcpListener::bind(&addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("flowgate: cannot listen on {addr}: {e}");
                return ExitCode::from(1);
            }
        };
        let local: SocketAddr = listener.local_addr().expect("bound address");
        println!(
            "flowgate: {} nodes, {} endpoints, listening on http://{local}",
            flows.node_count(),
            flows.routes().len()
        );
        // Stand-in for the admin CLI options (h-admin): the admin API and the
        // token console at the default root, the editor beside them.
        let admin = flowgate_runtime::admin::AdminOptions::default();
        let console = flowgate_nodes::jwt::console_router(Arc::clone(&runtime));
        let router = flowgate_runtime::http::flow_router(Arc::clone(&runtime))
            .merge(flowgate_runtime::admin::router(
                Arc::clone(&runtime),
                admin.clone(),
                console,
            ))
            .merge(crate::editor::router(&admin.normalized_root()));
        let grace = Duration::from_secs(args.shutdown_grace);
        let result = flowgate_runtime::http::serve(listener, router, grace).await;
        runtime.stop();
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("flowgate: server error: {e}");
                ExitCode::from(1)
            }
        }
    })
}

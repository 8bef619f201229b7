//! The command line: `run` serves a flow, `check` validates one.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use std::net::IpAddr;

use clap::{Args, Parser, Subcommand};
use flowgate_runtime::admin;
use flowgate_runtime::app::AppOptions;
use flowgate_runtime::cluster::{Cluster, ClusterError};
use flowgate_runtime::context::{ContextStores, StoreSpec};
use flowgate_runtime::credentials::CredentialKey;
use flowgate_runtime::error::LoadError;
use flowgate_runtime::server::ServerLimits;
use flowgate_runtime::service::{Runtime, StartError};
use flowgate_runtime::settings::Settings;
use flowgate_runtime::Registry;

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
    Run(Box<RunArgs>),
    /// Validate a flow file and print every problem found.
    Check(CheckArgs),
    /// Print a JWT signed by one of a flow's jwt-config nodes.
    Token(crate::token_cmd::TokenArgs),
    /// Print a new key pair (PEM) or secret for a JWT algorithm.
    Keygen(crate::token_cmd::KeygenArgs),
}

#[derive(Args)]
struct FlowArgs {
    /// The flow file: an exported Node-RED/Ignite flow (array or {"rev","flows"}).
    flows: PathBuf,
    /// Credentials file (default: <flows>_cred.json beside the flow file).
    #[arg(long, env = "FLOWGATE_CREDENTIALS")]
    credentials: Option<PathBuf>,
    /// Let `exec` nodes run commands on this host (off: a flow with an
    /// `exec` node is refused, naming the node and this flag).
    #[arg(long)]
    allow_exec: bool,
    /// Confine the storage nodes (`file`, `file in`, `watch`) to this
    /// directory: a path resolving outside it (after `..` and symlinks) is a
    /// catchable error. Without it they reach any path flowgate may open.
    #[arg(long, value_name = "DIR", env = "FLOWGATE_FILE_ROOT")]
    file_root: Option<PathBuf>,
    /// Largest file a `file in` node reads into one message (a single
    /// string or buffer), in bytes; line and chunk output are not limited.
    #[arg(long, default_value_t = flowgate_runtime::settings::DEFAULT_MAX_FILE_BYTES)]
    max_file_bytes: u64,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    flow: FlowArgs,
    #[command(flatten)]
    admin: AdminPlacement,
    /// Treat every warning (such as a wire to a node that is not in the
    /// flow) as an error: exit 1 when there is one.
    #[arg(long)]
    strict: bool,
}

/// Where the admin API lives (flows' endpoints may not collide with it).
#[derive(Args)]
struct AdminPlacement {
    /// Path the admin API (Node-RED's /flows, /nodes, /settings, /comms...) is served under.
    #[arg(long, default_value = "/", env = "FLOWGATE_ADMIN_ROOT")]
    admin_root: String,
    /// Serve no admin API at all.
    #[arg(long)]
    no_admin: bool,
}

impl AdminPlacement {
    fn options(&self, token: Option<String>) -> Option<admin::AdminOptions> {
        (!self.no_admin).then(|| admin::AdminOptions {
            root: admin::normalize_root(&self.admin_root),
            token,
            examples: crate::examples::EXAMPLES,
            ..admin::AdminOptions::default()
        })
    }
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
    /// Bytes one function node run may allocate before it is stopped.
    #[arg(long, default_value_t = 256 * 1024 * 1024)]
    function_max_memory: usize,
    /// Most hops (one node handling one message) a message tree may make in
    /// one dispatch; the next one fails with a catchable error naming the
    /// loop it spins in.
    #[arg(long, default_value_t = flowgate_runtime::settings::DEFAULT_MAX_HOPS,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_hops: u64,
    /// Messages a join, sort or batch node may hold waiting for the rest of
    /// a group (0: unlimited); beyond it the node drops what it holds and
    /// reports "too many pending messages".
    #[arg(long, default_value_t = 100_000)]
    max_pending_messages: usize,
    /// Seconds in-flight requests get to finish after SIGINT/SIGTERM.
    #[arg(long, default_value_t = 10)]
    shutdown_grace: u64,
    /// Seconds a client has to send its complete request headers.
    #[arg(long, default_value_t = 10.0)]
    header_timeout: f64,
    /// Largest request head (request line + headers) in bytes, exactly: a
    /// head of this size is served, a longer one gets 431.
    #[arg(long, default_value_t = 64 * 1024)]
    max_header_bytes: usize,
    /// Most connections served at once.
    #[arg(long, default_value_t = 10_000)]
    max_connections: usize,
    /// Seconds a client has to send a complete request body, counted from
    /// the first time the server waits for body bytes; 408 beyond.
    #[arg(long, default_value_t = 60.0)]
    body_timeout: f64,
    /// Slowest accepted request body, in bytes per second, measured over 5 s
    /// windows after a 5 s grace (a window may instead bring the rest of the
    /// body); 408 below it. 0 turns the rule off.
    #[arg(long, default_value_t = 1024)]
    min_body_rate: u64,
    /// Most connections one client address (IPv6: its /64) may have waiting
    /// on it with an unfinished request head or body; beyond it the address's
    /// longest-waiting connection is closed. Requests that arrive whole, idle
    /// keep-alive connections and requests being answered do not count.
    /// Default: a tenth of --max-connections (at least 1).
    #[arg(long)]
    max_waiting_per_client: Option<usize>,
    #[command(flatten)]
    admin: AdminPlacement,
    /// Bearer token every admin API request must carry (prefer the
    /// environment variable: command lines are visible to other users).
    #[arg(long, env = "FLOWGATE_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Serve the admin API without a token on a non-loopback address.
    #[arg(long)]
    insecure_admin: bool,
    /// Let an admin API without a token answer requests for any Host name,
    /// not only localhost and IP addresses (exposes it to DNS rebinding).
    #[arg(long)]
    admin_any_host: bool,
    /// Answer `/health`, `/ready` and `/metrics` without the admin token
    /// (for probes and a Prometheus scraper inside a cluster).
    #[arg(long)]
    metrics_public: bool,
    /// A named context store, Node-RED's `contextStorage` (repeat for
    /// more): NAME=memory, NAME=localfilesystem[?flushInterval=SECS&dir=DIR]
    /// (files under the flows file's directory unless dir= is given) or
    /// NAME=redis://HOST:PORT/DB[?prefix=P]. The store named `default`, else
    /// the first, is the default. Without any: one `memory` store.
    #[arg(long = "context", value_name = "NAME=SPEC", env = "FLOWGATE_CONTEXT",
          value_delimiter = ',', value_parser = StoreSpec::parse)]
    context: Vec<StoreSpec>,
    /// Run as one replica of a cluster sharing this Redis
    /// (`redis://[:password@]host:port/db`, `rediss://` for TLS): flows,
    /// credentials and deploys are shared, timers fire on one replica.
    /// Needs FLOWGATE_CREDENTIAL_SECRET, the same on every replica.
    #[arg(
        long,
        value_name = "URL",
        env = "FLOWGATE_CLUSTER",
        hide_env_values = true
    )]
    cluster: Option<String>,
    /// This replica's name in the cluster (in logs and relayed debug
    /// messages). Default: the host name and process id.
    #[arg(long, env = "FLOWGATE_REPLICA_NAME")]
    replica_name: Option<String>,
}

impl Cli {
    pub fn run(self) -> ExitCode {
        init_tracing();
        match self.command {
            Command::Check(args) => check(args),
            Command::Run(args) => run(*args),
            Command::Token(args) => print_result(crate::token_cmd::token(args).map(|t| t + "\n")),
            Command::Keygen(args) => print_result(crate::token_cmd::keygen(args)),
        }
    }
}

fn print_result(result: anyhow::Result<String>) -> ExitCode {
    match result {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("flowgate: {e:#}");
            ExitCode::from(1)
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

/// Stack size of the tokio worker and blocking-pool threads.
const WORKER_STACK_BYTES: usize = 8 * 1024 * 1024;

/// The environment variable holding the credentials file's secret.
const CREDENTIAL_SECRET_ENV: &str = "FLOWGATE_CREDENTIAL_SECRET";

/// The key encrypting the credentials file, from `FLOWGATE_CREDENTIAL_SECRET`.
pub fn credential_key_from_env() -> Option<CredentialKey> {
    std::env::var(CREDENTIAL_SECRET_ENV)
        .ok()
        .filter(|s| !s.is_empty())
        .map(|s| CredentialKey::from_secret(&s))
}

/// What is served beside the flows: the admin API (if any) with the editor.
fn app_options(admin: Option<admin::AdminOptions>) -> AppOptions {
    AppOptions {
        admin,
        site: Some(crate::editor::site()),
    }
}

impl FlowArgs {
    /// `--file-root` must name a directory: a typo would otherwise only
    /// show as every storage node failing.
    fn check_file_root(&self) -> Result<(), String> {
        match &self.file_root {
            Some(root) if !root.is_dir() => {
                Err(format!("--file-root {}: not a directory", root.display()))
            }
            _ => Ok(()),
        }
    }
}

fn settings_for(flow: &FlowArgs, app: &AppOptions, registry: &Registry) -> Settings {
    Settings {
        flows_path: Some(flow.flows.clone()),
        credentials_path: flow.credentials.clone(),
        credential_key: credential_key_from_env(),
        reserved_paths: app.reserved_paths(registry),
        allow_exec: flow.allow_exec,
        file_root: flow.file_root.clone(),
        max_file_bytes: flow.max_file_bytes,
        ..Settings::default()
    }
}

/// The cluster this replica joins (`--cluster`), or why it cannot.
fn cluster_for_run(args: &RunArgs) -> Result<Option<Arc<Cluster>>, String> {
    let Some(url) = args.cluster.as_deref().map(str::trim) else {
        return Ok(None);
    };
    if credential_key_from_env().is_none() {
        return Err(ClusterError::NoSecret.to_string());
    }
    let replica = args
        .replica_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(default_replica_name);
    Cluster::new(url, replica)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// `<host name>-<process id>`: unique among replicas on one host and
/// across hosts (a container's host name is its pod's name).
fn default_replica_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "flowgate".into());
    format!("{host}-{}", std::process::id())
}

/// `1 endpoint`, `2 endpoints`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn is_loopback_host(host: &str) -> bool {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The admin API's options for `run`, or why it must not start.
fn admin_for_run(args: &RunArgs) -> Result<Option<admin::AdminOptions>, String> {
    if args.admin.no_admin {
        return Ok(None);
    }
    let token = match args.admin_token.as_deref().map(str::trim) {
        Some("") => {
            return Err("--admin-token / FLOWGATE_ADMIN_TOKEN is set but empty".into());
        }
        Some(t) => Some(t.to_owned()),
        None => None,
    };
    if let Some(t) = &token {
        if t.len() < 16 {
            tracing::warn!(
                "the admin token is short ({} characters); use at least 16 random characters",
                t.len()
            );
        }
    } else if !is_loopback_host(&args.host) && !args.insecure_admin {
        return Err(format!(
            "refusing to serve the admin API on {} without a token: anyone who can reach \
             that address could deploy flows. Set --admin-token (or FLOWGATE_ADMIN_TOKEN), \
             listen on 127.0.0.1, pass --no-admin, or pass --insecure-admin to accept the risk",
            args.host
        ));
    }
    warn_about_risky_flags(args, token.is_some());
    Ok(args.admin.options(token).map(|o| admin::AdminOptions {
        allow_any_host: args.admin_any_host,
        metrics_public: args.metrics_public,
        ..o
    }))
}

/// Say at start what `--insecure-admin` and `--admin-any-host` expose, so
/// a flag left in a service file does not go unnoticed.
fn warn_about_risky_flags(args: &RunArgs, has_token: bool) {
    if args.insecure_admin {
        if has_token {
            tracing::warn!("--insecure-admin has no effect: an admin token is set");
        } else {
            tracing::warn!(
                host = %args.host,
                "--insecure-admin: the admin API needs no token; anyone who can reach {} \
                 can read and deploy flows",
                args.host
            );
        }
    }
    if args.admin_any_host {
        if has_token {
            tracing::warn!("--admin-any-host has no effect: an admin token is set");
        } else {
            tracing::warn!(
                "--admin-any-host: the admin API answers requests for any Host name; a web \
                 page your browser visits can reach it through DNS rebinding and deploy flows"
            );
        }
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
    if let Err(e) = args.flow.check_file_root() {
        eprintln!("flowgate: {e}");
        return ExitCode::from(2);
    }
    let app = app_options(args.admin.options(None));
    let registry = flowgate_nodes::registry();
    let settings = Settings {
        validate_only: true,
        ..settings_for(&args.flow, &app, &registry)
    };
    let runtime = Runtime::new(registry, settings);
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let _guard = tokio.enter();
    let flows = match runtime.check_file(&args.flow.flows) {
        Ok(flows) => flows,
        Err(e) => {
            report(&e);
            return ExitCode::from(1);
        }
    };
    for l in flows.loops() {
        println!("info: the wiring loops through nodes {}", l.join(", "));
    }
    let warnings = flows.warnings();
    if args.strict && !warnings.is_empty() {
        eprintln!(
            "flowgate: {}: {} (--strict):",
            args.flow.flows.display(),
            count(warnings.len(), "warning")
        );
        for w in warnings {
            eprintln!("  - {w}");
        }
        return ExitCode::from(1);
    }
    for w in warnings {
        println!("warning: {w}");
    }
    println!(
        "{}: valid ({}, {})",
        args.flow.flows.display(),
        count(flows.node_count(), "node"),
        count(flows.routes().len(), "endpoint")
    );
    ExitCode::SUCCESS
}

fn run(args: RunArgs) -> ExitCode {
    if let Err(e) = args.flow.check_file_root() {
        eprintln!("flowgate: {e}");
        return ExitCode::from(2);
    }
    let admin = match admin_for_run(&args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("flowgate: {e}");
            return ExitCode::from(2);
        }
    };
    let cluster = match cluster_for_run(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("flowgate: {e}");
            return ExitCode::from(2);
        }
    };
    let app = app_options(admin);
    let registry = flowgate_nodes::registry();
    let settings = Settings {
        timer_gate: cluster.as_ref().map(|c| c.timer_gate()),
        http_timeout: Duration::from_secs_f64(args.http_timeout.max(0.001)),
        max_body_bytes: args.max_body,
        function_timeout: Duration::from_secs_f64(args.function_timeout.max(0.001)),
        function_max_memory: args.function_max_memory,
        max_hops: args.max_hops,
        max_pending_messages: args.max_pending_messages,
        context_stores: match ContextStores::open(&args.context, args.flow.flows.parent()) {
            Ok(stores) => Arc::new(stores),
            Err(e) => {
                eprintln!("flowgate: {e}");
                return ExitCode::from(2);
            }
        },
        ..settings_for(&args.flow, &app, &registry)
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .max(2);
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        // Function node scripts run on these threads; deeply nested (but
        // accepted) expressions recurse in Rhai's evaluator.
        .thread_stack_size(WORKER_STACK_BYTES)
        .enable_all()
        .build()
        .expect("tokio runtime");
    tokio.block_on(async move {
        let runtime = Runtime::with_cluster(registry, settings, cluster);
        let started = match runtime.cluster() {
            Some(_) => runtime.start_clustered(&args.flow.flows).await,
            None => runtime.load_file(&args.flow.flows),
        };
        let flows = match started {
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
            "flowgate: {}, {}, listening on http://{local}",
            count(flows.node_count(), "node"),
            count(flows.routes().len(), "endpoint")
        );
        if let Some(options) = &app.admin {
            println!(
                "flowgate: admin API at {}{}",
                options.normalized_root(),
                if options.token.is_some() {
                    " (bearer token required)"
                } else {
                    ""
                }
            );
        }
        if runtime.cluster().is_some() && app.admin.is_none() {
            admin::follow_cluster(Arc::clone(&runtime));
        }
        let app = flowgate_runtime::app::App::new(Arc::clone(&runtime), app);
        let limits = ServerLimits {
            header_read_timeout: Duration::from_secs_f64(args.header_timeout.max(0.001)),
            max_header_bytes: args.max_header_bytes,
            max_connections: args.max_connections,
            body: flowgate_runtime::server::BodyRules {
                timeout: Duration::from_secs_f64(args.body_timeout.max(0.001)),
                min_rate: args.min_body_rate,
            },
            max_waiting_per_client: args.max_waiting_per_client,
            shutdown_grace: Duration::from_secs(args.shutdown_grace),
            ..ServerLimits::default()
        };
        let result = flowgate_runtime::server::serve(
            listener,
            app,
            limits,
            flowgate_runtime::server::shutdown_signal(),
        )
        .await;
        runtime.shutdown().await;
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("flowgate: server error: {e}");
                ExitCode::from(1)
            }
        }
    })
}

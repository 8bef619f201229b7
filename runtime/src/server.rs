//! The connection layer: accepts TCP connections and serves them with hyper
//! over HTTP/1.1 (what Node-RED's Express server speaks; no HTTP/2 preface
//! sniffing per connection), with the limits a public token service needs
//! (slow heads and bodies cut off, head sizes capped exactly, connections
//! bounded in number and per client address while they wait on their
//! client) and a bounded graceful shutdown.

mod body;
mod budget;
mod service;

use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::app::App;

pub use body::{read_limited, BodyReadError, BodyRules, BodyTimeout, RATE_WINDOW};
use budget::{ConnState, ReadingBudget, WatchedStream};

/// Connection limits, each a command-line flag (see SECURITY.md).
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// A client must send its complete request head within this time
    /// (slowloris protection); others keep being served meanwhile.
    pub header_read_timeout: Duration,
    /// Largest request head in bytes (exact); beyond it the answer is 431.
    pub max_header_bytes: usize,
    /// Most header lines in one request; beyond it the answer is 431.
    pub max_headers: usize,
    /// Most connections open at once; further clients wait to be accepted.
    pub max_connections: usize,
    /// How fast request bodies must arrive; slower ones are answered 408.
    pub body: BodyRules,
    /// Most connections one client address may have waiting on it (a head
    /// or body not yet complete); `None` is a tenth of `max_connections`.
    pub max_waiting_per_client: Option<usize>,
    /// How long in-flight requests get to finish after SIGINT/SIGTERM.
    pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 64 * 1024,
            max_headers: 100,
            max_connections: 10_000,
            body: BodyRules {
                timeout: Duration::from_secs(60),
                min_rate: 1024,
            },
            max_waiting_per_client: None,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl ServerLimits {
    /// The waiting-connection budget of one client address: the configured
    /// one, else a tenth of the connection limit, and at least 1.
    pub fn waiting_per_client(&self) -> usize {
        self.max_waiting_per_client
            .unwrap_or(self.max_connections / 10)
            .max(1)
    }
}

/// Serve `app` until SIGINT/SIGTERM (or `stop` resolves), then stop
/// accepting and let open connections finish for at most the grace period.
pub async fn serve(
    listener: TcpListener,
    app: App,
    limits: ServerLimits,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .max_headers(limits.max_headers);
    let builder = Arc::new(builder);
    // Every connection task holds a receiver: `true` asks it to finish its
    // in-flight request and close, and the sender's `closed()` resolves once
    // every connection has gone.
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let budget = ReadingBudget::new(limits.waiting_per_client());
    let rules = limits.body;
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.expect("semaphore never closes"),
            _ = &mut stop => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep going.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let state = ConnState::accepted(peer, Arc::clone(&budget));
        let io = TokioIo::new(WatchedStream::new(stream, Arc::clone(&state)));
        // A copy of its own per connection: a request's reference to it then
        // counts on the connection's cache line, not on one every worker
        // thread shares.
        let app = Arc::new(app.clone());
        let request_state = Arc::clone(&state);
        let service = hyper::service::service_fn(move |req| {
            service::handle(
                Arc::clone(&app),
                Arc::clone(&request_state),
                rules,
                peer,
                req,
            )
        });
        let conn = builder.serve_connection(io, service).with_upgrades();
        let mut shutdown = shutdown_rx.clone();
        tokio::spawn(async move {
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                // Its address has too many connections waiting: drop it.
                _ = state.evicted() => {}
                _ = async { shutdown.wait_for(|stop| *stop).await.map(|_| ()) } => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    drop(shutdown_rx);
    tracing::info!("shutting down: finishing in-flight requests");
    let _ = shutdown_tx.send(true);
    tokio::select! {
        _ = shutdown_tx.closed() => {}
        _ = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!(
                "in-flight requests did not finish within {} s",
                limits.shutdown_grace.as_secs_f64()
            );
        }
    }
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

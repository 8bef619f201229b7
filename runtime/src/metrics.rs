//! Prometheus metrics for `GET /metrics`, through the `metrics` facade and
//! its Prometheus exporter.
//!
//! The recorder is process-wide (the facade's rule): [`init`] installs it
//! once, before the first flows load, so handles created at load time (one
//! message counter per node) record from the start. Label values come from
//! the flow's own configuration (node types, `http in` paths), never from
//! request data, so a client cannot grow the number of series.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use parking_lot::Mutex;

use metrics::{counter, gauge, histogram, Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests answered by the flows, by endpoint, method and status.
const HTTP_REQUESTS: &str = "flowgate_http_requests_total";
/// How long the flows took to answer, by endpoint.
const HTTP_DURATION: &str = "flowgate_http_request_duration_seconds";
/// Messages handled, by node type.
const MESSAGES: &str = "flowgate_messages_total";
/// Errors raised by nodes, by node type.
const NODE_ERRORS: &str = "flowgate_node_errors_total";
/// Deploys through the admin API, by outcome.
const DEPLOYS: &str = "flowgate_deploys_total";
/// Nodes in the running deployment.
const NODES: &str = "flowgate_flow_nodes";
/// Context store operations, by store and operation.
const CONTEXT: &str = "flowgate_context_seconds";
/// 1 while this replica fires the cluster's once-only timers, else 0.
const CLUSTER_LEADER: &str = "flowgate_cluster_leader";

/// Latency buckets in seconds: a token endpoint answers in well under a
/// millisecond, a flow calling out to another service in hundreds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Context operations: a memory store answers in microseconds, a Redis
/// store in a loopback round trip or more.
const CONTEXT_BUCKETS: &[f64] = &[
    0.000001, 0.00001, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Install the Prometheus recorder (once per process; later calls return
/// the same handle). If another recorder was installed first (an embedding
/// program's), `/metrics` renders this process's own empty registry rather
/// than failing.
pub fn init() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), LATENCY_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full(CONTEXT.into()), CONTEXT_BUCKETS))
            .expect("bucket lists are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed: /metrics stays empty");
        }
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_counter!(HTTP_REQUESTS, "Requests answered by the flows' endpoints");
    metrics::describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "Time the flows took to answer a request"
    );
    metrics::describe_counter!(MESSAGES, "Messages handled, by node type");
    metrics::describe_counter!(NODE_ERRORS, "Errors raised by nodes, by node type");
    metrics::describe_counter!(DEPLOYS, "Deploys through the admin API, by outcome");
    metrics::describe_gauge!(NODES, "Nodes in the running deployment");
    metrics::describe_histogram!(
        CONTEXT,
        metrics::Unit::Seconds,
        "Context store operations, by store and operation"
    );
    metrics::describe_gauge!(
        CLUSTER_LEADER,
        "1 while this cluster replica holds the timer lease, else 0"
    );
}

/// Prometheus's text exposition of everything recorded so far.
pub fn render() -> String {
    let handle = init();
    flush_tallies();
    handle.render()
}

/// The message tally of one node: created at load time, so the dispatch
/// loop pays one uncontended atomic add per message.
pub fn messages_of(node_type: &str) -> Arc<Tally> {
    Tally::new(counter!(MESSAGES, "type" => node_type.to_owned()))
}

/// Cells per [`Tally`]: threads beyond this many share cells.
const TALLY_CELLS: usize = 8;

/// One cell on a cache line of its own.
#[repr(align(64))]
#[derive(Default)]
struct Cell(AtomicU64);

/// A counter for the request path. Every node of a type counts into the
/// same Prometheus series, and every worker thread into the same node:
/// a shared atomic there moves its cache line between cores on every
/// message (the exporter's counters also bump a generation beside the
/// value). A tally gives each thread a cell of its own and hands the sum to
/// its series when `/metrics` is rendered, and when it is dropped (a
/// redeploy), so the series loses nothing.
pub struct Tally {
    cells: [Cell; TALLY_CELLS],
    /// What the series has been given so far.
    flushed: AtomicU64,
    series: Counter,
}

/// The live tallies, for [`render`].
static TALLIES: Mutex<Vec<Weak<Tally>>> = Mutex::new(Vec::new());

impl Tally {
    /// A tally feeding `series`, flushed by [`render`] while it lives.
    pub fn new(series: Counter) -> Arc<Tally> {
        let tally = Arc::new(Tally {
            cells: Default::default(),
            flushed: AtomicU64::new(0),
            series,
        });
        let mut all = TALLIES.lock();
        if all.len() == all.capacity() {
            // Forget the dropped ones where the list would grow anyway.
            all.retain(|t| t.strong_count() > 0);
        }
        all.push(Arc::downgrade(&tally));
        tally
    }

    /// Count one more.
    pub fn increment(&self) {
        thread_local! {
            static CELL: usize = {
                static NEXT: AtomicUsize = AtomicUsize::new(0);
                NEXT.fetch_add(1, Ordering::Relaxed) % TALLY_CELLS
            };
        }
        let cell = CELL.with(|c| *c);
        self.cells[cell].0.fetch_add(1, Ordering::Relaxed);
    }

    /// Give the series what it has not had yet. Flushes may race (a render
    /// beside a drop): each gives only what takes `flushed` higher.
    fn flush(&self) {
        let total: u64 = self.cells.iter().map(|c| c.0.load(Ordering::Relaxed)).sum();
        let before = self.flushed.fetch_max(total, Ordering::AcqRel);
        if total > before {
            self.series.increment(total - before);
        }
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        self.flush();
    }
}

fn flush_tallies() {
    let live: Vec<Arc<Tally>> = TALLIES.lock().iter().filter_map(Weak::upgrade).collect();
    for tally in live {
        tally.flush();
    }
}

/// A node raised an error.
pub fn node_error(node_type: &str) {
    counter!(NODE_ERRORS, "type" => node_type.to_owned()).increment(1);
}

/// One `http in` endpoint's series, created when the flows load: answering
/// a request then costs a tally's add and a histogram sample for the usual
/// 200, and a registry lookup only for other statuses.
pub struct EndpointMetrics {
    endpoint: String,
    method: String,
    latency: Histogram,
    ok: Arc<Tally>,
}

impl EndpointMetrics {
    /// The series of the endpoint serving `method` (lower case, or `all`)
    /// at `path` as the node configures it.
    pub fn new(path: &str, method: &str) -> Self {
        let method = method.to_ascii_uppercase();
        EndpointMetrics {
            latency: histogram!(HTTP_DURATION, "endpoint" => path.to_owned()),
            ok: Tally::new(request_counter(path, &method, 200)),
            endpoint: path.to_owned(),
            method,
        }
    }

    /// The endpoint answered `status` after `took`.
    pub fn record(&self, status: u16, took: Duration) {
        if status == 200 {
            self.ok.increment();
        } else {
            request_counter(&self.endpoint, &self.method, status).increment(1);
        }
        self.latency.record(took.as_secs_f64());
    }
}

impl std::fmt::Debug for EndpointMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointMetrics")
            .field("endpoint", &self.endpoint)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

fn request_counter(endpoint: &str, method: &str, status: u16) -> Counter {
    counter!(
        HTTP_REQUESTS,
        "endpoint" => endpoint.to_owned(),
        "method" => method.to_owned(),
        "status" => status.to_string()
    )
}

/// A request no endpoint serves was answered (404, or 400 for a path that
/// does not decode).
pub fn unmatched_request(status: u16) {
    request_counter("(unmatched)", "", status).increment(1);
}

/// A deploy finished: `ok` or `refused`.
pub fn deploy(outcome: &'static str) {
    counter!(DEPLOYS, "outcome" => outcome).increment(1);
}

/// The running deployment changed.
pub fn deployed(node_count: usize) {
    gauge!(NODES).set(node_count as f64);
}

/// This cluster replica took (`true`) or lost the timer lease.
pub fn cluster_leader(leading: bool) {
    gauge!(CLUSTER_LEADER).set(if leading { 1.0 } else { 0.0 });
}

/// The latency series of one context store operation (`get`, `set`,
/// `update`, `keys`), created with the store: stores are configured before
/// the runtime exists, so this installs the recorder first.
pub fn context_op(store: &str, op: &'static str) -> Histogram {
    init();
    histogram!(CONTEXT, "store" => store.to_owned(), "op" => op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_hands_every_count_to_its_series() {
        let value = Arc::new(AtomicU64::new(0));
        let tally = Tally::new(Counter::from_arc(Arc::clone(&value)));
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..1000).for_each(|_| tally.increment()));
            }
        });
        assert_eq!(value.load(Ordering::Relaxed), 0, "not flushed yet");
        flush_tallies();
        assert_eq!(value.load(Ordering::Relaxed), 4000);
        flush_tallies();
        assert_eq!(value.load(Ordering::Relaxed), 4000, "given once");
        tally.increment();
        tally.increment();
        drop(tally);
        assert_eq!(value.load(Ordering::Relaxed), 4002, "flushed when dropped");
    }
}

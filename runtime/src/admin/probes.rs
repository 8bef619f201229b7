//! `GET /health`, `GET /ready` and `GET /metrics`: what a load balancer, an
//! orchestrator's probes and a Prometheus scraper ask a replica.
//!
//! They are admin-side: behind the admin token unless the admin options make
//! them public (`--metrics-public`, for an in-cluster scraper and probes
//! that carry no token). A flow that serves one of these paths itself keeps
//! it, as it did on Node-RED, which has none of them.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http::{header, StatusCode};
use serde_json::json;

use super::Admin;

/// The probe routes, relative to the admin root.
pub(super) fn router(admin: Arc<Admin>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .with_state(admin)
}

/// The process is alive and answering.
async fn health() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// Ready for traffic: flows are deployed and running and, in a cluster,
/// the cluster's Redis is reachable. Stopped flows (`POST /flows/state`)
/// answer nothing, so the replica is not ready. A replica that lost Redis
/// still serves its last good flows; answering 503 lets an orchestrator
/// hold a rollout back, while a load balancer may keep sending it traffic
/// as long as `/health` answers.
async fn ready(State(admin): State<Arc<Admin>>) -> Response {
    let flows = admin.runtime.current();
    let cluster_lost = admin.runtime.cluster().and_then(|c| c.unavailable());
    let not_ready = if admin.stopped.load(Ordering::Acquire) {
        Some("flows are stopped (POST /flows/state to start them)".to_owned())
    } else if !flows.is_running() {
        Some("no flows are running".to_owned())
    } else {
        cluster_lost
    };
    match not_ready {
        None => Json(json!({ "status": "ready", "rev": flows.rev })).into_response(),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not ready", "reason": reason })),
        )
            .into_response(),
    }
}

/// Prometheus's text exposition format.
async fn metrics() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(),
    )
        .into_response()
}

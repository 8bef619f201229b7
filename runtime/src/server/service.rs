//! What every request passes through before it is routed: HTTP/1.1's Host
//! rule, the time limit on its body, and its connection's waiting state.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::response::Response;
use http::{header, HeaderValue, Request, StatusCode, Version};
use hyper::body::{Body, Incoming};

use super::body::{BodyRules, TimedBody};
use super::budget::{ConnState, Phase};
use crate::app::App;
use crate::error_body::flow_error;

/// Serve one request of a connection with `app`.
pub(crate) fn handle(
    app: Arc<App>,
    conn: Arc<ConnState>,
    rules: BodyRules,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> impl Future<Output = Result<Response, Infallible>> + Send {
    // Set before the future runs: hyper reads on as soon as it has handed
    // the request over.
    let problem = host_problem(&req);
    conn.set_phase(if problem.is_none() && !req.body().is_end_stream() {
        Phase::Body
    } else {
        Phase::Serving
    });
    async move {
        let response = match problem {
            Some(problem) => closing(flow_error(StatusCode::BAD_REQUEST, problem)),
            None => route(app, &conn, rules, peer, req).await,
        };
        conn.set_phase(if response.status() == StatusCode::SWITCHING_PROTOCOLS {
            Phase::Upgraded
        } else {
            Phase::Idle
        });
        Ok(response)
    }
}

async fn route(
    app: Arc<App>,
    conn: &Arc<ConnState>,
    rules: BodyRules,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::Body::new(TimedBody::new(body, rules, Arc::clone(conn)));
    let response = app.serve(Request::from_parts(parts, body), peer).await;
    match conn.take_body_timeout() {
        None => response,
        // The route answered the timeout in its own error shape.
        Some(_) if response.status() == StatusCode::REQUEST_TIMEOUT => closing(response),
        Some(why) => closing(flow_error(StatusCode::REQUEST_TIMEOUT, why.to_string())),
    }
}

/// RFC 9112 §3.2: an HTTP/1.1 request without a Host header, and any
/// request with more than one, is answered 400. HTTP/1.0 predates Host.
fn host_problem<B>(req: &Request<B>) -> Option<&'static str> {
    let mut hosts = req.headers().get_all(header::HOST).iter();
    match (hosts.next(), hosts.next()) {
        (Some(_), Some(_)) => Some("more than one Host header"),
        (None, _) if req.version() == Version::HTTP_11 => {
            Some("an HTTP/1.1 request must carry a Host header")
        }
        _ => None,
    }
}

/// `response`, closing the connection after it: what is left of the
/// request on the wire cannot be trusted to frame the next one.
fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

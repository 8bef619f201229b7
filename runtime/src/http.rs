//! Flows' `http in` endpoints: a request is looked up in the current
//! deployment's route table (so deploys take effect at once), turned into a
//! message, and answered by the flow. [`crate::app`] puts the admin API and
//! the node types' routes in front of them.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use axum::Router;
use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use serde_json::{Map, Value};
use tokio::sync::oneshot;

use crate::engine::Flows;
use crate::error_body::flow_error;
use crate::exchange::{Exchange, Reply};
use crate::message::Message;
use crate::request::{self, RequestParts};
use crate::routes::{Endpoint, Lookup};
use crate::server::BodyReadError;
use crate::service::Runtime;

/// A router serving only the flows' endpoints (as its fallback); the
/// runtime's whole router is [`crate::app::app`].
pub fn flow_router(runtime: Arc<Runtime>) -> Router {
    Router::new().fallback(flow_request).with_state(runtime)
}

/// The largest body decoded on the worker that received it. Parsing (and
/// copying into `msg.req.body`) takes milliseconds per megabyte, during
/// which a worker would serve no other request.
const DECODE_ON_WORKER_MAX: usize = 256 * 1024;

/// Run `work` on this thread with the tokio worker's other tasks handed to
/// another thread meanwhile (on a multi-threaded runtime; inline otherwise).
fn off_worker<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

/// Handle one request to a flow endpoint.
pub async fn flow_request(State(runtime): State<Arc<Runtime>>, req: Request) -> Response {
    let remote = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    match serve_found(&runtime, req, remote).await {
        Ok(response) => response,
        Err((req, why)) => {
            let response = match why {
                NotServed::BadParam(e) => flow_error(StatusCode::BAD_REQUEST, e),
                NotServed::Options(allow) => options_answer(allow),
                NotServed::NotFound => not_found(req.method().as_str(), req.uri().path()),
            };
            crate::metrics::unmatched_request(response.status().as_u16());
            response
        }
    }
}

/// Why no flow endpoint took a request.
pub(crate) enum NotServed {
    /// A parameter is not valid percent-encoded UTF-8 (Express answers 400).
    BadParam(String),
    /// `OPTIONS` for a path served for these other methods.
    Options(String),
    /// No endpoint serves this method and path.
    NotFound,
}

/// Answer `req` if a flow endpoint serves its method and path, recording
/// the answer in the endpoint's metrics; hand it back, untouched, with the
/// reason otherwise. `remote` is the client's address.
pub(crate) async fn serve_found(
    runtime: &Runtime,
    req: Request,
    remote: Option<IpAddr>,
) -> Result<Response, (Request, NotServed)> {
    let started = std::time::Instant::now();
    let flows = runtime.current();
    let (endpoint, params) = match flows
        .routes()
        .lookup(req.method().as_str(), req.uri().path())
    {
        Lookup::Found { endpoint, params } => (endpoint, params),
        Lookup::BadParam(e) => return Err((req, NotServed::BadParam(e))),
        Lookup::Options(allow) => return Err((req, NotServed::Options(allow))),
        Lookup::NotFound => return Err((req, NotServed::NotFound)),
    };
    let (metrics, node) = (Arc::clone(&endpoint.metrics), endpoint.node);
    let response = match message(&flows, endpoint, params, req, remote).await {
        Ok((msg, reply_rx)) => run(flows, node, msg, reply_rx).await,
        Err(response) => response,
    };
    metrics.record(response.status().as_u16(), started.elapsed());
    Ok(response)
}

/// The message `req` makes at `endpoint`, and the receiver of its answer;
/// or the answer when its body cannot be read or decoded.
async fn message(
    flows: &Flows,
    endpoint: &Endpoint,
    params: Vec<(String, String)>,
    req: Request,
    remote: Option<IpAddr>,
) -> Result<(Message, oneshot::Receiver<Reply>), Response> {
    let params: Map<String, Value> = params
        .into_iter()
        .map(|(name, value)| (name, Value::String(value)))
        .collect();
    let remote_ip = remote.map(request::ip_text);
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    let limit = flows.settings.max_body_bytes;
    let bytes = match crate::server::read_limited(body, limit).await {
        Ok(b) => b,
        Err(e) => {
            let status = match e {
                BodyReadError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                BodyReadError::TimedOut(_) => StatusCode::REQUEST_TIMEOUT,
                BodyReadError::Broken(_) => StatusCode::BAD_REQUEST,
            };
            return Err(flow_error(status, e.to_string()));
        }
    };
    let (node, node_method) = (endpoint.node, endpoint.method.as_str());
    let raw = endpoint
        .raw_key
        .as_ref()
        .is_some_and(|key| *key == request::raw_route_key(path));
    let decode = || {
        if node_method == "get" && !raw {
            return Ok(None);
        }
        request::decode_for(endpoint.body, raw, &parts.headers, &bytes).map(Some)
    };
    let decoded = if bytes.len() > DECODE_ON_WORKER_MAX {
        off_worker(decode)
    } else {
        decode()
    };
    let body = match decoded {
        Ok(b) => b,
        Err(request::DecodeError::Multipart(why)) => {
            // The `http in` node's error handler: a warning and Express's
            // `sendStatus(500)`.
            tracing::warn!(node = %endpoint.node_id, "http in: {why}");
            return Err(internal_server_error());
        }
        Err(e) => return Err(flow_error(e.status(), e.to_string())),
    };
    // `msg.req` is owed when the nodes the message goes to first leave it
    // alone (see `Message::for_request`), built at once otherwise.
    let request = RequestParts {
        method: parts.method.clone(),
        uri: parts.uri.clone(),
        params,
        remote_ip,
        body: None,
    };
    let owe = !flows.port_reads_request(node, 0);
    let (msg_body, owed) =
        request::request_message(request, &parts.headers, node_method, body, owe);
    let (mut exchange, reply_rx) = Exchange::new(parts.headers, bytes);
    exchange.query = parts
        .uri
        .query()
        .filter(|q| q.contains("callback"))
        .map(Into::into);
    tracing::debug!(method = %parts.method, path = %parts.uri.path(), "request");
    exchange.request = owed;
    Ok((Message::for_request(msg_body, Arc::new(exchange)), reply_rx))
}

/// Run the flow from `node` with `msg` and wait for its answer, at most
/// the flows' `http_timeout`.
async fn run(
    flows: Arc<Flows>,
    node: usize,
    msg: Message,
    mut reply_rx: oneshot::Receiver<Reply>,
) -> Response {
    let timeout = flows.settings.http_timeout;
    let mut dispatch = Box::pin(async move { flows.emit(node, 0, msg).await });
    // Most flows run to their `http response` without waiting on anything:
    // poll the dispatch once before arming the timeout, so such a request
    // never touches the timer wheel.
    let finished = futures::poll!(&mut dispatch).is_ready();
    match reply_rx.try_recv() {
        Ok(reply) => {
            if !finished {
                // Answered while the flow still runs other branches: let
                // them finish on their own task.
                tokio::spawn(dispatch);
            }
            return reply_to_response(Some(reply));
        }
        Err(oneshot::error::TryRecvError::Closed) => return reply_to_response(None),
        Err(oneshot::error::TryRecvError::Empty) => {}
    }
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    if !finished {
        tokio::select! {
            biased;
            reply = &mut reply_rx => {
                tokio::spawn(dispatch);
                return reply_to_response(reply.ok());
            }
            _ = &mut dispatch => {}
            _ = &mut deadline => {
                tokio::spawn(dispatch);
                return timeout_response(timeout);
            }
        }
    }
    tokio::select! {
        reply = &mut reply_rx => reply_to_response(reply.ok()),
        _ = &mut deadline => timeout_response(timeout),
    }
}

/// Express's automatic answer to `OPTIONS` for a path its routes serve for
/// other methods: the list, as the `Allow` header and as the body.
fn options_answer(allow: String) -> Response {
    (
        StatusCode::OK,
        [
            (http::header::ALLOW, allow.clone()),
            (
                http::header::CONTENT_TYPE,
                "text/html; charset=utf-8".to_owned(),
            ),
        ],
        allow,
    )
        .into_response()
}

/// Express's `res.sendStatus(500)`.
fn internal_server_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Internal Server Error",
    )
        .into_response()
}

/// Express's own 404 page, byte for byte, as Node-RED answers an unknown path.
fn not_found(method: &str, path: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot {} {}</pre>\n</body>\n</html>\n",
        escape_html(method),
        escape_html(path)
    );
    (
        StatusCode::NOT_FOUND,
        [
            (http::header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (http::header::CONTENT_SECURITY_POLICY, "default-src 'none'"),
            (http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// Express's `escape-html` (the five characters its 404 page escapes).
/// The template node's mustache escaper (`nodes::mustache::escape_html`)
/// escapes eight, as mustache.js does; each mirrors the page it reproduces.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn timeout_response(timeout: Duration) -> Response {
    flow_error(
        StatusCode::GATEWAY_TIMEOUT,
        format!(
            "no http response node answered within {} s",
            timeout.as_secs_f64()
        ),
    )
}

fn reply_to_response(reply: Option<Reply>) -> Response {
    match reply {
        Some(r) => {
            let mut resp = Response::new(Body::from(r.body));
            *resp.status_mut() = r.status;
            *resp.headers_mut() = r.headers;
            resp
        }
        // Every holder of the exchange dropped it without answering: the flow
        // ended with nothing left that could answer, so waiting out the
        // timeout would only keep the client hanging.
        None => flow_error(
            StatusCode::GATEWAY_TIMEOUT,
            "the flow ended without reaching an http response node",
        ),
    }
}

/// A reply with a body and content type (for nodes building answers).
pub fn reply(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Reply {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    Reply {
        status,
        headers,
        body: body.into(),
    }
}

//! The web editor: static files from `editor-static/`, embedded in the binary
//! so `flowgate run` is all a user starts. `/` serves the editor's page and
//! its scripts and styles live under `/editor/`, out of the way of flows'
//! own `http in` endpoints.

use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rust_embed::RustEmbed;

/// The editor's files, read from `editor-static/` at compile time.
#[derive(RustEmbed)]
#[folder = "editor-static/"]
struct Assets;

/// Routes for the editor: `GET /` (the page) and `GET /editor/{*path}` (assets).
/// Merge into the server's router; anything else falls through to the flows.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { asset("index.html") }))
        .route(
            "/editor/{*path}",
            get(|Path(path): Path<String>| async move { asset(&path) }),
        )
}

/// One embedded file with its content type, or 404.
fn asset(path: &str) -> Response {
    let Some(file) = Assets::get(path) else {
        return (StatusCode::NOT_FOUND, format!("no editor file {path}")).into_response();
    };
    let mime = file.metadata.mimetype();
    let content_type = if mime.starts_with("text/") || mime.ends_with("javascript") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    };
    let mut response = Response::new(Body::from(file.data.into_owned()));
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    // The files change with the binary: revalidate rather than cache stale code.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

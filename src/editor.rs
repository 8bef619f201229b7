//! The web editor: static files from `editor-static/`, embedded in the binary
//! so `flowgate run` is all a user starts. It is served at the admin API's
//! root (`/` by default): the page at `<root>/`, its scripts and styles under
//! `<root>/editor/`, out of the way of flows' own `http in` endpoints. The
//! page calls the admin API with relative URLs, so any root works. Its
//! answers carry the admin API's security headers (no framing, no sniffing,
//! its Content Security Policy).

use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use rust_embed::RustEmbed;

/// The editor's files, read from `editor-static/` at compile time.
#[derive(RustEmbed)]
#[folder = "editor-static/"]
struct Assets;

/// Path prefix of the editor's assets, relative to the admin root (flows'
/// `http in` nodes may not use it when the root is `/`).
pub const ASSET_PREFIX: &str = "/editor";

/// The editor as the runtime's admin site: served beside the admin API at
/// its root, without its authentication (the page loads before the user
/// has a token; it then calls the API with one).
pub fn site() -> flowgate_runtime::app::Site {
    flowgate_runtime::app::Site {
        router,
        prefixes: &[ASSET_PREFIX],
    }
}

/// Routes for the editor under `root` (normalized: `/` or `/admin`): the page
/// and its assets; anything else falls through to the flows.
fn router(root: &str) -> Router {
    let base = root.trim_end_matches('/');
    let page = get(|| async { asset("index.html") });
    let assets = get(|Path(path): Path<String>| async move { asset(&path) });
    let router = Router::new()
        .route(&format!("{base}/"), page)
        .route(&format!("{base}{ASSET_PREFIX}/{{*path}}"), assets);
    let router = if base.is_empty() {
        router
    } else {
        // Relative URLs in the page need the trailing slash.
        let to = format!("{base}/");
        router.route(base, get(move || async move { Redirect::permanent(&to) }))
    };
    router.route_layer(axum::middleware::map_response(
        flowgate_runtime::admin::security_headers,
    ))
}

/// One embedded file with its content type, or 404.
fn asset(path: &str) -> Response {
    let Some(file) = Assets::get(path) else {
        // The path is not repeated: the answer is served from the editor's origin.
        return (StatusCode::NOT_FOUND, "no such editor file").into_response();
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
    response
}

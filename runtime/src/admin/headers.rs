//! Headers every admin API and editor answer carries, errors included: the
//! editor must not be framed by another site (clickjacking a Deploy button),
//! browsers must not guess content types, and the page may only run its own
//! scripts and talk to its own server.

use axum::response::Response;
use http::{header, HeaderValue};

/// The editor's Content Security Policy (also sent with the API's answers,
/// which are served from the same root). The editor loads its module
/// scripts and stylesheet from its own origin, sets `style` attributes from
/// its scripts (hence `'unsafe-inline'` for styles only), uses a `data:`
/// favicon, and calls the API and the `/comms` WebSocket on its own origin
/// (`'self'` covers `ws:`/`wss:` to the same host).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Add the security headers to `response` (for `axum::middleware::map_response`).
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

//! CSRF protection: a web page on another site must not be able to make a
//! visitor's browser deploy flows to a flowgate it can reach (a loopback
//! runtime without a token, typically). Browsers label cross-site requests
//! with `Origin` and `Sec-Fetch-Site`; state-changing requests so labelled
//! are refused. Tools that send neither (curl, node-red-admin) are unaffected.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode};

use super::error::ApiError;

/// Why a request counts as cross-site, if it does.
pub fn cross_site_reason(headers: &HeaderMap) -> Option<String> {
    if let Some(site) = header(headers, "sec-fetch-site") {
        if site != "same-origin" && site != "none" {
            return Some(format!("Sec-Fetch-Site is {site}"));
        }
    }
    let origin = header(headers, "origin")?;
    let host = header(headers, "x-forwarded-host")
        .and_then(|h| h.split(',').next())
        .or_else(|| header(headers, "host"))
        .map(str::trim);
    let Some(host) = host else {
        return Some(format!("Origin {origin} with no Host header"));
    };
    if same_authority(origin, host) {
        None
    } else {
        Some(format!("Origin {origin} is not this server ({host})"))
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether `origin` (`scheme://host[:port]`) names `host` (`host[:port]`).
fn same_authority(origin: &str, host: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        // `null` (sandboxed frames, file://) and anything malformed.
        return false;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => "80",
        "https" => "443",
        _ => return false,
    };
    let normalize = |a: &str| -> String {
        let a = a.trim_end_matches('/').to_ascii_lowercase();
        let has_port = match a.rfind(':') {
            Some(i) => !a[i..].contains(']'),
            None => false,
        };
        if has_port {
            a
        } else {
            format!("{a}:{default_port}")
        }
    };
    normalize(authority) == normalize(host)
}

/// Refuse state-changing requests from another site with 403.
pub async fn refuse_cross_site(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        if let Some(reason) = cross_site_reason(req.headers()) {
            tracing::warn!(method = %req.method(), path = %req.uri().path(), %reason, "cross-site admin request refused");
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "cross_site_request",
                format!("cross-site request refused: {reason}"),
            )
            .into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn same_origin_and_tools_pass() {
        assert_eq!(
            cross_site_reason(&headers(&[("host", "127.0.0.1:1880")])),
            None
        );
        assert_eq!(
            cross_site_reason(&headers(&[
                ("host", "127.0.0.1:1880"),
                ("origin", "http://127.0.0.1:1880")
            ])),
            None
        );
        assert_eq!(
            cross_site_reason(&headers(&[
                ("host", "example.com"),
                ("origin", "https://example.com")
            ])),
            None
        );
        assert_eq!(
            cross_site_reason(&headers(&[
                ("host", "h:1"),
                ("sec-fetch-site", "same-origin")
            ])),
            None
        );
    }

    #[test]
    fn foreign_origins_are_refused() {
        for origin in ["http://evil.example", "http://127.0.0.1:9999", "null"] {
            assert!(
                cross_site_reason(&headers(&[("host", "127.0.0.1:1880"), ("origin", origin)]))
                    .is_some(),
                "{origin}"
            );
        }
        assert!(cross_site_reason(&headers(&[
            ("host", "127.0.0.1:1880"),
            ("sec-fetch-site", "cross-site")
        ]))
        .is_some());
    }
}

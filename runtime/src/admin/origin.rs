//! CSRF protection: a web page on another site must not be able to make a
//! visitor's browser deploy flows to a flowgate it can reach (a loopback
//! runtime without a token, typically). Browsers label cross-site requests
//! with `Origin` and `Sec-Fetch-Site`; state-changing requests so labelled
//! are refused. Tools that send neither (curl, node-red-admin) are unaffected.
//!
//! An API without a token also only answers requests addressed to a loopback
//! host name or to an IP address, so a site that re-points its own domain at
//! 127.0.0.1 (DNS rebinding) cannot read or deploy flows "same-origin" (a
//! page can only be same-origin with an IP address by being served from it).

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode};

use super::error::ApiError;
use super::Admin;

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

/// The host name of the request's `Host`, without port and brackets.
fn host_name(headers: &HeaderMap) -> Option<&str> {
    let host = header(headers, "host")?;
    Some(match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    })
}

/// Whether the request's `Host` names this machine's loopback interface
/// (`localhost`, `127.x.x.x`, `[::1]`, with any port).
pub fn host_is_loopback(headers: &HeaderMap) -> bool {
    host_name(headers).is_some_and(|name| {
        name.eq_ignore_ascii_case("localhost")
            || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    })
}

/// Whether the request's `Host` cannot have been re-pointed by someone
/// else's DNS: a loopback name or an IP address.
pub fn host_resists_rebinding(headers: &HeaderMap) -> bool {
    host_is_loopback(headers) || host_name(headers).is_some_and(|n| n.parse::<IpAddr>().is_ok())
}

/// Why the request must be refused before anything else, if it must: a
/// foreign Host on an open (token-less) API.
pub fn foreign_host(admin: &Admin, headers: &HeaderMap) -> Option<String> {
    let open = !admin.auth.enabled() && !admin.options.allow_any_host;
    (open && !host_resists_rebinding(headers)).then(|| {
        format!(
            "Host {} is not a loopback name or IP address; an admin API without a token \
             only answers requests to localhost or an IP address (set --admin-token, or \
             --admin-any-host to accept the risk of DNS rebinding)",
            header(headers, "host").unwrap_or("(none)")
        )
    })
}

/// Refuse state-changing requests from another site, and any request to an
/// open API under a foreign host name, with 403.
pub async fn refuse_cross_site(
    State(admin): State<Arc<Admin>>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(reason) = foreign_host(&admin, req.headers()) {
        tracing::warn!(path = %req.uri().path(), %reason, "admin request refused");
        return ApiError::new(StatusCode::FORBIDDEN, "forbidden_host", reason).into_response();
    }
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
    fn loopback_hosts() {
        for h in [
            "127.0.0.1:1880",
            "localhost",
            "LOCALHOST:80",
            "[::1]:1880",
            "127.1.2.3",
        ] {
            assert!(host_is_loopback(&headers(&[("host", h)])), "{h}");
        }
        for h in [
            "evil.example:1880",
            "10.0.0.1",
            "localhost.evil.example",
            "[::2]:1",
        ] {
            assert!(!host_is_loopback(&headers(&[("host", h)])), "{h}");
        }
    }

    #[test]
    fn ip_literals_resist_rebinding_names_do_not() {
        for h in [
            "10.0.0.1:1880",
            "[2001:db8::1]:80",
            "localhost",
            "127.0.0.1",
        ] {
            assert!(host_resists_rebinding(&headers(&[("host", h)])), "{h}");
        }
        for h in ["evil.example", "10.0.0.1.evil.example:80", "host"] {
            assert!(!host_resists_rebinding(&headers(&[("host", h)])), "{h}");
        }
        assert!(!host_resists_rebinding(&HeaderMap::new()));
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

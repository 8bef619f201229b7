//! Admin authentication: one configured bearer token (`--admin-token`), plus
//! Node-RED's login flow so its editor and `node-red-admin login` work:
//! `GET /auth/login` describes the scheme, `POST /auth/token` exchanges the
//! admin token (given as the password) for a session token that expires,
//! `POST /auth/revoke` ends a session.
//!
//! Tokens are compared as SHA-256 digests in constant time, and sessions are
//! stored by digest, so neither a timing difference nor a memory dump gives a
//! usable token away. Wrong credentials back their sender off (see
//! [`throttle`](super::throttle)); [`Auth::verify`] is the one place that
//! rule is applied.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http::{HeaderMap, StatusCode};
use parking_lot::Mutex;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::{json_response, parse_form_or_json, read_body, ApiError};
use super::throttle::{client_of, Throttle};
use super::Admin;
use crate::error_body::oauth_error;

/// OAuth clients Node-RED accepts on `/auth/token`.
const CLIENTS: &[&str] = &["node-red-editor", "node-red-admin"];
/// Username shown in `/settings` for an authenticated admin.
pub const ADMIN_USER: &str = "admin";

type Digest32 = [u8; 32];

fn digest(token: &str) -> Digest32 {
    Sha256::digest(token.as_bytes()).into()
}

/// The admin token and the live sessions.
pub struct Auth {
    token: Option<Digest32>,
    ttl: Duration,
    sessions: Mutex<HashMap<Digest32, Instant>>,
    throttle: Throttle,
}

/// The outcome of checking a client's credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The credential is good (or none is required).
    Accepted,
    /// No credential was presented (not counted as a failure).
    Missing,
    /// A wrong credential, counted against the client.
    Refused,
    /// The client is backed off for this long; nothing was checked.
    BackedOff(Duration),
}

impl Auth {
    pub fn new(token: Option<&str>, ttl: Duration) -> Self {
        Auth {
            token: token.map(digest),
            ttl,
            sessions: Mutex::default(),
            throttle: Throttle::default(),
        }
    }

    /// Check the token `client` presents (the admin token or a live
    /// session), applying the per-address back-off.
    pub fn verify(&self, client: IpAddr, presented: Option<&str>) -> Verdict {
        if !self.enabled() {
            return Verdict::Accepted;
        }
        self.verify_by(client, presented, |t| self.accepts(t))
    }

    /// Check a credential with `check`: refused without looking while
    /// `client` is backed off; a wrong one counts against `client`, a good
    /// one clears its record.
    fn verify_by(
        &self,
        client: IpAddr,
        presented: Option<&str>,
        check: impl FnOnce(&str) -> bool,
    ) -> Verdict {
        let now = Instant::now();
        if let Some(wait) = self.throttle.wait(client, now) {
            return Verdict::BackedOff(wait);
        }
        let Some(presented) = presented.filter(|p| !p.is_empty()) else {
            return Verdict::Missing;
        };
        if check(presented) {
            self.throttle.succeeded(client);
            return Verdict::Accepted;
        }
        let wait = self.throttle.failed(client, now);
        if wait.is_zero() {
            tracing::warn!(%client, "admin authentication failed");
        } else {
            tracing::warn!(
                %client,
                backoff_secs = wait.as_secs(),
                "admin authentication failed; further attempts from this address are refused for a while"
            );
        }
        Verdict::Refused
    }

    /// Whether a token is required at all.
    pub fn enabled(&self) -> bool {
        self.token.is_some()
    }

    /// Whether `token` is the admin token or a live session token.
    pub fn accepts(&self, token: &str) -> bool {
        let Some(admin) = &self.token else {
            return true;
        };
        let d = digest(token);
        if bool::from(d.ct_eq(admin)) {
            return true;
        }
        let now = Instant::now();
        let mut sessions = self.sessions.lock();
        sessions.retain(|_, expires| *expires > now);
        sessions.contains_key(&d)
    }

    fn create_session(&self) -> String {
        let mut raw = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut raw);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        self.sessions
            .lock()
            .insert(digest(&token), Instant::now() + self.ttl);
        token
    }

    fn revoke(&self, token: &str) {
        self.sessions.lock().remove(&digest(token));
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Middleware: 401 unless the request carries an accepted bearer token;
/// 429 while its address is backed off.
pub async fn require(State(admin): State<Arc<Admin>>, req: Request, next: Next) -> Response {
    let client = client_of(req.extensions());
    match admin.auth.verify(client, bearer(req.headers())) {
        Verdict::Accepted => next.run(req).await,
        Verdict::BackedOff(wait) => backed_off(wait),
        Verdict::Missing | Verdict::Refused => unauthorized(),
    }
}

/// 401 with the scheme to use.
pub fn unauthorized() -> Response {
    let mut r = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "missing or invalid bearer token (Authorization: Bearer <admin token>)",
    )
    .into_response();
    r.headers_mut().insert(
        http::header::WWW_AUTHENTICATE,
        http::HeaderValue::from_static("Bearer realm=\"flowgate admin\""),
    );
    r
}

/// 429 in the admin API's error shape, with `Retry-After`.
pub fn backed_off(wait: Duration) -> Response {
    let secs = retry_after_secs(wait);
    with_retry_after(
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!("too many failed authentication attempts from this address; retry in {secs} s"),
        )
        .into_response(),
        secs,
    )
}

/// Whole seconds to wait, rounded up (at least 1).
fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

fn with_retry_after(mut r: Response, secs: u64) -> Response {
    r.headers_mut()
        .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
    r
}

/// `GET /auth/login`: Node-RED's description of the login scheme; `{}` when
/// no authentication is configured.
pub async fn login(State(admin): State<Arc<Admin>>) -> Response {
    let body = if admin.auth.enabled() {
        json!({
            "type": "credentials",
            "prompts": [
                {"id": "username", "type": "text", "label": "user.username"},
                {"id": "password", "type": "password", "label": "user.password"}
            ]
        })
    } else {
        json!({})
    };
    json_response(StatusCode::OK, &body)
}

/// `POST /auth/token`: Node-RED's OAuth password grant. The password is the
/// admin token (any username); the answer is a session token.
pub async fn token(State(admin): State<Arc<Admin>>, req: Request<Body>) -> Response {
    if !admin.auth.enabled() {
        return ApiError::not_found("authentication is not enabled (no --admin-token)")
            .into_response();
    }
    let (parts, body) = req.into_parts();
    let bytes = match read_body(body, admin.options.max_body_bytes).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let form = match parse_form_or_json(&parts.headers, &bytes) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let field = |k: &str| form.get(k).and_then(Value::as_str).unwrap_or("");
    if !CLIENTS.contains(&field("client_id")) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Unknown client");
    }
    match field("grant_type") {
        "password" => {}
        "" => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing required parameter: grant_type",
            )
        }
        other => {
            return oauth_error(
                StatusCode::NOT_IMPLEMENTED,
                "unsupported_grant_type",
                &format!("Unsupported grant type: {other}"),
            )
        }
    }
    for required in ["username", "password"] {
        if field(required).is_empty() {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("Missing required parameter: {required}"),
            );
        }
    }
    let client = client_of(&parts.extensions);
    let auth = &admin.auth;
    let verdict = auth.verify_by(client, Some(field("password")), |password| {
        auth.token
            .as_ref()
            .is_some_and(|t| bool::from(digest(password).ct_eq(t)))
    });
    match verdict {
        Verdict::Accepted => {}
        Verdict::BackedOff(wait) => {
            let secs = retry_after_secs(wait);
            return with_retry_after(
                oauth_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    &format!("Too many login attempts. Wait {secs} seconds and try again"),
                ),
                secs,
            );
        }
        Verdict::Missing | Verdict::Refused => {
            tracing::warn!(username = %field("username"), "admin login failed");
            return oauth_error(
                StatusCode::FORBIDDEN,
                "invalid_grant",
                "Invalid resource owner credentials",
            );
        }
    }
    let access = admin.auth.create_session();
    tracing::info!(username = %field("username"), client = %field("client_id"), "admin login");
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": access,
            "expires_in": admin.auth.ttl.as_secs(),
            "token_type": "Bearer"
        }),
    )
}

/// `POST /auth/revoke` (`{"token": ...}`): end a session.
pub async fn revoke(State(admin): State<Arc<Admin>>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match read_body(body, admin.options.max_body_bytes).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let form = match parse_form_or_json(&parts.headers, &bytes) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    if let Some(t) = form.get("token").and_then(Value::as_str) {
        admin.auth.revoke(t);
    }
    StatusCode::OK.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_and_session_tokens() {
        let a = Auth::new(Some("tok"), Duration::from_secs(60));
        assert!(a.accepts("tok"));
        assert!(!a.accepts("tok2"));
        assert!(!a.accepts(""));
        let s = a.create_session();
        assert!(a.accepts(&s));
        a.revoke(&s);
        assert!(!a.accepts(&s));
        let open = Auth::new(None, Duration::from_secs(60));
        assert!(open.accepts("anything"));
    }

    #[test]
    fn sessions_expire() {
        let a = Auth::new(Some("tok"), Duration::ZERO);
        let s = a.create_session();
        assert!(!a.accepts(&s));
    }

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer abc".parse().unwrap());
        assert_eq!(bearer(&h), Some("abc"));
        h.insert("authorization", "bearer  abc ".parse().unwrap());
        assert_eq!(bearer(&h), Some("abc"));
        h.insert("authorization", "Basic abc".parse().unwrap());
        assert_eq!(bearer(&h), None);
    }
}

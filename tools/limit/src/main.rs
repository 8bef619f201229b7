//! The benchmark's yardstick: the same endpoints as the Ignite flow and its
//! variants, written by hand as directly as axum and the crypto library
//! allow. Nothing here is configurable beyond what the benchmark needs.
//!
//! `flowgate-limit <port>`; environment:
//! - `BENCH_BACKEND`: `rustcrypto` (default) signs and verifies with
//!   `jsonwebtoken`'s RustCrypto backend, the way a hand-written service
//!   usually does; `aws-lc` with `aws-lc-rs` directly, every key parsed once
//!   at start, the token assembled by hand: the fastest this machine allows.
//! - `BENCH_SECRET`: the HS256 secret.
//! - `BENCH_RSA_KEY`, `BENCH_EC256_KEY`, `BENCH_EC384_KEY`: paths of PKCS#8
//!   private key PEMs (RSA 2048, P-256, P-384), each optional: its endpoints
//!   answer 404 without it. RS256 verification uses the RSA key's public half.
//!
//! Endpoints: `GET /jwt/generate` (HS256), `/jwt/generate-rs` (RS256),
//! `/jwt/generate-es256`, `/jwt/generate-es384`: `{"access_token": …}`;
//! `GET /jwt/verify` (HS256) and `/jwt/verify-rs` (RS256): the bearer
//! token's claims, or 401.

mod aws;
mod rustcrypto;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

/// The algorithms the limit serves.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Hs256,
    Rs256,
    Es256,
    Es384,
}

/// One backend's signing and verification with its keys loaded.
pub trait Tokens: Send + Sync {
    /// A token for `claims`; `None` when no key for `alg` was given.
    fn sign(&self, alg: Alg, claims: &Value) -> Option<String>;
    /// The claims of a valid, unexpired token, or why not.
    fn verify(&self, alg: Alg, token: &str) -> Result<Value, String>;
}

/// The key files named in the environment, read.
pub struct KeyFiles {
    pub secret: Vec<u8>,
    pub rsa: Option<Vec<u8>>,
    pub ec256: Option<Vec<u8>>,
    pub ec384: Option<Vec<u8>>,
}

impl KeyFiles {
    fn from_env() -> KeyFiles {
        let read = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|path| std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}")))
        };
        KeyFiles {
            secret: std::env::var("BENCH_SECRET")
                .expect("BENCH_SECRET")
                .into_bytes(),
            rsa: read("BENCH_RSA_KEY"),
            ec256: read("BENCH_EC256_KEY"),
            ec384: read("BENCH_EC384_KEY"),
        }
    }
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims() -> Value {
    let iat = now();
    json!({
        "name": "CYber Group Inc.",
        "Domain": "Information Technology & Services",
        "Offices": {
            "Dallas": "12900 Preston Road, Ste 900, Dallas, TX, 75230",
            "India": "30/1 Knowledge Park III, Greater Noida"
        },
        "iat": iat,
        "exp": iat + 86400
    })
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        serde_json::to_vec(body).unwrap(),
    )
        .into_response()
}

type Shared = Arc<dyn Tokens>;

fn generate(tokens: &Shared, alg: Alg) -> Response {
    match tokens.sign(alg, &claims()) {
        Some(token) => json_response(StatusCode::OK, &json!({ "access_token": token })),
        None => json_response(StatusCode::NOT_FOUND, &json!({"error": "no key"})),
    }
}

fn verify(tokens: &Shared, alg: Alg, headers: &HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    match tokens.verify(alg, token) {
        Ok(claims) => json_response(StatusCode::OK, &claims),
        Err(e) => json_response(StatusCode::UNAUTHORIZED, &json!({ "error": e })),
    }
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(18900);
    let keys = KeyFiles::from_env();
    let backend = std::env::var("BENCH_BACKEND").unwrap_or_else(|_| "rustcrypto".into());
    let tokens: Shared = match backend.as_str() {
        "rustcrypto" => Arc::new(rustcrypto::RustCrypto::new(&keys)),
        "aws-lc" => Arc::new(aws::AwsLc::new(&keys)),
        other => panic!("BENCH_BACKEND: unknown backend {other:?} (rustcrypto or aws-lc)"),
    };
    let app = Router::new()
        .route(
            "/jwt/generate",
            get(|State(t): State<Shared>| async move { generate(&t, Alg::Hs256) }),
        )
        .route(
            "/jwt/generate-rs",
            get(|State(t): State<Shared>| async move { generate(&t, Alg::Rs256) }),
        )
        .route(
            "/jwt/generate-es256",
            get(|State(t): State<Shared>| async move { generate(&t, Alg::Es256) }),
        )
        .route(
            "/jwt/generate-es384",
            get(|State(t): State<Shared>| async move { generate(&t, Alg::Es384) }),
        )
        .route(
            "/jwt/verify",
            get(|State(t): State<Shared>, h: HeaderMap| async move { verify(&t, Alg::Hs256, &h) }),
        )
        .route(
            "/jwt/verify-rs",
            get(|State(t): State<Shared>, h: HeaderMap| async move { verify(&t, Alg::Rs256, &h) }),
        )
        .with_state(tokens);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    println!("flowgate-limit ({backend}) listening on http://127.0.0.1:{port}");
    axum::serve(listener, app).await.unwrap();
}

//! The benchmark's yardstick: the same endpoints as the Ignite flow and its
//! variants, written by hand as directly as axum and jsonwebtoken allow.
//! Nothing here is configurable beyond what the benchmark needs.
//!
//! `flowgate-limit <port>`; environment: `BENCH_SECRET` (HS256 secret),
//! `BENCH_RSA_KEY` (path of an RS256 private key PEM, optional).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Value};

struct Keys {
    hs_encode: EncodingKey,
    hs_decode: DecodingKey,
    rs_encode: Option<EncodingKey>,
}

fn claims() -> Value {
    let iat = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
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

async fn generate(State(keys): State<Arc<Keys>>) -> Response {
    let token =
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims(), &keys.hs_encode).unwrap();
    json_response(StatusCode::OK, &json!({ "access_token": token }))
}

async fn generate_rs(State(keys): State<Arc<Keys>>) -> Response {
    let Some(key) = &keys.rs_encode else {
        return json_response(StatusCode::NOT_FOUND, &json!({"error": "no RSA key"}));
    };
    let token = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims(), key).unwrap();
    json_response(StatusCode::OK, &json!({ "access_token": token }))
}

async fn verify(State(keys): State<Arc<Keys>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    match jsonwebtoken::decode::<Value>(token, &keys.hs_decode, &Validation::new(Algorithm::HS256))
    {
        Ok(data) => json_response(StatusCode::OK, &data.claims),
        Err(e) => json_response(StatusCode::UNAUTHORIZED, &json!({"error": e.to_string()})),
    }
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(18900);
    let secret = std::env::var("BENCH_SECRET").expect("BENCH_SECRET");
    let rs_encode = std::env::var("BENCH_RSA_KEY").ok().map(|path| {
        let pem = std::fs::read(path).expect("read BENCH_RSA_KEY");
        EncodingKey::from_rsa_pem(&pem).expect("RSA private key PEM")
    });
    let keys = Arc::new(Keys {
        hs_encode: EncodingKey::from_secret(secret.as_bytes()),
        hs_decode: DecodingKey::from_secret(secret.as_bytes()),
        rs_encode,
    });
    let app = Router::new()
        .route("/jwt/generate", get(generate))
        .route("/jwt/generate-rs", get(generate_rs))
        .route("/jwt/verify", get(verify))
        .with_state(keys);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    println!("flowgate-limit listening on http://127.0.0.1:{port}");
    axum::serve(listener, app).await.unwrap();
}

//! JSON Web Key Sets both ways: the `/.well-known/jwks.json` endpoint that
//! publishes the public keys of the running configs (RFC 7517), and the
//! cache of a remote key set that `jwksurl` / `jwkurl` verification uses.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use super::keys::Algorithm;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use flowgate_runtime::service::Runtime;
use flowgate_runtime::Flows;
use http::{header, HeaderValue, StatusCode};
use parking_lot::{Mutex, RwLock};
use serde_json::{json, Value};

use super::claims::{escape_controls, VerifyError};
use super::config::JwtConfig;
use super::keys::{algorithm_name, parse_set_key, SetKey};

/// Where the published key set is served.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// Largest key set document accepted from a remote server.
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// `GET /.well-known/jwks.json` (a public route of `jwt-config`), from
/// whatever deployment is current, so a deploy that adds or rotates a key is
/// visible at once. A flow may serve that path with its own `http in` only
/// while no config publishes keys: a publishing config claims the route, so
/// the two together are a load error (see `BuildCx::claim_route`).
pub(super) async fn serve_jwks(State(runtime): State<Arc<Runtime>>) -> Response {
    let flows = runtime.current();
    let body = serde_json::to_vec(&json!({ "keys": published_keys(&flows) })).expect("serialize");
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        body,
    )
        .into_response()
}

/// The public JWKs of every `jwt-config` that publishes, ordered by config
/// id so the document is stable; a key shared by two configs appears once.
pub fn published_keys(flows: &Flows) -> Vec<Value> {
    let mut configs: Vec<(&str, &JwtConfig)> = flows
        .configs_of_type("jwt-config")
        .filter_map(|(id, obj)| obj.downcast_ref::<JwtConfig>().map(|c| (id, c)))
        .collect();
    configs.sort_by_key(|(id, _)| *id);
    let mut keys: Vec<Value> = Vec::new();
    for (_, c) in configs {
        if let Some(jwk) = c.published_jwk() {
            if !keys.iter().any(|k| k.get("kid") == jwk.get("kid")) {
                keys.push(jwk.clone());
            }
        }
    }
    keys
}

/// One HTTP client for every key set fetch (connection reuse, bounded time).
fn http_client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("flowgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("HTTP client")
    })
}

/// A fetched key set.
pub struct KeySet {
    pub keys: Vec<SetKey>,
    fetched: Instant,
}

impl KeySet {
    /// The key named `kid`, or without a kid the first key usable with `alg`.
    fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<usize> {
        match kid {
            Some(kid) => self.keys.iter().position(|k| k.kid.as_deref() == Some(kid)),
            None => self.keys.iter().position(|k| k.algorithms.contains(&alg)),
        }
    }
}

/// A remote JWK Set, fetched on first use and cached. An unknown `kid` makes
/// it fetch again, at most once per `min_refresh`, so a rotated key is picked
/// up without letting random key ids hammer the key server.
pub struct RemoteJwks {
    url: String,
    current: RwLock<Option<Arc<KeySet>>>,
    fetching: tokio::sync::Mutex<()>,
    last_attempt: Mutex<Option<Instant>>,
    min_refresh: Duration,
    max_age: Duration,
}

impl RemoteJwks {
    /// A cache for the key set at `url` (http or https); nothing is fetched yet.
    pub fn new(url: &str) -> Result<Self, String> {
        let parsed =
            reqwest::Url::parse(url.trim()).map_err(|e| format!("invalid URL \"{url}\": {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("URL \"{url}\" must be http or https"));
        }
        Ok(RemoteJwks {
            url: parsed.to_string(),
            current: RwLock::new(None),
            fetching: tokio::sync::Mutex::new(()),
            last_attempt: Mutex::new(None),
            min_refresh: Duration::from_secs(60),
            max_age: Duration::from_secs(3600),
        })
    }

    /// Change how often an unknown `kid` may trigger a refetch (tests).
    pub fn with_min_refresh(mut self, d: Duration) -> Self {
        self.min_refresh = d;
        self
    }

    /// The key set URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The key for a token with `kid` and `alg`, fetching or refreshing the
    /// set when needed.
    pub async fn key_for(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<(Arc<KeySet>, usize), VerifyError> {
        if let Some(set) = self.current.read().clone() {
            if set.fetched.elapsed() < self.max_age {
                if let Some(i) = set.find(kid, alg) {
                    return Ok((set, i));
                }
            }
        }
        // One fetch at a time; whoever waited re-checks what the fetch brought.
        let _guard = self.fetching.lock().await;
        let cached = self.current.read().clone();
        let found = cached.as_ref().and_then(|s| s.find(kid, alg));
        let stale = cached
            .as_ref()
            .is_none_or(|s| s.fetched.elapsed() >= self.max_age);
        let may_refresh = self
            .last_attempt
            .lock()
            .is_none_or(|t| t.elapsed() >= self.min_refresh);
        let must_fetch = match &cached {
            None => true,
            Some(_) => (stale || found.is_none()) && may_refresh,
        };
        let set = match cached {
            Some(current) if !must_fetch => current,
            cached => {
                *self.last_attempt.lock() = Some(Instant::now());
                match self.fetch().await {
                    Ok(set) => {
                        let set = Arc::new(set);
                        *self.current.write() = Some(set.clone());
                        set
                    }
                    Err(e) => match cached {
                        Some(old) => {
                            tracing::warn!(url = %self.url, "{e}; keeping the key set fetched earlier");
                            old
                        }
                        None => return Err(VerifyError::Unavailable(e)),
                    },
                }
            }
        };
        match set.find(kid, alg) {
            Some(i) => Ok((set, i)),
            None => Err(match kid {
                Some(kid) => VerifyError::UnknownKey(super::claims::echo(kid)),
                None => VerifyError::NoMatchingKey(algorithm_name(alg)),
            }),
        }
    }

    /// Fetch and parse the key set now.
    pub async fn fetch(&self) -> Result<KeySet, String> {
        let fail = |e: String| format!("cannot fetch the key set from {}: {e}", self.url);
        let resp = http_client()
            .get(&self.url)
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| fail(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(fail(format!("the server answered {}", resp.status())));
        }
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_JWKS_BYTES as u64)
        {
            return Err(fail("the key set is larger than 1 MiB".into()));
        }
        let bytes = resp.bytes().await.map_err(|e| fail(e.to_string()))?;
        if bytes.len() > MAX_JWKS_BYTES {
            return Err(fail("the key set is larger than 1 MiB".into()));
        }
        let doc: Value =
            serde_json::from_slice(&bytes).map_err(|e| fail(format!("not JSON: {e}")))?;
        let members: Vec<&serde_json::Map<String, Value>> = match &doc {
            Value::Object(o) => match o.get("keys") {
                Some(Value::Array(keys)) => keys.iter().filter_map(Value::as_object).collect(),
                Some(_) => return Err(fail("\"keys\" is not an array".into())),
                None => vec![o],
            },
            _ => return Err(fail("not a JSON Web Key Set".into())),
        };
        let mut keys = Vec::with_capacity(members.len());
        for jwk in members {
            match parse_set_key(jwk) {
                Ok(k) => keys.push(k),
                Err(e) => {
                    tracing::debug!(url = %self.url, kid = ?jwk.get("kid"), "skipping key: {}", escape_controls(&e.to_string()))
                }
            }
        }
        tracing::info!(url = %self.url, keys = keys.len(), "fetched JSON Web Key Set");
        Ok(KeySet {
            keys,
            fetched: Instant::now(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use axum::Router;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Serve `doc()` as a key set on loopback, counting fetches.
    async fn serve(doc: Arc<RwLock<Value>>, hits: Arc<AtomicUsize>) -> String {
        let app = Router::new().route(
            "/jwks",
            get(move || {
                let doc = doc.clone();
                let hits = hits.clone();
                async move {
                    hits.fetch_add(1, Ordering::SeqCst);
                    axum::Json(doc.read().clone())
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/jwks")
    }

    fn rsa_jwk(kid: &str) -> Value {
        let super::super::keys::Generated::KeyPair { public_pem, .. } =
            super::super::keys::generate(Algorithm::RS256, 2048).unwrap()
        else {
            panic!()
        };
        let public = super::super::keys::parse_public(Algorithm::RS256, &public_pem).unwrap();
        let mut jwk = public.jwk.unwrap();
        jwk.insert("kid".into(), kid.into());
        Value::Object(jwk)
    }

    #[tokio::test]
    async fn unknown_kid_refreshes_at_most_once_per_interval() {
        let (one, two) = (rsa_jwk("one"), rsa_jwk("two"));
        let doc = Arc::new(RwLock::new(json!({"keys": [one]})));
        let hits = Arc::new(AtomicUsize::new(0));
        let url = serve(doc.clone(), hits.clone()).await;
        let jwks = RemoteJwks::new(&url)
            .unwrap()
            .with_min_refresh(Duration::from_millis(800));

        assert!(jwks.key_for(Some("one"), Algorithm::RS256).await.is_ok());
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        // Cached: no second fetch.
        assert!(jwks.key_for(Some("one"), Algorithm::RS256).await.is_ok());
        assert_eq!(hits.load(Ordering::SeqCst), 1);

        // A rotated key appears on the server; within the interval an unknown
        // kid does not refetch.
        doc.write()["keys"].as_array_mut().unwrap().push(two);
        assert_eq!(
            jwks.key_for(Some("two"), Algorithm::RS256).await.err(),
            Some(VerifyError::UnknownKey("two".into()))
        );
        assert_eq!(hits.load(Ordering::SeqCst), 1);

        tokio::time::sleep(Duration::from_millis(850)).await;
        assert!(jwks.key_for(Some("two"), Algorithm::RS256).await.is_ok());
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        // Still unknown after the refresh: no more fetches until the interval passes.
        assert!(jwks.key_for(Some("three"), Algorithm::RS256).await.is_err());
        assert_eq!(hits.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn unreachable_key_set_is_a_server_fault() {
        let jwks = RemoteJwks::new("http://127.0.0.1:9/jwks").unwrap();
        let err = jwks.key_for(None, Algorithm::RS256).await.err().unwrap();
        assert!(!err.is_token_fault(), "{err}");
        assert!(RemoteJwks::new("file:///etc/passwd").is_err());
    }
}

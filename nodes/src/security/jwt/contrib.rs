//! node-red-contrib-jwt's `jwt sign` and `jwt verify`, so flows exported
//! with the popular Node-RED JWT nodes run unchanged.
//!
//! Faithful to `jwt.js` 0.1.0 and the `jsonwebtoken` 8 it calls: the same
//! fields (`alg`, `exp`, `secret`, `key`, `jwkurl`, `jwkkid`, `signvar`,
//! `storetoken`), the same key sources (`NODE_RED_NODE_JWT_*` environment
//! variables first), the same error texts (`jwt expired`, `invalid
//! signature`…) and, on a failed verify, `msg.payload` = the error and
//! `msg.statusCode = 401`. Deliberate differences: `exp` is seconds (not
//! `jsonwebtoken`'s milliseconds for a unit-less string), a missing key file
//! is read again on the next message instead of breaking the node, key-set
//! tokens must use an algorithm their key allows, and an uncaught failure on
//! an HTTP request is answered 401 instead of never.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use flowgate_runtime::files::{self, ReadFileError, MAX_KEY_FILE_BYTES};
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Map, Value};

use super::claims::{now, sign, sign_raw, type_name, Verified, VerifyError, VerifyPolicy};
use super::config::{algorithm, opt_text, seconds, via, Problems};
use super::jwks::RemoteJwks;
use super::keys::{
    self, algorithm_name, is_symmetric, parse_algorithm, parse_private, parse_public, JwkKey,
    KeyError,
};
use super::request::{verify_failure, Challenge};
use super::verifier::{Verifier, VerifyKeys};
use crate::support::settings::{self, de, Choice, Field, Initial, Kind, NodeSettings};

/// The fields both contrib nodes have: where the key comes from and which
/// message properties hold the token.
const JWKURL: Field = Field::text("jwkurl", "").label("JWK URL");
const SECRET: Field = Field::new("secret", Kind::Password, Initial::Str(""));
const KEY: Field = Field::text("key", "").label("Key file");
const STORETOKEN: Field = Field::select("storetoken", PROPERTIES, "payload");
const PROPERTIES: &[Choice] = &[
    Choice::plain("payload"),
    Choice::plain("token"),
    Choice::plain("topic"),
];

/// A `jwt sign` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct JwtSignSettings {
    #[serde(deserialize_with = "algorithm")]
    pub alg: Algorithm,
    /// Token lifetime; none issues tokens without `exp`.
    #[serde(deserialize_with = "seconds")]
    pub exp: Option<u64>,
    #[serde(deserialize_with = "opt_text")]
    pub jwkurl: Option<String>,
    /// The header's `kid` exactly as given (even empty, as
    /// node-red-contrib-jwt sends it); none when absent.
    pub jwkkid: Option<String>,
    #[serde(deserialize_with = "opt_text")]
    pub secret: Option<String>,
    #[serde(deserialize_with = "opt_text")]
    pub key: Option<String>,
    #[serde(deserialize_with = "property")]
    pub signvar: String,
    #[serde(deserialize_with = "property")]
    pub storetoken: String,
}

impl NodeSettings for JwtSignSettings {
    const FIELDS: &'static [Field] = &[
        Field::name(),
        Field::select("alg", keys::ALGORITHMS, "HS256"),
        // Absent: no expiry, as node-red-contrib-jwt does.
        Field::new("exp", Kind::Text, Initial::Int(3600))
            .label("Expiration (seconds)")
            .absent(Initial::Null),
        JWKURL,
        Field::text("jwkkid", "")
            .label("JWK KID")
            .absent(Initial::Null),
        SECRET,
        KEY,
        Field::select("signvar", PROPERTIES, "payload"),
        STORETOKEN,
    ];
    const LABEL: Option<&'static str> = Some("name");
}

/// A `jwt verify` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct JwtVerifySettings {
    /// The algorithms a token may use.
    #[serde(deserialize_with = "algorithms")]
    pub alg: Vec<Algorithm>,
    #[serde(deserialize_with = "opt_text")]
    pub jwkurl: Option<String>,
    #[serde(deserialize_with = "opt_text")]
    pub secret: Option<String>,
    #[serde(deserialize_with = "opt_text")]
    pub key: Option<String>,
    #[serde(deserialize_with = "property")]
    pub signvar: String,
    #[serde(deserialize_with = "property")]
    pub storetoken: String,
}

impl NodeSettings for JwtVerifySettings {
    const FIELDS: &'static [Field] = &[
        Field::name(),
        Field::new(
            "alg",
            Kind::MultiSelect(keys::ALGORITHMS),
            Initial::Json(r#"["HS256"]"#),
        ),
        JWKURL,
        SECRET,
        KEY,
        Field::select(
            "signvar",
            &[
                Choice::plain("payload"),
                Choice::plain("token"),
                Choice::plain("topic"),
                Choice::plain("bearer"),
            ],
            "payload",
        ),
        STORETOKEN,
    ];
    const LABEL: Option<&'static str> = Some("name");
}

pub fn sign_node_type() -> NodeType {
    NodeType::runnable("jwt sign", build_sign)
        .category("function")
        .editor(settings::editor_json::<JwtSignSettings>())
}

pub fn verify_node_type() -> NodeType {
    NodeType::runnable("jwt verify", build_verify)
        .category("function")
        .editor(settings::editor_json::<JwtVerifySettings>())
}

/// A message property name field (`signvar`, `storetoken`), `payload` when
/// empty.
fn property<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let name = de::text(d)?;
    Ok(match name.trim() {
        "" => "payload".to_owned(),
        name => name.to_owned(),
    })
}

/// `alg` of `jwt verify`: a list of names, or comma-separated text.
fn algorithms<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Algorithm>, D::Error> {
    via(d, |v| {
        let names: Vec<String> = match v {
            None | Some(Value::Null) => vec!["HS256".into()],
            Some(Value::String(s)) => s
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(other) => return Err(format!("must list algorithms, not {}", type_name(other))),
        };
        let mut algs = Vec::new();
        let mut errors = Vec::new();
        for n in names {
            match parse_algorithm(&n) {
                Ok(a) if !algs.contains(&a) => algs.push(a),
                Ok(_) => {}
                Err(e) => errors.push(e.to_string()),
            }
        }
        if algs.is_empty() && errors.is_empty() {
            errors.push("select at least one algorithm".into());
        }
        if errors.is_empty() {
            Ok(algs)
        } else {
            Err(errors.join("; "))
        }
    })
}

/// Key text given inline, or a key file to read (now or, if it does not
/// exist yet, on a later message: the contrib example writes its key files
/// from the flow itself).
enum KeyText {
    Inline(String),
    File(Vec<PathBuf>),
}

/// Key text from the environment variable `env`, the node's credentials, or
/// its `field` (inline PEM/JWK, or a file path as node-red-contrib-jwt reads).
fn key_text(
    cx: &BuildCx<'_>,
    env: &str,
    credentials: &[&str],
    field: Option<String>,
    file: bool,
) -> Result<Option<KeyText>, String> {
    if let Some(v) = cx.env(env).filter(|v| !v.trim().is_empty()) {
        return Ok(Some(KeyText::Inline(v)));
    }
    if let Some(c) = credentials.iter().find_map(|name| cx.credential(name)) {
        return Ok(Some(KeyText::Inline(c)));
    }
    let Some(value) = field else {
        return Ok(None);
    };
    let inline = value.contains("-----BEGIN") || value.trim_start().starts_with('{');
    if !file || inline {
        return Ok(Some(KeyText::Inline(value)));
    }
    let path = PathBuf::from(&value);
    let mut candidates = vec![path.clone()];
    if path.is_relative() {
        if let Some(dir) = cx.settings.flows_path.as_deref().and_then(|p| p.parent()) {
            candidates.push(dir.join(&path));
        }
    }
    Ok(Some(KeyText::File(candidates)))
}

/// Read the first of `candidates` that exists: a regular file of at most
/// [`MAX_KEY_FILE_BYTES`]. The error says whether every candidate is merely
/// missing (the flow may still write it) or one is unusable.
fn read_key_file(candidates: &[PathBuf]) -> Result<String, ReadFileError> {
    let mut missing = None;
    for p in candidates {
        match files::read_regular_text(p, MAX_KEY_FILE_BYTES) {
            Ok(t) => return Ok(t),
            Err(e) if e.is_not_found() => missing = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(missing.expect("a key file path has at least one candidate"))
}

/// Parses key text read from a file.
type ParseKey<K> = Box<dyn Fn(&str) -> Result<K, KeyError> + Send + Sync>;

/// A key that is ready, or a file read on first use and kept once it parses.
enum Lazy<K> {
    Ready(K),
    File {
        candidates: Vec<PathBuf>,
        loaded: OnceLock<K>,
        parse: ParseKey<K>,
    },
    Missing(&'static str),
}

impl<K> Lazy<K> {
    fn get(&self) -> Result<&K, String> {
        match self {
            Lazy::Ready(k) => Ok(k),
            Lazy::Missing(why) => Err((*why).to_owned()),
            Lazy::File {
                candidates,
                loaded,
                parse,
            } => {
                if let Some(k) = loaded.get() {
                    return Ok(k);
                }
                let text = read_key_file(candidates).map_err(|e| format!("key file: {e}"))?;
                let key = parse(&text).map_err(|e| e.to_string())?;
                Ok(loaded.get_or_init(|| key))
            }
        }
    }
}

/// Turn key text into a [`Lazy`] key: parsed now when inline (a bad key is a
/// load problem), deferred when it is a file.
fn lazy<K: 'static>(
    found: Option<KeyText>,
    missing: &'static str,
    parse: impl Fn(&str) -> Result<K, KeyError> + Send + Sync + 'static,
) -> Result<Lazy<K>, String> {
    Ok(match found {
        None => Lazy::Missing(missing),
        Some(KeyText::Inline(t)) => Lazy::Ready(parse(&t).map_err(|e| e.to_string())?),
        Some(KeyText::File(candidates)) => match read_key_file(&candidates) {
            Ok(t) => Lazy::Ready(parse(&t).map_err(|e| e.to_string())?),
            Err(e) if !e.is_not_found() => return Err(format!("key file: {e}")),
            Err(e) => {
                tracing::warn!("key file: {e}; it will be read again when a message arrives");
                Lazy::File {
                    candidates,
                    loaded: OnceLock::new(),
                    parse: Box::new(parse),
                }
            }
        },
    })
}

// ---------------------------------------------------------------- jwt sign

enum SignKey {
    Local(Lazy<EncodingKey>),
    /// A private JWK from a key set, chosen by `jwkkid`.
    Remote(Arc<RemoteJwks>),
}

struct JwtSign {
    alg: Algorithm,
    /// `jsonwebtoken`'s `expiresIn`, in seconds.
    exp: Option<u64>,
    /// The header's `kid`: `jwkkid` exactly as given (even empty, as
    /// node-red-contrib-jwt sends it).
    kid: Option<String>,
    /// Headers for object payloads (`typ: JWT`) and for other payloads.
    header: Header,
    header_untyped: Header,
    key: SignKey,
    signvar: String,
    storetoken: String,
}

fn build_sign(node: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let mut problems = Problems::new(node);
    let Some(s) = problems.settings::<JwtSignSettings>() else {
        return Err(problems.fail(cx));
    };
    let (alg, exp, kid, jwkurl) = (s.alg, s.exp, s.jwkkid, s.jwkurl);
    let key = match jwkurl {
        Some(url) => match RemoteJwks::new(&url) {
            Ok(r) => SignKey::Remote(Arc::new(r)),
            Err(e) => {
                problems.push("jwkurl", e);
                SignKey::Local(Lazy::Missing(""))
            }
        },
        None if is_symmetric(alg) => {
            let found = problems.take(
                "secret",
                key_text(
                    cx,
                    "NODE_RED_NODE_JWT_SECRET",
                    &["secret"],
                    s.secret.clone(),
                    false,
                ),
                None,
            );
            SignKey::Local(problems.take(
                "secret",
                lazy(found, "secretOrPrivateKey must have a value", move |t| {
                    if t.trim_start().starts_with('{') {
                        parse_private(alg, t).map(|k| k.encoding)
                    } else {
                        Ok(EncodingKey::from_secret(t.as_bytes()))
                    }
                }),
                Lazy::Missing(""),
            ))
        }
        None => {
            let found = problems.take(
                "key",
                key_text(
                    cx,
                    "NODE_RED_NODE_JWT_PRIVATE_KEY",
                    &["key", "privatekey"],
                    s.key.clone(),
                    true,
                ),
                None,
            );
            SignKey::Local(problems.take(
                "key",
                lazy(found, "secretOrPrivateKey must have a value", move |t| {
                    parse_private(alg, t).map(|k| k.encoding)
                }),
                Lazy::Missing(""),
            ))
        }
    };
    problems.finish(cx)?;
    let mut header = Header::new(alg);
    header.kid = kid.clone();
    let header_untyped = Header {
        typ: None,
        ..header.clone()
    };
    Ok(Built::new(
        JwtSign {
            alg,
            exp,
            kid,
            header,
            header_untyped,
            key,
            signvar: s.signvar,
            storetoken: s.storetoken,
        },
        1,
    ))
}

impl Node for JwtSign {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        match &self.key {
            SignKey::Local(lazy) => Outcome::Ready(match lazy.get() {
                Ok(key) => self.sign(msg, key, out),
                Err(why) => Err(NodeError::new(why).with_msg(msg)),
            }),
            SignKey::Remote(jwks) => Outcome::Pending(Box::pin(async move {
                let kid = self.kid.as_deref().filter(|k| !k.is_empty());
                let found = jwks.key_for(kid, self.alg).await;
                let key = match &found {
                    Ok((set, i)) => match &set.keys[*i].key {
                        JwkKey::Private(k) if set.keys[*i].algorithms.contains(&self.alg) => {
                            Ok(&k.encoding)
                        }
                        JwkKey::Private(_) => Err(format!(
                            "the key \"{}\" cannot sign {}",
                            kid.unwrap_or(""),
                            algorithm_name(self.alg)
                        )),
                        JwkKey::Public(_) => Err(format!(
                            "the key \"{}\" in {} is a public key; signing needs the private key",
                            kid.unwrap_or(""),
                            jwks.url()
                        )),
                    },
                    Err(e) => Err(format!("No Key Found in JWK: {e}")),
                };
                match key {
                    Ok(key) => self.sign(msg, key, out),
                    Err(why) => Err(NodeError::new(why).with_msg(msg)),
                }
            })),
        }
    }
}

impl JwtSign {
    fn sign(
        &self,
        mut msg: Message,
        key: &EncodingKey,
        out: &mut Outputs,
    ) -> Result<(), NodeError> {
        let token = match msg.body.get(&self.signvar) {
            None => Err("payload is required".to_owned()),
            Some(Value::Object(claims)) => self.sign_object(claims.clone(), key),
            Some(Value::Array(_)) | Some(Value::Null) => {
                Err("Expected \"payload\" to be a plain object.".to_owned())
            }
            Some(other) if self.exp.is_some() => Err(format!(
                "invalid expiresIn option for {} payload",
                if other.is_string() {
                    "string"
                } else if other.is_number() {
                    "number"
                } else {
                    "boolean"
                }
            )),
            Some(Value::String(s)) => {
                sign_raw(&self.header_untyped, s, key).map_err(|e| e.to_string())
            }
            Some(v) => sign(&self.header_untyped, v, key).map_err(|e| e.to_string()),
        };
        match token {
            Ok(token) => {
                msg.body
                    .insert(self.storetoken.clone(), Value::String(token));
                out.send(0, msg);
                Ok(())
            }
            Err(why) => Err(NodeError::new(why).with_msg(msg)),
        }
    }

    /// `jsonwebtoken.sign` for an object payload: numeric registered claims,
    /// `iat` = the payload's or now, `exp` = `iat` + the node's expiration.
    fn sign_object(
        &self,
        mut claims: Map<String, Value>,
        key: &EncodingKey,
    ) -> Result<String, String> {
        for name in ["iat", "exp", "nbf"] {
            if claims.get(name).is_some_and(|v| !v.is_number()) {
                return Err(format!("\"{name}\" should be a number of seconds"));
            }
        }
        if self.exp.is_some() && claims.contains_key("exp") {
            return Err(
                "Bad \"options.expiresIn\" option the payload already has an \"exp\" property."
                    .into(),
            );
        }
        let iat = match claims.get("iat").and_then(Value::as_f64) {
            Some(t) if t != 0.0 => t,
            _ => now() as f64,
        };
        let iat_value = if iat.fract() == 0.0 {
            Value::from(iat as u64)
        } else {
            json!(iat)
        };
        claims.insert("iat".into(), iat_value);
        if let Some(secs) = self.exp {
            claims.insert("exp".into(), Value::from(iat.floor() as u64 + secs));
        }
        sign(&self.header, &claims, key).map_err(|e| e.to_string())
    }
}

// -------------------------------------------------------------- jwt verify

enum VerifySource {
    Local(Lazy<Verifier>),
    Remote(Verifier),
}

struct JwtVerify {
    source: VerifySource,
    signvar: String,
    storetoken: String,
}

fn build_verify(node: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let mut problems = Problems::new(node);
    let Some(s) = problems.settings::<JwtVerifySettings>() else {
        return Err(problems.fail(cx));
    };
    let algs = s.alg;
    let jwkurl = s.jwkurl;
    let policy = VerifyPolicy {
        algorithms: algs.clone(),
        ..VerifyPolicy::default()
    };
    let source = match jwkurl {
        // node-red-contrib-jwt takes the algorithm from the token when it
        // uses a key set; here the key decides which algorithms it allows.
        Some(url) => match RemoteJwks::new(&url) {
            Ok(r) => VerifySource::Remote(Verifier {
                policy: VerifyPolicy::default(),
                keys: VerifyKeys::Remote(Arc::new(r)),
            }),
            Err(e) => {
                problems.push("jwkurl", e);
                VerifySource::Local(Lazy::Missing(""))
            }
        },
        None => {
            let asymmetric: Vec<Algorithm> =
                algs.iter().copied().filter(|a| !is_symmetric(*a)).collect();
            let (field, found) = if asymmetric.is_empty() {
                (
                    "secret",
                    key_text(
                        cx,
                        "NODE_RED_NODE_JWT_SECRET",
                        &["secret"],
                        s.secret.clone(),
                        false,
                    ),
                )
            } else {
                (
                    "key",
                    key_text(
                        cx,
                        "NODE_RED_NODE_JWT_PUBLIC_KEY",
                        &["key", "publickey"],
                        s.key.clone(),
                        true,
                    ),
                )
            };
            let found = problems.take(field, found, None);
            let parse = move |t: &str| -> Result<Verifier, KeyError> {
                let decoding = if asymmetric.is_empty() {
                    match t.trim_start().starts_with('{') {
                        true => parse_public(algs[0], t)?.decoding,
                        false => keys::secret_key(t.as_bytes()).public.decoding,
                    }
                } else {
                    // The first listed algorithm the key fits decides its type.
                    let mut last = None;
                    let mut found = None;
                    for a in &asymmetric {
                        match parse_public(*a, t) {
                            Ok(k) => {
                                found = Some(k.decoding);
                                break;
                            }
                            Err(e) => last = Some(e),
                        }
                    }
                    match found {
                        Some(k) => k,
                        None => return Err(last.expect("at least one algorithm")),
                    }
                };
                Ok(Verifier {
                    policy: policy.clone(),
                    keys: VerifyKeys::Local(decoding),
                })
            };
            VerifySource::Local(problems.take(
                field,
                lazy(found, "secret or public key must be provided", parse),
                Lazy::Missing(""),
            ))
        }
    };
    problems.finish(cx)?;
    Ok(Built::new(
        JwtVerify {
            source,
            signvar: s.signvar,
            storetoken: s.storetoken,
        },
        1,
    ))
}

impl Node for JwtVerify {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        if self.signvar == "bearer" {
            if let Some(t) = contrib_bearer(&msg) {
                msg.body.insert("bearer".into(), Value::String(t));
            }
        }
        let token = match msg.body.get(&self.signvar) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Outcome::Ready(Err(self.fail(msg, "jwt must be a string".into(), None)));
            }
        };
        let Some(token) = token else {
            return Outcome::Ready(Err(self.fail(
                msg,
                "jwt must be provided".into(),
                Some(&VerifyError::Missing),
            )));
        };
        let verifier = match &self.source {
            VerifySource::Local(lazy) => match lazy.get() {
                Ok(v) => v,
                Err(why) => return Outcome::Ready(Err(self.fail(msg, why, None))),
            },
            VerifySource::Remote(v) => v,
        };
        match verifier.verify_now(&token) {
            Some(r) => Outcome::Ready(self.finish(msg, &token, r, out)),
            None => Outcome::Pending(Box::pin(async move {
                let r = verifier.verify(&token).await;
                self.finish(msg, &token, r, out)
            })),
        }
    }
}

/// node-red-contrib-jwt's `bearer` lookup: an `Authorization` header of
/// exactly `Bearer <token>` (or `msg.prefix <token>`); only without that
/// header, `access_token` from the query, then the body.
fn contrib_bearer(msg: &Message) -> Option<String> {
    match super::request::authorization(msg) {
        Some(h) => {
            let parts: Vec<&str> = h.split(' ').collect();
            let prefix = msg.body.get("prefix").and_then(Value::as_str);
            (parts.len() == 2 && (parts[0] == "Bearer" || Some(parts[0]) == prefix))
                .then(|| parts[1].to_owned())
        }
        None => super::request::access_token(msg),
    }
}

impl JwtVerify {
    fn finish(
        &self,
        msg: Message,
        token: &str,
        result: Result<Verified, VerifyError>,
        out: &mut Outputs,
    ) -> Result<(), NodeError> {
        match result {
            Ok(v) => {
                let mut msg = msg;
                msg.body.insert(self.storetoken.clone(), v.claims);
                out.send(0, msg);
                Ok(())
            }
            Err(e) => {
                let (name, message, extra) = node_error(&e, token);
                let mut error = Map::new();
                error.insert("name".into(), name.into());
                error.insert("message".into(), message.clone().into());
                if let Some((k, v)) = extra {
                    error.insert(k.into(), v.into());
                }
                let mut msg = msg;
                msg.set_payload(Value::Object(error));
                Err(self.fail(msg, message, Some(&e)))
            }
        }
    }

    /// Every verify failure sets `msg.statusCode = 401`, as the original does.
    fn fail(&self, mut msg: Message, reason: String, err: Option<&VerifyError>) -> NodeError {
        msg.body.insert("statusCode".into(), Value::from(401));
        // Whatever else fails (a key that cannot be read, a token that is
        // not a string) is answered as a bad token, as the original does.
        let challenge = err
            .and_then(|e| Challenge::of(e, &reason))
            .unwrap_or_else(|| Challenge::invalid_token(&reason));
        verify_failure(msg, Some(challenge), &reason)
    }
}

/// The error `jsonwebtoken` 8 would give for `token`: (name, message,
/// extra property).
fn node_error(
    e: &VerifyError,
    token: &str,
) -> (&'static str, String, Option<(&'static str, String)>) {
    const JWT: &str = "JsonWebTokenError";
    let three_parts = token.split('.').count() == 3;
    match e {
        VerifyError::Missing => (JWT, "jwt must be provided".into(), None),
        // jsonwebtoken checks, in order: three parts, a decodable token, a
        // signature, then the algorithm.
        VerifyError::Malformed(_) if !three_parts => (JWT, "jwt malformed".into(), None),
        VerifyError::Malformed(_) | VerifyError::AlgNone if token.ends_with('.') => {
            let header_ok = matches!(super::claims::peek(token).0, Some(Value::Object(_)));
            let message = if header_ok {
                "jwt signature is required"
            } else {
                "invalid token"
            };
            (JWT, message.into(), None)
        }
        VerifyError::Malformed(_) => (JWT, "invalid token".into(), None),
        VerifyError::AlgNone
        | VerifyError::AlgNotAllowed { .. }
        | VerifyError::KeyMismatch(_)
        | VerifyError::NoMatchingKey(_) => (JWT, "invalid algorithm".into(), None),
        VerifyError::BadSignature => (JWT, "invalid signature".into(), None),
        VerifyError::Expired { exp } => (
            "TokenExpiredError",
            "jwt expired".into(),
            Some(("expiredAt", iso8601(*exp))),
        ),
        VerifyError::NotYetValid { nbf } => (
            "NotBeforeError",
            "jwt not active".into(),
            Some(("date", iso8601(*nbf))),
        ),
        VerifyError::InvalidClaim(name, _) => (JWT, format!("invalid {name} value"), None),
        other => (JWT, other.to_string(), None),
    }
}

/// A time in seconds as JavaScript's `Date.toISOString()` writes it.
fn iso8601(secs: f64) -> String {
    let millis = (secs * 1000.0).round() as i64;
    let (days, ms_of_day) = (millis.div_euclid(86_400_000), millis.rem_euclid(86_400_000));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(body: Value) -> Message {
        Message::from_body(body.as_object().unwrap().clone())
    }

    #[test]
    fn bearer_lookup_follows_the_original() {
        let req = |headers: Value| json!({"req": {"headers": headers, "query": {"access_token": "q"}, "body": {}}});
        assert_eq!(
            contrib_bearer(&msg(req(json!({"authorization": "Bearer t"})))).as_deref(),
            Some("t")
        );
        // Case-sensitive scheme, exactly two parts, and no fallback to the
        // query once an Authorization header is present.
        assert_eq!(
            contrib_bearer(&msg(req(json!({"authorization": "bearer t"})))),
            None
        );
        assert_eq!(
            contrib_bearer(&msg(req(json!({"authorization": "Bearer  t"})))),
            None
        );
        let mut custom = req(json!({"authorization": "JWT t"}));
        custom["prefix"] = json!("JWT");
        assert_eq!(contrib_bearer(&msg(custom)).as_deref(), Some("t"));
        assert_eq!(contrib_bearer(&msg(req(json!({})))).as_deref(), Some("q"));
    }

    #[test]
    fn errors_carry_jsonwebtoken_texts() {
        assert_eq!(
            node_error(&VerifyError::BadSignature, "a.b.c").1,
            "invalid signature"
        );
        assert_eq!(
            node_error(&VerifyError::AlgNone, "a.b.c").1,
            "invalid algorithm"
        );
        let none = "eyJhbGciOiJub25lIn0.eyJleHAiOjE2MDAwMDAwMDB9.";
        assert_eq!(
            node_error(&VerifyError::AlgNone, none).1,
            "jwt signature is required"
        );
        let bad = VerifyError::Malformed("header is not base64url-encoded JSON");
        assert_eq!(node_error(&bad, "a.b.c").1, "invalid token");
        assert_eq!(node_error(&bad, "abc").1, "jwt malformed");
        let (name, message, extra) = node_error(&VerifyError::NotYetValid { nbf: 0.0 }, "a.b.c");
        assert_eq!(
            (name, message.as_str()),
            ("NotBeforeError", "jwt not active")
        );
        assert_eq!(extra, Some(("date", "1970-01-01T00:00:00.000Z".to_owned())));
    }

    #[test]
    fn iso_dates_match_javascript() {
        assert_eq!(iso8601(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_700_000_000.0), "2023-11-14T22:13:20.000Z");
        assert_eq!(iso8601(951_782_400.5), "2000-02-29T00:00:00.500Z");
    }
}

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

use super::keys::{Algorithm, EncodingKey, Header};
use flowgate_runtime::files::{self, ReadFileError, MAX_KEY_FILE_BYTES};
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
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
const SECRET: Field = Field::new("secret", Kind::Password, Initial::Str("")).label("Secret");
const KEY: Field = Field::text("key", "").label("Key File");
const STORETOKEN: Field = Field::select("storetoken", PROPERTIES, "payload").label("Store Token");
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
        Field::select("alg", keys::ALGORITHMS, "HS256").label("Algorithm"),
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
        Field::select("signvar", PROPERTIES, "payload").label("Sign"),
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
        )
        .label("Algorithm"),
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
        )
        .label("Verify"),
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

mod sign;
mod verify;

use sign::build_sign;
use verify::build_verify;

//! `jwt-config`: a named token policy (algorithm, lifetime, issuer,
//! audience, scope…) with its keys, built once when a flow loads and shared
//! by every `jwt` node, the JWKS endpoint, the editor's console and
//! `flowgate token`.
//!
//! Secrets and private keys are credentials (`flows_cred.json`), never flow
//! properties (the loader moves literal ones there); a config without one
//! gets a fresh random one, saved so that restarts keep issuing tokens the
//! same key verifies, unless it held one before (then the lost key is an
//! error to fix, not something to replace).

use std::sync::Arc;

use super::keys::{Algorithm, Header};
use axum::routing::{get, post};
use flowgate_runtime::credentials;
use flowgate_runtime::envsubst;
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, ConfigObject, NodeType};
use flowgate_runtime::Problem;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Map, Value};

use super::claims::{now, parse_seconds, IssuePolicy, SignError, VerifyPolicy};
use super::jwks::{RemoteJwks, JWKS_PATH};
use super::keys::{
    self, algorithm_name, is_symmetric, parse_algorithm, parse_private, parse_public, Generated,
    PrivateKey, PublicKey, MIN_SECRET_BYTES, RSA_BITS,
};
use super::signer::TokenSigner;
use super::verifier::{Verifier, VerifyKeys};
use super::{console, jwks};
use crate::support::settings::{self, de, Field, Initial, NodeSettings, Secret};

/// A `jwt-config` node's settings (its keys are credentials, read apart).
#[derive(Debug, Serialize, Deserialize)]
pub struct JwtConfigSettings {
    #[serde(deserialize_with = "algorithm")]
    pub algorithm: Algorithm,
    /// Token lifetime; none (or 0) issues tokens without `exp`.
    #[serde(deserialize_with = "seconds")]
    pub expiresin: Option<u64>,
    #[serde(deserialize_with = "seconds")]
    pub notbefore: Option<u64>,
    #[serde(deserialize_with = "seconds")]
    pub leeway: Option<u64>,
    #[serde(deserialize_with = "opt_text")]
    pub issuer: Option<String>,
    #[serde(deserialize_with = "list")]
    pub audience: Vec<String>,
    #[serde(deserialize_with = "opt_text")]
    pub subject: Option<String>,
    #[serde(deserialize_with = "opt_text")]
    pub keyid: Option<String>,
    #[serde(deserialize_with = "de::flag")]
    pub jti: bool,
    #[serde(deserialize_with = "list")]
    pub requiredclaims: Vec<String>,
    #[serde(deserialize_with = "opt_text")]
    pub scope: Option<String>,
    #[serde(deserialize_with = "opt_text")]
    pub jwksurl: Option<String>,
    #[serde(deserialize_with = "de::flag")]
    pub publishjwks: bool,
}

impl NodeSettings for JwtConfigSettings {
    const FIELDS: &'static [Field] = &[
        Field::name(),
        Field::select("algorithm", keys::ALGORITHMS, "HS256").label("Algorithm"),
        // Absent: no expiry, as before the editor wrote a default.
        Field::text("expiresin", "86400")
            .label("Expires in (seconds)")
            .absent(Initial::Null),
        Field::text("issuer", "").label("Issuer"),
        Field::text("audience", "").label("Audience"),
        Field::text("subject", "").label("Subject"),
        Field::text("notbefore", "").label("Not before (seconds)"),
        Field::text("keyid", "").label("Key id"),
        Field::checkbox("jti", false).label("Add a token id (jti)"),
        Field::text("leeway", "0").label("Leeway (seconds)"),
        Field::text("requiredclaims", "").label("Required claims"),
        Field::text("scope", "").label("Scope"),
        Field::text("jwksurl", "").label("JWKS URL"),
        Field::checkbox("publishjwks", false).label("Publish on /.well-known/jwks.json"),
        Field::credential("secret", Secret::Password, false).label("Secret"),
        Field::credential("privatekey", Secret::Password, true).label("Private key"),
        Field::credential("publickey", Secret::Text, true).label("Public key"),
    ];
    const LABEL: Option<&'static str> = Some("name");
}

/// A field read by `read` from its JSON value, its error as the message.
pub(crate) fn via<'de, D: Deserializer<'de>, T>(
    d: D,
    read: impl FnOnce(Option<&Value>) -> Result<T, String>,
) -> Result<T, D::Error> {
    let v = Value::deserialize(d)?;
    read(Some(&v)).map_err(D::Error::custom)
}

pub(crate) fn algorithm<'de, D: Deserializer<'de>>(d: D) -> Result<Algorithm, D::Error> {
    via(d, |v| match v.and_then(Value::as_str).map(str::trim) {
        Some(name) if !name.is_empty() => parse_algorithm(name).map_err(|e| e.to_string()),
        _ => Ok(Algorithm::HS256),
    })
}

pub(crate) fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    via(d, parse_seconds)
}

pub(crate) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    via(d, text_value)
}

fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    via(d, list_value)
}

/// The type, with the routes it serves: the public keys of the configs
/// that publish them, and the admin's token console.
pub fn node_type() -> NodeType {
    NodeType::config("jwt-config", build)
        .editor(settings::editor_json::<JwtConfigSettings>())
        .public_route(JWKS_PATH, |rt| get(jwks::serve_jwks).with_state(rt))
        .admin_route("/jwt/configs", |rt| {
            get(console::list_configs).with_state(rt)
        })
        .admin_route("/jwt/console/generate", |rt| {
            post(console::generate).with_state(rt)
        })
        .admin_route("/jwt/console/verify", |rt| {
            post(console::verify).with_state(rt)
        })
}

/// A built `jwt-config`: policy, parsed keys, and what it publishes.
pub struct JwtConfig {
    id: String,
    name: String,
    algorithm: Algorithm,
    issue: IssuePolicy,
    header: Header,
    /// The key and header prepared for signing, or why this config cannot sign.
    signing: Result<TokenSigner, String>,
    verifier: Verifier,
    published: Option<Value>,
}

/// A token issued by a config, with what went into it (for the console).
pub struct Issued {
    pub token: String,
    pub header: Value,
    pub claims: Map<String, Value>,
}

impl JwtConfig {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `name (id)`, how logs and errors refer to the config.
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            self.id.clone()
        } else {
            format!("\"{}\" ({})", self.name, self.id)
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn audience(&self) -> &[String] {
        &self.issue.audience
    }

    pub fn issuer(&self) -> Option<&str> {
        self.issue.issuer.as_deref()
    }

    pub fn scope(&self) -> Option<&str> {
        self.verifier.policy.scope.as_deref()
    }

    /// The verification this config performs.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The public JWK served on `/.well-known/jwks.json`, when it publishes.
    pub fn published_jwk(&self) -> Option<&Value> {
        self.published.as_ref()
    }

    /// Complete `claims` with the registered claims and sign them; the
    /// completed claims are left in `claims`.
    pub fn sign_claims(&self, claims: &mut Map<String, Value>) -> Result<String, SignError> {
        let key = self
            .signing
            .as_ref()
            .map_err(|why| SignError::NoKey(why.clone()))?;
        self.issue.complete(claims, now())?;
        key.sign(claims)
    }

    /// Issue a token for `claims`, returning header and final claims too.
    pub fn issue(&self, mut claims: Map<String, Value>) -> Result<Issued, SignError> {
        let token = self.sign_claims(&mut claims)?;
        Ok(Issued {
            token,
            header: serde_json::to_value(&self.header).expect("header serializes"),
            claims,
        })
    }

    /// What the editor may show about this config: never key material.
    pub fn summary(&self) -> Value {
        let audience = match self.issue.audience.as_slice() {
            [] => Value::Null,
            [one] => Value::String(one.clone()),
            many => json!(many),
        };
        json!({
            "id": self.id,
            "name": self.name,
            "algorithm": algorithm_name(self.algorithm),
            "audience": audience,
            "issuer": self.issue.issuer,
            "scope": self.verifier.policy.scope,
        })
    }
}

/// Collects every problem of a node so they are reported together.
pub(crate) struct Problems<'n> {
    node: &'n NodeConfig,
    list: Vec<Problem>,
}

impl<'n> Problems<'n> {
    pub(crate) fn new(node: &'n NodeConfig) -> Self {
        Problems {
            node,
            list: Vec::new(),
        }
    }

    /// Keep `r`'s value, or note its problem on `field` and use `fallback`.
    pub(crate) fn take<T>(&mut self, field: &str, r: Result<T, String>, fallback: T) -> T {
        r.unwrap_or_else(|m| {
            self.list.push(self.node.problem(Some(field), m));
            fallback
        })
    }

    /// The settings of type `S`, each bad field noted and read as its
    /// default; `None` (with the problems noted) when they do not read at all.
    pub(crate) fn settings<S: NodeSettings>(&mut self) -> Option<S> {
        let (settings, problems) = settings::read_partial::<S>(self.node);
        self.list.extend(problems);
        settings
    }

    pub(crate) fn push(&mut self, field: &str, message: impl Into<String>) {
        self.list.push(self.node.problem(Some(field), message));
    }

    /// [`finish`](Self::finish) when a problem was noted: report all but one
    /// and return that one.
    pub(crate) fn fail(self, cx: &mut BuildCx<'_>) -> Problem {
        self.finish(cx).expect_err("a problem was noted")
    }

    /// Report all but one problem to `cx` and return that one, if any.
    pub(crate) fn finish(mut self, cx: &mut BuildCx<'_>) -> Result<(), Problem> {
        match self.list.pop() {
            None => Ok(()),
            Some(last) => {
                for p in self.list {
                    cx.report(p);
                }
                Err(last)
            }
        }
    }
}

/// A `${VAR}` reference the environment could not fill is an error, not a
/// value: an issuer or a secret must never silently be the literal text.
fn unresolved(value: &str) -> Result<(), String> {
    match envsubst::reference(value.trim()) {
        Some(name) => Err(format!("environment variable {name} is not set")),
        None => Ok(()),
    }
}

/// An optional text field; empty is absent.
pub(crate) fn text(node: &NodeConfig, field: &str) -> Result<Option<String>, String> {
    text_value(node.raw.get(field))
}

/// [`text`] of a value.
fn text_value(value: Option<&Value>) -> Result<Option<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => {
            unresolved(s)?;
            Ok(Some(s.trim().to_owned()))
        }
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(format!(
            "must be text, not {}",
            super::claims::type_name(other)
        )),
    }
}

/// A list field: a JSON array of strings, or comma-separated text.
fn list_value(value: Option<&Value>) -> Result<Vec<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => {
            unresolved(s)?;
            Ok(s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect())
        }
        Some(Value::Array(items)) => items
            .iter()
            .filter(|v| !v.as_str().is_some_and(|s| s.trim().is_empty()))
            .map(|v| match v {
                Value::String(s) => unresolved(s).map(|_| s.trim().to_owned()),
                other => Err(format!(
                    "must list text values, not {}",
                    super::claims::type_name(other)
                )),
            })
            .collect(),
        Some(other) => Err(format!(
            "must be a list, not {}",
            super::claims::type_name(other)
        )),
    }
}

/// Secret text from, in order: the node's credentials (a `${VAR}` credential
/// is read from the environment), then the flow property (already
/// environment-substituted by the loader).
pub(crate) fn secret_text(
    node: &NodeConfig,
    cx: &BuildCx<'_>,
    name: &str,
) -> Result<Option<String>, String> {
    if let Some(c) = cx.credential(name) {
        return match envsubst::reference(c.trim()) {
            Some(var) => match cx.env(var) {
                Some(v) if !v.is_empty() => Ok(Some(v)),
                _ => Err(format!(
                    "credential refers to environment variable {var}, which is not set"
                )),
            },
            None => Ok(Some(c)),
        };
    }
    text(node, name)
}

/// Where generated credentials are saved, for the one warning about them.
pub(crate) fn credentials_file(cx: &BuildCx<'_>) -> Option<String> {
    cx.settings
        .credentials_path
        .clone()
        .or_else(|| {
            cx.settings
                .flows_path
                .as_deref()
                .map(credentials::default_path)
        })
        .map(|p| p.display().to_string())
}

fn describe(node: &NodeConfig) -> String {
    if node.name.is_empty() {
        format!("jwt-config {}", node.id)
    } else {
        format!("jwt-config \"{}\" ({})", node.name, node.id)
    }
}

fn generated_warning(node: &NodeConfig, cx: &BuildCx<'_>, what: &str, credential: &str) {
    let label = describe(node);
    if cx.settings.validate_only {
        tracing::info!(
            "{label} has no {credential}: `flowgate run` will generate {what} and save it"
        );
        return;
    }
    match credentials_file(cx) {
        Some(path) => tracing::warn!(
            "{label} has no {credential}: generated {what} and saved it as credential \"{credential}\" in {path} (keep that file private)"
        ),
        None => tracing::warn!(
            "{label} has no {credential}: generated {what}, kept in memory only (no credentials file), so tokens stop verifying after a restart"
        ),
    }
}

/// Verification accepts a token without `exp` unless `exp` is a required
/// claim, and such a token is valid forever; say so at load, once per config
/// that `jwt` nodes verify with.
fn warn_without_expiry(node: &NodeConfig, cx: &BuildCx<'_>, required: &[String]) {
    if required.iter().any(|c| c == "exp") {
        return;
    }
    let verifiers: Vec<&str> = cx
        .flow_nodes()
        .iter()
        .filter(|n| super::ignite::verifies_with(n, &node.id))
        .map(|n| n.id.as_str())
        .collect();
    if verifiers.is_empty() {
        return;
    }
    tracing::warn!(
        "{}: \"exp\" is not a required claim, so tokens without an expiry are accepted and never expire (verified by jwt node {}); add exp to requiredclaims to refuse them",
        describe(node),
        verifiers.join(", ")
    );
}

/// Signing and verification keys of a config.
struct Keys {
    signing: Option<PrivateKey>,
    public: Option<PublicKey>,
}

fn load_keys(
    node: &NodeConfig,
    cx: &mut BuildCx<'_>,
    alg: Algorithm,
    remote: bool,
    problems: &mut Problems<'_>,
) -> Keys {
    let none = Keys {
        signing: None,
        public: None,
    };
    if is_symmetric(alg) {
        let secret = problems.take("secret", secret_text(node, cx, "secret"), None);
        if problems
            .list
            .iter()
            .any(|p| p.field.as_deref() == Some("secret"))
        {
            return none;
        }
        let secret = match secret {
            Some(s) => s,
            None if remote => return none,
            None => {
                let Ok(Generated::Secret(s)) = keys::generate(alg, RSA_BITS) else {
                    unreachable!("HMAC generation cannot fail")
                };
                if let Err(refused) = cx.set_credential("secret", Value::String(s.clone())) {
                    problems.push("secret", refused);
                    return none;
                }
                generated_warning(node, cx, "a random 256-bit secret", "secret");
                s
            }
        };
        let key = if secret.trim_start().starts_with('{') {
            match parse_private(alg, &secret) {
                Ok(k) => k,
                Err(e) => {
                    problems.push("secret", e.to_string());
                    return none;
                }
            }
        } else {
            if secret.len() < MIN_SECRET_BYTES {
                tracing::warn!(
                    "{}: the secret is shorter than {MIN_SECRET_BYTES} bytes; {} tokens are only as strong as their secret",
                    describe(node),
                    algorithm_name(alg)
                );
            }
            keys::secret_key(secret.as_bytes())
        };
        let public = key.public.clone();
        return Keys {
            signing: Some(key),
            public: Some(public),
        };
    }

    let private_text = problems.take("privatekey", secret_text(node, cx, "privatekey"), None);
    let public_text = problems.take("publickey", secret_text(node, cx, "publickey"), None);
    let mut signing = private_text.and_then(|t| match parse_private(alg, &t) {
        Ok(k) => Some(k),
        Err(e) => {
            problems.push("privatekey", e.to_string());
            None
        }
    });
    let public = public_text.and_then(|t| match parse_public(alg, &t) {
        Ok(k) => Some(k),
        Err(e) => {
            problems.push("publickey", e.to_string());
            None
        }
    });
    if let (Some(s), Some(p)) = (&signing, &public) {
        if s.public.jwk != p.jwk {
            problems.push(
                "publickey",
                "the public key does not belong to the private key",
            );
        }
    }
    let errored = problems
        .list
        .iter()
        .any(|p| matches!(p.field.as_deref(), Some("privatekey" | "publickey")));
    if signing.is_none() && public.is_none() && !remote && !errored {
        if let Err(refused) = cx.may_generate("privatekey") {
            problems.push("privatekey", refused);
            return none;
        }
        match keys::generate(alg, RSA_BITS) {
            Ok(Generated::KeyPair { private_pem, .. }) => match parse_private(alg, &private_pem) {
                Ok(k) => match cx.set_credential("privatekey", Value::String(private_pem)) {
                    Err(refused) => problems.push("privatekey", refused),
                    Ok(()) => {
                        let what = format!("a new {} key pair", algorithm_name(alg));
                        generated_warning(node, cx, &what, "privatekey");
                        signing = Some(k);
                    }
                },
                Err(e) => problems.push("privatekey", format!("generated key unusable: {e}")),
            },
            Ok(Generated::Secret(_)) => unreachable!("asymmetric algorithm"),
            Err(e) => problems.push("privatekey", e.to_string()),
        }
    }
    let public = public.or_else(|| signing.as_ref().map(|s| s.public.clone()));
    Keys { signing, public }
}

/// The JWK a config publishes at the JWKS route: only its own public key,
/// never a shared secret, with `kid` (the configured key id, else the key's
/// thumbprint), `use` and `alg` filled in.
fn published_jwk(
    node: &NodeConfig,
    algorithm: Algorithm,
    publish: bool,
    jwk: Option<&Map<String, Value>>,
    key_id: Option<&String>,
    thumbprint: Option<String>,
) -> Option<Value> {
    let symmetric = is_symmetric(algorithm);
    match (publish, symmetric, jwk) {
        (false, _, _) => None,
        (true, true, _) => {
            tracing::warn!(
                "{}: publishjwks is ignored for {}: shared secrets are never published",
                describe(node),
                algorithm_name(algorithm)
            );
            None
        }
        (true, false, None) => {
            tracing::warn!(
                "{}: publishjwks is set but the config has no key of its own to publish",
                describe(node)
            );
            None
        }
        (true, false, Some(jwk)) => {
            let mut jwk = jwk.clone();
            jwk.insert(
                "kid".into(),
                Value::String(key_id.cloned().or(thumbprint).unwrap_or_default()),
            );
            jwk.insert("use".into(), "sig".into());
            jwk.insert("alg".into(), algorithm_name(algorithm).into());
            Some(Value::Object(jwk))
        }
    }
}

/// Where verification finds its key: the remote JWKS when configured, else
/// the config's own public key.
fn verify_keys(
    node: &NodeConfig,
    remote: Option<&Arc<RemoteJwks>>,
    public: Option<&PublicKey>,
) -> VerifyKeys {
    match (remote, public) {
        (Some(r), _) => VerifyKeys::Remote(r.clone()),
        (None, Some(p)) => VerifyKeys::Local(p.decoding.clone()),
        (None, None) => {
            VerifyKeys::Missing(format!("{} has no key to verify with", describe(node)))
        }
    }
}

fn build(node: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<ConfigObject, Problem> {
    let mut problems = Problems::new(node);
    let Some(s) = problems.settings::<JwtConfigSettings>() else {
        return Err(problems.fail(cx));
    };
    let algorithm = s.algorithm;
    let expires_in = s.expiresin.filter(|s| *s > 0);
    let not_before = s.notbefore;
    let leeway = s.leeway.unwrap_or(0);
    let (issuer, subject, key_id, scope) = (s.issuer, s.subject, s.keyid, s.scope);
    let (audience, required_claims, jwks_url) = (s.audience, s.requiredclaims, s.jwksurl);
    let remote = jwks_url.and_then(|u| match RemoteJwks::new(&u) {
        Ok(r) => Some(Arc::new(r)),
        Err(e) => {
            problems.push("jwksurl", e);
            None
        }
    });
    let publish = s.publishjwks;
    let keys = load_keys(node, cx, algorithm, remote.is_some(), &mut problems);
    problems.finish(cx)?;

    let symmetric = is_symmetric(algorithm);
    let thumbprint = keys
        .public
        .as_ref()
        .and_then(|p| p.jwk.as_ref())
        .map(keys::thumbprint);
    let mut header = Header::new(algorithm);
    // A published key is found by its kid, so tokens carry it even when no
    // key id is configured (then it is the key's RFC 7638 thumbprint).
    header.kid = key_id.clone().or_else(|| {
        if publish && !symmetric {
            thumbprint.clone()
        } else {
            None
        }
    });
    let published = published_jwk(
        node,
        algorithm,
        publish,
        keys.public.as_ref().and_then(|p| p.jwk.as_ref()),
        key_id.as_ref(),
        thumbprint,
    );
    if published.is_some() {
        cx.claim_route("GET", JWKS_PATH);
    }
    warn_without_expiry(node, cx, &required_claims);
    let keys_for_verify = verify_keys(node, remote.as_ref(), keys.public.as_ref());
    let signing = keys
        .signing
        .ok_or_else(|| {
            format!(
                "{} has no {} to sign with; it can only verify",
                describe(node),
                if symmetric { "secret" } else { "private key" }
            )
        })
        .and_then(|k| TokenSigner::new(&header, &k.encoding).map_err(|e| e.to_string()));
    let config = JwtConfig {
        id: node.id.clone(),
        name: node.name.clone(),
        algorithm,
        issue: IssuePolicy {
            expires_in,
            not_before,
            issuer: issuer.clone(),
            audience: audience.clone(),
            subject: subject.clone(),
            jti: s.jti,
        },
        header,
        signing,
        verifier: Verifier {
            policy: VerifyPolicy {
                algorithms: vec![algorithm],
                leeway,
                audience,
                issuer,
                subject,
                required_claims,
                scope,
                object_claims: true,
            },
            keys: keys_for_verify,
        },
        published,
    };
    Ok(Arc::new(config))
}

//! Issuing and checking tokens: registered claims added on generate, and on
//! verify every check with a reason precise enough to put in a 401 answer.
//!
//! Signatures are made and checked by [`keys::sign`] and [`keys::verify`];
//! the claim checks are our own so each failure has its own reason (`token
//! expired`, `audience mismatch`, `missing scope: …`) and follows Node's
//! `jsonwebtoken` on the edges users notice (a token is expired *at* its
//! `exp` second).

use std::time::{SystemTime, UNIX_EPOCH};

use super::keys::{self, Algorithm, CryptoError, DecodingKey, EncodingKey, Header};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use super::keys::{algorithm_name, parse_algorithm, KeyError};

/// Seconds since 1970, the unit of `iat`, `exp` and `nbf`.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A JSON type's name for error messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A duration field in seconds: a number, a numeric string, or a timespan
/// such as `"1h"`, `"2 days"`, `"90s"` (the units Node's `ms` knows).
///
/// A unit-less string counts as **seconds**: node-red-contrib-jwt hands its
/// `exp` string to `jsonwebtoken`, which reads it as milliseconds, so the
/// editor's `"86400"` gives 86-second tokens there; here it gives a day.
/// Empty or absent is `None`.
pub fn parse_seconds(v: Option<&Value>) -> Result<Option<u64>, String> {
    let text = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => {
            let f = n.as_f64().unwrap_or(-1.0);
            if f < 0.0 || !f.is_finite() {
                return Err(format!("must be a positive number of seconds, not {n}"));
            }
            return Ok(Some(f.floor() as u64));
        }
        Some(Value::String(s)) => s.trim(),
        Some(other) => {
            return Err(format!(
                "must be a number of seconds, not {}",
                type_name(other)
            ))
        }
    };
    if text.is_empty() {
        return Ok(None);
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a number of seconds or a timespan like \"1h\""))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => 0.001,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86400.0,
        "w" | "week" | "weeks" => 604_800.0,
        "y" | "yr" | "yrs" | "year" | "years" => 31_557_600.0,
        other => return Err(format!("unknown time unit \"{other}\" in \"{text}\"")),
    };
    Ok(Some((value * factor).floor() as u64))
}

/// Why a token could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("{what} must be a JSON object of claims, not {found}")]
    NotObject { what: String, found: &'static str },
    #[error("claim \"{0}\" must be a number of seconds since 1970")]
    NotNumeric(&'static str),
    #[error("{0}")]
    NoKey(String),
    #[error("{0}")]
    Rejected(String),
    #[error("signing failed: {0}")]
    Crypto(String),
}

/// The registered claims a config adds to every token it issues.
#[derive(Debug, Clone, Default)]
pub struct IssuePolicy {
    /// `exp = iat + expires_in`; `None`: tokens do not expire.
    pub expires_in: Option<u64>,
    /// `nbf = iat + not_before`.
    pub not_before: Option<u64>,
    pub issuer: Option<String>,
    pub audience: Vec<String>,
    pub subject: Option<String>,
    /// Add a random (UUID v4) `jti`.
    pub jti: bool,
}

impl IssuePolicy {
    /// Add `iat` (now, unless the claims carry one), `nbf`, `exp`, and
    /// `aud`/`iss`/`sub`/`jti` where the claims do not already set them;
    /// custom claims are left exactly as they are.
    pub fn complete(&self, claims: &mut Map<String, Value>, now: u64) -> Result<(), SignError> {
        for name in ["iat", "exp", "nbf"] {
            if claims.get(name).is_some_and(|v| !v.is_number()) {
                return Err(SignError::NotNumeric(name));
            }
        }
        let iat = match claims.get("iat").and_then(Value::as_f64) {
            Some(t) => t.max(0.0).floor() as u64,
            None => {
                claims.insert("iat".into(), Value::from(now));
                now
            }
        };
        if let Some(nbf) = self.not_before {
            claims
                .entry("nbf")
                .or_insert_with(|| Value::from(iat.saturating_add(nbf)));
        }
        if let Some(secs) = self.expires_in {
            claims
                .entry("exp")
                .or_insert_with(|| Value::from(iat.saturating_add(secs)));
        }
        if !self.audience.is_empty() && !claims.contains_key("aud") {
            let aud = match self.audience.as_slice() {
                [one] => Value::String(one.clone()),
                many => Value::Array(many.iter().cloned().map(Value::String).collect()),
            };
            claims.insert("aud".into(), aud);
        }
        if let Some(iss) = &self.issuer {
            claims
                .entry("iss")
                .or_insert_with(|| Value::String(iss.clone()));
        }
        if let Some(sub) = &self.subject {
            claims
                .entry("sub")
                .or_insert_with(|| Value::String(sub.clone()));
        }
        if self.jti {
            claims
                .entry("jti")
                .or_insert_with(|| Value::String(uuid::Uuid::new_v4().to_string()));
        }
        Ok(())
    }
}

/// Sign `claims` (any JSON value; an object for a JWT) under `header`.
pub fn sign<T: serde::Serialize>(
    header: &Header,
    claims: &T,
    key: &EncodingKey,
) -> Result<String, SignError> {
    let json = flowgate_runtime::js_json::to_vec(claims);
    sign_bytes(header, &json, key)
}

/// Sign a string as it is (not JSON-encoded), as Node's `jsonwebtoken` does
/// for a string payload; such a JWS has no `typ`.
pub fn sign_raw(header: &Header, payload: &str, key: &EncodingKey) -> Result<String, SignError> {
    sign_bytes(header, payload.as_bytes(), key)
}

/// The compact JWS of `payload` under `header`.
fn sign_bytes(header: &Header, payload: &[u8], key: &EncodingKey) -> Result<String, SignError> {
    let header_json = flowgate_runtime::js_json::to_vec(header);
    let mut message = URL_SAFE_NO_PAD.encode(header_json);
    message.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut message);
    let signature = keys::sign(header.alg, key, message.as_bytes()).map_err(sign_error)?;
    message.push('.');
    message.push_str(&signature);
    Ok(message)
}

/// A signing failure as the nodes report it.
pub(crate) fn sign_error(e: CryptoError) -> SignError {
    match e {
        CryptoError::WrongKey(alg) => SignError::Crypto(format!("the key cannot sign {alg}")),
        other => SignError::Crypto(other.to_string()),
    }
}

/// Why a token was rejected. The text is the reason users see in
/// `msg.error.message` and in the 401's `WWW-Authenticate` description.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VerifyError {
    #[error("token missing")]
    Missing,
    #[error("token malformed: {0}")]
    Malformed(&'static str),
    #[error("algorithm none is not allowed")]
    AlgNone,
    #[error("algorithm {found} is not allowed (expected {expected})")]
    AlgNotAllowed { found: String, expected: String },
    #[error("algorithm {0} does not match the key")]
    KeyMismatch(&'static str),
    #[error("invalid signature")]
    BadSignature,
    #[error("token expired")]
    Expired { exp: f64 },
    #[error("token not yet valid")]
    NotYetValid { nbf: f64 },
    #[error("invalid claim: {0} must be {1}")]
    InvalidClaim(&'static str, &'static str),
    #[error("audience mismatch")]
    Audience,
    #[error("issuer mismatch")]
    Issuer,
    #[error("subject mismatch")]
    Subject,
    #[error("missing required claim: {0}")]
    MissingClaim(String),
    #[error("missing scope: {0}")]
    Scope(String),
    #[error("unknown key id: {0}")]
    UnknownKey(String),
    #[error("no key for {0} in the key set")]
    NoMatchingKey(&'static str),
    /// The server, not the token, is at fault (no key, key set unreachable).
    #[error("{0}")]
    Unavailable(String),
}

impl VerifyError {
    /// Whether the token is to blame (answer 401) rather than the server.
    pub fn is_token_fault(&self) -> bool {
        !matches!(self, VerifyError::Unavailable(_))
    }
}

/// What a verification demands of a token beyond its signature.
#[derive(Debug, Clone, Default)]
pub struct VerifyPolicy {
    /// Accepted `alg` values; empty accepts any the key can check (key sets
    /// whose keys say what they are for).
    pub algorithms: Vec<Algorithm>,
    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    pub leeway: u64,
    /// The token's `aud` must name one of these (when any are set).
    pub audience: Vec<String>,
    pub issuer: Option<String>,
    pub subject: Option<String>,
    pub required_claims: Vec<String>,
    /// A value the token's `scope` (space-separated) or `scp` must contain.
    pub scope: Option<String>,
    /// Claims must be a JSON object (a JWT) rather than any JWS payload.
    pub object_claims: bool,
}

/// A token split into its parts, header decoded and algorithm accepted.
pub struct Parsed<'t> {
    pub header: Map<String, Value>,
    pub alg: Algorithm,
    pub kid: Option<String>,
    message: &'t str,
    payload: &'t str,
    signature: &'t str,
}

fn b64_json(part: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A JSON object whose member names are all distinct. RFC 7515 and 7519 let
/// a recipient either reject duplicate names or keep the last; flowgate
/// rejects them, so a token can never mean one thing to this verifier and
/// another to a first-wins parser further along.
struct UniqueObject(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for UniqueObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = UniqueObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object with distinct member names")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut access: A,
            ) -> Result<UniqueObject, A::Error> {
                let mut map = Map::new();
                while let Some(name) = access.next_key::<String>()? {
                    let value: Value = access.next_value()?;
                    if map.contains_key(&name) {
                        return Err(serde::de::Error::custom("duplicate member name"));
                    }
                    map.insert(name, value);
                }
                Ok(UniqueObject(map))
            }
        }
        d.deserialize_map(Members)
    }
}

/// What a token segment decodes to.
enum Segment {
    /// A JSON object with distinct member names.
    Object(Map<String, Value>),
    /// A JSON object that repeats a member name.
    Duplicate,
    /// Other JSON.
    Json(Value),
    /// Not JSON.
    Bytes(Vec<u8>),
}

/// Decode a segment's bytes, in one pass for the usual case (an object).
fn segment(bytes: Vec<u8>) -> Segment {
    if let Ok(UniqueObject(map)) = serde_json::from_slice(&bytes) {
        return Segment::Object(map);
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(_)) => Segment::Duplicate,
        Ok(v) => Segment::Json(v),
        Err(_) => Segment::Bytes(bytes),
    }
}

/// Most characters of attacker-chosen text (an `alg`, a `kid`) an error
/// message repeats, so a rejection never echoes a megabyte back.
const ECHO_CHARS: usize = 64;

/// `text`, cut to [`ECHO_CHARS`] characters (marked with `…`), with its
/// control characters escaped: how a reason repeats a token's own text.
pub(crate) fn echo(text: &str) -> String {
    match text.char_indices().nth(ECHO_CHARS) {
        Some((at, _)) => format!("{}…", escape_controls(&text[..at])),
        None => escape_controls(text).into_owned(),
    }
}

/// `text` with control characters (and the Unicode line and paragraph
/// separators) written as escapes (`\n`, `\u{1b}`), for any text a token or
/// key set supplies that reaches a log line or an error reason: a newline in
/// a crafted `alg` must not start a forged log line, nor an escape sequence
/// drive the terminal that shows the log.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    let escaped = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
    if !text.chars().any(escaped) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escaped(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Split a compact JWS and check its header: `alg` present, not `none`, and
/// one of `allowed` (any supported algorithm when `allowed` is empty).
pub fn parse_token<'t>(token: &'t str, allowed: &[Algorithm]) -> Result<Parsed<'t>, VerifyError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(VerifyError::Missing);
    }
    let (message, signature) = token
        .rsplit_once('.')
        .ok_or(VerifyError::Malformed("expected three dot-separated parts"))?;
    let (header_part, payload) = message
        .split_once('.')
        .ok_or(VerifyError::Malformed("expected three dot-separated parts"))?;
    if payload.contains('.') {
        return Err(VerifyError::Malformed("expected three dot-separated parts"));
    }
    let not_json = VerifyError::Malformed("header is not base64url-encoded JSON");
    let header = match URL_SAFE_NO_PAD.decode(header_part).map(segment) {
        Ok(Segment::Object(header)) => header,
        Ok(Segment::Duplicate) => {
            return Err(VerifyError::Malformed("header repeats a parameter name"))
        }
        _ => return Err(not_json),
    };
    let alg_name = match header.get("alg") {
        Some(Value::String(s)) => s.as_str(),
        _ => return Err(VerifyError::Malformed("header has no alg")),
    };
    // Token headers are matched exactly (JOSE names are case-sensitive);
    // only configs get the lenient parse.
    let alg = match parse_algorithm(alg_name) {
        Err(KeyError::AlgorithmNone) => return Err(VerifyError::AlgNone),
        Ok(a) if algorithm_name(a) == alg_name => a,
        _ => {
            return Err(VerifyError::AlgNotAllowed {
                found: echo(alg_name),
                expected: expected_list(allowed),
            })
        }
    };
    if !allowed.is_empty() && !allowed.contains(&alg) {
        return Err(VerifyError::AlgNotAllowed {
            found: echo(alg_name),
            expected: expected_list(allowed),
        });
    }
    if header.contains_key("crit") {
        return Err(VerifyError::Malformed(
            "header has critical extensions flowgate does not understand",
        ));
    }
    if signature.is_empty() {
        return Err(VerifyError::Malformed("signature is missing"));
    }
    let kid = header.get("kid").and_then(Value::as_str).map(str::to_owned);
    // `jku`, `x5u`, `jwk` and `x5c` are deliberately never read: keys come
    // only from the configuration, never from the token itself.
    Ok(Parsed {
        header,
        alg,
        kid,
        message,
        payload,
        signature,
    })
}

fn expected_list(allowed: &[Algorithm]) -> String {
    if allowed.is_empty() {
        return "a supported algorithm".into();
    }
    allowed
        .iter()
        .map(|a| algorithm_name(*a))
        .collect::<Vec<_>>()
        .join(" or ")
}

impl Parsed<'_> {
    /// Check the signature with `key`. A key of another family than the
    /// header's algorithm (an RSA public key offered as an HS256 secret) is
    /// refused, never tried.
    pub fn check_signature(&self, key: &DecodingKey) -> Result<(), VerifyError> {
        if key.family() != self.alg.family() {
            return Err(VerifyError::KeyMismatch(algorithm_name(self.alg)));
        }
        match keys::verify(self.alg, key, self.signature, self.message.as_bytes()) {
            Ok(true) => Ok(()),
            Ok(false) => Err(VerifyError::BadSignature),
            Err(CryptoError::Base64) => Err(VerifyError::Malformed("signature is not base64url")),
            Err(_) => Err(VerifyError::KeyMismatch(algorithm_name(self.alg))),
        }
    }

    /// The payload: its JSON, or the text itself when it is not JSON.
    pub fn claims(&self) -> Result<Value, VerifyError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(self.payload)
            .map_err(|_| VerifyError::Malformed("payload is not base64url"))?;
        match segment(bytes) {
            Segment::Object(claims) => Ok(Value::Object(claims)),
            Segment::Duplicate => Err(VerifyError::Malformed("claims repeat a claim name")),
            Segment::Json(v) => Ok(v),
            Segment::Bytes(bytes) => String::from_utf8(bytes)
                .map(Value::String)
                .map_err(|_| VerifyError::Malformed("payload is neither JSON nor text")),
        }
    }
}

/// A time claim: absent, or a number. `null` is not a way to leave it out
/// (Node's jsonwebtoken says `invalid exp value` too), else `"exp": null`
/// would make a token that never expires.
fn numeric(claims: &Map<String, Value>, name: &'static str) -> Result<Option<f64>, VerifyError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or(VerifyError::InvalidClaim(name, "a number")),
    }
}

/// Whether a space-separated `scope` string or a `scp`/`scope` array holds `want`.
fn has_scope(v: Option<&Value>, want: &str) -> bool {
    match v {
        Some(Value::String(s)) => s.split_ascii_whitespace().any(|s| s == want),
        Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(want)),
        _ => false,
    }
}

impl VerifyPolicy {
    /// Check a verified token's claims at time `now`.
    pub fn check(&self, claims: &Value, now: u64) -> Result<(), VerifyError> {
        let Some(obj) = claims.as_object() else {
            return if self.object_claims {
                Err(VerifyError::Malformed("claims are not a JSON object"))
            } else {
                Ok(())
            };
        };
        for name in &self.required_claims {
            if obj.get(name).is_none_or(Value::is_null) {
                return Err(VerifyError::MissingClaim(name.clone()));
            }
        }
        let now = now as f64;
        let leeway = self.leeway as f64;
        if let Some(exp) = numeric(obj, "exp")? {
            if now >= exp + leeway {
                return Err(VerifyError::Expired { exp });
            }
        }
        if let Some(nbf) = numeric(obj, "nbf")? {
            if nbf > now + leeway {
                return Err(VerifyError::NotYetValid { nbf });
            }
        }
        if !self.audience.is_empty() {
            let ok = match obj.get("aud") {
                Some(Value::String(a)) => self.audience.iter().any(|w| w == a),
                Some(Value::Array(list)) => list
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|a| self.audience.iter().any(|w| w == a)),
                _ => false,
            };
            if !ok {
                return Err(VerifyError::Audience);
            }
        }
        if let Some(iss) = &self.issuer {
            if obj.get("iss").and_then(Value::as_str) != Some(iss.as_str()) {
                return Err(VerifyError::Issuer);
            }
        }
        if let Some(sub) = &self.subject {
            if obj.get("sub").and_then(Value::as_str) != Some(sub.as_str()) {
                return Err(VerifyError::Subject);
            }
        }
        if let Some(scope) = &self.scope {
            if !has_scope(obj.get("scope"), scope) && !has_scope(obj.get("scp"), scope) {
                return Err(VerifyError::Scope(scope.clone()));
            }
        }
        Ok(())
    }
}

/// A token that passed every check.
#[derive(Debug, Clone)]
pub struct Verified {
    pub header: Map<String, Value>,
    pub claims: Value,
}

/// Verify `token` with one local key: header, signature, then claims.
pub fn verify_with(
    token: &str,
    key: &DecodingKey,
    policy: &VerifyPolicy,
) -> Result<Verified, VerifyError> {
    let parsed = parse_token(token, &policy.algorithms)?;
    parsed.check_signature(key)?;
    let claims = parsed.claims()?;
    policy.check(&claims, now())?;
    Ok(Verified {
        header: parsed.header,
        claims,
    })
}

/// The header and claims of a token without checking anything, for showing
/// a rejected token in the editor's console.
pub fn peek(token: &str) -> (Option<Value>, Option<Value>) {
    let mut parts = token.trim().split('.');
    let header = parts.next().and_then(b64_json);
    let claims = parts.next().and_then(b64_json);
    (header, claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn seconds_accept_numbers_strings_and_timespans() {
        assert_eq!(parse_seconds(Some(&json!("86400"))), Ok(Some(86400)));
        assert_eq!(parse_seconds(Some(&json!(3600))), Ok(Some(3600)));
        assert_eq!(parse_seconds(Some(&json!("1h"))), Ok(Some(3600)));
        assert_eq!(parse_seconds(Some(&json!("2 days"))), Ok(Some(172_800)));
        assert_eq!(parse_seconds(Some(&json!(""))), Ok(None));
        assert_eq!(parse_seconds(None), Ok(None));
        assert!(parse_seconds(Some(&json!("soon"))).is_err());
        assert!(parse_seconds(Some(&json!(-5))).is_err());
    }

    #[test]
    fn complete_adds_registered_claims_but_keeps_the_callers() {
        let policy = IssuePolicy {
            expires_in: Some(60),
            not_before: Some(5),
            issuer: Some("me".into()),
            audience: vec!["a".into(), "b".into()],
            subject: Some("default".into()),
            jti: true,
        };
        let mut claims = json!({"sub": "given", "role": "agent"})
            .as_object()
            .unwrap()
            .clone();
        policy.complete(&mut claims, 1000).unwrap();
        assert_eq!(claims["iat"], 1000);
        assert_eq!(claims["exp"], 1060);
        assert_eq!(claims["nbf"], 1005);
        assert_eq!(claims["aud"], json!(["a", "b"]));
        assert_eq!(claims["iss"], "me");
        assert_eq!(claims["sub"], "given");
        assert_eq!(claims["role"], "agent");
        assert_eq!(claims["jti"].as_str().unwrap().len(), 36);
        let mut bad = json!({"exp": "tomorrow"}).as_object().unwrap().clone();
        assert_eq!(
            policy.complete(&mut bad, 0).unwrap_err().to_string(),
            "claim \"exp\" must be a number of seconds since 1970"
        );
    }

    #[test]
    fn policy_reasons_are_precise() {
        let policy = VerifyPolicy {
            audience: vec!["moehaha".into()],
            issuer: Some("itsyou.online".into()),
            required_claims: vec!["sub".into()],
            scope: Some("memberof:moehaha".into()),
            object_claims: true,
            ..Default::default()
        };
        let ok = json!({"aud": "moehaha", "iss": "itsyou.online", "sub": "u", "scope": "user:name memberof:moehaha", "exp": 2000});
        assert_eq!(policy.check(&ok, 1000), Ok(()));
        let with = |k: &str, v: Value| {
            let mut c = ok.clone();
            c[k] = v;
            policy.check(&c, 1000).unwrap_err().to_string()
        };
        assert_eq!(with("exp", json!(1000)), "token expired");
        assert_eq!(with("nbf", json!(1001)), "token not yet valid");
        assert_eq!(with("aud", json!(["x"])), "audience mismatch");
        assert_eq!(with("iss", json!("evil")), "issuer mismatch");
        assert_eq!(with("sub", Value::Null), "missing required claim: sub");
        assert_eq!(
            with("scope", json!("user:name")),
            "missing scope: memberof:moehaha"
        );
        assert_eq!(
            with("scope", json!(["other"])),
            "missing scope: memberof:moehaha"
        );
        let mut array_scope = ok.clone();
        array_scope["scope"] = json!(["memberof:moehaha"]);
        assert_eq!(policy.check(&array_scope, 1000), Ok(()));
        assert_eq!(
            with("exp", json!("x")),
            "invalid claim: exp must be a number"
        );
        assert_eq!(
            with("exp", Value::Null),
            "invalid claim: exp must be a number"
        );
        assert_eq!(
            with("nbf", Value::Null),
            "invalid claim: nbf must be a number"
        );
    }

    #[test]
    fn headers_with_none_or_unlisted_algorithms_are_refused() {
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(br#"{"sub":"x"}"#)
        );
        assert_eq!(
            parse_token(&none, &[Algorithm::HS256]).err(),
            Some(VerifyError::AlgNone)
        );
        let hs = format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#),
            URL_SAFE_NO_PAD.encode(br#"{}"#)
        );
        assert_eq!(
            parse_token(&hs, &[Algorithm::RS256])
                .err()
                .unwrap()
                .to_string(),
            "algorithm HS256 is not allowed (expected RS256)"
        );
        assert_eq!(
            parse_token("abc", &[]).err(),
            Some(VerifyError::Malformed("expected three dot-separated parts"))
        );
        assert_eq!(parse_token("  ", &[]).err(), Some(VerifyError::Missing));
        // Configs may say "hs256"; token headers must use the exact JOSE name.
        assert_eq!(parse_algorithm("hs256").ok(), Some(Algorithm::HS256));
        let lower = format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"hs256"}"#),
            URL_SAFE_NO_PAD.encode(br#"{}"#)
        );
        assert_eq!(
            parse_token(&lower, &[Algorithm::HS256])
                .err()
                .unwrap()
                .to_string(),
            "algorithm hs256 is not allowed (expected HS256)"
        );
    }

    #[test]
    fn repeated_names_are_refused_and_echoes_are_short() {
        let token = |header: &str, claims: &str| {
            format!(
                "{}.{}.c2ln",
                URL_SAFE_NO_PAD.encode(header),
                URL_SAFE_NO_PAD.encode(claims)
            )
        };
        let t = token(r#"{"alg":"HS256","alg":"none"}"#, "{}");
        assert_eq!(
            parse_token(&t, &[Algorithm::HS256]).err(),
            Some(VerifyError::Malformed("header repeats a parameter name"))
        );
        let t = token(
            r#"{"alg":"HS256"}"#,
            r#"{"sub":"a","exp":1,"exp":9999999999}"#,
        );
        let parsed = parse_token(&t, &[Algorithm::HS256]).unwrap();
        assert_eq!(
            parsed.claims().err(),
            Some(VerifyError::Malformed("claims repeat a claim name"))
        );
        // Nested objects are claim values, not claim names.
        let t = token(r#"{"alg":"HS256"}"#, r#"{"a":{"b":1},"c":{"b":2}}"#);
        let parsed = parse_token(&t, &[Algorithm::HS256]).unwrap();
        assert_eq!(
            parsed.claims().unwrap(),
            json!({"a": {"b": 1}, "c": {"b": 2}})
        );
        let forged = token(r#"{"alg":"HS256\nFAKE LOG LINE\u001b[31m"}"#, "{}");
        assert_eq!(
            parse_token(&forged, &[Algorithm::HS256])
                .err()
                .unwrap()
                .to_string(),
            "algorithm HS256\\nFAKE LOG LINE\\u{1b}[31m is not allowed (expected HS256)"
        );
        assert_eq!(escape_controls("a\r\tb\u{2028}é"), "a\\r\\tb\\u{2028}é");
        let long = "A".repeat(10_000);
        let t = token(&format!(r#"{{"alg":"{long}"}}"#), "{}");
        let reason = parse_token(&t, &[Algorithm::HS256])
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            reason,
            format!(
                "algorithm {}… is not allowed (expected HS256)",
                "A".repeat(64)
            )
        );
    }
}

//! JSON Web Keys (RFC 7517): one key given as a JWK, the keys of a JWK
//! Set, and RFC 7638 thumbprints, built on the PEM/DER helpers of
//! [`super`].

use super::*;

/// A key read from a JWK: private when it carries `d` (or is an `oct` secret).
pub enum JwkKey {
    Private(PrivateKey),
    Public(PublicKey),
}

/// The one JWK in `value`: a JWK itself, or the key with id `kid` (or the
/// only key) of a JWK Set.
pub fn single_jwk<'a>(
    value: &'a Value,
    kid: Option<&str>,
) -> Result<&'a Map<String, Value>, KeyError> {
    let obj = value
        .as_object()
        .ok_or_else(|| KeyError::Jwk("expected a JSON object".into()))?;
    let Some(keys) = obj.get("keys") else {
        return Ok(obj);
    };
    let keys = keys
        .as_array()
        .ok_or_else(|| KeyError::Jwk("\"keys\" must be an array".into()))?;
    let found = match kid {
        Some(kid) => keys
            .iter()
            .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid)),
        None if keys.len() == 1 => keys.first(),
        None => {
            return Err(KeyError::Jwk(format!(
                "the key set has {} keys; say which one with a key id",
                keys.len()
            )))
        }
    };
    found.and_then(Value::as_object).ok_or_else(|| {
        KeyError::Jwk(format!(
            "no key with kid \"{}\" in the key set",
            kid.unwrap_or("")
        ))
    })
}

fn jwk_bytes(jwk: &Map<String, Value>, name: &str) -> Result<Option<Vec<u8>>, KeyError> {
    match jwk.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .map(Some)
            .map_err(|_| KeyError::Jwk(format!("\"{name}\" is not base64url"))),
        Some(_) => Err(KeyError::Jwk(format!("\"{name}\" must be a string"))),
    }
}

fn jwk_required(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>, KeyError> {
    jwk_bytes(jwk, name)?.ok_or_else(|| KeyError::Jwk(format!("missing \"{name}\"")))
}

/// Parse one JWK for `alg`. A JWK naming another `alg`, or of a key type that
/// cannot do `alg`, is refused: that is how algorithm confusion is stopped
/// when keys come from a key set.
pub fn parse_jwk(alg: Algorithm, jwk: &Map<String, Value>) -> Result<JwkKey, KeyError> {
    if let Some(named) = jwk.get("alg").and_then(Value::as_str) {
        if named != algorithm_name(alg) {
            return Err(KeyError::Jwk(format!(
                "the key is for {named}, not {}",
                algorithm_name(alg)
            )));
        }
    }
    let kty = jwk
        .get("kty")
        .and_then(Value::as_str)
        .ok_or_else(|| KeyError::Jwk("missing \"kty\"".into()))?;
    let wrong = || {
        KeyError::Jwk(format!(
            "a \"{kty}\" key cannot be used with {}",
            algorithm_name(alg)
        ))
    };
    let crv = jwk.get("crv").and_then(Value::as_str).unwrap_or("");
    match (kty, alg.family()) {
        ("oct", AlgorithmFamily::Hmac) => Ok(JwkKey::Private(secret_key(&jwk_required(jwk, "k")?))),
        ("RSA", AlgorithmFamily::Rsa) => {
            let n = BigUint::from_bytes_be(&jwk_required(jwk, "n")?);
            let e = BigUint::from_bytes_be(&jwk_required(jwk, "e")?);
            match jwk_bytes(jwk, "d")? {
                Some(d) => {
                    let mut primes = Vec::new();
                    if let (Some(p), Some(q)) = (jwk_bytes(jwk, "p")?, jwk_bytes(jwk, "q")?) {
                        primes.push(BigUint::from_bytes_be(&p));
                        primes.push(BigUint::from_bytes_be(&q));
                    }
                    let key =
                        RsaPrivateKey::from_components(n, e, BigUint::from_bytes_be(&d), primes)
                            .map_err(|e| KeyError::Jwk(format!("invalid RSA private key: {e}")))?;
                    Ok(JwkKey::Private(rsa_private(&key)?))
                }
                None => {
                    let key = RsaPublicKey::new(n, e)
                        .map_err(|e| KeyError::Jwk(format!("invalid RSA public key: {e}")))?;
                    Ok(JwkKey::Public(rsa_public(&key)))
                }
            }
        }
        ("EC", AlgorithmFamily::Ec) => {
            use ec::from_jwk;
            ec::on_curve!(alg, from_jwk(jwk, |name| jwk_bytes(jwk, name)))
        }
        ("OKP", AlgorithmFamily::Ed) => {
            if crv != "Ed25519" {
                return Err(KeyError::Jwk(format!(
                    "curve \"{crv}\" is not supported (needs Ed25519)"
                )));
            }
            if let Some(d) = jwk_bytes(jwk, "d")? {
                let d: [u8; 32] = d
                    .try_into()
                    .map_err(|_| KeyError::Jwk("Ed25519 \"d\" must be 32 bytes".into()))?;
                return Ok(JwkKey::Private(ed_private(
                    &ed25519_dalek::SigningKey::from_bytes(&d),
                )?));
            }
            let x: [u8; 32] = jwk_required(jwk, "x")?
                .try_into()
                .map_err(|_| KeyError::Jwk("Ed25519 \"x\" must be 32 bytes".into()))?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(&x)
                .map_err(|e| KeyError::Jwk(format!("invalid Ed25519 public key: {e}")))?;
            Ok(JwkKey::Public(ed_public(&key)))
        }
        _ => Err(wrong()),
    }
}

/// One key of a JWK Set, with the algorithms it may be used with: the one its
/// `alg` names, or else every algorithm of its key type (and curve).
pub struct SetKey {
    pub kid: Option<String>,
    pub algorithms: Vec<Algorithm>,
    pub key: JwkKey,
}

/// Parse one member of a JWK Set. Encryption keys (`"use": "enc"`) are refused.
pub fn parse_set_key(jwk: &Map<String, Value>) -> Result<SetKey, KeyError> {
    if jwk.get("use").and_then(Value::as_str) == Some("enc") {
        return Err(KeyError::Jwk("an encryption key (\"use\": \"enc\")".into()));
    }
    let algorithms = match jwk.get("alg").and_then(Value::as_str) {
        Some(name) => vec![parse_algorithm(name)?],
        None => {
            let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or("");
            let crv = jwk.get("crv").and_then(Value::as_str).unwrap_or("");
            match (kty, crv) {
                ("RSA", _) => AlgorithmFamily::Rsa.algorithms(),
                ("EC", crv) if ec::alg_of_crv(crv).is_some() => {
                    ec::alg_of_crv(crv).into_iter().collect()
                }
                ("OKP", "Ed25519") => vec![Algorithm::EdDSA],
                ("oct", _) => AlgorithmFamily::Hmac.algorithms(),
                _ => {
                    return Err(KeyError::Jwk(format!(
                        "unsupported key type \"{kty}\"{}",
                        if crv.is_empty() {
                            String::new()
                        } else {
                            format!(" on curve \"{crv}\"")
                        }
                    )))
                }
            }
        }
    };
    let key = parse_jwk(algorithms[0], jwk)?;
    Ok(SetKey {
        kid: jwk.get("kid").and_then(Value::as_str).map(str::to_owned),
        algorithms,
        key,
    })
}

/// RFC 7638 thumbprint (SHA-256, base64url) of a public JWK: the default key
/// id of published keys, stable for as long as the key is.
pub fn thumbprint(jwk: &Map<String, Value>) -> String {
    let s = |k: &str| jwk.get(k).and_then(Value::as_str).unwrap_or("");
    // Required members only, in lexicographic order, no whitespace; values are
    // base64url or fixed names, so no escaping is needed.
    let canonical = match s("kty") {
        "RSA" => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, s("e"), s("n")),
        "EC" => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            s("crv"),
            s("x"),
            s("y")
        ),
        "OKP" => format!(r#"{{"crv":"{}","kty":"OKP","x":"{}"}}"#, s("crv"), s("x")),
        other => format!(r#"{{"kty":"{other}"}}"#),
    };
    b64(&Sha256::digest(canonical.as_bytes()))
}

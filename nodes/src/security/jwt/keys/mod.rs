//! Key material for the JWT nodes: algorithms by name, PEM and JWK parsing
//! (parsed once, when a flow loads), public JWKs and their RFC 7638
//! thumbprints, and fresh keys for configs that have none.
//!
//! `jsonwebtoken` signs and verifies; the RustCrypto crates it is built on
//! parse the key forms it does not (SEC1 EC keys, SPKI public keys, private
//! JWKs) and derive public keys from private ones.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use rand::rngs::OsRng;
use rand::RngCore;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use serde_json::{Map, Value};

use crate::support::settings::Choice;
use sha2::{Digest, Sha256};

mod jwk;

pub use jwk::{parse_jwk, parse_set_key, single_jwk, thumbprint, JwkKey, SetKey};

/// Every algorithm flowgate signs and verifies, by its JOSE name.
pub const ALGORITHMS: &[Choice] = &[
    Choice::plain("HS256"),
    Choice::plain("HS384"),
    Choice::plain("HS512"),
    Choice::plain("RS256"),
    Choice::plain("RS384"),
    Choice::plain("RS512"),
    Choice::plain("PS256"),
    Choice::plain("PS384"),
    Choice::plain("PS512"),
    Choice::plain("ES256"),
    Choice::plain("ES384"),
    Choice::plain("EdDSA"),
];

/// Size of generated RSA keys.
pub const RSA_BITS: usize = 2048;

/// Size of generated HMAC secrets, and the size below which a configured
/// secret draws a warning (RFC 7518 §3.2: a key at least as long as the hash).
pub const MIN_SECRET_BYTES: usize = 32;

/// Why key material could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("unknown algorithm \"{0}\" (expected one of {list})", list = ALGORITHMS.iter().map(|c| c.value).collect::<Vec<_>>().join(", "))]
    UnknownAlgorithm(String),
    #[error("algorithm \"none\" is never allowed: unsigned tokens prove nothing")]
    AlgorithmNone,
    #[error(
        "algorithm {0} is not supported (the P-521 curve is not available); use ES256 or ES384"
    )]
    Unsupported(String),
    #[error("not a PEM key or JSON Web Key: {0}")]
    NotPem(String),
    #[error("expected {expected}, found a PEM \"{found}\" block")]
    WrongPem {
        expected: &'static str,
        found: String,
    },
    #[error("encrypted private keys are not supported; decrypt it first (openssl pkcs8 -topk8 -nocrypt)")]
    Encrypted,
    #[error("X.509 certificates are not accepted; give the public key (openssl x509 -pubkey -noout -in cert.pem)")]
    Certificate,
    #[error("{0}")]
    Invalid(String),
    #[error("JSON Web Key: {0}")]
    Jwk(String),
}

/// Parse a JOSE algorithm name, with a clear word for `none` and `ES512`.
pub fn parse_algorithm(name: &str) -> Result<Algorithm, KeyError> {
    let name = name.trim();
    match name {
        _ if name.eq_ignore_ascii_case("none") => Err(KeyError::AlgorithmNone),
        _ if name.eq_ignore_ascii_case("ES512") => Err(KeyError::Unsupported(name.to_owned())),
        _ => {
            // Exact JOSE names, or the same letters in another case ("rs256").
            let canonical = ALGORITHMS
                .iter()
                .map(|c| c.value)
                .find(|a| a.eq_ignore_ascii_case(name))
                .ok_or_else(|| KeyError::UnknownAlgorithm(name.to_owned()))?;
            canonical
                .parse::<Algorithm>()
                .map_err(|_| KeyError::UnknownAlgorithm(name.to_owned()))
        }
    }
}

/// The JOSE name of an algorithm.
pub fn algorithm_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => "HS256",
        Algorithm::HS384 => "HS384",
        Algorithm::HS512 => "HS512",
        Algorithm::RS256 => "RS256",
        Algorithm::RS384 => "RS384",
        Algorithm::RS512 => "RS512",
        Algorithm::PS256 => "PS256",
        Algorithm::PS384 => "PS384",
        Algorithm::PS512 => "PS512",
        Algorithm::ES256 => "ES256",
        Algorithm::ES384 => "ES384",
        Algorithm::EdDSA => "EdDSA",
        _ => "unknown",
    }
}

/// Whether the algorithm uses a shared secret (HS*) rather than a key pair.
pub fn is_symmetric(alg: Algorithm) -> bool {
    alg.family() == AlgorithmFamily::Hmac
}

/// A verification key with its public JWK (`None` for HMAC secrets, which are
/// never published).
#[derive(Clone)]
pub struct PublicKey {
    pub decoding: DecodingKey,
    pub jwk: Option<Map<String, Value>>,
}

/// A signing key and the public key derived from it, both ready to use.
#[derive(Clone)]
pub struct PrivateKey {
    pub encoding: EncodingKey,
    pub public: PublicKey,
}

/// An HMAC secret as signing and verification keys.
pub fn secret_key(secret: &[u8]) -> PrivateKey {
    PrivateKey {
        encoding: EncodingKey::from_secret(secret),
        public: PublicKey {
            decoding: DecodingKey::from_secret(secret),
            jwk: None,
        },
    }
}

/// Key text as people paste it into environment variables: PEM with literal
/// `\n` escapes instead of line breaks is turned back into PEM.
pub fn normalize_key_text(text: &str) -> std::borrow::Cow<'_, str> {
    let t = text.trim();
    if !t.contains('\n') && t.contains("\\n") {
        std::borrow::Cow::Owned(t.replace("\\r\\n", "\n").replace("\\n", "\n"))
    } else {
        std::borrow::Cow::Borrowed(t)
    }
}

fn looks_like_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

/// Parse a private key for `alg`: PEM (PKCS#1, PKCS#8, SEC1) or a private JWK.
pub fn parse_private(alg: Algorithm, text: &str) -> Result<PrivateKey, KeyError> {
    let text = normalize_key_text(text);
    if looks_like_json(&text) {
        let value: Value =
            serde_json::from_str(&text).map_err(|e| KeyError::Jwk(format!("invalid JSON: {e}")))?;
        let jwk = single_jwk(&value, None)?;
        return match parse_jwk(alg, jwk)? {
            JwkKey::Private(k) => Ok(k),
            JwkKey::Public(_) => Err(KeyError::Jwk(
                "this is a public key (no \"d\"); signing needs the private key".into(),
            )),
        };
    }
    let block = pem::parse(text.as_bytes()).map_err(|e| KeyError::NotPem(e.to_string()))?;
    private_from_pem(alg, &block)
}

/// Parse a verification key for `alg`: PEM (SPKI or PKCS#1 public key; a
/// private key is accepted and its public half used) or a JWK.
pub fn parse_public(alg: Algorithm, text: &str) -> Result<PublicKey, KeyError> {
    let text = normalize_key_text(text);
    if looks_like_json(&text) {
        let value: Value =
            serde_json::from_str(&text).map_err(|e| KeyError::Jwk(format!("invalid JSON: {e}")))?;
        let jwk = single_jwk(&value, None)?;
        return Ok(match parse_jwk(alg, jwk)? {
            JwkKey::Private(k) => k.public,
            JwkKey::Public(p) => p,
        });
    }
    let block = pem::parse(text.as_bytes()).map_err(|e| KeyError::NotPem(e.to_string()))?;
    match block.tag() {
        "PUBLIC KEY" => public_from_spki(alg, block.contents()),
        "RSA PUBLIC KEY" => {
            require_family(alg, AlgorithmFamily::Rsa, "RSA PUBLIC KEY")?;
            let key = RsaPublicKey::from_pkcs1_der(block.contents())
                .map_err(|e| KeyError::Invalid(format!("not a valid RSA public key: {e}")))?;
            Ok(rsa_public(&key))
        }
        "CERTIFICATE" => Err(KeyError::Certificate),
        _ => private_from_pem(alg, &block).map(|k| k.public),
    }
}

fn require_family(alg: Algorithm, family: AlgorithmFamily, tag: &str) -> Result<(), KeyError> {
    if alg.family() == family {
        Ok(())
    } else {
        Err(KeyError::WrongPem {
            expected: expected_private(alg),
            found: tag.to_owned(),
        })
    }
}

fn expected_private(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::ES256 => "a P-256 EC private key",
        Algorithm::ES384 => "a P-384 EC private key",
        Algorithm::EdDSA => "an Ed25519 private key",
        _ if is_symmetric(alg) => "a shared secret",
        _ => "an RSA private key",
    }
}

fn private_from_pem(alg: Algorithm, block: &pem::Pem) -> Result<PrivateKey, KeyError> {
    let tag = block.tag();
    let der = block.contents();
    if tag == "ENCRYPTED PRIVATE KEY" || tag.contains("ENCRYPTED") {
        return Err(KeyError::Encrypted);
    }
    let wrong = || KeyError::WrongPem {
        expected: expected_private(alg),
        found: tag.to_owned(),
    };
    let invalid = |e: String| KeyError::Invalid(format!("not {}: {e}", expected_private(alg)));
    match alg {
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => {
            let key = match tag {
                "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_der(der).map_err(|e| e.to_string()),
                "PRIVATE KEY" => {
                    rsa::pkcs8::DecodePrivateKey::from_pkcs8_der(der).map_err(|e| e.to_string())
                }
                _ => return Err(wrong()),
            }
            .map_err(invalid)?;
            rsa_private(&key)
        }
        Algorithm::ES256 => {
            let key = match tag {
                "EC PRIVATE KEY" => p256::SecretKey::from_sec1_der(der).map_err(|e| e.to_string()),
                "PRIVATE KEY" => p256::SecretKey::from_pkcs8_der(der).map_err(|e| e.to_string()),
                _ => return Err(wrong()),
            }
            .map_err(invalid)?;
            p256_private(&key)
        }
        Algorithm::ES384 => {
            let key = match tag {
                "EC PRIVATE KEY" => p384::SecretKey::from_sec1_der(der).map_err(|e| e.to_string()),
                "PRIVATE KEY" => p384::SecretKey::from_pkcs8_der(der).map_err(|e| e.to_string()),
                _ => return Err(wrong()),
            }
            .map_err(invalid)?;
            p384_private(&key)
        }
        Algorithm::EdDSA => {
            if tag != "PRIVATE KEY" {
                return Err(wrong());
            }
            let key = ed25519_dalek::SigningKey::from_pkcs8_der(der)
                .map_err(|e| invalid(e.to_string()))?;
            ed_private(&key)
        }
        _ => Err(wrong()),
    }
}

fn public_from_spki(alg: Algorithm, der: &[u8]) -> Result<PublicKey, KeyError> {
    let invalid = |e: String| {
        KeyError::Invalid(format!(
            "not the public key {alg_name} needs: {e}",
            alg_name = algorithm_name(alg)
        ))
    };
    match alg.family() {
        AlgorithmFamily::Rsa => {
            let key = <RsaPublicKey as rsa::pkcs8::DecodePublicKey>::from_public_key_der(der)
                .map_err(|e| invalid(e.to_string()))?;
            Ok(rsa_public(&key))
        }
        AlgorithmFamily::Ec if alg == Algorithm::ES256 => {
            let key =
                p256::PublicKey::from_public_key_der(der).map_err(|e| invalid(e.to_string()))?;
            let point = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&key, false);
            ec_public(point.as_bytes(), "P-256", 32)
        }
        AlgorithmFamily::Ec => {
            let key =
                p384::PublicKey::from_public_key_der(der).map_err(|e| invalid(e.to_string()))?;
            let point = p384::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&key, false);
            ec_public(point.as_bytes(), "P-384", 48)
        }
        AlgorithmFamily::Ed => {
            let key = ed25519_dalek::VerifyingKey::from_public_key_der(der)
                .map_err(|e| invalid(e.to_string()))?;
            Ok(ed_public(&key))
        }
        AlgorithmFamily::Hmac => Err(KeyError::WrongPem {
            expected: "a shared secret",
            found: "PUBLIC KEY".into(),
        }),
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn rsa_public(key: &RsaPublicKey) -> PublicKey {
    let n = key.n().to_bytes_be();
    let e = key.e().to_bytes_be();
    let mut jwk = Map::new();
    jwk.insert("kty".into(), "RSA".into());
    jwk.insert("n".into(), b64(&n).into());
    jwk.insert("e".into(), b64(&e).into());
    PublicKey {
        decoding: DecodingKey::from_rsa_raw_components(&n, &e),
        jwk: Some(jwk),
    }
}

fn rsa_private(key: &RsaPrivateKey) -> Result<PrivateKey, KeyError> {
    let der = key
        .to_pkcs1_der()
        .map_err(|e| KeyError::Invalid(format!("cannot encode RSA key: {e}")))?;
    Ok(PrivateKey {
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        public: rsa_public(&key.to_public_key()),
    })
}

/// A public EC key from its uncompressed SEC1 point.
fn ec_public(point: &[u8], crv: &str, size: usize) -> Result<PublicKey, KeyError> {
    if point.len() != 1 + 2 * size || point[0] != 0x04 {
        return Err(KeyError::Invalid(
            "EC public key is not an uncompressed point".into(),
        ));
    }
    let mut jwk = Map::new();
    jwk.insert("kty".into(), "EC".into());
    jwk.insert("crv".into(), crv.into());
    jwk.insert("x".into(), b64(&point[1..1 + size]).into());
    jwk.insert("y".into(), b64(&point[1 + size..]).into());
    Ok(PublicKey {
        decoding: DecodingKey::from_ec_der(point),
        jwk: Some(jwk),
    })
}

fn p256_private(key: &p256::SecretKey) -> Result<PrivateKey, KeyError> {
    let der = key
        .to_pkcs8_der()
        .map_err(|e| KeyError::Invalid(format!("cannot encode EC key: {e}")))?;
    let point =
        p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&key.public_key(), false);
    Ok(PrivateKey {
        encoding: EncodingKey::from_ec_der(der.as_bytes()),
        public: ec_public(point.as_bytes(), "P-256", 32)?,
    })
}

fn p384_private(key: &p384::SecretKey) -> Result<PrivateKey, KeyError> {
    let der = key
        .to_pkcs8_der()
        .map_err(|e| KeyError::Invalid(format!("cannot encode EC key: {e}")))?;
    let point =
        p384::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&key.public_key(), false);
    Ok(PrivateKey {
        encoding: EncodingKey::from_ec_der(der.as_bytes()),
        public: ec_public(point.as_bytes(), "P-384", 48)?,
    })
}

fn ed_public(key: &ed25519_dalek::VerifyingKey) -> PublicKey {
    let mut jwk = Map::new();
    jwk.insert("kty".into(), "OKP".into());
    jwk.insert("crv".into(), "Ed25519".into());
    jwk.insert("x".into(), b64(key.as_bytes()).into());
    PublicKey {
        decoding: DecodingKey::from_ed_der(key.as_bytes()),
        jwk: Some(jwk),
    }
}

fn ed_private(key: &ed25519_dalek::SigningKey) -> Result<PrivateKey, KeyError> {
    let der = key
        .to_pkcs8_der()
        .map_err(|e| KeyError::Invalid(format!("cannot encode Ed25519 key: {e}")))?;
    Ok(PrivateKey {
        encoding: EncodingKey::from_ed_der(der.as_bytes()),
        public: ed_public(&key.verifying_key()),
    })
}

/// Freshly generated key material, in the text forms stored as credentials.
pub enum Generated {
    /// A 256-bit random HMAC secret, base64url (its text is the key).
    Secret(String),
    /// A key pair as PEM: PKCS#8 private key and SPKI public key.
    KeyPair {
        private_pem: String,
        public_pem: String,
    },
}

/// A new random secret or key pair for `alg` (RSA: `rsa_bits` bits).
pub fn generate(alg: Algorithm, rsa_bits: usize) -> Result<Generated, KeyError> {
    match alg.family() {
        AlgorithmFamily::Hmac => {
            let mut bytes = [0u8; MIN_SECRET_BYTES];
            OsRng.fill_bytes(&mut bytes);
            Ok(Generated::Secret(b64(&bytes)))
        }
        AlgorithmFamily::Rsa => {
            let key = RsaPrivateKey::new(&mut OsRng, rsa_bits)
                .map_err(|e| KeyError::Invalid(format!("cannot generate RSA key: {e}")))?;
            pem_pair("RSA key", &key, &key.to_public_key())
        }
        AlgorithmFamily::Ec if alg == Algorithm::ES256 => {
            let key = p256::SecretKey::random(&mut OsRng);
            pem_pair("EC key", &key, &key.public_key())
        }
        AlgorithmFamily::Ec => {
            let key = p384::SecretKey::random(&mut OsRng);
            pem_pair("EC key", &key, &key.public_key())
        }
        AlgorithmFamily::Ed => {
            let key = ed25519_dalek::SigningKey::generate(&mut OsRng);
            pem_pair("Ed25519 key", &key, &key.verifying_key())
        }
    }
}

/// A generated pair as PKCS#8 and SPKI PEM: one rule for every family,
/// since all of them implement the same `pkcs8` traits.
fn pem_pair(
    what: &str,
    private: &impl EncodePrivateKey,
    public: &impl EncodePublicKey,
) -> Result<Generated, KeyError> {
    let fail = |e: String| KeyError::Invalid(format!("cannot generate {what}: {e}"));
    Ok(Generated::KeyPair {
        private_pem: private
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| fail(e.to_string()))?
            .to_string(),
        public_pem: public
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| fail(e.to_string()))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign_verify(alg: Algorithm, private: &PrivateKey, public: &PublicKey) {
        let header = jsonwebtoken::Header::new(alg);
        let claims = serde_json::json!({"sub": "x"});
        let token = jsonwebtoken::encode(&header, &claims, &private.encoding).unwrap();
        let mut v = jsonwebtoken::Validation::new(alg);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        jsonwebtoken::decode::<Value>(&token, &public.decoding, &v).unwrap();
    }

    #[test]
    fn generated_pairs_round_trip_for_every_asymmetric_algorithm() {
        for name in ["RS256", "PS384", "ES256", "ES384", "EdDSA"] {
            let alg = parse_algorithm(name).unwrap();
            let Generated::KeyPair {
                private_pem,
                public_pem,
            } = generate(alg, RSA_BITS).unwrap()
            else {
                panic!("key pair expected")
            };
            assert!(private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
            assert!(public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
            let private = parse_private(alg, &private_pem).unwrap();
            let public = parse_public(alg, &public_pem).unwrap();
            assert_eq!(private.public.jwk, public.jwk, "{name}");
            sign_verify(alg, &private, &public);
            // The public JWK alone verifies too.
            let jwk = Value::Object(public.jwk.clone().unwrap());
            let JwkKey::Public(from_jwk) = parse_jwk(alg, jwk.as_object().unwrap()).unwrap() else {
                panic!("public JWK expected")
            };
            sign_verify(alg, &private, &from_jwk);
        }
    }

    #[test]
    fn pkcs1_and_sec1_and_escaped_pem_are_accepted() {
        let key = RsaPrivateKey::new(&mut OsRng, RSA_BITS).unwrap();
        let pkcs1 = key.to_pkcs1_pem(LineEnding::LF).unwrap();
        let pub_pkcs1 =
            rsa::pkcs1::EncodeRsaPublicKey::to_pkcs1_pem(&key.to_public_key(), LineEnding::LF)
                .unwrap();
        let private = parse_private(Algorithm::RS256, &pkcs1).unwrap();
        let public = parse_public(Algorithm::RS256, &pub_pkcs1).unwrap();
        sign_verify(Algorithm::RS256, &private, &public);
        let escaped = pkcs1.replace('\n', "\\n");
        assert!(parse_private(Algorithm::RS256, &escaped).is_ok());

        let ec = p256::SecretKey::random(&mut OsRng);
        let sec1 = ec.to_sec1_pem(LineEnding::LF).unwrap();
        let private = parse_private(Algorithm::ES256, &sec1).unwrap();
        sign_verify(Algorithm::ES256, &private, &private.public);
    }

    #[test]
    fn keys_of_the_wrong_kind_are_refused_with_a_reason() {
        let Generated::KeyPair { private_pem, .. } = generate(Algorithm::ES384, 0).unwrap() else {
            panic!()
        };
        let err = parse_private(Algorithm::ES256, &private_pem).err().unwrap();
        assert!(err.to_string().contains("P-256"), "{err}");
        let err = parse_private(Algorithm::RS256, &private_pem).err().unwrap();
        assert!(err.to_string().contains("RSA"), "{err}");
        assert_eq!(parse_algorithm("none").err(), Some(KeyError::AlgorithmNone));
        assert!(matches!(
            parse_algorithm("ES512"),
            Err(KeyError::Unsupported(_))
        ));
        assert!(matches!(
            parse_private(Algorithm::RS256, "hello"),
            Err(KeyError::NotPem(_))
        ));
    }

    #[test]
    fn thumbprint_matches_rfc_7638_example() {
        // RFC 7638 §3.1.
        let jwk: Value = serde_json::json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            thumbprint(jwk.as_object().unwrap()),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}

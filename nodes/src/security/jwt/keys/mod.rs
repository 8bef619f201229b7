//! Key material for the JWT nodes: algorithms by name, PEM and JWK parsing
//! (parsed once, when a flow loads), public JWKs and their RFC 7638
//! thumbprints, and fresh keys for configs that have none.
//!
//! RustCrypto (`jsonwebtoken`, and `p521` for ES512) and AWS-LC sign and
//! verify, each algorithm with the faster of the two ([`alg`], [`backend`]);
//! the RustCrypto crates parse the key forms `jsonwebtoken` does
//! not (SEC1 EC keys, SPKI public keys, private JWKs) and derive public keys
//! from private ones. Elliptic-curve keys take one path over the curve
//! ([`ec`]).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rand::rngs::OsRng;
use rand::RngCore;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use serde_json::{Map, Value};

use crate::support::settings::Choice;
use sha2::{Digest, Sha256};

mod alg;
mod aws;
pub mod backend;
mod ec;
mod jwk;

pub use alg::{
    sign, sign_with, verify, verify_with, Algorithm, AlgorithmFamily, CryptoError, DecodingKey,
    EncodingKey, Header, RustDecodingKey, RustEncodingKey,
};
pub use jwk::{parse_jwk, parse_set_key, single_jwk, thumbprint, JwkKey, SetKey};

/// Every algorithm flowgate signs and verifies, by its JOSE name, as the
/// editor's choices.
pub const ALGORITHMS: &[Choice] = &{
    let mut choices = [Choice::plain(""); Algorithm::ALL.len()];
    let mut i = 0;
    while i < choices.len() {
        choices[i] = Choice::plain(Algorithm::ALL[i].name());
        i += 1;
    }
    choices
};

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

/// Parse a JOSE algorithm name, with a clear word for `none`.
pub fn parse_algorithm(name: &str) -> Result<Algorithm, KeyError> {
    let name = name.trim();
    if name.eq_ignore_ascii_case("none") {
        return Err(KeyError::AlgorithmNone);
    }
    // Exact JOSE names, or the same letters in another case ("rs256").
    Algorithm::ALL
        .into_iter()
        .find(|a| a.name().eq_ignore_ascii_case(name))
        .ok_or_else(|| KeyError::UnknownAlgorithm(name.to_owned()))
}

/// The JOSE name of an algorithm.
pub fn algorithm_name(alg: Algorithm) -> &'static str {
    alg.name()
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
        Algorithm::ES512 => "a P-521 EC private key",
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
        Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512 => {
            use ec::private_from_pem;
            ec::on_curve!(alg, private_from_pem(tag, der)).unwrap_or_else(|| Err(wrong()))
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
        AlgorithmFamily::Ec => {
            use ec::public_from_spki;
            ec::on_curve!(alg, public_from_spki(der)).map_err(invalid)
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

pub(crate) fn b64(bytes: &[u8]) -> String {
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
        decoding: DecodingKey::from_rsa_components(&n, &e),
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

fn ed_public(key: &ed25519_dalek::VerifyingKey) -> PublicKey {
    let mut jwk = Map::new();
    jwk.insert("kty".into(), "OKP".into());
    jwk.insert("crv".into(), "Ed25519".into());
    jwk.insert("x".into(), b64(key.as_bytes()).into());
    PublicKey {
        decoding: DecodingKey::from_ed_bytes(key.as_bytes()),
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
        AlgorithmFamily::Ec => {
            use ec::generate;
            ec::on_curve!(alg, generate())
        }
        AlgorithmFamily::Ed => {
            let key = ed25519_dalek::SigningKey::generate(&mut OsRng);
            pem_pair("Ed25519 key", &key, &key.verifying_key())
        }
    }
}

/// A generated pair as PKCS#8 and SPKI PEM: one rule for every family,
/// since all of them implement the same `pkcs8` traits.
pub(crate) fn pem_pair(
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
        let message = b"header.payload";
        let signature = sign(alg, &private.encoding, message).unwrap();
        assert!(verify(alg, &public.decoding, &signature, message).unwrap());
        assert!(!verify(alg, &public.decoding, &signature, b"header.other").unwrap());
    }

    #[test]
    fn generated_pairs_round_trip_for_every_asymmetric_algorithm() {
        for name in ["RS256", "PS384", "ES256", "ES384", "ES512", "EdDSA"] {
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
        assert_eq!(parse_algorithm("es512"), Ok(Algorithm::ES512));
        let err = parse_private(Algorithm::ES512, &private_pem).err().unwrap();
        assert!(err.to_string().contains("P-521"), "{err}");
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

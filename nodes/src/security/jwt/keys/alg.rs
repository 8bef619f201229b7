//! Algorithms, headers and keys as the JWT nodes use them, and the one place
//! that makes and checks signatures.
//!
//! `jsonwebtoken` signs and verifies every algorithm it implements; it has no
//! ES512 (ECDSA on P-521 with SHA-512), which RustCrypto's `p521` does. So the
//! nodes name algorithms, headers and keys with these types, and [`sign`] and
//! [`verify`] send each signature to the library that implements it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p521::ecdsa::signature::{Signer, Verifier};

/// A JWS algorithm flowgate signs and verifies, by its JOSE name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    EdDSA,
}

/// The kind of key an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlgorithmFamily {
    Hmac,
    Rsa,
    Ec,
    Ed,
}

impl Algorithm {
    /// Every algorithm, in the order the editor lists them.
    pub const ALL: [Algorithm; 13] = [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::EdDSA,
    ];

    /// The JOSE name.
    pub const fn name(self) -> &'static str {
        match self {
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
            Algorithm::ES512 => "ES512",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    pub fn family(self) -> AlgorithmFamily {
        match self {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => AlgorithmFamily::Hmac,
            Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512 => AlgorithmFamily::Ec,
            Algorithm::EdDSA => AlgorithmFamily::Ed,
            _ => AlgorithmFamily::Rsa,
        }
    }

    /// `jsonwebtoken`'s algorithm, for the ones it implements (all but ES512).
    pub fn jwt(self) -> Option<jsonwebtoken::Algorithm> {
        match self {
            Algorithm::ES512 => None,
            other => other.name().parse().ok(),
        }
    }
}

impl AlgorithmFamily {
    /// The algorithms of this family.
    pub fn algorithms(self) -> Vec<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .filter(|a| a.family() == self)
            .collect()
    }

    fn of(family: jsonwebtoken::AlgorithmFamily) -> AlgorithmFamily {
        match family {
            jsonwebtoken::AlgorithmFamily::Hmac => AlgorithmFamily::Hmac,
            jsonwebtoken::AlgorithmFamily::Rsa => AlgorithmFamily::Rsa,
            jsonwebtoken::AlgorithmFamily::Ec => AlgorithmFamily::Ec,
            jsonwebtoken::AlgorithmFamily::Ed => AlgorithmFamily::Ed,
        }
    }
}

impl serde::Serialize for Algorithm {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// The JOSE header flowgate signs under: the members it sets, serialized
/// in `jsonwebtoken`'s order so tokens stay byte for byte what they were.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Header {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    pub alg: Algorithm,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

impl Header {
    /// A JWT header (`typ: "JWT"`) for `alg`.
    pub fn new(alg: Algorithm) -> Header {
        Header {
            typ: Some("JWT".into()),
            alg,
            kid: None,
        }
    }
}

/// A key that signs. (P-521 keys are boxed: several times the size of
/// the others.)
#[derive(Clone)]
pub enum EncodingKey {
    Jwt(jsonwebtoken::EncodingKey),
    P521(Box<p521::ecdsa::SigningKey>),
}

/// A key that verifies.
#[derive(Clone)]
pub enum DecodingKey {
    Jwt(jsonwebtoken::DecodingKey),
    P521(Box<p521::ecdsa::VerifyingKey>),
}

impl EncodingKey {
    pub fn from_secret(secret: &[u8]) -> EncodingKey {
        EncodingKey::Jwt(jsonwebtoken::EncodingKey::from_secret(secret))
    }

    pub fn family(&self) -> AlgorithmFamily {
        match self {
            EncodingKey::Jwt(k) => AlgorithmFamily::of(k.family()),
            EncodingKey::P521(_) => AlgorithmFamily::Ec,
        }
    }
}

impl DecodingKey {
    pub fn from_secret(secret: &[u8]) -> DecodingKey {
        DecodingKey::Jwt(jsonwebtoken::DecodingKey::from_secret(secret))
    }

    pub fn family(&self) -> AlgorithmFamily {
        match self {
            DecodingKey::Jwt(k) => AlgorithmFamily::of(k.family()),
            DecodingKey::P521(_) => AlgorithmFamily::Ec,
        }
    }
}

/// Why a signature could not be made or checked (not: did not verify).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the key cannot be used with {0}")]
    WrongKey(&'static str),
    #[error("signature is not base64url")]
    Base64,
    #[error("{0}")]
    Other(String),
}

/// The base64url signature of `message` under `alg`.
pub fn sign(alg: Algorithm, key: &EncodingKey, message: &[u8]) -> Result<String, CryptoError> {
    if key.family() != alg.family() {
        return Err(CryptoError::WrongKey(alg.name()));
    }
    match (alg.jwt(), key) {
        (Some(jwt), EncodingKey::Jwt(k)) => {
            jsonwebtoken::crypto::sign(message, k, jwt).map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::InvalidAlgorithm | ErrorKind::InvalidKeyFormat => {
                        CryptoError::WrongKey(alg.name())
                    }
                    _ => CryptoError::Other(e.to_string()),
                }
            })
        }
        // JWS's ECDSA signature is the fixed-size r || s (132 bytes on
        // P-521), which is what `Signature::to_bytes` gives.
        (None, EncodingKey::P521(k)) => {
            let signature: p521::ecdsa::Signature = k
                .try_sign(message)
                .map_err(|e| CryptoError::Other(e.to_string()))?;
            Ok(URL_SAFE_NO_PAD.encode(signature.to_bytes()))
        }
        _ => Err(CryptoError::WrongKey(alg.name())),
    }
}

/// Whether `signature` (base64url) is `message`'s under `alg` and `key`.
pub fn verify(
    alg: Algorithm,
    key: &DecodingKey,
    signature: &str,
    message: &[u8],
) -> Result<bool, CryptoError> {
    match (alg.jwt(), key) {
        (Some(jwt), DecodingKey::Jwt(k)) => {
            jsonwebtoken::crypto::verify(signature, message, k, jwt).map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::Base64(_) => CryptoError::Base64,
                _ => CryptoError::WrongKey(alg.name()),
            })
        }
        (None, DecodingKey::P521(k)) => {
            let bytes = URL_SAFE_NO_PAD
                .decode(signature)
                .map_err(|_| CryptoError::Base64)?;
            let Ok(signature) = p521::ecdsa::Signature::from_slice(&bytes) else {
                return Ok(false);
            };
            Ok(k.verify(message, &signature).is_ok())
        }
        _ => Err(CryptoError::WrongKey(alg.name())),
    }
}

//! Algorithms, headers and keys as the JWT nodes use them, and the one place
//! that makes and checks signatures.
//!
//! Two libraries sign and verify: RustCrypto (through `jsonwebtoken`, plus
//! `p521` for ES512, which `jsonwebtoken` lacks) and AWS-LC. So the nodes
//! name algorithms, headers and keys with these types, every key holds its
//! form for each library, and [`sign`] and [`verify`] send each signature to
//! the library [`backend`] picks for its algorithm.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p521::ecdsa::signature::{Signer, Verifier};

use super::aws;
use super::backend::{self, Backend};

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

/// The RustCrypto half of a signing key. (P-521 keys are boxed: several
/// times the size of the others.)
#[derive(Clone)]
pub enum RustEncodingKey {
    Jwt(jsonwebtoken::EncodingKey),
    P521(Box<p521::ecdsa::SigningKey>),
}

/// The RustCrypto half of a verification key.
#[derive(Clone)]
pub enum RustDecodingKey {
    Jwt(jsonwebtoken::DecodingKey),
    P521(Box<p521::ecdsa::VerifyingKey>),
}

/// A key that signs: parsed once for each library that may sign with it
/// ([`backend`] picks one per algorithm; `aws` is `None` when AWS-LC
/// refuses the key).
#[derive(Clone)]
pub struct EncodingKey {
    pub rust: RustEncodingKey,
    aws: Option<Arc<aws::SigningKey>>,
}

/// A key that verifies, parsed once for each library.
#[derive(Clone)]
pub struct DecodingKey {
    pub rust: RustDecodingKey,
    aws: Option<Arc<aws::VerifyingKey>>,
}

impl EncodingKey {
    pub fn from_secret(secret: &[u8]) -> EncodingKey {
        EncodingKey {
            rust: RustEncodingKey::Jwt(jsonwebtoken::EncodingKey::from_secret(secret)),
            aws: Some(Arc::new(aws::SigningKey::secret(secret))),
        }
    }

    /// An RSA key from its PKCS#1 `RSAPrivateKey` DER.
    pub fn from_rsa_der(der: &[u8]) -> EncodingKey {
        EncodingKey {
            rust: RustEncodingKey::Jwt(jsonwebtoken::EncodingKey::from_rsa_der(der)),
            aws: aws::SigningKey::rsa(der).map(Arc::new),
        }
    }

    /// A P-256 or P-384 key (`alg` names the curve) from its PKCS#8 DER.
    pub fn from_ec_der(alg: Algorithm, der: &[u8]) -> EncodingKey {
        EncodingKey {
            rust: RustEncodingKey::Jwt(jsonwebtoken::EncodingKey::from_ec_der(der)),
            aws: aws::SigningKey::ec(alg, der).map(Arc::new),
        }
    }

    /// A P-521 key, with its PKCS#8 DER for AWS-LC.
    pub fn from_p521(key: p521::ecdsa::SigningKey, der: &[u8]) -> EncodingKey {
        EncodingKey {
            rust: RustEncodingKey::P521(Box::new(key)),
            aws: aws::SigningKey::ec(Algorithm::ES512, der).map(Arc::new),
        }
    }

    /// An Ed25519 key from its PKCS#8 DER.
    pub fn from_ed_der(der: &[u8]) -> EncodingKey {
        EncodingKey {
            rust: RustEncodingKey::Jwt(jsonwebtoken::EncodingKey::from_ed_der(der)),
            aws: aws::SigningKey::ed(der).map(Arc::new),
        }
    }

    pub fn family(&self) -> AlgorithmFamily {
        match &self.rust {
            RustEncodingKey::Jwt(k) => AlgorithmFamily::of(k.family()),
            RustEncodingKey::P521(_) => AlgorithmFamily::Ec,
        }
    }
}

impl DecodingKey {
    pub fn from_secret(secret: &[u8]) -> DecodingKey {
        DecodingKey {
            rust: RustDecodingKey::Jwt(jsonwebtoken::DecodingKey::from_secret(secret)),
            aws: Some(Arc::new(aws::VerifyingKey::secret(secret))),
        }
    }

    /// An RSA public key from its big-endian modulus and exponent.
    pub fn from_rsa_components(n: &[u8], e: &[u8]) -> DecodingKey {
        DecodingKey {
            rust: RustDecodingKey::Jwt(jsonwebtoken::DecodingKey::from_rsa_raw_components(n, e)),
            aws: aws::VerifyingKey::rsa(n, e).map(Arc::new),
        }
    }

    /// A P-256 or P-384 public key (`alg` names the curve) from its
    /// uncompressed SEC1 point.
    pub fn from_ec_point(alg: Algorithm, point: &[u8]) -> DecodingKey {
        DecodingKey {
            rust: RustDecodingKey::Jwt(jsonwebtoken::DecodingKey::from_ec_der(point)),
            aws: aws::VerifyingKey::ec(alg, point).map(Arc::new),
        }
    }

    /// A P-521 public key.
    pub fn from_p521(key: p521::ecdsa::VerifyingKey) -> DecodingKey {
        let point = key.to_encoded_point(false);
        DecodingKey {
            aws: aws::VerifyingKey::ec(Algorithm::ES512, point.as_bytes()).map(Arc::new),
            rust: RustDecodingKey::P521(Box::new(key)),
        }
    }

    /// An Ed25519 public key from its 32 bytes.
    pub fn from_ed_bytes(public: &[u8]) -> DecodingKey {
        DecodingKey {
            rust: RustDecodingKey::Jwt(jsonwebtoken::DecodingKey::from_ed_der(public)),
            aws: aws::VerifyingKey::ed(public).map(Arc::new),
        }
    }

    pub fn family(&self) -> AlgorithmFamily {
        match &self.rust {
            RustDecodingKey::Jwt(k) => AlgorithmFamily::of(k.family()),
            RustDecodingKey::P521(_) => AlgorithmFamily::Ec,
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

/// The base64url signature of `message` under `alg`, made by the library
/// [`backend`] picks for it.
pub fn sign(alg: Algorithm, key: &EncodingKey, message: &[u8]) -> Result<String, CryptoError> {
    sign_with(backend::signs_with(alg), alg, key, message)
}

/// [`sign`] with a given library (AWS-LC falls back to RustCrypto for a key
/// AWS-LC refused).
pub fn sign_with(
    backend: Backend,
    alg: Algorithm,
    key: &EncodingKey,
    message: &[u8],
) -> Result<String, CryptoError> {
    if key.family() != alg.family() {
        return Err(CryptoError::WrongKey(alg.name()));
    }
    if let (Backend::AwsLc, Some(aws)) = (backend, &key.aws) {
        return aws
            .sign(alg, message)
            .map(|signature| URL_SAFE_NO_PAD.encode(signature));
    }
    match (alg.jwt(), &key.rust) {
        (Some(jwt), RustEncodingKey::Jwt(k)) => jsonwebtoken::crypto::sign(message, k, jwt)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::InvalidAlgorithm | ErrorKind::InvalidKeyFormat => {
                        CryptoError::WrongKey(alg.name())
                    }
                    _ => CryptoError::Other(e.to_string()),
                }
            }),
        // JWS's ECDSA signature is the fixed-size r || s (132 bytes on
        // P-521), which is what `Signature::to_bytes` gives.
        (None, RustEncodingKey::P521(k)) => {
            let signature: p521::ecdsa::Signature = k
                .try_sign(message)
                .map_err(|e| CryptoError::Other(e.to_string()))?;
            Ok(URL_SAFE_NO_PAD.encode(signature.to_bytes()))
        }
        _ => Err(CryptoError::WrongKey(alg.name())),
    }
}

/// Whether `signature` (base64url) is `message`'s under `alg` and `key`,
/// checked by the library [`backend`] picks for `alg`.
pub fn verify(
    alg: Algorithm,
    key: &DecodingKey,
    signature: &str,
    message: &[u8],
) -> Result<bool, CryptoError> {
    verify_with(backend::verifies_with(alg), alg, key, signature, message)
}

/// [`verify`] with a given library (AWS-LC falls back to RustCrypto for a
/// key AWS-LC refused).
pub fn verify_with(
    backend: Backend,
    alg: Algorithm,
    key: &DecodingKey,
    signature: &str,
    message: &[u8],
) -> Result<bool, CryptoError> {
    if let (Backend::AwsLc, Some(aws)) = (backend, &key.aws) {
        let bytes = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| CryptoError::Base64)?;
        return aws.verify(alg, message, &bytes);
    }
    match (alg.jwt(), &key.rust) {
        (Some(jwt), RustDecodingKey::Jwt(k)) => {
            jsonwebtoken::crypto::verify(signature, message, k, jwt).map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::Base64(_) => CryptoError::Base64,
                _ => CryptoError::WrongKey(alg.name()),
            })
        }
        (None, RustDecodingKey::P521(k)) => {
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

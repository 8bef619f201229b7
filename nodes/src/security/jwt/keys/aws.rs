//! AWS-LC's half of the keys: each key parsed once, when the flow loads,
//! into the form `aws-lc-rs` signs and verifies with, so that a token costs
//! the signature and nothing else (no DER decoding, no public-key or
//! Montgomery set-up per token).
//!
//! A key AWS-LC refuses (an RSA modulus outside 2048–8192 bits, which
//! RustCrypto and Node.js still accept) simply has no AWS-LC half and is
//! signed and checked by RustCrypto: [`super::backend`] only picks AWS-LC
//! where a key has one.

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, ParsedPublicKey};

use super::alg::{Algorithm, CryptoError};

/// The three HMAC keys of one secret (HS256, HS384, HS512), each with its
/// inner and outer hash states computed.
pub struct HmacKeys([hmac::Key; 3]);

impl HmacKeys {
    fn new(secret: &[u8]) -> HmacKeys {
        HmacKeys([
            hmac::Key::new(hmac::HMAC_SHA256, secret),
            hmac::Key::new(hmac::HMAC_SHA384, secret),
            hmac::Key::new(hmac::HMAC_SHA512, secret),
        ])
    }

    fn get(&self, alg: Algorithm) -> Option<&hmac::Key> {
        match alg {
            Algorithm::HS256 => Some(&self.0[0]),
            Algorithm::HS384 => Some(&self.0[1]),
            Algorithm::HS512 => Some(&self.0[2]),
            _ => None,
        }
    }
}

/// A signing key as AWS-LC holds it.
pub enum SigningKey {
    /// Boxed: three keyed hash states are some 3.7 KB.
    Hmac(Box<HmacKeys>),
    Rsa(sig::RsaKeyPair),
    /// Bound to its curve's one algorithm.
    Ec(Algorithm, sig::EcdsaKeyPair),
    Ed(sig::Ed25519KeyPair),
}

/// The RSA algorithms in one order, for the per-algorithm parsed keys.
const RSA_ALGORITHMS: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

fn rsa_index(alg: Algorithm) -> Option<usize> {
    RSA_ALGORITHMS.iter().position(|&a| a == alg)
}

fn rsa_signing(alg: Algorithm) -> Option<&'static dyn sig::RsaEncoding> {
    Some(match alg {
        Algorithm::RS256 => &sig::RSA_PKCS1_SHA256,
        Algorithm::RS384 => &sig::RSA_PKCS1_SHA384,
        Algorithm::RS512 => &sig::RSA_PKCS1_SHA512,
        Algorithm::PS256 => &sig::RSA_PSS_SHA256,
        Algorithm::PS384 => &sig::RSA_PSS_SHA384,
        Algorithm::PS512 => &sig::RSA_PSS_SHA512,
        _ => return None,
    })
}

fn rsa_verification(alg: Algorithm) -> &'static sig::RsaParameters {
    match alg {
        Algorithm::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
        _ => &sig::RSA_PSS_2048_8192_SHA512,
    }
}

fn ec_signing(alg: Algorithm) -> Option<&'static sig::EcdsaSigningAlgorithm> {
    Some(match alg {
        Algorithm::ES256 => &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
        Algorithm::ES384 => &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
        Algorithm::ES512 => &sig::ECDSA_P521_SHA512_FIXED_SIGNING,
        _ => return None,
    })
}

fn ec_verification(alg: Algorithm) -> Option<&'static sig::EcdsaVerificationAlgorithm> {
    Some(match alg {
        Algorithm::ES256 => &sig::ECDSA_P256_SHA256_FIXED,
        Algorithm::ES384 => &sig::ECDSA_P384_SHA384_FIXED,
        Algorithm::ES512 => &sig::ECDSA_P521_SHA512_FIXED,
        _ => return None,
    })
}

/// Whether AWS-LC signs and verifies with a modulus of this many bits (its
/// `2048_8192` family; it checks the size only when verifying).
fn rsa_size_supported(bits: usize) -> bool {
    (2048..=8192).contains(&bits)
}

/// The size in bits of a big-endian modulus.
fn bits(n: &[u8]) -> usize {
    let n = &n[n.iter().take_while(|&&b| b == 0).count()..];
    n.first()
        .map_or(0, |&top| n.len() * 8 - top.leading_zeros() as usize)
}

impl SigningKey {
    pub fn secret(secret: &[u8]) -> SigningKey {
        SigningKey::Hmac(Box::new(HmacKeys::new(secret)))
    }

    /// From a PKCS#1 `RSAPrivateKey` DER (AWS-LC refuses sizes outside
    /// 2048–8192 bits).
    pub fn rsa(pkcs1_der: &[u8]) -> Option<SigningKey> {
        sig::RsaKeyPair::from_der(pkcs1_der)
            .ok()
            .map(SigningKey::Rsa)
    }

    /// From a PKCS#8 DER, for the curve `alg` names.
    pub fn ec(alg: Algorithm, pkcs8_der: &[u8]) -> Option<SigningKey> {
        let pair = sig::EcdsaKeyPair::from_pkcs8(ec_signing(alg)?, pkcs8_der).ok()?;
        Some(SigningKey::Ec(alg, pair))
    }

    /// From a PKCS#8 DER (v1 or v2).
    pub fn ed(pkcs8_der: &[u8]) -> Option<SigningKey> {
        sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8_der)
            .ok()
            .map(SigningKey::Ed)
    }

    /// The raw JWS signature of `message` under `alg`.
    pub fn sign(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let wrong = || CryptoError::WrongKey(alg.name());
        let failed = |_| CryptoError::Other(format!("{} signing failed", alg.name()));
        match self {
            SigningKey::Hmac(keys) => {
                let key = keys.get(alg).ok_or_else(wrong)?;
                Ok(hmac::sign(key, message).as_ref().to_vec())
            }
            SigningKey::Rsa(pair) => {
                let encoding = rsa_signing(alg).ok_or_else(wrong)?;
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(encoding, &SystemRandom::new(), message, &mut signature)
                    .map_err(failed)?;
                Ok(signature)
            }
            SigningKey::Ec(curve, pair) if *curve == alg => pair
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(failed),
            SigningKey::Ed(pair) if alg == Algorithm::EdDSA => {
                Ok(pair.sign(message).as_ref().to_vec())
            }
            _ => Err(wrong()),
        }
    }
}

/// A verification key as AWS-LC holds it, parsed for each algorithm it can
/// check.
pub enum VerifyingKey {
    Hmac(Box<HmacKeys>),
    /// One parsed key per RSA algorithm (the parsed form is bound to one).
    Rsa(Box<[ParsedPublicKey; 6]>),
    Ec(Algorithm, ParsedPublicKey),
    Ed(ParsedPublicKey),
}

impl VerifyingKey {
    pub fn secret(secret: &[u8]) -> VerifyingKey {
        VerifyingKey::Hmac(Box::new(HmacKeys::new(secret)))
    }

    /// From the big-endian modulus and exponent.
    pub fn rsa(n: &[u8], e: &[u8]) -> Option<VerifyingKey> {
        if !rsa_size_supported(bits(n)) {
            return None;
        }
        let components = sig::RsaPublicKeyComponents { n, e };
        let parsed: Vec<ParsedPublicKey> = RSA_ALGORITHMS
            .iter()
            .map(|&alg| components.to_parsed_public_key(rsa_verification(alg)).ok())
            .collect::<Option<_>>()?;
        Some(VerifyingKey::Rsa(
            parsed.into_boxed_slice().try_into().ok()?,
        ))
    }

    /// From the uncompressed SEC1 point, for the curve `alg` names.
    pub fn ec(alg: Algorithm, point: &[u8]) -> Option<VerifyingKey> {
        let key = ParsedPublicKey::new(ec_verification(alg)?, point).ok()?;
        Some(VerifyingKey::Ec(alg, key))
    }

    /// From the 32-byte Ed25519 public key.
    pub fn ed(public: &[u8]) -> Option<VerifyingKey> {
        ParsedPublicKey::new(&sig::ED25519, public)
            .ok()
            .map(VerifyingKey::Ed)
    }

    /// Whether `signature` (raw bytes) is `message`'s under `alg`.
    pub fn verify(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, CryptoError> {
        let wrong = || CryptoError::WrongKey(alg.name());
        Ok(match self {
            VerifyingKey::Hmac(keys) => {
                hmac::verify(keys.get(alg).ok_or_else(wrong)?, message, signature).is_ok()
            }
            VerifyingKey::Rsa(keys) => {
                let key = &keys[rsa_index(alg).ok_or_else(wrong)?];
                key.verify_sig(message, signature).is_ok()
            }
            VerifyingKey::Ec(curve, key) if *curve == alg => {
                key.verify_sig(message, signature).is_ok()
            }
            VerifyingKey::Ed(key) if alg == Algorithm::EdDSA => {
                key.verify_sig(message, signature).is_ok()
            }
            _ => return Err(wrong()),
        })
    }
}

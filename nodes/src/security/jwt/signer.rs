//! Signing with everything that does not change between tokens prepared
//! once: the encoded header and the parsed key.
//!
//! `jsonwebtoken::encode` serializes the header and builds a signer from the
//! `EncodingKey` for every token; for RSA that means decoding the DER key
//! and recomputing its CRT parameters each time, which costs more than the
//! signature itself, and for HMAC re-deriving the keyed state. A config or
//! node signs with one key and one header, so [`TokenSigner`] keeps them
//! ready. The output is byte for byte what `jsonwebtoken::encode` produces
//! (same header JSON, same base64url, same signature schemes).
//!
//! Where [`backend`] picks AWS-LC, the key's AWS-LC half is already parsed
//! ([`EncodingKey`]), so only the header is kept here.

use super::keys::backend::{self, Backend};
use super::keys::{sign_with, Algorithm, EncodingKey, Header, RustEncodingKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::signature::{RandomizedSigner, SignatureEncoding};
use sha2::{Sha256, Sha384, Sha512};

use super::claims::{sign_error, SignError};
use super::keys::algorithm_name;
use crate::support::json_text::write_object;
use serde_json::{Map, Value};

/// A ready-to-use signing key for one algorithm.
enum Key {
    Hs256(Hmac<Sha256>),
    Hs384(Hmac<Sha384>),
    Hs512(Hmac<Sha512>),
    Rs256(rsa::pkcs1v15::SigningKey<Sha256>),
    Rs384(rsa::pkcs1v15::SigningKey<Sha384>),
    Rs512(rsa::pkcs1v15::SigningKey<Sha512>),
    Ps256(rsa::pss::BlindedSigningKey<Sha256>),
    Ps384(rsa::pss::BlindedSigningKey<Sha384>),
    Ps512(rsa::pss::BlindedSigningKey<Sha512>),
    /// Signed as the key is: by AWS-LC (its half parsed once with the
    /// key), or by RustCrypto for elliptic-curve and Edwards keys, which
    /// are cheap to load.
    Other(Backend, EncodingKey),
}

/// RustCrypto's HMAC state or RSA key for `alg` from the key's bytes:
/// `None` when the bytes do not make one (the key cannot sign `alg`),
/// `Some(None)` for the algorithms signed with the key as it is.
fn prepare(alg: Algorithm, bytes: &[u8]) -> Option<Option<Key>> {
    let rsa_key = || rsa::RsaPrivateKey::from_pkcs1_der(bytes).ok();
    Some(Some(match alg {
        Algorithm::HS256 => Key::Hs256(Hmac::new_from_slice(bytes).ok()?),
        Algorithm::HS384 => Key::Hs384(Hmac::new_from_slice(bytes).ok()?),
        Algorithm::HS512 => Key::Hs512(Hmac::new_from_slice(bytes).ok()?),
        Algorithm::RS256 => Key::Rs256(rsa::pkcs1v15::SigningKey::new(rsa_key()?)),
        Algorithm::RS384 => Key::Rs384(rsa::pkcs1v15::SigningKey::new(rsa_key()?)),
        Algorithm::RS512 => Key::Rs512(rsa::pkcs1v15::SigningKey::new(rsa_key()?)),
        Algorithm::PS256 => Key::Ps256(rsa::pss::BlindedSigningKey::new(rsa_key()?)),
        Algorithm::PS384 => Key::Ps384(rsa::pss::BlindedSigningKey::new(rsa_key()?)),
        Algorithm::PS512 => Key::Ps512(rsa::pss::BlindedSigningKey::new(rsa_key()?)),
        _ => return Some(None),
    }))
}

/// Signs tokens under one header with one key.
pub struct TokenSigner {
    header: Header,
    /// `base64url(JSON(header))`, the first part of every token.
    header_part: String,
    key: Key,
}

impl TokenSigner {
    /// Prepare `key` for signing under `header` with the library
    /// [`backend`] picks. Fails when the key cannot sign the header's
    /// algorithm, with the same message signing would give.
    pub fn new(header: &Header, key: &EncodingKey) -> Result<Self, SignError> {
        Self::with_backend(header, key, backend::signs_with(header.alg))
    }

    /// [`TokenSigner::new`] with a given library (to compare them).
    pub fn with_backend(
        header: &Header,
        key: &EncodingKey,
        backend: Backend,
    ) -> Result<Self, SignError> {
        let cannot = || {
            SignError::Crypto(format!(
                "the key cannot sign {}",
                algorithm_name(header.alg)
            ))
        };
        if key.family() != header.alg.family() {
            return Err(cannot());
        }
        let prepared = match (&key.rust, backend) {
            (RustEncodingKey::Jwt(k), Backend::RustCrypto) => prepare(header.alg, k.as_bytes())
                .ok_or_else(cannot)?
                .unwrap_or_else(|| Key::Other(backend, key.clone())),
            _ => Key::Other(backend, key.clone()),
        };
        let header_json = flowgate_runtime::js_json::to_vec(header);
        Ok(TokenSigner {
            header: header.clone(),
            header_part: URL_SAFE_NO_PAD.encode(header_json),
            key: prepared,
        })
    }

    /// The header every token gets.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// A token for `claims`, serialized as JavaScript's `JSON.stringify` would.
    pub fn sign(&self, claims: &Map<String, Value>) -> Result<String, SignError> {
        // Room for the usual claims set without growing.
        let mut json = Vec::with_capacity(256);
        write_object(&mut json, claims);
        let payload_len = json.len().div_ceil(3) * 4;
        let mut token = String::with_capacity(self.header_part.len() + payload_len + 90);
        token.push_str(&self.header_part);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&json, &mut token);
        if let Key::Other(backend, key) = &self.key {
            let signature =
                sign_with(*backend, self.header.alg, key, token.as_bytes()).map_err(sign_error)?;
            token.push('.');
            token.push_str(&signature);
            return Ok(token);
        }
        let signature = self.signature(token.as_bytes())?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Ok(token)
    }

    fn signature(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        fn hmac<M: Mac + Clone>(prepared: &M, message: &[u8]) -> Vec<u8> {
            let mut mac = prepared.clone();
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        fn randomized<S, K>(key: &K, message: &[u8]) -> Result<Vec<u8>, SignError>
        where
            K: RandomizedSigner<S>,
            S: SignatureEncoding,
        {
            key.try_sign_with_rng(&mut rand::thread_rng(), message)
                .map(|s| s.to_vec())
                .map_err(|e| SignError::Crypto(e.to_string()))
        }
        Ok(match &self.key {
            Key::Hs256(k) => hmac(k, message),
            Key::Hs384(k) => hmac(k, message),
            Key::Hs512(k) => hmac(k, message),
            Key::Rs256(k) => randomized(k, message)?,
            Key::Rs384(k) => randomized(k, message)?,
            Key::Rs512(k) => randomized(k, message)?,
            Key::Ps256(k) => randomized(k, message)?,
            Key::Ps384(k) => randomized(k, message)?,
            Key::Ps512(k) => randomized(k, message)?,
            Key::Other(..) => unreachable!("signed through keys::sign_with"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::jwt::claims::parse_token;
    use crate::security::jwt::keys::{
        generate, parse_algorithm, parse_private, secret_key, Generated,
    };
    use serde_json::json;

    #[test]
    fn tokens_match_jsonwebtoken_and_verify() {
        let claims = json!({"sub": "u", "n": 1, "o": {"k": [1, 2]}});
        for name in [
            "HS256", "HS384", "HS512", "RS256", "RS384", "PS256", "ES256", "ES512", "EdDSA",
        ] {
            let alg = parse_algorithm(name).unwrap();
            let key = match generate(alg, 2048).unwrap() {
                Generated::Secret(s) => secret_key(s.as_bytes()),
                Generated::KeyPair { private_pem, .. } => parse_private(alg, &private_pem).unwrap(),
            };
            let mut header = Header::new(alg);
            header.kid = Some("k1".into());
            let signer = TokenSigner::new(&header, &key.encoding).unwrap();
            let token = signer.sign(claims.as_object().unwrap()).unwrap();
            let parsed = parse_token(&token, &[alg]).unwrap();
            parsed
                .check_signature(&key.public.decoding)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(parsed.claims().unwrap(), claims, "{name}");
            assert_eq!(parsed.kid.as_deref(), Some("k1"));
            // Deterministic schemes give jsonwebtoken's exact token (PSS
            // salts are random, and so are AWS-LC's ECDSA nonces).
            if let (Some(jwt_alg), RustEncodingKey::Jwt(jwt_key)) = (alg.jwt(), &key.encoding.rust)
            {
                if !name.starts_with("PS") && !name.starts_with("ES") {
                    let mut reference_header = jsonwebtoken::Header::new(jwt_alg);
                    reference_header.kid = Some("k1".into());
                    let reference =
                        jsonwebtoken::encode(&reference_header, &claims, jwt_key).unwrap();
                    assert_eq!(token, reference, "{name}");
                }
            }
        }
    }

    #[test]
    fn a_key_of_another_family_is_refused_up_front() {
        let key = secret_key(b"secret");
        let err = TokenSigner::new(&Header::new(Algorithm::RS256), &key.encoding)
            .err()
            .unwrap();
        assert_eq!(err.to_string(), "signing failed: the key cannot sign RS256");
    }
}

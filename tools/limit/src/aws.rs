//! The AWS-LC yardstick: `aws-lc-rs` called directly, every key parsed once
//! at start, the compact JWS assembled by hand (constant header part,
//! base64url claims, signature), verification checking the signature and
//! `exp` as `jsonwebtoken`'s default validation does.

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair, ParsedPublicKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use crate::{now, Alg, KeyFiles, Tokens};

pub struct AwsLc {
    hs: hmac::Key,
    rs: Option<(sig::RsaKeyPair, ParsedPublicKey)>,
    es256: Option<sig::EcdsaKeyPair>,
    es384: Option<sig::EcdsaKeyPair>,
}

/// The DER inside a PEM file.
fn der(pem_text: &[u8]) -> Vec<u8> {
    pem::parse(pem_text).expect("PEM").into_contents()
}

/// An RSA key pair from a PKCS#8 PEM.
pub fn rsa_pair(pem_text: &[u8]) -> sig::RsaKeyPair {
    sig::RsaKeyPair::from_pkcs8(&der(pem_text)).expect("RSA PKCS#8 private key")
}

/// `base64url(JSON(header))` for `alg`, as `jsonwebtoken` writes it.
fn header_part(alg: Alg) -> &'static str {
    match alg {
        // {"typ":"JWT","alg":"HS256"} and the like.
        Alg::Hs256 => "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9",
        Alg::Rs256 => "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9",
        Alg::Es256 => "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9",
        Alg::Es384 => "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzM4NCJ9",
    }
}

impl AwsLc {
    pub fn new(keys: &KeyFiles) -> AwsLc {
        let ec = |pem: &Option<Vec<u8>>, alg| {
            pem.as_ref().map(|p| {
                sig::EcdsaKeyPair::from_pkcs8(alg, &der(p)).expect("EC PKCS#8 private key")
            })
        };
        AwsLc {
            hs: hmac::Key::new(hmac::HMAC_SHA256, &keys.secret),
            rs: keys.rsa.as_ref().map(|pem| {
                let pair = rsa_pair(pem);
                let public = ParsedPublicKey::new(
                    &sig::RSA_PKCS1_2048_8192_SHA256,
                    pair.public_key().as_ref(),
                )
                .expect("RSA public key");
                (pair, public)
            }),
            es256: ec(&keys.ec256, &sig::ECDSA_P256_SHA256_FIXED_SIGNING),
            es384: ec(&keys.ec384, &sig::ECDSA_P384_SHA384_FIXED_SIGNING),
        }
    }

    fn signature(&self, alg: Alg, message: &[u8]) -> Option<Vec<u8>> {
        let rng = SystemRandom::new();
        Some(match alg {
            Alg::Hs256 => hmac::sign(&self.hs, message).as_ref().to_vec(),
            Alg::Rs256 => {
                let (pair, _) = self.rs.as_ref()?;
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(&sig::RSA_PKCS1_SHA256, &rng, message, &mut out)
                    .expect("RSA signature");
                out
            }
            Alg::Es256 | Alg::Es384 => {
                let pair = if alg == Alg::Es256 {
                    &self.es256
                } else {
                    &self.es384
                };
                pair.as_ref()?
                    .sign(&rng, message)
                    .expect("ECDSA signature")
                    .as_ref()
                    .to_vec()
            }
        })
    }
}

impl Tokens for AwsLc {
    fn sign(&self, alg: Alg, claims: &Value) -> Option<String> {
        let json = serde_json::to_vec(claims).unwrap();
        let mut token = String::with_capacity(64 + json.len() * 4 / 3 + 700);
        token.push_str(header_part(alg));
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&json, &mut token);
        let signature = self.signature(alg, token.as_bytes())?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Some(token)
    }

    fn verify(&self, alg: Alg, token: &str) -> Result<Value, String> {
        let (message, signature) = token.rsplit_once('.').ok_or("InvalidToken")?;
        let (header, payload) = message.split_once('.').ok_or("InvalidToken")?;
        if header != header_part(alg) {
            return Err("InvalidAlgorithm".into());
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| "InvalidSignature")?;
        let valid = match alg {
            Alg::Hs256 => hmac::verify(&self.hs, message.as_bytes(), &signature).is_ok(),
            Alg::Rs256 => {
                let (_, public) = self.rs.as_ref().ok_or("no RSA key")?;
                public.verify_sig(message.as_bytes(), &signature).is_ok()
            }
            _ => return Err("not served".into()),
        };
        if !valid {
            return Err("InvalidSignature".into());
        }
        let claims: Value = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or("InvalidToken")?;
        // jsonwebtoken's default: `exp` required, 60 s leeway.
        match claims.get("exp").and_then(Value::as_u64) {
            Some(exp) if exp + 60 > now() => Ok(claims),
            Some(_) => Err("ExpiredSignature".into()),
            None => Err("Missing required claim: exp".into()),
        }
    }
}

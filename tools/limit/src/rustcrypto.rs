//! The RustCrypto yardstick: `jsonwebtoken::encode` and `decode` with its
//! `rust_crypto` backend, as a hand-written service usually calls them.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::Value;

use crate::{Alg, KeyFiles, Tokens};

pub struct RustCrypto {
    hs: (EncodingKey, DecodingKey),
    rs: Option<(EncodingKey, DecodingKey)>,
    es256: Option<EncodingKey>,
    es384: Option<EncodingKey>,
}

fn algorithm(alg: Alg) -> Algorithm {
    match alg {
        Alg::Hs256 => Algorithm::HS256,
        Alg::Rs256 => Algorithm::RS256,
        Alg::Es256 => Algorithm::ES256,
        Alg::Es384 => Algorithm::ES384,
    }
}

impl RustCrypto {
    pub fn new(keys: &KeyFiles) -> RustCrypto {
        let ec = |pem: &Option<Vec<u8>>| {
            pem.as_ref()
                .map(|p| EncodingKey::from_ec_pem(p).expect("EC private key PEM"))
        };
        RustCrypto {
            hs: (
                EncodingKey::from_secret(&keys.secret),
                DecodingKey::from_secret(&keys.secret),
            ),
            rs: keys.rsa.as_ref().map(|pem| {
                let pair = crate::aws::rsa_pair(pem);
                (
                    EncodingKey::from_rsa_pem(pem).expect("RSA private key PEM"),
                    DecodingKey::from_rsa_der(
                        aws_lc_rs::signature::KeyPair::public_key(&pair).as_ref(),
                    ),
                )
            }),
            es256: ec(&keys.ec256),
            es384: ec(&keys.ec384),
        }
    }
}

impl Tokens for RustCrypto {
    fn sign(&self, alg: Alg, claims: &Value) -> Option<String> {
        let key = match alg {
            Alg::Hs256 => &self.hs.0,
            Alg::Rs256 => &self.rs.as_ref()?.0,
            Alg::Es256 => self.es256.as_ref()?,
            Alg::Es384 => self.es384.as_ref()?,
        };
        Some(jsonwebtoken::encode(&Header::new(algorithm(alg)), claims, key).unwrap())
    }

    fn verify(&self, alg: Alg, token: &str) -> Result<Value, String> {
        let key = match alg {
            Alg::Hs256 => &self.hs.1,
            Alg::Rs256 => &self.rs.as_ref().ok_or("no RSA key")?.1,
            _ => return Err("not served".into()),
        };
        jsonwebtoken::decode::<Value>(token, key, &Validation::new(algorithm(alg)))
            .map(|data| data.claims)
            .map_err(|e| e.to_string())
    }
}

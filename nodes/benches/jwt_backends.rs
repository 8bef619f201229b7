//! RustCrypto against AWS-LC, per algorithm and operation, as the JWT nodes
//! run them: "sign" is a whole token from a prepared [`TokenSigner`] (claims
//! JSON, base64url, signature), "verify" the signature check of one token
//! with a key parsed when the flow loaded. The faster library per row is
//! what `keys::backend` picks.
//!
//! `cargo bench -p flowgate-nodes --bench jwt_backends` (add `-- --quick`
//! or a filter such as `RS256` for a shorter run).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use flowgate_nodes::security::jwt::keys::backend::Backend;
use flowgate_nodes::security::jwt::keys::{
    generate, parse_algorithm, parse_private, secret_key, verify_with, Generated, Header,
    PrivateKey, RSA_BITS,
};
use flowgate_nodes::security::jwt::signer::TokenSigner;
use serde_json::json;

fn key_for(name: &str, rsa: &mut Option<String>) -> PrivateKey {
    let alg = parse_algorithm(name).expect("algorithm");
    // One RSA key for every RSA algorithm: generating one takes a while.
    if name.starts_with("RS") || name.starts_with("PS") {
        let pem = rsa.get_or_insert_with(|| match generate(alg, RSA_BITS).expect("key") {
            Generated::KeyPair { private_pem, .. } => private_pem,
            Generated::Secret(_) => unreachable!("RSA has a key pair"),
        });
        return parse_private(alg, pem).expect("key");
    }
    match generate(alg, RSA_BITS).expect("key") {
        Generated::Secret(s) => secret_key(s.as_bytes()),
        Generated::KeyPair { private_pem, .. } => parse_private(alg, &private_pem).expect("key"),
    }
}

fn bench(c: &mut Criterion) {
    let claims = json!({"name": "CYber Group Inc.", "Domain": "Information Technology & Services",
        "Offices": {"Dallas": "12900 Preston Road, Ste 900, Dallas, TX, 75230"},
        "iat": 1_700_000_000u64, "exp": 1_700_086_400u64});
    let claims = claims.as_object().expect("claims object").clone();
    let mut rsa = None;
    for name in [
        "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "ES512",
        "EdDSA",
    ] {
        let alg = parse_algorithm(name).expect("algorithm");
        let key = key_for(name, &mut rsa);
        let header = Header::new(alg);
        for backend in Backend::ALL {
            let signer =
                TokenSigner::with_backend(&header, &key.encoding, backend).expect("signer");
            c.bench_with_input(
                BenchmarkId::new(format!("sign {}", backend.name()), name),
                &alg,
                |b, _| b.iter(|| signer.sign(&claims).expect("token")),
            );
            let token = signer.sign(&claims).expect("token");
            let (message, signature) = token.rsplit_once('.').expect("three parts");
            c.bench_with_input(
                BenchmarkId::new(format!("verify {}", backend.name()), name),
                &alg,
                |b, _| {
                    b.iter(|| {
                        let ok = verify_with(
                            backend,
                            alg,
                            &key.public.decoding,
                            signature,
                            message.as_bytes(),
                        );
                        assert_eq!(ok, Ok(true));
                    })
                },
            );
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = bench
}
criterion_main!(benches);

//! Cost of issuing and verifying one token per algorithm, as the `jwt` node
//! does it on every request: complete the claims, sign; or parse, check the
//! signature, decode and check the claims. "sign" goes through
//! `claims::sign` (header encoded per token), "sign prepared" through the
//! [`TokenSigner`] a `jwt-config` keeps (header encoded once). Each uses the
//! library `keys::backend` picks; `jwt_backends` compares the libraries.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use flowgate_nodes::security::jwt::claims::{now, sign, verify_with, IssuePolicy, VerifyPolicy};
use flowgate_nodes::security::jwt::keys::{
    generate, parse_algorithm, parse_private, secret_key, Generated, Header, RSA_BITS,
};
use flowgate_nodes::security::jwt::signer::TokenSigner;
use serde_json::{json, Map, Value};

fn claims() -> Map<String, Value> {
    json!({"name": "CYber Group Inc.", "Domain": "Information Technology & Services",
           "Offices": {"Dallas": "12900 Preston Road, Ste 900, Dallas, TX, 75230"}})
    .as_object()
    .cloned()
    .expect("object")
}

fn bench(c: &mut Criterion) {
    let issue = IssuePolicy {
        expires_in: Some(86400),
        issuer: Some("flowgate".into()),
        audience: vec!["api".into()],
        ..IssuePolicy::default()
    };
    for name in [
        "HS256", "RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA",
    ] {
        let alg = parse_algorithm(name).expect("algorithm");
        let key = match generate(alg, RSA_BITS).expect("key") {
            Generated::Secret(s) => secret_key(s.as_bytes()),
            Generated::KeyPair { private_pem, .. } => {
                parse_private(alg, &private_pem).expect("key")
            }
        };
        let header = Header::new(alg);
        let policy = VerifyPolicy {
            algorithms: vec![alg],
            audience: vec!["api".into()],
            issuer: Some("flowgate".into()),
            object_claims: true,
            ..VerifyPolicy::default()
        };
        c.bench_with_input(BenchmarkId::new("sign", name), &alg, |b, _| {
            b.iter(|| {
                let mut claims = claims();
                issue.complete(&mut claims, now()).expect("claims");
                sign(&header, &claims, &key.encoding).expect("token")
            })
        });
        let signer = TokenSigner::new(&header, &key.encoding).expect("signer");
        c.bench_with_input(BenchmarkId::new("sign prepared", name), &alg, |b, _| {
            b.iter(|| {
                let mut claims = claims();
                issue.complete(&mut claims, now()).expect("claims");
                signer.sign(&claims).expect("token")
            })
        });
        let mut claims = claims();
        issue.complete(&mut claims, now()).expect("claims");
        let token = sign(&header, &claims, &key.encoding).expect("token");
        c.bench_with_input(BenchmarkId::new("verify", name), &alg, |b, _| {
            b.iter(|| verify_with(&token, &key.public.decoding, &policy).expect("valid"))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Property-based fuzzing of token verification, for every algorithm: no
//! token string, header or claims may panic the verifier, and nothing but a
//! token really signed with the configured key ever verifies.
//!
//! Targets: arbitrary strings; tokens assembled from arbitrary headers and
//! claims with arbitrary signatures; mutations of well-signed seed tokens;
//! key texts (PEM/JWK) as credentials hold them. The suite runs a short
//! pass; the long pass is run by hand:
//! `FLOWGATE_FUZZ_CASES=1000000 cargo test -p flowgate-nodes --release --test fuzz_tokens`.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use flowgate_nodes::security::jwt::claims::{
    now, parse_token, sign, verify_with, VerifyError, VerifyPolicy,
};
use flowgate_nodes::security::jwt::keys::{
    algorithm_name, generate, parse_private, parse_public, parse_set_key, Algorithm, Generated,
    Header, PrivateKey,
};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn cases(default: u32) -> u32 {
    std::env::var("FLOWGATE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const ALGORITHMS: [Algorithm; 13] = Algorithm::ALL;

/// One key per algorithm (RSA keys are shared by RS*/PS*), with the texts
/// they were parsed from.
struct Keys {
    keys: Vec<(Algorithm, PrivateKey, String)>,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let rsa = generate(Algorithm::RS256, 2048).unwrap();
        let ec256 = generate(Algorithm::ES256, 0).unwrap();
        let ec384 = generate(Algorithm::ES384, 0).unwrap();
        let ec521 = generate(Algorithm::ES512, 0).unwrap();
        let ed = generate(Algorithm::EdDSA, 0).unwrap();
        let pem = |g: &Generated| match g {
            Generated::KeyPair { private_pem, .. } => private_pem.clone(),
            Generated::Secret(s) => s.clone(),
        };
        let keys = ALGORITHMS
            .iter()
            .map(|&alg| {
                let text = match alg {
                    Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
                        "fuzz-secret-fuzz-secret-fuzz-secret-0123".to_owned()
                    }
                    Algorithm::ES256 => pem(&ec256),
                    Algorithm::ES384 => pem(&ec384),
                    Algorithm::ES512 => pem(&ec521),
                    Algorithm::EdDSA => pem(&ed),
                    _ => pem(&rsa),
                };
                let key = if text.starts_with("-----") {
                    parse_private(alg, &text).unwrap()
                } else {
                    flowgate_nodes::security::jwt::keys::secret_key(text.as_bytes())
                };
                (alg, key, text)
            })
            .collect();
        Keys { keys }
    })
}

fn policy(alg: Algorithm, leeway: u64) -> VerifyPolicy {
    VerifyPolicy {
        algorithms: vec![alg],
        leeway,
        object_claims: true,
        ..VerifyPolicy::default()
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Verify `token` against every configured key; a success is returned with
/// the algorithm that accepted it.
fn verify_everywhere(token: &str, leeway: u64) -> Vec<(Algorithm, Value)> {
    let mut accepted = Vec::new();
    for (alg, key, _) in &keys().keys {
        let _ = parse_token(token, &[]);
        if let Ok(v) = verify_with(token, &key.public.decoding, &policy(*alg, leeway)) {
            accepted.push((*alg, v.claims));
        }
    }
    accepted
}

/// The claims as the token carries them: JSON written with JavaScript's
/// numbers, as Node.js signs a message's claims (`3.0` is `3`, an integer
/// past 2^53 is the nearest double).
fn as_signed(claims: &Value) -> Value {
    serde_json::from_str(&flowgate_runtime::js_json::to_string(claims)).unwrap()
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        prop::sample::select(vec![
            u64::MAX as f64,
            -1.0,
            1e300,
            -1e300,
            0.5,
            (now() as f64),
            (now() + 60) as f64,
            (now() - 60) as f64,
        ])
        .prop_map(|f| json!(f)),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z]{1,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn header() -> impl Strategy<Value = Map<String, Value>> {
    let alg = prop_oneof![
        prop::sample::select(vec![
            "HS256",
            "HS384",
            "HS512",
            "RS256",
            "RS384",
            "RS512",
            "PS256",
            "PS384",
            "PS512",
            "ES256",
            "ES384",
            "ES512",
            "EdDSA",
            "none",
            "None",
            "NONE",
            "nOnE",
            "hs256",
            "",
            "HS256 ",
            "RS256\u{0}",
        ])
        .prop_map(Value::from),
        json_value(),
    ];
    let extra = prop::sample::select(vec![
        "kid", "typ", "cty", "crit", "jku", "x5u", "jwk", "x5c", "b64", "zip",
    ]);
    (
        prop::option::of(alg),
        prop::collection::vec((extra, json_value()), 0..4),
    )
        .prop_map(|(alg, extras)| {
            let mut h = Map::new();
            if let Some(a) = alg {
                h.insert("alg".into(), a);
            }
            for (k, v) in extras {
                h.insert(k.into(), v);
            }
            h
        })
}

/// A signature part: empty, random base64url, or random text.
fn signature() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        prop::collection::vec(any::<u8>(), 0..600).prop_map(|b| b64(&b)),
        "[A-Za-z0-9_\\-+/=.]{0,100}",
    ]
}

/// A seed token: claims signed by one configured key.
fn signed(alg_index: usize, claims: &Value) -> String {
    let (alg, key, _) = &keys().keys[alg_index % ALGORITHMS.len()];
    sign(&Header::new(*alg), claims, &key.encoding).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(300), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_verify(token in "\\PC{0,300}", leeway in any::<u64>()) {
        prop_assert!(verify_everywhere(&token, leeway).is_empty());
    }

    #[test]
    fn token_shaped_strings_never_verify(
        token in "[A-Za-z0-9_\\-]{0,80}\\.[A-Za-z0-9_\\-]{0,80}\\.[A-Za-z0-9_\\-]{0,80}"
    ) {
        prop_assert!(verify_everywhere(&token, 0).is_empty());
    }

    #[test]
    fn forged_tokens_never_verify(
        h in header(),
        claims in json_value(),
        raw_header in prop::option::of(prop::collection::vec(any::<u8>(), 0..40)),
        sig in signature(),
        leeway in prop::sample::select(vec![0u64, 60, u64::MAX]),
    ) {
        let header_part = match raw_header {
            Some(bytes) => b64(&bytes),
            None => b64(&serde_json::to_vec(&h).unwrap()),
        };
        let token = format!("{header_part}.{}.{sig}", b64(&serde_json::to_vec(&claims).unwrap()));
        prop_assert!(verify_everywhere(&token, leeway).is_empty(), "{token}");
    }

    #[test]
    fn mutated_signed_tokens_never_verify_with_other_claims(
        alg_index in 0usize..ALGORITHMS.len(),
        claims in prop::collection::btree_map("[a-z]{1,4}", json_value(), 0..4),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..4),
    ) {
        let claims = Value::Object(claims.into_iter().collect());
        let token = signed(alg_index, &claims);
        let claims = as_signed(&claims);
        let alg = ALGORITHMS[alg_index];
        // The seed itself verifies with its own key (when its claims pass).
        let (_, key, _) = &keys().keys[alg_index];
        match verify_with(&token, &key.public.decoding, &policy(alg, 0)) {
            Ok(v) => prop_assert_eq!(&v.claims, &claims),
            Err(e) => prop_assert!(
                !matches!(e, VerifyError::BadSignature | VerifyError::Malformed(_) | VerifyError::KeyMismatch(_)),
                "{} rejected with {}", algorithm_name(alg), e
            ),
        }
        let mut bytes = token.clone().into_bytes();
        let alphabet = b"ABCxyz019-_.=+/ ";
        for (at, op, b) in edits {
            let pos = at.index(bytes.len());
            let c = alphabet[b as usize % alphabet.len()];
            match op {
                0 => bytes.insert(pos, c),
                1 => { bytes.remove(pos); }
                _ => bytes[pos] = c,
            }
        }
        let mutated = String::from_utf8(bytes).unwrap();
        for (accepted_by, accepted_claims) in verify_everywhere(&mutated, 0) {
            // Only a no-op edit (base64's unused trailing bits) may still
            // verify, and then with exactly the signed claims.
            prop_assert_eq!(accepted_by, alg);
            prop_assert_eq!(&accepted_claims, &claims, "{} became {}", token, mutated);
        }
    }

    #[test]
    fn signatures_do_not_cross_algorithms(
        alg_index in 0usize..ALGORITHMS.len(),
        target in 0usize..ALGORITHMS.len(),
    ) {
        let claims = json!({"sub": "x", "exp": now() + 600});
        let token = signed(alg_index, &claims);
        // Relabel the header with another algorithm, keeping the signature.
        let (_, rest) = token.split_once('.').unwrap();
        let relabelled = format!(
            "{}.{rest}",
            b64(json!({"alg": algorithm_name(ALGORITHMS[target]), "typ": "JWT"}).to_string().as_bytes())
        );
        // The header is part of what was signed: no key accepts the result.
        prop_assert!(verify_everywhere(&relabelled, 0).is_empty(), "{}", relabelled);
    }

    #[test]
    fn key_texts_parse_or_report(
        text in prop_oneof![
            "\\PC{0,200}",
            json_value().prop_map(|v| v.to_string()),
            prop::collection::btree_map(
                prop::sample::select(vec!["kty", "crv", "x", "y", "n", "e", "d", "k", "alg", "use", "kid", "key_ops"]),
                prop_oneof![
                    prop::sample::select(vec!["RSA", "EC", "OKP", "oct", "P-256", "P-384", "Ed25519", "AQAB", "RS256", "sig"]).prop_map(Value::from),
                    prop::collection::vec(any::<u8>(), 0..80).prop_map(|b| Value::from(b64(&b))),
                    json_value(),
                ],
                0..7,
            ).prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()).to_string()),
            (any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|(which, at, b)| {
                // A real PEM with one byte changed.
                let (_, _, text) = &keys().keys[which.index(ALGORITHMS.len())];
                let mut bytes = text.clone().into_bytes();
                let i = at.index(bytes.len());
                bytes[i] = b"AZaz09+/=-\n "[b as usize % 12];
                String::from_utf8(bytes).unwrap()
            }),
        ],
    ) {
        for alg in ALGORITHMS {
            let _ = parse_public(alg, &text);
            let _ = parse_private(alg, &text);
        }
        if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&text) {
            let _ = parse_set_key(&m);
        }
    }
}

#[test]
fn every_seed_token_verifies_only_with_its_own_key() {
    let claims = json!({"sub": "seed", "exp": now() + 600});
    for (i, alg) in ALGORITHMS.iter().enumerate() {
        let token = signed(i, &claims);
        let accepted: Vec<Algorithm> = verify_everywhere(&token, 0)
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        assert_eq!(accepted, vec![*alg], "{}", algorithm_name(*alg));
    }
}

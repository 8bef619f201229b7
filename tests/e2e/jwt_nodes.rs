//! End-to-end tests of the JWT nodes: the real `flowgate` binary on loopback,
//! tokens checked independently with `jsonwebtoken` and the key, every
//! rejection the nodes promise, credentials on disk, the JWKS endpoint, a
//! remote key set served on loopback, the editor's console and the CLI.
//! The flows use only `http in`, `jwt`, `jwt sign`/`verify`, `catch` and
//! `http response`, so this file needs no other node type.

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::{client, run_cli, Server};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Value};

// ------------------------------------------------------------------ helpers

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `flowgate keygen --alg ALG` → (private PEM, public PEM).
fn keygen(alg: &str) -> (String, String) {
    let (code, out, err) = run_cli(&["keygen", "--alg", alg]);
    assert_eq!(code, 0, "keygen {alg} failed: {err}");
    let at = out
        .find("-----BEGIN PUBLIC KEY-----")
        .expect("public key printed");
    let (private, public) = out.split_at(at);
    assert!(
        private.starts_with("-----BEGIN PRIVATE KEY-----"),
        "{private}"
    );
    (private.to_string(), public.to_string())
}

fn decoding_key(alg: Algorithm, public_pem: &str) -> DecodingKey {
    match alg {
        Algorithm::ES256 | Algorithm::ES384 => {
            DecodingKey::from_ec_pem(public_pem.as_bytes()).unwrap()
        }
        Algorithm::EdDSA => DecodingKey::from_ed_pem(public_pem.as_bytes()).unwrap(),
        _ => DecodingKey::from_rsa_pem(public_pem.as_bytes()).unwrap(),
    }
}

fn encoding_key(alg: Algorithm, private_pem: &str) -> EncodingKey {
    match alg {
        Algorithm::ES256 | Algorithm::ES384 => {
            EncodingKey::from_ec_pem(private_pem.as_bytes()).unwrap()
        }
        Algorithm::EdDSA => EncodingKey::from_ed_pem(private_pem.as_bytes()).unwrap(),
        _ => EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap(),
    }
}

/// Decode and check a token with the key; nothing but the signature, the
/// algorithm and `exp` is assumed, every other claim is asserted by callers.
fn decode(token: &str, alg: Algorithm, key: &DecodingKey) -> (Header, Value) {
    let mut v = Validation::new(alg);
    v.validate_aud = false;
    v.required_spec_claims.clear();
    v.leeway = 0;
    let data = jsonwebtoken::decode::<Value>(token, key, &v)
        .unwrap_or_else(|e| panic!("token {token} does not verify with the key: {e}"));
    (data.header, data.claims)
}

fn sign(alg: Algorithm, key: &EncodingKey, claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, key).unwrap()
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

fn http_in(id: &str, method: &str, url: &str, next: &str) -> Value {
    json!({"id": id, "type": "http in", "z": "tab", "url": url, "method": method, "x": 100, "y": 100, "wires": [[next]]})
}

fn response(id: &str) -> Value {
    json!({"id": id, "type": "http response", "z": "tab", "statusCode": "", "headers": {}, "x": 500, "y": 100, "wires": []})
}

fn jwt(id: &str, config: &str, generate: bool, wires: Value) -> Value {
    let outputs = wires.as_array().unwrap().len();
    json!({"id": id, "type": "jwt", "z": "tab", "name": "", "jwtconfig": config,
           "generatejwt": if generate { "true" } else { "false" }, "outputs": outputs,
           "x": 300, "y": 100, "wires": wires})
}

fn flow(mut nodes: Vec<Value>) -> String {
    nodes.insert(0, json!({"id": "tab", "type": "tab", "label": "JWT"}));
    serde_json::to_string_pretty(&Value::Array(nodes)).unwrap()
}

/// Start `flow` with `credentials` written beside it as `flows_cred.json`.
fn start(flow: &str, credentials: Option<Value>, envs: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let flows_path = dir.path().join("flows.json");
    std::fs::write(&flows_path, flow).unwrap();
    if let Some(c) = credentials {
        std::fs::write(dir.path().join("flows_cred.json"), c.to_string()).unwrap();
    }
    Server::start_in(dir, flows_path, &[], envs)
}

fn post_json(s: &Server, path: &str, body: &Value) -> reqwest::blocking::Response {
    client().post(s.url(path)).json(body).send().unwrap()
}

fn get_bearer(s: &Server, path: &str, token: &str) -> reqwest::blocking::Response {
    client().get(s.url(path)).bearer_auth(token).send().unwrap()
}

fn www_authenticate(reason: &str) -> String {
    format!("Bearer error=\"invalid_token\", error_description=\"{reason}\"")
}

/// A 401 with the reason in `WWW-Authenticate` and in the body.
fn assert_rejected(resp: reqwest::blocking::Response, reason: &str) {
    assert_eq!(resp.status(), 401, "expected 401 for {reason}");
    assert_eq!(
        resp.headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_string()),
        Some(www_authenticate(reason))
    );
    let body: Value = resp.json().unwrap();
    assert_eq!(body["error"], reason);
}

/// A 401 for a request without a token: a bare `Bearer` challenge, no error
/// code (RFC 6750 §3.1), and the reason in the body.
fn assert_unauthenticated(resp: reqwest::blocking::Response, reason: &str) {
    assert_eq!(resp.status(), 401, "expected 401 for {reason}");
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    let body: Value = resp.json().unwrap();
    assert_eq!(body["error"], reason);
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// ----------------------------------------------------- generate, per algorithm

/// (private PEM, public PEM).
type KeyPair = (String, String);

#[test]
fn generated_tokens_verify_with_the_configured_key_for_every_algorithm() {
    let rsa = keygen("RS256");
    let es256 = keygen("ES256");
    let es384 = keygen("ES384");
    let ed = keygen("EdDSA");
    let cases: Vec<(&str, Algorithm, Option<&KeyPair>)> = vec![
        ("HS256", Algorithm::HS256, None),
        ("HS384", Algorithm::HS384, None),
        ("HS512", Algorithm::HS512, None),
        ("RS256", Algorithm::RS256, Some(&rsa)),
        ("RS384", Algorithm::RS384, Some(&rsa)),
        ("RS512", Algorithm::RS512, Some(&rsa)),
        ("PS256", Algorithm::PS256, Some(&rsa)),
        ("PS384", Algorithm::PS384, Some(&rsa)),
        ("PS512", Algorithm::PS512, Some(&rsa)),
        ("ES256", Algorithm::ES256, Some(&es256)),
        ("ES384", Algorithm::ES384, Some(&es384)),
        ("EdDSA", Algorithm::EdDSA, Some(&ed)),
    ];
    let mut nodes = vec![response("out")];
    let mut creds = serde_json::Map::new();
    for (name, _, pair) in &cases {
        let cfg = format!("cfg-{name}");
        nodes.push(json!({"id": cfg, "type": "jwt-config", "z": "", "name": name, "algorithm": name,
            "expiresin": "600", "issuer": "https://issuer.example", "audience": ["api", "web"],
            "subject": "default-subject", "notbefore": "0", "keyid": format!("kid-{name}"), "jti": true}));
        nodes.push(http_in(
            &format!("in-{name}"),
            "post",
            &format!("/gen/{name}"),
            &format!("gen-{name}"),
        ));
        nodes.push(jwt(&format!("gen-{name}"), &cfg, true, json!([["out"]])));
        nodes.push(http_in(
            &format!("vin-{name}"),
            "get",
            &format!("/verify/{name}"),
            &format!("ver-{name}"),
        ));
        nodes.push(jwt(&format!("ver-{name}"), &cfg, false, json!([["out"]])));
        let c = match pair {
            Some((private, _)) => json!({"privatekey": private}),
            None => json!({"secret": format!("a-shared-secret-of-at-least-32-bytes-for-{name}")}),
        };
        creds.insert(cfg, c);
    }
    let s = start(&flow(nodes), Some(Value::Object(creds)), &[]);

    for (name, alg, pair) in &cases {
        let before = now();
        let resp = post_json(
            &s,
            &format!("/gen/{name}"),
            &json!({"role": "agent", "policy": {"devices": ["a"]}}),
        );
        assert_eq!(resp.status(), 200, "{name}");
        let token = resp.text().unwrap();
        let key = match pair {
            Some((_, public)) => decoding_key(*alg, public),
            None => DecodingKey::from_secret(
                format!("a-shared-secret-of-at-least-32-bytes-for-{name}").as_bytes(),
            ),
        };
        let (header, claims) = decode(&token, *alg, &key);
        assert_eq!(header.alg, *alg, "{name}");
        assert_eq!(header.kid.as_deref(), Some(format!("kid-{name}").as_str()));
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        let iat = claims["iat"].as_u64().unwrap();
        assert!(iat >= before && iat <= now(), "{name}: iat {iat}");
        assert_eq!(claims["exp"].as_u64(), Some(iat + 600), "{name}");
        assert_eq!(claims["nbf"].as_u64(), Some(iat), "{name}");
        assert_eq!(claims["iss"], "https://issuer.example");
        assert_eq!(claims["aud"], json!(["api", "web"]));
        assert_eq!(claims["sub"], "default-subject");
        let jti = claims["jti"].as_str().unwrap();
        assert!(
            jti.len() == 36 && jti.chars().nth(14) == Some('4'),
            "{name}: jti {jti} is not a v4 UUID"
        );
        assert_eq!(claims["role"], "agent");
        assert_eq!(claims["policy"], json!({"devices": ["a"]}));
        assert_eq!(claims.as_object().unwrap().len(), 9, "{name}: {claims}");

        // The same config verifies its own token and hands back the claims.
        let resp = get_bearer(&s, &format!("/verify/{name}"), &token);
        assert_eq!(resp.status(), 200, "{name}");
        assert_eq!(resp.json::<Value>().unwrap(), claims);
    }
}

// ------------------------------------------- generated secret, saved and reused

/// The Ignite flow's jwt-config with http in → jwt → http response around it.
fn ignite_like_flow() -> String {
    flow(vec![
        json!({"id": "766dcb94.6ebc04", "type": "jwt-config", "z": "", "name": "igniteadmin", "expiresin": "86400", "algorithm": "HS256"}),
        http_in("in", "post", "/jwt/generate", "gen"),
        jwt("gen", "766dcb94.6ebc04", true, json!([["out"]])),
        response("out"),
    ])
}

fn secret_in(dir: &Path) -> String {
    let creds: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("flows_cred.json")).unwrap())
            .unwrap();
    creds["766dcb94.6ebc04"]["secret"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_missing_secret_is_generated_once_saved_privately_and_reused() {
    let mut s = start(&ignite_like_flow(), None, &[("RUST_LOG", "debug")]);
    let cred_path = s.dir.path().join("flows_cred.json");
    #[cfg(unix)]
    assert_eq!(mode(&cred_path), 0o600);
    let secret = secret_in(s.dir.path());
    assert!(secret.len() >= 43, "a 256-bit secret, base64url: {secret}");

    let resp = post_json(&s, "/jwt/generate", &json!({"name": "CYber Group Inc."}));
    assert_eq!(resp.status(), 200);
    let token = resp.text().unwrap();
    assert!(!token.contains(&secret));
    let (header, claims) = decode(
        &token,
        Algorithm::HS256,
        &DecodingKey::from_secret(secret.as_bytes()),
    );
    assert_eq!(header.alg, Algorithm::HS256);
    assert_eq!(header.kid, None);
    assert_eq!(claims["name"], "CYber Group Inc.");
    assert_eq!(
        claims["exp"].as_u64().unwrap(),
        claims["iat"].as_u64().unwrap() + 86400
    );

    let logs = s.logs();
    assert!(
        logs.contains("igniteadmin")
            && logs.contains("766dcb94.6ebc04")
            && logs.contains("flows_cred.json"),
        "one clear warning naming the config and the file:\n{logs}"
    );
    assert_eq!(logs.matches("has no secret").count(), 1, "{logs}");
    assert!(!logs.contains(&secret), "the secret leaked into the logs");

    // Restart on the same files: same secret, no new one generated.
    s.terminate();
    let dir = std::mem::replace(&mut s.dir, tempfile::tempdir().unwrap());
    let flows_path = s.flows_path.clone();
    drop(s);
    let s = Server::start_in(dir, flows_path, &[], &[]);
    assert_eq!(secret_in(s.dir.path()), secret);
    assert!(!s.logs().contains("has no secret"), "{}", s.logs());
    let token = post_json(&s, "/jwt/generate", &json!({"a": 1}))
        .text()
        .unwrap();
    decode(
        &token,
        Algorithm::HS256,
        &DecodingKey::from_secret(secret.as_bytes()),
    );

    // `flowgate token` signs with the very same secret.
    let (code, out, err) = run_cli(&[
        "token",
        s.flows_path.to_str().unwrap(),
        "--config",
        "igniteadmin",
        "--claims",
        r#"{"role":"admin"}"#,
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, claims) = decode(
        out.trim(),
        Algorithm::HS256,
        &DecodingKey::from_secret(secret.as_bytes()),
    );
    assert_eq!(claims["role"], "admin");
    assert_eq!(
        claims["exp"].as_u64().unwrap(),
        claims["iat"].as_u64().unwrap() + 86400
    );
    assert!(!err.contains(&secret));
}

#[test]
fn token_command_reports_unknown_configs_and_bad_claims() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(&path, ignite_like_flow()).unwrap();
    let p = path.to_str().unwrap();
    let (code, _, err) = run_cli(&["token", p, "--config", "nope"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no jwt-config with id or name \"nope\"") && err.contains("igniteadmin"),
        "{err}"
    );
    let (code, _, err) = run_cli(&["token", p, "--config", "igniteadmin", "--claims", "[1]"]);
    assert_eq!(code, 1);
    assert!(err.contains("--claims must be a JSON object"), "{err}");
    // By id works as well as by name, and the generated secret was saved.
    let (code, out, _) = run_cli(&["token", p, "--config", "766dcb94.6ebc04"]);
    assert_eq!(code, 0);
    decode(
        out.trim(),
        Algorithm::HS256,
        &DecodingKey::from_secret(secret_in(dir.path()).as_bytes()),
    );
}

#[test]
fn keygen_prints_usable_pairs_and_refuses_none() {
    for (name, alg) in [
        ("ES256", Algorithm::ES256),
        ("EdDSA", Algorithm::EdDSA),
        ("PS256", Algorithm::PS256),
    ] {
        let (private, public) = keygen(name);
        let token = sign(
            alg,
            &encoding_key(alg, &private),
            &json!({"sub": "x", "exp": now() + 60}),
        );
        decode(&token, alg, &decoding_key(alg, &public));
    }
    let (code, out, _) = run_cli(&["keygen", "--alg", "HS256"]);
    assert_eq!(code, 0);
    assert_eq!(URL_SAFE_NO_PAD.decode(out.trim()).unwrap().len(), 32);
    let (code, _, err) = run_cli(&["keygen", "--alg", "none"]);
    assert_eq!(code, 1);
    assert!(err.contains("\"none\" is never allowed"), "{err}");
}

// ---------------------------------------------------------------- rejections

const SECRET: &str = "cockpit-shared-secret-0123456789abcdef";

fn cockpit_flow(public_rsa: &str) -> (String, Value) {
    let nodes = vec![
        json!({"id": "hs", "type": "jwt-config", "z": "", "name": "cockpit", "algorithm": "HS256",
               "audience": "moehaha", "issuer": "itsyou.online", "requiredclaims": ["sub"], "scope": "memberof:moehaha"}),
        json!({"id": "rs", "type": "jwt-config", "z": "", "name": "rsa", "algorithm": "RS256"}),
        http_in("get", "get", "/protected", "check"),
        http_in("post", "post", "/protected", "check"),
        jwt("check", "hs", false, json!([["out"]])),
        http_in("rsin", "get", "/rsa", "rscheck"),
        jwt("rscheck", "rs", false, json!([["out"]])),
        http_in("in2", "get", "/two", "two"),
        jwt("two", "hs", false, json!([["out"], ["out"]])),
        http_in("in3", "get", "/caught", "c3"),
        jwt("c3", "hs", false, json!([["out"]])),
        json!({"id": "catch", "type": "catch", "z": "tab", "scope": ["c3"], "uncaught": false, "x": 1, "y": 1, "wires": [["out"]]}),
        response("out"),
    ];
    let creds = json!({"hs": {"secret": SECRET}, "rs": {"publickey": public_rsa}});
    (flow(nodes), creds)
}

fn good_claims() -> Value {
    json!({"sub": "user@example.com", "aud": "moehaha", "iss": "itsyou.online",
           "scope": "user:name memberof:moehaha", "exp": now() + 600})
}

fn with(claims: &Value, key: &str, value: Value) -> Value {
    let mut c = claims.clone();
    if value.is_null() {
        c.as_object_mut().unwrap().shift_remove(key);
    } else {
        c[key] = value;
    }
    c
}

#[test]
fn verification_rejects_each_bad_token_with_a_precise_401() {
    let (rsa_private, rsa_public) = keygen("RS256");
    let (flow, creds) = cockpit_flow(&rsa_public);
    let s = start(&flow, Some(creds), &[]);
    let key = EncodingKey::from_secret(SECRET.as_bytes());
    let good = sign(Algorithm::HS256, &key, &good_claims());

    let resp = get_bearer(&s, "/protected", &good);
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().unwrap(), claims_of(&good));

    let other = EncodingKey::from_secret(b"another-secret-another-secret-0000");
    let cases: Vec<(String, &str)> = vec![
        (
            sign(Algorithm::HS256, &other, &good_claims()),
            "invalid signature",
        ),
        (tamper(&good), "invalid signature"),
        (
            sign(
                Algorithm::HS256,
                &key,
                &with(&good_claims(), "exp", json!(now() - 5)),
            ),
            "token expired",
        ),
        (
            sign(
                Algorithm::HS256,
                &key,
                &with(&good_claims(), "nbf", json!(now() + 600)),
            ),
            "token not yet valid",
        ),
        (
            sign(
                Algorithm::HS256,
                &key,
                &with(&good_claims(), "aud", json!(["other"])),
            ),
            "audience mismatch",
        ),
        (
            sign(
                Algorithm::HS256,
                &key,
                &with(&good_claims(), "iss", json!("evil.example")),
            ),
            "issuer mismatch",
        ),
        (
            sign(
                Algorithm::HS256,
                &key,
                &with(&good_claims(), "sub", Value::Null),
            ),
            "missing required claim: sub",
        ),
        (
            sign(
                Algorithm::HS256,
                &key,
                &with(&good_claims(), "exp", json!("soon")),
            ),
            "invalid claim: exp must be a number",
        ),
        (
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                b64(&good_claims())
            ),
            "algorithm none is not allowed",
        ),
        (
            sign(
                Algorithm::HS384,
                &EncodingKey::from_secret(SECRET.as_bytes()),
                &good_claims(),
            ),
            "algorithm HS384 is not allowed (expected HS256)",
        ),
        (
            "not-a-token".into(),
            "token malformed: expected three dot-separated parts",
        ),
        (
            format!("{}.{}.sig", "%%%", b64(&good_claims())),
            "token malformed: header is not base64url-encoded JSON",
        ),
    ];
    for (token, reason) in &cases {
        assert_rejected(get_bearer(&s, "/protected", token), reason);
    }
    assert_unauthenticated(
        client().get(s.url("/protected")).send().unwrap(),
        "token missing",
    );
    // A valid token without the scope: 403 insufficient_scope (RFC 6750 §3.1).
    let no_scope = sign(
        Algorithm::HS256,
        &key,
        &with(&good_claims(), "scope", json!("user:name")),
    );
    let resp = get_bearer(&s, "/protected", &no_scope);
    assert_eq!(resp.status(), 403);
    assert_eq!(
        resp.headers()["www-authenticate"],
        "Bearer error=\"insufficient_scope\", error_description=\"missing scope: memberof:moehaha\", scope=\"memberof:moehaha\""
    );
    assert_eq!(
        resp.json::<Value>().unwrap()["error"],
        "missing scope: memberof:moehaha"
    );

    // Algorithm confusion: an HS256 token whose "secret" is the RSA public
    // key, sent to the RS256 config, is refused before any HMAC is computed.
    let confused = sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(rsa_public.as_bytes()),
        &json!({"sub": "x"}),
    );
    assert_rejected(
        get_bearer(&s, "/rsa", &confused),
        "algorithm HS256 is not allowed (expected RS256)",
    );
    let rs = sign(
        Algorithm::RS256,
        &encoding_key(Algorithm::RS256, &rsa_private),
        &json!({"sub": "x"}),
    );
    assert_eq!(get_bearer(&s, "/rsa", &rs).status(), 200);
}

/// The claims the endpoint answers for `token` (exactly what was signed).
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The same token with one claim changed and the old signature kept.
fn tamper(token: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let claims = with(&claims_of(token), "sub", json!("admin@example.com"));
    format!("{}.{}.{}", parts[0], b64(&claims), parts[2])
}

#[test]
fn the_token_is_found_in_every_accepted_location() {
    // An EC public key for the RS256 config is a load problem naming the field.
    let (_, ec_public) = keygen("ES256");
    let (flow, creds) = cockpit_flow(&ec_public);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.json"), &flow).unwrap();
    std::fs::write(dir.path().join("f_cred.json"), creds.to_string()).unwrap();
    let (code, _, err) = run_cli(&["check", dir.path().join("f.json").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("node rs (jwt-config \"rsa\") field `publickey`"),
        "{err}"
    );

    let (_, rsa_public) = keygen("RS256");
    let (flow, creds) = cockpit_flow(&rsa_public);
    let s = start(&flow, Some(creds), &[]);
    let token = sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(SECRET.as_bytes()),
        &good_claims(),
    );
    let c = client();
    let ok = |r: reqwest::blocking::Response, how: &str| {
        assert_eq!(r.status(), 200, "token in {how}");
        assert_eq!(
            r.json::<Value>().unwrap()["sub"],
            "user@example.com",
            "{how}"
        );
    };
    ok(
        c.get(s.url("/protected"))
            .header("Authorization", format!("Bearer {token}"))
            .send()
            .unwrap(),
        "Authorization: Bearer",
    );
    ok(
        c.get(s.url("/protected"))
            .header("Authorization", format!("bearer  {token}"))
            .send()
            .unwrap(),
        "lower-case scheme",
    );
    ok(
        c.get(s.url(&format!("/protected?access_token={token}")))
            .send()
            .unwrap(),
        "query access_token",
    );
    ok(
        c.post(s.url("/protected"))
            .form(&[("access_token", token.as_str())])
            .send()
            .unwrap(),
        "form body access_token",
    );
    ok(
        c.post(s.url("/protected"))
            .json(&json!({"access_token": token}))
            .send()
            .unwrap(),
        "JSON body access_token",
    );
    ok(
        c.post(s.url("/protected"))
            .header("content-type", "text/plain")
            .body(token.clone())
            .send()
            .unwrap(),
        "string msg.payload",
    );
    // Another scheme is not a bearer token.
    assert_unauthenticated(
        c.get(s.url("/protected"))
            .basic_auth("u", Some("p"))
            .send()
            .unwrap(),
        "token missing",
    );
}

#[test]
fn two_outputs_send_rejections_to_the_second_and_catch_nodes_see_errors() {
    let (_, rsa_public) = keygen("RS256");
    let (flow, creds) = cockpit_flow(&rsa_public);
    let s = start(&flow, Some(creds), &[]);
    let key = EncodingKey::from_secret(SECRET.as_bytes());
    let expired = sign(
        Algorithm::HS256,
        &key,
        &with(&good_claims(), "exp", json!(now() - 1)),
    );

    let resp = get_bearer(&s, "/two", &expired);
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.headers()["www-authenticate"],
        www_authenticate("token expired").as_str()
    );
    assert_eq!(
        resp.json::<Value>().unwrap(),
        json!({"error": "invalid_token", "error_description": "token expired"})
    );
    let good = sign(Algorithm::HS256, &key, &good_claims());
    assert_eq!(get_bearer(&s, "/two", &good).status(), 200);

    // A catch node gets the failed message (statusCode 401 set, payload as
    // it was: the query); the engine does not answer in its place.
    let resp = client()
        .get(s.url(&format!("/caught?x=1&access_token={expired}")))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().get("www-authenticate").is_none());
    assert_eq!(
        resp.json::<Value>().unwrap(),
        json!({"x": "1", "access_token": expired})
    );
}

#[test]
fn generate_needs_a_claims_object() {
    let s = start(&ignite_like_flow(), None, &[]);
    let resp = client()
        .post(s.url("/jwt/generate"))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .unwrap();
    assert_eq!(resp.status(), 500);
    let body: Value = resp.json().unwrap();
    assert_eq!(
        body["error"],
        "msg.payload must be a JSON object of claims, not a string"
    );
    let resp = post_json(&s, "/jwt/generate", &json!({"exp": "tomorrow"}));
    assert_eq!(
        resp.json::<Value>().unwrap()["error"],
        "claim \"exp\" must be a number of seconds since 1970"
    );
}

// ------------------------------------------------------------- key sets (JWKS)

#[test]
fn published_keys_are_served_on_the_jwks_endpoint_with_thumbprint_kids() {
    let nodes = vec![
        json!({"id": "a-rs", "type": "jwt-config", "z": "", "name": "cobrowse", "algorithm": "RS256", "expiresin": "3600",
               "audience": "https://cobrowse.io", "issuer": "license-key", "publishjwks": true}),
        json!({"id": "b-ed", "type": "jwt-config", "z": "", "name": "ed", "algorithm": "EdDSA", "keyid": "ed-1", "publishjwks": true}),
        json!({"id": "c-hs", "type": "jwt-config", "z": "", "name": "hs", "algorithm": "HS256", "publishjwks": true}),
        json!({"id": "d-es", "type": "jwt-config", "z": "", "name": "private", "algorithm": "ES256"}),
        http_in("in", "post", "/token", "gen"),
        jwt("gen", "a-rs", true, json!([["out"]])),
        http_in("in2", "post", "/ed", "gen2"),
        jwt("gen2", "b-ed", true, json!([["out"]])),
        response("out"),
    ];
    let s = start(&flow(nodes), None, &[]);
    let resp = client()
        .get(s.url("/.well-known/jwks.json"))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let text = resp.text().unwrap();
    let creds = std::fs::read_to_string(s.dir.path().join("flows_cred.json")).unwrap();
    let creds: Value = serde_json::from_str(&creds).unwrap();
    for id in ["a-rs", "b-ed", "d-es"] {
        assert!(
            creds[id]["privatekey"]
                .as_str()
                .unwrap()
                .starts_with("-----BEGIN PRIVATE KEY-----"),
            "{id}"
        );
    }
    assert!(creds["c-hs"]["secret"].is_string());
    assert!(
        !text.contains(creds["c-hs"]["secret"].as_str().unwrap()),
        "an HMAC secret was published"
    );
    assert!(
        !text.contains("\"d\""),
        "private key material was published: {text}"
    );
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&text).unwrap();
    assert_eq!(
        set.keys.len(),
        2,
        "only the asymmetric configs that publish: {text}"
    );

    let rs = &set.keys[0];
    let thumb = rs.thumbprint(ThumbprintHash::SHA256).unwrap();
    assert_eq!(rs.common.key_id.as_deref(), Some(thumb.as_str()));
    let token = post_json(
        &s,
        "/token",
        &json!({"sub": "agent@example.com", "displayName": "Ann", "role": "agent"}),
    )
    .text()
    .unwrap();
    let (header, claims) = decode(
        &token,
        Algorithm::RS256,
        &DecodingKey::from_jwk(rs).unwrap(),
    );
    assert_eq!(header.kid.as_deref(), Some(thumb.as_str()));
    assert_eq!(claims["aud"], "https://cobrowse.io");
    assert_eq!(claims["iss"], "license-key");
    assert_eq!(claims["sub"], "agent@example.com");
    assert_eq!(claims["displayName"], "Ann");
    assert!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap() <= 86400);

    let ed = set.find("ed-1").expect("configured kid");
    let token = post_json(&s, "/ed", &json!({})).text().unwrap();
    let (header, _) = decode(
        &token,
        Algorithm::EdDSA,
        &DecodingKey::from_jwk(ed).unwrap(),
    );
    assert_eq!(header.kid.as_deref(), Some("ed-1"));

    // The published key is the one in the credentials file.
    let private = creds["a-rs"]["privatekey"].as_str().unwrap();
    let from_private = Jwk::from_encoding_key(
        &EncodingKey::from_rsa_pem(private.as_bytes()).unwrap(),
        Algorithm::RS256,
    )
    .unwrap();
    assert_eq!(
        from_private.thumbprint(ThumbprintHash::SHA256).unwrap(),
        thumb
    );
}

/// A key set server on loopback: (base URL, set of the documents served).
fn serve_key_sets(docs: Vec<(&'static str, Value)>) -> (String, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let mut app = axum::Router::new();
    for (path, doc) in docs {
        let doc = Arc::new(doc);
        app = app.route(
            path,
            axum::routing::get(move || {
                let doc = doc.clone();
                async move { axum::Json((*doc).clone()) }
            }),
        );
    }
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), rt)
}

fn with_kid(mut jwk: Value, kid: &str) -> Value {
    jwk["kid"] = json!(kid);
    jwk
}

#[test]
fn jwksurl_and_jwkurl_verify_against_a_key_set_fetched_over_http() {
    let (es_private, _) = keygen("ES256");
    let es_key = encoding_key(Algorithm::ES256, &es_private);
    let es_jwk =
        serde_json::to_value(Jwk::from_encoding_key(&es_key, Algorithm::ES256).unwrap()).unwrap();
    let (rs_private, _) = keygen("RS256");
    let rs_key = encoding_key(Algorithm::RS256, &rs_private);
    let rs_jwk =
        serde_json::to_value(Jwk::from_encoding_key(&rs_key, Algorithm::RS256).unwrap()).unwrap();
    // A private P-256 JWK for node-red-contrib-jwt's "sign with a JWK URL".
    let signing = p256::SecretKey::random(&mut rand_core_os());
    let point =
        p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&signing.public_key(), false);
    let private_jwk = json!({"kty": "EC", "crv": "P-256", "kid": "signer", "use": "sig",
        "d": URL_SAFE_NO_PAD.encode(signing.to_bytes()),
        "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()), "y": URL_SAFE_NO_PAD.encode(point.y().unwrap())});
    let public_signer = DecodingKey::from_ec_components(
        private_jwk["x"].as_str().unwrap(),
        private_jwk["y"].as_str().unwrap(),
    )
    .unwrap();

    let (base, _rt) = serve_key_sets(vec![
        (
            "/jwks",
            json!({"keys": [with_kid(es_jwk.clone(), "es-1"), with_kid(rs_jwk.clone(), "rs-1")]}),
        ),
        ("/priv_jwk", json!({"keys": [private_jwk]})),
    ]);
    let nodes = vec![
        json!({"id": "remote", "type": "jwt-config", "z": "", "name": "remote", "algorithm": "ES256",
               "jwksurl": format!("{base}/jwks"), "audience": "api"}),
        http_in("in", "get", "/remote", "check"),
        jwt("check", "remote", false, json!([["out"]])),
        http_in("in2", "get", "/contrib", "cv"),
        json!({"id": "cv", "type": "jwt verify", "z": "tab", "alg": ["ES256"], "jwkurl": format!("{base}/jwks"),
               "secret": "", "key": "", "signvar": "bearer", "storetoken": "payload", "x": 1, "y": 1, "wires": [["out"]]}),
        http_in("in3", "post", "/contrib-sign", "cs"),
        json!({"id": "cs", "type": "jwt sign", "z": "tab", "alg": "ES256", "exp": "60", "jwkurl": format!("{base}/priv_jwk"),
               "jwkkid": "signer", "secret": "", "key": "", "signvar": "payload", "storetoken": "payload", "x": 1, "y": 1, "wires": [["out"]]}),
        response("out"),
    ];
    let s = start(&flow(nodes), None, &[]);

    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("es-1".into());
    let good = jsonwebtoken::encode(
        &header,
        &json!({"aud": "api", "sub": "s", "exp": now() + 60}),
        &es_key,
    )
    .unwrap();
    let resp = get_bearer(&s, "/remote", &good);
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().unwrap()["sub"], "s");
    let unknown = {
        let mut h = header.clone();
        h.kid = Some("rotated-away".into());
        jsonwebtoken::encode(&h, &json!({"aud": "api"}), &es_key).unwrap()
    };
    assert_rejected(
        get_bearer(&s, "/remote", &unknown),
        "unknown key id: rotated-away",
    );
    // The config allows ES256 only, even though the set also holds an RSA key.
    let mut rs_header = Header::new(Algorithm::RS256);
    rs_header.kid = Some("rs-1".into());
    let rs_token = jsonwebtoken::encode(&rs_header, &json!({"aud": "api"}), &rs_key).unwrap();
    assert_rejected(
        get_bearer(&s, "/remote", &rs_token),
        "algorithm RS256 is not allowed (expected ES256)",
    );
    // A token naming the RSA key's kid but claiming ES256 is a key mismatch.
    let mut lying = Header::new(Algorithm::ES256);
    lying.kid = Some("rs-1".into());
    let lying = jsonwebtoken::encode(&lying, &json!({"aud": "api"}), &es_key).unwrap();
    assert_rejected(
        get_bearer(&s, "/remote", &lying),
        "algorithm ES256 does not match the key",
    );

    // node-red-contrib-jwt's verify with a JWK URL.
    let resp = get_bearer(&s, "/contrib", &good);
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().unwrap()["aud"], "api");
    // …and its sign with a private JWK picked by jwkkid.
    let resp = post_json(&s, "/contrib-sign", &json!({"sub": "jwk-user"}));
    assert_eq!(resp.status(), 200);
    let token = resp.text().unwrap();
    let (header, claims) = decode(&token, Algorithm::ES256, &public_signer);
    assert_eq!(header.kid.as_deref(), Some("signer"));
    assert_eq!(
        claims["exp"].as_u64().unwrap(),
        claims["iat"].as_u64().unwrap() + 60
    );
}

fn rand_core_os() -> p256::elliptic_curve::rand_core::OsRng {
    p256::elliptic_curve::rand_core::OsRng
}

// ------------------------------------------------------- node-red-contrib-jwt

#[test]
fn contrib_sign_and_verify_behave_like_node_red_contrib_jwt() {
    let (private, public) = keygen("RS256");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("keys")).unwrap();
    std::fs::write(dir.path().join("keys/priv.pem"), &private).unwrap();
    std::fs::write(dir.path().join("keys/pub.pem"), &public).unwrap();
    let hs_secret = "contrib-secret-contrib-secret-0123";
    let nodes = vec![
        http_in("in1", "post", "/sign", "sign"),
        json!({"id": "sign", "type": "jwt sign", "z": "tab", "name": "", "alg": "HS256", "exp": "3601", "jwkurl": "", "jwkkid": "",
               "secret": hs_secret, "key": "", "signvar": "payload", "storetoken": "payload", "x": 1, "y": 1, "wires": [["out"]]}),
        http_in("in2", "get", "/verify", "verify"),
        json!({"id": "verify", "type": "jwt verify", "z": "tab", "name": "", "alg": ["HS256"], "jwkurl": "",
               "secret": hs_secret, "key": "", "signvar": "bearer", "storetoken": "payload", "x": 1, "y": 1, "wires": [["out"]]}),
        http_in("in3", "post", "/rs-sign", "rsign"),
        json!({"id": "rsign", "type": "jwt sign", "z": "tab", "name": "", "alg": "RS256", "exp": 60, "jwkurl": "", "jwkkid": "rsa_priv_key",
               "secret": "", "key": "keys/priv.pem", "signvar": "payload", "storetoken": "payload", "x": 1, "y": 1, "wires": [["out"]]}),
        http_in("in4", "get", "/rs-verify", "rverify"),
        json!({"id": "rverify", "type": "jwt verify", "z": "tab", "name": "", "alg": ["RS256", "RS512"], "jwkurl": "",
               "secret": "", "key": "keys/pub.pem", "signvar": "bearer", "storetoken": "token", "x": 1, "y": 1, "wires": [["echo"]]}),
        json!({"id": "echo", "type": "http response", "z": "tab", "statusCode": "201", "headers": {}, "x": 1, "y": 1, "wires": []}),
        http_in("in5", "get", "/caught", "cverify"),
        json!({"id": "cverify", "type": "jwt verify", "z": "tab", "name": "", "alg": ["HS256"], "jwkurl": "",
               "secret": hs_secret, "key": "", "signvar": "bearer", "storetoken": "payload", "x": 1, "y": 1, "wires": [["out"]]}),
        json!({"id": "catch", "type": "catch", "z": "tab", "scope": ["cverify"], "x": 1, "y": 1, "wires": [["out"]]}),
        response("out"),
    ];
    let flows_path = dir.path().join("flows.json");
    std::fs::write(&flows_path, flow(nodes)).unwrap();
    let s = Server::start_in(dir, flows_path, &[], &[]);

    let resp = post_json(
        &s,
        "/sign",
        &json!({"sub": "user", "tokenName": "id_token"}),
    );
    assert_eq!(resp.status(), 200);
    let token = resp.text().unwrap();
    let (header, claims) = decode(
        &token,
        Algorithm::HS256,
        &DecodingKey::from_secret(hs_secret.as_bytes()),
    );
    assert_eq!(
        header.kid.as_deref(),
        Some(""),
        "an empty JWK KID is sent as kid \"\""
    );
    // Deliberately seconds: node-red-contrib-jwt would make this 3.6 s.
    assert_eq!(
        claims["exp"].as_u64().unwrap(),
        claims["iat"].as_u64().unwrap() + 3601
    );
    assert_eq!(claims["tokenName"], "id_token");

    let resp = get_bearer(&s, "/verify", &token);
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().unwrap(), claims);
    let forged = sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(b"not-the-secret-not-the-secret-00"),
        &json!({"sub": "x"}),
    );
    assert_rejected(get_bearer(&s, "/verify", &forged), "invalid signature");
    assert_unauthenticated(
        client().get(s.url("/verify")).send().unwrap(),
        "jwt must be provided",
    );
    assert_rejected(get_bearer(&s, "/verify", "abc"), "jwt malformed");
    let resp = post_json(&s, "/sign", &json!({"sub": "x", "exp": 5}));
    assert_eq!(
        resp.json::<Value>().unwrap()["error"],
        "Bad \"options.expiresIn\" option the payload already has an \"exp\" property."
    );

    // RS256 with key files (relative paths, found beside the flow file).
    let resp = post_json(&s, "/rs-sign", &json!({"sub": "rs-user"}));
    assert_eq!(resp.status(), 200);
    let (header, claims) = decode(
        &resp.text().unwrap(),
        Algorithm::RS256,
        &decoding_key(Algorithm::RS256, &public),
    );
    assert_eq!(header.kid.as_deref(), Some("rsa_priv_key"));
    assert_eq!(
        claims["exp"].as_u64().unwrap(),
        claims["iat"].as_u64().unwrap() + 60
    );
    // Claims go to msg.token (storetoken), the response shows msg.payload.
    let rs_token = sign(
        Algorithm::RS256,
        &encoding_key(Algorithm::RS256, &private),
        &json!({"sub": "rs-user", "exp": now() + 60}),
    );
    let resp = get_bearer(&s, "/rs-verify", &rs_token);
    assert_eq!(resp.status(), 201);
    let expired = sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(hs_secret.as_bytes()),
        &json!({"exp": 1_600_000_000}),
    );
    // A catch node receives msg.payload = the error and statusCode 401.
    let resp = get_bearer(&s, "/caught", &expired);
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.json::<Value>().unwrap(),
        json!({"name": "TokenExpiredError", "message": "jwt expired", "expiredAt": "2020-09-13T12:26:40.000Z"})
    );
}

#[test]
fn contrib_reads_secrets_from_node_red_environment_variables_first() {
    let nodes = vec![
        http_in("in", "post", "/sign", "sign"),
        json!({"id": "sign", "type": "jwt sign", "z": "tab", "alg": "HS512", "exp": "", "jwkkid": "k",
               "secret": "field-secret-is-ignored-when-env-is-set", "key": "", "signvar": "payload", "storetoken": "payload", "x": 1, "y": 1, "wires": [["out"]]}),
        response("out"),
    ];
    let env_secret = "from-the-environment-0123456789abcdef";
    let s = start(
        &flow(nodes),
        None,
        &[("NODE_RED_NODE_JWT_SECRET", env_secret)],
    );
    let token = post_json(&s, "/sign", &json!({"sub": "x"})).text().unwrap();
    let (header, claims) = decode(
        &token,
        Algorithm::HS512,
        &DecodingKey::from_secret(env_secret.as_bytes()),
    );
    assert_eq!(header.kid.as_deref(), Some("k"));
    assert!(
        claims.get("exp").is_none(),
        "an empty expiration means no exp: {claims}"
    );
}

// ---------------------------------------------------------- editor's console

#[test]
fn console_lists_issues_and_checks_tokens_without_revealing_keys() {
    use flowgate_runtime::service::Runtime;
    use flowgate_runtime::settings::Settings;

    let dir = tempfile::tempdir().unwrap();
    let flows_path = dir.path().join("flows.json");
    std::fs::write(&flows_path, flow(vec![
        json!({"id": "hs", "type": "jwt-config", "z": "", "name": "cockpit", "algorithm": "HS256", "expiresin": 300,
               "audience": "moehaha", "issuer": "itsyou.online", "scope": "memberof:moehaha"}),
        json!({"id": "es", "type": "jwt-config", "z": "", "name": "portal", "algorithm": "ES256"}),
    ])).unwrap();
    std::fs::write(
        dir.path().join("flows_cred.json"),
        json!({"hs": {"secret": SECRET}}).to_string(),
    )
    .unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let base = rt.block_on(async {
        let runtime = Runtime::new(
            flowgate_nodes::registry(),
            Settings {
                flows_path: Some(flows_path.clone()),
                ..Settings::default()
            },
        );
        runtime.load_file(&flows_path).unwrap();
        let app = flowgate_runtime::app::app(
            runtime,
            flowgate_runtime::app::AppOptions {
                admin: Some(Default::default()),
                site: None,
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    });
    let es_private: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("flows_cred.json")).unwrap())
            .unwrap();
    let es_private = es_private["es"]["privatekey"].as_str().unwrap().to_string();
    let c = client();

    let list = c
        .get(format!("{base}/jwt/configs"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        !list.contains(SECRET) && !list.contains("PRIVATE KEY") && !list.contains("secret"),
        "{list}"
    );
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(
        list,
        json!([
            {"id": "hs", "name": "cockpit", "algorithm": "HS256", "audience": "moehaha", "issuer": "itsyou.online", "scope": "memberof:moehaha"},
            {"id": "es", "name": "portal", "algorithm": "ES256", "audience": null, "issuer": null, "scope": null},
        ])
    );

    let resp = c
        .post(format!("{base}/jwt/console/generate"))
        .json(&json!({"config": "cockpit", "claims": {"scope": "memberof:moehaha", "sub": "ann"}}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().unwrap();
    assert!(!text.contains(SECRET));
    let issued: Value = serde_json::from_str(&text).unwrap();
    let token = issued["token"].as_str().unwrap();
    let (header, claims) = decode(
        token,
        Algorithm::HS256,
        &DecodingKey::from_secret(SECRET.as_bytes()),
    );
    assert_eq!(serde_json::to_value(&header).unwrap(), issued["header"]);
    assert_eq!(claims, issued["claims"]);
    assert_eq!(claims["aud"], "moehaha");
    assert_eq!(
        claims["exp"].as_u64().unwrap(),
        claims["iat"].as_u64().unwrap() + 300
    );

    let verify = |config: &str, token: &str| -> Value {
        c.post(format!("{base}/jwt/console/verify"))
            .json(&json!({"config": config, "token": token}))
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let ok = verify("hs", token);
    assert_eq!(ok["valid"], true);
    assert_eq!(ok["claims"], claims);
    let no_scope = c
        .post(format!("{base}/jwt/console/generate"))
        .json(&json!({"config": "hs"}))
        .send()
        .unwrap()
        .json::<Value>()
        .unwrap();
    let bad = verify("cockpit", no_scope["token"].as_str().unwrap());
    assert_eq!(bad["valid"], false);
    assert_eq!(bad["reason"], "missing scope: memberof:moehaha");
    assert_eq!(bad["claims"]["iss"], "itsyou.online");
    let bad = verify("cockpit", "junk");
    assert_eq!(
        (bad["valid"].clone(), bad["header"].clone()),
        (json!(false), Value::Null)
    );

    // ES256 with a key generated at load: tokens verify with the saved key.
    let es: Value = c
        .post(format!("{base}/jwt/console/generate"))
        .json(&json!({"config": "es", "claims": {"a": 1}}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let public = Jwk::from_encoding_key(
        &EncodingKey::from_ec_pem(es_private.as_bytes()).unwrap(),
        Algorithm::ES256,
    )
    .unwrap();
    decode(
        es["token"].as_str().unwrap(),
        Algorithm::ES256,
        &DecodingKey::from_jwk(&public).unwrap(),
    );

    let resp = c
        .post(format!("{base}/jwt/console/generate"))
        .json(&json!({"config": "nope"}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.json::<Value>().unwrap()["code"], "not_found");
    let resp = c
        .post(format!("{base}/jwt/console/generate"))
        .json(&json!({"config": "hs", "claims": "x"}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().unwrap()["message"],
        "\"claims\" must be a JSON object, not a string"
    );
    // Nothing published: neither config asks for it.
    assert_eq!(
        c.get(format!("{base}/.well-known/jwks.json"))
            .send()
            .unwrap()
            .json::<Value>()
            .unwrap(),
        json!({"keys": []})
    );
}

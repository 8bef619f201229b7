//! ES512 (ECDSA on P-521 with SHA-512) through the binary, checked against
//! an independent implementation: the `openssl` command makes the keys,
//! verifies flowgate's signatures and signs the tokens flowgate must accept
//! (OpenSSL is the reference most deployments already trust, and its P-521
//! code shares nothing with RustCrypto's).

use std::path::Path;
use std::process::Command;

use crate::common::{client, run_cli, Server};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

/// Bytes of r and of s in a P-521 JWS signature.
const HALF: usize = 66;

fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A P-521 key pair made by OpenSSL: (private PKCS#8 PEM, public SPKI PEM).
fn openssl_pair(dir: &Path) -> (String, String) {
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-521",
            "-out",
            "priv.pem",
        ],
    );
    openssl(
        dir,
        &["pkey", "-in", "priv.pem", "-pubout", "-out", "pub.pem"],
    );
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    (read("priv.pem"), read("pub.pem"))
}

/// One DER INTEGER of an unsigned big-endian value.
fn der_integer(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|&b| b == 0).collect();
    let mut value = if trimmed.first().is_none_or(|&b| b & 0x80 != 0) {
        vec![0]
    } else {
        Vec::new()
    };
    value.extend(trimmed);
    let mut out = vec![0x02, value.len() as u8];
    out.extend(value);
    out
}

/// JWS's r || s as the DER `ECDSA-Sig-Value` OpenSSL reads.
fn raw_to_der(raw: &[u8]) -> Vec<u8> {
    assert_eq!(raw.len(), 2 * HALF, "a P-521 JWS signature is 132 bytes");
    let mut body = der_integer(&raw[..HALF]);
    body.extend(der_integer(&raw[HALF..]));
    let mut out = vec![0x30];
    if body.len() >= 0x80 {
        out.push(0x81);
    }
    out.push(body.len() as u8);
    out.extend(body);
    out
}

/// OpenSSL's DER `ECDSA-Sig-Value` as JWS's fixed-size r || s.
fn der_to_raw(der: &[u8]) -> Vec<u8> {
    let mut at = if der[1] == 0x81 { 3 } else { 2 };
    let mut raw = Vec::new();
    for _ in 0..2 {
        assert_eq!(der[at], 0x02);
        let len = der[at + 1] as usize;
        let value = &der[at + 2..at + 2 + len];
        let value: Vec<u8> = value.iter().copied().skip_while(|&b| b == 0).collect();
        raw.extend(std::iter::repeat_n(0, HALF - value.len()));
        raw.extend(value);
        at += 2 + len;
    }
    raw
}

/// Whether OpenSSL verifies `token` (ES512) with the public key in `dir`.
fn openssl_verifies(dir: &Path, token: &str) -> bool {
    let (message, signature) = token.rsplit_once('.').unwrap();
    let raw = URL_SAFE_NO_PAD.decode(signature).unwrap();
    std::fs::write(dir.join("msg"), message).unwrap();
    std::fs::write(dir.join("sig.der"), raw_to_der(&raw)).unwrap();
    let out = Command::new("openssl")
        .args([
            "dgst",
            "-sha512",
            "-verify",
            "pub.pem",
            "-signature",
            "sig.der",
            "msg",
        ])
        .current_dir(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).contains("Verified OK")
}

/// An ES512 token for `claims` signed by OpenSSL with the private key in `dir`.
fn openssl_token(dir: &Path, claims: &Value) -> String {
    let header = json!({"alg": "ES512", "typ": "JWT"});
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    std::fs::write(dir.join("msg"), &message).unwrap();
    openssl(
        dir,
        &[
            "dgst", "-sha512", "-sign", "priv.pem", "-out", "sig.der", "msg",
        ],
    );
    let der = std::fs::read(dir.join("sig.der")).unwrap();
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(der_to_raw(&der)))
}

fn exp() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600
}

/// Start `nodes` on one tab with `credentials` beside the flow.
fn start(mut nodes: Vec<Value>, credentials: Value) -> Server {
    nodes.insert(0, json!({"id": "tab", "type": "tab", "label": "ES512"}));
    let dir = tempfile::tempdir().unwrap();
    let flows = dir.path().join("flows.json");
    std::fs::write(&flows, Value::Array(nodes).to_string()).unwrap();
    std::fs::write(dir.path().join("flows_cred.json"), credentials.to_string()).unwrap();
    Server::start_in(dir, flows, &[], &[])
}

fn http_in(id: &str, method: &str, url: &str, next: &str) -> Value {
    json!({"id": id, "type": "http in", "z": "tab", "url": url, "method": method, "x": 1, "y": 1, "wires": [[next]]})
}

fn response() -> Value {
    json!({"id": "out", "type": "http response", "z": "tab", "x": 3, "y": 1, "wires": []})
}

#[test]
fn jwt_config_signs_es512_that_openssl_verifies_and_publishes_the_p521_jwk() {
    let keys = tempfile::tempdir().unwrap();
    let (private, _) = openssl_pair(keys.path());
    let nodes = vec![
        json!({"id": "cfg", "type": "jwt-config", "z": "", "name": "es", "algorithm": "ES512",
               "expiresin": "600", "keyid": "es512-1", "publishjwks": true}),
        http_in("in", "post", "/gen", "gen"),
        json!({"id": "gen", "type": "jwt", "z": "tab", "jwtconfig": "cfg", "generatejwt": "true", "outputs": 1, "x": 2, "y": 1, "wires": [["out"]]}),
        http_in("vin", "get", "/verify", "ver"),
        json!({"id": "ver", "type": "jwt", "z": "tab", "jwtconfig": "cfg", "generatejwt": "false", "outputs": 1, "x": 2, "y": 2, "wires": [["out"]]}),
        response(),
    ];
    let s = start(nodes, json!({"cfg": {"privatekey": private}}));
    let r = client()
        .post(s.url("/gen"))
        .json(&json!({"sub": "u1"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", s.logs());
    let token = r.text().unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "ES512");
    assert_eq!(header["kid"], "es512-1");
    assert!(
        openssl_verifies(keys.path(), &token),
        "openssl rejects {token}"
    );
    let r = client()
        .get(s.url("/verify"))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);

    let jwks: Value = client()
        .get(s.url("/.well-known/jwks.json"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(
        (&key["kty"], &key["crv"], &key["alg"], &key["kid"]),
        (
            &json!("EC"),
            &json!("P-521"),
            &json!("ES512"),
            &json!("es512-1")
        )
    );
    for c in ["x", "y"] {
        let bytes = URL_SAFE_NO_PAD.decode(key[c].as_str().unwrap()).unwrap();
        assert_eq!(bytes.len(), HALF, "{c}");
    }
}

/// A `jwt verify` node for ES512 tokens (and ES256, to show which key decides).
fn verify_flow(public: &str, algs: Value) -> Vec<Value> {
    vec![
        http_in("in", "get", "/v", "cv"),
        json!({"id": "cv", "type": "jwt verify", "z": "tab", "alg": algs, "secret": "", "key": public,
               "signvar": "bearer", "storetoken": "payload", "x": 2, "y": 1, "wires": [["out"]]}),
        response(),
    ]
}

#[test]
fn tokens_signed_by_openssl_verify_and_tampered_ones_do_not() {
    let keys = tempfile::tempdir().unwrap();
    let (_, public) = openssl_pair(keys.path());
    let s = start(verify_flow(&public, json!(["ES512"])), json!({}));
    let token = openssl_token(keys.path(), &json!({"sub": "from-openssl", "exp": exp()}));
    let r = client()
        .get(s.url("/v"))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", s.logs());
    assert_eq!(r.json::<Value>().unwrap()["sub"], "from-openssl");

    let (head, rest) = token.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let forged = URL_SAFE_NO_PAD.encode(json!({"sub": "admin", "exp": exp()}).to_string());
    let tampered = format!("{head}.{forged}.{signature}");
    let r = client()
        .get(s.url("/v"))
        .bearer_auth(&tampered)
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().unwrap()["error"], "invalid signature");
}

#[test]
fn an_es512_token_is_refused_by_a_p256_key() {
    let keys = tempfile::tempdir().unwrap();
    openssl_pair(keys.path());
    let token = openssl_token(keys.path(), &json!({"sub": "x", "exp": exp()}));
    // A P-256 key: ES256 is the first listed algorithm it fits, so it is a
    // P-256 key whatever else the node lists.
    openssl(
        keys.path(),
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "p256.pem",
        ],
    );
    let p256 = openssl(keys.path(), &["pkey", "-in", "p256.pem", "-pubout"]);
    let s = start(verify_flow(&p256, json!(["ES256", "ES512"])), json!({}));
    let r = client()
        .get(s.url("/v"))
        .bearer_auth(&token)
        .send()
        .unwrap();
    // The contrib node reports node-red-contrib-jwt's text for a key that
    // cannot check the token's algorithm.
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().unwrap()["error"], "invalid algorithm");
}

#[test]
fn jwt_sign_signs_es512_that_openssl_verifies() {
    let keys = tempfile::tempdir().unwrap();
    let (private, _) = openssl_pair(keys.path());
    let nodes = vec![
        http_in("in", "post", "/sign", "cs"),
        json!({"id": "cs", "type": "jwt sign", "z": "tab", "alg": "ES512", "exp": "60", "jwkkid": "",
               "secret": "", "key": private, "signvar": "payload", "storetoken": "payload", "x": 2, "y": 1, "wires": [["out"]]}),
        response(),
    ];
    let s = start(nodes, json!({}));
    let r = client()
        .post(s.url("/sign"))
        .json(&json!({"sub": "signed"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", s.logs());
    let token = r.text().unwrap();
    assert!(
        openssl_verifies(keys.path(), &token),
        "openssl rejects {token}"
    );
}

#[test]
fn keygen_makes_a_p521_pair_openssl_reads() {
    let (code, out, err) = run_cli(&["keygen", "--alg", "ES512"]);
    assert_eq!(code, 0, "{err}");
    let at = out.find("-----BEGIN PUBLIC KEY-----").unwrap();
    let (private, public) = out.split_at(at);
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("k.pem"), private).unwrap();
    let text = openssl(dir.path(), &["pkey", "-in", "k.pem", "-noout", "-text"]);
    assert!(text.contains("NIST CURVE: P-521"), "{text}");
    let derived = openssl(dir.path(), &["pkey", "-in", "k.pem", "-pubout"]);
    assert_eq!(derived, public);
}

//! The JWT attack list, each case against the real binary over loopback:
//! `alg: none` in any letter case, algorithm confusion (HS256 keyed with the
//! RSA/EC public key), algorithms outside the configured list, hostile `kid`
//! values, `jku`/`x5u`/`jwk` headers, time claims at and around the leeway
//! boundary, repeated names, segments that are not JSON objects, megabyte
//! tokens and stripped signatures. Ignite's `jwt` node and
//! node-red-contrib-jwt's `jwt verify` are both attacked.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::{client, run_cli, Server};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

const SECRET: &str = "attack-test-secret-attack-test-secret-42";
const LEEWAY: u64 = 30;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `flowgate keygen --alg ALG` → (private PEM, public PEM).
fn keygen(alg: &str) -> (String, String) {
    let (code, out, err) = run_cli(&["keygen", "--alg", alg]);
    assert_eq!(code, 0, "keygen {alg}: {err}");
    let at = out.find("-----BEGIN PUBLIC KEY-----").unwrap();
    let (private, public) = out.split_at(at);
    (private.to_owned(), public.to_owned())
}

/// A tiny loopback HTTP server answering every GET with `body`, recording
/// the request paths (to prove which URLs flowgate fetched, if any).
struct Recorder {
    url: String,
    paths: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn start(body: String) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let paths = Arc::new(Mutex::new(Vec::new()));
        let seen = paths.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let path = line.split(' ').nth(1).unwrap_or("").to_owned();
                seen.lock().unwrap().push(path);
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                }
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                    body.len(),
                    body
                );
            }
        });
        Recorder { url, paths }
    }

    fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}

struct Keys {
    rsa_private: String,
    rsa_public: String,
    ec_private: String,
    ec_public: String,
    rsa_jwk: Value,
}

fn keys() -> Keys {
    let (rsa_private, rsa_public) = keygen("RS256");
    let (ec_private, ec_public) = keygen("ES256");
    let k = EncodingKey::from_rsa_pem(rsa_private.as_bytes()).unwrap();
    let mut rsa_jwk =
        serde_json::to_value(Jwk::from_encoding_key(&k, Algorithm::RS256).unwrap()).unwrap();
    rsa_jwk["kid"] = json!("rsa-1");
    Keys {
        rsa_private,
        rsa_public,
        ec_private,
        ec_public,
        rsa_jwk,
    }
}

/// Endpoints: `/hs`, `/rs`, `/es`, `/remote` (Ignite `jwt` verify against
/// HS256, RS256, ES256 and a remote key set), `/contrib` (contrib `jwt
/// verify` listing RS256 and HS256 with an RSA public key: the classic
/// confusion setup) and `POST /hs` (token in the body).
fn start(keys: &Keys, jwks_url: &str) -> Server {
    let verify = |id: &str, url: &str, method: &str, config: &str| {
        vec![
            json!({"id": format!("{id}-in"), "type": "http in", "z": "tab", "url": url, "method": method, "x": 1, "y": 1, "wires": [[format!("{id}-v")]]}),
            json!({"id": format!("{id}-v"), "type": "jwt", "z": "tab", "jwtconfig": config, "generatejwt": "false", "outputs": 1, "x": 2, "y": 1, "wires": [["out"]]}),
        ]
    };
    let mut nodes = vec![
        json!({"id": "tab", "type": "tab", "label": "attacks"}),
        json!({"id": "hs", "type": "jwt-config", "name": "hs", "algorithm": "HS256", "leeway": LEEWAY}),
        json!({"id": "rs", "type": "jwt-config", "name": "rs", "algorithm": "RS256"}),
        json!({"id": "es", "type": "jwt-config", "name": "es", "algorithm": "ES256"}),
        json!({"id": "remote", "type": "jwt-config", "name": "remote", "algorithm": "RS256", "jwksurl": format!("{jwks_url}/keys.json")}),
        json!({"id": "c-in", "type": "http in", "z": "tab", "url": "/contrib", "method": "get", "x": 1, "y": 1, "wires": [["c-v"]]}),
        json!({"id": "c-v", "type": "jwt verify", "z": "tab", "alg": ["RS256", "HS256"], "signvar": "bearer", "storetoken": "payload", "x": 2, "y": 1, "wires": [["out"]]}),
        json!({"id": "out", "type": "http response", "z": "tab", "x": 3, "y": 1, "wires": []}),
    ];
    nodes.extend(verify("hs", "/hs", "get", "hs"));
    nodes.extend(verify("hsp", "/hs", "post", "hs"));
    nodes.extend(verify("rs", "/rs", "get", "rs"));
    nodes.extend(verify("es", "/es", "get", "es"));
    nodes.extend(verify("rm", "/remote", "get", "remote"));
    let creds = json!({
        "hs": {"secret": SECRET},
        "rs": {"publickey": keys.rsa_public},
        "es": {"publickey": keys.ec_public},
        "c-v": {"key": keys.rsa_public},
    });
    let dir = tempfile::tempdir().unwrap();
    let flows = dir.path().join("flows.json");
    std::fs::write(&flows, Value::Array(nodes).to_string()).unwrap();
    std::fs::write(dir.path().join("flows_cred.json"), creds.to_string()).unwrap();
    Server::start_in(dir, flows, &[], &[])
}

/// A compact JWS over exactly these header and payload bytes.
fn raw_token(header: &[u8], payload: &[u8], alg: Algorithm, key: &EncodingKey) -> String {
    let message = format!("{}.{}", b64(header), b64(payload));
    let sig = jsonwebtoken::crypto::sign(message.as_bytes(), key, alg).unwrap();
    format!("{message}.{sig}")
}

fn hs_key() -> EncodingKey {
    EncodingKey::from_secret(SECRET.as_bytes())
}

fn hs(claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &hs_key()).unwrap()
}

fn get(s: &Server, path: &str, token: &str) -> reqwest::blocking::Response {
    client()
        .get(s.url(path))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .unwrap()
}

/// The request is refused with 401 and `reason` (body and `WWW-Authenticate`).
fn assert_refused(s: &Server, path: &str, token: &str, reason: &str) {
    let r = get(s, path, token);
    assert_eq!(r.status(), 401, "{path} accepted {token}");
    let www = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body: Value = r.json().unwrap();
    assert_eq!(body["error"], reason, "{path} {token}");
    assert_eq!(
        www,
        format!("Bearer error=\"invalid_token\", error_description=\"{reason}\"")
    );
}

/// contrib `jwt verify` refuses with 401 and jsonwebtoken's message.
fn assert_contrib_refused(s: &Server, token: &str, message: &str) {
    let r = get(s, "/contrib", token);
    assert_eq!(r.status(), 401, "/contrib accepted {token}");
    let body: Value = r.json().unwrap();
    assert_eq!(body["error"], message, "{token}");
}

/// The keys every case uses, made once per test binary (`flowgate keygen`
/// is the slow part of a case and the keys are only read).
fn shared_keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(keys)
}

/// A running server with every attacked endpoint, the key set it is
/// configured with, and a key-set server the attacker controls.
struct Target {
    keys: &'static Keys,
    remote_keys: Recorder,
    attacker: Recorder,
    s: Server,
    claims: Value,
    rsa: EncodingKey,
    ec: EncodingKey,
}

impl Target {
    fn start() -> Target {
        let keys = shared_keys();
        let remote_keys = Recorder::start(json!({"keys": [keys.rsa_jwk]}).to_string());
        let attacker = Recorder::start(json!({"keys": []}).to_string());
        let s = start(keys, &remote_keys.url);
        Target {
            keys,
            remote_keys,
            attacker,
            s,
            claims: json!({"sub": "alice", "exp": now() + 600}),
            rsa: EncodingKey::from_rsa_pem(keys.rsa_private.as_bytes()).unwrap(),
            ec: EncodingKey::from_ec_pem(keys.ec_private.as_bytes()).unwrap(),
        }
    }

    /// A genuine RS256 token for `/rs` and `/contrib`.
    fn rs_token(&self) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &self.claims, &self.rsa).unwrap()
    }

    /// A genuine RS256 token naming the remote key set's kid, for `/remote`.
    fn remote_token(&self) -> String {
        let mut kid_header = Header::new(Algorithm::RS256);
        kid_header.kid = Some("rsa-1".into());
        jsonwebtoken::encode(&kid_header, &self.claims, &self.rsa).unwrap()
    }

    /// The three parts of a genuine HS256 token.
    fn hs_parts(&self) -> Vec<String> {
        hs(&self.claims).split('.').map(str::to_owned).collect()
    }

    /// After an attack the runtime still serves genuine tokens.
    fn assert_still_serves(&self) {
        assert_eq!(get(&self.s, "/hs", &hs(&self.claims)).status(), 200);
        assert_eq!(get(&self.s, "/remote", &self.remote_token()).status(), 200);
    }
}

#[test]
fn each_endpoint_accepts_its_genuine_token() {
    let t = Target::start();
    let s = &t.s;
    assert_eq!(get(s, "/hs", &hs(&t.claims)).status(), 200);
    let rs_token = t.rs_token();
    assert_eq!(get(s, "/rs", &rs_token).status(), 200);
    assert_eq!(get(s, "/contrib", &rs_token).status(), 200);
    let es_token = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &t.claims, &t.ec).unwrap();
    assert_eq!(get(s, "/es", &es_token).status(), 200);
    let r = get(s, "/remote", &t.remote_token());
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap(), t.claims);
}

/// 1. alg "none" in any letter case, with and without a signature.
#[test]
fn alg_none_in_any_letter_case_is_refused() {
    let t = Target::start();
    let s = &t.s;
    let payload = b64(t.claims.to_string().as_bytes());
    for none in ["none", "None", "NONE", "nOnE", "NoNe"] {
        let header = b64(json!({"alg": none, "typ": "JWT"}).to_string().as_bytes());
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}.c2lnbmF0dXJl"),
        ] {
            for path in ["/hs", "/rs", "/es", "/remote"] {
                assert_refused(s, path, &token, "algorithm none is not allowed");
            }
            assert_eq!(get(s, "/contrib", &token).status(), 401);
        }
    }
    t.assert_still_serves();
}

/// 2. Algorithm confusion: HS256 keyed with the public key text.
#[test]
fn hs256_keyed_with_the_public_key_is_refused() {
    let t = Target::start();
    let s = &t.s;
    let keys = t.keys;
    for (public, path, expected) in [
        (&keys.rsa_public, "/rs", "RS256"),
        (&keys.ec_public, "/es", "ES256"),
    ] {
        for variant in [public.clone(), public.trim().to_owned()] {
            let forged = raw_token(
                json!({"alg": "HS256", "typ": "JWT"}).to_string().as_bytes(),
                t.claims.to_string().as_bytes(),
                Algorithm::HS256,
                &EncodingKey::from_secret(variant.as_bytes()),
            );
            assert_refused(
                s,
                path,
                &forged,
                &format!("algorithm HS256 is not allowed (expected {expected})"),
            );
            // The contrib node lists HS256 beside RS256, yet an RSA public
            // key never serves as an HMAC secret.
            assert_contrib_refused(s, &forged, "invalid algorithm");
        }
    }
    // ...and against the remote key set, naming the RSA key's kid.
    let jwk_text = keys.rsa_jwk.to_string();
    let forged = raw_token(
        json!({"alg": "HS256", "kid": "rsa-1"})
            .to_string()
            .as_bytes(),
        t.claims.to_string().as_bytes(),
        Algorithm::HS256,
        &EncodingKey::from_secret(jwk_text.as_bytes()),
    );
    assert_refused(
        s,
        "/remote",
        &forged,
        "algorithm HS256 is not allowed (expected RS256)",
    );
    t.assert_still_serves();
}

/// 3. A genuine signature under an algorithm the config does not list.
#[test]
fn a_genuine_signature_under_an_unlisted_algorithm_is_refused() {
    let t = Target::start();
    let s = &t.s;
    let rs384 = jsonwebtoken::encode(&Header::new(Algorithm::RS384), &t.claims, &t.rsa).unwrap();
    assert_refused(
        s,
        "/rs",
        &rs384,
        "algorithm RS384 is not allowed (expected RS256)",
    );
    assert_contrib_refused(s, &rs384, "invalid algorithm");
    let hs512 = jsonwebtoken::encode(&Header::new(Algorithm::HS512), &t.claims, &hs_key()).unwrap();
    assert_refused(
        s,
        "/hs",
        &hs512,
        "algorithm HS512 is not allowed (expected HS256)",
    );
    t.assert_still_serves();
}

/// 4. kid is an opaque lookup key: path traversal and SQL-ish text reach
///    no file and no query; with a local key it is not even looked at.
#[test]
fn hostile_kid_values_reach_no_file_and_no_other_url() {
    let t = Target::start();
    let s = &t.s;
    for kid in [
        "../../../../../../etc/passwd",
        "/dev/random",
        "' OR '1'='1' --",
        "rsa-1' UNION SELECT 'x",
        "%2e%2e%2fkeys.json",
        "rsa-1\u{0}",
    ] {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some(kid.into());
        let token = jsonwebtoken::encode(&h, &t.claims, &hs_key()).unwrap();
        assert_eq!(get(s, "/hs", &token).status(), 200, "{kid}");
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some(kid.into());
        let token = jsonwebtoken::encode(&h, &t.claims, &t.rsa).unwrap();
        let r = get(s, "/remote", &token);
        assert_eq!(r.status(), 401, "{kid}");
        let reason = r.json::<Value>().unwrap()["error"]
            .as_str()
            .unwrap()
            .to_owned();
        // Control characters come back escaped (a NUL as `\0`).
        assert_eq!(
            reason,
            format!("unknown key id: {}", kid.replace('\0', "\\0"))
        );
    }
    // Only the configured key set URL was ever fetched.
    let fetched = t.remote_keys.paths();
    assert!(!fetched.is_empty());
    assert!(fetched.iter().all(|p| p == "/keys.json"), "{fetched:?}");
    t.assert_still_serves();
}

/// 5. Keys named by the token itself are ignored: jku, x5u and an
///    embedded jwk, each for the attacker's own key.
#[test]
fn keys_named_by_the_token_itself_are_ignored() {
    let t = Target::start();
    let s = &t.s;
    let attacker = &t.attacker;
    let (attacker_private, _) = keygen("RS256");
    let attacker_key = EncodingKey::from_rsa_pem(attacker_private.as_bytes()).unwrap();
    let attacker_jwk = Jwk::from_encoding_key(&attacker_key, Algorithm::RS256).unwrap();
    let mut h = Header::new(Algorithm::RS256);
    h.jku = Some(format!("{}/jwks.json", attacker.url));
    h.x5u = Some(format!("{}/cert.pem", attacker.url));
    h.jwk = Some(attacker_jwk);
    let token = jsonwebtoken::encode(&h, &t.claims, &attacker_key).unwrap();
    assert_refused(s, "/rs", &token, "invalid signature");
    assert_contrib_refused(s, &token, "invalid signature");
    h.kid = Some("attacker".into());
    let token = jsonwebtoken::encode(&h, &t.claims, &attacker_key).unwrap();
    assert_refused(s, "/remote", &token, "unknown key id: attacker");
    let hs_with_jku = {
        let mut h = Header::new(Algorithm::HS256);
        h.jku = Some(format!("{}/jwks.json", attacker.url));
        jsonwebtoken::encode(&h, &t.claims, &EncodingKey::from_secret(b"attacker")).unwrap()
    };
    assert_refused(s, "/hs", &hs_with_jku, "invalid signature");
    assert!(attacker.paths().is_empty(), "{:?}", attacker.paths());
    t.assert_still_serves();
}

/// An HS256 token for `/hs` whose claims are `sub` and `claim: value`.
fn with_claim(claim: &str, value: Value) -> String {
    let mut c = json!({"sub": "alice"});
    c[claim] = value;
    hs(&c)
}

/// 6. Time claims around the 30 s leeway. Tokens are made at `t`; the
///    server's clock reads t or later, so each case is deterministic.
#[test]
fn exp_is_refused_from_exp_plus_leeway_and_accepted_inside_it() {
    let target = Target::start();
    let s = &target.s;
    let t = now();
    // exp + leeway reached: expired (a token is expired at its exp second).
    assert_refused(
        s,
        "/hs",
        &with_claim("exp", json!(t - LEEWAY)),
        "token expired",
    );
    assert_refused(
        s,
        "/hs",
        &with_claim("exp", json!(t - LEEWAY - 1)),
        "token expired",
    );
    assert_refused(s, "/hs", &with_claim("exp", json!(0)), "token expired");
    assert_refused(s, "/hs", &with_claim("exp", json!(-1e300)), "token expired");
    // Inside the leeway: still accepted.
    assert_eq!(
        get(s, "/hs", &with_claim("exp", json!(t - LEEWAY + 10))).status(),
        200
    );
    assert_eq!(
        get(s, "/hs", &with_claim("exp", json!(t - 1))).status(),
        200
    );
    assert_eq!(
        get(s, "/hs", &with_claim("exp", json!(1e300))).status(),
        200
    );
    target.assert_still_serves();
}

/// 6. nbf up to now + leeway is accepted, beyond it is not yet valid.
#[test]
fn nbf_beyond_the_leeway_is_not_yet_valid() {
    let target = Target::start();
    let s = &target.s;
    let t = now();
    assert_eq!(
        get(s, "/hs", &with_claim("nbf", json!(t + LEEWAY))).status(),
        200
    );
    assert_refused(
        s,
        "/hs",
        &with_claim("nbf", json!(t + LEEWAY + 10)),
        "token not yet valid",
    );
    assert_refused(
        s,
        "/hs",
        &with_claim("nbf", json!(1e300)),
        "token not yet valid",
    );
    target.assert_still_serves();
}

/// 6. Time claims that are not numbers are refused, null included (else
///    `"exp": null` would be a token that never expires).
#[test]
fn time_claims_that_are_not_numbers_are_refused() {
    let t = Target::start();
    let s = &t.s;
    for bad in [
        json!(null),
        json!("9999999999"),
        json!([1]),
        json!({"t": 1}),
        json!(true),
    ] {
        assert_refused(
            s,
            "/hs",
            &with_claim("exp", bad.clone()),
            "invalid claim: exp must be a number",
        );
        assert_refused(
            s,
            "/hs",
            &with_claim("nbf", bad.clone()),
            "invalid claim: nbf must be a number",
        );
        assert_contrib_refused(
            s,
            &{
                let mut c = json!({"sub": "alice"});
                c["exp"] = bad.clone();
                jsonwebtoken::encode(&Header::new(Algorithm::RS256), &c, &t.rsa).unwrap()
            },
            "invalid exp value",
        );
    }
    t.assert_still_serves();
}

/// 6. iat is informational (as in Node's jsonwebtoken without maxAge).
#[test]
fn iat_in_the_future_is_accepted() {
    let target = Target::start();
    let t = now();
    assert_eq!(
        get(&target.s, "/hs", &with_claim("iat", json!(t + 86_400))).status(),
        200
    );
    target.assert_still_serves();
}

/// 7. Repeated names: refused even under a valid signature.
#[test]
fn repeated_names_are_refused_under_a_valid_signature() {
    let target = Target::start();
    let s = &target.s;
    let t = now();
    let dup_claims = raw_token(
        br#"{"alg":"HS256","typ":"JWT"}"#,
        format!(r#"{{"sub":"alice","exp":1,"exp":{}}}"#, t + 600).as_bytes(),
        Algorithm::HS256,
        &hs_key(),
    );
    assert_refused(
        s,
        "/hs",
        &dup_claims,
        "token malformed: claims repeat a claim name",
    );
    let dup_sub = raw_token(
        br#"{"alg":"HS256"}"#,
        br#"{"sub":"alice","sub":"admin"}"#,
        Algorithm::HS256,
        &hs_key(),
    );
    assert_refused(
        s,
        "/hs",
        &dup_sub,
        "token malformed: claims repeat a claim name",
    );
    let dup_alg = raw_token(
        br#"{"alg":"none","alg":"HS256"}"#,
        br#"{"sub":"alice"}"#,
        Algorithm::HS256,
        &hs_key(),
    );
    assert_refused(
        s,
        "/hs",
        &dup_alg,
        "token malformed: header repeats a parameter name",
    );
    target.assert_still_serves();
}

/// 8. Claims that are not a JSON object are malformed, even when signed.
#[test]
fn signed_claims_that_are_not_a_json_object_are_malformed() {
    let t = Target::start();
    let s = &t.s;
    let signed_payload =
        |payload: &[u8]| raw_token(br#"{"alg":"HS256"}"#, payload, Algorithm::HS256, &hs_key());
    for payload in [
        &b"[1,2]"[..],
        b"42",
        b"\"alice\"",
        b"null",
        b"not json \xff",
    ] {
        let token = signed_payload(payload);
        let r = get(s, "/hs", &token);
        assert_eq!(r.status(), 401, "{}", String::from_utf8_lossy(payload));
        let reason = r.json::<Value>().unwrap()["error"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(reason.starts_with("token malformed: "), "{reason}");
    }
    t.assert_still_serves();
}

/// 8. Headers that are not JSON objects, or not base64url at all, and
///    tokens without exactly three parts.
#[test]
fn headers_and_segments_that_are_not_base64url_json_are_malformed() {
    let t = Target::start();
    let parts = t.hs_parts();
    let not_json = "token malformed: header is not base64url-encoded JSON";
    for (token, reason) in [
        (
            format!("{}.{}.{}", b64(b"[\"HS256\"]"), parts[1], parts[2]),
            not_json,
        ),
        (
            format!("{}.{}.{}", b64(b"alg=HS256"), parts[1], parts[2]),
            not_json,
        ),
        (
            format!("{}.{}.{}", b64(b"\"HS256\""), parts[1], parts[2]),
            not_json,
        ),
        (format!("{}.{}.{}", "e30=", parts[1], parts[2]), not_json),
        (format!("{}.{}.{}", "!!!", parts[1], parts[2]), not_json),
        (
            format!("{}.{}.{}", b64(b"{}"), parts[1], parts[2]),
            "token malformed: header has no alg",
        ),
        (
            format!("{}.{}.{}.{}", parts[0], parts[1], parts[2], parts[2]),
            "token malformed: expected three dot-separated parts",
        ),
        (
            format!("{}.{}", parts[0], parts[1]),
            "token malformed: expected three dot-separated parts",
        ),
        ("..".into(), not_json),
        (
            format!("{}.{}.!!!", parts[0], parts[1]),
            "token malformed: signature is not base64url",
        ),
        (
            format!("{}.%%%.{}", parts[0], parts[2]),
            "invalid signature",
        ),
    ] {
        assert_refused(&t.s, "/hs", &token, reason);
    }
    t.assert_still_serves();
}

/// 9. Signature stripping, or a signature moved onto other claims.
#[test]
fn stripped_or_moved_signatures_are_refused() {
    let t = Target::start();
    let s = &t.s;
    let parts = t.hs_parts();
    assert_refused(
        s,
        "/hs",
        &format!("{}.{}.", parts[0], parts[1]),
        "token malformed: signature is missing",
    );
    let rs_token = t.rs_token();
    let rs_parts: Vec<&str> = rs_token.split('.').collect();
    assert_refused(
        s,
        "/rs",
        &format!("{}.{}.", rs_parts[0], rs_parts[1]),
        "token malformed: signature is missing",
    );
    assert_contrib_refused(
        s,
        &format!("{}.{}.", rs_parts[0], rs_parts[1]),
        "jwt signature is required",
    );
    let moved = format!(
        "{}.{}.{}",
        parts[0],
        b64(json!({"sub": "admin", "exp": now() + 600})
            .to_string()
            .as_bytes()),
        parts[2]
    );
    assert_refused(s, "/hs", &moved, "invalid signature");
    t.assert_still_serves();
}

/// 10. Megabyte tokens: in a header the server refuses the request head
///     (431); in a body they are refused quickly, with a short answer.
#[test]
fn megabyte_tokens_are_refused_quickly_with_a_short_answer() {
    let t = Target::start();
    let s = &t.s;
    let parts = t.hs_parts();
    let huge_alg = format!(
        "{}.{}.{}",
        b64(json!({"alg": "A".repeat(1 << 20)}).to_string().as_bytes()),
        parts[1],
        parts[2]
    );
    match client()
        .get(s.url("/hs"))
        .header("Authorization", format!("Bearer {huge_alg}"))
        .send()
    {
        Ok(r) => assert_eq!(r.status(), 431),
        Err(e) => assert!(e.is_request() || e.is_body() || e.is_connect(), "{e}"),
    }
    let huge_claims = hs(&json!({"sub": "alice", "pad": "x".repeat(1 << 20), "exp": 1}));
    let huge_garbage = format!("{}.{}.{}", parts[0], "A".repeat(1 << 20), parts[2]);
    for (token, reason) in [
        (
            huge_alg.as_str(),
            format!(
                "algorithm {}… is not allowed (expected HS256)",
                "A".repeat(64)
            ),
        ),
        (huge_claims.as_str(), "token expired".to_owned()),
        (huge_garbage.as_str(), "invalid signature".to_owned()),
    ] {
        let started = Instant::now();
        let r = client()
            .post(s.url("/hs"))
            .form(&[("access_token", token)])
            .send()
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(r.status(), 401);
        let www = r.headers()["www-authenticate"].to_str().unwrap().len();
        assert!(www < 300, "WWW-Authenticate is {www} bytes");
        let body = r.text().unwrap();
        assert!(body.len() < 300, "answer is {} bytes", body.len());
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap()["error"],
            reason
        );
    }
    t.assert_still_serves();
}

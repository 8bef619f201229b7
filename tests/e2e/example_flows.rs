//! The example flows in `flows/`, each run with `flowgate run` exactly as a
//! user would, answers checked over HTTP and every token verified with the
//! key. They use JavaScript `function` nodes as Node-RED users write them.

use std::path::Path;

use crate::common::{client, repo_root, run_cli, Server};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Value};

fn decode(token: &str, alg: Algorithm, key: &DecodingKey) -> (Header, Value) {
    let mut v = Validation::new(alg);
    v.validate_aud = false;
    v.required_spec_claims.clear();
    v.leeway = 0;
    let data = jsonwebtoken::decode::<Value>(token, key, &v)
        .unwrap_or_else(|e| panic!("{token} does not verify: {e}"));
    (data.header, data.claims)
}

fn credentials(s: &Server) -> Value {
    let stem = s.flows_path.file_stem().unwrap().to_string_lossy();
    let path = s.flows_path.with_file_name(format!("{stem}_cred.json"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("credentials saved")).unwrap()
}

fn example(name: &str) -> std::path::PathBuf {
    repo_root().join("flows").join(name)
}

fn lifetime(claims: &Value) -> u64 {
    claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap()
}

#[test]
fn ignite_flow_answers_an_access_token() {
    let text = std::fs::read_to_string(example("ignite-jwt.json")).unwrap();
    let nodes: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(nodes.len(), 6, "the Ignite flow, unchanged");
    assert!(!text.contains("secret"), "no secret ships with the example");

    let s = Server::start_file(&example("ignite-jwt.json"), &[], &[]);
    let resp = client().get(s.url("/jwt/generate")).send().unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: Value = resp.json().unwrap();
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    let token = body["access_token"].as_str().unwrap();
    let secret = credentials(&s)["766dcb94.6ebc04"]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let (header, claims) = decode(
        token,
        Algorithm::HS256,
        &DecodingKey::from_secret(secret.as_bytes()),
    );
    assert_eq!(
        (header.alg, header.typ.as_deref(), header.kid),
        (Algorithm::HS256, Some("JWT"), None)
    );
    assert_eq!(claims["name"], "CYber Group Inc.");
    assert_eq!(claims["Domain"], "Information Technology & Services");
    assert_eq!(
        claims["Offices"],
        json!({"Dallas": "12900 Preston Road, Ste 900, Dallas, TX, 75230", "India": "30/1 Knowledge Park III, Greater Noida"})
    );
    assert_eq!(lifetime(&claims), 86400);
    assert_eq!(claims.as_object().unwrap().len(), 5);
    assert!(!s.logs().contains(&secret));
}

#[test]
fn kore_sts_issues_hs256_tokens_for_an_identity() {
    // Without its environment the flow does not start, and says why.
    let (code, _, err) = run_cli(&["check", example("kore-sts.json").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("environment variable KORE_CLIENT_ID is not set"),
        "{err}"
    );
    assert!(
        err.contains("environment variable KORE_CLIENT_SECRET is not set"),
        "{err}"
    );

    let secret = "kore-client-secret-0123456789abcdef";
    let s = Server::start_file(
        &example("kore-sts.json"),
        &[],
        &[
            ("KORE_CLIENT_ID", "cs-1234-client"),
            ("KORE_CLIENT_SECRET", secret),
        ],
    );
    let c = client();
    let resp = c
        .post(s.url("/api/users/sts/"))
        .json(&json!({"identity": "user@example.com", "locale": "en", "iss": "forged"}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().unwrap();
    let (header, claims) = decode(
        body["jwt"].as_str().unwrap(),
        Algorithm::HS256,
        &DecodingKey::from_secret(secret.as_bytes()),
    );
    assert_eq!(header.alg, Algorithm::HS256);
    assert_eq!(
        claims["iss"], "cs-1234-client",
        "the client id, never the request's"
    );
    assert_eq!(claims["sub"], "user@example.com");
    assert_eq!(claims["aud"], "https://idproxy.kore.com/authorize");
    assert_eq!(claims["isAnonymous"], false);
    assert_eq!(claims["locale"], "en");
    assert_eq!(lifetime(&claims), 86400);

    let resp = c
        .post(s.url("/api/users/sts/"))
        .json(&json!({"name": "x"}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let err: Value = resp.json().unwrap();
    assert_eq!(err["error"], "invalid_request");
    assert!(err["message"]
        .as_str()
        .unwrap()
        .contains("identity is required"));
}

#[test]
fn cobrowse_agent_tokens_are_rs256_and_verify_with_the_published_key() {
    let s = Server::start_file(
        &example("cobrowse-agent.json"),
        &[],
        &[("COBROWSE_LICENSE_KEY", "lic-abc123")],
    );
    let c = client();
    let policy = json!({"version": 1, "devices": {"filter_user_email": "x@example.com"}});
    let resp = c
        .post(s.url("/cobrowse/token"))
        .json(&json!({"email": "agent@example.com", "displayName": "Ann Agent", "role": "agent", "policy": policy}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let token = resp.json::<Value>().unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();

    let set: JwkSet = c
        .get(s.url("/.well-known/jwks.json"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(set.keys.len(), 1);
    let jwk = &set.keys[0];
    let (header, claims) = decode(
        &token,
        Algorithm::RS256,
        &DecodingKey::from_jwk(jwk).unwrap(),
    );
    assert_eq!(header.kid, jwk.common.key_id);
    assert_eq!(claims["aud"], "https://cobrowse.io");
    assert_eq!(claims["iss"], "lic-abc123");
    assert_eq!(claims["sub"], "agent@example.com");
    assert_eq!(claims["displayName"], "Ann Agent");
    assert_eq!(claims["role"], "agent");
    assert_eq!(claims["policy"], policy);
    assert_eq!(lifetime(&claims), 86400, "one day, Cobrowse's maximum");

    // The published key is the saved private key's.
    let private = credentials(&s)["cb0cfg"]["privatekey"]
        .as_str()
        .unwrap()
        .to_string();
    let from_private = Jwk::from_encoding_key(
        &EncodingKey::from_rsa_pem(private.as_bytes()).unwrap(),
        Algorithm::RS256,
    )
    .unwrap();
    decode(
        &token,
        Algorithm::RS256,
        &DecodingKey::from_jwk(&from_private).unwrap(),
    );

    for (body, message) in [
        (json!({"displayName": "x"}), "email is required"),
        (json!({"email": "a@b.c", "role": "root"}), "role must be"),
        (
            json!({"email": "a@b.c", "policy": "all"}),
            "policy must be a JSON object",
        ),
    ] {
        let resp = c.post(s.url("/cobrowse/token")).json(&body).send().unwrap();
        assert_eq!(resp.status(), 400, "{body}");
        assert!(resp.json::<Value>().unwrap()["message"]
            .as_str()
            .unwrap()
            .contains(message));
    }
}

#[test]
fn cockpit_accepts_only_its_audience_and_membership_scope() {
    let s = Server::start_file(&example("cockpit-verify.json"), &[], &[]);
    let c = client();
    let issue = |scope: &str, audience: &str| -> String {
        let resp = c
            .post(s.url("/cockpit/jwt"))
            .json(&json!({"scope": scope, "audience": audience, "user": "ann"}))
            .send()
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json::<Value>().unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let good = issue("user:name memberof:moehaha", "moehaha");

    // The generated ES384 key in the credentials file verifies the token.
    let private = credentials(&s)["cp0cfg"]["privatekey"]
        .as_str()
        .unwrap()
        .to_string();
    let public = Jwk::from_encoding_key(
        &EncodingKey::from_ec_pem(private.as_bytes()).unwrap(),
        Algorithm::ES384,
    )
    .unwrap();
    let (_, claims) = decode(
        &good,
        Algorithm::ES384,
        &DecodingKey::from_jwk(&public).unwrap(),
    );
    assert_eq!(claims["iss"], "itsyou.online");
    assert_eq!(lifetime(&claims), 3600);

    let resp = c
        .get(s.url("/cockpit/api/info"))
        .bearer_auth(&good)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().unwrap();
    assert_eq!(body["organization"], "moehaha");
    assert_eq!(body["claims"], claims);

    // A bad token is 401 invalid_token; a valid one without the scope is
    // 403 insufficient_scope (RFC 6750 §3.1).
    let missing_scope = "missing scope: memberof:moehaha";
    for (token, reason, status, error, extra) in [
        (
            issue("memberof:moehaha", "someone-else"),
            "audience mismatch",
            401,
            "invalid_token",
            "",
        ),
        (
            issue("user:name", "moehaha"),
            missing_scope,
            403,
            "insufficient_scope",
            ", scope=\"memberof:moehaha\"",
        ),
        (
            flip_last_char(&good),
            "invalid signature",
            401,
            "invalid_token",
            "",
        ),
    ] {
        let resp = c
            .get(s.url("/cockpit/api/info"))
            .bearer_auth(&token)
            .send()
            .unwrap();
        assert_eq!(resp.status(), status, "{reason}");
        assert_eq!(
            resp.headers()["www-authenticate"],
            format!("Bearer error=\"{error}\", error_description=\"{reason}\"{extra}").as_str()
        );
        assert_eq!(
            resp.json::<Value>().unwrap(),
            json!({"error": error, "error_description": reason})
        );
    }
    assert_eq!(
        c.get(s.url("/cockpit/api/info")).send().unwrap().status(),
        401
    );
}

/// The token with the last character of its signature changed.
fn flip_last_char(token: &str) -> String {
    let (rest, last) = token.split_at(token.len() - 1);
    format!("{rest}{}", if last == "A" { "B" } else { "A" })
}

/// The contrib example's key files, made the way the README says:
/// `flowgate keygen --alg RS512 --out rsa_priv_key`.
fn write_keys(dir: &Path) -> (String, String) {
    let private_path = dir.join("rsa_priv_key");
    let arg = private_path.to_str().unwrap();
    let (code, out, err) = run_cli(&["keygen", "--alg", "RS512", "--out", arg]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("rsa_pub_key"), "{out}");
    let private = std::fs::read_to_string(&private_path).unwrap();
    let public = std::fs::read_to_string(dir.join("rsa_pub_key")).unwrap();
    assert!(
        private.starts_with("-----BEGIN PRIVATE KEY-----"),
        "{private}"
    );
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"), "{public}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&private_path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the private key is private");
    }
    // A second run never overwrites a key pair.
    let (code, _, err) = run_cli(&["keygen", "--alg", "RS512", "--out", arg]);
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read_to_string(&private_path).unwrap(), private);
    (private, public)
}

#[test]
fn contrib_pem_example_signs_and_validates_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let flows_path = dir.path().join("contrib-jwt-sign-verify.json");
    std::fs::copy(example("contrib-jwt-sign-verify.json"), &flows_path).unwrap();
    let (private, public) = write_keys(dir.path());
    let s = Server::start_in(dir, flows_path, &[], &[]);
    let c = client();

    let resp = c.get(s.url("/contrib/sign")).send().unwrap();
    assert_eq!(resp.status(), 200);
    let token = resp.text().unwrap();
    let (header, claims) = decode(
        &token,
        Algorithm::RS512,
        &DecodingKey::from_rsa_pem(public.as_bytes()).unwrap(),
    );
    assert_eq!(header.kid.as_deref(), Some("rsa_priv_key"));
    assert_eq!(claims["sub"], "user");
    assert_eq!(claims["iss"], "http://nodered.nulli.com:1880/oauth2");
    assert_eq!(claims["tokenType"], "JWTToken");
    assert_eq!(lifetime(&claims), 3601);

    let resp = c
        .get(s.url("/contrib/verify"))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().unwrap(), claims);

    let other = jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &json!({"sub": "x"}),
        &EncodingKey::from_rsa_pem(private.as_bytes()).unwrap(),
    )
    .unwrap();
    let resp = c
        .get(s.url("/contrib/verify"))
        .bearer_auth(&other)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.json::<Value>().unwrap(),
        json!({"error": "invalid algorithm"})
    );
    let resp = c.get(s.url("/contrib/verify")).send().unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.json::<Value>().unwrap(),
        json!({"error": "jwt must be provided"})
    );
}

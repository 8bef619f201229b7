//! `jwt verify`: checks the token a message carries, as
//! node-red-contrib-jwt does, with its error texts.

use super::*;

enum VerifySource {
    Local(Lazy<Verifier>),
    Remote(Verifier),
}

struct JwtVerify {
    source: VerifySource,
    signvar: String,
    storetoken: String,
}

pub(super) fn build_verify(node: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let mut problems = Problems::new(node);
    let Some(s) = problems.settings::<JwtVerifySettings>() else {
        return Err(problems.fail(cx));
    };
    let algs = s.alg;
    let jwkurl = s.jwkurl;
    let policy = VerifyPolicy {
        algorithms: algs.clone(),
        ..VerifyPolicy::default()
    };
    let source = match jwkurl {
        // node-red-contrib-jwt takes the algorithm from the token when it
        // uses a key set; here the key decides which algorithms it allows.
        Some(url) => match RemoteJwks::new(&url) {
            Ok(r) => VerifySource::Remote(Verifier {
                policy: VerifyPolicy::default(),
                keys: VerifyKeys::Remote(Arc::new(r)),
            }),
            Err(e) => {
                problems.push("jwkurl", e);
                VerifySource::Local(Lazy::Missing(""))
            }
        },
        None => {
            let asymmetric: Vec<Algorithm> =
                algs.iter().copied().filter(|a| !is_symmetric(*a)).collect();
            let (field, found) = if asymmetric.is_empty() {
                (
                    "secret",
                    key_text(
                        cx,
                        "NODE_RED_NODE_JWT_SECRET",
                        &["secret"],
                        s.secret.clone(),
                        false,
                    ),
                )
            } else {
                (
                    "key",
                    key_text(
                        cx,
                        "NODE_RED_NODE_JWT_PUBLIC_KEY",
                        &["key", "publickey"],
                        s.key.clone(),
                        true,
                    ),
                )
            };
            let found = problems.take(field, found, None);
            let parse = move |t: &str| -> Result<Verifier, KeyError> {
                let decoding = if asymmetric.is_empty() {
                    match t.trim_start().starts_with('{') {
                        true => parse_public(algs[0], t)?.decoding,
                        false => keys::secret_key(t.as_bytes()).public.decoding,
                    }
                } else {
                    // The first listed algorithm the key fits decides its type.
                    let mut last = None;
                    let mut found = None;
                    for a in &asymmetric {
                        match parse_public(*a, t) {
                            Ok(k) => {
                                found = Some(k.decoding);
                                break;
                            }
                            Err(e) => last = Some(e),
                        }
                    }
                    match found {
                        Some(k) => k,
                        None => return Err(last.expect("at least one algorithm")),
                    }
                };
                Ok(Verifier {
                    policy: policy.clone(),
                    keys: VerifyKeys::Local(decoding),
                })
            };
            VerifySource::Local(problems.take(
                field,
                lazy(found, "secret or public key must be provided", parse),
                Lazy::Missing(""),
            ))
        }
    };
    problems.finish(cx)?;
    Ok(Built::new(
        JwtVerify {
            source,
            signvar: s.signvar,
            storetoken: s.storetoken,
        },
        1,
    ))
}

impl Node for JwtVerify {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        if self.signvar == "bearer" {
            if let Some(t) = contrib_bearer(&msg) {
                msg.body.insert("bearer".into(), Value::String(t));
            }
        }
        let token = match msg.body.get(&self.signvar) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Outcome::Ready(Err(self.fail(msg, "jwt must be a string".into(), None)));
            }
        };
        let Some(token) = token else {
            return Outcome::Ready(Err(self.fail(
                msg,
                "jwt must be provided".into(),
                Some(&VerifyError::Missing),
            )));
        };
        let verifier = match &self.source {
            VerifySource::Local(lazy) => match lazy.get() {
                Ok(v) => v,
                Err(why) => return Outcome::Ready(Err(self.fail(msg, why, None))),
            },
            VerifySource::Remote(v) => v,
        };
        match verifier.verify_now(&token) {
            Some(r) => Outcome::Ready(self.finish(msg, &token, r, out)),
            None => Outcome::Pending(Box::pin(async move {
                let r = verifier.verify(&token).await;
                self.finish(msg, &token, r, out)
            })),
        }
    }
}

/// node-red-contrib-jwt's `bearer` lookup: an `Authorization` header of
/// exactly `Bearer <token>` (or `msg.prefix <token>`); only without that
/// header, `access_token` from the query, then the body.
fn contrib_bearer(msg: &Message) -> Option<String> {
    match crate::security::jwt::request::authorization(msg) {
        Some(h) => {
            let parts: Vec<&str> = h.split(' ').collect();
            let prefix = msg.body.get("prefix").and_then(Value::as_str);
            (parts.len() == 2 && (parts[0] == "Bearer" || Some(parts[0]) == prefix))
                .then(|| parts[1].to_owned())
        }
        None => crate::security::jwt::request::access_token(msg),
    }
}

impl JwtVerify {
    fn finish(
        &self,
        msg: Message,
        token: &str,
        result: Result<Verified, VerifyError>,
        out: &mut Outputs,
    ) -> Result<(), NodeError> {
        match result {
            Ok(v) => {
                let mut msg = msg;
                msg.body.insert(self.storetoken.clone(), v.claims);
                out.send(0, msg);
                Ok(())
            }
            Err(e) => {
                let (name, message, extra) = node_error(&e, token);
                let mut error = Map::new();
                error.insert("name".into(), name.into());
                error.insert("message".into(), message.clone().into());
                if let Some((k, v)) = extra {
                    error.insert(k.into(), v.into());
                }
                let mut msg = msg;
                msg.set_payload(Value::Object(error));
                Err(self.fail(msg, message, Some(&e)))
            }
        }
    }

    /// Every verify failure sets `msg.statusCode = 401`, as the original does.
    fn fail(&self, mut msg: Message, reason: String, err: Option<&VerifyError>) -> NodeError {
        msg.body.insert("statusCode".into(), Value::from(401));
        // Whatever else fails (a key that cannot be read, a token that is
        // not a string) is answered as a bad token, as the original does.
        let challenge = err
            .and_then(|e| Challenge::of(e, &reason))
            .unwrap_or_else(|| Challenge::invalid_token(&reason));
        verify_failure(msg, Some(challenge), &reason)
    }
}

/// The error `jsonwebtoken` 8 would give for `token`: (name, message,
/// extra property).
fn node_error(
    e: &VerifyError,
    token: &str,
) -> (&'static str, String, Option<(&'static str, String)>) {
    const JWT: &str = "JsonWebTokenError";
    let three_parts = token.split('.').count() == 3;
    match e {
        VerifyError::Missing => (JWT, "jwt must be provided".into(), None),
        // jsonwebtoken checks, in order: three parts, a decodable token, a
        // signature, then the algorithm.
        VerifyError::Malformed(_) if !three_parts => (JWT, "jwt malformed".into(), None),
        VerifyError::Malformed(_) | VerifyError::AlgNone if token.ends_with('.') => {
            let header_ok = matches!(
                crate::security::jwt::claims::peek(token).0,
                Some(Value::Object(_))
            );
            let message = if header_ok {
                "jwt signature is required"
            } else {
                "invalid token"
            };
            (JWT, message.into(), None)
        }
        VerifyError::Malformed(_) => (JWT, "invalid token".into(), None),
        VerifyError::AlgNone
        | VerifyError::AlgNotAllowed { .. }
        | VerifyError::KeyMismatch(_)
        | VerifyError::NoMatchingKey(_) => (JWT, "invalid algorithm".into(), None),
        VerifyError::BadSignature => (JWT, "invalid signature".into(), None),
        VerifyError::Expired { exp } => (
            "TokenExpiredError",
            "jwt expired".into(),
            Some(("expiredAt", iso8601(*exp))),
        ),
        VerifyError::NotYetValid { nbf } => (
            "NotBeforeError",
            "jwt not active".into(),
            Some(("date", iso8601(*nbf))),
        ),
        VerifyError::InvalidClaim(name, _) => (JWT, format!("invalid {name} value"), None),
        other => (JWT, other.to_string(), None),
    }
}

/// A time in seconds as JavaScript's `Date.toISOString()` writes it.
fn iso8601(secs: f64) -> String {
    let millis = (secs * 1000.0).round() as i64;
    let (days, ms_of_day) = (millis.div_euclid(86_400_000), millis.rem_euclid(86_400_000));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(body: Value) -> Message {
        Message::from_body(body.as_object().unwrap().clone())
    }

    #[test]
    fn bearer_lookup_follows_the_original() {
        let req = |headers: Value| json!({"req": {"headers": headers, "query": {"access_token": "q"}, "body": {}}});
        assert_eq!(
            contrib_bearer(&msg(req(json!({"authorization": "Bearer t"})))).as_deref(),
            Some("t")
        );
        // Case-sensitive scheme, exactly two parts, and no fallback to the
        // query once an Authorization header is present.
        assert_eq!(
            contrib_bearer(&msg(req(json!({"authorization": "bearer t"})))),
            None
        );
        assert_eq!(
            contrib_bearer(&msg(req(json!({"authorization": "Bearer  t"})))),
            None
        );
        let mut custom = req(json!({"authorization": "JWT t"}));
        custom["prefix"] = json!("JWT");
        assert_eq!(contrib_bearer(&msg(custom)).as_deref(), Some("t"));
        assert_eq!(contrib_bearer(&msg(req(json!({})))).as_deref(), Some("q"));
    }

    #[test]
    fn errors_carry_jsonwebtoken_texts() {
        assert_eq!(
            node_error(&VerifyError::BadSignature, "a.b.c").1,
            "invalid signature"
        );
        assert_eq!(
            node_error(&VerifyError::AlgNone, "a.b.c").1,
            "invalid algorithm"
        );
        let none = "eyJhbGciOiJub25lIn0.eyJleHAiOjE2MDAwMDAwMDB9.";
        assert_eq!(
            node_error(&VerifyError::AlgNone, none).1,
            "jwt signature is required"
        );
        let bad = VerifyError::Malformed("header is not base64url-encoded JSON");
        assert_eq!(node_error(&bad, "a.b.c").1, "invalid token");
        assert_eq!(node_error(&bad, "abc").1, "jwt malformed");
        let (name, message, extra) = node_error(&VerifyError::NotYetValid { nbf: 0.0 }, "a.b.c");
        assert_eq!(
            (name, message.as_str()),
            ("NotBeforeError", "jwt not active")
        );
        assert_eq!(extra, Some(("date", "1970-01-01T00:00:00.000Z".to_owned())));
    }

    #[test]
    fn iso_dates_match_javascript() {
        assert_eq!(iso8601(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_700_000_000.0), "2023-11-14T22:13:20.000Z");
        assert_eq!(iso8601(951_782_400.5), "2000-02-29T00:00:00.500Z");
    }
}

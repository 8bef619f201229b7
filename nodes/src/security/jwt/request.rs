//! Where a token travels in a message, and how a rejected one is answered
//! over HTTP (RFC 6750).

use flowgate_runtime::{Message, NodeError};
use serde_json::Value;

use super::claims::VerifyError;

/// The request's `Authorization` header: from `msg.req.headers` (what the
/// flow sees, and may have changed), else from the raw request.
pub fn authorization(msg: &Message) -> Option<String> {
    let from_req = msg
        .body
        .get("req")
        .and_then(|r| r.get("headers"))
        .and_then(|h| h.get("authorization"))
        .and_then(Value::as_str);
    match from_req {
        Some(v) => Some(v.to_owned()),
        None => msg
            .exchange()
            .and_then(|ex| ex.headers.get(http::header::AUTHORIZATION))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme matched
/// case-insensitively, as RFC 7235 says).
pub fn bearer(msg: &Message) -> Option<String> {
    let value = authorization(msg)?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// An `access_token` request parameter: the query first, then the body.
pub fn access_token(msg: &Message) -> Option<String> {
    let req = msg.body.get("req")?;
    ["query", "body"].iter().find_map(|part| {
        req.get(*part)
            .and_then(|p| p.get("access_token"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    })
}

fn non_empty_string(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// The token to verify: `msg.token`, else `msg.payload` when it is a string,
/// else the bearer header, else an `access_token` parameter.
pub fn token_from_message(msg: &Message) -> Option<String> {
    non_empty_string(msg.body.get("token"))
        .or_else(|| non_empty_string(msg.body.get("payload")))
        .or_else(|| bearer(msg))
        .or_else(|| access_token(msg))
}

/// `text` as the inside of an RFC 6750 quoted string: printable ASCII, with
/// the characters it forbids (`"`, `\\`) replaced.
fn quoted(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            ' '..='~' => c,
            _ => '?',
        })
        .collect()
}

/// How a rejected request is answered (RFC 6750 §3): the status, the
/// `WWW-Authenticate` challenge, and its error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub status: u16,
    /// `None` when the request carried no token: §3.1 says a request that
    /// lacks any authentication information gets no error code.
    pub error: Option<&'static str>,
    pub header: String,
}

impl Challenge {
    /// The answer for a token failure; `None` for a server-side failure
    /// (no key, key set unreachable), which is not the client's to fix.
    pub fn of(err: &VerifyError, reason: &str) -> Option<Challenge> {
        Some(match err {
            _ if !err.is_token_fault() => return None,
            VerifyError::Missing => Challenge {
                status: 401,
                error: None,
                header: "Bearer".into(),
            },
            VerifyError::Scope(scope) => Challenge {
                status: 403,
                error: Some("insufficient_scope"),
                header: format!(
                    "Bearer error=\"insufficient_scope\", error_description=\"{}\", scope=\"{}\"",
                    quoted(reason),
                    quoted(scope)
                ),
            },
            _ => Challenge::invalid_token(reason),
        })
    }

    /// 401 `invalid_token`: the token is expired, malformed, badly signed…
    pub fn invalid_token(reason: &str) -> Challenge {
        Challenge {
            status: 401,
            error: Some("invalid_token"),
            header: format!(
                "Bearer error=\"invalid_token\", error_description=\"{}\"",
                quoted(reason)
            ),
        }
    }

    /// The JSON body an `http response` node sends for this rejection: the
    /// challenge's error code (when it has one) and the reason.
    pub fn body(&self, reason: &str) -> Value {
        let mut body = serde_json::Map::new();
        if let Some(error) = self.error {
            body.insert("error".into(), error.into());
        }
        body.insert("error_description".into(), reason.into());
        Value::Object(body)
    }
}

/// A node error for a failed verification: catchable, carrying the message
/// (with `statusCode` 401 or 403 when the client is at fault), and answered
/// with that status and `WWW-Authenticate` when nothing catches it.
pub fn verify_failure(mut msg: Message, challenge: Option<Challenge>, reason: &str) -> NodeError {
    let Some(challenge) = challenge else {
        return NodeError::new(reason).with_msg(msg);
    };
    msg.body
        .insert("statusCode".into(), Value::from(challenge.status));
    NodeError::new(reason).with_msg(msg).with_http(
        challenge.status,
        vec![("WWW-Authenticate".into(), challenge.header)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg(body: Value) -> Message {
        Message::from_body(body.as_object().unwrap().clone())
    }

    #[test]
    fn token_locations_in_order() {
        let req = json!({"headers": {"authorization": "bearer from-header"}, "query": {"access_token": "from-query"}, "body": {"access_token": "from-body"}});
        assert_eq!(
            token_from_message(&msg(json!({"token": "t", "payload": "p", "req": req}))).unwrap(),
            "t"
        );
        assert_eq!(
            token_from_message(&msg(json!({"payload": "p", "req": req}))).unwrap(),
            "p"
        );
        assert_eq!(
            token_from_message(&msg(json!({"payload": {}, "req": req}))).unwrap(),
            "from-header"
        );
        let no_header = json!({"headers": {}, "query": {"access_token": "from-query"}, "body": {"access_token": "from-body"}});
        assert_eq!(
            token_from_message(&msg(json!({"req": no_header}))).unwrap(),
            "from-query"
        );
        let body_only = json!({"headers": {}, "query": {}, "body": {"access_token": "from-body"}});
        assert_eq!(
            token_from_message(&msg(json!({"req": body_only}))).unwrap(),
            "from-body"
        );
        let basic = json!({"headers": {"authorization": "Basic abc"}, "query": {}});
        assert_eq!(token_from_message(&msg(json!({"req": basic}))), None);
    }

    #[test]
    fn descriptions_stay_inside_the_quoted_string() {
        assert_eq!(
            Challenge::invalid_token("bad \"kid\" \\ é").header,
            "Bearer error=\"invalid_token\", error_description=\"bad 'kid' ' ?\""
        );
    }

    #[test]
    fn challenges_follow_rfc_6750() {
        let missing = Challenge::of(&VerifyError::Missing, "token missing").unwrap();
        assert_eq!((missing.status, missing.header.as_str()), (401, "Bearer"));
        assert_eq!(
            missing.body("token missing"),
            json!({"error_description": "token missing"})
        );
        let scope = VerifyError::Scope("admin".into());
        let c = Challenge::of(&scope, &scope.to_string()).unwrap();
        assert_eq!(c.status, 403);
        assert_eq!(
            c.header,
            "Bearer error=\"insufficient_scope\", error_description=\"missing scope: admin\", scope=\"admin\""
        );
        let expired = Challenge::of(&VerifyError::Expired { exp: 0.0 }, "token expired").unwrap();
        assert_eq!(expired.status, 401);
        assert_eq!(expired.error, Some("invalid_token"));
        assert_eq!(
            Challenge::of(&VerifyError::Unavailable("x".into()), "x"),
            None
        );
    }
}

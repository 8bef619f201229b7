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

/// The `WWW-Authenticate` value for a rejected token; the reason becomes the
/// description, with characters RFC 6750 forbids there replaced.
pub fn www_authenticate(reason: &str) -> String {
    let description: String = reason
        .chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            ' '..='~' => c,
            _ => '?',
        })
        .collect();
    format!("Bearer error=\"invalid_token\", error_description=\"{description}\"")
}

/// A node error for a failed verification: catchable, carrying the message
/// (with `statusCode` 401 when the token is at fault), and answered with
/// 401 + `WWW-Authenticate` when nothing catches it.
pub fn verify_failure(mut msg: Message, err: &VerifyError, reason: &str) -> NodeError {
    if !err.is_token_fault() {
        return NodeError::new(reason).with_msg(msg);
    }
    msg.body.insert("statusCode".into(), Value::from(401));
    NodeError::new(reason).with_msg(msg).with_http(
        401,
        vec![("WWW-Authenticate".into(), www_authenticate(reason))],
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
            www_authenticate("bad \"kid\" \\ é"),
            "Bearer error=\"invalid_token\", error_description=\"bad 'kid' ' ?\""
        );
    }
}

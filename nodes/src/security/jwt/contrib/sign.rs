//! `jwt sign`: signs a message property into a token, as
//! node-red-contrib-jwt does.

use super::*;

enum SignKey {
    Local(Lazy<EncodingKey>),
    /// A private JWK from a key set, chosen by `jwkkid`.
    Remote(Arc<RemoteJwks>),
}

struct JwtSign {
    alg: Algorithm,
    /// `jsonwebtoken`'s `expiresIn`, in seconds.
    exp: Option<u64>,
    /// The header's `kid`: `jwkkid` exactly as given (even empty, as
    /// node-red-contrib-jwt sends it).
    kid: Option<String>,
    /// Headers for object payloads (`typ: JWT`) and for other payloads.
    header: Header,
    header_untyped: Header,
    key: SignKey,
    signvar: String,
    storetoken: String,
}

pub(super) fn build_sign(node: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let mut problems = Problems::new(node);
    let Some(s) = problems.settings::<JwtSignSettings>() else {
        return Err(problems.fail(cx));
    };
    let (alg, exp, kid, jwkurl) = (s.alg, s.exp, s.jwkkid, s.jwkurl);
    let key = match jwkurl {
        Some(url) => match RemoteJwks::new(&url) {
            Ok(r) => SignKey::Remote(Arc::new(r)),
            Err(e) => {
                problems.push("jwkurl", e);
                SignKey::Local(Lazy::Missing(""))
            }
        },
        None if is_symmetric(alg) => {
            let found = problems.take(
                "secret",
                key_text(
                    cx,
                    "NODE_RED_NODE_JWT_SECRET",
                    &["secret"],
                    s.secret.clone(),
                    false,
                ),
                None,
            );
            SignKey::Local(problems.take(
                "secret",
                lazy(found, "secretOrPrivateKey must have a value", move |t| {
                    if t.trim_start().starts_with('{') {
                        parse_private(alg, t).map(|k| k.encoding)
                    } else {
                        Ok(EncodingKey::from_secret(t.as_bytes()))
                    }
                }),
                Lazy::Missing(""),
            ))
        }
        None => {
            let found = problems.take(
                "key",
                key_text(
                    cx,
                    "NODE_RED_NODE_JWT_PRIVATE_KEY",
                    &["key", "privatekey"],
                    s.key.clone(),
                    true,
                ),
                None,
            );
            SignKey::Local(problems.take(
                "key",
                lazy(found, "secretOrPrivateKey must have a value", move |t| {
                    parse_private(alg, t).map(|k| k.encoding)
                }),
                Lazy::Missing(""),
            ))
        }
    };
    problems.finish(cx)?;
    let mut header = Header::new(alg);
    header.kid = kid.clone();
    let header_untyped = Header {
        typ: None,
        ..header.clone()
    };
    Ok(Built::new(
        JwtSign {
            alg,
            exp,
            kid,
            header,
            header_untyped,
            key,
            signvar: s.signvar,
            storetoken: s.storetoken,
        },
        1,
    ))
}

impl Node for JwtSign {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        match &self.key {
            SignKey::Local(lazy) => Outcome::Ready(match lazy.get() {
                Ok(key) => self.sign(msg, key, out),
                Err(why) => Err(NodeError::new(why).with_msg(msg)),
            }),
            SignKey::Remote(jwks) => Outcome::Pending(Box::pin(async move {
                let kid = self.kid.as_deref().filter(|k| !k.is_empty());
                let found = jwks.key_for(kid, self.alg).await;
                let key = match &found {
                    Ok((set, i)) => match &set.keys[*i].key {
                        JwkKey::Private(k) if set.keys[*i].algorithms.contains(&self.alg) => {
                            Ok(&k.encoding)
                        }
                        JwkKey::Private(_) => Err(format!(
                            "the key \"{}\" cannot sign {}",
                            kid.unwrap_or(""),
                            algorithm_name(self.alg)
                        )),
                        JwkKey::Public(_) => Err(format!(
                            "the key \"{}\" in {} is a public key; signing needs the private key",
                            kid.unwrap_or(""),
                            jwks.url()
                        )),
                    },
                    Err(e) => Err(format!("No Key Found in JWK: {e}")),
                };
                match key {
                    Ok(key) => self.sign(msg, key, out),
                    Err(why) => Err(NodeError::new(why).with_msg(msg)),
                }
            })),
        }
    }
}

impl JwtSign {
    fn sign(
        &self,
        mut msg: Message,
        key: &EncodingKey,
        out: &mut Outputs,
    ) -> Result<(), NodeError> {
        let token = match msg.body.get(&self.signvar) {
            None => Err("payload is required".to_owned()),
            Some(Value::Object(claims)) => self.sign_object(claims.clone(), key),
            Some(Value::Array(_)) | Some(Value::Null) => {
                Err("Expected \"payload\" to be a plain object.".to_owned())
            }
            Some(other) if self.exp.is_some() => Err(format!(
                "invalid expiresIn option for {} payload",
                if other.is_string() {
                    "string"
                } else if other.is_number() {
                    "number"
                } else {
                    "boolean"
                }
            )),
            Some(Value::String(s)) => {
                sign_raw(&self.header_untyped, s, key).map_err(|e| e.to_string())
            }
            Some(v) => sign(&self.header_untyped, v, key).map_err(|e| e.to_string()),
        };
        match token {
            Ok(token) => {
                msg.body
                    .insert(self.storetoken.clone(), Value::String(token));
                out.send(0, msg);
                Ok(())
            }
            Err(why) => Err(NodeError::new(why).with_msg(msg)),
        }
    }

    /// `jsonwebtoken.sign` for an object payload: numeric registered claims,
    /// `iat` = the payload's or now, `exp` = `iat` + the node's expiration.
    fn sign_object(
        &self,
        mut claims: Map<String, Value>,
        key: &EncodingKey,
    ) -> Result<String, String> {
        for name in ["iat", "exp", "nbf"] {
            if claims.get(name).is_some_and(|v| !v.is_number()) {
                return Err(format!("\"{name}\" should be a number of seconds"));
            }
        }
        if self.exp.is_some() && claims.contains_key("exp") {
            return Err(
                "Bad \"options.expiresIn\" option the payload already has an \"exp\" property."
                    .into(),
            );
        }
        let iat = match claims.get("iat").and_then(Value::as_f64) {
            Some(t) if t != 0.0 => t,
            _ => now() as f64,
        };
        let iat_value = if iat.fract() == 0.0 {
            Value::from(iat as u64)
        } else {
            json!(iat)
        };
        claims.insert("iat".into(), iat_value);
        if let Some(secs) = self.exp {
            claims.insert("exp".into(), Value::from(iat.floor() as u64 + secs));
        }
        sign(&self.header, &claims, key).map_err(|e| e.to_string())
    }
}

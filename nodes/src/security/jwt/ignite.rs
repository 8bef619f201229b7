//! Ignite's `jwt` node: generate a token from `msg.payload`'s
//! claims, or verify the request's token, using a `jwt-config`.
//!
//! Generate: the claims object in `msg.payload` is completed by the config
//! (`iat`, `exp`, …) and replaced by the token string. Verify: the token from
//! `msg.token`, a string `msg.payload`, `Authorization: Bearer` or
//! `access_token`; its claims go to `msg.payload`, the token to `msg.token`.
//! A rejected token goes to the second output when the node has two
//! (Ignite's "corrupt or expired" output), else it is a node error that
//! `catch` nodes see and that answers 401 when nothing catches it.

use std::sync::Arc;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::claims::{type_name, Verified, VerifyError};
use super::config::{via, JwtConfig};
use super::request::{token_from_message, verify_failure, Challenge};
use crate::support::settings::{self, de, Choice, Field, Initial, Kind, NodeSettings};

/// A `jwt` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct JwtSettings {
    /// Issue tokens (true) or verify them (false).
    #[serde(deserialize_with = "generatejwt")]
    pub generatejwt: bool,
    /// 2: rejected tokens go to the second output.
    #[serde(deserialize_with = "de::number")]
    pub outputs: Option<f64>,
}

impl NodeSettings for JwtSettings {
    const FIELDS: &'static [Field] = &[
        Field::name(),
        Field::new("jwtconfig", Kind::Config("jwt-config"), Initial::Str(""))
            .required()
            .label("Configuration"),
        Field::select(
            "generatejwt",
            &[
                Choice {
                    value: "true",
                    label: Some("Generate"),
                },
                Choice {
                    value: "false",
                    label: Some("Verify"),
                },
            ],
            "true",
        )
        .label("Action"),
        Field::new(
            "outputs",
            Kind::Select(&[
                Choice {
                    value: "1",
                    label: Some("1 (failures are errors)"),
                },
                Choice {
                    value: "2",
                    label: Some("2 (valid, corrupt or expired)"),
                },
            ]),
            Initial::Int(1),
        )
        .label("Outputs"),
    ];
    const LABEL: Option<&'static str> = Some("name");
}

pub fn node_type() -> NodeType {
    NodeType::runnable("jwt", build)
        .category("security")
        .color("#f3b567")
        .editor(settings::editor_json::<JwtSettings>())
}

fn build(node: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: JwtSettings = settings::load(node, cx)?;
    let config = cx.config::<JwtConfig>(node, "jwtconfig", "jwt-config")?;
    let generate = s.generatejwt;
    let outputs = match s.outputs {
        None => 1,
        Some(n) if n == 1.0 || n == 2.0 => n as usize,
        Some(n) => return Err(node.problem(Some("outputs"), format!("must be 1 or 2, not {n}"))),
    };
    Ok(Built::new(
        JwtNode {
            config,
            generate,
            failure_output: outputs == 2 && !generate,
        },
        outputs,
    ))
}

/// `generatejwt`: `true`/`"true"`/`"generate"` issue tokens,
/// `false`/`"false"`/`"verify"` verify them.
fn generatejwt<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    via(d, |v| match v {
        None | Some(Value::Null) => Ok(true),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "generate" | "1" => Ok(true),
            "false" | "verify" | "0" => Ok(false),
            other => Err(format!(
                "must be \"true\" (generate) or \"false\" (verify), not \"{other}\""
            )),
        },
        Some(other) => Err(format!("must be true or false, not {}", type_name(other))),
    })
}

/// Whether `node` is an enabled `jwt` node that verifies tokens with the
/// `jwt-config` whose id is `config`.
pub(crate) fn verifies_with(node: &NodeConfig, config: &str) -> bool {
    node.node_type == "jwt"
        && !node.disabled
        && node.str("jwtconfig") == Some(config)
        && JwtSettings::read(node).is_ok_and(|s| !s.generatejwt)
}

struct JwtNode {
    config: Arc<JwtConfig>,
    generate: bool,
    /// Send rejected tokens to output 2 instead of raising an error.
    failure_output: bool,
}

impl Node for JwtNode {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        if self.generate {
            return Outcome::Ready(self.generate(msg, out));
        }
        let Some(token) = token_from_message(&msg) else {
            return Outcome::Ready(self.finish(msg, String::new(), Err(VerifyError::Missing), out));
        };
        match self.config.verifier().verify_now(&token) {
            Some(result) => Outcome::Ready(self.finish(msg, token, result, out)),
            None => Outcome::Pending(Box::pin(async move {
                let result = self.config.verifier().verify(&token).await;
                self.finish(msg, token, result, out)
            })),
        }
    }

    /// Signing reads only `msg.payload`; verifying may take the token from
    /// the request.
    fn reads_request(&self) -> bool {
        !self.generate
    }
}

impl JwtNode {
    fn generate(&self, mut msg: Message, out: &mut Outputs) -> Result<(), NodeError> {
        let mut claims = match msg.body.get_mut("payload") {
            Some(Value::Object(m)) => std::mem::take(m),
            other => {
                let reason = match other {
                    None => {
                        "msg.payload must be a JSON object of claims, but it is missing".to_owned()
                    }
                    Some(v) => format!(
                        "msg.payload must be a JSON object of claims, not {}",
                        type_name(v)
                    ),
                };
                return Err(NodeError::new(reason).with_msg(msg));
            }
        };
        match self.config.sign_claims(&mut claims) {
            Ok(token) => {
                msg.set_payload(Value::String(token));
                out.send(0, msg);
                Ok(())
            }
            Err(e) => {
                msg.set_payload(Value::Object(claims));
                Err(NodeError::new(e.to_string()).with_msg(msg))
            }
        }
    }

    fn finish(
        &self,
        mut msg: Message,
        token: String,
        result: Result<Verified, VerifyError>,
        out: &mut Outputs,
    ) -> Result<(), NodeError> {
        match result {
            Ok(v) => {
                msg.set_payload(v.claims);
                msg.body.insert("token".into(), Value::String(token));
                out.send(0, msg);
                Ok(())
            }
            Err(e) => {
                let reason = e.to_string();
                match Challenge::of(&e, &reason) {
                    Some(challenge) if self.failure_output => {
                        msg.body
                            .insert("statusCode".into(), Value::from(challenge.status));
                        msg.set_payload(challenge.body(&reason));
                        add_header(&mut msg, "WWW-Authenticate", challenge.header);
                        out.send(1, msg);
                        Ok(())
                    }
                    challenge => Err(verify_failure(msg, challenge, &reason)),
                }
            }
        }
    }
}

/// Add a response header for `http response` unless the flow set it already.
fn add_header(msg: &mut Message, name: &str, value: String) {
    let headers = msg
        .body
        .entry("headers")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(h) = headers {
        if !h.keys().any(|k| k.eq_ignore_ascii_case(name)) {
            h.insert(name.to_owned(), Value::String(value));
        }
    }
}

//! Credential fields given as plain node properties. Node-RED's editor keeps
//! every field a node type declares as a credential (`jwt-config`'s
//! `secret`, `http request`'s `password`) in the credentials file; a flow
//! written by hand or by another tool may still carry one as an ordinary
//! property, where it would sit in the world-readable flows file and be
//! served by `GET /flows`. One rule, for every node type and every field it
//! declares, applied when flows are loaded from the file and when they are
//! deployed: the value moves to the node's credentials, with a warning
//! naming the node and the field.
//!
//! A whole-string environment reference (`"${JWT_SECRET}"`) is not a secret
//! but where to find one, and stays a property: the loader substitutes it.

use serde_json::{Map, Value};

use crate::credentials::Credentials;
use crate::envsubst;
use crate::registry::Registry;

/// Move `node`'s credential fields out of its properties into `creds`.
/// Returns the fields moved. A credential already stored for the field wins
/// (it is what the node used) and the property is dropped.
pub fn move_to_credentials(
    registry: &Registry,
    node: &mut Map<String, Value>,
    creds: &mut Credentials,
) -> Vec<String> {
    let Some(node_type) = node.get("type").and_then(Value::as_str) else {
        return Vec::new();
    };
    let fields = registry.credential_fields(node_type);
    if fields.is_empty() {
        return Vec::new();
    }
    let node_type = node_type.to_owned();
    let id = node
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut moved = Vec::new();
    for field in fields {
        if !node.get(field).is_some_and(is_literal) {
            continue;
        }
        let Some(value) = node.shift_remove(field) else {
            continue;
        };
        let stored = creds
            .get(&id)
            .and_then(|c| c.get(field))
            .is_some_and(is_literal);
        if stored {
            tracing::warn!(
                "{node_type} node {id}: property \"{field}\" is a credential of this node type \
                 and one is already stored; kept the stored one and dropped the property"
            );
        } else {
            tracing::warn!(
                "{node_type} node {id}: property \"{field}\" is a credential of this node type; \
                 moved it to the node's credentials (it is no longer kept in the flows file \
                 nor shown by the admin API)"
            );
            creds.set(&id, field, value);
        }
        moved.push(field.clone());
    }
    moved
}

/// A value that is a secret itself: not empty, not an environment reference.
fn is_literal(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty() && envsubst::reference(s.trim()).is_none(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::NodeType;
    use serde_json::json;

    fn registry() -> Registry {
        fn build(
            _: &crate::model::NodeConfig,
            _: &mut crate::registry::BuildCx<'_>,
        ) -> Result<crate::registry::ConfigObject, crate::Problem> {
            Ok(std::sync::Arc::new(()))
        }
        let mut r = Registry::new();
        r.register(
            NodeType::config("keyed", build)
                .editor(r#"{"credentials":{"secret":{"type":"password"},"user":{"type":"text"}}}"#),
        );
        r
    }

    #[test]
    fn literal_credential_fields_move_and_references_stay() {
        let mut creds = Credentials::new();
        creds.set("k", "user", json!("stored"));
        let mut node = json!({"id": "k", "type": "keyed", "secret": "s3", "user": "plain",
                              "name": "n"})
        .as_object()
        .unwrap()
        .clone();
        let moved = move_to_credentials(&registry(), &mut node, &mut creds);
        assert_eq!(moved, ["secret", "user"]);
        assert_eq!(
            Value::Object(node),
            json!({"id": "k", "type": "keyed", "name": "n"})
        );
        assert_eq!(
            creds.to_json(),
            json!({"k": {"secret": "s3", "user": "stored"}})
        );

        let mut node = json!({"id": "r", "type": "keyed", "secret": "${JWT_SECRET}", "user": ""})
            .as_object()
            .unwrap()
            .clone();
        let before = node.clone();
        assert!(move_to_credentials(&registry(), &mut node, &mut creds).is_empty());
        assert_eq!(node, before);
    }
}

//! The process environment as flows see it. flowgate's own settings travel in
//! `FLOWGATE_*` variables, two of which are secrets (`FLOWGATE_ADMIN_TOKEN`
//! lets anyone deploy code, `FLOWGATE_CREDENTIAL_SECRET` opens every stored
//! credential), and a flow's author is not necessarily trusted with them. So
//! every place a flow reads the environment — `env.get` in function nodes,
//! `${NAME}` / `$(NAME)` property substitution, `env` typed values, the
//! template node's `env.NAME`, credentials given as `${NAME}` — goes through
//! [`var`], and a hidden variable reads as unset, exactly as Node-RED's
//! `envVarExcludes` setting hides variables from flows.
//!
//! The rule, in one place: hidden are every variable whose name starts with
//! `FLOWGATE_` (compared without regard to case) and the names in
//! [`HIDDEN_NAMES`]. Everything else is visible. A flow that needs one of
//! these values is given it under another name.

/// Prefix of the runtime's own variables; all are hidden from flows.
pub const HIDDEN_PREFIX: &str = "FLOWGATE_";

/// Other secret-bearing variables a flowgate (or migrated Node-RED) setup
/// conventionally holds: the credentials secret under Node-RED's customary
/// name.
pub const HIDDEN_NAMES: &[&str] = &["NODE_RED_CREDENTIAL_SECRET"];

/// Whether flows may read variable `name`.
pub fn visible(name: &str) -> bool {
    let prefixed = name
        .get(..HIDDEN_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(HIDDEN_PREFIX));
    !prefixed && !HIDDEN_NAMES.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// A process environment variable as flows see it: `None` when it is unset
/// or hidden.
pub fn var(name: &str) -> Option<String> {
    if visible(name) {
        std::env::var(name).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_variables_are_hidden() {
        assert!(!visible("FLOWGATE_ADMIN_TOKEN"));
        assert!(!visible("FLOWGATE_CREDENTIAL_SECRET"));
        assert!(!visible("flowgate_admin_token"));
        assert!(!visible("NODE_RED_CREDENTIAL_SECRET"));
        assert!(visible("FLOWGATE"));
        assert!(visible("HOME"));
        assert!(visible("NODE_RED_NODE_JWT_SECRET"));
        assert!(visible("É"));
    }
}

//! The modules a function node asks for in its `libs` setting (Node-RED's
//! "Setup → Modules"): a body gets each as a variable. Node.js's `crypto`
//! is the one flowgate provides (its hashes, for token flows); any other
//! module would run code flowgate cannot check, so it is a load error
//! naming the module.

use crate::convert::Mode;

/// One `libs` entry: the variable a body uses and the module it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lib {
    pub var: String,
    pub module: String,
}

/// The modules a body may name, by their Node.js names.
const PROVIDED: &[&str] = &["crypto", "node:crypto"];

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// Check the entries against the names the body already has (`reserved`):
/// the message says which entry cannot be had, and why.
pub fn check(libs: &[Lib], mode: Mode, reserved: &[&str]) -> Result<(), String> {
    for lib in libs {
        if !PROVIDED.contains(&lib.module.as_str()) {
            return Err(format!(
                "module `{}` (as `{}`) is not available: flowgate gives function bodies only Node.js's built-in `crypto` module (createHash, createHmac, randomUUID, randomBytes); do the work in flow nodes instead",
                lib.module, lib.var
            ));
        }
        if mode == Mode::Rhai {
            return Err(format!(
                "module `{}` (as `{}`): modules are for JavaScript bodies; a Rhai body has no module loader",
                lib.module, lib.var
            ));
        }
        if !is_identifier(&lib.var) || reserved.contains(&lib.var.as_str()) {
            return Err(format!("Invalid module variable name: {}", lib.var));
        }
    }
    Ok(())
}

/// The variables the modules add to a body's names.
pub fn vars(libs: &[Lib]) -> impl Iterator<Item = &str> {
    libs.iter().map(|l| l.var.as_str())
}

/// Rhai statements binding each module's variable (under its translated
/// name), put before the translated body.
pub fn prelude(libs: &[Lib]) -> String {
    libs.iter()
        .map(|l| {
            format!(
                "let {} = __b_crypto_module([]); ",
                crate::translate::mangle(&l.var)
            )
        })
        .collect()
}

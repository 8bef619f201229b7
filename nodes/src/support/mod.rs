//! What node types share and that is not a node: message property paths,
//! typed values, mustache, settings and their lenient readers, and
//! JavaScript's value and regular-expression rules.

pub mod json_text;
pub mod jsonata;
pub mod msgpath;
pub mod mustache;
pub mod reference;
pub mod settings;
pub mod typed_value;
pub mod util;
pub mod wire;

/// JavaScript's value and regular-expression rules on JSON values, shared
/// with the script crate (the switch, change and template nodes follow them).
pub use flowgate_script::{jsregex, jsvalue as js};

//! JavaScript function bodies from Node-RED/Ignite exports: a translator
//! from a JavaScript subset to Rhai, and the runtime library the translated
//! code calls to keep JavaScript's semantics (reference objects, ordered
//! keys, coercions, `null` vs `undefined`).

pub mod arrays;
pub mod buffer;
pub mod builtins;
pub mod callback;
pub mod date;
pub mod error;
pub mod expr;
pub mod jsmap;
pub mod methods;
pub mod nesting;
pub mod number;
pub mod ops;
pub mod pattern;
pub mod props;
pub mod regexp;
pub mod register;
pub mod stmt;
pub mod strings;
pub mod translate;
pub mod v8json;
pub mod values;

pub use error::{ErrorKind, TranslateError};
pub use translate::{mangle, translate};

//! The JavaScript library on Rhai: what translated function bodies call to
//! keep JavaScript's semantics (reference objects, ordered keys, coercions,
//! `null` vs `undefined`) and the built-in objects they use (`Math`, `JSON`,
//! `Buffer`, `Date`, `RegExp`, string and array methods).

pub mod arrays;
pub mod awaiting;
pub mod buffer;
pub mod buffer_rw;
pub mod builtins;
pub mod callback;
pub mod classes;
pub mod collate;
pub mod collections;
pub mod crypto;
pub mod date;
pub mod date_legacy;
pub mod date_methods;
pub mod date_parts;
pub mod inspect;
pub mod intl;
pub mod jsmap;
pub mod json_callbacks;
pub mod localtime;
pub mod methods;
pub mod msgprop;
pub mod number;
pub mod number_locale;
pub mod number_methods;
pub mod number_style;
pub mod object_builtins;
pub mod objects;
pub mod ops;
pub mod prim;
pub mod promise;
pub mod props;
pub mod regexp;
pub mod register;
pub mod strings;
pub mod unicode;
pub mod v8json;
pub mod values;

/// Argument `i` of a built-in's argument array; `undefined` when the call
/// passed fewer (JavaScript's rule for missing arguments).
pub fn arg(args: &[rhai::Dynamic], i: usize) -> rhai::Dynamic {
    args.get(i).cloned().unwrap_or(rhai::Dynamic::UNIT)
}

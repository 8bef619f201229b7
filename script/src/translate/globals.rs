//! The global names a Node-RED function body can see (the JavaScript
//! built-ins of its `vm` context and the sandbox's own), so a name no one
//! declares can be told apart from one flowgate lacks.

/// Globals of Node-RED's sandbox that flowgate does not provide: a body
/// using one is refused when the flow loads, naming it (in Node-RED it
/// would run). Any other undeclared name is a `ReferenceError` when read,
/// as in Node-RED.
const NOT_PROVIDED: &[&str] = &[
    "util",
    "promisify",
    "Symbol",
    "Promise",
    "Proxy",
    "Reflect",
    "Map",
    "Set",
    "WeakMap",
    "WeakSet",
    "WeakRef",
    "FinalizationRegistry",
    "BigInt",
    "globalThis",
    "ArrayBuffer",
    "SharedArrayBuffer",
    "DataView",
    "Atomics",
    "Uint8Array",
    "Int8Array",
    "Uint16Array",
    "Int16Array",
    "Uint32Array",
    "Int32Array",
    "Float32Array",
    "Float64Array",
    "Uint8ClampedArray",
    "BigUint64Array",
    "BigInt64Array",
    "AggregateError",
    "WebAssembly",
    "Iterator",
    "escape",
    "unescape",
    "Intl",
    "Object",
    "Array",
    "Number",
    "String",
    "Boolean",
    "Date",
    "RegExp",
    "Error",
    "JSON",
    "Math",
    "Buffer",
    "console",
    "RED",
    "setTimeout",
    "setInterval",
    "clearTimeout",
    "clearInterval",
    "require",
];

/// Whether reading undeclared `name` is a load error (a global Node-RED
/// has and this translation lacks) rather than JavaScript's run-time
/// `ReferenceError: name is not defined`.
pub fn is_sandbox_global(name: &str) -> bool {
    NOT_PROVIDED.contains(&name)
}

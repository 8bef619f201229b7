//! Node.js's `crypto` module as a body gets it through the function node's
//! modules (`libs: [{var: "crypto", module: "crypto"}]`), for the hashes
//! token flows use: `createHash`, `createHmac`, `randomUUID`, `randomBytes`,
//! on the RustCrypto hashes.

use std::sync::Arc;

use hmac::{Mac, SimpleHmac};
use md5::Md5;
use parking_lot::Mutex;
use rhai::{Dynamic, NativeCallContext};

use super::arg;
use sha1::Sha1;
use sha2::digest::core_api::BlockSizeUser;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use super::buffer;
use super::ops::{throw, to_number, to_string, JsResult};
use super::values::JsError;

/// The module object bound to the `libs` variable.
#[derive(Clone)]
pub struct CryptoModule;

/// The module's members (for `typeof crypto.createHash`).
pub const METHODS: &[&str] = &["createHash", "createHmac", "randomUUID", "randomBytes"];

/// The members of a Hash or Hmac object.
pub const HASH_METHODS: &[&str] = &["update", "digest"];

/// The algorithms offered, by their OpenSSL names.
#[derive(Clone, Copy)]
enum Algorithm {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    fn named(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "md5" => Algorithm::Md5,
            "sha1" | "sha-1" => Algorithm::Sha1,
            "sha224" | "sha-224" => Algorithm::Sha224,
            "sha256" | "sha-256" => Algorithm::Sha256,
            "sha384" | "sha-384" => Algorithm::Sha384,
            "sha512" | "sha-512" => Algorithm::Sha512,
            _ => return None,
        })
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            Algorithm::Md5 => Md5::digest(data).to_vec(),
            Algorithm::Sha1 => Sha1::digest(data).to_vec(),
            Algorithm::Sha224 => Sha224::digest(data).to_vec(),
            Algorithm::Sha256 => Sha256::digest(data).to_vec(),
            Algorithm::Sha384 => Sha384::digest(data).to_vec(),
            Algorithm::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        fn mac<D: Digest + BlockSizeUser>(key: &[u8], data: &[u8]) -> Vec<u8> {
            let mut m = SimpleHmac::<D>::new_from_slice(key).expect("HMAC takes any key length");
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
        match self {
            Algorithm::Md5 => mac::<Md5>(key, data),
            Algorithm::Sha1 => mac::<Sha1>(key, data),
            Algorithm::Sha224 => mac::<Sha224>(key, data),
            Algorithm::Sha256 => mac::<Sha256>(key, data),
            Algorithm::Sha384 => mac::<Sha384>(key, data),
            Algorithm::Sha512 => mac::<Sha512>(key, data),
        }
    }
}

/// A `Hash` or `Hmac` object: the input is kept until `digest()`, which
/// may be called once, as in Node.js.
#[derive(Clone)]
pub struct JsHash(Arc<Mutex<HashState>>);

struct HashState {
    algorithm: Algorithm,
    key: Option<Vec<u8>>,
    data: Vec<u8>,
    finished: bool,
}

fn node_error(code: &str, message: &str) -> Box<rhai::EvalAltResult> {
    Box::new(rhai::EvalAltResult::ErrorRuntime(
        Dynamic::from(JsError::with_code("Error", code, message)),
        rhai::Position::NONE,
    ))
}

/// Bytes of a string (in `enc`, UTF-8 by default) or a Buffer.
fn bytes_arg(v: &Dynamic, enc: Option<&Dynamic>, what: &str) -> JsResult<Vec<u8>> {
    if let Some(b) = buffer::bytes_of(v) {
        return Ok(b);
    }
    if v.is_string() {
        let enc = buffer::encoding(enc)?;
        return Ok(buffer::encode_string(&to_string(v), enc));
    }
    Err(Box::new(rhai::EvalAltResult::ErrorRuntime(
        Dynamic::from(JsError::with_code(
            "TypeError",
            "ERR_INVALID_ARG_TYPE",
            format!("The \"{what}\" argument must be of type string or an instance of Buffer, TypedArray, or DataView."),
        )),
        rhai::Position::NONE,
    )))
}

/// The module object (what `require("crypto")` gives in Node.js).
pub fn module(_: &NativeCallContext, _: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from(CryptoModule))
}

/// `crypto.name(args)`.
pub fn module_call(name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    Some(match name {
        "createHash" => {
            let alg = to_string(&arg(args, 0));
            match Algorithm::named(&alg) {
                Some(algorithm) => Ok(new_hash(algorithm, None)),
                None => Err(throw("Error", "Digest method not supported")),
            }
        }
        "createHmac" => {
            let alg = to_string(&arg(args, 0));
            let Some(algorithm) = Algorithm::named(&alg) else {
                return Some(Err(throw("Error", format!("Invalid digest: {alg}"))));
            };
            bytes_arg(&arg(args, 1), None, "key").map(|key| new_hash(algorithm, Some(key)))
        }
        "randomUUID" => Ok(Dynamic::from(uuid::Uuid::new_v4().to_string())),
        "randomBytes" => {
            let n = to_number(&arg(args, 0));
            if !(0.0..=2_147_483_647.0).contains(&n) || n.fract() != 0.0 {
                return Some(Err(Box::new(rhai::EvalAltResult::ErrorRuntime(
                    Dynamic::from(JsError::with_code(
                        "RangeError",
                        "ERR_OUT_OF_RANGE",
                        format!("The value of \"size\" is out of range. It must be >= 0 && <= 2147483647. Received {}", super::number::fmt(n)),
                    )),
                    rhai::Position::NONE,
                ))));
            }
            if let Err(e) = buffer::check_len(n as usize) {
                return Some(Err(e));
            }
            let bytes: Vec<u8> = (0..n as usize).map(|_| rand::random::<u8>()).collect();
            Ok(buffer::make(&bytes))
        }
        _ => return None,
    })
}

fn new_hash(algorithm: Algorithm, key: Option<Vec<u8>>) -> Dynamic {
    Dynamic::from(JsHash(Arc::new(Mutex::new(HashState {
        algorithm,
        key,
        data: Vec::new(),
        finished: false,
    }))))
}

/// `hash.update(data, enc)` (returns the hash, for chaining) and
/// `hash.digest(enc)` (a string in `enc`, or a Buffer without one).
pub fn hash_call(h: &JsHash, name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    let mut state = h.0.lock();
    Some(match name {
        "update" => {
            if state.finished {
                return Some(Err(node_error(
                    "ERR_CRYPTO_HASH_FINALIZED",
                    "Digest already called",
                )));
            }
            match bytes_arg(&arg(args, 0), args.get(1), "data") {
                Ok(b) => {
                    state.data.extend_from_slice(&b);
                    Ok(Dynamic::from(h.clone()))
                }
                Err(e) => Err(e),
            }
        }
        "digest" => {
            if state.finished {
                return Some(Err(node_error(
                    "ERR_CRYPTO_HASH_FINALIZED",
                    "Digest already called",
                )));
            }
            state.finished = true;
            let out = match &state.key {
                Some(key) => state.algorithm.hmac(key, &state.data),
                None => state.algorithm.hash(&state.data),
            };
            state.data = Vec::new();
            let enc = arg(args, 0);
            if enc.is_unit() || (enc.is_string() && to_string(&enc) == "buffer") {
                Ok(buffer::make(&out))
            } else {
                buffer::encoding(Some(&enc)).map(|e| Dynamic::from(buffer::decode_bytes(&out, e)))
            }
        }
        _ => return None,
    })
}

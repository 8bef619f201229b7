//! JSONata 2.x standard library functions jsonata-rs does not implement,
//! written to jsonata-js's definitions (functions.js as Node-RED 5 ships it).

use bumpalo::collections::String as BumpString;
use flowgate_script::jslib::builtins::{URI, URI_COMPONENT as COMPONENT};
use jsonata_rs::{ArrayFlags, Error, FunctionContext, Value as JValue};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet};
use rand::seq::SliceRandom;

type Result<'a> = jsonata_rs::Result<&'a JValue<'a>>;

/// Native functions bound with Node-RED's extensions, by name and arity.
pub const FUNCTIONS: &[(&str, usize, super::bindings::Native)] = &[
    ("average", 1, average),
    ("type", 1, type_of),
    ("spread", 1, spread),
    ("shuffle", 1, shuffle),
    ("sift", 2, sift),
    ("formatBase", 2, format_base),
    ("formatNumber", 3, super::format_number::format_number),
    ("encodeUrlComponent", 1, encode_url_component),
    ("encodeUrl", 1, encode_url),
    ("decodeUrlComponent", 1, decode_url_component),
    ("decodeUrl", 1, decode_url),
];

fn arg<'a>(args: &[&'a JValue<'a>], i: usize) -> &'a JValue<'a> {
    args.get(i).copied().unwrap_or_else(JValue::undefined)
}

fn not_valid(ctx: &FunctionContext<'_, '_>, index: usize) -> Error {
    Error::T0410ArgumentNotValid(ctx.char_index, index, ctx.name.to_string())
}

fn string<'a>(ctx: &FunctionContext<'a, '_>, s: &str) -> &'a JValue<'a> {
    JValue::string(ctx.arena, s)
}

/// `$average(array)`: the mean of numbers; `undefined` for none.
fn average<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a JValue<'a>]) -> Result<'a> {
    let a = arg(args, 0);
    if a.is_undefined() {
        return Ok(JValue::undefined());
    }
    let a = JValue::wrap_in_array_if_needed(ctx.arena, a, ArrayFlags::empty());
    if a.is_empty() {
        return Ok(JValue::undefined());
    }
    let mut sum = 0.0;
    for m in a.members() {
        if !m.is_number() {
            let name = ctx.name.to_string();
            return Err(Error::T0412ArgumentMustBeArrayOfType(
                ctx.char_index,
                1,
                name,
                "number".into(),
            ));
        }
        sum += m.as_f64();
    }
    Ok(JValue::number(ctx.arena, sum / a.len() as f64))
}

/// `$type(value)`.
fn type_of<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a JValue<'a>]) -> Result<'a> {
    let v = arg(args, 0);
    Ok(match v {
        JValue::Undefined => JValue::undefined(),
        JValue::Null => string(&ctx, "null"),
        JValue::Number(_) => string(&ctx, "number"),
        JValue::String(_) => string(&ctx, "string"),
        JValue::Bool(_) => string(&ctx, "boolean"),
        JValue::Array(..) | JValue::Range(..) => string(&ctx, "array"),
        JValue::Lambda { .. } | JValue::NativeFn { .. } | JValue::Transformer { .. } => {
            string(&ctx, "function")
        }
        JValue::Object(_) | JValue::Regex(_) => string(&ctx, "object"),
    })
}

/// `$spread(object)`: one single-member object per member; arrays are
/// spread member by member, other values returned as they are.
fn spread<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a JValue<'a>]) -> Result<'a> {
    let v = arg(args, 0);
    if v.is_array() {
        let out = JValue::array(ctx.arena, ArrayFlags::SEQUENCE);
        for m in v.members() {
            push_spread(&ctx, out, m);
        }
        return Ok(out);
    }
    if !v.is_object() {
        return Ok(v);
    }
    let out = JValue::array(ctx.arena, ArrayFlags::SEQUENCE);
    push_spread(&ctx, out, v);
    Ok(out)
}

fn push_spread<'a>(ctx: &FunctionContext<'a, '_>, out: &mut JValue<'a>, v: &'a JValue<'a>) {
    if !v.is_object() {
        out.push(v);
        return;
    }
    for (k, m) in v.entries() {
        let one = JValue::object_with_capacity(ctx.arena, 1);
        one.insert(k, m);
        out.push(one);
    }
}

/// `$shuffle(array)`: the members in random order.
fn shuffle<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a JValue<'a>]) -> Result<'a> {
    let a = arg(args, 0);
    if a.is_undefined() {
        return Ok(JValue::undefined());
    }
    let a = JValue::wrap_in_array_if_needed(ctx.arena, a, ArrayFlags::empty());
    let mut members: Vec<&'a JValue<'a>> = a.members().collect();
    members.shuffle(&mut rand::thread_rng());
    let out = JValue::array_with_capacity(ctx.arena, members.len(), ArrayFlags::empty());
    for m in members {
        out.push(m);
    }
    Ok(out)
}

/// `$sift(object, function($v, $k, $o))`: the members the function keeps.
fn sift<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a JValue<'a>]) -> Result<'a> {
    let (obj, func) = (arg(args, 0), arg(args, 1));
    if obj.is_undefined() {
        return Ok(JValue::undefined());
    }
    if !obj.is_object() {
        return Err(not_valid(&ctx, 1));
    }
    if !func.is_function() {
        return Err(not_valid(&ctx, 2));
    }
    let arity = func.arity().max(1);
    let out = JValue::object(ctx.arena);
    for (k, v) in obj.entries() {
        let key: &'a JValue<'a> = JValue::string(ctx.arena, k);
        let call = [*v, key, obj];
        let keep = ctx.evaluate_function(func, &call[..arity.min(3)])?;
        if keep.is_truthy() {
            out.insert(k, v);
        }
    }
    Ok(if out.entries().len() == 0 {
        JValue::undefined()
    } else {
        out
    })
}

/// `$formatBase(number, radix)`: the rounded number in base 2 to 36.
fn format_base<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a JValue<'a>]) -> Result<'a> {
    let n = arg(args, 0);
    if n.is_undefined() {
        return Ok(JValue::undefined());
    }
    if !n.is_number() {
        return Err(not_valid(&ctx, 1));
    }
    let radix = match arg(args, 1) {
        JValue::Undefined => 10.0,
        r if r.is_number() => r.as_f64(),
        _ => return Err(not_valid(&ctx, 2)),
    };
    if !(2.0..=36.0).contains(&radix) {
        return Err(Error::D3137Error(format!(
            "The radix of the formatBase function must be between 2 and 36.  It was given {}",
            jsonata_rs::js_number_text(radix)
        )));
    }
    Ok(string(
        &ctx,
        &in_radix(round_half_even(n.as_f64()), radix as u32),
    ))
}

/// jsonata-js's `$round` without digits: halves to the even neighbour.
fn round_half_even(n: f64) -> f64 {
    let r = n.round();
    if (n - n.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - n.signum()
    } else {
        r
    }
}

/// `Number.prototype.toString(radix)` for an integral value.
fn in_radix(n: f64, radix: u32) -> String {
    if radix == 10 || n.abs() >= 2f64.powi(63) {
        return jsonata_rs::js_number_text(n);
    }
    let mut v = n.abs() as u64;
    let mut digits = Vec::new();
    loop {
        digits.push(std::char::from_digit((v % radix as u64) as u32, radix).unwrap_or('0'));
        v /= radix as u64;
        if v == 0 {
            break;
        }
    }
    if n < 0.0 {
        digits.push('-');
    }
    digits.iter().rev().collect()
}

fn encode<'a>(
    ctx: FunctionContext<'a, '_>,
    args: &[&'a JValue<'a>],
    set: &'static AsciiSet,
) -> Result<'a> {
    let s = arg(args, 0);
    if s.is_undefined() {
        return Ok(JValue::undefined());
    }
    if !s.is_string() {
        return Err(not_valid(&ctx, 1));
    }
    let text = s.as_str();
    let encoded: String = utf8_percent_encode(&text, set).collect();
    Ok(string(&ctx, &encoded))
}

fn encode_url_component<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a JValue<'a>]) -> Result<'a> {
    encode(ctx, args, COMPONENT)
}

fn encode_url<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a JValue<'a>]) -> Result<'a> {
    encode(ctx, args, URI)
}

/// `decodeURIComponent` (`keep_reserved`: `decodeURI`, which leaves the
/// escapes of URI delimiters as they are). Malformed escapes fail with
/// jsonata-js's D3140 message.
fn decode<'a>(
    ctx: FunctionContext<'a, '_>,
    args: &[&'a JValue<'a>],
    keep_reserved: bool,
) -> Result<'a> {
    let s = arg(args, 0);
    if s.is_undefined() {
        return Ok(JValue::undefined());
    }
    if !s.is_string() {
        return Err(not_valid(&ctx, 1));
    }
    let text = s.as_str();
    let quoted = serde_json::to_string(&*text).unwrap_or_default();
    let malformed =
        || Error::D3137Error(format!("Malformed URL passed to ${}(): {quoted}", ctx.name));
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3).ok_or_else(malformed)?;
            u8::from_str_radix(hex, 16).map_err(|_| malformed())?;
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut out = BumpString::new_in(ctx.arena);
    let mut rest = &text[..];
    while let Some(p) = rest.find('%') {
        out.push_str(&rest[..p]);
        let byte = u8::from_str_radix(&rest[p + 1..p + 3], 16).map_err(|_| malformed())?;
        let len = match byte {
            0x00..=0x7f => 1,
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => return Err(malformed()),
        };
        let seq = rest.get(p..p + 3 * len).ok_or_else(malformed)?;
        if len == 1 && keep_reserved && b";,/?:@&=+$#".contains(&byte) {
            out.push_str(seq);
        } else {
            let decoded = percent_decode_str(seq)
                .decode_utf8()
                .map_err(|_| malformed())?;
            if decoded.chars().count() != 1 {
                return Err(malformed());
            }
            out.push_str(&decoded);
        }
        rest = &rest[p + 3 * len..];
    }
    out.push_str(rest);
    Ok(ctx.arena.alloc(JValue::String(out)))
}

fn decode_url_component<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a JValue<'a>]) -> Result<'a> {
    decode(ctx, args, false)
}

fn decode_url<'a>(ctx: FunctionContext<'a, '_>, args: &[&'a JValue<'a>]) -> Result<'a> {
    decode(ctx, args, true)
}

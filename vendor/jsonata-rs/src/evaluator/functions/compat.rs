//! Library functions written to jsonata-js 2.x's definitions (functions.js
//! as Node-RED 5 ships it) where this crate answered differently.

use base64::Engine;

use crate::{Error, Result};

use super::super::value::{ArrayFlags, Value};
use super::FunctionContext;

/// `$number(arg)`: decimal JSON-number text, or `0x`/`0o`/`0b` integer text,
/// as jsonata-js casts; any other text is an error (D3030).
pub fn fn_number<'a>(
    context: FunctionContext<'a, '_>,
    args: &[&'a Value<'a>],
) -> Result<&'a Value<'a>> {
    max_args!(context, args, 1);

    let arg = args.first().copied().unwrap_or_else(Value::undefined);

    match arg {
        Value::Undefined => Ok(Value::undefined()),
        Value::Number(..) => Ok(arg),
        Value::Bool(true) => Ok(Value::number(context.arena, 1)),
        Value::Bool(false) => Ok(Value::number(context.arena, 0)),
        Value::String(s) => match cast_number(s) {
            // jsonata-js answers NaN there; a NaN has no JSON form.
            Some(n) if n.is_nan() => Ok(Value::undefined()),
            Some(n) => Ok(Value::number(context.arena, n)),
            None => Err(Error::D3030NonNumericCast(
                context.char_index,
                arg.to_string(),
            )),
        },
        _ => bad_arg!(context, 1),
    }
}

/// jsonata-js's string cast: `/^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$/`
/// when finite, else (its regular expression is unanchored in the middle)
/// text starting `0x…`, containing `0o…` or ending `0b…` goes through
/// JavaScript's `Number`, which is NaN unless the whole trimmed text is
/// such a literal. `None` is a cast error.
fn cast_number(s: &str) -> Option<f64> {
    if is_json_number(s) {
        return s.parse::<f64>().ok().filter(|n| n.is_finite());
    }
    let b = s.as_bytes();
    let radix_run = |at: usize, radix: u32| {
        b.get(at..)
            .map(|r| {
                r.iter()
                    .take_while(|c| (**c as char).is_digit(radix))
                    .count()
            })
            .unwrap_or(0)
    };
    let prefixed = |at: usize, marks: &[u8]| {
        b.get(at) == Some(&b'0') && b.get(at + 1).is_some_and(|c| marks.contains(c))
    };
    let hex_start = prefixed(0, b"xX") && radix_run(2, 16) > 0;
    let octal_inside = (0..b.len()).any(|i| prefixed(i, b"oO") && radix_run(i + 2, 8) > 0);
    let binary_end = (0..b.len()).any(|i| {
        prefixed(i, b"bB") && radix_run(i + 2, 2) > 0 && i + 2 + radix_run(i + 2, 2) == b.len()
    });
    if !(hex_start || octal_inside || binary_end) {
        return None;
    }
    Some(radix_literal(s.trim()).unwrap_or(f64::NAN))
}

/// `0x1F`, `0o17`, `0b101` as JavaScript's `Number` reads them.
fn radix_literal(s: &str) -> Option<f64> {
    let radix = match s.get(..2)? {
        "0x" | "0X" => 16,
        "0o" | "0O" => 8,
        "0b" | "0B" => 2,
        _ => return None,
    };
    let digits = &s[2..];
    if digits.is_empty() {
        return None;
    }
    digits.chars().try_fold(0.0_f64, |n, c| {
        c.to_digit(radix).map(|d| n * radix as f64 + d as f64)
    })
}

fn is_json_number(s: &str) -> bool {
    let b = s.strip_prefix('-').unwrap_or(s).as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = digits(0);
    if i == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        let n = digits(i + 1);
        if n == 0 {
            return false;
        }
        i += 1 + n;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = digits(i);
        if n == 0 {
            return false;
        }
        i += n;
    }
    i == b.len()
}

/// `$base64encode(str)`: jsonata-js encodes `Buffer.from(str, 'binary')`,
/// the low byte of each UTF-16 unit (Latin-1 text as itself).
pub fn fn_base64_encode<'a>(
    context: FunctionContext<'a, '_>,
    args: &[&'a Value<'a>],
) -> Result<&'a Value<'a>> {
    max_args!(context, args, 1);
    let arg = args.first().copied().unwrap_or_else(Value::undefined);
    if arg.is_undefined() {
        return Ok(Value::undefined());
    }
    assert_arg!(arg.is_string(), context, 1);

    let bytes: Vec<u8> = arg.as_str().encode_utf16().map(|u| u as u8).collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(Value::string(context.arena, &encoded))
}

/// `$base64decode(str)`: jsonata-js answers `Buffer.from(str, 'base64')
/// .toString('binary')`: each byte one character U+0000-U+00FF; Node's
/// decoder reads the standard and URL-safe alphabets, skips any other
/// character, stops at the first `=` and drops an incomplete last byte.
pub fn fn_base64_decode<'a>(
    context: FunctionContext<'a, '_>,
    args: &[&'a Value<'a>],
) -> Result<&'a Value<'a>> {
    max_args!(context, args, 1);
    let arg = args.first().copied().unwrap_or_else(Value::undefined);
    if arg.is_undefined() {
        return Ok(Value::undefined());
    }
    assert_arg!(arg.is_string(), context, 1);

    let mut decoded = String::new();
    let (mut bits, mut count) = (0_u32, 0_u32);
    for c in arg.as_str().chars() {
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' | '-' => 62,
            '/' | '_' => 63,
            '=' => break,
            _ => continue,
        };
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            decoded.push(char::from(((bits >> count) & 0xff) as u8));
        }
    }
    Ok(Value::string(context.arena, &decoded))
}

/// The deepest tree `$eval` parses: its text may come from data, and
/// parsing recurses per level (a 2 MiB stack holds some 400 levels in an
/// unoptimised build).
const EVAL_MAX_DEPTH: usize = 200;

fn parse_for_eval(text: &str) -> Result<crate::parser::ast::Ast> {
    let syntax = |e: Error| Error::D3120EvalSyntax(e.to_string());
    if crate::parser::depth_bound(text).map_err(syntax)? > EVAL_MAX_DEPTH {
        return Err(Error::D3120EvalSyntax(format!(
            "the expression nests more than {EVAL_MAX_DEPTH} levels deep"
        )));
    }
    crate::parser::parse(text).map_err(syntax)
}

/// `$eval(expr[, context])`: parses `expr` and evaluates it against
/// `context` (else the caller's input) in the caller's scope, as
/// jsonata-js's `functionEval`.
pub fn fn_eval<'a>(
    context: FunctionContext<'a, '_>,
    args: &[&'a Value<'a>],
) -> Result<&'a Value<'a>> {
    max_args!(context, args, 2);
    let expr = args.first().copied().unwrap_or_else(Value::undefined);
    if expr.is_undefined() {
        return Ok(Value::undefined());
    }
    assert_arg!(expr.is_string(), context, 1);

    let mut input = context.input;
    if let Some(focus) = args.get(1).copied().filter(|f| !f.is_undefined()) {
        input = focus;
        // A JSON array is one input, not a sequence of inputs.
        if input.is_array() && !input.has_flags(ArrayFlags::SEQUENCE) {
            input = Value::wrap_in_array(context.arena, input, ArrayFlags::WRAPPED);
        }
    }
    let ast = parse_for_eval(&expr.as_str())?;
    context
        .evaluator
        .evaluate(&ast, input, &context.frame)
        .map_err(|e| match e {
            // The limits bound the whole evaluation, not this call.
            Error::U1001Timeout | Error::U1001StackOverflow => e,
            e => Error::D3121EvalDynamic(e.to_string()),
        })
}

/// An optional text argument: `None` when absent or undefined.
fn text_arg<'a>(
    context: &FunctionContext<'a, '_>,
    args: &[&'a Value<'a>],
    index: usize,
) -> Result<Option<String>> {
    match args.get(index) {
        None => Ok(None),
        Some(v) if v.is_undefined() => Ok(None),
        Some(v) if v.is_string() => Ok(Some(v.as_str().to_string())),
        Some(_) => Err(Error::T0410ArgumentNotValid(
            context.char_index,
            index + 1,
            context.name.to_string(),
        )),
    }
}

/// A number jsonata-js would give as NaN has no JSON form: undefined.
fn number_or_undefined<'a>(context: &FunctionContext<'a, '_>, n: f64) -> &'a Value<'a> {
    if n.is_finite() {
        Value::number(context.arena, n)
    } else {
        Value::undefined()
    }
}

/// `$formatInteger(number, picture)`.
pub fn fn_format_integer<'a>(
    context: FunctionContext<'a, '_>,
    args: &[&'a Value<'a>],
) -> Result<&'a Value<'a>> {
    max_args!(context, args, 2);
    let value = args.first().copied().unwrap_or_else(Value::undefined);
    if value.is_undefined() {
        return Ok(Value::undefined());
    }
    assert_arg!(value.is_number(), context, 1);
    let Some(picture) = text_arg(&context, args, 1)? else {
        bad_arg!(context, 2);
    };
    let text = crate::picture::integer::format_integer(value.as_f64(), &picture)?;
    Ok(Value::string(context.arena, &text))
}

/// `$parseInteger(string, picture)`.
pub fn fn_parse_integer<'a>(
    context: FunctionContext<'a, '_>,
    args: &[&'a Value<'a>],
) -> Result<&'a Value<'a>> {
    max_args!(context, args, 2);
    let Some(text) = text_arg(&context, args, 0)? else {
        return Ok(Value::undefined());
    };
    let Some(picture) = text_arg(&context, args, 1)? else {
        bad_arg!(context, 2);
    };
    let n = crate::picture::integer::parse_integer(&text, &picture)?;
    Ok(number_or_undefined(&context, n))
}

/// `$fromMillis(millis[, picture[, timezone]])`.
pub fn from_millis<'a>(
    context: FunctionContext<'a, '_>,
    args: &[&'a Value<'a>],
) -> Result<&'a Value<'a>> {
    max_args!(context, args, 3);
    let millis = args.first().copied().unwrap_or_else(Value::undefined);
    if millis.is_undefined() {
        return Ok(Value::undefined());
    }
    assert_arg!(millis.is_number(), context, 1);
    let picture = text_arg(&context, args, 1)?;
    let timezone = text_arg(&context, args, 2)?;
    let text = crate::picture::datetime::format_datetime(
        millis.as_f64(),
        picture.as_deref(),
        timezone.as_deref(),
    )?;
    Ok(Value::string(context.arena, &text))
}

/// `$now([picture[, timezone]])`: the time formatted as `$fromMillis` does.
pub fn fn_now<'a>(
    context: FunctionContext<'a, '_>,
    args: &[&'a Value<'a>],
) -> Result<&'a Value<'a>> {
    max_args!(context, args, 2);
    let picture = text_arg(&context, args, 0)?;
    let timezone = text_arg(&context, args, 1)?;
    let now = chrono::Utc::now().timestamp_millis() as f64;
    let text =
        crate::picture::datetime::format_datetime(now, picture.as_deref(), timezone.as_deref())?;
    Ok(Value::string(context.arena, &text))
}

/// `$toMillis(timestamp[, picture])`: ISO 8601 text without a picture,
/// else the text the picture describes (undefined when it does not match).
pub fn to_millis<'a>(
    context: FunctionContext<'a, '_>,
    args: &[&'a Value<'a>],
) -> Result<&'a Value<'a>> {
    max_args!(context, args, 2);
    let Some(timestamp) = text_arg(&context, args, 0)? else {
        return Ok(Value::undefined());
    };
    let Some(picture) = text_arg(&context, args, 1)? else {
        if timestamp.is_empty() {
            return Ok(Value::undefined());
        }
        return Ok(match crate::datetime::parse_custom_format(&timestamp, "") {
            Some(millis) => Value::number(context.arena, millis as f64),
            None => Value::undefined(),
        });
    };
    let now = chrono::Utc::now().timestamp_millis() as f64;
    match crate::picture::datetime::parse_datetime(&timestamp, &picture, now)? {
        Some(n) => Ok(number_or_undefined(&context, n)),
        None => Ok(Value::undefined()),
    }
}

//! `util.inspect` and `util.format`, which Node-RED's function sandbox
//! offers as `util`: a port of Node.js's `internal/util/inspect.js` for the
//! values a function body holds (primitives, objects, arrays, dates,
//! errors, functions, Buffers, Map and Set), with its defaults: depth 2,
//! lines up to 80 columns, the innermost three levels of nesting on one
//! line when they fit, arrays of more than six short items in columns, at
//! most 100 items and 10,000 characters of a string shown.

use rhai::{Dynamic, FnPtr, ImmutableString, NativeCallContext};

use super::arg;
use super::collections::{JsCollection, Kind};
use super::jsmap::Proto;
use super::number::{num, parse_float, parse_int};
use super::ops::{self, JsResult};
use super::values::{as_array, as_object, JsDate, JsError, JsFunction, JsMethod, JsNull};

const BREAK_LENGTH: usize = 80;
const COMPACT: usize = 3;
const MAX_ARRAY_LENGTH: usize = 100;
const MAX_STRING_LENGTH: usize = 10_000;
const MIN_LINE_LENGTH: usize = 16;

/// How deep `inspect` goes: `Some(n)` levels below the value, or all.
#[derive(Clone, Copy)]
pub struct Depth(Option<i64>);

struct Ctx {
    depth: Depth,
    indentation: usize,
    current_depth: usize,
    /// The containers being formatted, outermost first (their addresses).
    seen: Vec<usize>,
    /// Containers met again inside themselves, numbered as Node numbers
    /// them (`<ref *1>` … `[Circular *1]`).
    circular: Vec<usize>,
}

/// `util.inspect(value)` with Node's default options.
pub fn inspect(v: &Dynamic) -> String {
    inspect_with(v, Depth(Some(2)))
}

fn inspect_with(v: &Dynamic, depth: Depth) -> String {
    let mut ctx = Ctx {
        depth,
        indentation: 0,
        current_depth: 0,
        seen: Vec::new(),
        circular: Vec::new(),
    };
    format_value(&mut ctx, v, 0)
}

/// UTF-16 length, as JavaScript measures strings.
fn js_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn format_value(ctx: &mut Ctx, v: &Dynamic, level: usize) -> String {
    if let Some(p) = format_primitive(ctx, v) {
        return p;
    }
    format_raw(ctx, v, level)
}

fn format_primitive(ctx: &Ctx, v: &Dynamic) -> Option<String> {
    if v.is_unit() {
        return Some("undefined".into());
    }
    if v.is::<JsNull>() {
        return Some("null".into());
    }
    if let Ok(b) = v.as_bool() {
        return Some(b.to_string());
    }
    if let Some(f) = ops::as_f64(v) {
        return Some(format_number(f));
    }
    let s = v.read_lock::<ImmutableString>()?;
    Some(format_string(ctx, s.as_str()))
}

fn format_number(f: f64) -> String {
    if f == 0.0 && f.is_sign_negative() {
        "-0".into()
    } else {
        ops::to_string(&num(f)).to_string()
    }
}

fn format_string(ctx: &Ctx, s: &str) -> String {
    let units: Vec<u16> = s.encode_utf16().collect();
    let (text, trailer) = if units.len() > MAX_STRING_LENGTH {
        let rest = units.len() - MAX_STRING_LENGTH;
        (
            String::from_utf16_lossy(&units[..MAX_STRING_LENGTH]),
            format!(
                "... {rest} more character{}",
                if rest > 1 { "s" } else { "" }
            ),
        )
    } else {
        (s.to_owned(), String::new())
    };
    let len = js_len(&text);
    if len > MIN_LINE_LENGTH && len + ctx.indentation + 4 > BREAK_LENGTH {
        let lines: Vec<String> = text.split_inclusive('\n').map(quote).collect();
        let joiner = format!(" +\n{}", " ".repeat(ctx.indentation + 2));
        return format!("{}{trailer}", lines.join(&joiner));
    }
    format!("{}{trailer}", quote(&text))
}

/// Node's `strEscape`: single quotes, or double quotes (then backticks)
/// when the text holds single quotes; control characters escaped.
pub fn quote(s: &str) -> String {
    let quote = if !s.contains('\'') {
        '\''
    } else if !s.contains('"') {
        '"'
    } else if !s.contains('`') && !s.contains("${") {
        '`'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\'' if quote == '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// A property name as Node writes it: bare when it is an identifier.
fn format_key(k: &str) -> String {
    let mut chars = k.chars();
    let ident = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ident {
        k.to_owned()
    } else if k == "__proto__" {
        "['__proto__']".into()
    } else {
        quote(k)
    }
}

/// The pieces of a container: what precedes it, its braces, its entries.
struct Shape {
    base: String,
    open: String,
    close: &'static str,
    array: bool,
    /// The array's values, for the number test of the column layout.
    numbers: bool,
    addr: usize,
    empty: bool,
    /// `[Object]`, `[Array]`… when deeper than the depth option.
    too_deep: String,
}

fn format_raw(ctx: &mut Ctx, v: &Dynamic, level: usize) -> String {
    if let Some(d) = v.read_lock::<JsDate>() {
        return super::date::to_iso(d.time()).unwrap_or_else(|| "Invalid Date".into());
    }
    if v.is::<FnPtr>() || v.is::<JsFunction>() || v.is::<JsMethod>() {
        return "[Function (anonymous)]".into();
    }
    if let Some(bytes) = super::buffer::bytes_of(v) {
        let shown: Vec<String> = bytes.iter().take(50).map(|b| format!("{b:02x}")).collect();
        let more = bytes.len().saturating_sub(50);
        let tail = if more > 0 {
            format!(" ... {more} more byte{}", if more > 1 { "s" } else { "" })
        } else {
            String::new()
        };
        return format!("<Buffer {}{tail}>", shown.join(" "));
    }
    let Some((shape, entries)) = shape_of(v) else {
        return ops::to_string(v).to_string();
    };
    if ctx.seen.contains(&shape.addr) {
        let index = match ctx.circular.iter().position(|&a| a == shape.addr) {
            Some(i) => i + 1,
            None => {
                ctx.circular.push(shape.addr);
                ctx.circular.len()
            }
        };
        return format!("[Circular *{index}]");
    }
    if shape.empty {
        return format!("{}{}", shape.open, shape.close);
    }
    if level >= crate::convert::MAX_DEPTH {
        // Where Node.js runs out of stack (much deeper: its frames are
        // smaller), with its words; a bound here keeps the thread's stack.
        let name = shape.too_deep.trim_matches(['[', ']']);
        return format!(
            "[{name}: Inspection interrupted prematurely. Maximum call stack size exceeded.]"
        );
    }
    if ctx.depth.0.is_some_and(|d| level as i64 > d) {
        return shape.too_deep;
    }
    let level = level + 1;
    ctx.seen.push(shape.addr);
    ctx.current_depth = level;
    let mut output = Vec::with_capacity(entries.len());
    for entry in entries {
        ctx.indentation += 2;
        let text = match entry {
            Entry::Item(value) => format_value(ctx, &value, level),
            Entry::Prop(key, value) => {
                format!("{}: {}", format_key(&key), format_value(ctx, &value, level))
            }
            Entry::Pair(key, value) => format!(
                "{} => {}",
                format_value(ctx, &key, level),
                format_value(ctx, &value, level)
            ),
            Entry::More(text) => text,
        };
        ctx.indentation -= 2;
        output.push(text);
    }
    ctx.seen.pop();
    let mut base = shape.base.clone();
    if let Some(i) = ctx.circular.iter().position(|&a| a == shape.addr) {
        let reference = format!("<ref *{}>", i + 1);
        base = if base.is_empty() {
            reference
        } else {
            format!("{reference} {base}")
        };
    }
    reduce_to_single_string(ctx, output, &base, &shape, level)
}

enum Entry {
    Item(Dynamic),
    Prop(ImmutableString, Dynamic),
    Pair(Dynamic, Dynamic),
    More(String),
}

fn more_items(n: usize) -> Entry {
    Entry::More(format!("... {n} more item{}", if n > 1 { "s" } else { "" }))
}

/// A container's shape and entries, or `None` for a value that is none.
fn shape_of(v: &Dynamic) -> Option<(Shape, Vec<Entry>)> {
    if let Some(a) = as_array(v) {
        let items = a.items();
        let numbers = items.iter().all(|x| ops::as_f64(x).is_some());
        let mut entries: Vec<Entry> = items
            .iter()
            .take(MAX_ARRAY_LENGTH)
            .cloned()
            .map(Entry::Item)
            .collect();
        if items.len() > MAX_ARRAY_LENGTH {
            entries.push(more_items(items.len() - MAX_ARRAY_LENGTH));
        }
        let shape = Shape {
            base: String::new(),
            open: "[".into(),
            close: "]",
            array: true,
            numbers,
            addr: a.addr(),
            empty: items.is_empty(),
            too_deep: "[Array]".into(),
        };
        return Some((shape, entries));
    }
    if let Some(c) = v.read_lock::<JsCollection>() {
        let items = c.items();
        let name = c.kind.name();
        let entries = items
            .iter()
            .map(|x| match c.kind {
                Kind::Map | Kind::WeakMap => {
                    let pair = as_array(x).map(|p| p.items()).unwrap_or_default();
                    let get = |i: usize| pair.get(i).cloned().unwrap_or(Dynamic::UNIT);
                    Entry::Pair(get(0), get(1))
                }
                Kind::Set | Kind::WeakSet => Entry::Item(x.clone()),
            })
            .collect();
        let shape = Shape {
            base: String::new(),
            open: format!("{name}({}) {{", items.len()),
            close: "}",
            array: false,
            numbers: false,
            addr: c.addr(),
            empty: items.is_empty(),
            too_deep: format!("[{name}]"),
        };
        return Some((shape, entries));
    }
    if let Some(e) = v.read_lock::<JsError>() {
        let props = e.props.entries();
        let entries = props
            .into_iter()
            .map(|(k, v)| Entry::Prop(k, v))
            .collect::<Vec<_>>();
        let text = format!("{}: {}", e.name, e.message);
        let shape = Shape {
            base: text.clone(),
            open: "{".into(),
            close: "}",
            array: false,
            numbers: false,
            addr: e.props.addr(),
            empty: false,
            too_deep: format!("[{text}]"),
        };
        if entries.is_empty() {
            return Some((
                Shape {
                    base: String::new(),
                    open: text,
                    close: "",
                    empty: true,
                    ..shape
                },
                Vec::new(),
            ));
        }
        return Some((shape, entries));
    }
    let o = as_object(v)?;
    let null_proto = matches!(o.proto(), Proto::Null);
    let entries: Vec<Entry> = o
        .entries()
        .into_iter()
        .map(|(k, v)| Entry::Prop(k, v))
        .collect();
    let prefix = if null_proto {
        "[Object: null prototype] "
    } else {
        ""
    };
    let shape = Shape {
        base: String::new(),
        open: format!("{prefix}{{"),
        close: "}",
        array: false,
        numbers: false,
        addr: o.addr(),
        empty: entries.is_empty(),
        too_deep: if null_proto {
            "[Object: null prototype]".into()
        } else {
            "[Object]".into()
        },
    };
    Some((shape, entries))
}

/// Node's `reduceToSingleString`: one line when the innermost levels fit,
/// otherwise one entry per line.
fn reduce_to_single_string(
    ctx: &Ctx,
    mut output: Vec<String>,
    base: &str,
    shape: &Shape,
    level: usize,
) -> String {
    let entries = output.len();
    if shape.array && entries > 6 {
        output = group_array_elements(ctx, output, shape.numbers);
    }
    let base_sep = if base.is_empty() {
        String::new()
    } else {
        format!("{base} ")
    };
    if ctx.current_depth - level < COMPACT && entries == output.len() {
        let start = output.len() + ctx.indentation + js_len(&shape.open) + js_len(base) + 10;
        if below_break_length(&output, start, base) {
            let joined = output.join(", ");
            if !joined.contains('\n') {
                return format!("{base_sep}{} {joined} {}", shape.open, shape.close);
            }
        }
    }
    let indentation = format!("\n{}", " ".repeat(ctx.indentation));
    format!(
        "{base_sep}{}{indentation}  {}{indentation}{}",
        shape.open,
        output.join(&format!(",{indentation}  ")),
        shape.close
    )
}

fn below_break_length(output: &[String], start: usize, base: &str) -> bool {
    let mut total = output.len() + start;
    if total + output.len() > BREAK_LENGTH {
        return false;
    }
    for o in output {
        total += js_len(o);
        if total > BREAK_LENGTH {
            return false;
        }
    }
    base.is_empty() || !base.contains('\n')
}

/// Node's `groupArrayElements`: short items laid out in columns.
fn group_array_elements(ctx: &Ctx, output: Vec<String>, numbers: bool) -> Vec<String> {
    let separator = 2;
    let mut output_len = output.len();
    let has_more =
        output.last().is_some_and(|l| l.starts_with("... ")) && output_len > MAX_ARRAY_LENGTH;
    if has_more {
        output_len -= 1;
    }
    let data_len: Vec<usize> = output[..output_len]
        .iter()
        .map(|s| s.chars().count())
        .collect();
    let total: usize = data_len.iter().map(|l| l + separator).sum();
    let max_len = data_len.iter().copied().max().unwrap_or(0);
    let actual_max = max_len + separator;
    if !(actual_max * 3 + ctx.indentation < BREAK_LENGTH
        && (total as f64 / actual_max as f64 > 5.0 || max_len <= 6))
    {
        return output;
    }
    let average_bias = (actual_max as f64 - total as f64 / output.len() as f64).sqrt();
    let biased_max = (actual_max as f64 - 3.0 - average_bias).max(1.0);
    let columns = [
        ((2.5 * biased_max * output_len as f64).sqrt() / biased_max).round(),
        ((BREAK_LENGTH - ctx.indentation) / actual_max) as f64,
        (COMPACT * 4) as f64,
        15.0,
    ]
    .into_iter()
    .fold(f64::INFINITY, f64::min) as usize;
    if columns <= 1 {
        return output;
    }
    let max_line_length: Vec<usize> = (0..columns)
        .map(|i| {
            (i..output_len)
                .step_by(columns)
                .map(|j| data_len[j])
                .max()
                .unwrap_or(0)
                + separator
        })
        .collect();
    let mut grouped = Vec::new();
    let mut i = 0;
    while i < output_len {
        let max = (i + columns).min(output_len);
        let mut line = String::new();
        for j in i..max - 1 {
            let cell = format!("{}, ", output[j]);
            line.push_str(&pad(&cell, max_line_length[j - i], numbers));
        }
        let j = max - 1;
        if numbers {
            line.push_str(&pad(&output[j], max_line_length[j - i] - separator, true));
        } else {
            line.push_str(&output[j]);
        }
        grouped.push(line);
        i += columns;
    }
    if has_more {
        grouped.push(output[output_len].clone());
    }
    grouped
}

fn pad(s: &str, width: usize, start: bool) -> String {
    let len = s.chars().count();
    if len >= width {
        return s.to_owned();
    }
    let fill = " ".repeat(width - len);
    if start {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    }
}

/// `util.format(format, ...args)`.
pub fn format(args: &[Dynamic]) -> String {
    let Some(first) = args.first() else {
        return String::new();
    };
    let mut out = String::new();
    let mut a = 0;
    let mut joiner = "";
    if let Some(f) = first.read_lock::<ImmutableString>().map(|s| s.to_string()) {
        if args.len() == 1 {
            return f;
        }
        let chars: Vec<char> = f.chars().collect();
        let mut last = 0;
        let mut i = 0;
        while i + 1 < chars.len() {
            if chars[i] == '%' {
                i += 1;
                let next = chars[i];
                if a + 1 != args.len() {
                    let text = match next {
                        's' => {
                            a += 1;
                            format_s(&args[a])
                        }
                        'j' => {
                            a += 1;
                            match crate::convert::stringify(&args[a], None, "") {
                                Ok(Some(s)) => s,
                                Ok(None) => "undefined".into(),
                                Err(_) => "[Circular]".into(),
                            }
                        }
                        'd' => {
                            a += 1;
                            format_number(ops::to_number(&args[a]))
                        }
                        'O' => {
                            a += 1;
                            inspect(&args[a])
                        }
                        'o' => {
                            a += 1;
                            inspect_with(&args[a], Depth(Some(4)))
                        }
                        'i' => {
                            a += 1;
                            format_number(parse_int(&ops::to_string(&args[a]), None))
                        }
                        'f' => {
                            a += 1;
                            format_number(parse_float(&ops::to_string(&args[a])))
                        }
                        'c' => {
                            a += 1;
                            String::new()
                        }
                        '%' => {
                            out.extend(&chars[last..i]);
                            last = i + 1;
                            i += 1;
                            continue;
                        }
                        _ => {
                            i += 1;
                            continue;
                        }
                    };
                    if last != i - 1 {
                        out.extend(&chars[last..i - 1]);
                    }
                    out.push_str(&text);
                    last = i + 1;
                } else if next == '%' {
                    out.extend(&chars[last..i]);
                    last = i + 1;
                }
            }
            i += 1;
        }
        if last != 0 {
            a += 1;
            joiner = " ";
            if last < chars.len() {
                out.extend(&chars[last..]);
            }
        }
    }
    while a < args.len() {
        let v = &args[a];
        out.push_str(joiner);
        match v.read_lock::<ImmutableString>() {
            Some(s) => out.push_str(s.as_str()),
            None => out.push_str(&inspect_with(v, Depth(Some(0)))),
        }
        joiner = " ";
        a += 1;
    }
    out
}

/// `%s`: `String(value)`, except that objects without their own
/// `toString` are inspected one level deep, and `-0` is `-0`.
fn format_s(v: &Dynamic) -> String {
    if let Some(f) = ops::as_f64(v) {
        return format_number(f);
    }
    let plain_data = as_object(v).is_some_and(|o| !o.contains("toString"))
        || as_array(v).is_some()
        || v.is::<JsCollection>();
    if plain_data {
        inspect_with(v, Depth(Some(0)))
    } else {
        ops::to_string(v).to_string()
    }
}

pub(super) fn util_format(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from(format(&args)))
}

/// `util.inspect(value, options)`: of the options, `depth` (a number, or
/// `null` or `Infinity` for all levels), also in the older form
/// `util.inspect(value, showHidden, depth)`.
pub(super) fn util_inspect(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let options = arg(&args, 1);
    let depth = match as_object(&options) {
        Some(o) if o.contains("depth") => Some(o.get("depth")),
        Some(_) => None,
        None if options.is_bool() => args.get(2).cloned(),
        None => None,
    };
    let depth = match depth {
        None => Depth(Some(2)),
        Some(d) if d.is::<JsNull>() => Depth(None),
        Some(d) => match ops::as_f64(&d) {
            Some(f) if f.is_infinite() && f > 0.0 => Depth(None),
            Some(f) if !f.is_nan() => Depth(Some(f as i64)),
            _ => Depth(Some(2)),
        },
    };
    Ok(Dynamic::from(inspect_with(&arg(&args, 0), depth)))
}

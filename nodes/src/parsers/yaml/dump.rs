//! js-yaml 4's `dump` with its default options, over JSON values: block
//! style, two-space indentation, sequences inside mappings indented by two,
//! `{}`/`[]` for empty collections, keys in JavaScript's own-key order, and
//! its choice of scalar style (plain, single-quoted, literal `|`, folded `>`
//! at 80 columns, double-quoted for unprintable characters). Flows write
//! these documents to files and HTTP answers, so the text must be the same
//! byte for byte, not merely equivalent YAML.

use serde_json::{Map, Value};

use crate::sequence::parts::key_order;
use crate::support::js;

/// js-yaml's default `lineWidth`.
const LINE_WIDTH: usize = 80;
/// js-yaml's default `indent`.
const INDENT: usize = 2;

/// `yaml.dump(value)`: the document with its final newline.
pub fn dump(value: &Value) -> String {
    write_node(0, value, true, false) + "\n"
}

/// `writeNode` for a block context: `compact` puts the first entry of a
/// collection on the current line (after `- ` or at the top).
fn write_node(level: usize, value: &Value, compact: bool, is_key: bool) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => scalar(s, level, is_key),
        Value::Array(items) if items.is_empty() => "[]".into(),
        Value::Object(map) if map.is_empty() => "{}".into(),
        Value::Array(items) => block_sequence(level, items, compact),
        Value::Object(map) => block_mapping(level, map, compact),
    }
}

/// The int type's decimal form, or the float type's (`5.e-7`, `-0.0`).
fn number(n: f64) -> String {
    if n.is_nan() {
        return ".nan".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    if n == 0.0 && n.is_sign_negative() {
        return "-0.0".into();
    }
    let text = js::number_to_string(&serde_json::Number::from_f64(n).expect("finite"));
    if n.fract() != 0.0 {
        // YAML needs a dot before the exponent: `5e-7` reads as a string.
        let digits = text.trim_start_matches(['-', '+']);
        let mantissa = digits.split('e').next().unwrap_or("");
        if digits.contains('e')
            && !mantissa.is_empty()
            && mantissa.bytes().all(|b| b.is_ascii_digit())
        {
            return text.replacen('e', ".e", 1);
        }
    }
    text
}

fn next_line(level: usize) -> String {
    format!("\n{}", " ".repeat(INDENT * level))
}

fn block_sequence(level: usize, items: &[Value], compact: bool) -> String {
    let mut out = String::new();
    for item in items {
        let dump = write_node(level + 1, item, true, false);
        if !compact || !out.is_empty() {
            out += &next_line(level);
        }
        out += if dump.starts_with('\n') { "-" } else { "- " };
        out += &dump;
    }
    out
}

fn block_mapping(level: usize, map: &Map<String, Value>, compact: bool) -> String {
    let mut out = String::new();
    for key in key_order(map) {
        let value = &map[key];
        let mut pair = String::new();
        if !compact || !out.is_empty() {
            pair += &next_line(level);
        }
        let key_dump = write_node(level + 1, &Value::String(key.clone()), true, true);
        // A key longer than 1024 characters must be written as `? key`.
        let explicit = key_dump.encode_utf16().count() > 1024;
        if explicit {
            pair += if key_dump.starts_with('\n') {
                "?"
            } else {
                "? "
            };
        }
        pair += &key_dump;
        if explicit {
            pair += &next_line(level);
        }
        let value_dump = write_node(level + 1, value, explicit, false);
        pair += if value_dump.starts_with('\n') {
            ":"
        } else {
            ": "
        };
        pair += &value_dump;
        out += &pair;
    }
    out
}

/// Scalar styles `chooseScalarStyle` picks between.
#[derive(Debug, PartialEq)]
enum Style {
    Plain,
    Single,
    Literal,
    Folded,
    Double,
}

/// YAML 1.1 booleans js-yaml still quotes for older readers.
const DEPRECATED_BOOLEANS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off",
    "OFF",
];

/// `writeScalar`: a string in the style js-yaml chooses for it.
fn scalar(s: &str, level: usize, is_key: bool) -> String {
    if s.is_empty() {
        return "''".into();
    }
    if DEPRECATED_BOOLEANS.contains(&s) || is_base60(s) {
        return format!("'{s}'");
    }
    let indent = INDENT * level.max(1);
    let width = LINE_WIDTH.min(40).max(LINE_WIDTH.saturating_sub(indent));
    let units: Vec<u16> = s.encode_utf16().collect();
    match choose_style(s, &units, is_key, width) {
        Style::Plain => s.to_owned(),
        Style::Single => format!("'{}'", s.replace('\'', "''")),
        Style::Literal => format!(
            "|{}{}",
            block_header(&units),
            drop_ending_newline(indent_string(s, indent))
        ),
        Style::Folded => format!(
            ">{}{}",
            block_header(&units),
            drop_ending_newline(indent_string(&fold_string(&units, width), indent))
        ),
        Style::Double => format!("\"{}\"", escape(s)),
    }
}

/// `^[-+]?[0-9_]+(?::[0-9_]+)+(?:\.[0-9_]*)?$`: YAML 1.1 sexagesimal numbers.
fn is_base60(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (body, fraction) = match s.split_once('.') {
        Some((b, f)) => (b, Some(f)),
        None => (s, None),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    let parts: Vec<&str> = body.split(':').collect();
    parts.len() >= 2
        && parts.iter().all(|p| !p.is_empty() && digits(p))
        && fraction.is_none_or(digits)
}

fn code_points(units: &[u16]) -> impl Iterator<Item = (usize, u32)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let first = *units.get(i)?;
        let at = i;
        let mut c = u32::from(first);
        if (0xD800..=0xDBFF).contains(&first) {
            if let Some(&second) = units.get(i + 1) {
                if (0xDC00..=0xDFFF).contains(&second) {
                    c = (u32::from(first) - 0xD800) * 0x400 + u32::from(second) - 0xDC00 + 0x10000;
                }
            }
        }
        i += if c >= 0x10000 { 2 } else { 1 };
        Some((at, c))
    })
}

fn is_printable(c: u32) -> bool {
    (0x20..=0x7E).contains(&c)
        || ((0xA1..=0xD7FF).contains(&c) && c != 0x2028 && c != 0x2029)
        || ((0xE000..=0xFFFD).contains(&c) && c != 0xFEFF)
        || (0x10000..=0x10FFFF).contains(&c)
}

fn is_white(c: u32) -> bool {
    c == 0x20 || c == 0x09
}

fn is_ns_char_or_white(c: u32) -> bool {
    is_printable(c) && c != 0xFEFF && c != 0x0D && c != 0x0A
}

/// `isPlainSafe` in a block context.
fn is_plain_safe(c: u32, prev: Option<u32>) -> bool {
    let ns_or_white = is_ns_char_or_white(c);
    let ns = ns_or_white && !is_white(c);
    let colon = prev == Some(u32::from(b':'));
    let hash = c == u32::from(b'#');
    if colon {
        // `:` must be followed by a non-space.
        return ns;
    }
    if hash {
        // `#` only right after a non-space character.
        return prev.is_some_and(|p| is_ns_char_or_white(p) && !is_white(p));
    }
    ns_or_white
}

fn is_plain_safe_first(c: u32) -> bool {
    is_printable(c)
        && c != 0xFEFF
        && !is_white(c)
        && !char::from_u32(c).is_some_and(|ch| "-?:,[]{}#&*!|=>'\"%@`".contains(ch))
}

fn is_plain_safe_last(c: u32) -> bool {
    !is_white(c) && c != u32::from(b':')
}

/// `chooseScalarStyle` with block styles allowed unless `single_line`.
fn choose_style(s: &str, units: &[u16], single_line: bool, width: usize) -> Style {
    let points: Vec<(usize, u32)> = code_points(units).collect();
    let first = points.first().map_or(0, |p| p.1);
    let last = points.last().map_or(0, |p| p.1);
    let mut plain = is_plain_safe_first(first) && is_plain_safe_last(last);
    let mut has_line_break = false;
    let mut foldable = false;
    let mut previous_break: isize = -1;
    let mut prev = None;
    let too_long = |i: usize, prev_break: isize| {
        let start = (prev_break + 1) as usize;
        (i as isize - prev_break - 1) as usize > width && units.get(start) != Some(&0x20)
    };
    for &(i, c) in &points {
        if !single_line && c == 0x0A {
            has_line_break = true;
            foldable = foldable || too_long(i, previous_break);
            previous_break = i as isize;
        } else if !is_printable(c) {
            return Style::Double;
        }
        plain = plain && is_plain_safe(c, prev);
        prev = Some(c);
    }
    if !single_line {
        foldable = foldable || too_long(units.len(), previous_break);
    }
    if !has_line_break && !foldable {
        if plain && !reads_as_other_type(s) {
            return Style::Plain;
        }
        return Style::Single;
    }
    if foldable {
        Style::Folded
    } else {
        Style::Literal
    }
}

/// Whether the plain text would load as something other than this string
/// under js-yaml's default schema (null, bool, int, float, timestamp, merge).
fn reads_as_other_type(s: &str) -> bool {
    matches!(s, "~" | "null" | "Null" | "NULL" | "<<")
        || matches!(s, "true" | "True" | "TRUE" | "false" | "False" | "FALSE")
        || is_yaml_int(s)
        || is_yaml_float(s)
        || is_timestamp(s)
}

pub(super) fn is_yaml_int(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let all = |d: &str, f: fn(u8) -> bool| !d.is_empty() && d.bytes().all(f);
    if let Some(rest) = body.strip_prefix('0') {
        if rest.is_empty() {
            return true;
        }
        if let Some(d) = rest.strip_prefix('b') {
            return all(d, |b| b == b'0' || b == b'1');
        }
        if let Some(d) = rest.strip_prefix('x') {
            return all(d, |b| b.is_ascii_hexdigit());
        }
        if let Some(d) = rest.strip_prefix('o') {
            return all(d, |b| (b'0'..=b'7').contains(&b));
        }
    }
    all(body, |b| b.is_ascii_digit())
        && js::parse_float(Some(&Value::String(body.into()))).is_finite()
}

fn is_yaml_float(s: &str) -> bool {
    let special = |t: &str| {
        let unsigned = t.strip_prefix(['-', '+']).unwrap_or(t);
        matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(t, ".nan" | ".NaN" | ".NAN")
    };
    if special(s) {
        return true;
    }
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let exponent_ok =
        |e: Option<&str>| e.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(at) => (&s[..at], Some(&s[at + 1..])),
        None => (s, None),
    };
    let shape = if let Some(frac) = mantissa.strip_prefix('.') {
        digits(frac)
    } else {
        let m = mantissa.strip_prefix(['-', '+']).unwrap_or(mantissa);
        let (int, frac) = m.split_once('.').unwrap_or((m, ""));
        digits(int) && frac.bytes().all(|b| b.is_ascii_digit())
    };
    shape && exponent_ok(exponent) && js::parse_float(Some(&Value::String(s.into()))).is_finite()
}

/// js-yaml's date (`2001-12-14`) and timestamp patterns.
pub(super) fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    if b.len() == 10
        && (0..4).all(digit)
        && b[4] == b'-'
        && digit(5)
        && digit(6)
        && b[7] == b'-'
        && digit(8)
        && digit(9)
    {
        return true;
    }
    let mut i = 0;
    // Runs of 1..=max digits starting at i.
    let run = |i: &mut usize, min: usize, max: usize| {
        let start = *i;
        while *i < b.len() && *i - start < max && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start >= min
    };
    let lit = |i: &mut usize, c: u8| {
        let ok = b.get(*i) == Some(&c);
        if ok {
            *i += 1;
        }
        ok
    };
    if !(run(&mut i, 4, 4)
        && lit(&mut i, b'-')
        && run(&mut i, 1, 2)
        && lit(&mut i, b'-')
        && run(&mut i, 1, 2))
    {
        return false;
    }
    if matches!(b.get(i), Some(b'T' | b't')) {
        i += 1;
    } else {
        let start = i;
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if !(run(&mut i, 1, 2)
        && lit(&mut i, b':')
        && run(&mut i, 2, 2)
        && lit(&mut i, b':')
        && run(&mut i, 2, 2))
    {
        return false;
    }
    if lit(&mut i, b'.') {
        run(&mut i, 0, usize::MAX);
    }
    if i == b.len() {
        return true;
    }
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if lit(&mut i, b'Z') {
        return i == b.len();
    }
    if !matches!(b.get(i), Some(b'-' | b'+')) {
        return false;
    }
    i += 1;
    if !run(&mut i, 1, 2) {
        return false;
    }
    if lit(&mut i, b':') && !run(&mut i, 2, 2) {
        return false;
    }
    i == b.len()
}

/// The block scalar header: indentation indicator when the text starts with
/// a space (after newlines), then the chomping indicator.
fn block_header(units: &[u16]) -> String {
    let lead = units.iter().position(|&u| u != 0x0A);
    let indicator = if lead.is_some_and(|p| units[p] == 0x20) {
        INDENT.to_string()
    } else {
        String::new()
    };
    let n = units.len();
    let clip = units.last() == Some(&0x0A);
    let keep = clip && (n == 1 || units.get(n.wrapping_sub(2)) == Some(&0x0A));
    let chomp = if keep {
        "+"
    } else if clip {
        ""
    } else {
        "-"
    };
    format!("{indicator}{chomp}\n")
}

fn drop_ending_newline(mut s: String) -> String {
    if s.ends_with('\n') {
        s.pop();
    }
    s
}

/// Indents every line but empty ones.
fn indent_string(s: &str, spaces: usize) -> String {
    let pad = " ".repeat(spaces);
    let mut out = String::new();
    for line in s.split_inclusive('\n') {
        if line != "\n" {
            out += &pad;
        }
        out += line;
    }
    out
}

/// `foldString`: the folded-style body (an extra newline between two
/// content lines that are not more indented, long lines broken at spaces).
fn fold_string(units: &[u16], width: usize) -> String {
    let first_break = units.iter().position(|&u| u == 0x0A).unwrap_or(units.len());
    let mut out = fold_line(&units[..first_break], width);
    let mut prev_more_indented = matches!(units.first(), Some(0x0A | 0x20));
    let mut i = first_break;
    while i < units.len() {
        let start = i;
        while i < units.len() && units[i] == 0x0A {
            i += 1;
        }
        let prefix = &units[start..i];
        let line_start = i;
        while i < units.len() && units[i] != 0x0A {
            i += 1;
        }
        let line = &units[line_start..i];
        let more_indented = line.first() == Some(&0x20);
        out += &String::from_utf16_lossy(prefix);
        if !prev_more_indented && !more_indented && !line.is_empty() {
            out.push('\n');
        }
        out += &fold_line(line, width);
        prev_more_indented = more_indented;
    }
    out
}

/// `foldLine`: greedy breaking at single spaces followed by a non-space.
fn fold_line(line: &[u16], width: usize) -> String {
    let text = |a: usize, b: usize| String::from_utf16_lossy(&line[a..b]);
    if line.is_empty() || line[0] == 0x20 {
        return text(0, line.len());
    }
    let (mut start, mut curr) = (0usize, 0usize);
    let mut result = String::new();
    for next in
        (0..line.len().saturating_sub(1)).filter(|&i| line[i] == 0x20 && line[i + 1] != 0x20)
    {
        if next - start > width {
            let end = if curr > start { curr } else { next };
            result.push('\n');
            result += &text(start, end);
            start = end + 1;
        }
        curr = next;
    }
    result.push('\n');
    if line.len() - start > width && curr > start {
        result += &text(start, curr);
        result.push('\n');
        result += &text(curr + 1, line.len());
    } else {
        result += &text(start, line.len());
    }
    result[1..].to_owned()
}

/// The double-quoted form's escapes.
fn escape(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        let c = ch as u32;
        let seq = match c {
            0x00 => "\\0",
            0x07 => "\\a",
            0x08 => "\\b",
            0x09 => "\\t",
            0x0A => "\\n",
            0x0B => "\\v",
            0x0C => "\\f",
            0x0D => "\\r",
            0x1B => "\\e",
            0x22 => "\\\"",
            0x5C => "\\\\",
            0x85 => "\\N",
            0xA0 => "\\_",
            0x2028 => "\\L",
            0x2029 => "\\P",
            _ if is_printable(c) => {
                out.push(ch);
                continue;
            }
            _ if c <= 0xFF => {
                out += &format!("\\x{c:02X}");
                continue;
            }
            _ => {
                out += &format!("\\u{c:04X}");
                continue;
            }
        };
        out += seq;
    }
    out
}

//! A port of the `qs` query-string parser as Node-RED runs it: Express 4.22
//! parses the query string with its own copy (qs 6.15.4, `allowPrototypes`,
//! `arrayLimit: 1000`, depth 5), and body-parser's extended urlencoded parser
//! uses qs 6.16.2 (depth 32 with `strictDepth`, `arrayLimit` =
//! max(100, parameters)). The two copies differ in one rule only: how a
//! value meeting an object at the same key is merged (see [`Flavour`]).
//!
//! qs works on JavaScript values, and its answers depend on JavaScript's
//! semantics (sparse arrays, the order of integer-like object keys, objects
//! marked as "overflowed" arrays), so this module models exactly those and
//! converts to JSON at the end. Every step is iterative or bounded by the
//! depth option: `merge` recurses only along the key being merged, whose
//! length is at most `depth + 3` levels, and the final conversion uses an
//! explicit stack.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::js_value::array_index;

/// Which copy of qs's merge rules applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// qs 6.15.4 (Express's query parser): a value meeting an object is
    /// wrapped as `[object, value]` every time.
    Express,
    /// qs 6.16.2 (body-parser): the first such conflict wraps, later ones
    /// append to that wrapper.
    BodyParser,
}

/// The qs options that Node-RED's two parsers set.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub array_limit: usize,
    pub depth: usize,
    pub strict_depth: bool,
    pub parameter_limit: usize,
    pub flavour: Flavour,
}

/// Express 4.22's extended query parser.
pub const QUERY: Options = Options {
    array_limit: 1000,
    depth: 5,
    strict_depth: false,
    parameter_limit: super::QS_PARAMETER_LIMIT,
    flavour: Flavour::Express,
};

/// A key nested deeper than `depth` with `strictDepth` set (qs throws a
/// `RangeError`, which body-parser answers with 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("The input exceeded the depth")]
pub struct DepthExceeded;

/// Why body-parser's extended urlencoded parser rejects a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// More than `parameterLimit` `&`-separated parameters (413).
    #[error("too many parameters")]
    TooManyParameters,
    /// A key nested deeper than 32 brackets (400).
    #[error(transparent)]
    TooDeep(#[from] DepthExceeded),
}

/// body-parser 1.20's `extendedparser`: count the parameters first (over the
/// limit is an error, not a truncation), then qs with an array limit that
/// grows with the parameter count.
pub fn parse_form(body: &str) -> Result<Map<String, Value>, FormError> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    let limit = super::QS_PARAMETER_LIMIT;
    let count = body.bytes().filter(|&b| b == b'&').count() + 1;
    if count > limit {
        return Err(FormError::TooManyParameters);
    }
    let options = Options {
        array_limit: count.max(100),
        depth: 32,
        strict_depth: true,
        parameter_limit: limit,
        flavour: Flavour::BodyParser,
    };
    Ok(parse(body, &options)?)
}

/// `qs.parse(str, options)`.
pub fn parse(s: &str, o: &Options) -> Result<Map<String, Value>, DepthExceeded> {
    if s.is_empty() {
        return Ok(Map::new());
    }
    let mut values = parse_values(s, o);
    let mut out = Js::Obj(Obj::default());
    for key in values.keys() {
        let Some(value) = values.props.swap_remove(&key) else {
            continue;
        };
        if key.is_empty() {
            continue;
        }
        let chain = split_key(&key, o)?;
        let parsed = parse_object(&chain, value, o);
        out = merge(out, Some(parsed), o);
    }
    Ok(match into_json(out) {
        Value::Object(m) => m,
        _ => Map::new(),
    })
}

/// A JavaScript value as qs builds it.
#[derive(Debug)]
enum Js {
    Str(String),
    Arr(Arr),
    Obj(Obj),
}

/// An array, possibly sparse (`None` is a hole).
#[derive(Debug, Default)]
struct Arr {
    items: Vec<Option<Js>>,
    /// qs 6.16's "conflict" mark: the highest index a merge conflict used.
    conflict: Option<f64>,
}

/// A plain object. Keys keep insertion order here; [`Obj::keys`] gives
/// JavaScript's enumeration order.
#[derive(Debug, Default)]
struct Obj {
    props: IndexMap<String, Js>,
    /// qs's "overflow" mark (an array past `arrayLimit` turned object):
    /// the highest numeric index used.
    overflow: Option<f64>,
    conflict: Option<f64>,
}

impl Obj {
    /// `Object.keys`: array-index keys ascending, then the rest in
    /// insertion order.
    fn keys(&self) -> Vec<String> {
        let mut indexed: Vec<(u32, &String)> = Vec::new();
        let mut named: Vec<String> = Vec::new();
        for k in self.props.keys() {
            match array_index(k) {
                Some(i) => indexed.push((i, k)),
                None => named.push(k.clone()),
            }
        }
        indexed.sort_unstable_by_key(|(i, _)| *i);
        let mut keys: Vec<String> = indexed.into_iter().map(|(_, k)| k.clone()).collect();
        keys.extend(named);
        keys
    }
}

impl Arr {
    fn from_items(items: Vec<Option<Js>>) -> Arr {
        Arr {
            items,
            conflict: None,
        }
    }
}

/// `parseInt(k, 10)` when `String(parseInt(k, 10)) === k`: the keys qs
/// accepts as numeric indexes.
fn canonical_int(k: &str) -> Option<f64> {
    let digits = k.strip_prefix('-').unwrap_or(k);
    if digits.is_empty() || digits.len() > 22 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: f64 = k.parse().ok()?;
    (crate::js_json::number_string(n) == k).then_some(n)
}

/// `utils.decode`: `+` is a space, then `decodeURIComponent`; a string it
/// rejects stays as it is, whole.
fn decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    if !spaced.contains('%') {
        return spaced;
    }
    decode_uri_component(&spaced).unwrap_or(spaced)
}

/// `decodeURIComponent`, `None` where it throws: a `%` not followed by two
/// hex digits, or escapes that do not decode to UTF-8.
pub(super) fn decode_uri_component(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let well_formed = bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return None;
    }
    String::from_utf8(percent_encoding::percent_decode(bytes).collect()).ok()
}

/// `map` in JavaScript's key order (array-index keys first, ascending), as
/// `JSON.stringify` writes an object built in `map`'s order.
pub(super) fn js_key_order(map: Map<String, Value>) -> Map<String, Value> {
    if !map.keys().any(|k| array_index(k).is_some()) {
        return map;
    }
    let mut indexed: Vec<(u32, String, Value)> = Vec::new();
    let mut named: Vec<(String, Value)> = Vec::new();
    for (k, v) in map {
        match array_index(&k) {
            Some(i) => indexed.push((i, k, v)),
            None => named.push((k, v)),
        }
    }
    indexed.sort_unstable_by_key(|(i, _, _)| *i);
    let mut out = Map::new();
    out.extend(indexed.into_iter().map(|(_, k, v)| (k, v)));
    out.extend(named);
    out
}

/// `%5B`/`%5D` (any case) become brackets before anything else, one pass
/// each as qs's two `replace` calls do.
fn unescape_brackets(s: &str) -> String {
    let replace = |s: &str, code: u8, with: char| -> String {
        let b = s.as_bytes();
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        let mut i = 0;
        while i + 2 < b.len() {
            if b[i] == b'%' && b[i + 1] == b'5' && b[i + 2].eq_ignore_ascii_case(&code) {
                out.push_str(&s[last..i]);
                out.push(with);
                i += 3;
                last = i;
            } else {
                i += 1;
            }
        }
        out.push_str(&s[last..]);
        out
    };
    replace(&replace(s, b'B', '['), b'D', ']')
}

/// qs's `parseValues`: split on `&` (at most `parameterLimit` parts), split
/// each part at `]=` or else the first `=`, decode, and combine repeated keys.
fn parse_values(s: &str, o: &Options) -> Obj {
    let clean = unescape_brackets(s);
    let mut obj = Obj::default();
    for part in clean.split('&').take(o.parameter_limit) {
        let pos = match part.find("]=") {
            Some(p) => Some(p + 1),
            None => part.find('='),
        };
        let (key, val) = match pos {
            None => (decode(part), String::new()),
            Some(p) => (decode(&part[..p]), decode(&part[p + 1..])),
        };
        match obj.props.get_mut(&key) {
            Some(existing) => {
                let old = std::mem::replace(existing, Js::Str(String::new()));
                *existing = combine(old, Js::Str(val), o.array_limit);
            }
            None => {
                obj.props.insert(key, Js::Str(val));
            }
        }
    }
    obj
}

/// qs's `splitKeyIntoSegments`: the text before the first `[`, then up to
/// `depth` balanced `[...]` groups (text between groups is skipped), then
/// the rest of the key as one literal segment. An unbalanced group is one
/// literal segment. One pass over the key.
fn split_key(key: &str, o: &Options) -> Result<Vec<String>, DepthExceeded> {
    let b = key.as_bytes();
    let mut segments = Vec::new();
    let first = key.find('[');
    let parent = first.map_or(key, |f| &key[..f]);
    if !parent.is_empty() {
        segments.push(parent.to_owned());
    }
    let mut open = first;
    let mut collected = 0;
    while let Some(start) = open.filter(|_| collected < o.depth) {
        let mut level = 1usize;
        let mut close = None;
        for (i, &c) in b.iter().enumerate().skip(start + 1) {
            if c == b'[' {
                level += 1;
            } else if c == b']' {
                level -= 1;
                if level == 0 {
                    close = Some(i);
                    break;
                }
            }
        }
        let Some(close) = close else {
            segments.push(format!("[{}]", &key[start..]));
            return Ok(segments);
        };
        segments.push(key[start..=close].to_owned());
        collected += 1;
        open = key[close + 1..].find('[').map(|p| p + close + 1);
    }
    if let Some(start) = open {
        if o.strict_depth {
            return Err(DepthExceeded);
        }
        segments.push(format!("[{}]", &key[start..]));
    }
    Ok(segments)
}

/// qs's `parseObject`: build the value for one key from its innermost
/// segment outwards (iteratively).
fn parse_object(chain: &[String], value: Js, o: &Options) -> Js {
    let mut leaf = value;
    for root in chain.iter().rev() {
        if root == "[]" {
            leaf = match leaf {
                Js::Obj(obj) if obj.overflow.is_some() => Js::Obj(obj),
                other => combine(Js::Arr(Arr::default()), other, o.array_limit),
            };
            continue;
        }
        let clean = if root.len() >= 2 && root.starts_with('[') && root.ends_with(']') {
            &root[1..root.len() - 1]
        } else {
            root.as_str()
        };
        let index = canonical_int(clean).filter(|&i| clean.len() != root.len() && i >= 0.0);
        leaf = match index {
            Some(i) if i < o.array_limit as f64 => {
                let i = i as usize;
                let mut items: Vec<Option<Js>> = Vec::with_capacity(i + 1);
                items.resize_with(i, || None);
                items.push(Some(leaf));
                Js::Arr(Arr::from_items(items))
            }
            Some(i) => {
                let mut obj = Obj::default();
                obj.props.insert(clean.to_owned(), leaf);
                obj.overflow = Some(i);
                Js::Obj(obj)
            }
            None => {
                let mut obj = Obj::default();
                if clean != "__proto__" {
                    obj.props.insert(clean.to_owned(), leaf);
                }
                Js::Obj(obj)
            }
        };
    }
    leaf
}

/// `[].concat(a, b)`: arrays are spread (holes kept), anything else is one
/// element. Reuses `a`'s storage, so appending is amortised O(1).
fn concat(a: Js, b: Js) -> Vec<Option<Js>> {
    let mut out = match a {
        Js::Arr(arr) => arr.items,
        other => vec![Some(other)],
    };
    match b {
        Js::Arr(arr) => out.extend(arr.items),
        other => out.push(Some(other)),
    }
    out
}

/// `utils.arrayToObject`: present elements keyed by index.
fn array_to_object(items: Vec<Option<Js>>) -> Obj {
    let mut obj = Obj::default();
    for (i, v) in items.into_iter().enumerate() {
        if let Some(v) = v {
            obj.props.insert(i.to_string(), v);
        }
    }
    obj
}

/// An array of `items`, or past `limit` an overflow object.
fn limited(items: Vec<Option<Js>>, limit: usize) -> Js {
    if items.len() > limit {
        let max = (items.len() - 1) as f64;
        let mut obj = array_to_object(items);
        obj.overflow = Some(max);
        Js::Obj(obj)
    } else {
        Js::Arr(Arr::from_items(items))
    }
}

/// `utils.combine`: append `b` to `a` (to an overflow object at its next
/// index).
fn combine(a: Js, b: Js, limit: usize) -> Js {
    match a {
        Js::Obj(mut obj) if obj.overflow.is_some() => {
            let mut max = obj.overflow.unwrap_or(0.0);
            let values = match b {
                Js::Arr(arr) => arr.items,
                other => vec![Some(other)],
            };
            for v in values.into_iter().flatten() {
                max += 1.0;
                obj.props.insert(crate::js_json::number_string(max), v);
            }
            obj.overflow = Some(max);
            Js::Obj(obj)
        }
        a => limited(concat(a, b), limit),
    }
}

/// `parseInt(k, 10)` (leading digits, optional sign), `None` for NaN.
fn js_parse_int(k: &str) -> Option<f64> {
    let t = k.trim_start();
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'-') => (-1.0, &t[1..]),
        Some(b'+') => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    let end = rest.bytes().take_while(u8::is_ascii_digit).count();
    rest[..end].parse::<f64>().ok().map(|n| sign * n)
}

/// `utils.merge(target, source)`. Recursion follows `source`, a value just
/// built from one key, so its depth is bounded by the depth option.
fn merge(target: Js, source: Option<Js>, o: &Options) -> Js {
    let source = match source {
        None => return target,
        // An empty string is falsy: merging it changes nothing.
        Some(Js::Str(s)) if s.is_empty() => return target,
        Some(Js::Str(s)) => return merge_primitive(target, s, o),
        Some(source) => source,
    };
    match target {
        Js::Str(t) => merge_into_primitive(t, source, o),
        Js::Arr(target) => match source {
            Js::Arr(source) => merge_arrays(target, source, o),
            source => {
                let conflict = target.conflict.map(|_| target.items.len() as f64 - 1.0);
                let mut acc = array_to_object(target.items);
                if o.flavour == Flavour::BodyParser {
                    acc.conflict = conflict;
                }
                merge_into_object(acc, source, o)
            }
        },
        Js::Obj(acc) => merge_into_object(acc, source, o),
    }
}

/// A two-element array, or past the array limit an overflow object.
fn pair(first: Js, second: Js, o: &Options) -> Js {
    limited(vec![Some(first), Some(second)], o.array_limit)
}

/// Merging a (non-empty) string into `target`.
fn merge_primitive(target: Js, s: String, o: &Options) -> Js {
    match target {
        Js::Arr(mut arr) => {
            let next = arr.items.len();
            arr.items.push(Some(Js::Str(s)));
            if next >= o.array_limit {
                let mut obj = array_to_object(arr.items);
                obj.overflow = Some(next as f64);
                Js::Obj(obj)
            } else {
                Js::Arr(arr)
            }
        }
        Js::Obj(mut obj) => {
            if let Some(max) = obj.overflow {
                obj.props
                    .insert(crate::js_json::number_string(max + 1.0), Js::Str(s));
                obj.overflow = Some(max + 1.0);
                return Js::Obj(obj);
            }
            if let (Some(c), Flavour::BodyParser) = (obj.conflict, o.flavour) {
                obj.props
                    .insert(crate::js_json::number_string(c + 1.0), Js::Str(s));
                obj.conflict = Some(c + 1.0);
                return Js::Obj(obj);
            }
            match (pair(Js::Obj(obj), Js::Str(s), o), o.flavour) {
                (Js::Arr(mut arr), Flavour::BodyParser) => {
                    arr.conflict = Some(1.0);
                    Js::Arr(arr)
                }
                (other, _) => other,
            }
        }
        Js::Str(t) => pair(Js::Str(t), Js::Str(s), o),
    }
}

/// Merging an array or object into a string: `[string, ...source]`, or for
/// an overflow object its entries shifted up by one behind the string.
fn merge_into_primitive(t: String, source: Js, o: &Options) -> Js {
    match source {
        Js::Obj(mut src) if src.overflow.is_some() => {
            let mut obj = Obj::default();
            obj.props.insert("0".into(), Js::Str(t));
            for k in src.keys() {
                let shifted = js_parse_int(&k)
                    .map_or_else(|| "NaN".into(), |n| crate::js_json::number_string(n + 1.0));
                if let Some(v) = src.props.swap_remove(&k) {
                    obj.props.insert(shifted, v);
                }
            }
            obj.overflow = src.overflow.map(|m| m + 1.0);
            Js::Obj(obj)
        }
        source => limited(concat(Js::Str(t), source), o.array_limit),
    }
}

/// Array into array: element-wise, objects merged, anything else appended.
fn merge_arrays(mut target: Arr, source: Arr, o: &Options) -> Js {
    for (i, item) in source.items.into_iter().enumerate() {
        let Some(item) = item else { continue };
        if i >= target.items.len() {
            target.items.resize_with(i + 1, || None);
        }
        match target.items[i].take() {
            Some(existing) => {
                let objects = !matches!(existing, Js::Str(_)) && !matches!(item, Js::Str(_));
                if objects {
                    target.items[i] = Some(merge(existing, Some(item), o));
                } else {
                    target.items[i] = Some(existing);
                    target.items.push(Some(item));
                }
            }
            None => target.items[i] = Some(item),
        }
    }
    if target.items.len() > o.array_limit {
        limited(target.items, o.array_limit)
    } else {
        Js::Arr(target)
    }
}

/// The entries of an array or object in `Object.keys` order, and the
/// source's overflow mark.
fn entries(source: Js) -> (Vec<(String, Js)>, Option<f64>) {
    match source {
        Js::Arr(arr) => (
            arr.items
                .into_iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i.to_string(), v)))
                .collect(),
            None,
        ),
        Js::Obj(mut obj) => {
            let keys = obj.keys();
            let entries = keys
                .into_iter()
                .filter_map(|k| obj.props.swap_remove(&k).map(|v| (k, v)))
                .collect();
            (entries, obj.overflow)
        }
        Js::Str(s) => (vec![("0".into(), Js::Str(s))], None),
    }
}

/// The highest numeric key of `obj`, at least `min` (qs 6.16's
/// `maxNumericIndex`).
fn max_numeric_index(obj: &Obj, min: f64) -> f64 {
    obj.props
        .keys()
        .filter_map(|k| canonical_int(k))
        .fold(min, f64::max)
}

/// The `Object.keys(source).reduce(...)` arm of `merge`: each key of
/// `source` merged into `acc`, keeping the overflow and conflict marks.
fn merge_into_object(mut acc: Obj, source: Js, o: &Options) -> Js {
    let (entries, source_overflow) = entries(source);
    for (key, value) in entries {
        match acc.props.get_mut(&key) {
            Some(slot) => {
                let old = std::mem::replace(slot, Js::Str(String::new()));
                *slot = merge(old, Some(value), o);
            }
            None => {
                acc.props.insert(key.clone(), value);
            }
        }
        if let (Some(max), None) = (source_overflow, acc.overflow) {
            acc.overflow = Some(match o.flavour {
                Flavour::BodyParser => max_numeric_index(&acc, max),
                Flavour::Express => max,
            });
        }
        let n = canonical_int(&key);
        if let (Some(max), Some(n)) = (acc.overflow, n) {
            if n >= 0.0 && n > max {
                acc.overflow = Some(n);
            }
        }
        if let (Some(c), Some(n), Flavour::BodyParser) = (acc.conflict, n, o.flavour) {
            if n > c {
                acc.conflict = Some(n);
            }
        }
    }
    Js::Obj(acc)
}

/// A container being converted, with the key it goes under in its parent.
enum Frame {
    Arr(Option<String>, Vec<Value>, std::vec::IntoIter<Option<Js>>),
    Obj(
        Option<String>,
        Map<String, Value>,
        std::vec::IntoIter<(String, Js)>,
    ),
}

/// The finished value into JSON, dropping array holes (qs's `compact`),
/// with an explicit stack: the tree is as deep as the input made it.
fn into_json(root: Js) -> Value {
    let mut stack: Vec<Frame> = Vec::new();
    let mut next: Option<(Option<String>, Js)> = Some((None, root));
    loop {
        let mut done: Option<(Option<String>, Value)> = None;
        match next.take() {
            Some((key, Js::Str(s))) => done = Some((key, Value::String(s))),
            Some((key, Js::Arr(a))) => stack.push(Frame::Arr(key, Vec::new(), a.items.into_iter())),
            Some((key, Js::Obj(obj))) => {
                let (entries, _) = entries(Js::Obj(obj));
                stack.push(Frame::Obj(key, Map::new(), entries.into_iter()));
            }
            None => {}
        }
        if done.is_none() {
            match stack.last_mut() {
                Some(Frame::Arr(_, _, items)) => match items.flatten().next() {
                    Some(child) => next = Some((None, child)),
                    None => done = pop(&mut stack),
                },
                Some(Frame::Obj(_, _, entries)) => match entries.next() {
                    Some((k, child)) => next = Some((Some(k), child)),
                    None => done = pop(&mut stack),
                },
                None => return Value::Null,
            }
        }
        if let Some((key, value)) = done {
            match stack.last_mut() {
                Some(Frame::Arr(_, out, _)) => out.push(value),
                Some(Frame::Obj(_, out, _)) => {
                    out.insert(key.unwrap_or_default(), value);
                }
                None => return value,
            }
        }
    }
}

/// Close the innermost container.
fn pop(stack: &mut Vec<Frame>) -> Option<(Option<String>, Value)> {
    match stack.pop()? {
        Frame::Arr(key, out, _) => Some((key, Value::Array(out))),
        Frame::Obj(key, out, _) => Some((key, Value::Object(out))),
    }
}

#[cfg(test)]
mod tests;

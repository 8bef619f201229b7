//! JSON as JavaScript holds it. Node-RED's messages are JavaScript objects:
//! whole numbers within ±2^53 are integers, integers beyond are doubles, and
//! an object lists its integer-like keys first, ascending, then the rest in
//! insertion order. JSON that reaches a message by another way (a parsed
//! body passed through untouched, `msg.req` built after a data-only
//! function ran) is brought to that form here, so the way a value arrived
//! never shows.

use serde_json::{Map, Number, Value};

/// 2^53: the integers a double holds exactly lie within ±`MAX_SAFE`.
pub const MAX_SAFE: f64 = 9_007_199_254_740_992.0;

/// A key JavaScript treats as an array index (canonical decimal below
/// 2^32 − 1), which objects list first, ascending.
pub fn array_index(key: &str) -> Option<u32> {
    let b = key.as_bytes();
    if b.is_empty() || b.len() > 10 || (b.len() > 1 && b[0] == b'0') {
        return None;
    }
    if !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    key.parse::<u64>()
        .ok()
        .filter(|&n| n < u32::MAX as u64)
        .map(|n| n as u32)
}

/// Bring `v` to the form JavaScript holds it in (see the module doc). The
/// walk counts nothing: it is for JSON outside a script run, where nothing
/// can interrupt it (the data-only function fast path runs it over every
/// message it handles).
pub fn normalize(v: &mut Value) {
    let _ = walk_normalize::<(), _>(v, &mut || Ok(()));
}

/// The one normalizing walk, with `step` called once per value visited.
pub fn walk_normalize<E, F>(v: &mut Value, step: &mut F) -> Result<(), E>
where
    F: FnMut() -> Result<(), E>,
{
    step()?;
    match v {
        Value::Number(n) => {
            if let Some(m) = normalize_number(n) {
                *n = m;
            }
        }
        Value::Array(items) => {
            for item in items {
                walk_child(item, step)?;
            }
        }
        Value::Object(map) => {
            let mut integer_keys = false;
            for (k, item) in map.iter_mut() {
                integer_keys |=
                    k.starts_with(|c: char| c.is_ascii_digit()) && array_index(k).is_some();
                walk_child(item, step)?;
            }
            if integer_keys && !in_javascript_order(map) {
                reorder_integer_keys(map);
            }
        }
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
    Ok(())
}

/// One value below a container: a string, boolean or `null` (most of a
/// message) is only counted, without a call into the walk.
#[inline(always)]
fn walk_child<E, F>(v: &mut Value, step: &mut F) -> Result<(), E>
where
    F: FnMut() -> Result<(), E>,
{
    match v {
        Value::Null | Value::Bool(_) | Value::String(_) => step(),
        _ => walk_normalize(v, step),
    }
}

fn normalize_number(n: &Number) -> Option<Number> {
    if let Some(i) = n.as_i64() {
        return ((i as f64).abs() > MAX_SAFE)
            .then(|| Number::from_f64(i as f64))
            .flatten();
    }
    let f = n.as_f64()?;
    if f.fract() == 0.0 && f.abs() <= MAX_SAFE {
        return Some(Number::from(f as i64));
    }
    if n.is_u64() {
        return Number::from_f64(f);
    }
    None
}

/// Whether `map` already lists integer-like keys first, ascending (as a
/// JSON array-like object usually does), so reordering can be skipped.
fn in_javascript_order(map: &Map<String, Value>) -> bool {
    let mut last = None;
    let mut named = false;
    for k in map.keys() {
        match array_index(k) {
            Some(n) if named || last.is_some_and(|l| l >= n) => return false,
            Some(n) => last = Some(n),
            None => named = true,
        }
    }
    true
}

fn reorder_integer_keys(map: &mut Map<String, Value>) {
    let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
    // Stable: non-integer keys keep their order after the integer ones.
    entries.sort_by_key(|(k, _)| match array_index(k) {
        Some(n) => (0, n),
        None => (1, 0),
    });
    map.extend(entries);
}

//! An object's properties in the order JavaScript lists them.
//!
//! V8 lists array-index keys (`"0"` to `"4294967294"`) first, in ascending
//! numeric order, then every other key in insertion order. One
//! insertion-ordered map can only keep that order by scanning for and
//! shifting to each new index key's place, which makes converting
//! `{"0": …, "1": …, …}` quadratic in its size (and a script setting or
//! deleting such keys linear per operation). So, as V8 keeps elements apart
//! from named properties, index keys live in a sorted tree (logarithmic
//! insert, lookup and delete, and a linear build from sorted input) and the
//! other keys in an insertion-ordered hash map.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use rhai::Dynamic;

use super::values::{array_index, JsObject, Key};

/// How private class members (`#name`) are keyed: after a NUL character,
/// which no property name a body writes starts with, so they never clash
/// with ordinary properties. They are never listed (like symbol keys).
pub const PRIVATE_PREFIX: &str = "\u{0}#";

/// Whether a key is never listed: `[Symbol.iterator]` and private members.
fn unlisted(key: &str) -> bool {
    key.starts_with('\u{0}') || key == super::classes::ITERATOR_KEY
}

/// What an object inherits from: `Object.prototype` (every object literal
/// and message), nothing (`Object.create(null)`), or another object
/// (`Object.create(proto)`), whose properties reads fall through to.
#[derive(Clone, Default)]
pub enum Proto {
    #[default]
    Object,
    Null,
    Of(JsObject),
}

/// Named properties in insertion order. Hashed with a fast, randomly seeded
/// hasher: keys come from requests, so the seed keeps collisions out of an
/// attacker's reach, and SipHash would cost more than the lookups.
type Named = IndexMap<Key, Dynamic, foldhash::fast::RandomState>;

/// An object's properties in JavaScript order.
#[derive(Default)]
pub struct JsMap {
    /// Array-index keys by number, with the key's text (so listing keys
    /// allocates nothing).
    indexed: BTreeMap<u32, (Key, Dynamic)>,
    named: Named,
    pub proto: Proto,
    /// `Object.freeze`d: writes and deletes are ignored (sloppy mode).
    pub frozen: bool,
    /// Keys `Object.defineProperty` made non-enumerable: readable, but not
    /// listed (`Object.keys`, `for...in`, JSON, the message). A few at
    /// most, so a list (empty, it allocates nothing).
    hidden: Vec<Key>,
}

impl JsMap {
    /// An empty map with room for `n` named properties.
    pub fn with_capacity(n: usize) -> Self {
        JsMap {
            indexed: BTreeMap::new(),
            named: Named::with_capacity_and_hasher(n, Default::default()),
            ..JsMap::default()
        }
    }

    pub fn len(&self) -> usize {
        self.indexed.len() + self.named.len()
    }

    pub fn is_empty(&self) -> bool {
        self.indexed.is_empty() && self.named.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&Dynamic> {
        match array_index(key) {
            Some(n) => self.indexed.get(&n).map(|(_, v)| v),
            None => self.named.get(key),
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Dynamic> {
        match array_index(key) {
            Some(n) => self.indexed.get_mut(&n).map(|(_, v)| v),
            None => self.named.get_mut(key),
        }
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Set a property: a new key goes where JavaScript's order puts it, an
    /// existing one keeps its place.
    pub fn insert(&mut self, key: Key, value: Dynamic) {
        match array_index(&key) {
            Some(n) => {
                self.indexed.insert(n, (key, value));
            }
            None => {
                // `[Symbol.iterator]` is a symbol key in JavaScript: never listed.
                if unlisted(&key) {
                    self.set_enumerable(&key, false);
                }
                self.named.insert(key, value);
            }
        }
    }

    /// Remove a property; the others keep their order.
    pub fn remove(&mut self, key: &str) -> Option<Dynamic> {
        match array_index(key) {
            Some(n) => self.indexed.remove(&n).map(|(_, v)| v),
            None => self.named.shift_remove(key),
        }
    }

    /// The enumerable properties in JavaScript order.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Dynamic)> + '_ {
        self.all()
            .filter(|(k, _)| self.hidden.is_empty() || !self.hidden.contains(k))
    }

    /// Every property, enumerable or not (`Object.getOwnPropertyNames`).
    pub fn all(&self) -> impl Iterator<Item = (&Key, &Dynamic)> + '_ {
        self.indexed
            .values()
            .map(|(k, v)| (k, v))
            .chain(self.named.iter())
    }

    /// Make `key` enumerable or not.
    pub fn set_enumerable(&mut self, key: &Key, enumerable: bool) {
        if enumerable {
            self.hidden.retain(|k| k != key);
        } else if !self.hidden.contains(key) {
            self.hidden.push(key.clone());
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &Key> + '_ {
        self.iter().map(|(k, _)| k)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Dynamic> + '_ {
        self.indexed
            .values_mut()
            .map(|(_, v)| v)
            .chain(self.named.values_mut())
    }

    /// Take every property out, in JavaScript order.
    pub fn drain(&mut self) -> impl Iterator<Item = (Key, Dynamic)> + '_ {
        std::mem::take(&mut self.indexed)
            .into_values()
            .chain(self.named.drain(..))
    }
}

/// Build from properties in source order, as an object literal or a JSON
/// object does: a repeated key keeps its first place and takes its last
/// value. Linear when index keys come in ascending order, `n log n` at worst.
impl FromIterator<(Key, Dynamic)> for JsMap {
    fn from_iter<I: IntoIterator<Item = (Key, Dynamic)>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut indexed = Vec::new();
        let mut named = Named::with_capacity_and_hasher(iter.size_hint().0, Default::default());
        let mut unlisted_keys = Vec::new();
        for (k, v) in iter {
            match array_index(&k) {
                Some(n) => indexed.push((n, (k, v))),
                None => {
                    if unlisted(&k) {
                        unlisted_keys.push(k.clone());
                    }
                    named.insert(k, v);
                }
            }
        }
        if named.is_empty() {
            named.shrink_to_fit();
        }
        // A stable sort then a bulk build: the last of equal keys wins.
        let mut map = JsMap {
            indexed: indexed.into_iter().collect(),
            named,
            ..JsMap::default()
        };
        for k in unlisted_keys {
            map.set_enumerable(&k, false);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The order rule applied the slow, obvious way: each new key placed by
    /// a scan, in one list.
    fn reference_insert(list: &mut Vec<(String, i64)>, key: &str, value: i64) {
        if let Some(slot) = list.iter_mut().find(|(k, _)| k == key) {
            slot.1 = value;
            return;
        }
        let pos = match array_index(key) {
            None => list.len(),
            Some(n) => list
                .iter()
                .position(|(k, _)| array_index(k).is_none_or(|m| m > n))
                .unwrap_or(list.len()),
        };
        list.insert(pos, (key.to_owned(), value));
    }

    fn listed(map: &JsMap) -> Vec<(String, i64)> {
        map.iter()
            .map(|(k, v)| (k.to_string(), v.as_int().unwrap()))
            .collect()
    }

    #[test]
    fn sets_and_deletes_keep_javascript_order() {
        let pool = [
            "0",
            "1",
            "2",
            "10",
            "9",
            "01",
            "-1",
            "1.5",
            "a",
            "b",
            "length",
            "4294967294",
            "4294967295",
            "99999999999",
            "",
            " 1",
        ];
        let mut map = JsMap::default();
        let mut reference = Vec::new();
        // A fixed pseudo-random walk of sets and deletes.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for step in 0..4000i64 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let key = pool[(seed % pool.len() as u64) as usize];
            if seed.is_multiple_of(5) {
                let removed = map.remove(key).map(|v| v.as_int().unwrap());
                let at = reference.iter().position(|(k, _)| k == key);
                assert_eq!(removed, at.map(|i| reference.remove(i).1), "{key}");
            } else {
                map.insert(key.into(), Dynamic::from_int(step));
                reference_insert(&mut reference, key, step);
            }
            assert_eq!(listed(&map), reference, "after step {step} ({key})");
            assert_eq!(map.len(), reference.len());
        }
    }

    #[test]
    fn building_from_source_order_matches_setting_one_by_one() {
        let source = ["b", "10", "a", "2", "b", "0", "x", "10"];
        let built: JsMap = source
            .iter()
            .enumerate()
            .map(|(i, k)| (Key::from(*k), Dynamic::from_int(i as i64)))
            .collect();
        let mut reference = Vec::new();
        for (i, k) in source.iter().enumerate() {
            reference_insert(&mut reference, k, i as i64);
        }
        assert_eq!(listed(&built), reference);
        assert_eq!(
            reference
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>(),
            ["0", "2", "10", "b", "a", "x"]
        );
    }
}

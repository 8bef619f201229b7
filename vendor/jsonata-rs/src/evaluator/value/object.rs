//! An object's members in insertion order.
//!
//! jsonata-js objects are JavaScript objects: their keys come out in the
//! order they were first set (`$keys`, `$each`, `$spread`, `*`, and the
//! serialized result). A hash map loses that order, so members are kept in a
//! vector, with a hash index from key to position once the object is large
//! enough for a linear search to cost more than the index.

use bumpalo::collections::{String as BumpString, Vec as BumpVec};
use bumpalo::Bump;
use hashbrown::{DefaultHashBuilder, HashMap};

use super::Value;

/// Below this many members a lookup is a linear scan.
const INDEX_FROM: usize = 16;

pub struct ObjectMap<'a> {
    entries: BumpVec<'a, (BumpString<'a>, &'a Value<'a>)>,
    index: Option<HashMap<&'a str, usize, DefaultHashBuilder, &'a Bump>>,
    arena: &'a Bump,
}

impl<'a> ObjectMap<'a> {
    pub fn with_capacity_in(capacity: usize, arena: &'a Bump) -> Self {
        ObjectMap {
            entries: BumpVec::with_capacity_in(capacity, arena),
            index: None,
            arena,
        }
    }

    pub fn new_in(arena: &'a Bump) -> Self {
        Self::with_capacity_in(0, arena)
    }

    pub fn allocator(&self) -> &'a Bump {
        self.arena
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.entries.iter().position(|(k, _)| &k[..] == key),
        }
    }

    pub fn get(&self, key: &str) -> Option<&&'a Value<'a>> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    /// Sets `key`; an existing key keeps its place, as in JavaScript.
    pub fn insert(&mut self, key: BumpString<'a>, value: &'a Value<'a>) {
        if let Some(i) = self.position(&key) {
            self.entries[i].1 = value;
            return;
        }
        let position = self.entries.len();
        // The key's bytes live in the arena for as long as the map does.
        let stable: &'a str = self.arena.alloc_str(&key);
        self.entries.push((key, value));
        if let Some(index) = &mut self.index {
            reserve(index, 1);
            index.insert(stable, position);
        } else if self.entries.len() > INDEX_FROM {
            self.build_index();
        }
    }

    fn build_index(&mut self) {
        let mut index = HashMap::new_in(self.arena);
        reserve(&mut index, self.entries.len());
        for (i, (k, _)) in self.entries.iter().enumerate() {
            let stable: &'a str = self.arena.alloc_str(k);
            index.insert(stable, i);
        }
        self.index = Some(index);
    }

    /// Removes `key`, keeping the other members' order.
    pub fn remove(&mut self, key: &str) {
        if let Some(i) = self.position(key) {
            self.entries.remove(i);
            if self.index.is_some() {
                self.build_index();
            }
        }
    }

    pub fn iter(&self) -> ObjectIter<'_, 'a> {
        ObjectIter {
            inner: self.entries.iter(),
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &BumpString<'a>> {
        self.entries.iter().map(|(k, _)| k)
    }
}

/// Grows the index, failing as the arena does when it is out of memory (a
/// panic the caller can catch) rather than aborting the process as an
/// infallible hash map allocation would.
fn reserve<'a>(index: &mut HashMap<&'a str, usize, DefaultHashBuilder, &'a Bump>, more: usize) {
    if index.try_reserve(more).is_err() {
        panic!("out of memory");
    }
}

impl PartialEq for ObjectMap<'_> {
    /// Objects are equal when they have the same members, in any order.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(k, v)| other.get(k).is_some_and(|o| *o == *v))
    }
}

impl std::fmt::Debug for ObjectMap<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Members in insertion order.
pub struct ObjectIter<'s, 'a> {
    inner: std::slice::Iter<'s, (BumpString<'a>, &'a Value<'a>)>,
}

impl<'s, 'a> Iterator for ObjectIter<'s, 'a> {
    type Item = (&'s BumpString<'a>, &'s &'a Value<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|(k, v)| (k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for ObjectIter<'_, '_> {}

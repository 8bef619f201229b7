//! Context keys as property paths (`a.b[2]["c d"]`), the one rule every
//! reader of a context uses: the function node's API and the `/context`
//! admin endpoints.

use serde_json::{Map, Value};

/// One context path segment.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// `a.b[0]["c"]` → segments; the first is the store key. An error is
/// Node-RED's `Invalid property expression` message.
pub fn parse_path(path: &str) -> Result<Vec<Seg>, String> {
    let invalid = || format!("Invalid property expression: {path}");
    let mut segs = Vec::new();
    let mut rest = path;
    let mut cur = String::new();
    while let Some(c) = rest.chars().next() {
        match c {
            '.' => {
                if cur.is_empty() && segs.is_empty() {
                    return Err(invalid());
                }
                if !cur.is_empty() {
                    segs.push(Seg::Key(std::mem::take(&mut cur)));
                }
                rest = &rest[1..];
                if rest.is_empty() || rest.starts_with('.') {
                    return Err(invalid());
                }
            }
            '[' => {
                if !cur.is_empty() {
                    segs.push(Seg::Key(std::mem::take(&mut cur)));
                }
                let close = rest.find(']').ok_or_else(invalid)?;
                let inner = rest[1..close].trim();
                let seg = if let Some(q) = inner.strip_prefix('"').and_then(|s| s.strip_suffix('"'))
                {
                    Seg::Key(q.to_owned())
                } else if let Some(q) = inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\''))
                {
                    Seg::Key(q.to_owned())
                } else {
                    Seg::Index(inner.parse().map_err(|_| invalid())?)
                };
                segs.push(seg);
                rest = &rest[close + 1..];
            }
            _ => {
                cur.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if !cur.is_empty() {
        segs.push(Seg::Key(cur));
    }
    match segs.first() {
        Some(Seg::Key(_)) => Ok(segs),
        _ => Err(invalid()),
    }
}

pub fn walk<'v>(mut v: &'v Value, segs: &[Seg]) -> Option<&'v Value> {
    for s in segs {
        v = match (s, v) {
            (Seg::Key(k), Value::Object(o)) => o.get(k)?,
            (Seg::Index(i), Value::Array(a)) => a.get(*i)?,
            (Seg::Index(i), Value::Object(o)) => o.get(&i.to_string())?,
            (Seg::Key(k), Value::Array(a)) => a.get(k.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

pub fn put(root: &mut Value, segs: &[Seg], value: Option<Value>) {
    let Some((first, rest)) = segs.split_first() else {
        return;
    };
    if rest.is_empty() {
        match (first, root) {
            (Seg::Index(n), Value::Array(a)) => match value {
                Some(v) => {
                    if a.len() <= *n {
                        a.resize(*n + 1, Value::Null);
                    }
                    a[*n] = v;
                }
                None => {
                    if *n < a.len() {
                        a[*n] = Value::Null;
                    }
                }
            },
            (seg, root) => {
                if !root.is_object() {
                    *root = Value::Object(Map::new());
                }
                let o = root.as_object_mut().expect("object");
                let key = seg_key(seg);
                match value {
                    Some(v) => {
                        o.insert(key, v);
                    }
                    None => {
                        o.shift_remove(&key);
                    }
                }
            }
        }
        return;
    }
    let child_default = || match rest[0] {
        Seg::Index(_) => Value::Array(Vec::new()),
        Seg::Key(_) => Value::Object(Map::new()),
    };
    let child = match (first, &mut *root) {
        (Seg::Index(n), Value::Array(a)) => {
            if a.len() <= *n {
                a.resize(*n + 1, Value::Null);
            }
            &mut a[*n]
        }
        (seg, root) => {
            if !root.is_object() {
                *root = Value::Object(Map::new());
            }
            root.as_object_mut()
                .expect("object")
                .entry(seg_key(seg))
                .or_insert_with(child_default)
        }
    };
    if !matches!(child, Value::Object(_) | Value::Array(_)) {
        *child = child_default();
    }
    put(child, rest, value);
}

/// A segment as an object key (`[2]` is `"2"`).
pub fn seg_key(s: &Seg) -> String {
    match s {
        Seg::Key(k) => k.clone(),
        Seg::Index(n) => n.to_string(),
    }
}

/// Remove the value under `segs` (non-empty) inside `root`, as setting it
/// to `undefined` does: an object loses the key, an array keeps its length.
/// Nothing on the way is created (Node-RED's `setObjectProperty` creates
/// missing parents only for a defined value).
pub fn remove(root: &mut Value, segs: &[Seg]) {
    let Some((last, parents)) = segs.split_last() else {
        return;
    };
    let mut cur = root;
    for seg in parents {
        let next = match (seg, cur) {
            (Seg::Index(i), Value::Array(a)) => a.get_mut(*i),
            (seg, Value::Object(o)) => o.get_mut(&seg_key(seg)),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    put(cur, std::slice::from_ref(last), None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_creates_nothing() {
        let mut v = json!({"b": [{"c": 1, "d": 2}]});
        remove(&mut v, &parse_path("x.nope.deep").unwrap()[1..]);
        assert_eq!(v, json!({"b": [{"c": 1, "d": 2}]}));
        remove(&mut v, &parse_path("x.b[0].c").unwrap()[1..]);
        assert_eq!(v, json!({"b": [{"d": 2}]}));
    }
    use serde_json::json;

    #[test]
    fn context_paths() {
        assert_eq!(parse_path("a").unwrap(), vec![Seg::Key("a".into())]);
        assert_eq!(
            parse_path("a.b[2][\"c d\"]").unwrap(),
            vec![
                Seg::Key("a".into()),
                Seg::Key("b".into()),
                Seg::Index(2),
                Seg::Key("c d".into())
            ]
        );
        assert!(parse_path("[1]").is_err());
        assert!(parse_path("a..b").is_err());
        let mut v = json!({});
        put(
            &mut v,
            &[Seg::Key("x".into()), Seg::Index(1)],
            Some(json!(5)),
        );
        assert_eq!(v, json!({"x": [null, 5]}));
    }
}

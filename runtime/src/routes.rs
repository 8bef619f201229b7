//! The table of `http in` endpoints: method + Express-style path → node.
//!
//! Matching follows Express's defaults that Node-RED users rely on: paths are
//! case-insensitive and a trailing slash is optional. Lookup goes through a
//! radix tree (`matchit`), so it does not grow with the number of endpoints.

use std::collections::HashMap;

use crate::error::Problem;

/// One endpoint's target.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Index of the `http in` node in the deployment's node table.
    pub node: usize,
    /// The `http in` node's id, for messages about this endpoint.
    pub node_id: String,
    /// The node's method (lower case, or `all`): decides what `msg.payload` is.
    pub method: String,
    /// Names of the `:param` segments, in path order.
    pub params: Vec<String>,
}

/// All endpoints of a deployment.
#[derive(Debug, Default)]
pub struct RouteTable {
    tree: matchit::Router<usize>,
    /// Per tree entry: method → endpoint (`"all"` for any method).
    entries: Vec<HashMap<String, Endpoint>>,
    count: usize,
}

/// The result of looking a request up.
pub enum Lookup<'a> {
    Found {
        endpoint: &'a Endpoint,
        /// Parameter values, decoded, in the same order as `endpoint.params`.
        values: Vec<String>,
    },
    /// The path exists but not for this method.
    MethodNotAllowed(Vec<String>),
    NotFound,
}

/// An endpoint to add: (node index, node id, method, path).
pub struct RouteInput<'a> {
    pub node: usize,
    pub node_problem: Box<dyn Fn(&str) -> Problem + 'a>,
    pub node_id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
}

impl RouteTable {
    /// Build the table, reporting invalid paths and duplicate endpoints.
    pub fn build(inputs: Vec<RouteInput<'_>>) -> Result<RouteTable, Vec<Problem>> {
        let mut table = RouteTable::default();
        let mut keys: HashMap<String, usize> = HashMap::new();
        let mut problems = Vec::new();
        for input in inputs {
            let (key, params) = match normalize(input.path) {
                Ok(v) => v,
                Err(msg) => {
                    problems.push((input.node_problem)(&msg));
                    continue;
                }
            };
            let slot = match keys.get(&key) {
                Some(&i) => i,
                None => {
                    let i = table.entries.len();
                    if let Err(e) = table.tree.insert(key.clone(), i) {
                        problems.push((input.node_problem)(&format!(
                            "url {} conflicts with another endpoint: {e}",
                            input.path
                        )));
                        continue;
                    }
                    table.entries.push(HashMap::new());
                    keys.insert(key, i);
                    i
                }
            };
            let methods = &mut table.entries[slot];
            if let Some(existing) = methods.get(input.method) {
                problems.push((input.node_problem)(&format!(
                    "{} {} is already served by http in node {}",
                    input.method.to_ascii_uppercase(),
                    input.path,
                    existing.node_id
                )));
                continue;
            }
            methods.insert(
                input.method.to_owned(),
                Endpoint {
                    node: input.node,
                    node_id: input.node_id.to_owned(),
                    method: input.method.to_owned(),
                    params,
                },
            );
            table.count += 1;
        }
        if problems.is_empty() {
            Ok(table)
        } else {
            Err(problems)
        }
    }

    /// Number of endpoints.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Find the endpoint for a request. `method` is upper- or lower-case.
    pub fn lookup(&self, method: &str, path: &str) -> Lookup<'_> {
        let trimmed = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
        let lower;
        let key = if trimmed.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = trimmed.to_ascii_lowercase();
            lower.as_str()
        } else {
            trimmed
        };
        let Ok(m) = self.tree.at(key) else {
            return Lookup::NotFound;
        };
        let methods = &self.entries[*m.value];
        let endpoint = methods
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(method))
            .or_else(|| methods.iter().find(|(k, _)| k.as_str() == "all"))
            .map(|(_, e)| e);
        match endpoint {
            Some(endpoint) => {
                // Parameter values are taken from the original path at the same
                // byte offsets (ASCII lower-casing keeps offsets), so they keep
                // their case.
                let base = key.as_ptr() as usize;
                let values = m
                    .params
                    .iter()
                    .map(|(_, v)| {
                        let start = v.as_ptr() as usize - base;
                        let raw = &trimmed[start..start + v.len()];
                        percent_encoding::percent_decode_str(raw)
                            .decode_utf8_lossy()
                            .into_owned()
                    })
                    .collect();
                Lookup::Found { endpoint, values }
            }
            None => {
                let mut allowed: Vec<String> =
                    methods.keys().map(|m| m.to_ascii_uppercase()).collect();
                allowed.sort();
                Lookup::MethodNotAllowed(allowed)
            }
        }
    }
}

/// Turn an Express path into the tree's key: lower-case, no trailing slash,
/// `:name` → positional `{pN}` (so `/a/:id` and `/a/:name` are the same
/// endpoint), `*` → a catch-all.
pub fn normalize(path: &str) -> Result<(String, Vec<String>), String> {
    if !path.starts_with('/') {
        return Err(format!("url \"{path}\" must start with /"));
    }
    if path.contains(['{', '}']) {
        return Err(format!("url \"{path}\" must not contain braces"));
    }
    let mut key = String::with_capacity(path.len());
    let mut params = Vec::new();
    let trimmed = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    for (i, seg) in trimmed.split('/').enumerate() {
        if i == 0 {
            continue;
        }
        key.push('/');
        if let Some(name) = seg.strip_prefix(':') {
            let name = name.trim_end_matches('?');
            if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err(format!("url \"{path}\" has an invalid parameter \"{seg}\""));
            }
            key.push_str(&format!("{{p{}}}", params.len()));
            params.push(name.to_owned());
        } else if seg == "*" {
            key.push_str(&format!("{{*p{}}}", params.len()));
            params.push(params.len().to_string());
        } else if seg.contains([':', '*', '(', ')', '?', '+']) {
            return Err(format!(
                "url \"{path}\" has an unsupported pattern in segment \"{seg}\""
            ));
        } else {
            key.push_str(&seg.to_ascii_lowercase());
        }
    }
    if key.is_empty() {
        key.push('/');
    }
    Ok((key, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(paths: &[(&str, &str)]) -> RouteTable {
        RouteTable::build(
            paths
                .iter()
                .enumerate()
                .map(|(i, (m, p))| RouteInput {
                    node: i,
                    node_problem: Box::new(|m: &str| Problem::file(m)),
                    node_id: "n",
                    method: m,
                    path: p,
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn matches_like_express() {
        let t = table(&[
            ("get", "/jwt/generate"),
            ("post", "/users/:id/Tokens"),
            ("all", "/any"),
        ]);
        assert!(matches!(
            t.lookup("GET", "/jwt/generate"),
            Lookup::Found { .. }
        ));
        assert!(matches!(
            t.lookup("GET", "/JWT/Generate/"),
            Lookup::Found { .. }
        ));
        match t.lookup("POST", "/users/AbC%20d/tokens") {
            Lookup::Found { endpoint, values } => {
                assert_eq!(endpoint.params, vec!["id"]);
                assert_eq!(values, vec!["AbC d"]);
            }
            _ => panic!("not found"),
        }
        assert!(matches!(t.lookup("DELETE", "/any"), Lookup::Found { .. }));
        match t.lookup("POST", "/jwt/generate") {
            Lookup::MethodNotAllowed(m) => assert_eq!(m, vec!["GET"]),
            _ => panic!("expected 405"),
        }
        assert!(matches!(t.lookup("GET", "/nope"), Lookup::NotFound));
    }

    #[test]
    fn duplicate_endpoints_are_refused() {
        let r = RouteTable::build(vec![
            RouteInput {
                node: 0,
                node_problem: Box::new(|m: &str| Problem::file(m)),
                node_id: "a",
                method: "get",
                path: "/x/:id",
            },
            RouteInput {
                node: 1,
                node_problem: Box::new(|m: &str| Problem::file(m)),
                node_id: "b",
                method: "get",
                path: "/X/:name/",
            },
        ]);
        assert_eq!(r.unwrap_err().len(), 1);
    }
}

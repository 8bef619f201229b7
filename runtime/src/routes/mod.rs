//! The table of `http in` endpoints: method + Express 4 path → node.
//!
//! Requests are matched the way Express 4 routes them for Node-RED: each
//! path is compiled as `path-to-regexp` 0.1.x compiles it ([`express`]),
//! and the first endpoint in registration order (Node-RED's node start
//! order, [`order`]) whose path and method match wins. Plain-text paths, the
//! common case, are found through a hash map instead of running their
//! expressions; patterned ones are tried in order, each passed over at the
//! cost of a prefix comparison unless the request starts with its plain text.

pub mod express;
pub mod order;

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
    /// How it reads request bodies.
    pub body: crate::request::BodyMode,
    /// For [`BodyMode::Raw`](crate::request::BodyMode::Raw): the only
    /// request path (as [`raw_route_key`](crate::request::raw_route_key)
    /// writes it) whose body is read raw.
    pub raw_key: Option<String>,
    /// Its request count and latency series for `/metrics`.
    pub metrics: std::sync::Arc<crate::metrics::EndpointMetrics>,
}

#[derive(Debug)]
struct Route {
    endpoint: Endpoint,
    compiled: express::Compiled,
}

/// All endpoints of a deployment, in registration order.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
    /// Plain-text path key → indices of its routes, ascending.
    literal: HashMap<String, Vec<usize>>,
    /// Indices of the routes with parameters or patterns, ascending.
    patterned: Vec<usize>,
}

/// The result of looking a request up.
pub enum Lookup<'a> {
    Found {
        endpoint: &'a Endpoint,
        /// `req.params`: decoded values by name, in JavaScript's key order
        /// (numbered groups first), without the optional ones that matched
        /// nothing.
        params: Vec<(String, String)>,
    },
    /// A parameter is not valid percent-encoded UTF-8 (Express answers 400).
    BadParam(String),
    /// An `OPTIONS` request for a path served for other methods: Express
    /// answers it with the methods those routes take (`GET,HEAD,POST`).
    Options(String),
    /// No route answers this method and path (Express's 404, also when
    /// the path is served for other methods).
    NotFound,
}

/// An endpoint to add: (node index, node id, method, path).
pub struct RouteInput<'a> {
    pub node: usize,
    pub node_problem: Box<dyn Fn(&str) -> Problem + 'a>,
    pub node_id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub body: crate::request::BodyMode,
}

impl RouteTable {
    /// Build the table from endpoints in registration order, reporting
    /// invalid paths. An endpoint whose method and path another already
    /// serves is left out with a warning: Express never reaches the second,
    /// and Node-RED runs such a flow.
    pub fn build(inputs: Vec<RouteInput<'_>>) -> Result<RouteTable, Vec<Problem>> {
        let mut table = RouteTable::default();
        let mut seen: HashMap<(String, String), String> = HashMap::new();
        let mut problems = Vec::new();
        for input in inputs {
            let compiled = match validate(input.path) {
                Ok(c) => c,
                Err(msg) => {
                    problems.push((input.node_problem)(&msg));
                    continue;
                }
            };
            let key = (input.method.to_owned(), compiled.identity.clone());
            if let Some(existing) = seen.get(&key) {
                tracing::warn!(
                    node = %input.node_id,
                    "http in: {} {} is already served by http in node {existing}, which answers it",
                    input.method.to_ascii_uppercase(),
                    input.path,
                );
                continue;
            }
            seen.insert(key, input.node_id.to_owned());
            let index = table.routes.len();
            match &compiled.literal {
                Some(text) => table.literal.entry(text.clone()).or_default().push(index),
                None => table.patterned.push(index),
            }
            table.routes.push(Route {
                endpoint: Endpoint {
                    node: input.node,
                    node_id: input.node_id.to_owned(),
                    method: input.method.to_owned(),
                    body: input.body,
                    raw_key: (input.body == crate::request::BodyMode::Raw)
                        .then(|| crate::request::raw_route_key(input.path)),
                    metrics: std::sync::Arc::new(crate::metrics::EndpointMetrics::new(
                        input.path,
                        input.method,
                    )),
                },
                compiled,
            });
        }
        if problems.is_empty() {
            Ok(table)
        } else {
            Err(problems)
        }
    }

    /// Number of endpoints.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Find the endpoint for a request (`path` raw, as sent). `method` is
    /// upper- or lower-case. As in Express, a matching path whose parameter
    /// does not decode ends the search with that error.
    pub fn lookup(&self, method: &str, path: &str) -> Lookup<'_> {
        let key = express::strip_slash(path).to_ascii_lowercase();
        let mut literal = self
            .literal
            .get(&key)
            .into_iter()
            .flatten()
            .copied()
            .peekable();
        let mut patterned = self.patterned.iter().copied().peekable();
        let options = method.eq_ignore_ascii_case("options");
        let mut allowed: Vec<String> = Vec::new();
        loop {
            let take_literal = match (literal.peek(), patterned.peek()) {
                (None, None) => break,
                (Some(l), Some(p)) => l < p,
                (Some(_), None) => true,
                (None, Some(_)) => false,
            };
            let (index, groups) = if take_literal {
                (literal.next().expect("peeked"), None)
            } else {
                let p = patterned.next().expect("peeked");
                let compiled = &self.routes[p].compiled;
                if !compiled.may_match(path) {
                    continue;
                }
                match compiled.regex.find(path) {
                    Some(m) => (p, Some(m)),
                    None => continue,
                }
            };
            let route = &self.routes[index];
            let params = match groups {
                Some(m) => match params(&route.compiled.keys, &m, path) {
                    Ok(p) => p,
                    Err(e) => return Lookup::BadParam(e),
                },
                None => Vec::new(),
            };
            if serves(&route.endpoint.method, method) {
                return Lookup::Found {
                    endpoint: &route.endpoint,
                    params,
                };
            }
            if options {
                allow(&mut allowed, &route.endpoint.method);
            }
        }
        if !allowed.is_empty() {
            return Lookup::Options(allowed.join(","));
        }
        // As in Express, a path served for other methods only is not found.
        Lookup::NotFound
    }
}

/// Add the methods a route for `served` takes to an `Allow` list, once
/// each, as Express's `Route._options` lists them (a GET route takes HEAD).
fn allow(list: &mut Vec<String>, served: &str) {
    let upper = served.to_ascii_uppercase();
    let head = (upper == "GET").then(|| "HEAD".to_owned());
    for m in std::iter::once(upper).chain(head) {
        if !list.contains(&m) {
            list.push(m);
        }
    }
}

/// Whether a route registered for `served` answers `method`: Express lets
/// a GET route answer HEAD too (without a body).
fn serves(served: &str, method: &str) -> bool {
    served.eq_ignore_ascii_case(method)
        || (method.eq_ignore_ascii_case("head") && served.eq_ignore_ascii_case("get"))
}

/// Express's `Layer.match`: each group's value decoded, under its key's
/// name; a later group of the same name only replaces an earlier one when
/// it matched something.
fn params(
    keys: &[String],
    m: &regress::Match,
    path: &str,
) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for (name, group) in keys.iter().zip(m.groups().skip(1)) {
        let value = group.map(|r| express::decode_param(&path[r])).transpose()?;
        match out.iter_mut().find(|(n, _)| n == name) {
            Some(slot) if value.is_some() => slot.1 = value,
            Some(_) => {}
            None => out.push((name.clone(), value)),
        }
    }
    let order = order::js_key_order(out.iter().map(|(n, _)| n.as_str()));
    Ok(order
        .into_iter()
        .filter_map(|i| out[i].1.take().map(|v| (std::mem::take(&mut out[i].0), v)))
        .collect())
}

/// Check an `http in` url: it must start with `/` and compile.
pub fn validate(path: &str) -> Result<express::Compiled, String> {
    if !path.starts_with('/') {
        return Err(format!("url \"{path}\" must start with /"));
    }
    express::compile(path)
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
                    body: crate::request::BodyMode::Parsed,
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
            ("get", "/any"),
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
            Lookup::Found { params, .. } => {
                assert_eq!(params, vec![("id".to_owned(), "AbC d".to_owned())]);
            }
            _ => panic!("not found"),
        }
        assert!(matches!(t.lookup("HEAD", "/any"), Lookup::Found { .. }));
        // Another method on a known path is not found, as in Express.
        assert!(matches!(
            t.lookup("POST", "/jwt/generate"),
            Lookup::NotFound
        ));
        assert!(matches!(t.lookup("GET", "/nope"), Lookup::NotFound));
        assert!(matches!(t.lookup("GET", "/any//"), Lookup::NotFound));
    }

    #[test]
    fn first_registered_match_wins() {
        let t = table(&[("get", "/a/:x"), ("get", "/a/b"), ("post", "/a/b")]);
        match t.lookup("GET", "/a/b") {
            Lookup::Found { endpoint, params } => {
                assert_eq!(endpoint.node, 0);
                assert_eq!(params, vec![("x".to_owned(), "b".to_owned())]);
            }
            _ => panic!("not found"),
        }
        match t.lookup("POST", "/A/B/") {
            Lookup::Found { endpoint, .. } => assert_eq!(endpoint.node, 2),
            _ => panic!("not found"),
        }
        assert!(matches!(t.lookup("PUT", "/a/b"), Lookup::NotFound));
        assert!(matches!(t.lookup("GET", "/a/%E0"), Lookup::BadParam(_)));
    }

    #[test]
    fn the_first_of_duplicate_endpoints_serves() {
        let r = RouteTable::build(vec![
            RouteInput {
                node: 0,
                node_problem: Box::new(|m: &str| Problem::file(m)),
                node_id: "a",
                method: "get",
                path: "/x/:id",
                body: crate::request::BodyMode::Parsed,
            },
            RouteInput {
                node: 1,
                node_problem: Box::new(|m: &str| Problem::file(m)),
                node_id: "b",
                method: "get",
                path: "/X/:name/",
                body: crate::request::BodyMode::Parsed,
            },
        ]);
        let table = r.expect("duplicates load, as in Node-RED");
        assert_eq!(table.len(), 1);
        match table.lookup("GET", "/x/7") {
            Lookup::Found { endpoint, .. } => assert_eq!(endpoint.node_id, "a"),
            _ => panic!("not found"),
        }
    }
}

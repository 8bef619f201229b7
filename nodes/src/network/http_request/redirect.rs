//! Redirects, followed as Node-RED's HTTP client (got 14, with Node-RED's
//! `maxRedirects: 21` and a cookie jar per request) follows them, hop by
//! hop here rather than inside reqwest: `msg.redirectList` records each
//! redirect's `Location` and cookies, `msg.followRedirects: false` stops at
//! the first answer, cookies a redirect sets go with the next requests, and
//! got's method rules differ from reqwest's (a POST answered 301 or 302
//! stays a POST; only 303 turns it into a GET).

use flowgate_runtime::Message;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Method, Url};
use serde_json::{Map, Value};

use super::HttpRequest;
use crate::support::js;

/// got's `maxRedirects` as Node-RED sets it.
const MAX_REDIRECTS: usize = 21;

/// The statuses got follows when the answer has a `Location`.
const REDIRECT_CODES: [u16; 7] = [300, 301, 302, 303, 304, 307, 308];

/// Why a chain of requests ended without an answer.
pub(super) enum ChainError {
    /// A request failed.
    Send(reqwest::Error),
    /// A redirect could not be followed (too many, or to a bad URL): the
    /// message and got's error code.
    Other(String, &'static str),
}

impl ChainError {
    /// What Node-RED reports: the error's text, its code (`msg.statusCode`)
    /// and the node's status text.
    pub(super) fn describe(&self) -> (String, &'static str, &'static str) {
        match self {
            ChainError::Other(message, code) => (message.clone(), code, code),
            ChainError::Send(e) if e.is_timeout() => (
                "no response from server".to_owned(),
                "ETIMEDOUT",
                "no response from server",
            ),
            ChainError::Send(e) if e.is_connect() => {
                let at = e
                    .url()
                    .and_then(|u| {
                        u.host_str()
                            .map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(80)))
                    })
                    .unwrap_or_default();
                (
                    format!("RequestError: connect ECONNREFUSED {at}"),
                    "ECONNREFUSED",
                    "ECONNREFUSED",
                )
            }
            ChainError::Send(e) => (format!("RequestError: {e}"), "ERR", "ERR"),
        }
    }
}

impl HttpRequest {
    /// Send `hop` and the requests its redirects lead to, as got follows
    /// them; the last answer and the redirects taken (`msg.redirectList`).
    pub(super) async fn send_following(
        &self,
        mut hop: Hop,
        msg: &Message,
    ) -> Result<(reqwest::Response, Vec<Value>), ChainError> {
        let timeout = self.timeout(msg);
        // `msg.followRedirects`, read with JavaScript's truthiness.
        let follow = msg
            .body
            .get("followRedirects")
            .is_none_or(|v| js::truthy(Some(v)));
        let mut taken = Vec::new();
        let mut jar = Jar::for_first(&hop);
        loop {
            let res = self.send(&hop, timeout).await.map_err(ChainError::Send)?;
            let status = res.status().as_u16();
            let location = match location(status, res.headers()) {
                Some(l) if follow => l,
                _ => return Ok((res, taken)),
            };
            if taken.len() >= MAX_REDIRECTS {
                return Err(ChainError::Other(
                    format!(
                        "MaxRedirectsError: Redirected {} times. Aborting.",
                        MAX_REDIRECTS
                    ),
                    "ERR_TOO_MANY_REDIRECTS",
                ));
            }
            taken.push(record(&location, res.headers()));
            jar.keep(res.headers(), &hop.url);
            hop = hop
                .next(status, &location, &jar)
                .map_err(|e| ChainError::Other(e, "ERR"))?;
        }
    }
}

/// One request of a chain: what a redirect may change.
pub(super) struct Hop {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// The `Location` of an answer got would follow, as the header's text.
fn location(status: u16, headers: &HeaderMap) -> Option<String> {
    if !REDIRECT_CODES.contains(&status) {
        return None;
    }
    let raw = headers.get(LOCATION)?.as_bytes();
    (!raw.is_empty()).then(|| raw.iter().map(|&b| char::from(b)).collect())
}

/// What `msg.redirectList` records of one redirect: `{location}`, with
/// `cookies` (as `msg.responseCookies`) when the answer set any.
fn record(location: &str, headers: &HeaderMap) -> Value {
    let mut entry = Map::new();
    entry.insert("location".into(), Value::String(location.to_owned()));
    let set: Vec<Value> = headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    if !set.is_empty() {
        entry.insert(
            "cookies".into(),
            Value::Object(super::parse_set_cookies(&set)),
        );
    }
    Value::Object(entry)
}

impl Hop {
    /// The request a `status` answer redirecting to `location` (the
    /// header's text) leads to, with `jar`'s cookies for its URL.
    fn next(self, status: u16, location: &str, jar: &Jar) -> Result<Hop, String> {
        // got reads the header's bytes as UTF-8.
        let bytes: Vec<u8> = location.chars().map(|c| c as u32 as u8).collect();
        let target = String::from_utf8_lossy(&bytes);
        let url = self
            .url
            .join(&target)
            .map_err(|_| format!("Invalid URL: {target}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("Unsupported protocol \"{}:\"", url.scheme()));
        }
        let Hop {
            mut method,
            mut headers,
            mut body,
            url: from,
        } = self;
        if status == 303 && method != Method::GET && method != Method::HEAD {
            method = Method::GET;
            body = None;
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-length"));
        }
        // got compares host names and explicit ports only, as URLs show
        // them (`http://a` and `https://a` are the same origin to it).
        let other_origin = url.host_str() != from.host_str() || url.port() != from.port();
        if other_origin {
            // got drops what identifies the caller to the first site.
            headers.retain(|(k, _)| {
                !["host", "cookie", "authorization"]
                    .iter()
                    .any(|n| k.eq_ignore_ascii_case(n))
            });
        }
        // got puts the jar's cookies for the URL in place of any header.
        if let Some(cookies) = jar.header(&url) {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("cookie"));
            headers.push(("cookie".into(), cookies));
        }
        Ok(Hop {
            method,
            url,
            headers,
            body,
        })
    }

    /// The value of this request's `Cookie` header, if it has one.
    fn cookie_header(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("cookie"))
            .map(|(_, v)| v.as_str())
    }
}

/// The request's cookie jar (tough-cookie's rules, reduced to what a chain
/// of redirects needs): cookies are kept per host and path, and sent to a
/// URL whose host and path they match, longer paths first, then oldest
/// first.
#[derive(Default)]
struct Jar {
    cookies: Vec<Cookie>,
}

struct Cookie {
    name: String,
    value: String,
    /// The host it was set by, or its `Domain` (then `domain_wide`).
    domain: String,
    domain_wide: bool,
    path: String,
    secure: bool,
}

impl Jar {
    /// A jar holding what the first request sends (`msg.cookies` and a
    /// `cookie` header, which Node-RED puts in the jar at the request's URL).
    fn for_first(hop: &Hop) -> Jar {
        let mut jar = Jar::default();
        if let Some(header) = hop.cookie_header() {
            for pair in header.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                jar.set(pair, &hop.url);
            }
        }
        jar
    }

    /// Keep the cookies an answer to a request for `url` sets.
    fn keep(&mut self, headers: &HeaderMap, url: &Url) {
        for v in headers.get_all(SET_COOKIE) {
            self.set(&String::from_utf8_lossy(v.as_bytes()), url);
        }
    }

    fn set(&mut self, text: &str, url: &Url) {
        let mut parts = text.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            return;
        };
        let name = name.trim();
        if name.is_empty() {
            return;
        }
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let mut cookie = Cookie {
            name: name.to_owned(),
            value: value.trim().to_owned(),
            domain: host.clone(),
            domain_wide: false,
            path: default_path(url.path()),
            secure: false,
        };
        let mut expired = false;
        for attr in parts {
            let (k, v) = attr.split_once('=').unwrap_or((attr, ""));
            let v = v.trim();
            match k.trim().to_ascii_lowercase().as_str() {
                "path" if v.starts_with('/') => cookie.path = v.to_owned(),
                "domain" if !v.is_empty() => {
                    let d = v.trim_start_matches('.').to_ascii_lowercase();
                    if !domain_matches(&host, &d) {
                        return; // another site's cookie: refused
                    }
                    cookie.domain = d;
                    cookie.domain_wide = true;
                }
                "secure" => cookie.secure = true,
                "max-age" => expired = v.parse::<i64>().is_ok_and(|s| s <= 0),
                _ => {}
            }
        }
        let same = |c: &Cookie| {
            c.name == cookie.name && c.domain == cookie.domain && c.path == cookie.path
        };
        match self.cookies.iter().position(same) {
            // A replaced cookie keeps its place (its creation time).
            Some(i) if !expired => {
                self.cookies[i].value = cookie.value;
                self.cookies[i].domain_wide = cookie.domain_wide;
                self.cookies[i].secure = cookie.secure;
            }
            Some(i) => {
                self.cookies.remove(i);
            }
            None if !expired => self.cookies.push(cookie),
            None => {}
        }
    }

    /// The `Cookie` header for a request to `url`, if any cookie matches.
    fn header(&self, url: &Url) -> Option<String> {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let path = url.path();
        let mut matching: Vec<(usize, &Cookie)> = self
            .cookies
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                let host_ok = if c.domain_wide {
                    domain_matches(&host, &c.domain)
                } else {
                    host == c.domain
                };
                host_ok && path_matches(path, &c.path) && (!c.secure || url.scheme() == "https")
            })
            .collect();
        if matching.is_empty() {
            return None;
        }
        matching.sort_by(|(ai, a), (bi, b)| b.path.len().cmp(&a.path.len()).then(ai.cmp(bi)));
        let pairs: Vec<String> = matching
            .iter()
            .map(|(_, c)| format!("{}={}", c.name, c.value))
            .collect();
        Some(pairs.join("; "))
    }
}

/// RFC 6265's default path: the URL's path up to its last `/`, or `/`.
fn default_path(path: &str) -> String {
    match path.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => path[..i].to_owned(),
    }
}

fn domain_matches(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

fn path_matches(path: &str, cookie_path: &str) -> bool {
    path == cookie_path
        || (path.starts_with(cookie_path)
            && (cookie_path.ends_with('/')
                || path.as_bytes().get(cookie_path.len()) == Some(&b'/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jar_sends_cookies_by_host_and_path_longest_path_first() {
        let mut jar = Jar::default();
        let at = |s: &str| Url::parse(s).unwrap();
        jar.set("first=one", &at("http://a.test/rd/chain"));
        jar.set("step=x; Path=/", &at("http://a.test/rd/chain"));
        jar.set("deep=d; Path=/rd/echo", &at("http://a.test/"));
        jar.set("wide=w; Domain=.a.test", &at("http://a.test/"));
        jar.set("evil=e; Domain=b.test", &at("http://a.test/"));
        jar.set("step=y; Path=/", &at("http://a.test/other"));
        assert_eq!(
            jar.header(&at("http://a.test/rd/echo")).as_deref(),
            Some("deep=d; first=one; step=y; wide=w")
        );
        assert_eq!(
            jar.header(&at("http://www.a.test/")).as_deref(),
            Some("wide=w")
        );
        assert_eq!(jar.header(&at("http://b.test/rd/echo")), None);
        jar.set("step=gone; Path=/; Max-Age=0", &at("http://a.test/"));
        assert_eq!(
            jar.header(&at("http://a.test/x")).as_deref(),
            Some("wide=w")
        );
    }
}

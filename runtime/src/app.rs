//! The one HTTP router of a runtime, and the rule for who answers a path.
//!
//! First match wins:
//!
//! 1. the admin API and the node types' admin routes, under the admin root,
//!    behind its authentication, Origin check and body limit (beside them,
//!    without authentication, the [`Site`]: the editor's page and assets);
//! 2. the node types' public routes (the JWKS document), unless a flow's
//!    `http in` endpoint serves the same method and path;
//! 3. the flows' `http in` endpoints, for everything else, including a path
//!    above with a method it does not serve (a flow's `GET /inject/state`
//!    beside the admin `POST /inject/{id}`).
//!
//! A flow may not serve a reserved path ([`AppOptions::reserved_paths`],
//! checked when it loads), nor a public route a node of the deployment
//! claims ([`BuildCx::claim_route`](crate::registry::BuildCx::claim_route)).
//! Node types declare their routes on their [`NodeType`](crate::NodeType)
//! (`public_route`, `admin_route`); nothing else needs to know them.
//!
//! [`App`] serves by these rules without walking the router for most flow
//! requests: one a flow endpoint serves, at a path no route of the first
//! rule may claim, is the flows' whatever the router would do, so it goes
//! to them directly. The router's layers cost a flow request about a
//! sixth of its time (the matching, a catch-all's parameters, boxed
//! services and extensions), which is most of what a hand-written handler
//! saves over a flow.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::MethodRouter;
use axum::Router;
use tower::ServiceExt;

use crate::admin::{self, AdminOptions};
use crate::http::{flow_request, serve_found};
use crate::registry::Registry;
use crate::routes::Lookup;
use crate::service::Runtime;

/// Builds a node type's route handler bound to the runtime, axum-style:
/// `|rt| post(handler).with_state(rt)`.
pub type RouteFactory = fn(Arc<Runtime>) -> MethodRouter;

/// Who may call a node type's route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, at the path as declared.
    Public,
    /// Admin API clients, under the admin root.
    Admin,
}

/// A route a node type serves.
#[derive(Clone, Copy)]
pub struct NodeRoute {
    pub access: Access,
    /// axum path syntax: `/a`, `/a/{param}`, `/a/{*rest}`.
    pub path: &'static str,
    pub handler: RouteFactory,
}

/// Pages served at the admin root beside the API, outside its
/// authentication: the editor, which a browser must load before it holds a
/// token. Present only with the admin API.
#[derive(Clone, Copy)]
pub struct Site {
    /// The site's routes for a normalized admin root (`/` or `/admin`).
    pub router: fn(&str) -> Router,
    /// Path prefixes it serves below the root (`/editor`): reserved for it.
    pub prefixes: &'static [&'static str],
}

/// What [`app`] serves besides the flows.
#[derive(Clone, Default)]
pub struct AppOptions {
    /// The admin API; `None` serves no admin API, no admin routes, no site.
    pub admin: Option<AdminOptions>,
    pub site: Option<Site>,
}

impl AppOptions {
    /// Path prefixes flows' `http in` nodes may not use (for
    /// [`Settings::reserved_paths`](crate::settings::Settings)): with the
    /// admin API at `/`, its own paths, the site's prefixes and the node
    /// types' admin routes ([`reserved_prefix`]); under a root of its own,
    /// that root.
    pub fn reserved_paths(&self, registry: &Registry) -> Vec<String> {
        let Some(admin) = &self.admin else {
            return Vec::new();
        };
        let site = self.site.iter().flat_map(|s| s.prefixes.iter().copied());
        let routes = registry
            .types()
            .into_iter()
            .flat_map(|t| t.routes.iter())
            .filter(|r| r.access == Access::Admin)
            .filter_map(|r| reserved_prefix(r.path));
        let extra: Vec<&str> = site.chain(routes).collect();
        admin::reserved_prefixes(admin, &extra)
    }
}

/// The part of an admin route's path flows may not use (it and everything
/// below it): a path without parameters whole, a catch-all's (`{*rest}`)
/// literal part before it. A route with a `{param}` segment reserves
/// nothing: it names one method on a family of paths, so, as in Node-RED,
/// flows keep the others (`GET /inject/state` beside `POST /inject/{id}`).
pub fn reserved_prefix(path: &str) -> Option<&str> {
    match path.find('{') {
        None => Some(path),
        Some(at) if path[at..].starts_with("{*") => Some(path[..at].trim_end_matches('/')),
        Some(_) => None,
    }
}

/// The runtime's router, and the requests that may skip it.
#[derive(Clone)]
pub struct App {
    router: Router,
    runtime: Arc<Runtime>,
    claimed: Arc<Claimed>,
}

impl App {
    /// [`app`] for `runtime` with `options`.
    pub fn new(runtime: Arc<Runtime>, options: AppOptions) -> App {
        let claimed = Claimed::of(&options, &runtime.env.registry);
        App {
            router: app(Arc::clone(&runtime), options),
            runtime,
            claimed: Arc::new(claimed),
        }
    }

    /// Answer `req`, which came from `peer`.
    pub async fn serve(&self, req: Request, peer: SocketAddr) -> Response {
        let req = if self.claimed.may_claim(req.uri().path()) {
            req
        } else {
            match serve_found(&self.runtime, req, Some(peer.ip())).await {
                Ok(response) => return response,
                Err((req, _)) => req,
            }
        };
        let (mut parts, body) = req.into_parts();
        parts.extensions.insert(ConnectInfo(peer));
        match self
            .router
            .clone()
            .oneshot(Request::from_parts(parts, body))
            .await
        {
            Ok(r) => r,
            Err(never) => match never {},
        }
    }
}

/// The paths where a route ahead of the flows (the first rule: the admin
/// API, the site, the node types' admin routes) may answer. Public node
/// routes and the probes yield to the flows, so they claim nothing here.
#[derive(Debug, Default)]
struct Claimed {
    /// Each path and everything below it, compared ignoring ASCII case: the
    /// reserved prefixes, and the plain text before a parameter of the
    /// node types' admin routes (which reserve nothing).
    prefixes: Vec<String>,
    /// Exact paths: the site's page at the root `/`.
    exact: Vec<String>,
}

impl Claimed {
    fn of(options: &AppOptions, registry: &Registry) -> Claimed {
        let Some(admin) = &options.admin else {
            return Claimed::default();
        };
        let mut claimed = Claimed {
            prefixes: options.reserved_paths(registry),
            exact: Vec::new(),
        };
        if admin.normalized_root() == "/" {
            let with_params = registry
                .types()
                .into_iter()
                .flat_map(|t| t.routes.iter())
                .filter(|r| r.access == Access::Admin && reserved_prefix(r.path).is_none())
                .map(|r| r.path[..r.path.find('{').unwrap_or(r.path.len())].to_owned());
            claimed.prefixes.extend(with_params);
            if options.site.is_some() {
                claimed.exact.push("/".into());
            }
        }
        // Trimmed once here rather than on every request.
        for p in &mut claimed.prefixes {
            p.truncate(p.trim_end_matches('/').len());
        }
        claimed
    }

    /// Whether a route ahead of the flows may answer `path`: when in doubt
    /// (a different case, a trailing slash) it may, and the router decides.
    fn may_claim(&self, path: &str) -> bool {
        self.exact.iter().any(|p| p == path)
            || self
                .prefixes
                .iter()
                .any(|p| under_trimmed(path, p.as_bytes()))
    }
}

/// Whether `path` is `prefix` or below it, ignoring ASCII case (the way
/// reserved paths compare). An empty prefix (or `/`) has every path below it.
pub(crate) fn is_under(path: &str, prefix: &str) -> bool {
    under_trimmed(path, prefix.trim_end_matches('/').as_bytes())
}

/// [`is_under`] for a prefix without a trailing `/`.
fn under_trimmed(path: &str, prefix: &[u8]) -> bool {
    let path = path.as_bytes();
    path.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
        && matches!(path.get(prefix.len()), None | Some(b'/'))
}

/// The runtime's whole router: see the module documentation for who
/// answers what.
pub fn app(runtime: Arc<Runtime>, options: AppOptions) -> Router {
    let registry = runtime.env.registry.clone();
    let mut router = crate::http::flow_router(Arc::clone(&runtime));
    if let Some(admin) = options.admin {
        let root = admin.normalized_root();
        let node_admin = node_routes(&registry, Access::Admin, &runtime);
        router = router.merge(admin::router(Arc::clone(&runtime), admin, node_admin));
        if let Some(site) = options.site {
            router = router.merge((site.router)(&root));
        }
    }
    let public = node_routes(&registry, Access::Public, &runtime).route_layer(
        axum::middleware::from_fn_with_state(Arc::clone(&runtime), yield_to_flows),
    );
    router
        .merge(public)
        .method_not_allowed_fallback(move |req: Request| flow_request(State(runtime), req))
}

/// The routes of every registered type with this access, bound to `runtime`.
fn node_routes(registry: &Registry, access: Access, runtime: &Arc<Runtime>) -> Router {
    registry
        .types()
        .into_iter()
        .flat_map(|t| t.routes.iter())
        .filter(|r| r.access == access)
        .fold(Router::new(), |router, r| {
            router.route(r.path, (r.handler)(Arc::clone(runtime)))
        })
}

/// A public route yields to a flow endpoint serving the request's method
/// and path: a flow may use a public path no node of its deployment claims.
pub(crate) async fn yield_to_flows(
    State(runtime): State<Arc<Runtime>>,
    req: Request,
    next: Next,
) -> Response {
    let flows = runtime.current();
    let served = matches!(
        flows
            .routes()
            .lookup(req.method().as_str(), req.uri().path()),
        Lookup::Found { .. }
    );
    if served {
        flow_request(State(runtime), req).await
    } else {
        next.run(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::{is_under, reserved_prefix};

    #[test]
    fn paths_under_a_prefix() {
        assert!(is_under("/flows", "/flows"));
        assert!(is_under("/FLOWS/x", "/flows"));
        assert!(is_under("/flows", "/flows/"));
        assert!(!is_under("/flowsx", "/flows"));
        assert!(!is_under("/flow", "/flows"));
        assert!(is_under("/anything", ""));
        assert!(is_under("/anything", "/"));
        // Not a character boundary of the prefix's length: no panic, no match.
        assert!(!is_under("/fl\u{e9}ws", "/flows"));
    }

    #[test]
    fn reserved_prefixes_of_admin_routes() {
        assert_eq!(reserved_prefix("/jwt/configs"), Some("/jwt/configs"));
        assert_eq!(reserved_prefix("/editor/{*path}"), Some("/editor"));
        assert_eq!(reserved_prefix("/inject/{id}"), None);
    }
}

//! The admin HTTP API, shaped like Node-RED's so its editor and tools
//! (`node-red-admin`, CI scripts calling `POST /flows`) work unchanged:
//! read and deploy flows, start and stop them, list node types, watch debug
//! and status events over `/comms`.
//!
//! [`router`] builds it. Everything except `GET /auth/login`,
//! `POST /auth/token` and the `/comms` WebSocket (which authenticates
//! in-band, as Node-RED's does) sits behind one bearer-token check;
//! state-changing requests from a foreign `Origin` are refused (CSRF);
//! failed authentication backs its client address off; every answer carries
//! the anti-framing and no-sniffing headers of [`security_headers`]. The
//! node types' admin routes get the same protection: [`crate::app::app`]
//! passes them in as `extra_protected`.

mod auth;
mod comms;
mod context;
mod deploy;
mod diff;
mod error;
mod flows;
mod follow;
mod headers;
pub(crate) mod journal;
mod library;
mod nodes;
mod origin;
pub(crate) mod persist;
mod probes;
mod settings;
mod throttle;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;

pub use deploy::{DeployError, DeployKind};
pub use error::ApiError;
pub use headers::{security_headers, CONTENT_SECURITY_POLICY};
pub use library::ExampleFlow;
pub use nodes::describe as describe_node_type;

use crate::service::Runtime;

/// How the admin API is served.
#[derive(Clone)]
pub struct AdminOptions {
    /// Where the API lives: `/` (Node-RED's default) or a path like `/admin`.
    pub root: String,
    /// The bearer token every protected endpoint requires; `None` leaves the
    /// API open (the CLI allows that on loopback only).
    pub token: Option<String>,
    /// Largest request body accepted (Node-RED's `apiMaxLength`, 5 MB).
    pub max_body_bytes: usize,
    /// How long a session token from `POST /auth/token` stays valid
    /// (Node-RED's `sessionExpiryTime`, one week).
    pub session_ttl: Duration,
    /// Without a token the API only answers requests whose `Host` is a
    /// loopback name or an IP address (against DNS rebinding); `true` lifts
    /// that (the CLI's `--admin-any-host`).
    pub allow_any_host: bool,
    /// `/health`, `/ready` and `/metrics` answer without the token (the
    /// CLI's `--metrics-public`): for probes and scrapers inside a cluster.
    pub metrics_public: bool,
    /// The example flows the editor's Import dialog offers, served by
    /// Node-RED's library API (`GET /library/examples/flows/...`).
    pub examples: &'static [ExampleFlow],
}

impl Default for AdminOptions {
    fn default() -> Self {
        AdminOptions {
            root: "/".into(),
            token: None,
            max_body_bytes: 5 * 1024 * 1024,
            session_ttl: Duration::from_secs(7 * 24 * 3600),
            allow_any_host: false,
            metrics_public: false,
            examples: &[],
        }
    }
}

/// The paths the admin API answers at, relative to its root.
const ADMIN_PREFIXES: &[&str] = &[
    "/flows",
    "/flow",
    "/nodes",
    "/settings",
    "/comms",
    "/credentials",
    "/context",
    "/auth/login",
    "/auth/token",
    "/auth/revoke",
    "/library/examples",
];

impl AdminOptions {
    /// The root normalized: leading slash, no trailing slash (`/` stays `/`).
    pub fn normalized_root(&self) -> String {
        normalize_root(&self.root)
    }
}

/// `admin` → `/admin`, `/admin/` → `/admin`, `` → `/`.
pub fn normalize_root(root: &str) -> String {
    let trimmed = root.trim().trim_matches('/');
    if trimmed.is_empty() {
        "/".into()
    } else {
        format!("/{trimmed}")
    }
}

/// Path prefixes flows' `http in` nodes may not use, for
/// [`Settings::reserved_paths`](crate::settings::Settings): the admin API's
/// own paths when it sits at `/`, else its whole root. `extra` names further
/// prefixes served under the root (the editor's, the node types' admin
/// routes; see [`crate::app::AppOptions::reserved_paths`]).
pub fn reserved_prefixes(options: &AdminOptions, extra: &[&str]) -> Vec<String> {
    let root = options.normalized_root();
    if root != "/" {
        return vec![root.to_ascii_lowercase()];
    }
    ADMIN_PREFIXES
        .iter()
        .copied()
        .chain(extra.iter().copied())
        .map(|p| normalize_root(p).to_ascii_lowercase())
        .collect()
}

/// State shared by the admin handlers.
pub(crate) struct Admin {
    pub runtime: Arc<Runtime>,
    pub options: AdminOptions,
    pub auth: auth::Auth,
    /// Flows stopped with `POST /flows/state`; changed only under the
    /// runtime's deploy lock.
    pub stopped: AtomicBool,
}

/// The admin API under `options.root`.
///
/// `extra_protected` holds further routes (paths relative to the root, state
/// already applied) that get the same protection as the built-in ones: the
/// bearer-token check, the Origin check and the body limit (how fast a body
/// must arrive is the connection layer's rule, the same for every route).
/// [`crate::app::app`] merges it with the other routes and the flows; paths
/// the API does not serve fall through to the flows.
pub fn router(runtime: Arc<Runtime>, options: AdminOptions, extra_protected: Router) -> Router {
    let root = options.normalized_root();
    let admin = Arc::new(Admin {
        auth: auth::Auth::new(options.token.as_deref(), options.session_ttl),
        runtime,
        options,
        stopped: AtomicBool::new(false),
    });

    let protected = Router::new()
        .route("/flows", get(flows::get_flows).post(flows::post_flows))
        .route(
            "/flows/state",
            get(flows::get_state).post(flows::post_state),
        )
        .route("/flow", post(flows::add_flow))
        .route(
            "/flow/{id}",
            get(flows::get_flow)
                .put(flows::update_flow)
                .delete(flows::delete_flow),
        )
        .route("/credentials/{node_type}/{id}", get(flows::get_credentials))
        .route("/nodes", get(nodes::get_nodes))
        .route("/settings", get(settings::get_settings))
        .route("/context/global", get(context::get_global))
        .route(
            "/context/global/{*key}",
            get(context::get_global_key).delete(context::delete_global_key),
        )
        .route("/context/{scope}/{id}", get(context::get_scope))
        .route(
            "/context/{scope}/{id}/{*key}",
            get(context::get_scope_key).delete(context::delete_scope_key),
        )
        .route("/auth/revoke", post(auth::revoke))
        .route(library::EXAMPLES_PATH, get(library::modules))
        .route(
            &format!("{}/", library::EXAMPLES_PATH),
            get(library::modules),
        )
        .route(
            &format!("{}/{{*path}}", library::EXAMPLES_PATH),
            get(library::entry),
        )
        .with_state(admin.clone())
        .merge(extra_protected)
        .route_layer(axum::middleware::from_fn_with_state(
            admin.clone(),
            auth::require,
        ));

    let mut open = Router::new()
        .route("/auth/login", get(auth::login))
        .route("/auth/token", post(auth::token));
    if root != "/" {
        // Everything under a root of its own is the API's: unknown paths get
        // its 404, not the flows' (which repeats the path).
        open = open.route("/{*rest}", any(unknown_path));
    }
    let open = open.with_state(admin.clone());

    let limited = protected
        .merge(open)
        .route_layer(axum::middleware::from_fn_with_state(
            admin.clone(),
            error::limits,
        ))
        .route_layer(axum::extract::DefaultBodyLimit::max(
            admin.options.max_body_bytes,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            admin.clone(),
            origin::refuse_cross_site,
        ));

    start_following(&admin);
    let probes = probes::router(admin.clone());
    let probes = if admin.options.metrics_public {
        probes
    } else {
        probes.route_layer(axum::middleware::from_fn_with_state(
            admin.clone(),
            auth::require,
        ))
    };
    // Outermost, so a flow serving `/health` answers before any token check.
    let probes = probes.route_layer(axum::middleware::from_fn_with_state(
        admin.runtime.clone(),
        crate::app::yield_to_flows,
    ));

    // The WebSocket checks Origin and auth itself.
    let api = limited
        .merge(probes)
        .route("/comms", get(comms::upgrade).with_state(admin))
        .route_layer(axum::middleware::map_response(security_headers));

    if root == "/" {
        api
    } else {
        Router::new().nest(&root, api)
    }
}

/// A cluster replica follows the cluster's deploys through this admin
/// state's deploy path (its lock, its stopped flag).
fn start_following(admin: &Arc<Admin>) {
    if let Some(cluster) = admin.runtime.cluster() {
        let follower = Arc::new(follow::Follower::new(admin.clone()));
        cluster.start(follower, admin.runtime.events().clone());
    }
}

/// Follow the cluster's deploys without serving the admin API
/// (`--no-admin`): the same deploy path, with no way in from outside.
pub fn follow_cluster(runtime: Arc<Runtime>) {
    start_following(&Arc::new(Admin {
        auth: auth::Auth::new(None, AdminOptions::default().session_ttl),
        runtime,
        options: AdminOptions::default(),
        stopped: AtomicBool::new(false),
    }));
}

/// A path under the admin root that the API does not serve. The answer does
/// not repeat the path.
async fn unknown_path() -> Response {
    ApiError::not_found("no such admin API endpoint").into_response()
}

//! One behaviour suite, run against every store kind (`memory`,
//! `localfilesystem`, Redis): the same cases through [`Store`], the API
//! every node and the admin endpoints use.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::*;

/// A store under test and what keeps it alive (a directory, a server).
struct Fixture {
    stores: Arc<ContextStores>,
    /// Opens the same persisted data again (a restart); `None` for memory.
    reopen: Option<Box<dyn Fn() -> Arc<ContextStores>>>,
    _guard: Box<dyn std::any::Any>,
}

fn registry(stores: &Arc<ContextStores>) -> ContextRegistry {
    ContextRegistry::with_stores(stores.clone())
}

fn memory() -> Fixture {
    Fixture {
        stores: Arc::new(ContextStores::default()),
        reopen: None,
        _guard: Box::new(()),
    }
}

fn localfs() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let open = move || {
        let spec = StoreSpec::parse("file=localfilesystem?flushInterval=3600").unwrap();
        Arc::new(ContextStores::open(&[spec], Some(&path)).unwrap())
    };
    Fixture {
        stores: open(),
        reopen: Some(Box::new(open)),
        _guard: Box::new(dir),
    }
}

/// A `redis-server` of our own on a free loopback port, stopped on drop.
pub(crate) struct RedisServer {
    child: Child,
    pub url: String,
}

impl RedisServer {
    pub(crate) fn start() -> RedisServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args(["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
            .args(["--port", &port.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (Debian's redis-server package) must be installed");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        RedisServer {
            child,
            url: format!("redis://127.0.0.1:{port}/0"),
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn redis() -> Fixture {
    let server = RedisServer::start();
    let url = server.url.clone();
    let open = move || {
        let spec = StoreSpec::parse(&format!("shared={url}")).unwrap();
        Arc::new(ContextStores::open(&[spec], None).unwrap())
    };
    Fixture {
        stores: open(),
        reopen: Some(Box::new(open)),
        _guard: Box::new(server),
    }
}

fn round_trip(f: Fixture) {
    let reg = registry(&f.stores);
    let g = reg.global();
    assert_eq!(g.get("missing"), None);
    g.set("n", Some(json!(1)));
    g.set("o", Some(json!({"a": [1, "two", null], "b": {"c": true}})));
    assert_eq!(g.get("n"), Some(json!(1)));
    assert_eq!(g.get("o").unwrap()["a"][1], json!("two"));
    g.set("n", None);
    assert_eq!(g.get("n"), None);
    assert_eq!(g.keys(), vec!["o".to_owned()]);
}

fn scopes_are_separate(f: Fixture) {
    let reg = registry(&f.stores);
    reg.flow("tab1").set("k", Some(json!("flow1")));
    reg.flow("tab2").set("k", Some(json!("flow2")));
    reg.node("n1", "tab1").set("k", Some(json!("node")));
    reg.global().set("k", Some(json!("global")));
    assert_eq!(reg.flow("tab1").get("k"), Some(json!("flow1")));
    assert_eq!(reg.flow("tab2").get("k"), Some(json!("flow2")));
    assert_eq!(reg.node("n1", "tab1").get("k"), Some(json!("node")));
    assert_eq!(reg.global().get("k"), Some(json!("global")));
    assert_eq!(reg.node("n2", "tab1").get("k"), None);
}

fn update_is_read_modify_write(f: Fixture) {
    let g = registry(&f.stores).global();
    g.set("count", Some(json!(1)));
    let seen = g.update("count", |slot| {
        let slot = slot.expect("set");
        *slot = json!(slot.as_i64().unwrap() + 1);
        "ran"
    });
    assert_eq!(seen, Some("ran"));
    assert_eq!(g.get("count"), Some(json!(2)));
}

/// Many writers, each its own key: every write is kept.
fn concurrent_writes_lose_nothing(f: Fixture) {
    let g = registry(&f.stores).global();
    std::thread::scope(|s| {
        for t in 0..8 {
            let g = g.clone();
            s.spawn(move || {
                for i in 0..25 {
                    g.set(&format!("k{t}-{i}"), Some(json!({"t": t, "i": i})));
                }
            });
        }
    });
    let keys = g.keys();
    assert_eq!(keys.len(), 200, "every distinct key kept");
    for t in 0..8 {
        for i in 0..25 {
            assert_eq!(g.get(&format!("k{t}-{i}")), Some(json!({"t": t, "i": i})));
        }
    }
}

/// Writers replacing one large value while readers read it: a read is
/// always one whole written value.
fn reads_never_tear(f: Fixture) {
    let g = registry(&f.stores).global();
    let value = |n: u64| json!({"n": n, "fill": vec![n; 2000]});
    g.set("big", Some(value(0)));
    std::thread::scope(|s| {
        for w in 1..=2u64 {
            let g = g.clone();
            s.spawn(move || {
                for i in 0..20 {
                    g.set("big", Some(value(w * 100 + i)));
                }
            });
        }
        for _ in 0..2 {
            let g = g.clone();
            s.spawn(move || {
                for _ in 0..40 {
                    let v = g.get("big").expect("always present");
                    let n = v["n"].as_u64().unwrap();
                    assert_eq!(v, value(n), "a torn value was read");
                }
            });
        }
    });
}

/// A persistent store keeps its values across a restart.
fn survives_restart(f: Fixture) {
    let Some(reopen) = &f.reopen else {
        return;
    };
    {
        let reg = registry(&f.stores);
        reg.global().set("g", Some(json!([1, 2])));
        reg.flow("tab1").set("f", Some(json!("flow")));
        reg.node("n1", "tab1").set("c", Some(json!(7)));
        f.stores.flush();
    }
    let again = registry(&reopen());
    assert_eq!(again.global().get("g"), Some(json!([1, 2])));
    assert_eq!(again.flow("tab1").get("f"), Some(json!("flow")));
    assert_eq!(again.node("n1", "tab1").get("c"), Some(json!(7)));
}

/// After a deploy, contexts of nodes and flows no longer deployed go.
fn retain_forgets_removed_nodes(f: Fixture) {
    let reg = registry(&f.stores);
    reg.node("keep", "tab1").set("a", Some(json!(1)));
    reg.node("gone", "tab1").set("a", Some(json!(1)));
    reg.flow("oldtab").set("a", Some(json!(1)));
    reg.global().set("a", Some(json!(1)));
    reg.retain(&|n| n == "keep", &|t| t == "tab1");
    assert_eq!(reg.node("keep", "tab1").get("a"), Some(json!(1)));
    assert_eq!(reg.node("gone", "tab1").get("a"), None);
    assert_eq!(reg.flow("oldtab").get("a"), None);
    assert_eq!(reg.global().get("a"), Some(json!(1)));
}

macro_rules! behaviour_suite {
    ($store:ident) => {
        mod $store {
            #[test]
            fn round_trip() {
                super::round_trip(super::$store());
            }
            #[test]
            fn scopes_are_separate() {
                super::scopes_are_separate(super::$store());
            }
            #[test]
            fn update_is_read_modify_write() {
                super::update_is_read_modify_write(super::$store());
            }
            #[test]
            fn concurrent_writes_lose_nothing() {
                super::concurrent_writes_lose_nothing(super::$store());
            }
            #[test]
            fn reads_never_tear() {
                super::reads_never_tear(super::$store());
            }
            #[test]
            fn survives_restart() {
                super::survives_restart(super::$store());
            }
            #[test]
            fn retain_forgets_removed_nodes() {
                super::retain_forgets_removed_nodes(super::$store());
            }
        }
    };
}

behaviour_suite!(memory);
behaviour_suite!(localfs);
behaviour_suite!(redis);

#[test]
fn named_stores_default_and_unknown_names() {
    let specs: Vec<StoreSpec> = ["fast=memory", "default=memory"]
        .iter()
        .map(|s| StoreSpec::parse(s).unwrap())
        .collect();
    let stores = Arc::new(ContextStores::open(&specs, None).unwrap());
    assert_eq!(
        stores.default_name(),
        "default",
        "`default` wins over first"
    );
    let reg = registry(&stores);
    let g = reg.global();
    g.in_store(Some("fast")).set("k", Some(json!("fast")));
    g.set("k", Some(json!("default")));
    assert_eq!(g.in_store(Some("fast")).get("k"), Some(json!("fast")));
    assert_eq!(g.get("k"), Some(json!("default")));
    // Node-RED falls back to the default store for an unknown name.
    assert_eq!(g.in_store(Some("nope")).get("k"), Some(json!("default")));
    assert!(Arc::ptr_eq(
        &g.in_store(Some("fast")),
        &g.in_store(Some("fast"))
    ));
}

/// Node-RED's `default: "name"`: the default is another store, and
/// `default` is not a store of its own.
#[test]
fn default_may_name_another_store() {
    let specs: Vec<StoreSpec> = ["fast=memory", "slow=memory", "default=slow"]
        .iter()
        .map(|s| StoreSpec::parse(s).unwrap())
        .collect();
    let stores = ContextStores::open(&specs, None).unwrap();
    assert_eq!(stores.default_name(), "slow");
    assert_eq!(stores.names(), ["fast", "slow"]);
    let missing = [StoreSpec::parse("default=nope").unwrap()];
    assert!(matches!(
        ContextStores::open(&missing, None).unwrap_err(),
        ConfigError::NoAliasTarget { .. }
    ));
    assert!(matches!(
        StoreSpec::parse("my-store=memory").unwrap_err(),
        ConfigError::Name { .. }
    ));
}

#[test]
fn file_layout_is_node_reds() {
    let dir = tempfile::tempdir().unwrap();
    let spec = StoreSpec::parse("file=localfilesystem").unwrap();
    let stores = Arc::new(ContextStores::open(&[spec], Some(dir.path())).unwrap());
    let reg = registry(&stores);
    reg.global().set("g", Some(json!(1)));
    reg.flow("f1").set("f", Some(json!(2)));
    reg.node("n1", "f1").set("n", Some(json!({"a": 3})));
    stores.flush();
    let read = |p: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(p)).unwrap()).unwrap()
    };
    assert_eq!(read("context/global/global.json"), json!({"g": 1}));
    assert_eq!(read("context/f1/flow.json"), json!({"f": 2}));
    assert_eq!(read("context/f1/n1.json"), json!({"n": {"a": 3}}));
    let text = std::fs::read_to_string(dir.path().join("context/f1/n1.json")).unwrap();
    assert_eq!(
        text, "{\n    \"n\": {\n        \"a\": 3\n    }\n}",
        "four-space indent"
    );
}

#[test]
fn specs_parse_and_refuse() {
    assert_eq!(
        StoreSpec::parse("disk=localfilesystem?flushInterval=2.5")
            .unwrap()
            .kind,
        StoreKind::LocalFileSystem {
            dir: None,
            flush_interval: Duration::from_millis(2500)
        }
    );
    assert!(matches!(
        StoreSpec::parse("x=mongodb://h").unwrap_err(),
        ConfigError::Kind { .. }
    ));
    assert!(matches!(
        StoreSpec::parse("memory").unwrap_err(),
        ConfigError::Syntax(_)
    ));
    assert!(matches!(
        StoreSpec::parse("m=memory?x=1").unwrap_err(),
        ConfigError::Option { .. }
    ));
}

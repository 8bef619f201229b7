//! The example flows of `flows/` through Node-RED's library API, as the
//! editor's Import dialog (Examples tab) reads them: behind the admin token,
//! every file listed, each served as shipped.

use serde_json::{json, Value};

use crate::common::{client, repo_root, Server};

const TOKEN: &str = "library-test-token";

fn server() -> Server {
    Server::start_with("[]", &["--admin-token", TOKEN], &[])
}

fn get(s: &Server, path: &str) -> reqwest::blocking::Response {
    client().get(s.url(path)).bearer_auth(TOKEN).send().unwrap()
}

#[test]
fn every_flow_in_flows_is_listed_with_a_title_and_description() {
    let s = server();
    let modules: Value = get(&s, "/library/examples/flows/").json().unwrap();
    assert_eq!(modules, json!(["flowgate"]));
    let list: Vec<Value> = get(&s, "/library/examples/flows/flowgate").json().unwrap();
    let listed: Vec<&str> = list.iter().map(|e| e["fn"].as_str().unwrap()).collect();
    let mut files: Vec<String> = std::fs::read_dir(repo_root().join("flows"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(".json").map(str::to_owned)
        })
        .collect();
    files.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, files, "the Examples list is the flows/ directory");
    assert_eq!(listed[0], "ignite-jwt", "the Ignite example comes first");
    for e in &list {
        assert!(!e["title"].as_str().unwrap().is_empty(), "{e}");
        assert!(!e["description"].as_str().unwrap().is_empty(), "{e}");
    }
}

#[test]
fn an_example_is_served_as_the_file_ships() {
    let s = server();
    let r = get(&s, "/library/examples/flows/flowgate/ignite-jwt");
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let shipped = std::fs::read_to_string(repo_root().join("flows/ignite-jwt.json")).unwrap();
    assert_eq!(r.text().unwrap(), shipped);
}

#[test]
fn unknown_examples_are_not_found_in_node_reds_shape() {
    let s = server();
    for path in [
        "/library/examples/flows/flowgate/nope",
        "/library/examples/flows/node-red",
        "/library/examples/flows/flowgate/ignite-jwt/more",
    ] {
        let r = get(&s, path);
        assert_eq!(r.status(), 404, "{path}");
        let body: Value = r.json().unwrap();
        assert_eq!(
            body,
            json!({"code": "not_found", "message": "not_found"}),
            "{path}"
        );
    }
}

#[test]
fn examples_need_the_admin_token() {
    let s = server();
    let r = client()
        .get(s.url("/library/examples/flows/flowgate/ignite-jwt"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
}

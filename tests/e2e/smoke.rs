use crate::common;

#[test]
fn hello_flow_answers_with_the_query() {
    let s = common::Server::start_file(&common::repo_root().join("flows/hello.json"), &[], &[]);
    let r = common::client()
        .get(s.url("/hello/World?x=1"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), r#"{"x":"1"}"#);
}

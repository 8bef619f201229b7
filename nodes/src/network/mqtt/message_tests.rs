//! The conversions Node-RED's MQTT nodes make, case by case.

use serde_json::json;

use super::*;

#[test]
fn topic_filters_match_as_node_red_matches_them() {
    assert!(matches("a/+/c", "a/b/c"));
    assert!(!matches("a/+/c", "a//c"));
    assert!(matches("a/#", "a"));
    assert!(matches("a/#", "a/b/c"));
    assert!(!matches("a/b", "a/b/c"));
    assert!(matches("#", "x/y"));
    assert!(matches("$share/g/s/+", "s/1"));
    assert!(!matches("s/+", "s/1/2"));
}

#[test]
fn subscription_and_publish_topics_are_checked() {
    assert!(valid_subscription_topic("a/+/#"));
    assert!(!valid_subscription_topic("a/#/b"));
    assert!(!valid_subscription_topic("a/b+"));
    assert!(valid_publish_topic("a/b"));
    assert!(!valid_publish_topic("a/+"));
    assert!(!valid_publish_topic(""));
}

#[test]
fn payloads_decode_by_datatype() {
    let d = |t, p: &[u8]| decode(t, p, None).unwrap();
    assert_eq!(d(Datatype::AutoDetect, b"{\"a\":1}"), json!({"a": 1}));
    assert_eq!(d(Datatype::AutoDetect, b"12"), json!(12));
    assert_eq!(d(Datatype::Auto, b"12"), json!("12"));
    assert_eq!(d(Datatype::Utf8, b"{\"a\":1}"), json!("{\"a\":1}"));
    assert_eq!(d(Datatype::Base64, b"hi"), json!("aGk="));
    assert_eq!(
        d(Datatype::AutoDetect, &[0xff, 0x00]),
        json!({"type": "Buffer", "data": [255, 0]})
    );
    assert_eq!(
        decode(Datatype::Json, b"nope", None),
        Err(DecodeError::BadJson)
    );
    assert_eq!(
        decode(Datatype::Json, &[0xff], None),
        Err(DecodeError::NotText)
    );
}

#[test]
fn payloads_serialise_as_node_red_publishes_them() {
    let b = |v: serde_json::Value| payload_bytes(Some(&v)).to_vec();
    assert_eq!(b(json!({"a": [1, "x"]})), b"{\"a\":[1,\"x\"]}");
    assert_eq!(b(json!({"type": "Buffer", "data": [1, 2]})), vec![1, 2]);
    assert_eq!(b(json!(1.5)), b"1.5");
    assert_eq!(b(json!(true)), b"true");
    assert_eq!(b(json!(null)), b"");
}

//! The qs port against answers recorded from Node-RED 5.0.7.

use super::*;
use serde_json::json;

fn query(s: &str) -> Value {
    Value::Object(parse(s, &QUERY).unwrap())
}

fn form(s: &str) -> Result<Value, FormError> {
    parse_form(s).map(Value::Object)
}

#[test]
fn query_depth_five_then_a_literal_key() {
    assert_eq!(
        query("a[b][c][d][e][f][g][h]=1"),
        json!({"a":{"b":{"c":{"d":{"e":{"f":{"[g][h]":"1"}}}}}}})
    );
    assert_eq!(query("a[b=1"), json!({"a":{"[b":"1"}}));
    assert_eq!(
        query("a[b]c[d]=1&a]=2&[x]=3"),
        json!({"a":{"b":{"d":"1"}},"a]":"2","x":"3"})
    );
}

#[test]
fn arrays_indexes_and_overflow() {
    assert_eq!(
        query("a[1]=y&a[0]=x&b[5]=z"),
        json!({"a":["x","y"],"b":["z"]})
    );
    assert_eq!(query("a[1001]=x&a[2]=y"), json!({"a":{"2":"y","1001":"x"}}));
    assert_eq!(query("a[2000]=x&a[]=y"), json!({"a":{"0":"y","2000":"x"}}));
    assert_eq!(
        query("a[9007199254740994]=1&a[]=2"),
        json!({"a":{"0":"2","9007199254740994":"1"}})
    );
    assert_eq!(
        query("a[007]=1&b[-1]=2"),
        json!({"a":{"007":"1"},"b":{"-1":"2"}})
    );
    assert_eq!(query("a[0]=x&a[b]=y"), json!({"a":{"0":"x","b":"y"}}));
    assert_eq!(form("a[100]=x").unwrap(), json!({"a":{"100":"x"}}));
    assert_eq!(
        query("x[0]=a&x[0]=b&y[][]=1"),
        json!({"x":[["a","b"]],"y":["1"]})
    );
}

#[test]
fn values_meeting_objects() {
    assert_eq!(query("a=1&a[b]=2"), json!({"a":["1",{"b":"2"}]}));
    assert_eq!(
        query("a[b]=2&a=1&a=3"),
        json!({"a":{"0":"1","1":"3","b":"2"}})
    );
    let alternating = "a[b][c1]=1&a[b]1=v&a[b][c2]=2&a[b]2=w&a[b][c3]=3&a[b]3=x";
    assert_eq!(
        query(alternating),
        json!({"a":{"b":[{"0":{"0":{"c1":"1"},"1":"v","c2":"2"},"1":"w","c3":"3"},"x"]}})
    );
    assert_eq!(
        form(alternating).unwrap(),
        json!({"a":{"b":{"0":{"c1":"1"},"1":"v","2":"w","3":"x","c2":"2","c3":"3"}}})
    );
}

#[test]
fn keys_values_and_encodings() {
    assert_eq!(
        query("=1&&a&b=&c==d&e]=f]=g"),
        json!({"a":"","b":"","c":"=d","e]":"f]=g"})
    );
    assert_eq!(query("a+b=c+d&e=%2B%20"), json!({"a b":"c d","e":"+ "}));
    assert_eq!(
        query("a=%41%FF&b=%zz%41&c=%E2%9C%93"),
        json!({"a":"%41%FF","b":"%zz%41","c":"✓"})
    );
    assert_eq!(
        query("a%5Bb%5D=1&c%255B=2"),
        json!({"a":{"b":"1"},"c%5B":"2"})
    );
    assert_eq!(
        query("__proto__=1&a[__proto__]=2&toString=3"),
        json!({"a":{},"toString":"3"})
    );
    let ordered = query("x=c&2=a&1=b");
    assert_eq!(
        serde_json::to_string(&ordered).unwrap(),
        r#"{"1":"b","2":"a","x":"c"}"#
    );
}

#[test]
fn form_limits_are_errors() {
    let deep32 = format!("a{}=1", "[b]".repeat(32));
    assert!(form(&deep32).is_ok());
    let deep33 = format!("a{}=1", "[b]".repeat(33));
    assert_eq!(form(&deep33), Err(FormError::TooDeep(DepthExceeded)));
    let many = vec!["k=v"; 1001].join("&");
    assert_eq!(form(&many), Err(FormError::TooManyParameters));
    assert_eq!(query(&many), json!({"k": vec!["v"; 1000]}));
    assert_eq!(form("").unwrap(), json!({}));
}

/// The input that used to overflow the stack: 15,000 levels.
#[test]
fn very_deep_keys_are_cheap() {
    let deep = format!("a{}=1", "[b]".repeat(15_000));
    let v = query(&deep);
    let rest = "[b]".repeat(15_000 - 5);
    assert_eq!(v, json!({"a":{"b":{"b":{"b":{"b":{"b":{ rest: "1" }}}}}}}));
    assert_eq!(form(&deep), Err(FormError::TooDeep(DepthExceeded)));
    let open = "[".repeat(50_000);
    assert_eq!(
        query(&format!("a{open}=1")),
        json!({"a":{ open.clone(): "1" }})
    );
}

/// Express's qs wraps a value meeting an object each time: a thousand
/// parameters nest ~500 levels, which the conversion handles without
/// recursion.
#[test]
fn repeated_conflicts_nest_without_recursion() {
    let q: Vec<String> = (0..500)
        .flat_map(|i| [format!("a[b][c{i}]=1"), format!("a[b]{i}=v")])
        .collect();
    let parsed = query(&q.join("&"));
    let mut v = &parsed["a"]["b"];
    let mut depth = 0;
    while let Some(first) = v.get(0).or_else(|| v.get("0")) {
        v = first;
        depth += 1;
    }
    assert!(depth >= 499, "nested {depth}");
}

#[test]
fn numbers_print_as_javascript_does() {
    assert_eq!(crate::js_json::number_string(1e20), "100000000000000000000");
    assert_eq!(crate::js_json::number_string(1e21), "1e+21");
    assert_eq!(crate::js_json::number_string(-0.0), "0");
    assert_eq!(canonical_int("9007199254740993"), None);
    assert_eq!(canonical_int("9007199254740994"), Some(9007199254740994.0));
    assert_eq!(canonical_int("-0"), None);
    assert_eq!(canonical_int("01"), None);
}

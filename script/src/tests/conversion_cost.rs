//! Objects with many integer-like keys (`{"0": …, "1": …}`, as a JSON body
//! of an array-like object has) convert to script values and back, and take
//! property sets and deletes, in time linear in their size (`n log n` at
//! worst), not quadratic. Run with `--nocapture` to see the figures.

use std::time::{Duration, Instant};

use rhai::Dynamic;
use serde_json::{Map, Value};

use crate::convert::{self, Mode};
use crate::jslib::values::JsObject;
use crate::lazy::normalize;
use crate::sandbox::{self, Budget, RunError};

/// Time allowed per key, generous for a debug build on a busy machine (a key
/// takes a few microseconds there; ordered insertion one key at a time took
/// milliseconds per key at these sizes).
const PER_KEY: Duration = Duration::from_micros(40);

/// `{"0": 0, "1": 1, …}` (keys ascending or descending in the text).
fn integer_keyed(n: usize, descending: bool) -> Value {
    let mut m = Map::with_capacity(n);
    for i in 0..n {
        let k = if descending { n - 1 - i } else { i };
        m.insert(k.to_string(), Value::from(k));
    }
    Value::Object(m)
}

/// Convert `v` to script values, list its keys, and convert it back.
fn round_trip(v: &Value, mode: Mode) -> Duration {
    let started = Instant::now();
    let d = convert::from_json(v, mode);
    let keys = match mode {
        Mode::Js => d.read_lock::<JsObject>().unwrap().keys().len(),
        Mode::Rhai => d.read_lock::<rhai::Map>().unwrap().len(),
    };
    let back = convert::to_json(&d, mode, None).unwrap().unwrap();
    drop(d);
    let took = started.elapsed();
    let n = v.as_object().unwrap().len();
    assert_eq!(keys, n);
    let back = back.as_object().unwrap();
    assert_eq!(back.len(), n);
    if mode == Mode::Js {
        // JavaScript order: ascending, whatever the text's order.
        assert!(back.keys().enumerate().all(|(i, k)| *k == i.to_string()));
    }
    took
}

#[test]
fn integer_keyed_objects_convert_in_linear_time() {
    for n in [20_000usize, 40_000, 100_000] {
        for descending in [false, true] {
            let v = integer_keyed(n, descending);
            let js = round_trip(&v, Mode::Js);
            let rhai = round_trip(&v, Mode::Rhai);
            let mut passed = v.clone();
            let started = Instant::now();
            normalize(&mut passed);
            let pass_through = started.elapsed();
            let order = if descending {
                "descending"
            } else {
                "ascending"
            };
            eprintln!(
                "{n} integer keys ({order}): JavaScript {js:?}, Rhai {rhai:?}, untouched pass-through {pass_through:?}"
            );
            let bound = PER_KEY * n as u32;
            for (what, took) in [
                ("JavaScript", js),
                ("Rhai", rhai),
                ("pass-through", pass_through),
            ] {
                assert!(
                    took < bound,
                    "{what}: {n} keys took {took:?} (bound {bound:?})"
                );
            }
        }
    }
}

#[test]
fn setting_and_deleting_integer_keys_costs_no_scan_per_key() {
    let n = 100_000usize;
    let o = JsObject::new();
    o.set("name".into(), Dynamic::from_int(0));
    let started = Instant::now();
    // Descending: each new key goes before every key set so far.
    for i in (0..n).rev() {
        o.set(i.to_string().into(), Dynamic::from_int(i as i64));
    }
    for i in (0..n).step_by(2) {
        assert!(o.remove(&i.to_string()));
    }
    let took = started.elapsed();
    eprintln!(
        "{n} descending integer-key sets and {} deletes: {took:?}",
        n / 2
    );
    let keys = o.keys();
    assert_eq!(keys.len(), n / 2 + 1);
    assert_eq!(keys[0].as_str(), "1");
    assert_eq!(keys[n / 2 - 1].as_str(), (n - 1).to_string());
    assert_eq!(keys[n / 2].as_str(), "name");
    let bound = PER_KEY * n as u32;
    assert!(took < bound, "took {took:?} (bound {bound:?})");
}

#[test]
fn a_conversion_stops_when_the_run_is_out_of_time() {
    let v = integer_keyed(200_000, false);
    let started = Instant::now();
    drop(convert::from_json(&v, Mode::Js));
    let whole = started.elapsed();
    let budget = Budget {
        deadline: Instant::now(),
        timeout: Duration::from_millis(1),
        slice_end: None,
        max_operations: u64::MAX,
        max_memory: usize::MAX,
    };
    for mode in [Mode::Js, Mode::Rhai] {
        let started = Instant::now();
        let r = sandbox::within(budget, mode, || {
            Ok::<_, Box<rhai::EvalAltResult>>(convert::from_json(&v, mode))
        });
        let took = started.elapsed();
        eprintln!("{mode:?}: whole conversion {whole:?}, past the deadline {took:?}");
        match r {
            Err(RunError::Failed(m, _)) => {
                assert!(m.ends_with("Script execution timed out after 1ms"), "{m}")
            }
            Err(RunError::Sliced) => panic!("{mode:?}: sliced"),
            Ok(_) => panic!("{mode:?}: converted past the deadline"),
        }
        assert!(took < whole / 4, "{mode:?}: {took:?} (whole {whole:?})");
    }
}

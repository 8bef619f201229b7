//! The script library against V8's answers (Node.js 22 with full ICU):
//! local time in a named zone, locale formatting, number formatting, code
//! points, astral characters in regular expressions, V8's error texts, the
//! crypto module, and how undeclared names fail.

use jiff::tz::TimeZone;
use rhai::Dynamic;
use serde_json::{json, Value};

use crate::jslib::{crypto, localtime};
use crate::testing::js;

fn payload(body: &str) -> Value {
    js(body, json!({"payload": null}))["payload"].clone()
}

fn amsterdam() -> TimeZone {
    TimeZone::get("Europe/Amsterdam").unwrap()
}

#[test]
fn local_time_follows_the_zone_with_its_names() {
    let tz = amsterdam();
    let summer = 1_721_039_445_123.0; // 2024-07-15T10:30:45.123Z
    let winter = 1_705_446_309_000.0; // 2024-01-16T23:05:09Z
    assert_eq!(
        localtime::to_string_in(&tz, summer),
        "Mon Jul 15 2024 12:30:45 GMT+0200 (Central European Summer Time)"
    );
    assert_eq!(
        localtime::to_time_string_in(&tz, winter),
        "00:05:09 GMT+0100 (Central European Standard Time)"
    );
    assert_eq!(localtime::to_date_string_in(&tz, winter), "Wed Jan 17 2024");
    let f = localtime::fields_in(&tz, winter);
    assert_eq!((f.day, f.hours, f.weekday), (17, 0, 3));
    assert_eq!(
        localtime::to_string_in(&TimeZone::UTC, 0.0),
        "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)"
    );
}

#[test]
fn local_times_the_clocks_skip_or_repeat_resolve_as_in_v8() {
    let tz = amsterdam();
    let local = |y, m, d, h, mi| crate::jslib::date::make_time(y, m, d, h, mi, 0.0, 0.0);
    // 2024-03-31 02:30 does not exist: it is 03:30 CEST (01:30Z).
    let gap = localtime::utc_of_local_in(&tz, local(2024.0, 2.0, 31.0, 2.0, 30.0));
    assert_eq!(
        crate::jslib::date::to_iso(gap).unwrap(),
        "2024-03-31T01:30:00.000Z"
    );
    // 2024-10-27 02:30 happens twice: the first (CEST, 00:30Z).
    let fold = localtime::utc_of_local_in(&tz, local(2024.0, 9.0, 27.0, 2.0, 30.0));
    assert_eq!(
        crate::jslib::date::to_iso(fold).unwrap(),
        "2024-10-27T00:30:00.000Z"
    );
    // Beyond the zone database's years the offset at its end applies.
    assert!(localtime::utc_of_local_in(&tz, 8.0e15).is_finite());
}

#[test]
fn dates_format_per_locale_as_v8_with_full_icu() {
    let out = payload(
        "const d = new Date(Date.UTC(2024, 6, 15, 10, 30, 45, 123));\n\
         const o = {timeZone: 'UTC'};\n\
         const out = {};\n\
         for (const l of ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'nl-NL', 'ja-JP']) {\n\
           out[l] = [d.toLocaleString(l, o), d.toLocaleDateString(l, {timeZone: 'UTC', dateStyle: 'full'}), d.toLocaleTimeString(l, {timeZone: 'UTC', timeStyle: 'short'}), d.toLocaleDateString(l, {timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short'}), (1234567.891).toLocaleString(l)];\n\
         }\n\
         msg.payload = out;\nreturn msg;",
    );
    assert_eq!(
        out,
        json!({
            "en-US": ["7/15/2024, 10:30:45 AM", "Monday, July 15, 2024", "10:30 AM", "Mon, Jul 15", "1,234,567.891"],
            "en-GB": ["15/07/2024, 10:30:45", "Monday, 15 July 2024", "10:30", "Mon 15 Jul", "1,234,567.891"],
            "de-DE": ["15.7.2024, 10:30:45", "Montag, 15. Juli 2024", "10:30", "Mo., 15. Juli", "1.234.567,891"],
            "fr-FR": ["15/07/2024 10:30:45", "lundi 15 juillet 2024", "10:30", "lun. 15 juil.", "1\u{202f}234\u{202f}567,891"],
            "nl-NL": ["15-7-2024, 10:30:45", "maandag 15 juli 2024", "10:30", "ma 15 jul", "1.234.567,891"],
            "ja-JP": ["2024/7/15 10:30:45", "2024年7月15日月曜日", "10:30", "7月15日(月)", "1,234,567.891"]
        })
    );
}

#[test]
fn number_methods_round_and_refuse_as_v8() {
    let out = payload(
        "msg.payload = [(1.005).toFixed(2), (1e21).toFixed(2), (-0).toFixed(2), (-0.0001).toFixed(2), (2.5).toPrecision(1), (1.25).toPrecision(2), (0.00001234).toPrecision(2), (1e21).toPrecision(3), (123456).toExponential(2), (-1.25).toExponential(1), (0).toExponential(2), (12345.6789).toExponential(), Infinity.toPrecision(200)];\nreturn msg;",
    );
    assert_eq!(
        out,
        json!([
            "1.00",
            "1e+21",
            "0.00",
            "-0.00",
            "3",
            "1.3",
            "0.000012",
            "1.00e+21",
            "1.23e+5",
            "-1.3e+0",
            "0.00e+0",
            "1.23456789e+4",
            "Infinity"
        ])
    );
    let errors = payload(
        "const out = [];\nfor (const f of [() => (1).toFixed(101), () => (1).toPrecision(0), () => (1).toExponential(-1), () => (1).toString(37)]) {\n  try { f(); } catch (e) { out.push(e.name + ': ' + e.message); }\n}\nmsg.payload = out;\nreturn msg;",
    );
    assert_eq!(
        errors,
        json!([
            "RangeError: toFixed() digits argument must be between 0 and 100",
            "RangeError: toPrecision() argument must be between 1 and 100",
            "RangeError: toExponential() argument must be between 0 and 100",
            "RangeError: toString() radix argument must be between 2 and 36"
        ])
    );
}

#[test]
fn numbers_format_per_locale_with_options() {
    let out = payload(
        "msg.payload = [(1234.5).toLocaleString('de-DE', {minimumFractionDigits: 2, maximumFractionDigits: 2}), (98765.4321).toLocaleString('en-US', {maximumFractionDigits: 0}), new Intl.NumberFormat('en-US', {maximumSignificantDigits: 3}).format(123456), new Intl.NumberFormat('en-US', {useGrouping: false}).format(1234567.25), (2.5).toLocaleString('en-US', {maximumFractionDigits: 0}), (1e21).toLocaleString('en-US'), NaN.toLocaleString()];\nreturn msg;",
    );
    assert_eq!(
        out,
        json!([
            "1.234,50",
            "98,765",
            "123,000",
            "1234567.25",
            "3",
            "1,000,000,000,000,000,000,000",
            "NaN"
        ])
    );
}

#[test]
fn code_points_and_normalization() {
    let out = payload(
        "msg.payload = [String.fromCharCode(72, 105, 0xD83D, 0xDE00), String.fromCodePoint(0x1F600, 97), '😀x'.codePointAt(0), '😀x'.codePointAt(1), 'é'.normalize('NFD').length, 'e\\u0301'.normalize() === 'é', 'ﬁ'.normalize('NFKC'), String.fromCharCode(65601)];\nreturn msg;",
    );
    assert_eq!(
        out,
        json!(["Hi😀", "😀a", 128512, 56832, 2, true, "fi", "A"])
    );
    let errors = payload(
        "const out = [];\nfor (const f of [() => 'a'.normalize('XYZ'), () => String.fromCodePoint(-1)]) {\n  try { f(); } catch (e) { out.push(e.name + ': ' + e.message); }\n}\nmsg.payload = out;\nreturn msg;",
    );
    assert_eq!(
        errors,
        json!([
            "RangeError: The normalization form should be one of NFC, NFD, NFKC, NFKD.",
            "RangeError: Invalid code point -1"
        ])
    );
}

#[test]
fn without_the_u_flag_a_dot_is_one_code_unit() {
    let out = payload(
        "msg.payload = [/^.$/.test('😀'), /^.$/u.test('😀'), /^..$/.test('😀'), 'a😀b'.replace(/./gu, 'x'), /b/.exec('😀b').index, 'x😀y'.search(/y/)];\nreturn msg;",
    );
    assert_eq!(out, json!([false, true, true, "xxx", 2, 3]));
}

#[test]
fn error_texts_are_v8s() {
    let out = payload(
        "const out = [];\nconst x = 5;\nlet u;\nmsg.payload = {a: 1};\nconst tries = [() => JSON.parse({}), () => x(), () => u.setHours(1), () => { u.x = 1; }, () => msg.payload.map(v => v), () => missingThing + 1];\nfor (const f of tries) {\n  try { f(); } catch (e) { out.push(e.name + ': ' + e.message); }\n}\nmsg.payload = out;\nreturn msg;",
    );
    assert_eq!(
        out,
        json!([
            "SyntaxError: \"[object Object]\" is not valid JSON",
            "TypeError: x is not a function",
            "TypeError: Cannot read properties of undefined (reading 'setHours')",
            "TypeError: Cannot set properties of undefined (setting 'x')",
            "TypeError: msg.payload.map is not a function",
            "ReferenceError: missingThing is not defined"
        ])
    );
}

#[test]
fn a_global_flowgate_lacks_is_a_load_error_with_the_alternative() {
    let e = match crate::testing::node(crate::convert::Mode::Js, "return require('fs');", 1) {
        Ok(_) => panic!("require must not load"),
        Err(e) => e,
    };
    assert!(
        e.starts_with("unsupported JavaScript at line 1:8: the global `require` is not supported by flowgate; instead: Node.js modules are not loaded in function bodies"),
        "{e}"
    );
}

fn hash(alg: &str, key: Option<&str>, parts: &[&str], enc: &str) -> String {
    let h = match key {
        Some(k) => crypto::module_call(
            "createHmac",
            &[Dynamic::from(alg.to_string()), Dynamic::from(k.to_string())],
        ),
        None => crypto::module_call("createHash", &[Dynamic::from(alg.to_string())]),
    }
    .unwrap()
    .unwrap();
    let h = h.read_lock::<crypto::JsHash>().unwrap().clone();
    for p in parts {
        let chained = crypto::hash_call(&h, "update", &[Dynamic::from(p.to_string())])
            .unwrap()
            .unwrap();
        assert!(chained.is::<crypto::JsHash>(), "update() returns the hash");
    }
    let out = crypto::hash_call(&h, "digest", &[Dynamic::from(enc.to_string())])
        .unwrap()
        .unwrap();
    let again = crypto::hash_call(&h, "digest", &[Dynamic::from(enc.to_string())]).unwrap();
    assert!(again.is_err(), "a second digest() fails, as in Node.js");
    out.into_string().unwrap()
}

#[test]
fn crypto_hashes_and_hmacs_match_node() {
    assert_eq!(
        hash("sha256", None, &["a", "bc"], "hex"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hash("md5", None, &["abc"], "base64"),
        "kAFQmDzST7DWlj99KOF/cg=="
    );
    assert_eq!(
        hash("sha1", None, &["abc"], "hex"),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    assert_eq!(
        hash(
            "sha256",
            Some("key"),
            &["The quick brown fox jumps over the lazy dog"],
            "hex"
        ),
        "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    );
    assert_eq!(
        hash("sha1", Some("k"), &["m"], "base64"),
        "dytxyKKZfnaL4B2XEeSk80ok7zM="
    );
    let bad = crypto::module_call("createHash", &[Dynamic::from("nope")]).unwrap();
    assert!(bad.is_err());
}

#[test]
fn percent_and_currency_styles_match_v8() {
    let out = payload(
        "const out = [];\nfor (const l of ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'nl-NL', 'ja-JP']) {\n  out.push([l, (0.256).toLocaleString(l, {style: 'percent'}), (1234.5).toLocaleString(l, {style: 'currency', currency: 'EUR'}), new Intl.NumberFormat(l, {style: 'currency', currency: 'USD'}).format(-12), (1234.5).toLocaleString(l, {style: 'currency', currency: 'CHF'}), (0.5).toLocaleString(l, {style: 'percent', minimumFractionDigits: 1})]);\n}\nfor (const o of [{style: 'currency'}, {style: 'currency', currency: 'EURO'}]) {\n  try { (1).toLocaleString('en-US', o); } catch (e) { out.push(e.name + ': ' + e.message); }\n}\nout.push((12.345).toLocaleString('en-US', {style: 'currency', currency: 'EUR', minimumFractionDigits: 2}), (1234.5).toLocaleString('en-US', {style: 'currency', currency: 'GBP'}));\nmsg.payload = out;\nreturn msg;",
    );
    let want: Value = serde_json::from_str(
        r#"[["en-US", "26%", "\u20ac1,234.50", "-$12.00", "CHF\u00a01,234.50", "50.0%"], ["en-GB", "26%", "\u20ac1,234.50", "-US$12.00", "CHF\u00a01,234.50", "50.0%"], ["de-DE", "26\u00a0%", "1.234,50\u00a0\u20ac", "-12,00\u00a0$", "1.234,50\u00a0CHF", "50,0\u00a0%"], ["fr-FR", "26\u00a0%", "1\u202f234,50\u00a0\u20ac", "-12,00\u00a0$US", "1\u202f234,50\u00a0CHF", "50,0\u00a0%"], ["nl-NL", "26%", "\u20ac\u00a01.234,50", "US$\u00a0-12,00", "CHF\u00a01.234,50", "50,0%"], ["ja-JP", "26%", "\u20ac1,234.50", "-$12.00", "CHF\u00a01,234.50", "50.0%"], "TypeError: Currency code is required with currency style.", "RangeError: Invalid currency code : EURO", "\u20ac12.35", "\u00a31,234.50"]"#,
    )
    .unwrap();
    assert_eq!(out, want);
}

/// Answers recorded from Node.js 22 (the runtime of Node-RED 5).
#[test]
fn locale_compare_collates_as_icu_does() {
    let body = "msg.payload = [
            ['b','a','C','á','A'].sort((x, y) => x.localeCompare(y)),
            ['item10','item2','item1'].sort((a, b) => a.localeCompare(b, undefined, {numeric: true})),
            ['a'.localeCompare('A'), 'a'.localeCompare('A', 'en', {sensitivity: 'base'}),
             'é'.localeCompare('e', 'en', {sensitivity: 'base'}), 'é'.localeCompare('e', 'en', {sensitivity: 'accent'})],
            ['ä','z','a'].sort((x, y) => x.localeCompare(y, 'de')).concat(['ä','z','a'].sort((x, y) => x.localeCompare(y, 'sv')))];
        return msg;";
    assert_eq!(
        js(body, json!({}))["payload"],
        json!([
            ["a", "A", "á", "b", "C"],
            ["item1", "item2", "item10"],
            [-1, 0, 0, 1],
            ["a", "ä", "z", "a", "z", "ä"]
        ])
    );
}

#[test]
fn json_replacer_and_reviver_functions_see_every_key() {
    let body = r#"const seen = [];
        JSON.stringify({a: [1]}, function (k, v) { seen.push(k + ':' + (this === undefined)); return v; });
        const keys = [];
        JSON.parse('{"a":{"b":1},"c":[2]}', (k, v) => { keys.push(k); return v; });
        msg.payload = [
            JSON.stringify({a: [1, {b: 2}]}, (k, v) => typeof v === 'number' ? v * 10 : v),
            JSON.stringify({a: 1, b: 'x', c: {d: 2}}, function (k, v) { return k === 'b' ? undefined : v; }, 1),
            JSON.stringify({d: new Date(0), n: null}, (k, v) => typeof v),
            seen, keys,
            JSON.parse('{"a":1,"b":[1,2],"c":{"d":"x"}}', (k, v) => typeof v === 'number' ? v + 1 : v),
            JSON.parse('{"a":1,"b":2}', (k, v) => k === 'a' ? undefined : v),
            JSON.parse('{"when":"2024-01-01T00:00:00.000Z"}', (k, v) => k === 'when' ? new Date(v).getTime() : v)];
        return msg;"#;
    assert_eq!(
        js(body, json!({}))["payload"],
        json!([
            "{\"a\":[10,{\"b\":20}]}",
            "{\n \"a\": 1,\n \"c\": {\n  \"d\": 2\n }\n}",
            "\"object\"",
            [":false", "a:false", "0:false"],
            ["b", "a", "0", "c", ""],
            {"a": 2, "b": [2, 3], "c": {"d": "x"}},
            {"b": 2},
            {"when": 1704067200000_i64}
        ])
    );
    let cyclic = "const o = {}; o.self = o; try { JSON.stringify(o, (k, v) => v); } catch (e) { msg.payload = e.message; } return msg;";
    assert_eq!(
        js(cyclic, json!({}))["payload"],
        json!("Converting circular structure to JSON")
    );
}

#[test]
fn copying_array_methods_and_object_is_and_unsafe_integers() {
    let body = "const a = [3, 1, 2];
        let err;
        try { [1].with(3, 0); } catch (e) { err = e.name + ': ' + e.message; }
        msg.payload = [a.toSorted((x, y) => y - x), a, a.toReversed(), a.with(0, 'z'), a.toSpliced(0, 1), err,
            [Object.is(NaN, NaN), Object.is('a', 'a'), Object.is({}, {})],
            [Number.MAX_SAFE_INTEGER + 2, 2 ** 53 + 1, -(2 ** 53) - 3]];
        return msg;";
    assert_eq!(
        js(body, json!({}))["payload"],
        json!([
            [3, 2, 1],
            [3, 1, 2],
            [2, 1, 3],
            ["z", 1, 2],
            [1, 2],
            "RangeError: Invalid index : 3",
            [true, true, false],
            [
                9007199254740992_i64,
                9007199254740992_i64,
                -9007199254740996.0_f64
            ]
        ])
    );
}

/// Buffer number reads and writes, with answers (and error messages)
/// recorded from Node.js 22.
#[test]
fn buffer_floats_variable_widths_and_writes_answer_as_node_does() {
    let body = r#"const r = [];
        r.push((() => { const msg = {}; const b = Buffer.alloc(4); b.writeUInt32BE(0xdeadbeef, 0); msg.payload = b.toString('hex'); return msg.payload; })());
        r.push((() => { const msg = {}; const b = Buffer.from([0x41, 0x00, 0x00, 0x80]); msg.payload = [b.readFloatLE(0), b.readUInt32LE(0), b.readFloatBE(0)]; return msg.payload; })());
        r.push((() => { const msg = {}; const b = Buffer.alloc(4); const r = []; for (const f of [() => b.writeUInt16BE(70000, 0), () => b.writeInt8(-200), () => b.writeUInt32LE(1, 2), () => b.writeUInt8(1.5), () => b.writeUIntBE(1, 0, 7), () => b.readUIntBE(0, 5), () => b.writeFloatBE('x'), () => b.writeUInt16BE(-1), () => b.writeInt32BE(2**31), () => b.writeUInt32BE(2**40), () => b.writeInt16LE(-2, 1)]) { try { r.push(f(), [...b].join(',')); } catch (e) { r.push(e.name + ' ' + e.code + ' ' + e.message); } } msg.payload = r; return msg.payload; })());
        r.push((() => { const msg = {}; const c = Buffer.alloc(8); msg.payload = [c.writeDoubleLE(0.1, 0), [...c], c.readDoubleLE(0), c.writeUIntBE(0x123456, 1, 3), [...c], c.readUIntBE(1, 3), c.readIntLE(1, 3), c.writeIntLE(-2, 0, 6), [...c], c.readIntBE(0, 6), c.readUIntLE(0, 6), c.writeDoubleBE(-1234.5678), c.readDoubleBE(0)]; return msg.payload; })());
        r.push((() => { const msg = {}; const b = Buffer.alloc(6); try { b.writeUIntLE(2**48, 0, 6) } catch (e) { msg.payload = e.message; } return msg.payload; })());
        r.push((() => { const msg = {}; const b = Buffer.alloc(6); try { b.writeIntBE(-(2**47) - 1, 0, 6) } catch (e) { msg.payload = e.message; } return msg.payload; })());
        r.push((() => { const msg = {}; const b = Buffer.from([0x00, 0x64, 0xff, 0x9c]); msg.payload = { temp: b.readInt16BE(0) / 10, delta: b.readInt16BE(2), f: typeof b.writeFloatLE, g: typeof b.readDoubleBE }; return msg.payload; })());
        r.push((() => { const msg = {}; const regs = [0x4148, 0x0000]; const buf = Buffer.alloc(4); buf.writeUInt16BE(regs[0], 0); buf.writeUInt16BE(regs[1], 2); msg.payload = buf.readFloatBE(0); return msg.payload; })());
        r.push((() => { const msg = {}; const b = Buffer.alloc(2); try { b.writeUInt16BE(5, 1.5) } catch (e) { msg.payload = e.message; } return msg.payload; })());
        r.push((() => { const msg = {}; const b = Buffer.alloc(2); try { b.writeUInt16BE(5, '1') } catch (e) { msg.payload = e.message; } return msg.payload; })());
        msg.payload = r;
        return msg;"#;
    let expected: Value = serde_json::from_str(r#"["deadbeef", [-9.10844001811131e-44,2147483713,8.0001220703125], ["RangeError ERR_OUT_OF_RANGE The value of \"value\" is out of range. It must be >= 0 and <= 65535. Received 70000","RangeError ERR_OUT_OF_RANGE The value of \"value\" is out of range. It must be >= -128 and <= 127. Received -200","RangeError ERR_OUT_OF_RANGE The value of \"offset\" is out of range. It must be >= 0 and <= 0. Received 2",1,"1,0,0,0","RangeError ERR_OUT_OF_RANGE The value of \"byteLength\" is out of range. It must be >= 1 and <= 6. Received 7","RangeError ERR_BUFFER_OUT_OF_BOUNDS Attempt to access memory outside buffer bounds",4,"127,192,0,0","RangeError ERR_OUT_OF_RANGE The value of \"value\" is out of range. It must be >= 0 and <= 65535. Received -1","RangeError ERR_OUT_OF_RANGE The value of \"value\" is out of range. It must be >= -2147483648 and <= 2147483647. Received 2147483648","RangeError ERR_OUT_OF_RANGE The value of \"value\" is out of range. It must be >= 0 and <= 4294967295. Received 1_099_511_627_776",3,"127,254,255,0"], [8,[154,153,153,153,153,153,185,63],0.1,4,[154,18,52,86,153,153,185,63],1193046,5649426,6,[254,255,255,255,255,255,185,63],-1099511627777,281474976710654,8,-1234.5678], "The value of \"value\" is out of range. It must be >= 0 and < 2 ** 48. Received 281_474_976_710_656", "The value of \"value\" is out of range. It must be >= -(2 ** 47) and < 2 ** 47. Received -140_737_488_355_329", {"temp":10,"delta":-100,"f":"function","g":"function"}, 12.5, "The value of \"offset\" is out of range. It must be an integer. Received 1.5", "The \"offset\" argument must be of type number. Received type string ('1')"]"#).unwrap();
    assert_eq!(js(body, json!({}))["payload"], expected);
}

/// `RED.util.getMessageProperty` and `setMessageProperty`; the answers are
/// Node-RED 5's own `@node-red/util`.
#[test]
fn message_properties_by_path_as_node_red_util_reads_and_writes_them() {
    assert_eq!(
        payload(
            "const m = {payload: {items: [{a: 1}, {'b c': 2}]}, topic: 't'};
            const out = [[RED.util.getMessageProperty(m, 'payload.items[0].a'),
                RED.util.getMessageProperty(m, 'msg.payload.items[1][\"b c\"]'),
                RED.util.getMessageProperty(m, 'topic'),
                RED.util.getMessageProperty(m, 'nothing')]];
            try { RED.util.getMessageProperty(m, 'nothing.deeper'); }
            catch (e) { out.push(e.name + ': ' + e.message); }
            const s = {payload: {a: 1, s: 'x'}};
            const r = [RED.util.setMessageProperty(s, 'payload.b.c', 5),
                RED.util.setMessageProperty(s, 'msg.list[2].x', 'y'),
                RED.util.setMessageProperty(s, 'payload.s.t', 1),
                RED.util.setMessageProperty(s, 'payload.a', undefined),
                RED.util.setMessageProperty(s, 'none.x', 1, false)];
            out.push([r, s]);
            const m2 = {arr: [1, 2, 3]};
            RED.util.setMessageProperty(m2, 'arr[1]', undefined);
            out.push(m2);
            msg.payload = out;
            return msg;"
        ),
        json!([[1, 2, "t", null],
            "TypeError: Cannot read properties of undefined (reading 'deeper')",
            [[true, true, false, true, false],
                {"payload": {"s": "x", "b": {"c": 5}}, "list": [null, null, {"x": "y"}]}],
            {"arr": [1, 3]}])
    );
}

/// The array methods' `thisArg`: a plain function sees it as `this`, an
/// arrow function keeps its own (answers from Node.js 22).
#[test]
fn array_callbacks_run_with_their_this_arg() {
    assert_eq!(
        payload(
            "const acc = {n: 0};
            [1, 2, 3].forEach(function (x) { this.n += x; }, acc);
            const m = [1, 2].map(function (x) { return x * this.k; }, {k: 10});
            const f = [1, 2, 3].filter(function (x) { return x > this.min; }, {min: 1});
            const s = [1, 2].some(function (x) { return x === this.v; }, {v: 2});
            const fi = [5, 6].find(function (x) { return x === this.v; }, {v: 6});
            const arrow = (function () { return [1].map(x => this.tag, {tag: 'ignored'}); })
                .call({tag: 'lexical'});
            msg.payload = [acc.n, m, f, s, fi, arrow];
            return msg;"
        ),
        json!([6, [10, 20], [2, 3], true, 6, ["lexical"]])
    );
}

/// `Array.prototype.<m>` and `String.prototype.<m>` as values, applied with
/// `call`/`apply` as older code does (answers from Node.js 22).
#[test]
fn prototype_methods_apply_to_another_receiver() {
    assert_eq!(
        payload(
            "function f() { return Array.prototype.slice.call(arguments, 1); }
            const a = [1, 2];
            Array.prototype.push.apply(a, [3, 4]);
            const joined = Array.prototype.join.call(['x', 'y'], '-');
            const mapped = Array.prototype.map.call([1, 2], x => x * 3);
            const trimmed = String.prototype.trim.call('  t  ');
            const up = String.prototype.toUpperCase.call('abc');
            msg.payload = [f('a', 'b', 'c'), a, joined, mapped, trimmed, up, [].concat.call([1], [2])];
            return msg;"
        ),
        json!([["b", "c"], [1, 2, 3, 4], "x-y", [3, 6], "t", "ABC", [1, 2]])
    );
}

//! `Date.prototype` methods. The plain getters and setters (`getHours`,
//! `setDate`...) work on local time, the runtime's zone
//! ([`super::localtime`]); the `UTC` ones on UTC.

use rhai::Dynamic;

use super::arg;

use super::number::num;
use super::ops::{to_number, JsResult};
use super::values::JsDate;
use super::{date, intl, localtime};

/// Call date method `name`; `None` when dates have no such method.
pub fn call(d: &JsDate, name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    let t = d.time();
    let utc = name.starts_with("getUTC") || name.starts_with("setUTC");
    let plain = name
        .strip_prefix("getUTC")
        .map(|n| format!("get{n}"))
        .or_else(|| name.strip_prefix("setUTC").map(|n| format!("set{n}")));
    let key = plain.as_deref().unwrap_or(name);
    let base = if t.is_nan() { 0.0 } else { t };
    let f = if utc {
        date::fields(base)
    } else {
        localtime::fields(base)
    };
    let field = |v: i64| -> JsResult<Dynamic> {
        Ok(if t.is_nan() {
            num(f64::NAN)
        } else {
            num(v as f64)
        })
    };
    let n = |i: usize| -> Option<f64> { args.get(i).map(to_number) };
    let set =
        |year: f64, month: f64, day: f64, h: f64, mi: f64, s: f64, ms: f64| -> JsResult<Dynamic> {
            let v = date::make_time(year, month, day, h, mi, s, ms);
            let v = if utc { v } else { localtime::utc_of_local(v) };
            d.set_time(v);
            Ok(num(v))
        };
    let (y, mo, da) = (f.year as f64, f.month as f64, f.day as f64);
    let (h, mi, s, ms) = (
        f.hours as f64,
        f.minutes as f64,
        f.seconds as f64,
        f.millis as f64,
    );
    // Setting a field of an invalid date leaves it invalid (`setFullYear`
    // starts from +0 instead, as the specification says).
    if t.is_nan() && key.starts_with("set") && key != "setTime" && key != "setFullYear" {
        return Some(Ok(num(f64::NAN)));
    }
    Some(match key {
        "getFullYear" => field(f.year),
        "getMonth" => field(f.month),
        "getDate" => field(f.day),
        "getDay" => field(f.weekday),
        "getHours" => field(f.hours),
        "getMinutes" => field(f.minutes),
        "getSeconds" => field(f.seconds),
        "getMilliseconds" => field(f.millis),
        "getTime" | "valueOf" => Ok(num(t)),
        "getTimezoneOffset" => Ok(num(if t.is_nan() {
            f64::NAN
        } else {
            -localtime::offset_ms(t) / 60_000.0
        })),
        "setTime" => {
            let v = date::time_clip(n(0).unwrap_or(f64::NAN));
            d.set_time(v);
            Ok(num(v))
        }
        "setFullYear" => set(n(0)?, n(1).unwrap_or(mo), n(2).unwrap_or(da), h, mi, s, ms),
        "setMonth" => set(y, n(0)?, n(1).unwrap_or(da), h, mi, s, ms),
        "setDate" => set(y, mo, n(0)?, h, mi, s, ms),
        "setHours" => set(
            y,
            mo,
            da,
            n(0)?,
            n(1).unwrap_or(mi),
            n(2).unwrap_or(s),
            n(3).unwrap_or(ms),
        ),
        "setMinutes" => set(y, mo, da, h, n(0)?, n(1).unwrap_or(s), n(2).unwrap_or(ms)),
        "setSeconds" => set(y, mo, da, h, mi, n(0)?, n(1).unwrap_or(ms)),
        "setMilliseconds" => set(y, mo, da, h, mi, s, n(0)?),
        "toISOString" | "toJSON" => match date::to_iso(t) {
            Some(s) => Ok(Dynamic::from(s)),
            None if name == "toJSON" => Ok(super::values::null()),
            None => Err(super::ops::throw("RangeError", "Invalid time value")),
        },
        "toString" => Ok(Dynamic::from(localtime::to_string(t))),
        "toDateString" => Ok(Dynamic::from(localtime::to_date_string(t))),
        "toTimeString" => Ok(Dynamic::from(localtime::to_time_string(t))),
        "toUTCString" | "toGMTString" => Ok(Dynamic::from(date::to_utc_string(t))),
        "toLocaleDateString" | "toLocaleTimeString" | "toLocaleString" => {
            intl::date_to_locale(t, name, &arg(args, 0), &arg(args, 1))
        }
        _ => return None,
    })
}

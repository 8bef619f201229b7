//! Locale-aware formatting as V8 with full ICU does it: `Date`'s
//! `toLocaleString`/`toLocaleDateString`/`toLocaleTimeString`,
//! `Number.prototype.toLocaleString`, `Intl.DateTimeFormat` and
//! `Intl.NumberFormat`. Patterns, names and symbols come from CLDR through
//! ICU4X's compiled data; this module turns ECMA-402's options bags into
//! ICU4X's field sets and options.

use std::sync::Arc;

use icu_datetime::fieldbag::field;
use icu_datetime::fieldbag::DateTimeFieldBag;
use icu_datetime::fieldsets::builder::{DateFields, FieldSetBuilder, ZoneStyle};
use icu_datetime::fieldsets::enums::CompositeFieldSet;
use icu_datetime::input::{Date, Time, TimeZone as IcuZone, UtcOffset, ZonedDateTime};
use icu_datetime::options::{Length, TimePrecision};
use icu_datetime::preferences::HourCycle;
use icu_datetime::{DateTimeFormatter, DateTimeFormatterPreferences};
use icu_locale_core::Locale;
use icu_time::zone::ZoneNameTimestamp;
use jiff::tz::TimeZone;
use rhai::{Dynamic, NativeCallContext};

use super::arg;

use super::number_locale::NumberFormat;
use super::ops::{throw, to_string, type_error, JsResult};
use super::values::{as_array, as_object, is_nullish, object, JsObject};
use super::{date, date_parts, localtime};

/// A `new Intl.DateTimeFormat(...)` / `new Intl.NumberFormat(...)` value.
#[derive(Clone)]
pub enum IntlFormat {
    Date(Arc<DateFormat>),
    Number(Arc<NumberFormat>),
}

/// The members an Intl formatter has (for `typeof f.format`).
pub const METHODS: &[&str] = &["format", "resolvedOptions"];

/// The locale a call names (`"de-DE"`, `["nl-NL", "en"]`, or none: en-US,
/// the locale Node.js runs in without a `LANG`).
pub fn locale_of(v: &Dynamic) -> JsResult<Locale> {
    let first = match as_array(v) {
        Some(a) => a.get(0),
        None => v.clone(),
    };
    if is_nullish(&first) {
        return Ok(icu_locale_core::locale!("en-US"));
    }
    if !first.is_string() {
        return Err(type_error(format!(
            "{} is not a valid locale",
            to_string(&first)
        )));
    }
    let tag = to_string(&first);
    Locale::try_from_str(&tag)
        .map_err(|_| throw("RangeError", "Incorrect locale information provided"))
}

/// The string option `name` of an options bag, if given.
pub fn option(options: &Dynamic, name: &str) -> Option<String> {
    let o = as_object(options)?;
    let v = o.get(name);
    (!v.is_unit()).then(|| to_string(&v).to_string())
}

/// A boolean option (`hour12`, `useGrouping`), if given.
pub fn bool_option(options: &Dynamic, name: &str) -> Option<Dynamic> {
    let o = as_object(options)?;
    let v = o.get(name);
    (!v.is_unit()).then_some(v)
}

fn invalid(name: &str, value: &str) -> Box<rhai::EvalAltResult> {
    throw(
        "RangeError",
        format!("Value {value} out of range for Intl.DateTimeFormat options property {name}"),
    )
}

/// Which fields a call shows when its options name none (ECMA-402's
/// `ToDateTimeOptions` required/defaults).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Defaults {
    /// `toLocaleString()`: date and time.
    All,
    /// `toLocaleDateString()`, `Intl.DateTimeFormat().format()`: the date.
    Date,
    /// `toLocaleTimeString()`: the time.
    Time,
}

/// A resolved date format: the ICU formatter and the zone it shows.
pub struct DateFormat {
    formatter: DateTimeFormatter<CompositeFieldSet>,
    zone: TimeZone,
    locale: String,
    /// Remove the padding of a numeric month / day (see [`date_parts`]).
    unpad_month: bool,
    unpad_day: bool,
}

fn style_length(name: &str, v: &str) -> JsResult<Length> {
    Ok(match v {
        "full" | "long" => Length::Long,
        "medium" => Length::Medium,
        "short" => Length::Short,
        _ => return Err(invalid(name, v)),
    })
}

/// The field set for `dateStyle`/`timeStyle`: the locale's standard
/// patterns of that length.
fn styles(date_style: Option<&str>, time_style: Option<&str>) -> JsResult<CompositeFieldSet> {
    let mut b = FieldSetBuilder::new();
    if let Some(s) = date_style {
        b.length = Some(style_length("dateStyle", s)?);
        b.date_fields = Some(if s == "full" {
            DateFields::YMDE
        } else {
            DateFields::YMD
        });
    }
    if let Some(s) = time_style {
        let len = style_length("timeStyle", s)?;
        b.length.get_or_insert(len);
        b.time_precision = Some(if s == "short" {
            TimePrecision::Minute
        } else {
            TimePrecision::Second
        });
        b.zone_style = match s {
            "full" => Some(ZoneStyle::SpecificLong),
            "long" => Some(ZoneStyle::SpecificShort),
            _ => None,
        };
    }
    b.build_composite()
        .map_err(|e| throw("RangeError", format!("{e:?}")))
}

/// The field bag of explicit component options, with the defaults applied
/// when none is given.
fn field_bag(options: &Dynamic, defaults: Defaults) -> JsResult<DateTimeFieldBag> {
    let mut bag = DateTimeFieldBag::default();
    let get = |n: &str| option(options, n);
    let numeric = |n: &str, v: &str| -> JsResult<bool> {
        match v {
            "numeric" => Ok(true),
            "2-digit" => Ok(false),
            _ => Err(invalid(n, v)),
        }
    };
    if let Some(v) = get("weekday") {
        bag.weekday = Some(match v.as_str() {
            "narrow" => field::Weekday::Narrow,
            "short" => field::Weekday::Short,
            "long" => field::Weekday::Long,
            _ => return Err(invalid("weekday", &v)),
        });
    }
    if let Some(v) = get("era") {
        bag.era = Some(match v.as_str() {
            "narrow" => field::Era::Narrow,
            "short" => field::Era::Short,
            "long" => field::Era::Long,
            _ => return Err(invalid("era", &v)),
        });
    }
    if let Some(v) = get("year") {
        bag.year = Some(if numeric("year", &v)? {
            field::Year::Numeric
        } else {
            field::Year::TwoDigit
        });
    }
    if let Some(v) = get("month") {
        bag.month = Some(match v.as_str() {
            "numeric" => field::Month::Numeric,
            "2-digit" => field::Month::TwoDigit,
            "narrow" => field::Month::Narrow,
            "short" => field::Month::Short,
            "long" => field::Month::Long,
            _ => return Err(invalid("month", &v)),
        });
    }
    if let Some(v) = get("day") {
        bag.day = Some(if numeric("day", &v)? {
            field::Day::Numeric
        } else {
            field::Day::TwoDigit
        });
    }
    if let Some(v) = get("hour") {
        bag.hour = Some(if numeric("hour", &v)? {
            field::Hour::Numeric
        } else {
            field::Hour::TwoDigit
        });
    }
    if let Some(v) = get("minute") {
        bag.minute = Some(if numeric("minute", &v)? {
            field::Minute::Numeric
        } else {
            field::Minute::TwoDigit
        });
    }
    if let Some(v) = get("second") {
        bag.second = Some(if numeric("second", &v)? {
            field::Second::Numeric
        } else {
            field::Second::TwoDigit
        });
    }
    if let Some(v) = get("fractionalSecondDigits") {
        bag.fractional_second_digits = Some(match v.as_str() {
            "1" => field::FractionalSecondDigits::F1,
            "2" => field::FractionalSecondDigits::F2,
            "3" => field::FractionalSecondDigits::F3,
            _ => {
                return Err(throw(
                    "RangeError",
                    "fractionalSecondDigits value is out of range.",
                ))
            }
        });
    }
    if let Some(v) = get("timeZoneName") {
        bag.time_zone_name = Some(match v.as_str() {
            "short" => field::TimeZoneName::ShortSpecific,
            "long" => field::TimeZoneName::LongSpecific,
            "shortOffset" => field::TimeZoneName::ShortOffset,
            "longOffset" => field::TimeZoneName::LongOffset,
            "shortGeneric" => field::TimeZoneName::ShortGeneric,
            "longGeneric" => field::TimeZoneName::LongGeneric,
            _ => return Err(invalid("timeZoneName", &v)),
        });
    }
    let has_date =
        bag.weekday.is_some() || bag.year.is_some() || bag.month.is_some() || bag.day.is_some();
    let has_time = bag.hour.is_some()
        || bag.minute.is_some()
        || bag.second.is_some()
        || bag.fractional_second_digits.is_some();
    let need_defaults = match defaults {
        Defaults::Date => !has_date,
        Defaults::Time => !has_time,
        Defaults::All => !has_date && !has_time,
    };
    if need_defaults {
        if defaults != Defaults::Time {
            bag.year = Some(field::Year::Numeric);
            bag.month = Some(field::Month::Numeric);
            bag.day = Some(field::Day::Numeric);
        }
        if defaults != Defaults::Date {
            bag.hour = Some(field::Hour::Numeric);
            bag.minute = Some(field::Minute::TwoDigit);
            bag.second = Some(field::Second::TwoDigit);
        }
    }
    Ok(bag)
}

/// The zone of the `timeZone` option (IANA names, case-insensitive as in
/// V8), else the runtime's.
fn zone_option(options: &Dynamic) -> JsResult<TimeZone> {
    match option(options, "timeZone") {
        None => Ok(localtime::zone().clone()),
        Some(name) => TimeZone::get(&name)
            .map_err(|_| throw("RangeError", format!("Invalid time zone specified: {name}"))),
    }
}

impl DateFormat {
    /// Resolve `locales` and `options` as ECMA-402 does for a call that
    /// shows `defaults` when no component is named.
    pub fn new(locales: &Dynamic, options: &Dynamic, defaults: Defaults) -> JsResult<Self> {
        let locale = locale_of(locales)?;
        let zone = zone_option(options)?;
        let mut prefs = DateTimeFormatterPreferences::from(&locale);
        let hour12 = bool_option(options, "hour12").map(|v| super::ops::truthy(&v));
        match (hour12, option(options, "hourCycle").as_deref()) {
            (Some(true), _) | (None, Some("h12")) | (None, Some("h11")) => {
                prefs.hour_cycle = Some(HourCycle::H12)
            }
            (Some(false), _) | (None, Some("h23")) | (None, Some("h24")) => {
                prefs.hour_cycle = Some(HourCycle::H23)
            }
            _ => {}
        }
        let date_style = option(options, "dateStyle");
        let time_style = option(options, "timeStyle");
        let mut numeric = (false, false);
        let fields = if date_style.is_some() || time_style.is_some() {
            match defaults {
                Defaults::Date if time_style.is_some() => {
                    return Err(type_error("Invalid option : timeStyle"))
                }
                Defaults::Time if date_style.is_some() => {
                    return Err(type_error("Invalid option : dateStyle"))
                }
                _ => {}
            }
            styles(date_style.as_deref(), time_style.as_deref())?
        } else {
            let bag = field_bag(options, defaults)?;
            numeric = (
                bag.month == Some(field::Month::Numeric),
                bag.day == Some(field::Day::Numeric),
            );
            bag.to_composite_field_set()
        };
        let unpads = date_parts::locale_unpads(&locale);
        let formatter = DateTimeFormatter::try_new(prefs, fields).map_err(|e| {
            throw(
                "RangeError",
                format!("cannot format dates for {locale}: {e}"),
            )
        })?;
        Ok(DateFormat {
            formatter,
            zone,
            locale: locale.to_string(),
            unpad_month: unpads.0 && numeric.0,
            unpad_day: unpads.1 && numeric.1,
        })
    }

    /// Time value `t` formatted; `None` for an invalid date.
    pub fn format(&self, t: f64) -> Option<String> {
        if t.is_nan() {
            return None;
        }
        let offset = localtime::offset_ms_in(&self.zone, t);
        let f = date::fields(t + offset);
        let date =
            Date::try_new_iso(i32::try_from(f.year).ok()?, f.month as u8 + 1, f.day as u8).ok()?;
        let time = Time::try_new(
            f.hours as u8,
            f.minutes as u8,
            f.seconds as u8,
            f.millis as u32 * 1_000_000,
        )
        .ok()?;
        let id = match self.zone.iana_name() {
            Some(name) => IcuZone::from_iana_id(name),
            None => IcuZone::UNKNOWN,
        };
        let zone = id
            .with_offset(UtcOffset::try_from_seconds((offset / 1000.0) as i32).ok())
            .with_zone_name_timestamp(ZoneNameTimestamp::from_epoch_seconds(
                (t / 1000.0).floor() as i64
            ));
        let input = ZonedDateTime { date, time, zone };
        Some(date_parts::finish(
            &self.formatter.format(&input),
            self.unpad_month,
            self.unpad_day,
        ))
    }

    /// `resolvedOptions()`: the locale and zone (what flows read, mostly
    /// `resolvedOptions().timeZone`).
    pub fn resolved(&self) -> Dynamic {
        let o = JsObject::new();
        o.set("locale".into(), Dynamic::from(self.locale.clone()));
        o.set("calendar".into(), Dynamic::from("gregory"));
        o.set("numberingSystem".into(), Dynamic::from("latn"));
        o.set(
            "timeZone".into(),
            Dynamic::from(self.zone.iana_name().unwrap_or("UTC").to_string()),
        );
        object(o)
    }
}

/// `date.toLocaleString(locales, options)` and its date-only and time-only
/// forms (`method`).
pub fn date_to_locale(
    t: f64,
    method: &str,
    locales: &Dynamic,
    options: &Dynamic,
) -> JsResult<Dynamic> {
    let defaults = match method {
        "toLocaleDateString" => Defaults::Date,
        "toLocaleTimeString" => Defaults::Time,
        _ => Defaults::All,
    };
    let f = DateFormat::new(locales, options, defaults)?;
    Ok(Dynamic::from(
        f.format(t).unwrap_or_else(|| "Invalid Date".into()),
    ))
}

/// `Intl.DateTimeFormat(locales, options)` (with or without `new`).
pub fn new_date_format(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let f = DateFormat::new(&arg(&args, 0), &arg(&args, 1), Defaults::Date)?;
    Ok(Dynamic::from(IntlFormat::Date(Arc::new(f))))
}

/// `Intl.NumberFormat(locales, options)` (with or without `new`).
pub fn new_number_format(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let f = NumberFormat::new(&arg(&args, 0), &arg(&args, 1))?;
    Ok(Dynamic::from(IntlFormat::Number(Arc::new(f))))
}

/// The methods of an Intl formatter.
pub fn call(f: &IntlFormat, name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    Some(match (f, name) {
        (IntlFormat::Date(d), "format") => {
            let v = arg(args, 0);
            let t = if v.is_unit() {
                date::now_ms()
            } else if let Some(d) = v.read_lock::<super::values::JsDate>() {
                d.time()
            } else {
                date::time_clip(super::ops::to_number(&v))
            };
            d.format(t)
                .map(Dynamic::from)
                .ok_or_else(|| throw("RangeError", "Invalid time value"))
        }
        (IntlFormat::Date(d), "resolvedOptions") => Ok(d.resolved()),
        (IntlFormat::Number(n), "format") => Ok(Dynamic::from(
            n.format(super::ops::to_number(&arg(args, 0))),
        )),
        (IntlFormat::Number(n), "resolvedOptions") => Ok(n.resolved()),
        _ => return None,
    })
}

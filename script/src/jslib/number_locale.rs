//! `Number.prototype.toLocaleString` and `Intl.NumberFormat`: digits rounded as ECMA-402 says (half away from zero on the
//! shortest decimal form, as V8 does), separators and grouping from CLDR
//! through ICU4X's `icu_decimal`.

use fixed_decimal::{Decimal, FloatPrecision, SignedRoundingMode, UnsignedRoundingMode};
use icu_decimal::options::{DecimalFormatterOptions, GroupingStrategy};
use icu_decimal::{DecimalFormatter, DecimalFormatterPreferences};
use rhai::Dynamic;

use super::intl::{bool_option, locale_of};
use super::number_style::Style;
use super::ops::{throw, to_number, to_string, truthy, JsResult};
use super::values::{as_object, object, JsObject};

/// A resolved number format.
pub struct NumberFormat {
    formatter: DecimalFormatter,
    locale: String,
    min_integer: i16,
    digits: Digits,
    grouping: &'static str,
    style: Style,
}

/// How many digits are kept.
#[derive(Clone, Copy)]
enum Digits {
    Fraction { min: i16, max: i16 },
    Significant { min: i16, max: i16 },
}

/// A numeric option in `lo..=hi`, V8's RangeError outside it.
fn digits_option(options: &Dynamic, name: &str, lo: f64, hi: f64) -> JsResult<Option<i16>> {
    let Some(o) = as_object(options) else {
        return Ok(None);
    };
    let v = o.get(name);
    if v.is_unit() {
        return Ok(None);
    }
    let n = to_number(&v);
    if n.is_nan() || n < lo || n > hi {
        return Err(throw(
            "RangeError",
            format!("{name} value is out of range."),
        ));
    }
    Ok(Some(n.floor() as i16))
}

impl NumberFormat {
    /// Resolve `locales` and `options` as ECMA-402 does.
    pub fn new(locales: &Dynamic, options: &Dynamic) -> JsResult<Self> {
        let locale = locale_of(locales)?;
        let min_integer = digits_option(options, "minimumIntegerDigits", 1.0, 21.0)?.unwrap_or(1);
        let min_sig = digits_option(options, "minimumSignificantDigits", 1.0, 21.0)?;
        let max_sig = digits_option(options, "maximumSignificantDigits", 1.0, 21.0)?;
        let min_frac = digits_option(options, "minimumFractionDigits", 0.0, 100.0)?;
        let max_frac = digits_option(options, "maximumFractionDigits", 0.0, 100.0)?;
        let (strategy, grouping) = match bool_option(options, "useGrouping") {
            None => (GroupingStrategy::Auto, "auto"),
            Some(v) if v.is_string() => match to_string(&v).as_str() {
                "always" => (GroupingStrategy::Always, "always"),
                "min2" => (GroupingStrategy::Min2, "min2"),
                "auto" | "true" | "false" => (GroupingStrategy::Auto, "auto"),
                other => {
                    return Err(throw(
                        "RangeError",
                        format!("Value {other} out of range for Intl.NumberFormat options property useGrouping"),
                    ))
                }
            },
            Some(v) if truthy(&v) => (GroupingStrategy::Always, "always"),
            Some(_) => (GroupingStrategy::Never, "false"),
        };
        let mut opts = DecimalFormatterOptions::default();
        opts.grouping_strategy = Some(strategy);
        let style = Style::new(&locale, options, opts)?;
        let digits = if min_sig.is_some() || max_sig.is_some() {
            let min = min_sig.unwrap_or(1);
            let max = max_sig.unwrap_or(21);
            if min > max {
                return Err(throw(
                    "RangeError",
                    "maximumSignificantDigits value is out of range.",
                ));
            }
            Digits::Significant { min, max }
        } else {
            // The style's defaults, each widened to admit the other when
            // only one is given.
            let (lo, hi) = style.default_digits();
            let (min, max) = match (min_frac, max_frac) {
                (None, None) => (lo, hi),
                (Some(min), None) => (min, min.max(hi)),
                (None, Some(max)) => (lo.min(max), max),
                (Some(min), Some(max)) if min > max => {
                    return Err(throw(
                        "RangeError",
                        "maximumFractionDigits value is out of range.",
                    ))
                }
                (Some(min), Some(max)) => (min, max),
            };
            Digits::Fraction { min, max }
        };
        if let Style::Currency { digits: d, .. } = style {
            if !matches!(digits, Digits::Fraction { min, max } if min == d && max == d) {
                return Err(throw(
                    "RangeError",
                    format!("Intl.NumberFormat currency style with other than the currency's {d} fraction digits is not supported by flowgate; round the number first (Math.round, toFixed)"),
                ));
            }
        }
        let formatter = DecimalFormatter::try_new(DecimalFormatterPreferences::from(&locale), opts)
            .map_err(|e| {
                throw(
                    "RangeError",
                    format!("cannot format numbers for {locale}: {e}"),
                )
            })?;
        Ok(NumberFormat {
            formatter,
            locale: locale.to_string(),
            min_integer,
            digits,
            grouping,
            style,
        })
    }

    /// `x` formatted.
    pub fn format(&self, x: f64) -> String {
        if x.is_nan() {
            return "NaN".into();
        }
        if x.is_infinite() {
            return if x > 0.0 { "∞" } else { "-∞" }.into();
        }
        let Ok(mut d) = Decimal::try_from_f64(x, FloatPrecision::RoundTrip) else {
            return super::number::fmt(x);
        };
        self.style.scale(&mut d);
        let half_expand = SignedRoundingMode::Unsigned(UnsignedRoundingMode::HalfExpand);
        match self.digits {
            Digits::Fraction { min, max } => {
                d.round_with_mode(-max, half_expand);
                d.absolute.trim_end();
                d.absolute.pad_end(-min);
            }
            Digits::Significant { min, max } => {
                let top = if d.absolute.is_zero() {
                    0
                } else {
                    d.absolute.nonzero_magnitude_start()
                };
                d.round_with_mode(top - max + 1, half_expand);
                let top = if d.absolute.is_zero() {
                    0
                } else {
                    d.absolute.nonzero_magnitude_start()
                };
                d.absolute.trim_end();
                d.absolute.pad_end(top - min + 1);
            }
        }
        d.absolute.pad_start(self.min_integer);
        self.style
            .format(&d)
            .unwrap_or_else(|| self.formatter.format(&d).to_string())
    }

    /// `resolvedOptions()`.
    pub fn resolved(&self) -> Dynamic {
        let o = JsObject::new();
        o.set("locale".into(), Dynamic::from(self.locale.clone()));
        o.set("numberingSystem".into(), Dynamic::from("latn"));
        let (style, currency) = self.style.resolved();
        o.set("style".into(), Dynamic::from(style));
        if let Some(c) = currency {
            o.set("currency".into(), Dynamic::from(c));
        }
        o.set(
            "minimumIntegerDigits".into(),
            Dynamic::from_int(self.min_integer.into()),
        );
        match self.digits {
            Digits::Fraction { min, max } => {
                o.set(
                    "minimumFractionDigits".into(),
                    Dynamic::from_int(min.into()),
                );
                o.set(
                    "maximumFractionDigits".into(),
                    Dynamic::from_int(max.into()),
                );
            }
            Digits::Significant { min, max } => {
                o.set(
                    "minimumSignificantDigits".into(),
                    Dynamic::from_int(min.into()),
                );
                o.set(
                    "maximumSignificantDigits".into(),
                    Dynamic::from_int(max.into()),
                );
            }
        }
        o.set("useGrouping".into(), Dynamic::from(self.grouping));
        object(o)
    }
}

/// `x.toLocaleString(locales, options)`.
pub fn to_locale_string(x: f64, locales: &Dynamic, options: &Dynamic) -> JsResult<Dynamic> {
    Ok(Dynamic::from(
        NumberFormat::new(locales, options)?.format(x),
    ))
}

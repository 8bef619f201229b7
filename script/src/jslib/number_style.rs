//! `Intl.NumberFormat`'s `percent` and `currency` styles (also through
//! `toLocaleString`): the locale's percent and currency patterns, symbols
//! and currency digits from CLDR through ICU4X's `icu_experimental`.

use fixed_decimal::Decimal;
use icu_decimal::options::DecimalFormatterOptions;
use icu_decimal::DecimalFormatter;
use icu_experimental::dimension::currency::formatter::{
    CurrencyFormatter, CurrencyFormatterPreferences,
};
use icu_experimental::dimension::currency::CurrencyType;
use icu_experimental::dimension::percent::formatter::{
    PercentFormatter, PercentFormatterPreferences,
};
use icu_experimental::dimension::provider::currency::fractions::CurrencyFractionsV1;
use icu_locale_core::Locale;
use icu_provider::prelude::*;
use rhai::Dynamic;

use super::intl::option;
use super::ops::{throw, type_error, JsResult};

/// How a number is shown around its digits.
pub enum Style {
    Decimal,
    Percent(Box<PercentFormatter<DecimalFormatter>>),
    Currency {
        formatter: Box<CurrencyFormatter<DecimalFormatter>>,
        code: String,
        digits: i16,
    },
}

fn failed(locale: &Locale, e: impl std::fmt::Display) -> Box<rhai::EvalAltResult> {
    throw(
        "RangeError",
        format!("cannot format numbers for {locale}: {e}"),
    )
}

impl Style {
    /// The `style` option (with `currency` for the currency style).
    pub fn new(
        locale: &Locale,
        options: &Dynamic,
        grouping: DecimalFormatterOptions,
    ) -> JsResult<Self> {
        Ok(match option(options, "style").as_deref() {
            None | Some("decimal") => Style::Decimal,
            Some("percent") => {
                let decimal = DecimalFormatter::try_new(locale.into(), grouping)
                    .map_err(|e| failed(locale, e))?;
                let f = PercentFormatter::try_new_with_decimal_formatter(
                    PercentFormatterPreferences::from(locale),
                    decimal,
                    Default::default(),
                )
                .map_err(|e| failed(locale, e))?;
                Style::Percent(Box::new(f))
            }
            Some("currency") => {
                let Some(code) = option(options, "currency") else {
                    return Err(type_error("Currency code is required with currency style."));
                };
                let currency = (code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()))
                    .then(|| CurrencyType::try_from_str(&code.to_ascii_lowercase()).ok())
                    .flatten()
                    .ok_or_else(|| throw("RangeError", format!("Invalid currency code : {code}")))?;
                if option(options, "currencyDisplay").is_some_and(|d| d != "symbol") {
                    return Err(throw(
                        "RangeError",
                        "Intl.NumberFormat currencyDisplay other than \"symbol\" is not supported by flowgate",
                    ));
                }
                let fractions: DataResponse<CurrencyFractionsV1> =
                    icu_experimental::provider::Baked
                        .load(Default::default())
                        .map_err(|e| failed(locale, e))?;
                let digits = i16::from(fractions.payload.get().resolve(currency).digits);
                let formatter = CurrencyFormatter::try_new_symbol(
                    CurrencyFormatterPreferences::from(locale),
                    currency,
                    Default::default(),
                )
                .map_err(|e| failed(locale, e))?;
                Style::Currency {
                    formatter: Box::new(formatter),
                    code: code.to_ascii_uppercase(),
                    digits,
                }
            }
            Some("unit") => {
                return Err(throw(
                    "RangeError",
                    "Intl.NumberFormat style \"unit\" is not supported by flowgate; format the number and add the unit in the body",
                ))
            }
            Some(other) => {
                return Err(throw(
                    "RangeError",
                    format!("Value {other} out of range for Intl.NumberFormat options property style"),
                ))
            }
        })
    }

    /// The style's fraction digits when the options name none.
    pub fn default_digits(&self) -> (i16, i16) {
        match self {
            Style::Decimal => (0, 3),
            Style::Percent(_) => (0, 0),
            Style::Currency { digits, .. } => (*digits, *digits),
        }
    }

    /// Scale `d` before rounding (a percentage is a hundredth).
    pub fn scale(&self, d: &mut Decimal) {
        if let Style::Percent(_) = self {
            d.multiply_pow10(2);
        }
    }

    /// The rounded number `d` in the style, or `None` for the decimal style.
    pub fn format(&self, d: &Decimal) -> Option<String> {
        match self {
            Style::Decimal => None,
            Style::Percent(f) => Some(f.format(d).to_string()),
            Style::Currency { formatter, .. } => {
                Some(formatter.format_fixed_decimal(d).to_string())
            }
        }
    }

    /// `resolvedOptions()`'s `style` (and `currency`).
    pub fn resolved(&self) -> (&'static str, Option<String>) {
        match self {
            Style::Decimal => ("decimal", None),
            Style::Percent(_) => ("percent", None),
            Style::Currency { code, .. } => ("currency", Some(code.clone())),
        }
    }
}

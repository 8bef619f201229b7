//! Integer picture strings (XPath `fn:format-integer`) as jsonata-js 2.x
//! reads them: `$formatInteger`, `$parseInteger` and the integer
//! components of date/time pictures.

use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Case {
    Upper,
    Lower,
    Title,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Primary {
    Decimal,
    Letters,
    Roman,
    Words,
    /// A numbering sequence jsonata-js does not implement (D3130).
    Sequence(String),
}

/// An analysed integer picture (jsonata-js's `analyseIntegerPicture`).
#[derive(Debug, Clone)]
pub struct IntegerFormat {
    pub primary: Primary,
    pub case: Case,
    pub ordinal: bool,
    pub zero_code: u32,
    pub mandatory_digits: usize,
    pub optional_digits: usize,
    /// Evenly spaced separators: (interval, character).
    pub regular: Option<(usize, char)>,
    /// Otherwise each separator's position from the right.
    pub separators: Vec<(usize, char)>,
    /// Exact digit count when parsing (an integer followed by another).
    pub parse_width: Option<usize>,
}

const DECIMAL_GROUPS: [u32; 37] = [
    0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10,
];

pub fn analyse(picture: &str) -> Result<IntegerFormat, Error> {
    let mut format = IntegerFormat {
        primary: Primary::Decimal,
        case: Case::Lower,
        ordinal: false,
        zero_code: 0x30,
        mandatory_digits: 0,
        optional_digits: 0,
        regular: None,
        separators: Vec::new(),
        parse_width: None,
    };
    let primary = match picture.rfind(';') {
        None => picture,
        Some(i) => {
            format.ordinal = picture[i + 1..].starts_with('o');
            &picture[..i]
        }
    };
    match primary {
        "A" | "a" => {
            format.case = if primary == "A" {
                Case::Upper
            } else {
                Case::Lower
            };
            format.primary = Primary::Letters;
        }
        "I" | "i" => {
            format.case = if primary == "I" {
                Case::Upper
            } else {
                Case::Lower
            };
            format.primary = Primary::Roman;
        }
        "W" | "Ww" | "w" => {
            format.case = match primary {
                "W" => Case::Upper,
                "Ww" => Case::Title,
                _ => Case::Lower,
            };
            format.primary = Primary::Words;
        }
        _ => analyse_digits(primary, &mut format)?,
    }
    Ok(format)
}

fn analyse_digits(primary: &str, format: &mut IntegerFormat) -> Result<(), Error> {
    let mut zero_code = None;
    let mut position = 0;
    let mut separators = Vec::new();
    for c in primary.chars().rev() {
        let code = c as u32;
        if let Some(group) = DECIMAL_GROUPS
            .iter()
            .find(|g| code >= **g && code <= **g + 9)
        {
            format.mandatory_digits += 1;
            position += 1;
            match zero_code {
                None => zero_code = Some(*group),
                Some(z) if z != *group => return Err(Error::D3131MixedDigitGroups),
                _ => {}
            }
        } else if c == '#' {
            position += 1;
            format.optional_digits += 1;
        } else {
            separators.push((position, c));
        }
    }
    if format.mandatory_digits == 0 {
        format.primary = Primary::Sequence(primary.to_string());
        return Ok(());
    }
    format.zero_code = zero_code.unwrap_or(0x30);
    match regular_interval(&separators) {
        0 => format.separators = separators,
        n => format.regular = Some((n, separators[0].1)),
    }
    Ok(())
}

/// The common interval of the separators when they are one character
/// placed at every multiple of it, else 0.
fn regular_interval(separators: &[(usize, char)]) -> usize {
    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    let Some(&(_, first)) = separators.first() else {
        return 0;
    };
    if separators.iter().any(|(_, c)| *c != first) {
        return 0;
    }
    let factor = separators.iter().map(|(p, _)| *p).reduce(gcd).unwrap_or(0);
    let regular = (1..=separators.len()).all(|i| separators.iter().any(|(p, _)| *p == i * factor));
    if regular {
        factor
    } else {
        0
    }
}

/// `$formatInteger`: `value` floored, then written by `picture`.
pub fn format_integer(value: f64, picture: &str) -> Result<String, Error> {
    let mut format = analyse(picture)?;
    format_with(value.floor(), &mut format)
}

/// jsonata-js's `_formatInteger`.
pub fn format_with(value: f64, format: &mut IntegerFormat) -> Result<String, Error> {
    let negative = value < 0.0;
    let value = value.abs();
    let mut text = match &format.primary {
        Primary::Letters => letters(
            value as u64,
            if format.case == Case::Upper { 'A' } else { 'a' },
        ),
        Primary::Roman => {
            // jsonata-js recurses once per numeral and runs out of stack
            // near here; a loop would take as long as the value is large.
            if value > 1e7 {
                return Err(Error::U1001StackOverflow);
            }
            let r = roman(value as u64);
            if format.case == Case::Upper {
                r.to_uppercase()
            } else {
                r
            }
        }
        Primary::Words => {
            let w = super::words::number_to_words(value, format.ordinal);
            match format.case {
                Case::Upper => w.to_uppercase(),
                Case::Lower => w.to_lowercase(),
                Case::Title => w,
            }
        }
        Primary::Decimal => decimal(value, format),
        Primary::Sequence(token) => return Err(Error::D3130SequenceUnsupported(token.clone())),
    };
    if negative {
        text.insert(0, '-');
    }
    Ok(text)
}

fn decimal(value: f64, format: &mut IntegerFormat) -> String {
    let digits = crate::evaluator::value::serialize::js_number_text(value);
    let pad = format
        .mandatory_digits
        .saturating_sub(digits.chars().count());
    let mut chars: Vec<char> = "0".repeat(pad).chars().chain(digits.chars()).collect();
    if format.zero_code != 0x30 {
        for c in chars.iter_mut() {
            *c = char::from_u32(*c as u32 + format.zero_code - 0x30).unwrap_or(*c);
        }
    }
    if let Some((interval, sep)) = format.regular {
        let n = (chars.len() - 1) / interval;
        for i in (1..=n).rev() {
            let pos = chars.len() - i * interval;
            chars.insert(pos, sep);
        }
    } else {
        // jsonata-js reverses the list in place each time it formats.
        format.separators.reverse();
        for &(position, sep) in format.separators.iter() {
            chars = js_insert(&chars, chars.len() as isize - position as isize, sep);
        }
    }
    if format.ordinal {
        let last = chars.last().copied();
        let tens_one = chars.len() > 1 && chars[chars.len() - 2] == '1';
        let suffix = match last {
            Some('1') if !tens_one => "st",
            Some('2') if !tens_one => "nd",
            Some('3') if !tens_one => "rd",
            _ => "th",
        };
        chars.extend(suffix.chars());
    }
    chars.into_iter().collect()
}

/// `s.substr(0, pos) + c + s.substr(pos)` with JavaScript's `substr`
/// (a negative length is empty, a negative start counts from the end).
fn js_insert(s: &[char], pos: isize, c: char) -> Vec<char> {
    let len = s.len() as isize;
    let head = &s[..pos.clamp(0, len) as usize];
    let tail_start = if pos < 0 {
        (len + pos).max(0)
    } else {
        pos.min(len)
    };
    let mut out = head.to_vec();
    out.push(c);
    out.extend_from_slice(&s[tail_start as usize..]);
    out
}

fn letters(mut value: u64, a: char) -> String {
    let mut out = Vec::new();
    while value > 0 {
        out.push(char::from_u32(((value - 1) % 26) as u32 + a as u32).unwrap_or(a));
        value = (value - 1) / 26;
    }
    out.iter().rev().collect()
}

fn roman(mut value: u64) -> String {
    const NUMERALS: [(u64, &str); 13] = [
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ];
    let mut out = String::new();
    while let Some((n, s)) = NUMERALS.iter().find(|(n, _)| value >= *n) {
        out.push_str(s);
        value -= n;
    }
    out
}

fn roman_value(text: &str) -> f64 {
    let (mut decimal, mut max) = (0.0, 1.0);
    for c in text.chars().rev() {
        let v = match c {
            'M' => 1000.0,
            'D' => 500.0,
            'C' => 100.0,
            'L' => 50.0,
            'X' => 10.0,
            'V' => 5.0,
            'I' => 1.0,
            _ => return f64::NAN,
        };
        if v < max {
            decimal -= v;
        } else {
            max = v;
            decimal += v;
        }
    }
    decimal
}

/// The regular expression an integer of `format` matches (for date/time
/// parsing) and its reading of the matched text (`$parseInteger`).
pub fn regex(format: &IntegerFormat) -> Result<String, Error> {
    let upper = format.case == Case::Upper;
    Ok(match &format.primary {
        Primary::Letters => (if upper { "[A-Z]+" } else { "[a-z]+" }).to_string(),
        Primary::Roman => (if upper { "[MDCLXVI]+" } else { "[mdclxvi]+" }).to_string(),
        Primary::Words => super::words::regex(),
        Primary::Decimal => {
            let mut r = String::from("[0-9]");
            match format.parse_width {
                Some(w) => r.push_str(&format!("{{{w}}}")),
                None => r.push('+'),
            }
            if format.ordinal {
                r.push_str("(?:th|st|nd|rd)");
            }
            r
        }
        Primary::Sequence(token) => return Err(Error::D3130SequenceUnsupported(token.clone())),
    })
}

/// Reads `text` as an integer of `format` (NaN when it is none).
pub fn parse_with(text: &str, format: &IntegerFormat) -> Result<f64, Error> {
    let upper = format.case == Case::Upper;
    Ok(match &format.primary {
        Primary::Letters => {
            let a = if upper { 'A' } else { 'a' } as i64;
            let n = text.chars().count();
            text.chars()
                .enumerate()
                .map(|(i, c)| (c as i64 - a + 1) as f64 * 26f64.powi((n - 1 - i) as i32))
                .sum()
        }
        Primary::Roman => roman_value(&if upper {
            text.to_string()
        } else {
            text.to_uppercase()
        }),
        Primary::Words => super::words::words_to_number(&text.to_lowercase()),
        Primary::Decimal => {
            let mut digits: String = text.to_string();
            if format.ordinal {
                let n = digits.chars().count().saturating_sub(2);
                digits = digits.chars().take(n).collect();
            }
            match format.regular {
                Some(_) => digits = digits.replace(',', ""),
                None => {
                    for (_, sep) in &format.separators {
                        digits = digits.replace(*sep, "");
                    }
                }
            }
            if format.zero_code != 0x30 {
                digits = digits
                    .chars()
                    .map(|c| {
                        char::from_u32((c as u32).wrapping_sub(format.zero_code) + 0x30)
                            .unwrap_or(c)
                    })
                    .collect();
            }
            parse_int(&digits)
        }
        Primary::Sequence(token) => return Err(Error::D3130SequenceUnsupported(token.clone())),
    })
}

/// JavaScript's `parseInt(text)` (base 10): leading white space, a sign,
/// then the longest run of digits; NaN when there is none.
pub fn parse_int(text: &str) -> f64 {
    let t = text.trim_start();
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'-') => (-1.0, &t[1..]),
        Some(b'+') => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse::<f64>().map(|n| sign * n).unwrap_or(f64::NAN)
}

/// `$parseInteger`.
pub fn parse_integer(text: &str, picture: &str) -> Result<f64, Error> {
    let format = analyse(picture)?;
    regex(&format)?;
    parse_with(text, &format)
}

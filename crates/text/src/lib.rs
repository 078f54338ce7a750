//! Text kernels for Corridor: Unicode clean-up, value checks and canonical forms.
//!
//! Every function here is pure: it takes strings and returns values, does no I/O and keeps no
//! mutable global state (the reference tables are immutable data compiled into the binary). That
//! is what lets the same kernel run in ingest, in resolution and in a fuzz target.
//!
//! ```
//! use corridor_text::{clean, iban, country_alpha2};
//! assert_eq!(clean("  Gëzim\u{00A0}\u{00A0}Hoxha "), "Gëzim Hoxha");
//! assert_eq!(iban("gb82 west 1234 5698 7654 32").unwrap(), "GB82WEST12345698765432");
//! assert_eq!(country_alpha2("SRB"), Some("rs"));
//! ```

pub mod calendar;
pub mod datecmp;
pub mod names;
pub mod plate;
pub mod script;

use std::borrow::Cow;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

/// Puts free text in the form Corridor stores: Unicode NFC (so that "ë" typed as one code point
/// or as e + combining diaeresis is one string), every run of whitespace as one space, no
/// leading or trailing space. NFC rather than NFKC because storage must not lose distinctions
/// (superscripts, full-width forms) that an analyst may need to see; comparison keys use NFKC.
pub fn clean(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    // Most values are already NFC; the quick check proves it without composing anything.
    let composed: Box<dyn Iterator<Item = char>> =
        match unicode_normalization::is_nfc_quick(input.chars()) {
            unicode_normalization::IsNormalized::Yes => Box::new(input.chars()),
            _ => Box::new(input.nfc()),
        };
    for ch in composed {
        if ch.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(ch);
    }
    out
}

/// True when the text holds a control character other than tab, newline or carriage return.
/// Such characters have no business in an intelligence record and hide text from reviewers.
pub fn has_forbidden_control(input: &str) -> bool {
    input
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// True when a spreadsheet would run the cell as a formula (`=cmd|' /C calc'!A0`, `+1+1`,
/// `@SUM(..)`, or a leading tab / carriage return that hides one).
pub fn is_formula_like(cell: &str) -> bool {
    matches!(
        cell.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// Makes a cell safe to open in a spreadsheet by prefixing an apostrophe to anything formula-like
/// (OWASP's advice). Used by every CSV writer Corridor has; stored values are never altered.
pub fn csv_safe(cell: &str) -> Cow<'_, str> {
    if is_formula_like(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

struct Country {
    alpha2_lower: String,
    alpha3: &'static str,
    alpha2: &'static str,
}

fn countries() -> &'static [Country] {
    static TABLE: OnceLock<Vec<Country>> = OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("../data/countries.tsv")
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .filter_map(|line| {
                let mut cols = line.split('\t');
                let alpha2 = cols.next()?;
                let alpha3 = cols.next()?;
                Some(Country {
                    alpha2_lower: alpha2.to_ascii_lowercase(),
                    alpha3,
                    alpha2,
                })
            })
            .collect()
    })
}

/// The lower-case ISO 3166-1 alpha-2 code (FtM's form) for an alpha-2 or alpha-3 code in any
/// case, or `None` when the code is not assigned. Kosovo is `xk`.
pub fn country_alpha2(code: &str) -> Option<&'static str> {
    static INDEX: OnceLock<std::collections::HashMap<[u8; 3], usize>> = OnceLock::new();
    let code = code.trim().as_bytes();
    if !(2..=3).contains(&code.len()) {
        return None;
    }
    let table = countries();
    let index = INDEX.get_or_init(|| {
        let mut map = std::collections::HashMap::new();
        for (i, c) in table.iter().enumerate() {
            let a2 = c.alpha2.as_bytes();
            let a3 = c.alpha3.as_bytes();
            map.insert([a2[0], a2[1], 0], i);
            map.insert([a3[0], a3[1], a3[2]], i);
        }
        map
    });
    let mut key = [0u8; 3];
    for (k, b) in key.iter_mut().zip(code) {
        *k = b.to_ascii_uppercase();
    }
    index.get(&key).map(|&i| table[i].alpha2_lower.as_str())
}

/// The upper-case ISO 4217 code, or `None` when the code is not assigned.
pub fn currency(code: &str) -> Option<&'static str> {
    let code = code.trim();
    include_str!("../data/currencies.tsv")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split('\t').next())
        .find(|c| c.eq_ignore_ascii_case(code))
}

/// Why a value failed its type check. The message is meant for the person fixing the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError(pub String);

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueError {}

/// Canonical IBAN (no spaces, upper-case) after checking the length (15..=34) and the ISO 13616
/// mod-97 check digits.
pub fn iban(input: &str) -> Result<String, ValueError> {
    let compact: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !compact.is_ascii() {
        return Err(ValueError(
            "IBAN holds a character that is not a Latin letter or digit".into(),
        ));
    }
    if !(15..=34).contains(&compact.len()) {
        return Err(ValueError(format!(
            "IBAN must have 15 to 34 characters, found {}",
            compact.chars().count()
        )));
    }
    let bytes = compact.as_bytes();
    if !bytes[..2].iter().all(u8::is_ascii_uppercase) || !bytes[2..4].iter().all(u8::is_ascii_digit)
    {
        return Err(ValueError(
            "IBAN must start with a country code and two check digits".into(),
        ));
    }
    if country_alpha2(&compact[..2]).is_none() {
        return Err(ValueError(format!(
            "IBAN country {} is not an ISO 3166 code",
            &compact[..2]
        )));
    }
    let mut remainder: u32 = 0;
    for &b in bytes[4..].iter().chain(&bytes[..4]) {
        let value = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => {
                return Err(ValueError(format!(
                    "IBAN holds '{}', only letters and digits are allowed",
                    b as char
                )));
            }
        };
        // Letters expand to two digits; fold digit by digit so the remainder never overflows.
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    if remainder != 1 {
        return Err(ValueError("IBAN check digits do not match".into()));
    }
    Ok(compact)
}

/// Canonical E.164 form of a telephone number. `default_region` (ISO alpha-2, e.g. "RS") reads
/// national forms such as `063 123 4567`; without it only international forms (`+…`, `00…`)
/// are accepted. Structure is checked (a known country calling code, 8 to 15 digits in all),
/// not whether an operator has assigned the range: seized phones carry numbers from every plan.
///
/// International forms are read by hand rather than by the `phonenumber` parser, whose trunk
/// prefix stripping after a country code depends on the default region (it turned
/// `+7 812 123-45-67` into `+7121234567` without one). Only the explicit `(0)` convention
/// (`+44 (0)20 …`) is dropped. National forms go through `phonenumber` with the source's region,
/// and the result must read back to itself.
pub fn phone_e164(input: &str, default_region: Option<&str>) -> Result<String, ValueError> {
    let trimmed = input.trim();
    let digits = trimmed.chars().filter(char::is_ascii_digit).count();
    if !(4..=17).contains(&digits) {
        return Err(ValueError(format!(
            "phone number must have 4 to 17 digits, found {digits}"
        )));
    }
    if let Some(rest) = trimmed
        .strip_prefix('+')
        .or_else(|| trimmed.strip_prefix("00"))
    {
        return international_e164(rest);
    }
    let Some(region_code) = default_region.map(str::to_ascii_uppercase) else {
        return Err(ValueError(
            "phone number is in national form and the source names no default region".into(),
        ));
    };
    if let Some(plan) = trunk_plans().get(region_code.as_str())
        && let Some(digits) = plain_digits(trimmed)
    {
        // The common case: a region whose national form is an optional trunk prefix and the
        // national number. Read it directly; `phonenumber`'s general parser costs ~5 µs a number.
        let national = match plan.trunk_prefix.as_deref() {
            Some(prefix) => digits.strip_prefix(prefix).unwrap_or(&digits),
            None => &digits,
        };
        return international_e164(&format!("{}{national}", plan.country_code));
    }
    let region = region_code.parse().ok();
    let Some(region) = region else {
        return Err(ValueError(format!(
            "default region '{region_code}' is not a known telephone region"
        )));
    };
    let parsed = phonenumber::parse(Some(region), trimmed)
        .map_err(|e| ValueError(format!("not a phone number: {e}")))?;
    let formatted = parsed.format().mode(phonenumber::Mode::E164).to_string();
    let canonical = international_e164(formatted.trim_start_matches('+'))?;
    if canonical != formatted {
        return Err(ValueError(format!(
            "'{trimmed}' reads as {formatted}, which is not a well-formed international number"
        )));
    }
    Ok(canonical)
}

/// How a region's national numbers become international ones, for regions where that is simply
/// "drop the trunk prefix if present, put the country code in front".
struct TrunkPlan {
    country_code: u16,
    trunk_prefix: Option<String>,
}

/// Regions whose national prefix needs no pattern or transformation to recognise (all of the
/// Western Balkans and the EU among them). Built once from `phonenumber`'s metadata.
fn trunk_plans() -> &'static std::collections::HashMap<String, TrunkPlan> {
    static PLANS: OnceLock<std::collections::HashMap<String, TrunkPlan>> = OnceLock::new();
    PLANS.get_or_init(|| {
        phonenumber::metadata::DATABASE
            .iter()
            .filter(|m| {
                m.national_prefix_transform_rule().is_none()
                    && m.national_prefix_for_parsing().is_none()
            })
            .map(|m| {
                (
                    m.id().to_owned(),
                    TrunkPlan {
                        country_code: m.country_code(),
                        trunk_prefix: m.national_prefix().map(str::to_owned),
                    },
                )
            })
            .collect()
    })
}

/// The digits of a number written with the usual separators only, or `None` if it holds
/// anything else (letters, extensions), which the general parser then handles.
fn plain_digits(text: &str) -> Option<String> {
    let mut digits = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '/' | '(' | ')' | '\u{a0}' => {}
            _ => return None,
        }
    }
    Some(digits)
}

/// Digits in a full international number, country code included (E.164 allows 15; fewer than
/// 8 is no real subscriber number).
const E164_DIGITS: std::ops::RangeInclusive<usize> = 8..=15;

/// The number after `+` or `00`: digits with the separators people type, an optional `(0)`
/// trunk marker, and a country calling code that exists.
fn international_e164(rest: &str) -> Result<String, ValueError> {
    let without_trunk = rest.replacen("(0)", "", 1);
    let mut digits = String::with_capacity(16);
    for c in without_trunk.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '/' | '(' | ')' | '\u{a0}' => {}
            other => {
                return Err(ValueError(format!(
                    "'{other}' has no place in an international phone number"
                )));
            }
        }
    }
    if !E164_DIGITS.contains(&digits.len()) {
        return Err(ValueError(format!(
            "international number has {} digits, E.164 allows 8 to 15",
            digits.len()
        )));
    }
    let known = (1..=3).any(|n| {
        digits[..n]
            .parse::<u16>()
            .ok()
            .and_then(|code| phonenumber::metadata::DATABASE.region(&code))
            .is_some()
    });
    if !known {
        return Err(ValueError(format!(
            "+{digits} does not start with a country calling code"
        )));
    }
    Ok(format!("+{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_collapses_whitespace_and_composes() {
        assert_eq!(clean("  Ge\u{0308}zim \t\n Hoxha  "), "Gëzim Hoxha");
        assert_eq!(clean(""), "");
        assert_eq!(clean("   "), "");
        assert_eq!(clean("Љубиша"), "Љубиша");
    }

    #[test]
    fn countries_cover_the_route_and_reject_unknowns() {
        for (input, want) in [
            ("RS", "rs"),
            ("srb", "rs"),
            ("MK", "mk"),
            ("MKD", "mk"),
            ("XK", "xk"),
            ("AL", "al"),
            ("GB", "gb"),
            ("AFG", "af"),
        ] {
            assert_eq!(country_alpha2(input), Some(want), "{input}");
        }
        for bad in ["UK", "", "ZZ", "SERBIA", "R"] {
            assert_eq!(country_alpha2(bad), None, "{bad}");
        }
    }

    #[test]
    fn currencies() {
        assert_eq!(currency("eur"), Some("EUR"));
        assert_eq!(currency("RSD"), Some("RSD"));
        assert_eq!(currency("XYZ"), None);
    }

    #[test]
    fn iban_checks_digits() {
        assert_eq!(
            iban("RS35 2600 0560 1001 6113 79").unwrap(),
            "RS35260005601001611379"
        );
        assert!(iban("RS35 2600 0560 1001 6113 78").is_err());
        assert!(iban("GB82").is_err());
        assert!(iban("1234567890123456").is_err());
        assert!(iban("GB82WEST1234569876543!").is_err());
    }

    #[test]
    fn phones_become_e164() {
        assert_eq!(
            phone_e164("063 123 4567", Some("RS")).unwrap(),
            "+381631234567"
        );
        assert_eq!(
            phone_e164("00381 63 123 4567", None).unwrap(),
            "+381631234567"
        );
        assert_eq!(
            phone_e164("+44 7700 900123", Some("RS")).unwrap(),
            "+447700900123"
        );
        assert_eq!(
            phone_e164("070 123 456", Some("MK")).unwrap(),
            "+38970123456"
        );
        assert!(phone_e164("063 123 4567", None).is_err());
        assert!(phone_e164("12", Some("RS")).is_err());
        assert_eq!(
            phone_e164("+7 812 123-45-67", None).unwrap(),
            "+78121234567"
        );
        assert_eq!(
            phone_e164("+7 812 123-45-67", Some("RS")).unwrap(),
            "+78121234567"
        );
        assert_eq!(
            phone_e164("+44 (0)20 7946 0958", Some("RU")).unwrap(),
            "+442079460958"
        );
        assert!(
            phone_e164("+999 1234 5678", None).is_err(),
            "no such country code"
        );
        assert!(phone_e164("not a number", Some("RS")).is_err());
    }

    /// The direct reading of national numbers must agree with `phonenumber`'s general parser.
    #[test]
    fn national_fast_path_agrees_with_the_general_parser() {
        let samples = [
            ("RS", "063 123 4567"),
            ("RS", "011/123-4567"),
            ("RS", "63 123 4567"),
            ("MK", "070 123 456"),
            ("MK", "02 3123 456"),
            ("AL", "069 123 4567"),
            ("XK", "044 123 456"),
            ("GB", "07700 900123"),
            ("GB", "020 7946 0958"),
            ("GR", "694 123 4567"),
            ("HU", "06 20 123 4567"),
            ("DE", "0151 2345 6789"),
            ("TR", "0532 123 45 67"),
            ("AF", "070 123 4567"),
            ("AT", "0664 1234567"),
            ("BG", "0888 123 456"),
            ("HR", "091 123 4567"),
        ];
        for region in ["RS", "MK", "AL", "XK", "GR", "HU", "HR", "BG"] {
            assert!(
                trunk_plans().contains_key(region),
                "{region} has a simple plan"
            );
        }
        for (region, number) in samples {
            let fast = phone_e164(number, Some(region)).unwrap();
            let id: phonenumber::country::Id = region.parse().unwrap();
            let general = phonenumber::parse(Some(id), number)
                .unwrap()
                .format()
                .mode(phonenumber::Mode::E164)
                .to_string();
            assert_eq!(fast, general, "{region} {number}");
        }
    }

    #[test]
    fn formulas_are_neutralised_for_spreadsheets_only() {
        assert_eq!(csv_safe("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("Marko"), "Marko");
        assert!(has_forbidden_control("a\u{0007}b"));
        assert!(!has_forbidden_control("a\tb\r\n"));
    }
}

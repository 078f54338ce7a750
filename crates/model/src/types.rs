//! Property value types: one check-and-canonicalise function per type.
//!
//! A canonical form is what the log stores and what the content hash covers, so that the same
//! fact written two ways ("SRB" and "rs", "RS35 2600…" and "RS352600…") is one value. The raw
//! cell stays in the record's provenance; nothing an agency sent is lost.

use std::fmt;

use crate::limits::{FIELD_BYTES_MAX, RECORD_ID_BYTES_MAX};

/// The type of a property, as named in the schema file's `[types]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PropType {
    Name,
    Date,
    Country,
    Phone,
    Iban,
    Identifier,
    Plate,
    Entity,
    Amount,
    Currency,
    Number,
    Text,
}

impl PropType {
    /// Every type, in the order the schema file documents them.
    pub const ALL: [PropType; 12] = [
        PropType::Name,
        PropType::Date,
        PropType::Country,
        PropType::Phone,
        PropType::Iban,
        PropType::Identifier,
        PropType::Plate,
        PropType::Entity,
        PropType::Amount,
        PropType::Currency,
        PropType::Number,
        PropType::Text,
    ];

    /// The type's name in the schema file.
    pub fn as_str(self) -> &'static str {
        match self {
            PropType::Name => "name",
            PropType::Date => "date",
            PropType::Country => "country",
            PropType::Phone => "phone",
            PropType::Iban => "iban",
            PropType::Identifier => "identifier",
            PropType::Plate => "plate",
            PropType::Entity => "entity",
            PropType::Amount => "amount",
            PropType::Currency => "currency",
            PropType::Number => "number",
            PropType::Text => "text",
        }
    }

    /// The type named `name`, or `None`.
    pub fn parse(name: &str) -> Option<PropType> {
        PropType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Checks `raw` against this type and returns its canonical form, or the reason it fails.
    pub fn canonical(self, raw: &str, ctx: &ValueContext) -> Result<String, String> {
        if raw.len() > FIELD_BYTES_MAX {
            return Err(format!(
                "value has {} bytes, the limit is {FIELD_BYTES_MAX}",
                raw.len()
            ));
        }
        if corridor_text::has_forbidden_control(raw) {
            return Err("value holds a control character".into());
        }
        match self {
            PropType::Name => {
                let v = corridor_text::clean(raw);
                if !v.chars().any(char::is_alphabetic) {
                    return Err(format!("name '{v}' has no letter"));
                }
                Ok(v)
            }
            PropType::Text => Ok(raw.trim().nfc_string()),
            PropType::Date => partial_date(raw.trim()),
            PropType::Country => corridor_text::country_alpha2(raw)
                .map(str::to_owned)
                .ok_or_else(|| format!("'{}' is not an ISO 3166 country code", raw.trim())),
            PropType::Currency => corridor_text::currency(raw)
                .map(str::to_owned)
                .ok_or_else(|| format!("'{}' is not an ISO 4217 currency code", raw.trim())),
            PropType::Phone => corridor_text::phone_e164(raw, ctx.phone_region.as_deref())
                .map_err(|e| e.to_string()),
            PropType::Iban => corridor_text::iban(raw).map_err(|e| e.to_string()),
            PropType::Identifier => bounded_token(raw, 64, "identifier"),
            PropType::Plate => {
                let v = bounded_token(raw, 16, "plate")?;
                Ok(v.to_uppercase())
            }
            PropType::Entity => {
                let v = raw.trim();
                if v.is_empty() || v.len() > RECORD_ID_BYTES_MAX {
                    return Err(format!(
                        "entity reference must have 1 to {RECORD_ID_BYTES_MAX} bytes"
                    ));
                }
                if v.chars().any(char::is_whitespace) {
                    return Err(format!("entity reference '{v}' holds whitespace"));
                }
                Ok(v.to_owned())
            }
            PropType::Amount | PropType::Number => decimal(raw, ctx),
        }
    }
}

impl fmt::Display for PropType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

trait NfcString {
    fn nfc_string(&self) -> String;
}

impl NfcString for str {
    fn nfc_string(&self) -> String {
        use unicode_normalization::UnicodeNormalization;
        self.nfc().collect()
    }
}

/// What a value check needs to know about the source it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueContext {
    /// ISO alpha-2 region for phone numbers written in national form ("RS" reads `063…`).
    pub phone_region: Option<String>,
    /// The decimal separator the source writes ('.' or ',').
    pub decimal_separator: char,
    /// The digit-group separator the source writes, if any (',', '.', ' ', '\'').
    pub thousands_separator: Option<char>,
}

impl Default for ValueContext {
    fn default() -> Self {
        ValueContext {
            phone_region: None,
            decimal_separator: '.',
            thousands_separator: None,
        }
    }
}

fn bounded_token(raw: &str, chars_max: usize, what: &str) -> Result<String, String> {
    let v = corridor_text::clean(raw);
    let n = v.chars().count();
    if n == 0 || n > chars_max {
        return Err(format!(
            "{what} must have 1 to {chars_max} characters, found {n}"
        ));
    }
    Ok(v)
}

fn decimal(raw: &str, ctx: &ValueContext) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut seen_point = false;
    let mut digits = 0usize;
    for (i, c) in raw.trim().chars().enumerate() {
        match c {
            '0'..='9' => {
                digits += 1;
                out.push(c);
            }
            '-' | '+' if i == 0 => {
                if c == '-' {
                    out.push('-');
                }
            }
            c if c == ctx.decimal_separator && !seen_point => {
                seen_point = true;
                out.push('.');
            }
            c if Some(c) == ctx.thousands_separator && !seen_point => {}
            _ => {
                return Err(format!(
                    "'{}' is not a decimal number (decimal separator '{}')",
                    raw.trim(),
                    ctx.decimal_separator
                ));
            }
        }
    }
    if digits == 0 || digits > 30 || out.ends_with('.') {
        return Err(format!("'{}' is not a decimal number", raw.trim()));
    }
    Ok(out)
}

/// Checks an ISO 8601 partial date or date-time (`1987`, `1987-05`, `1987-05-14`,
/// `1987-05-14T10:30`, `…T10:30:00`, optional `Z` or `±HH:MM`) and returns it unchanged.
/// Partial dates stay partial: a year-only date of birth is not a 1 January birthday.
pub fn partial_date(v: &str) -> Result<String, String> {
    let err = || format!("'{v}' is not an ISO date (YYYY, YYYY-MM, YYYY-MM-DD[THH:MM[:SS]])");
    let (date, time) = match v.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (v, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let num = |s: &str, len: usize| -> Option<u32> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let year = parts.first().and_then(|s| num(s, 4)).ok_or_else(err)?;
    if !(1800..=2200).contains(&year) {
        return Err(format!("year {year} is outside 1800..2200"));
    }
    if let Some(m) = parts.get(1) {
        let month = num(m, 2).ok_or_else(err)?;
        if !(1..=12).contains(&month) {
            return Err(format!("month {month} in '{v}' is not 1..12"));
        }
        if let Some(d) = parts.get(2) {
            let day = num(d, 2).ok_or_else(err)?;
            if day == 0 || day > days_in_month(year, month) {
                return Err(format!("day {day} does not exist in {year}-{month:02}"));
            }
        }
    }
    if parts.len() > 3 || (time.is_some() && parts.len() != 3) {
        return Err(err());
    }
    if let Some(t) = time {
        let t = t
            .strip_suffix('Z')
            .or_else(|| {
                let cut = t.len().checked_sub(6)?;
                // The time part is untrusted text: never split inside a character.
                if !t.is_char_boundary(cut) {
                    return None;
                }
                let (clock, zone) = t.split_at(cut);
                let zb = zone.as_bytes();
                (matches!(zb[0], b'+' | b'-')
                    && zb[3] == b':'
                    && num(&zone[1..3], 2).is_some_and(|h| h <= 14)
                    && num(&zone[4..6], 2).is_some_and(|m| m < 60))
                .then_some(clock)
            })
            .unwrap_or(t);
        let hms: Vec<&str> = t.split(':').collect();
        let limits = [24, 60, 61];
        if !(2..=3).contains(&hms.len()) {
            return Err(err());
        }
        for (part, limit) in hms.iter().zip(limits) {
            if num(part, 2).is_none_or(|x| x >= limit) {
                return Err(err());
            }
        }
    }
    Ok(v.to_owned())
}

/// Days in `month` of `year` in the proleptic Gregorian calendar.
pub fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_stay_partial_and_are_checked() {
        for ok in [
            "1987",
            "1987-05",
            "1987-05-14",
            "2000-02-29",
            "2023-07-01T04:30",
            "2023-07-01T04:30:59Z",
            "2023-07-01T04:30:00+02:00",
        ] {
            assert_eq!(partial_date(ok).as_deref(), Ok(ok));
        }
        for bad in [
            "87",
            "1987-5",
            "1987-13",
            "1987-02-29",
            "1987-04-31",
            "14.05.1987",
            "1987-05-14T25:00",
            "1987-05T10:00",
            "",
            "1700",
        ] {
            assert!(partial_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decimals_follow_the_source_separators() {
        let eu = ValueContext {
            decimal_separator: ',',
            thousands_separator: Some('.'),
            ..ValueContext::default()
        };
        assert_eq!(
            PropType::Amount.canonical("1.500,00", &eu).unwrap(),
            "1500.00"
        );
        assert_eq!(
            PropType::Amount
                .canonical("1500.25", &ValueContext::default())
                .unwrap(),
            "1500.25"
        );
        assert!(
            PropType::Amount
                .canonical("12a", &ValueContext::default())
                .is_err()
        );
        assert!(
            PropType::Amount
                .canonical("", &ValueContext::default())
                .is_err()
        );
        assert!(
            PropType::Amount
                .canonical("1.", &ValueContext::default())
                .is_err()
        );
    }

    #[test]
    fn names_need_a_letter_and_lose_no_script() {
        let ctx = ValueContext::default();
        assert_eq!(
            PropType::Name
                .canonical(" Ђорђе   Јовановић ", &ctx)
                .unwrap(),
            "Ђорђе Јовановић"
        );
        assert_eq!(
            PropType::Name.canonical("عبد الرحمن", &ctx).unwrap(),
            "عبد الرحمن"
        );
        assert!(PropType::Name.canonical("1234", &ctx).is_err());
        assert!(
            PropType::Name
                .canonical(&"a".repeat(FIELD_BYTES_MAX + 1), &ctx)
                .is_err()
        );
    }

    #[test]
    fn every_type_round_trips_its_name() {
        for t in PropType::ALL {
            assert_eq!(PropType::parse(t.as_str()), Some(t));
        }
        assert_eq!(PropType::parse("float"), None);
    }
}

//! Dates as agencies write them, read into ISO 8601 partial dates.
//!
//! A format is a `strftime`-like pattern with `%d %m %Y %y %H %M %S %%`; one space in a
//! pattern matches any run of spaces (including none), since "1. 5. 1987." and "1.5.1987." are
//! the same Serbian date typed by two officers. Day and month may have one or two digits.
//! Patterns without `%d` (or without `%m`) yield partial dates: `%m.%Y` gives `1987-05`.

use corridor_model::types::partial_date;

/// Two-digit years below this are 20xx, the rest 19xx. Fixed, not relative to today, so that
/// reading a file gives the same answer whenever it is read.
pub const TWO_DIGIT_YEAR_PIVOT: u32 = 30;

/// Longest date pattern, in bytes.
pub const DATE_FORMAT_BYTES_MAX: usize = 64;

/// Checks a pattern: known directives only, a year among them.
pub fn check_format(format: &str) -> Result<(), String> {
    if format.len() > DATE_FORMAT_BYTES_MAX {
        return Err(format!("date format is over {DATE_FORMAT_BYTES_MAX} bytes"));
    }
    let mut chars = format.chars();
    let mut has_year = false;
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some('Y' | 'y') => has_year = true,
                Some('d' | 'm' | 'H' | 'M' | 'S' | '%') => {}
                Some(other) => {
                    return Err(format!("date format directive %{other} is not supported"));
                }
                None => return Err("date format ends with a lone %".into()),
            }
        }
    }
    if has_year {
        Ok(())
    } else {
        Err(format!("date format '{format}' has no year (%Y or %y)"))
    }
}

/// Reads `value` with the first of `formats` that matches it entirely, falling back to ISO
/// 8601; returns the ISO partial date or the reason none matched.
pub fn parse_date(value: &str, formats: &[String]) -> Result<String, String> {
    let value = value.trim();
    for f in formats {
        if let Some(iso) = match_format(value, f) {
            return partial_date(&iso).map_err(|e| format!("'{value}' read as '{iso}': {e}"));
        }
    }
    partial_date(value).map_err(|_| {
        format!("'{value}' matches none of the date formats {formats:?} and is not an ISO date")
    })
}

fn take_digits(s: &[u8], min: usize, max: usize) -> Option<(u32, &[u8])> {
    let n = s
        .iter()
        .take(max)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if n < min {
        return None;
    }
    let v = std::str::from_utf8(&s[..n]).ok()?.parse().ok()?;
    Some((v, &s[n..]))
}

fn match_format(value: &str, format: &str) -> Option<String> {
    let mut v = value.as_bytes();
    let mut f = format.as_bytes();
    let (mut year, mut month, mut day, mut hour, mut minute, mut second) =
        (None, None, None, None, None, None);
    while let Some((&fc, rest)) = f.split_first() {
        f = rest;
        if fc == b'%' {
            let (&d, rest) = f.split_first()?;
            f = rest;
            let (slot, min, max) = match d {
                b'Y' => (&mut year, 4, 4),
                b'y' => (&mut year, 2, 2),
                b'm' => (&mut month, 1, 2),
                b'd' => (&mut day, 1, 2),
                b'H' => (&mut hour, 1, 2),
                b'M' => (&mut minute, 2, 2),
                b'S' => (&mut second, 2, 2),
                b'%' => {
                    v = v.strip_prefix(b"%")?;
                    continue;
                }
                _ => return None,
            };
            let (n, rest) = take_digits(v, min, max)?;
            *slot = Some(if d == b'y' {
                if n < TWO_DIGIT_YEAR_PIVOT {
                    2000 + n
                } else {
                    1900 + n
                }
            } else {
                n
            });
            v = rest;
        } else if fc == b' ' {
            while let Some(rest) = v.strip_prefix(b" ") {
                v = rest;
            }
        } else {
            v = v.strip_prefix(&[fc][..])?;
        }
    }
    if !v.is_empty() {
        return None;
    }
    let year = year?;
    let mut iso = format!("{year:04}");
    if let Some(m) = month {
        iso.push_str(&format!("-{m:02}"));
        if let Some(d) = day {
            iso.push_str(&format!("-{d:02}"));
            if let (Some(h), Some(mi)) = (hour, minute) {
                iso.push_str(&format!("T{h:02}:{mi:02}"));
                if let Some(s) = second {
                    iso.push_str(&format!(":{s:02}"));
                }
            }
        }
    }
    Some(iso)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn agency_formats() {
        let sr = f(&["%d. %m. %Y.", "%d.%m.%Y"]);
        assert_eq!(parse_date("14.05.1987.", &sr).unwrap(), "1987-05-14");
        assert_eq!(parse_date("1. 5. 1987.", &sr).unwrap(), "1987-05-01");
        assert_eq!(parse_date("14.05.1987", &sr).unwrap(), "1987-05-14");
        assert_eq!(
            parse_date("1987", &sr).unwrap(),
            "1987",
            "ISO fallback keeps year-only"
        );
        assert_eq!(parse_date("1987-05", &sr).unwrap(), "1987-05");
        let mk = f(&["%d.%m.%y"]);
        assert_eq!(parse_date("3.7.94", &mk).unwrap(), "1994-07-03");
        assert_eq!(parse_date("3.7.05", &mk).unwrap(), "2005-07-03");
        let uk = f(&["%d/%m/%Y %H:%M", "%d/%m/%Y"]);
        assert_eq!(
            parse_date("01/07/2023 04:30", &uk).unwrap(),
            "2023-07-01T04:30"
        );
        assert!(parse_date("%m.%Y", &f(&["%m.%Y"])).is_err());
        assert_eq!(parse_date("05.1987", &f(&["%m.%Y"])).unwrap(), "1987-05");
    }

    #[test]
    fn impossible_dates_are_errors() {
        let sr = f(&["%d.%m.%Y"]);
        assert!(parse_date("31.02.1990", &sr).is_err());
        assert!(parse_date("14.13.1990", &sr).is_err());
        assert!(parse_date("yesterday", &sr).is_err());
        assert!(parse_date("14.05.1987 extra", &sr).is_err());
    }

    #[test]
    fn formats_are_checked() {
        assert!(check_format("%d.%m.%Y").is_ok());
        assert!(check_format("%d.%m").is_err());
        assert!(check_format("%d.%m.%Y %Q").is_err());
        assert!(check_format("%Y%").is_err());
    }
}

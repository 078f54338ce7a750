//! Dates of birth as agencies record them, for comparison: complete, year-month, year-only,
//! `01-01` placeholders (the date given when only the year is known), typing slips and day/month
//! swaps.

/// A date of birth as far as it is known. `month` and `day` are 1-based; 0 means unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LooseDate {
    /// Year (1000..=2999).
    pub year: u16,
    /// Month 1..=12, 0 unknown.
    pub month: u8,
    /// Day 1..=31, 0 unknown.
    pub day: u8,
}

impl LooseDate {
    /// True for 1 January: the usual placeholder when only the year is known, so weak evidence.
    pub fn is_placeholder(&self) -> bool {
        self.month == 1 && self.day == 1
    }

    /// True when month and day are both known and the date is not the 01-01 placeholder.
    pub fn is_complete(&self) -> bool {
        self.month != 0 && self.day != 0 && !self.is_placeholder()
    }

    /// Days since 0000-03-01 (proleptic Gregorian), unknown parts read as the middle of the
    /// range they stand for, for distances.
    pub fn ordinal_days(&self) -> i64 {
        let month = if self.month == 0 { 7 } else { self.month };
        let day = if self.day == 0 { 1 } else { self.day };
        crate::calendar::days_from_civil(i64::from(self.year), u32::from(month), u32::from(day))
            + 719_468
    }
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn make(year: u32, month: u32, day: u32) -> Option<LooseDate> {
    if !(1000..=2999).contains(&year) || month > 12 || day > 31 || (month == 0 && day != 0) {
        return None;
    }
    Some(LooseDate {
        year: year as u16,
        month: month as u8,
        day: day as u8,
    })
}

/// Reads a date of birth in the forms sources use: `YYYYMMDD`, `YYYY-MM-DD`, `YYYY-MM`, `YYYY`,
/// `DD.MM.YYYY` (with an optional trailing dot, as in Serbian), `DD/MM/YYYY`, `D. M. YYYY.`.
/// Anything else is `None` (a gap, not an error: the comparator treats it as missing).
///
/// ```
/// use corridor_text::datecmp::{parse_loose_date, LooseDate};
/// assert_eq!(parse_loose_date("19870501"), Some(LooseDate { year: 1987, month: 5, day: 1 }));
/// assert_eq!(parse_loose_date("1. 5. 1987."), parse_loose_date("1987-05-01"));
/// assert_eq!(parse_loose_date("1987").unwrap().month, 0);
/// ```
pub fn parse_loose_date(input: &str) -> Option<LooseDate> {
    let s = input.trim().trim_end_matches('.');
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        let year = digits(&s[0..4])?;
        let month = digits(&s[4..6])?;
        let day = digits(&s[6..8])?;
        return make(year, month, day);
    }
    let parts: Vec<&str> = s
        .split(['-', '.', '/', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    match parts.as_slice() {
        [y] if y.len() == 4 => make(digits(y)?, 0, 0),
        [y, m] if y.len() == 4 => make(digits(y)?, digits(m)?, 0),
        [y, m, d] if y.len() == 4 => make(digits(y)?, digits(m)?, digits(d)?),
        [d, m, y] if y.len() == 4 => make(digits(y)?, digits(m)?, digits(d)?),
        _ => None,
    }
}

/// How two dates of birth agree, from strongest to weakest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DateAgreement {
    /// Same complete date (not a 01-01 placeholder).
    Exact,
    /// Same year, month and day but one of them a 01-01 placeholder or year-only: consistent,
    /// weaker evidence.
    Consistent,
    /// One typing slip: one digit different or two adjacent digits swapped in `YYYYMMDD`, or
    /// day and month swapped.
    Slip,
    /// Within a year of each other (Solar Hijri conversions, age-derived years).
    Near,
    /// Nothing in common.
    Different,
}

fn eight_digits(d: &LooseDate) -> [u8; 8] {
    let (y, m, day) = (d.year, d.month, d.day);
    [
        (y / 1000 % 10) as u8,
        (y / 100 % 10) as u8,
        (y / 10 % 10) as u8,
        (y % 10) as u8,
        m / 10,
        m % 10,
        day / 10,
        day % 10,
    ]
}

/// Compares two dates of birth.
///
/// ```
/// use corridor_text::datecmp::{compare_dates, parse_loose_date, DateAgreement};
/// let d = |s| parse_loose_date(s).unwrap();
/// assert_eq!(compare_dates(&d("1987-05-03"), &d("1987-03-05")), DateAgreement::Slip);
/// assert_eq!(compare_dates(&d("1998"), &d("1998-01-01")), DateAgreement::Consistent);
/// ```
pub fn compare_dates(a: &LooseDate, b: &LooseDate) -> DateAgreement {
    if a == b {
        return if a.is_complete() {
            DateAgreement::Exact
        } else {
            DateAgreement::Consistent
        };
    }
    // A year-only date, or a 01-01 placeholder, says nothing about month and day.
    let partial = |x: &LooseDate| x.month == 0 || x.is_placeholder();
    if a.year == b.year && (partial(a) || partial(b)) {
        return DateAgreement::Consistent;
    }
    if a.year == b.year && a.month == b.month && (a.day == 0 || b.day == 0) {
        return DateAgreement::Consistent;
    }
    if a.month != 0 && b.month != 0 && a.day != 0 && b.day != 0 {
        if a.year == b.year && a.month == b.day && a.day == b.month {
            return DateAgreement::Slip;
        }
        let (x, y) = (eight_digits(a), eight_digits(b));
        let mut diff = [0usize; 2];
        let mut count = 0;
        for i in 0..8 {
            if x[i] != y[i] {
                if count < 2 {
                    diff[count] = i;
                }
                count += 1;
            }
        }
        let [i, j] = diff;
        if count == 1 || (count == 2 && j == i + 1 && x[i] == y[j] && x[j] == y[i]) {
            return DateAgreement::Slip;
        }
    }
    if (a.ordinal_days() - b.ordinal_days()).abs() <= 366 {
        return DateAgreement::Near;
    }
    DateAgreement::Different
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> LooseDate {
        parse_loose_date(s).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn parses_the_route_forms() {
        assert_eq!(d("03.05.1987."), d("1987-05-03"));
        assert_eq!(d("3/5/1987"), d("19870503"));
        assert_eq!(d("1987-05").day, 0);
        assert!(parse_loose_date("1987-13-01").is_none());
        assert!(parse_loose_date("abc").is_none());
        assert!(parse_loose_date("").is_none());
    }

    #[test]
    fn agreement_levels() {
        assert_eq!(
            compare_dates(&d("1987-05-03"), &d("1987-05-03")),
            DateAgreement::Exact
        );
        assert_eq!(
            compare_dates(&d("1998-01-01"), &d("1998-01-01")),
            DateAgreement::Consistent
        );
        assert_eq!(
            compare_dates(&d("1998-01-01"), &d("1998-07-14")),
            DateAgreement::Consistent
        );
        assert_eq!(
            compare_dates(&d("1987-05-03"), &d("1987-05-08")),
            DateAgreement::Slip
        );
        assert_eq!(
            compare_dates(&d("1987-05-13"), &d("1987-05-31")),
            DateAgreement::Slip
        );
        assert_eq!(
            compare_dates(&d("1987-05-03"), &d("1988-02-01")),
            DateAgreement::Near
        );
        assert_eq!(
            compare_dates(&d("1987-05-03"), &d("1960-11-21")),
            DateAgreement::Different
        );
        assert!(d("1990-01-01").is_placeholder());
        assert!(d("2000-03-01").ordinal_days() - d("2000-02-28").ordinal_days() == 2);
    }
}

//! Properties of ISO partial dates against a calendar computed another way: day counts come from
//! the distance between the first days of consecutive months (days since the civil epoch), not
//! from a table of month lengths and leap-year rules.

use corridor_model::types::{days_in_month, partial_date};
use proptest::prelude::*;

/// Days from 1970-01-01 to the given proleptic Gregorian date (Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn reference_days_in_month(year: u32, month: u32) -> u32 {
    if !(1..=12).contains(&month) {
        return 0;
    }
    let (y, m) = (i64::from(year), i64::from(month));
    let (next_y, next_m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (days_from_civil(next_y, next_m, 1) - days_from_civil(y, m, 1)) as u32
}

#[test]
fn reference_calendar_is_sane() {
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(
        days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 1),
        29
    );
    assert_eq!(
        days_from_civil(1900, 3, 1) - days_from_civil(1900, 2, 1),
        28
    );
    let year_2024: u32 = (1..=12).map(|m| reference_days_in_month(2024, m)).sum();
    assert_eq!(year_2024, 366);
}

#[test]
fn multi_byte_time_part_is_an_error_not_a_panic() {
    for v in ["1987-05-14Tж00000", "1987-05-14Tжж:00"] {
        assert!(partial_date(v).is_err(), "{v}");
    }
}

/// Two ASCII digits as a number.
fn two_digits(s: &str) -> Option<u32> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// The documented grammar, `YYYY[-MM[-DD[THH:MM[:SS][Z|±HH:MM]]]]`, read by position.
fn reference_accepts(v: &str) -> bool {
    let (date, time) = match v.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (v, None),
    };
    let year_ok = date.len() >= 4
        && date.is_char_boundary(4)
        && date[..4].bytes().all(|b| b.is_ascii_digit())
        && (1800..=2200).contains(&date[..4].parse::<u32>().unwrap_or(0));
    let date_ok = year_ok
        && match date.len() {
            4 => true,
            7 => {
                &date[4..5] == "-" && two_digits(&date[5..7]).is_some_and(|m| (1..=12).contains(&m))
            }
            10 => {
                let year: u32 = date[..4].parse().unwrap_or(0);
                let month = two_digits(&date[5..7]).filter(|m| (1..=12).contains(m));
                &date[4..5] == "-"
                    && &date[7..8] == "-"
                    && month.is_some_and(|m| {
                        two_digits(&date[8..10])
                            .is_some_and(|d| (1..=reference_days_in_month(year, m)).contains(&d))
                    })
            }
            _ => false,
        };
    let Some(time) = time else {
        return date_ok;
    };
    if !date_ok || date.len() != 10 {
        return false;
    }
    let clock = if let Some(clock) = time.strip_suffix('Z') {
        clock
    } else if time.len() >= 6
        && time.is_char_boundary(time.len() - 6)
        && matches!(time.as_bytes()[time.len() - 6], b'+' | b'-')
        && time.as_bytes()[time.len() - 3] == b':'
        && two_digits(&time[time.len() - 5..time.len() - 3]).is_some_and(|h| h <= 14)
        && two_digits(&time[time.len() - 2..]).is_some_and(|m| m < 60)
    {
        &time[..time.len() - 6]
    } else {
        time
    };
    let fields: Vec<&str> = clock.split(':').collect();
    (2..=3).contains(&fields.len())
        && fields
            .iter()
            .zip([24, 60, 61])
            .all(|(f, limit)| two_digits(f).is_some_and(|x| x < limit))
}

/// Pieces of dates and date-times, and the characters around them that sources get wrong.
const PIECES: &[&str] = &[
    "1987", "2200", "1799", "-", "05", "5", "14", "00", "31", "T", "10", ":", "30", "60", "Z", "+",
    "02", "15", " ", "", "9",
];

/// One of `good` five times in six, else one of `bad`: most candidates then have exactly one
/// part wrong, which is where a check is most likely to be off by one.
fn mostly(
    good: &'static [&'static str],
    bad: &'static [&'static str],
) -> BoxedStrategy<&'static str> {
    prop_oneof![5 => prop::sample::select(good), 1 => prop::sample::select(bad)].boxed()
}

/// Mostly well-formed dates and date-times with a part here and there wrong, and free
/// concatenations of pieces.
fn candidate() -> impl Strategy<Value = String> {
    let part = |s: BoxedStrategy<&'static str>| prop::option::weighted(0.8, s);
    let structured = (
        mostly(
            &["1987", "2000", "1900", "1800", "2200"],
            &["1799", "2201", "87", "１９８７"],
        ),
        part(mostly(
            &["-05", "-02", "-12"],
            &["-13", "-00", "-5", "05", "-1a"],
        )),
        part(mostly(
            &["-14", "-28", "-29", "-30", "-31"],
            &["-00", "-1", "-32", "-3 "],
        )),
        part(mostly(
            &["T10", "T00", "T23"],
            &["T24", "T1", "T", "t10", " 10"],
        )),
        part(mostly(&[":30", ":00", ":59"], &[":60", ":5", "30"])),
        part(mostly(&[":00", ":59", ":60"], &[":61", ":6", ":"])),
        part(mostly(
            &["Z", "+02:00", "-14:00", "+00:00", "-05:30"],
            &["+15:00", "+02:60", "+0200", "ZZ", "z", "+2:00"],
        )),
    )
        .prop_map(|(y, m, d, h, mi, s, z)| {
            [Some(y), m, d, h, mi, s, z]
                .into_iter()
                .flatten()
                .collect::<String>()
        });
    let free = prop::collection::vec(prop::sample::select(PIECES), 0..10).prop_map(|p| p.concat());
    prop_oneof![3 => structured, 1 => free]
}

proptest! {
    #[test]
    fn full_dates_exist_exactly_when_the_calendar_has_them(
        year in 1800u32..=2200,
        month in 0u32..=13,
        day in 0u32..=32,
    ) {
        let v = format!("{year:04}-{month:02}-{day:02}");
        let exists = (1..=12).contains(&month) && (1..=reference_days_in_month(year, month)).contains(&day);
        match partial_date(&v) {
            Ok(out) => {
                prop_assert!(exists, "{} accepted", v);
                prop_assert_eq!(out, v);
            }
            Err(e) => prop_assert!(!exists, "{} refused: {}", v, e),
        }
    }

    #[test]
    fn days_in_month_matches_the_reference(year in 1u32..=9999, month in 0u32..=13) {
        prop_assert_eq!(days_in_month(year, month), reference_days_in_month(year, month));
    }

    #[test]
    fn partial_dates_stay_partial(year in 1000u32..=9999, month in 0u32..=13) {
        let year_ok = (1800..=2200).contains(&year);
        let y = format!("{year:04}");
        prop_assert_eq!(partial_date(&y).is_ok(), year_ok, "{}", y);
        if year_ok {
            prop_assert_eq!(partial_date(&y), Ok(y.clone()));
        }
        let ym = format!("{year:04}-{month:02}");
        let ym_ok = year_ok && (1..=12).contains(&month);
        match partial_date(&ym) {
            Ok(out) => {
                prop_assert!(ym_ok, "{} accepted", ym);
                prop_assert_eq!(out, ym);
            }
            Err(_) => prop_assert!(!ym_ok, "{} refused", ym),
        }
    }

    #[test]
    fn date_times_are_checked_field_by_field(
        day in 1u32..=28,
        hour in 0u32..=25,
        minute in 0u32..=61,
        second in prop::option::of(0u32..=62),
        zone in prop::option::of(prop_oneof![
            Just("Z".to_owned()),
            (prop::sample::select(&['+', '-'][..]), 0u32..=15, 0u32..=61)
                .prop_map(|(sign, h, m)| format!("{sign}{h:02}:{m:02}")),
        ]),
    ) {
        let mut v = format!("2023-07-{day:02}T{hour:02}:{minute:02}");
        let mut ok = hour < 24 && minute < 60;
        if let Some(s) = second {
            v.push_str(&format!(":{s:02}"));
            // 60 is a leap second.
            ok &= s < 61;
        }
        if let Some(zone) = &zone {
            v.push_str(zone);
            if let Some(offset) = zone.strip_prefix(['+', '-']) {
                let (h, m) = offset.split_once(':').unwrap();
                ok &= h.parse::<u32>().unwrap() <= 14 && m.parse::<u32>().unwrap() < 60;
            }
        }
        match partial_date(&v) {
            Ok(out) => {
                prop_assert!(ok, "{} accepted", v);
                prop_assert_eq!(out, v);
            }
            Err(_) => prop_assert!(!ok, "{} refused", v),
        }
    }

}

proptest! {
    // Cases are cheap, and each wrong part shows up in only a few percent of them.
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Nothing panics, and exactly what the grammar and the calendar allow is accepted. The time
    /// parts are ASCII: multi-byte characters there are the fixed-case test above.
    #[test]
    fn text_is_accepted_exactly_when_the_reference_accepts_it(
        v in candidate(),
    ) {
        let want = reference_accepts(&v);
        match partial_date(&v) {
            Ok(out) => {
                prop_assert!(want, "{:?} accepted", v);
                prop_assert_eq!(out, v);
            }
            Err(e) => prop_assert!(!want, "{:?} refused: {}", v, e),
        }
    }
}

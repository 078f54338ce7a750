//! Properties of the text kernels: cleaning is a fixed point, spreadsheet-safe cells are never
//! formulas, a canonical IBAN checks to itself, and phone numbers come out in E.164 form, the
//! same whatever the default region for international input, and checking to themselves.

use corridor_text::{clean, country_alpha2, csv_safe, iban, is_formula_like, phone_e164};
use proptest::prelude::*;
use unicode_normalization::is_nfc;

/// Unicode whitespace of several kinds (and two invisible characters that are not whitespace),
/// marks that compose with what precedes them, and text from the region's scripts.
const PIECES: &[&str] = &[
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\u{00A0}",
    "\u{2002}",
    "\u{2000}",
    "\u{3000}",
    "\u{0085}",
    "\u{200B}",
    "\u{FEFF}",
    "e",
    "\u{0308}",
    "\u{0301}",
    "\u{0323}",
    "\u{1E9B}",
    "\u{1100}",
    "\u{1161}",
    "\u{212B}",
    "Ђорђе",
    "محمد",
    "Gëzim",
    "x",
];

fn messy_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(prop::sample::select(PIECES), 0..12).prop_map(|p| p.concat()),
        1 => any::<String>(),
    ]
}

/// An IBAN in its canonical form, with correct check digits.
fn canonical_iban() -> impl Strategy<Value = String> {
    (
        prop::sample::select(&["GB", "DE", "RS", "AL", "MK", "XK", "BA", "ME", "FR"][..]),
        "[A-Z0-9]{11,30}",
    )
        .prop_map(|(country, bban)| {
            // ISO 13616: the check digits make BBAN + country + check ≡ 1 (mod 97).
            let rem = format!("{bban}{country}00")
                .chars()
                .map(|c| c.to_digit(36).unwrap_or(0))
                .fold(0u32, |r, v| {
                    if v >= 10 {
                        (r * 100 + v) % 97
                    } else {
                        (r * 10 + v) % 97
                    }
                });
            format!("{country}{:02}{bban}", 98 - rem)
        })
}

/// The canonical IBAN as a person might type it: lower case here and there, grouped with
/// spaces or dashes.
fn typed_iban() -> impl Strategy<Value = (String, String)> {
    canonical_iban().prop_flat_map(|canonical| {
        let n = canonical.len();
        (
            Just(canonical),
            prop::collection::vec(any::<bool>(), n),
            prop::collection::vec(prop::sample::select(&["", "", "", " ", "-", "  "][..]), n),
        )
            .prop_map(|(canonical, lower, gaps)| {
                let typed: String = canonical
                    .chars()
                    .zip(lower.iter().zip(&gaps))
                    .map(|(c, (&lower, gap))| {
                        let c = if lower { c.to_ascii_lowercase() } else { c };
                        format!("{gap}{c}")
                    })
                    .collect();
                (canonical, typed)
            })
    })
}

proptest! {
    #[test]
    fn clean_is_idempotent_and_leaves_single_inner_spaces(s in messy_text()) {
        let once = clean(&s);
        prop_assert_eq!(clean(&once), once.clone(), "clean of clean of {:?}", s);
        prop_assert!(!once.starts_with(' ') && !once.ends_with(' '), "{:?}", once);
        prop_assert!(!once.contains("  "), "{:?}", once);
        prop_assert!(
            once.chars().all(|c| c == ' ' || !c.is_whitespace()),
            "only plain spaces remain: {:?}",
            once
        );
        prop_assert!(is_nfc(&once), "{:?} is NFC", once);
    }

    #[test]
    fn csv_safe_cells_are_never_formulas(
        prefix in prop::sample::select(&["", "=", "+", "-", "@", "\t", "\r", "'", " "][..]),
        rest in any::<String>(),
    ) {
        let cell = format!("{prefix}{rest}");
        let safe = csv_safe(&cell);
        prop_assert!(!is_formula_like(&safe), "{:?}", safe);
        prop_assert!(safe.ends_with(cell.as_str()), "the cell is kept whole: {:?}", safe);
        if !is_formula_like(&cell) {
            prop_assert_eq!(safe.as_ref(), cell.as_str(), "harmless cells are untouched");
        }
    }

    #[test]
    fn typed_ibans_check_to_their_canonical_form((canonical, typed) in typed_iban()) {
        prop_assert_eq!(iban(&typed), Ok(canonical.clone()), "typed as {:?}", typed);
        prop_assert_eq!(iban(&canonical), Ok(canonical.clone()));
    }

    #[test]
    fn a_wrong_check_digit_is_caught(canonical in canonical_iban(), at in 2usize..4, delta in 1u8..10) {
        // Changing one check digit moves the number by 1..9 or 10..90, never a multiple of 97.
        let mut bytes = canonical.into_bytes();
        bytes[at] = b'0' + (bytes[at] - b'0' + delta) % 10;
        let wrong = String::from_utf8(bytes).unwrap();
        prop_assert!(iban(&wrong).is_err(), "{}", wrong);
    }

    #[test]
    fn iban_output_checks_to_itself(s in prop_oneof![
        "[A-Za-z]{2}[0-9]{2}[A-Za-z0-9 -]{8,34}",
        any::<String>(),
    ]) {
        if let Ok(out) = iban(&s) {
            prop_assert_eq!(iban(&out), Ok(out.clone()), "from {:?}", s);
            prop_assert!((15..=34).contains(&out.len()));
            prop_assert!(out.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        }
    }

    #[test]
    fn country_codes_are_case_blind_and_canonical(code in "[A-Za-z]{2,3}") {
        let found = country_alpha2(&code);
        prop_assert_eq!(country_alpha2(&code.to_ascii_uppercase()), found);
        if let Some(alpha2) = found {
            prop_assert_eq!(country_alpha2(alpha2), Some(alpha2));
        }
    }
}

#[test]
fn international_numbers_do_not_depend_on_the_default_region() {
    for (number, region) in [
        ("+7 812 123-45-67", None),
        ("+78001234567", None),
        ("+44 0 20 7946 0958", Some("RU")),
    ] {
        assert_eq!(
            phone_e164(number, region),
            phone_e164(number, Some("RS")),
            "{number} in {region:?}"
        );
    }
}

#[test]
fn canonical_numbers_check_to_themselves() {
    let out = phone_e164("0-000001", Some("RS")).unwrap();
    assert_eq!(phone_e164(&out, Some("RS")), Ok(out.clone()));
}

/// Phone numbers as sources type them, junk included.
fn typed_phone() -> impl Strategy<Value = String> {
    prop_oneof!["(\\+|00)?[0-9 ()/-]{4,20}", any::<String>()]
}

fn region() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::of(prop::sample::select(
        &["RS", "GB", "AL", "mk", "XK", "ZZ"][..],
    ))
}

proptest! {
    // The phone-number parser is the slowest kernel by far.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn phone_output_is_e164(s in typed_phone(), region in region()) {
        if let Ok(out) = phone_e164(&s, region) {
            let digits = out.strip_prefix('+').unwrap_or("");
            prop_assert!(
                (7..=15).contains(&digits.len())
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && !digits.starts_with('0'),
                "{:?} from {:?} in {:?}",
                out,
                s,
                region
            );
        }
    }
}

proptest! {
    /// National numbers of the route's regions, read directly, agree with the general parser
    /// wherever both accept the number. Numbers that begin with the region's own country code
    /// are left out: the general parser guesses that such a number was written internationally
    /// without its `+` (HU `360001` → `+360001`), while the direct reading takes the source's
    /// word that it is national; neither guess is provably right.
    #[test]
    fn national_numbers_read_directly_agree_with_the_general_parser(
        region in prop::sample::select(vec!["RS", "MK", "AL", "XK", "GR", "HU", "HR", "BG"]),
        trunk in any::<bool>(),
        digits in "[1-9][0-9]{5,10}",
        separated in any::<bool>(),
    ) {
        let mut number = if trunk { format!("0{digits}") } else { digits.clone() };
        if separated && number.len() > 4 {
            number.insert(3, ' ');
        }
        let id: phonenumber::country::Id = region.parse().unwrap();
        let code = phonenumber::metadata::DATABASE
            .by_id(region)
            .map(|m| m.country_code().to_string())
            .unwrap();
        prop_assume!(!digits.starts_with(&code));
        // A national number that still begins with 0 after the trunk prefix (HU `06 060010`) is
        // junk that the two readings mangle differently.
        let trunk_prefix = phonenumber::metadata::DATABASE
            .by_id(region)
            .and_then(|m| m.national_prefix().map(str::to_owned))
            .unwrap_or_default();
        let compact = number.replace(' ', "");
        let national = compact.strip_prefix(trunk_prefix.as_str()).unwrap_or(&compact);
        prop_assume!(!national.starts_with('0'));
        let general = phonenumber::parse(Some(id), &number)
            .map(|p| p.format().mode(phonenumber::Mode::E164).to_string());
        if let (Ok(ours), Ok(theirs)) = (phone_e164(&number, Some(region)), general) {
            prop_assert_eq!(ours, theirs, "{} {}", region, number);
        }
    }
}

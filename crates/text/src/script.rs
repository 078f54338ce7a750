//! Scripts and the Latin comparison key.
//!
//! Agencies on the route write one name in Serbian or Macedonian Cyrillic, in Latin with or
//! without South Slavic and Albanian diacritics, or (for migrants' own documents) in Arabic
//! script. Comparison needs one form for all of them: [`latin_key`] gives lower-case ASCII
//! letters, digits and single spaces, with the Serbian and Macedonian letters mapped so that the
//! Cyrillic spelling and the Latin spelling with diacritics meet (`Ђорђе Јовановић`,
//! `Đorđe Jovanović` and `Djordje Jovanovic` all give `djordje jovanovic`). General-purpose
//! transliterators do not do this: they write ш as `sh` while the Latin spelling `š` strips to
//! `s`. Scripts without a table of ours fall back to `any_ascii`.
//!
//! Keys are for comparison only; stored values are never replaced by them.

use unicode_normalization::UnicodeNormalization;

/// The writing system that most letters of a value belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// No letters at all (digits, punctuation, empty).
    None,
    /// Latin, with or without diacritics.
    Latin,
    /// Cyrillic (Serbian, Macedonian, Russian, …).
    Cyrillic,
    /// Arabic script (Arabic, Dari, Pashto, Kurdish Sorani, Urdu).
    Arabic,
    /// Greek.
    Greek,
    /// Letters of more than one of the scripts above, none with a majority.
    Mixed,
    /// Letters of another script.
    Other,
}

fn script_of(c: char) -> Option<Script> {
    if !c.is_alphabetic() {
        return None;
    }
    let cp = c as u32;
    Some(match cp {
        0x0041..=0x024F | 0x1E00..=0x1EFF => Script::Latin,
        0x0370..=0x03FF | 0x1F00..=0x1FFF => Script::Greek,
        0x0400..=0x052F => Script::Cyrillic,
        0x0600..=0x06FF | 0x0750..=0x077F | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => Script::Arabic,
        _ => Script::Other,
    })
}

/// The script most letters of `input` are written in (ties and no majority give `Mixed`).
pub fn detect_script(input: &str) -> Script {
    let mut counts = [0u32; 4]; // Latin, Cyrillic, Arabic, Greek + Other below
    let mut other = 0u32;
    for c in input.chars() {
        match script_of(c) {
            Some(Script::Latin) => counts[0] += 1,
            Some(Script::Cyrillic) => counts[1] += 1,
            Some(Script::Arabic) => counts[2] += 1,
            Some(Script::Greek) => counts[3] += 1,
            Some(_) => other += 1,
            None => {}
        }
    }
    let total: u32 = counts.iter().sum::<u32>() + other;
    if total == 0 {
        return Script::None;
    }
    let scripts = [
        Script::Latin,
        Script::Cyrillic,
        Script::Arabic,
        Script::Greek,
    ];
    for (i, &n) in counts.iter().enumerate() {
        if n * 2 > total {
            return scripts[i];
        }
    }
    if other * 2 > total {
        return Script::Other;
    }
    Script::Mixed
}

/// Unicode NFKC: compatibility forms folded (full-width `ＡＢＣ１２` → `ABC12`, ligatures split).
/// Comparison keys start here; storage uses NFC (see [`crate::clean`]).
pub fn nfkc(input: &str) -> String {
    input.nfkc().collect()
}

/// Serbian and Macedonian Cyrillic (lower case) to the Latin key. Serbian letters follow the
/// national Latin alphabet with diacritics dropped (ђ → dj as in the common `Djordje` spelling);
/// Macedonian ѓ/ќ keep the `gj`/`kj` of the national romanisation.
fn cyrillic(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'ђ' => "dj",
        'ѓ' => "gj",
        'е' | 'э' | 'є' => "e",
        'ё' => "e",
        'ж' => "z",
        'з' => "z",
        'ѕ' => "dz",
        'и' | 'і' | 'ї' => "i",
        'ј' | 'й' => "j",
        'к' => "k",
        'л' => "l",
        'љ' => "lj",
        'м' => "m",
        'н' => "n",
        'њ' => "nj",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'ћ' => "c",
        'ќ' => "kj",
        'у' | 'ў' => "u",
        'ф' => "f",
        'х' => "h",
        'ц' => "c",
        'ч' => "c",
        'џ' => "dz",
        'ш' => "s",
        'щ' => "sc",
        'ъ' | 'ь' => "",
        'ы' => "y",
        'ю' => "ju",
        'я' => "ja",
        _ => return None,
    })
}

/// Latin letters with South Slavic and Albanian diacritics, and the few others that NFD does
/// not decompose.
fn latin_special(c: char) -> Option<&'static str> {
    Some(match c {
        'đ' | 'ð' => "dj",
        'ł' => "l",
        'ø' => "o",
        'æ' => "ae",
        'œ' => "oe",
        'ß' => "ss",
        'ħ' | 'ḧ' => "h",
        'ı' => "i",
        'þ' => "th",
        _ => return None,
    })
}

/// Arabic-script letters to Latin consonants (short vowels are not written, so the key is a
/// consonant skeleton with the long vowels alif, waw and ya as a, u, i). Persian, Pashto, Kurdish
/// and Urdu extra letters map to their nearest consonant.
fn arabic(c: char) -> Option<&'static str> {
    Some(match c {
        'ا' | 'آ' | 'أ' | 'إ' | 'ٱ' | 'ى' => "a",
        'ء' | 'ئ' | 'ؤ' | 'ع' => "",
        'ب' => "b",
        'پ' => "p",
        'ت' | 'ط' | 'ة' | 'ټ' => "t",
        'ث' => "s",
        'ج' => "j",
        'چ' | 'څ' => "ch",
        'ح' | 'ه' | 'ھ' | 'ۀ' | 'ە' => "h",
        'خ' | 'ځ' => "kh",
        'د' | 'ډ' => "d",
        'ذ' | 'ض' | 'ظ' => "z",
        'ر' | 'ړ' | 'ڕ' => "r",
        'ز' | 'ژ' | 'ږ' => "z",
        'س' | 'ص' => "s",
        'ش' | 'ښ' => "sh",
        'غ' => "gh",
        'ف' | 'ڤ' => "f",
        'ق' => "q",
        'ك' | 'ک' => "k",
        'گ' | 'ګ' => "g",
        'ل' | 'ڵ' => "l",
        'م' => "m",
        'ن' | 'ڼ' => "n",
        'و' | 'ۆ' => "u",
        'ي' | 'ی' | 'ې' | 'ۍ' | 'ێ' => "i",
        // Harakat (short vowels), shadda, sukun, tatweel: not letters of the skeleton.
        '\u{064B}'..='\u{065F}' | '\u{0670}' | 'ـ' => "",
        _ => return None,
    })
}

/// The Latin comparison key: NFKC, lower case, Serbian/Macedonian Cyrillic and Arabic script
/// transliterated, diacritics dropped, anything else through `any_ascii`; every run of
/// characters that are not ASCII letters or digits becomes one space, apostrophes vanish
/// (`O'Brien` → `obrien`). The result is ASCII, trimmed, with single spaces.
///
/// ```
/// use corridor_text::script::latin_key;
/// assert_eq!(latin_key("Ђорђе Јовановић"), "djordje jovanovic");
/// assert_eq!(latin_key("Đorđe  JOVANOVIĆ"), "djordje jovanovic");
/// assert_eq!(latin_key("Gëzim Çela"), "gezim cela");
/// ```
pub fn latin_key(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + 4);
    let mut pending_space = false;
    let push = |out: &mut String, s: &str, pending_space: &mut bool| {
        for b in s.chars() {
            if b.is_ascii_alphanumeric() {
                if *pending_space && !out.is_empty() {
                    out.push(' ');
                }
                *pending_space = false;
                out.push(b.to_ascii_lowercase());
            } else if b == '\'' || b == '`' {
                // Apostrophes join: O'Brien, Ma'ruf, Abd'ul.
            } else {
                *pending_space = true;
            }
        }
    };
    // NFKD splits letters from their diacritics so that the marks can be dropped; the Cyrillic
    // and special Latin tables are consulted on the composed letter first, because NFKD would
    // split й, ё and ќ too.
    for composed in input.nfkc() {
        if composed.is_ascii() {
            let mut buf = [0u8; 4];
            push(&mut out, composed.encode_utf8(&mut buf), &mut pending_space);
            continue;
        }
        let lower = composed.to_lowercase().next().unwrap_or(composed);
        if let Some(s) = cyrillic(lower)
            .or_else(|| latin_special(lower))
            .or_else(|| arabic(lower))
        {
            if s.is_empty() {
                continue;
            }
            push(&mut out, s, &mut pending_space);
            continue;
        }
        if matches!(
            lower,
            '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{02BF}' | '\u{02BE}'
        ) {
            continue;
        }
        let mut any_base = false;
        for d in std::iter::once(lower).nfkd() {
            if unicode_normalization::char::is_combining_mark(d) {
                continue;
            }
            any_base = true;
            if d.is_ascii() {
                let mut buf = [0u8; 4];
                push(&mut out, d.encode_utf8(&mut buf), &mut pending_space);
            } else if let Some(s) = cyrillic(d).or_else(|| latin_special(d)) {
                push(&mut out, s, &mut pending_space);
            } else {
                let ascii = any_ascii::any_ascii_char(d);
                if ascii.is_empty() && d.is_alphabetic() {
                    continue;
                }
                push(&mut out, ascii, &mut pending_space);
            }
        }
        if !any_base {
            continue;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_are_detected() {
        assert_eq!(detect_script("Ђорђе Јовановић"), Script::Cyrillic);
        assert_eq!(detect_script("Đorđe Jovanović"), Script::Latin);
        assert_eq!(detect_script("محمد أحمدي"), Script::Arabic);
        assert_eq!(detect_script("12-34"), Script::None);
        assert_eq!(detect_script("ΑΒ"), Script::Greek);
        assert_eq!(detect_script("ab вг"), Script::Mixed);
    }

    #[test]
    fn serbian_both_scripts_meet() {
        let want = "djordje jovanovic";
        assert_eq!(latin_key("Ђорђе Јовановић"), want);
        assert_eq!(latin_key("Đorđe Jovanović"), want);
        assert_eq!(latin_key("DJORDJE JOVANOVIC"), want);
        assert_eq!(
            latin_key("Љубомир Живковић"),
            latin_key("Ljubomir Živković")
        );
        assert_eq!(latin_key("Њивица Џаја"), latin_key("Njivica Džaja"));
        assert_eq!(latin_key("Милош Петровић"), "milos petrovic");
    }

    #[test]
    fn macedonian_and_albanian() {
        assert_eq!(latin_key("Ѓорѓи Трајковски"), "gjorgji trajkovski");
        assert_eq!(latin_key("Ќиро"), "kjiro");
        assert_eq!(latin_key("Gëzim Çela"), "gezim cela");
        assert_eq!(latin_key("Xhevdet  Çela-Hoxha"), "xhevdet cela hoxha");
    }

    #[test]
    fn arabic_gives_a_skeleton_and_nfkc_folds() {
        assert_eq!(latin_key("محمد"), "mhmd");
        assert_eq!(latin_key("ＡＢＣ１２"), "abc12");
        assert_eq!(latin_key("O'Brien"), "obrien");
        assert_eq!(latin_key("  "), "");
    }
}

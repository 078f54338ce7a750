//! Vehicle plates and document numbers for comparison.
//!
//! Officers type plates with and without spaces and hyphens, and on Serbian and Macedonian
//! keyboards often with Cyrillic letters that look like the Latin ones (А, В, Е, К, М, Н, О, Р, С,
//! Т, Х, У); Greek plates use Greek capitals the same way. Camera (ANPR) reads confuse 0/O, 1/I and
//! 8/B. The keys here fold all of that; they are for comparison only.

/// Characters kept in a plate or document key; longer values are cut (no plate or passport
/// number comes close).
pub const PLATE_KEY_CHARS_MAX: usize = 32;

/// Cyrillic and Greek capitals (and Serbian Latin letters with diacritics) that plates share
/// with Latin.
fn homoglyph(c: char) -> Option<char> {
    Some(match c {
        'А' | 'Α' => 'A',
        'В' | 'Β' => 'B',
        'Е' | 'Ε' => 'E',
        'К' | 'Κ' => 'K',
        'М' | 'Μ' => 'M',
        'Н' | 'Η' => 'H',
        'О' | 'Ο' => 'O',
        'Р' | 'Ρ' => 'P',
        'С' => 'C',
        'Т' | 'Τ' => 'T',
        'Х' | 'Χ' => 'X',
        'У' | 'Υ' => 'Y',
        'І' | 'Ι' => 'I',
        'Ј' => 'J',
        'Ζ' => 'Z',
        'Ѕ' => 'S',
        'Č' | 'Ć' => 'C',
        'Š' => 'S',
        'Ž' => 'Z',
        'Đ' => 'D',
        _ => return None,
    })
}

/// The plate key: upper case, spaces, hyphens, dots and other separators removed, Cyrillic and
/// Greek look-alike letters mapped to Latin. With `ocr` also folds the characters a camera
/// confuses (O→0, I→1, B→8, and S→5, Z→2), for comparing against camera reads.
///
/// ```
/// use corridor_text::plate::plate_key;
/// assert_eq!(plate_key("BG 123-АВ", false), "BG123AB"); // Cyrillic А, В
/// assert_eq!(plate_key("BG-I23-OB", true), plate_key("BG 123 08", true));
/// ```
pub fn plate_key(input: &str, ocr: bool) -> String {
    let mut out = String::with_capacity(input.len().min(PLATE_KEY_CHARS_MAX));
    for c in input.chars() {
        if out.len() >= PLATE_KEY_CHARS_MAX {
            break;
        }
        let up = c.to_uppercase().next().unwrap_or(c);
        let latin = if up.is_ascii_alphanumeric() {
            up
        } else if let Some(h) = homoglyph(up) {
            h
        } else {
            continue;
        };
        let folded = if ocr {
            match latin {
                'O' | 'Q' | 'D' => '0',
                'I' | 'L' => '1',
                'B' => '8',
                'S' => '5',
                'Z' => '2',
                other => other,
            }
        } else {
            latin
        };
        out.push(folded);
    }
    out
}

/// The key of a passport, identity card or other document number: as [`plate_key`] without OCR
/// folding (document numbers are typed from the document, not read by cameras).
pub fn document_key(input: &str) -> String {
    plate_key(input, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plates_fold_separators_and_homoglyphs() {
        assert_eq!(plate_key("bg 123-ab", false), "BG123AB");
        assert_eq!(plate_key("ВG 123 АВ", false), "BG123AB");
        assert_eq!(plate_key("ΑΒΕ-1234", false), "ABE1234");
        assert_eq!(plate_key("SK·1234·ČŠ", false), "SK1234CS");
        assert_ne!(plate_key("BG1O3", false), plate_key("BG103", false));
        assert_eq!(plate_key("BG1O3", true), plate_key("BG103", true));
        assert_eq!(plate_key("8GI23", true), plate_key("BG123", true));
    }

    #[test]
    fn documents_and_limits() {
        assert_eq!(document_key("P 123 456-7"), "P1234567");
        let long = "A".repeat(100);
        assert_eq!(plate_key(&long, false).len(), PLATE_KEY_CHARS_MAX);
    }
}

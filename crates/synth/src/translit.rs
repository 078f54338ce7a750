//! Latin → Cyrillic as Serbian and Macedonian officers type a foreign name heard through an
//! interpreter: letter by letter in the national alphabet, digraphs first. Letters the alphabet
//! lacks (q, w, x, y) are kept, as they are on real forms.

/// The target alphabet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cyrillic {
    Serbian,
    Macedonian,
}

const SR_DIGRAPHS: &[(&str, &str)] = &[("lj", "љ"), ("nj", "њ"), ("dž", "џ"), ("dj", "ђ")];
const MK_DIGRAPHS: &[(&str, &str)] = &[
    ("lj", "љ"),
    ("nj", "њ"),
    ("dž", "џ"),
    ("gj", "ѓ"),
    ("kj", "ќ"),
    ("dz", "ѕ"),
    ("kh", "х"),
    ("sh", "ш"),
    ("ch", "ч"),
    ("zh", "ж"),
    ("xh", "џ"),
];
/// English- and Albanian-style digraphs in the names officers hear (Khalid, Shirzad, Hoxha).
const SR_DIGRAPHS_TOO: &[(&str, &str)] = &[
    ("kh", "х"),
    ("sh", "ш"),
    ("ch", "ч"),
    ("zh", "ж"),
    ("xh", "џ"),
    ("gj", "ђ"),
];

fn letter(c: char, alphabet: Cyrillic) -> Option<&'static str> {
    Some(match c {
        'a' => "а",
        'b' => "б",
        'v' => "в",
        'g' => "г",
        'd' => "д",
        'đ' => "ђ",
        'e' | 'ë' => "е",
        'ž' => "ж",
        'z' => "з",
        'i' => "и",
        'j' => "ј",
        'k' => "к",
        'l' => "л",
        'm' => "м",
        'n' => "н",
        'o' => "о",
        'p' => "п",
        'r' => "р",
        's' => "с",
        't' => "т",
        'ć' if alphabet == Cyrillic::Serbian => "ћ",
        'ć' => "ќ",
        'u' => "у",
        'f' => "ф",
        'h' => "х",
        'c' => "ц",
        'č' | 'ç' => "ч",
        'š' => "ш",
        // Albanian q and y, as Serbian and Macedonian forms render them (Krasniqi → Краснићи).
        'q' if alphabet == Cyrillic::Serbian => "ћ",
        'q' => "ќ",
        'y' => "и",
        _ => return None,
    })
}

fn capitalise(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    if let Some(first) = chars.next() {
        out.extend(first.to_uppercase());
        out.extend(chars);
    }
    out
}

/// Whether `s` holds Cyrillic letters.
pub fn is_cyrillic(s: &str) -> bool {
    s.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c))
}

/// `latin` written in Serbian or Macedonian Cyrillic, keeping the case of each letter.
pub fn to_cyrillic(latin: &str, alphabet: Cyrillic) -> String {
    let digraphs: Vec<&(&str, &str)> = match alphabet {
        Cyrillic::Serbian => SR_DIGRAPHS.iter().chain(SR_DIGRAPHS_TOO).collect(),
        Cyrillic::Macedonian => MK_DIGRAPHS.iter().collect(),
    };
    let chars: Vec<char> = latin.chars().collect();
    let mut out = String::with_capacity(latin.len() * 2);
    let mut i = 0;
    'outer: while i < chars.len() {
        if i + 1 < chars.len() {
            let pair: String = chars[i..i + 2]
                .iter()
                .flat_map(|c| c.to_lowercase())
                .collect();
            for (from, to) in &digraphs {
                if pair == *from {
                    let upper = chars[i].is_uppercase();
                    let all_upper = upper && chars[i + 1].is_uppercase();
                    out.push_str(&if all_upper {
                        to.to_uppercase()
                    } else if upper {
                        capitalise(to)
                    } else {
                        (*to).to_owned()
                    });
                    i += 2;
                    continue 'outer;
                }
            }
        }
        let c = chars[i];
        let lower = c.to_lowercase().next().unwrap_or(c);
        match letter(lower, alphabet) {
            Some(cyr) if c.is_uppercase() => out.push_str(&cyr.to_uppercase()),
            Some(cyr) => out.push_str(cyr),
            None => out.push(c),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_spellings_come_out_as_agencies_write_them() {
        assert_eq!(to_cyrillic("Muhamed", Cyrillic::Serbian), "Мухамед");
        assert_eq!(to_cyrillic("Husein", Cyrillic::Serbian), "Хусеин");
        assert_eq!(
            to_cyrillic("Abdul Rahman", Cyrillic::Serbian),
            "Абдул Рахман"
        );
        assert_eq!(to_cyrillic("Džamal", Cyrillic::Serbian), "Џамал");
        assert_eq!(to_cyrillic("Ljubomir", Cyrillic::Serbian), "Љубомир");
        assert_eq!(to_cyrillic("LJUBOMIR", Cyrillic::Serbian), "ЉУБОМИР");
        assert_eq!(to_cyrillic("Gjorgji", Cyrillic::Macedonian), "Ѓорѓи");
        assert_eq!(to_cyrillic("Kjiro", Cyrillic::Macedonian), "Ќиро");
        assert_eq!(to_cyrillic("Krasniqi", Cyrillic::Serbian), "Краснићи");
        assert_eq!(to_cyrillic("Hoxha", Cyrillic::Serbian), "Хоџа");
        assert_eq!(
            to_cyrillic("Xhevdet Çela", Cyrillic::Serbian),
            "Џевдет Чела"
        );
    }
}

//! Personal names for comparison: folding of romanisation habits, the variants table, name-part
//! parsing (particles, compounds) and phonetic keys.
//!
//! The pipeline is [`crate::script::latin_key`] → split into parts → particles dropped and
//! compounds joined (`Abd al-Rahman`, `Abdul Rahman` and `Abdurrahman` are one part) → each part
//! folded ([`fold`]) → looked up in `data/name_variants.tsv`, which maps the spellings that
//! folding cannot reconcile (`Mohammed`, `Muhamet`, `Mehmet`, `Мухамед`) to one canonical key.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::script::latin_key;

/// Name parts after parsing; more are ignored (a name is not a paragraph).
pub const NAME_PARTS_MAX: usize = 12;

const VARIANTS_TSV: &str = include_str!("../data/name_variants.tsv");

/// Folds the spelling habits of different romanisations of one Latin key part: digraphs to one
/// letter (`kh`, `gh`, `sh`, `zh`, `ch`, `ph`, `th`, `dh`), Albanian `xh` to `dz`, `q` to `k`,
/// `w` to `v`, `y` to `i`, `ou` to `u`, doubled letters to one, and a final `h` after a vowel
/// dropped. Input is one lower-case ASCII part (from `latin_key`).
///
/// ```
/// use corridor_text::names::fold;
/// assert_eq!(fold("mohammed"), "mohamed");
/// assert_eq!(fold("huseyin"), "husein");
/// assert_eq!(fold("khaled"), "haled");
/// ```
pub fn fold(part: &str) -> String {
    let b = part.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        let (emit, step): (&[u8], usize) = match (c, next) {
            (b'k' | b'g' | b'z' | b'p' | b't' | b'd' | b's' | b'c', Some(b'h')) => {
                let single: &[u8] = match c {
                    b'k' => b"h",
                    b'g' => b"g",
                    b'z' => b"z",
                    b'p' => b"f",
                    b't' => b"t",
                    b'd' => b"d",
                    b's' => b"s",
                    _ => b"c",
                };
                (single, 2)
            }
            (b'x', Some(b'h')) => (b"dz", 2),
            (b'o', Some(b'u')) => (b"u", 2),
            (b'q', _) => (b"k", 1),
            (b'w', _) => (b"v", 1),
            (b'y', _) => (b"i", 1),
            _ => (std::slice::from_ref(&b[i]), 1),
        };
        for &e in emit {
            if out.last() != Some(&e) {
                out.push(e);
            }
        }
        i += step;
    }
    if out.len() > 2
        && out.last() == Some(&b'h')
        && matches!(out[out.len() - 2], b'a' | b'e' | b'i' | b'o' | b'u')
    {
        out.pop();
    }
    // Every byte pushed came from ASCII input or ASCII literals.
    String::from_utf8(out).unwrap_or_default()
}

fn variants() -> &'static HashMap<String, &'static str> {
    static TABLE: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = HashMap::new();
        for line in VARIANTS_TSV
            .lines()
            .skip_while(|l| l.starts_with('#'))
            .skip(1)
        {
            let Some((variant, canonical)) = line.split_once('\t') else {
                continue;
            };
            for part in parse_parts_raw(variant) {
                map.insert(part, canonical.trim());
            }
        }
        map
    })
}

fn is_particle(p: &str) -> bool {
    matches!(
        p,
        "al" | "el" | "ul" | "ad" | "ed" | "ud" | "ar" | "as" | "az" | "ash" | "at" | "an"
    )
}

fn is_abd(p: &str) -> bool {
    matches!(
        p,
        "abd" | "abdul" | "abdel" | "abdal" | "abdol" | "abdu" | "abdur" | "abdil"
    )
}

/// `abd` + the rest with a leading vowel and the (possibly assimilated) article removed, so
/// that `abdurrahman`, `abdulrahman`, `abd` + `al` + `rahman` and `abdurahman` meet.
fn join_abd(rest: &str) -> String {
    let mut r = rest.trim_start_matches(['a', 'e', 'i', 'o', 'u']);
    let rb = r.as_bytes();
    if rb.len() > 2 && rb[0] == b'l' && !matches!(rb[1], b'a' | b'e' | b'i' | b'o' | b'u' | b'l') {
        r = &r[1..];
    }
    let mut joined = String::from("abdul");
    joined.push_str(r);
    joined
}

/// Parts of a name before the variants table: particles dropped, compounds joined, folded.
fn parse_parts_raw(name: &str) -> Vec<String> {
    let key = latin_key(name);
    let raw: Vec<&str> = key.split(' ').filter(|p| !p.is_empty()).collect();
    let mut parts: Vec<String> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() && parts.len() < NAME_PARTS_MAX {
        let p = raw[i];
        if is_abd(p) {
            // Abd al-Rahman / Abdul Rahman: join with the next part that is not a particle.
            let mut j = i + 1;
            while j < raw.len() && is_particle(raw[j]) {
                j += 1;
            }
            if j < raw.len() {
                parts.push(fold(&join_abd(raw[j])));
                i = j + 1;
                continue;
            }
        } else if p.len() > 5 && p.starts_with("abd") {
            let rest = p.trim_start_matches("abd");
            let rest = rest
                .strip_prefix("ul")
                .or_else(|| rest.strip_prefix("el"))
                .or_else(|| rest.strip_prefix("al"))
                .or_else(|| rest.strip_prefix("ol"))
                .unwrap_or(rest);
            parts.push(fold(&join_abd(rest)));
            i += 1;
            continue;
        }
        if matches!(p, "ullah" | "ulla" | "ollah" | "allah" | "ulah")
            && let Some(prev) = parts.pop()
        {
            // Rahmat Ullah → Rahmatullah.
            parts.push(fold(&format!("{prev}ulah")));
            i += 1;
            continue;
        }
        if is_particle(p) && i + 1 < raw.len() {
            i += 1;
            continue;
        }
        parts.push(fold(p));
        i += 1;
    }
    parts
}

/// The canonical comparison key of one name part (already parsed): its variant-table entry if
/// it has one, else the folded part itself.
pub fn canonical_part(folded: &str) -> &str {
    variants().get(folded).copied().unwrap_or(folded)
}

/// Parses a name into canonical comparison parts: Latin key, particles (`al-`, `el-`) dropped,
/// `Abdul X` compounds joined, romanisation habits folded, known variants mapped to one key.
/// Order is kept (given/family swaps are the comparator's business).
///
/// ```
/// use corridor_text::names::name_parts;
/// assert_eq!(name_parts("Мухамед"), name_parts("Mohammed"));
/// assert_eq!(name_parts("Abd al-Rahman"), name_parts("Abdulrahman"));
/// ```
pub fn name_parts(name: &str) -> Vec<String> {
    parse_parts_raw(name)
        .into_iter()
        .filter(|p| !is_placeholder_part(p))
        .map(|p| canonical_part(&p).to_string())
        .collect()
}

/// [`name_parts`] joined with single spaces: one key for the whole name.
pub fn name_key(name: &str) -> String {
    name_parts(name).join(" ")
}

/// True for the parts agencies write when a name is unknown (`FNU`, `LNU`, `NN`, `Unknown`):
/// they are gaps, not names.
pub fn is_placeholder_part(part: &str) -> bool {
    matches!(
        part,
        "fnu" | "lnu" | "nn" | "unk" | "unknown" | "na" | "nepoznat" | "nepoznato" | "xxx" | "x"
    )
}

/// Splits a single free-text name into (given, family) the way most agencies on the route write
/// it: the last part is the family name, the rest are given names. A one-part name is a given
/// name with no family name (Dari speakers often have none).
pub fn split_full_name(name: &str) -> (Vec<String>, Vec<String>) {
    let mut parts = name_parts(name);
    if parts.len() < 2 {
        return (parts, Vec::new());
    }
    let family = parts.split_off(parts.len() - 1);
    (parts, family)
}

/// Double Metaphone (primary code) of a name part, after folding; empty for an empty part.
///
/// ```
/// use corridor_text::names::phonetic_key;
/// assert_eq!(phonetic_key("Jovanovic"), phonetic_key("Jovanovich"));
/// ```
pub fn phonetic_key(part: &str) -> String {
    static DM: OnceLock<rphonetic::DoubleMetaphone> = OnceLock::new();
    let dm = DM.get_or_init(rphonetic::DoubleMetaphone::default);
    let key = latin_key(part);
    if key.is_empty() {
        return String::new();
    }
    dm.double_metaphone(&key).primary()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serbian_spellings_get_one_key() {
        let k = name_key("Ђорђе Јовановић");
        assert_eq!(name_key("Djordje Jovanovic"), k);
        assert_eq!(name_key("Đorđe Jovanović"), k);
        assert_eq!(name_key("DJORDJE JOVANOVIC"), k);
        assert_eq!(name_key("Dorde Jovanovic"), k);
    }

    #[test]
    fn arabic_origin_variants_get_one_key() {
        let k = name_key("Muhammad");
        for v in [
            "Мухамед",
            "Mohammed",
            "Mohamed",
            "Mohammad",
            "Muhamet",
            "Mehmet",
            "Мухаммед",
            "محمد",
        ] {
            assert_eq!(name_key(v), k, "{v}");
        }
        let h = name_key("Hussein");
        for v in ["Husein", "Hossein", "Hysen", "Hüseyin", "Husayn", "Хусејн"] {
            assert_eq!(name_key(v), h, "{v}");
        }
        let a = name_key("Abdul Rahman");
        for v in [
            "Abdulrahman",
            "Abd al-Rahman",
            "Abdurrahman",
            "Abdelrahman",
            "Абдул Рахман",
        ] {
            assert_eq!(name_key(v), a, "{v}");
        }
        assert_eq!(name_key("Rahmat Ullah"), name_key("Rahmatullah"));
        assert_eq!(name_key("Jamal"), name_key("Џамал"));
        assert_eq!(name_key("Xhemal"), name_key("Džamal"));
    }

    #[test]
    fn particles_and_placeholders() {
        assert_eq!(name_parts("al-Hassan"), vec!["hasan"]);
        assert_eq!(name_parts("FNU Mohammad Nabi"), vec!["muhammad", "nabi"]);
        let (given, family) = split_full_name("Mohammad Nabi Ahmadi");
        assert_eq!(given, vec!["muhammad", "nabi"]);
        assert_eq!(family, vec!["ahmadi"]);
        assert_eq!(split_full_name("Nabi").1, Vec::<String>::new());
    }

    #[test]
    fn albanian_and_serbian_renderings_meet() {
        assert_eq!(name_key("Gëzim Hoxha"), name_key("Гезим Хоџа"));
        assert_eq!(name_key("Xhevdet Çela"), name_key("Џевдет Чела"));
        assert_eq!(name_key("Arbër Krasniqi"), name_key("Arber Krasnići"));
    }

    #[test]
    fn phonetic_keys() {
        assert_eq!(phonetic_key("Mohammad"), phonetic_key("Muhamed"));
        assert_eq!(phonetic_key(""), "");
    }
}

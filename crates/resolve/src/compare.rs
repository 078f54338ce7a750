//! Field comparators: each field is prepared once into a dictionary of normalised values, and a
//! pair of records is compared into a *level* (0 = a value missing, 1 = exact, then ever weaker
//! agreement, the last level = disagreement).

use std::collections::HashMap;

use corridor_text::datecmp::{DateAgreement, LooseDate, compare_dates, parse_loose_date};
use corridor_text::names::{name_parts, phonetic_key};
use corridor_text::plate::{document_key, plate_key};
use corridor_text::script::latin_key;
use serde::{Deserialize, Serialize};

use crate::table::{Field, Role};

/// How a field is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    /// One name part or a few (given or family name): canonical name key, Jaro–Winkler,
    /// Double Metaphone.
    Name,
    /// A whole name in one value: token sets, so that order (given/family swaps) does not matter.
    FullName,
    /// Dates of birth: exact, consistent (partial or 01-01 placeholder), slip, near, different.
    Date,
    /// Identifiers typed from a document: exact, one edit, two edits.
    Identifier,
    /// Telephone numbers: exact digits, same subscriber number (last 8 digits), one edit.
    Phone,
    /// Vehicle plates: exact key, equal once camera confusions are folded, one edit.
    Plate,
    /// Short codes (postcode, house number): exact, one edit.
    Code,
    /// Categories (region, country): exact or not.
    Category,
    /// Free text such as address lines and localities: exact, Jaro–Winkler, token overlap.
    Text,
    /// Given and family names written the other way round: compares one record's given name
    /// with the other's family name and vice versa.
    NameSwap,
    /// Sex: the usual codes and words in English and the languages of the region folded to
    /// `m` or `f`; exact or not.
    Sex,
}

impl Comparator {
    /// The comparator a role gets by default.
    pub fn for_role(role: Role) -> Comparator {
        match role {
            Role::GivenName | Role::FamilyName | Role::FatherName => Comparator::Name,
            Role::FullName => Comparator::FullName,
            Role::DateOfBirth => Comparator::Date,
            Role::Document | Role::Iban | Role::Identifier | Role::Email => Comparator::Identifier,
            Role::Phone => Comparator::Phone,
            Role::Plate => Comparator::Plate,
            Role::HouseNumber | Role::Postcode => Comparator::Code,
            Role::Region | Role::Country => Comparator::Category,
            Role::Sex => Comparator::Sex,
            Role::Address | Role::Locality | Role::Id | Role::Source => Comparator::Text,
        }
    }

    /// Labels of the levels, index 0 being "missing" and the last "different".
    pub fn level_labels(self) -> &'static [&'static str] {
        match self {
            Comparator::Name => &[
                "missing",
                "exact",
                "Jaro-Winkler >= 0.92",
                "Jaro-Winkler >= 0.85 or same phonetic key",
                "Jaro-Winkler >= 0.70",
                "different",
            ],
            Comparator::FullName => &[
                "missing",
                "same name parts (any order)",
                "name parts similarity >= 0.92",
                "name parts similarity >= 0.85",
                "name parts similarity >= 0.70",
                "different",
            ],
            Comparator::Date => &[
                "missing",
                "exact",
                "consistent (partial or 01-01 placeholder)",
                "one typing slip or day/month swapped",
                "within a year (a partial date, or the same birthday)",
                "different",
            ],
            Comparator::Identifier => &["missing", "exact", "one edit", "two edits", "different"],
            Comparator::Phone => &[
                "missing",
                "exact",
                "same last 8 digits",
                "one edit",
                "different",
            ],
            Comparator::Plate => &[
                "missing",
                "exact",
                "same after OCR folding",
                "one edit",
                "different",
            ],
            Comparator::Code => &["missing", "exact", "one edit", "different"],
            Comparator::Category | Comparator::Sex => &["missing", "exact", "different"],
            Comparator::NameSwap => &["missing", "given and family names swapped", "not swapped"],
            Comparator::Text => &[
                "missing",
                "exact",
                "Jaro-Winkler >= 0.90",
                "Jaro-Winkler >= 0.75 or shared words",
                "different",
            ],
        }
    }

    /// Number of levels including "missing".
    pub fn levels(self) -> usize {
        self.level_labels().len()
    }

    /// True when a common exact value should count for less than a rare one.
    pub fn term_frequency_default(self) -> bool {
        matches!(
            self,
            Comparator::Name
                | Comparator::FullName
                | Comparator::Date
                | Comparator::Code
                | Comparator::Text
        )
    }
}

/// The normalised value of a field, for records whose value could not be normalised to
/// anything comparable.
fn normalise(comparator: Comparator, raw: &str) -> String {
    match comparator {
        Comparator::Name | Comparator::FullName => {
            let mut parts = name_parts(raw);
            if comparator == Comparator::FullName {
                parts.sort_unstable();
            }
            parts.join(" ")
        }
        Comparator::Date => match parse_loose_date(raw) {
            Some(d) => format!("{:04}{:02}{:02}", d.year, d.month, d.day),
            None => latin_key(raw),
        },
        Comparator::Identifier => {
            if raw.contains('@') {
                raw.trim().to_lowercase()
            } else {
                document_key(raw)
            }
        }
        Comparator::Phone => raw.chars().filter(char::is_ascii_digit).collect(),
        Comparator::Plate => plate_key(raw, false),
        Comparator::Code => latin_key(raw).replace(' ', ""),
        Comparator::Category => match corridor_text::country_alpha2(raw.trim()) {
            Some(c) if raw.trim().len() == 3 => c.to_string(),
            _ => latin_key(raw),
        },
        Comparator::Text => latin_key(raw),
        Comparator::NameSwap => name_parts(raw).join(" "),
        Comparator::Sex => sex_code(raw).to_string(),
    }
}

/// `m`, `f`, or the Latin key of an unrecognised value (`x`, `unknown`). Forms write sex in
/// their own language and script (`М`/`Ж` in Macedonian, `mashkull`/`femër` in Albanian).
fn sex_code(raw: &str) -> String {
    let key = latin_key(raw);
    const MALE: [&str; 10] = [
        "m",
        "male",
        "man",
        "masculine",
        "mashkull",
        "muski",
        "muskarac",
        "mashki",
        "mushki",
        "h",
    ];
    const FEMALE: [&str; 13] = [
        "f", "female", "woman", "feminine", "femer", "zhenski", "zenski", "zena", "zhena", "z",
        "zh", "w", "k",
    ];
    if MALE.contains(&key.as_str()) {
        "m".to_string()
    } else if FEMALE.contains(&key.as_str()) {
        "f".to_string()
    } else {
        key
    }
}

/// One field prepared for comparison: every distinct normalised value once (a dictionary),
/// each record pointing at its value. Value id 0 is "missing".
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The comparator.
    pub comparator: Comparator,
    /// Per record: the id of its normalised value, 0 when missing.
    pub value: Vec<u32>,
    /// Per value id: the normalised text ("" for id 0).
    pub text: Vec<Box<str>>,
    /// Per value id: how many records hold it.
    pub count: Vec<u32>,
    /// Per value id: phonetic key id of the first name part (names only; 0 = none).
    pub phonetic: Vec<u32>,
    /// Per value id: parsed date (dates only).
    pub date: Vec<Option<LooseDate>>,
    /// Per value id: OCR-folded plate key (plates only).
    pub folded: Vec<Box<str>>,
    /// Per record: the family name's value id in the same dictionary (name swaps only).
    pub other: Vec<u32>,
    /// Per value id: true for a whole name made of a record's given and family names (whole
    /// names only, when the input has both kinds of name column; see
    /// [`Prepared::derive_full_names`]). Empty when no value is derived.
    pub derived: Vec<bool>,
    /// Records with a value.
    pub present: u32,
}

/// The phonetic id of a name's first part, numbered from 1 in the order keys are first met in
/// `codes`; 0 when the part has no phonetic key.
fn phonetic_id(codes: &mut HashMap<String, u32>, name: &str) -> u32 {
    let code = phonetic_key(name.split(' ').next().unwrap_or(""));
    if code.is_empty() {
        return 0;
    }
    let next = codes.len() as u32 + 1;
    *codes.entry(code).or_insert(next)
}

impl Prepared {
    /// Normalises a column. Values that normalise to nothing (`FNU`, punctuation) are missing.
    pub fn new(field: &Field, comparator: Comparator) -> Prepared {
        let mut ids: HashMap<Box<str>, u32> = HashMap::new();
        let mut text: Vec<Box<str>> = vec!["".into()];
        let mut count: Vec<u32> = vec![0];
        // Raw values repeat (FEBRL: a few thousand distinct suburbs): normalise each once.
        let mut raw_ids: HashMap<&str, u32> = HashMap::new();
        let mut value = Vec::with_capacity(field.values.len());
        let mut present = 0u32;
        for v in &field.values {
            let id = match v {
                None => 0,
                Some(raw) => match raw_ids.get(raw.as_ref()) {
                    Some(&id) => id,
                    None => {
                        let norm = normalise(comparator, raw);
                        let id = if norm.is_empty() {
                            0
                        } else {
                            let next = text.len() as u32;
                            let id = *ids.entry(norm.clone().into_boxed_str()).or_insert(next);
                            if id == next {
                                text.push(norm.into_boxed_str());
                                count.push(0);
                            }
                            id
                        };
                        raw_ids.insert(raw.as_ref(), id);
                        id
                    }
                },
            };
            if id != 0 {
                count[id as usize] += 1;
                present += 1;
            }
            value.push(id);
        }
        let mut phonetic = Vec::new();
        if matches!(comparator, Comparator::Name | Comparator::FullName) {
            let mut codes: HashMap<String, u32> = HashMap::new();
            phonetic = text.iter().map(|t| phonetic_id(&mut codes, t)).collect();
        }
        let date = if comparator == Comparator::Date {
            text.iter()
                .map(|t| {
                    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
                        parse_loose_date(t)
                    } else {
                        None
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let folded = if comparator == Comparator::Plate {
            text.iter().map(|t| plate_key(t, true).into()).collect()
        } else {
            Vec::new()
        };
        Prepared {
            comparator,
            value,
            text,
            count,
            phonetic,
            date,
            folded,
            other: Vec::new(),
            derived: Vec::new(),
            present,
        }
    }

    /// True when value `id` is a whole name made of a record's name parts rather than written
    /// as one by the agency.
    #[inline]
    pub fn is_derived(&self, id: u32) -> bool {
        self.derived.get(id as usize).copied().unwrap_or(false)
    }

    /// Gives the records of a whole-name field that have no whole name one made of their given
    /// and family names, so that a name written in one cell (a phone's contact list: `Louay
    /// A.`) meets the same name written in two. Derived values are kept apart from the written
    /// ones in the dictionary: two derived values compare as missing (their parts are compared
    /// by the given and family name comparisons already, and counting them twice would double
    /// the evidence), and they make no blocking key.
    pub fn derive_full_names(&mut self, given: &Field, family: &Field) {
        assert_eq!(self.comparator, Comparator::FullName);
        assert_eq!(given.values.len(), self.value.len());
        assert_eq!(family.values.len(), self.value.len());
        let mut interner = self.interner();
        for i in 0..self.value.len() {
            if self.value[i] != 0 {
                continue;
            }
            let id = self.intern_derived(
                given.values[i].as_deref(),
                family.values[i].as_deref(),
                &mut interner,
            );
            self.hold(id);
            self.value[i] = id;
        }
    }

    /// The value id of the whole name made of a given and a family name (0 when both are
    /// missing or normalise to nothing), added to the dictionary as derived when new.
    pub fn intern_derived(
        &mut self,
        given: Option<&str>,
        family: Option<&str>,
        interner: &mut Interner,
    ) -> u32 {
        let joined = match (given, family) {
            (None, None) => return 0,
            (Some(g), None) => g.to_string(),
            (None, Some(f)) => f.to_string(),
            (Some(g), Some(f)) => format!("{g} {f}"),
        };
        let norm = normalise(self.comparator, &joined);
        if norm.is_empty() {
            return 0;
        }
        if let Some(&id) = interner.derived.get(norm.as_str()) {
            return id;
        }
        let id = self.text.len() as u32;
        if self.derived.len() < self.text.len() {
            self.derived.resize(self.text.len(), false);
        }
        self.phonetic
            .push(phonetic_id(&mut interner.phonetic, &norm));
        interner.derived.insert(norm.clone().into_boxed_str(), id);
        self.text.push(norm.into_boxed_str());
        self.count.push(0);
        self.derived.push(true);
        id
    }

    /// Appends one record's whole name: its own when it has one, else (when the field derives
    /// them) one made of its given and family names, as [`Prepared::derive_full_names`] would
    /// have. Returns the value id.
    pub fn push_full_name(
        &mut self,
        raw: Option<&str>,
        given: Option<&str>,
        family: Option<&str>,
        interner: &mut Interner,
    ) -> u32 {
        let mut id = self.intern(raw, interner);
        if id == 0 {
            id = self.intern_derived(given, family, interner);
        }
        self.hold(id);
        self.value.push(id);
        id
    }

    /// Prepares the given/family swap comparison: both columns in one dictionary, `value` the
    /// given name's id and `other` the family name's.
    pub fn new_swap(given: &Field, family: &Field) -> Prepared {
        assert_eq!(given.values.len(), family.values.len());
        let joined = Field {
            role: given.role,
            occurrence: 0,
            name: given.name.clone(),
            values: given.values.iter().chain(&family.values).cloned().collect(),
        };
        let mut p = Prepared::new(&joined, Comparator::NameSwap);
        let n = given.values.len();
        p.other = p.value.split_off(n);
        p
    }

    /// The reverse lookups that adding records needs ([`Prepared::push`]), which
    /// [`Prepared::new`] builds and drops: normalised text → value id, phonetic key → id.
    pub fn interner(&self) -> Interner {
        let mut interner = Interner::default();
        for (id, text) in self.text.iter().enumerate().skip(1) {
            if self.is_derived(id as u32) {
                interner.derived.insert(text.clone(), id as u32);
            } else {
                interner.insert(text, id as u32);
            }
        }
        if !self.phonetic.is_empty() {
            for (id, text) in self.text.iter().enumerate().skip(1) {
                let code = self.phonetic[id];
                if code != 0 {
                    let first = text.split(' ').next().unwrap_or("");
                    interner.phonetic.entry(phonetic_key(first)).or_insert(code);
                }
            }
        }
        interner
    }

    /// The value id of one raw value, normalised as [`Prepared::new`] normalises a column;
    /// a value not seen before is added to the dictionary (with no record holding it yet).
    pub fn intern(&mut self, raw: Option<&str>, interner: &mut Interner) -> u32 {
        let Some(raw) = raw else { return 0 };
        let norm = normalise(self.comparator, raw);
        if norm.is_empty() {
            return 0;
        }
        if let Some(id) = interner.get(&norm, &self.text) {
            return id;
        }
        let id = self.text.len() as u32;
        if matches!(self.comparator, Comparator::Name | Comparator::FullName) {
            self.phonetic
                .push(phonetic_id(&mut interner.phonetic, &norm));
        }
        if self.comparator == Comparator::Date {
            let date = if norm.len() == 8 && norm.bytes().all(|b| b.is_ascii_digit()) {
                parse_loose_date(&norm)
            } else {
                None
            };
            self.date.push(date);
        }
        if self.comparator == Comparator::Plate {
            self.folded.push(plate_key(&norm, true).into());
        }
        interner.insert(&norm, id);
        self.text.push(norm.into_boxed_str());
        self.count.push(0);
        id
    }

    /// Appends one record's value, as [`Prepared::new`] would have prepared it among the
    /// others: the same value id, and its count and `present` grown by one. Returns the id.
    pub fn push(&mut self, raw: Option<&str>, interner: &mut Interner) -> u32 {
        let id = self.intern(raw, interner);
        self.hold(id);
        self.value.push(id);
        id
    }

    /// Appends one record to a swap comparison ([`Prepared::new_swap`]): its given and family
    /// name in the joint dictionary.
    pub fn push_swap(
        &mut self,
        given: Option<&str>,
        family: Option<&str>,
        interner: &mut Interner,
    ) -> (u32, u32) {
        let g = self.intern(given, interner);
        let f = self.intern(family, interner);
        self.hold(g);
        self.hold(f);
        self.value.push(g);
        self.other.push(f);
        (g, f)
    }

    /// Reserves room for `records` more records (and as many new values), so that pushing them
    /// never moves a column.
    pub fn reserve(&mut self, records: usize, interner: &mut Interner) {
        let values = if self.comparator == Comparator::NameSwap {
            self.other.reserve(records);
            2 * records
        } else {
            records
        };
        self.value.reserve(records);
        self.text.reserve(values);
        self.count.reserve(values);
        if !self.phonetic.is_empty() {
            self.phonetic.reserve(values);
        }
        if !self.date.is_empty() {
            self.date.reserve(values);
        }
        if !self.folded.is_empty() {
            self.folded.reserve(values);
        }
        interner.ids.reserve(values);
    }

    fn hold(&mut self, id: u32) {
        if id != 0 {
            self.count[id as usize] += 1;
            self.present += 1;
        }
    }

    /// Term frequency of a value id: the share of records with a value that hold this one.
    pub fn term_frequency(&self, id: u32) -> f64 {
        assert!(id != 0);
        f64::from(self.count[id as usize]) / f64::from(self.present.max(1))
    }

    /// The level of agreement of records `l` and `r`.
    #[inline]
    pub fn level(&self, l: u32, r: u32) -> u8 {
        if self.comparator == Comparator::NameSwap {
            return self.swap_level_ids(
                self.value[l as usize],
                self.other[l as usize],
                self.value[r as usize],
                self.other[r as usize],
            );
        }
        self.level_ids(self.value[l as usize], self.value[r as usize])
    }

    /// The level of agreement of two value ids (0 = missing).
    #[inline]
    pub fn level_ids(&self, a: u32, b: u32) -> u8 {
        if a == 0 || b == 0 {
            return 0;
        }
        if self.comparator == Comparator::FullName && !self.derived.is_empty() {
            match (self.is_derived(a), self.is_derived(b)) {
                (true, true) => return 0,
                (true, false) | (false, true) if self.text[a as usize] == self.text[b as usize] => {
                    return 1;
                }
                _ => {}
            }
        }
        if a == b {
            // The same 01-01 placeholder or bare year is consistent, not an exact agreement.
            if self.comparator == Comparator::Date
                && self.date[a as usize].is_some_and(|d| !d.is_complete())
            {
                return 2;
            }
            return 1;
        }
        self.level_of_values(a, b)
    }

    /// The swap level from the given (`g`) and family (`f`) value ids of both records.
    pub fn swap_level_ids(&self, gl: u32, fl: u32, gr: u32, fr: u32) -> u8 {
        if gl == 0 || fl == 0 || gr == 0 || fr == 0 {
            return 0;
        }
        // Most candidate pairs share a name in place: not swapped, no string work.
        if gl == gr || fl == fr {
            return 2;
        }
        let close = |x: u32, y: u32| {
            x == y
                || crate::sim::jaro_winkler_from(
                    &self.text[x as usize],
                    &self.text[y as usize],
                    0.9,
                )
                .is_some_and(|jw| jw >= 0.9)
        };
        if close(gl, fr) && close(fl, gr) && !close(gl, gr) {
            1
        } else {
            2
        }
    }

    fn level_of_values(&self, a: u32, b: u32) -> u8 {
        // Parsed dates compare without their text: one scattered read fewer on the hot path.
        let text = || (&*self.text[a as usize], &*self.text[b as usize]);
        match self.comparator {
            Comparator::Name => {
                let (ta, tb) = text();
                let pa = self.phonetic[a as usize];
                let same_phonetic = pa != 0 && pa == self.phonetic[b as usize];
                let floor = if same_phonetic { 0.92 } else { 0.70 };
                let Some(jw) = crate::sim::jaro_winkler_from(ta, tb, floor) else {
                    return if same_phonetic { 3 } else { 5 };
                };
                if jw >= 0.92 {
                    2
                } else if jw >= 0.85 || same_phonetic {
                    3
                } else if jw >= 0.70 {
                    4
                } else {
                    5
                }
            }
            Comparator::FullName => {
                let (ta, tb) = text();
                let s = token_similarity(ta, tb);
                if s >= 0.92 {
                    2
                } else if s >= 0.85 {
                    3
                } else if s >= 0.70 {
                    4
                } else {
                    5
                }
            }
            Comparator::Date => {
                match (&self.date[a as usize], &self.date[b as usize]) {
                    (Some(da), Some(db)) => match compare_dates(da, db) {
                        DateAgreement::Exact => 1,
                        DateAgreement::Consistent => 2,
                        DateAgreement::Slip => 3,
                        // Two real birthdays within a year of each other are two people;
                        // the same birthday a year apart, or a placeholder, is a recording
                        // slip or an estimate.
                        DateAgreement::Near
                            if da.is_complete()
                                && db.is_complete()
                                && (da.month, da.day) != (db.month, db.day) =>
                        {
                            5
                        }
                        DateAgreement::Near => 4,
                        DateAgreement::Different => 5,
                    },
                    // Unreadable dates: only a slip or nothing.
                    _ => {
                        let (ta, tb) = text();
                        if crate::sim::osa_bounded(ta, tb, 1) <= 1 {
                            3
                        } else {
                            5
                        }
                    }
                }
            }
            Comparator::Identifier => {
                let (ta, tb) = text();
                match bounded_edits(ta, tb) {
                    1 => 2,
                    2 => 3,
                    _ => 4,
                }
            }
            Comparator::Phone => {
                let (ta, tb) = text();
                if ta.len() >= 8 && tb.len() >= 8 && ta[ta.len() - 8..] == tb[tb.len() - 8..] {
                    2
                } else if bounded_edits(ta, tb) <= 1 {
                    3
                } else {
                    4
                }
            }
            Comparator::Plate => {
                if self.folded[a as usize] == self.folded[b as usize] {
                    2
                } else if bounded_edits(text().0, text().1) <= 1 {
                    3
                } else {
                    4
                }
            }
            Comparator::Code => {
                let (ta, tb) = text();
                if bounded_edits(ta, tb) <= 1 { 2 } else { 3 }
            }
            Comparator::Category | Comparator::NameSwap | Comparator::Sex => 2,
            Comparator::Text => {
                let (ta, tb) = text();
                let jw = crate::sim::jaro_winkler_from(ta, tb, 0.75).unwrap_or(0.0);
                if jw >= 0.90 {
                    2
                } else if jw >= 0.75 || shares_word(ta, tb) {
                    3
                } else {
                    4
                }
            }
        }
    }
}

/// Normalised text → value id of one prepared field, for adding records. Keyed by a 64-bit
/// hash of the text rather than the text itself: identifier columns have about as many values
/// as records, and a second copy of every string would cost more than the dictionary. Texts
/// whose hash another text already holds go to `collided`.
#[derive(Clone, Debug, Default)]
pub struct Interner {
    ids: HashMap<u64, u32>,
    collided: HashMap<Box<str>, u32>,
    /// Phonetic key → phonetic id (names only).
    phonetic: HashMap<String, u32>,
    /// Derived whole name → value id (see [`Prepared::derive_full_names`]).
    derived: HashMap<Box<str>, u32>,
}

impl Interner {
    fn hash(text: &str) -> u64 {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        BuildHasherDefault::<DefaultHasher>::default().hash_one(text)
    }

    fn get(&self, text: &str, texts: &[Box<str>]) -> Option<u32> {
        match self.ids.get(&Self::hash(text)) {
            Some(&id) if &*texts[id as usize] == text => Some(id),
            Some(_) => self.collided.get(text).copied(),
            None => None,
        }
    }

    fn insert(&mut self, text: &str, id: u32) {
        if let Some(&held) = self.ids.get(&Self::hash(text)) {
            if held != id {
                self.collided.entry(text.into()).or_insert(id);
            }
        } else {
            self.ids.insert(Self::hash(text), id);
        }
    }
}

/// Optimal-string-alignment distance, or 3 when the lengths alone prove it is more than 2.
fn bounded_edits(a: &str, b: &str) -> usize {
    crate::sim::osa_bounded(a, b, 2)
}

/// True when the two texts share a word of three letters or more.
fn shares_word(a: &str, b: &str) -> bool {
    a.split(' ')
        .filter(|w| w.len() >= 3)
        .any(|w| b.split(' ').any(|v| v == w))
}

/// Symmetric Monge–Elkan similarity of two space-separated token lists: each token matched to
/// its best Jaro–Winkler partner on the other side, averaged, the lower of the two directions.
/// Order-free, so `Jovanovic Djordje` meets `Djordje Jovanovic`; the concatenations are also
/// compared, so split and joined compounds (`Abdul Rahman` / `Abdulrahman`) meet.
pub fn token_similarity(a: &str, b: &str) -> f64 {
    let ta: Vec<&str> = a.split(' ').filter(|t| !t.is_empty()).collect();
    let tb: Vec<&str> = b.split(' ').filter(|t| !t.is_empty()).collect();
    if ta.is_empty() || tb.is_empty() {
        return 0.0;
    }
    let directed = |x: &[&str], y: &[&str]| {
        let sum: f64 = x
            .iter()
            .map(|s| {
                y.iter()
                    .map(|t| crate::sim::jaro_winkler(s, t))
                    .fold(0.0, f64::max)
            })
            .sum();
        sum / x.len() as f64
    };
    let me = directed(&ta, &tb).min(directed(&tb, &ta));
    let joined = crate::sim::jaro_winkler(&ta.concat(), &tb.concat());
    me.max(joined)
}

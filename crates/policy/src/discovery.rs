//! Discovery keys and matching for hit / no-hit search. Keys are comparison keys from
//! `corridor-text` (names in any script to Latin name parts with variants and phonetic codes,
//! partial dates, E.164 phones, plate and document keys) and names are scored with
//! `corridor-resolve`'s token similarity, so `Мухамед Ахмади` finds `Mohammed Ahmadi` as
//! resolution would. The index never leaves this crate: callers only see counts and bands.

use std::collections::HashMap;

use corridor_model::{Grading, Model, PropType, ValueContext};
use corridor_store::{RecordKey, StoredVersion};
use corridor_text::datecmp::{DateAgreement, LooseDate, compare_dates, parse_loose_date};
use corridor_text::names::{name_parts, phonetic_key};
use corridor_text::plate::{document_key, plate_key};
use serde::{Deserialize, Serialize};

/// Most candidates one search scores; more means the query is too broad.
pub const SEARCH_CANDIDATES_MAX: usize = 50_000;

/// Most postings one search reads (every record sharing any key with the query, counted once
/// per key).
pub const SEARCH_POSTINGS_MAX: usize = 2_000_000;

/// Name parts of a query that select candidates; more still count in the score.
const NAME_PARTS_QUERY_MAX: usize = 8;

/// Longest query field, in bytes.
pub const QUERY_FIELD_BYTES_MAX: usize = 256;

/// Name similarity (0 to 1) at which a name alone is a possible hit.
const NAME_POSSIBLE_MIN: f64 = 0.80;
/// Name similarity at which a name is a probable hit.
const NAME_PROBABLE_MIN: f64 = 0.92;

/// What a partner searches by. At least one field must be given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    /// A person's or organisation's name, in any script.
    #[serde(default)]
    pub name: Option<String>,
    /// Full or partial (`1987`, `1987-05`).
    #[serde(default)]
    pub date_of_birth: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub plate: Option<String>,
    /// A passport, identity card or other document number.
    #[serde(default)]
    pub document: Option<String>,
}

/// How strongly records match a query, without saying why (which would describe content).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Possible,
    Probable,
    Strong,
}

struct Entry {
    key: RecordKey,
    schema: String,
    grading: Grading,
    /// The envelope's review date (YYYY-MM-DD): past it (and not retained) the record is hidden.
    review_by: String,
    name: String,
    dob: Vec<LooseDate>,
    ids: Vec<String>,
}

/// A record a search found: (key, schema, grading, review date, band).
pub(crate) type Found<'a> = (&'a RecordKey, &'a str, &'a Grading, &'a str, Band);

/// The discovery keys of every live record, built from the store at one log position.
pub(crate) struct Index {
    pub(crate) position: i64,
    entries: Vec<Entry>,
    postings: HashMap<String, Vec<u32>>,
}

/// Prepared query keys.
struct Keys {
    name: String,
    /// Per name part, its keys (spelling, sound).
    name_parts: Vec<Vec<String>>,
    dob: Option<LooseDate>,
    ids: Vec<String>,
}

fn name_tokens(name: &str) -> (String, Vec<String>) {
    let parts = name_parts(name);
    let mut tokens = Vec::with_capacity(parts.len() * 2);
    for p in &parts {
        tokens.push(format!("n:{p}"));
        let ph = phonetic_key(p);
        if !ph.is_empty() {
            tokens.push(format!("p:{ph}"));
        }
    }
    (parts.join(" "), tokens)
}

/// A query name's parts, each with its spelling and sound keys.
fn part_tokens(name: &str) -> (String, Vec<Vec<String>>) {
    let parts = name_parts(name);
    let keys = parts
        .iter()
        .map(|p| {
            let mut k = vec![format!("n:{p}")];
            let ph = phonetic_key(p);
            if !ph.is_empty() {
                k.push(format!("p:{ph}"));
            }
            k
        })
        .collect();
    (parts.join(" "), keys)
}

impl Index {
    pub(crate) fn new(position: i64) -> Self {
        Index {
            position,
            entries: Vec::new(),
            postings: HashMap::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds one live record.
    pub(crate) fn add(&mut self, v: &StoredVersion) {
        let Some(def) = Model::builtin().schema(&v.record.schema) else {
            return;
        };
        let mut name = String::new();
        let mut tokens = Vec::new();
        let mut dob = Vec::new();
        let mut ids = Vec::new();
        for (prop, values) in &v.record.properties {
            let Some(p) = def.properties.get(prop) else {
                continue;
            };
            for value in values {
                match p.ty {
                    PropType::Name if prop == "name" || prop.ends_with("Name") => {
                        let (joined, t) = name_tokens(value);
                        if name.is_empty() {
                            name = joined;
                        }
                        tokens.extend(t);
                    }
                    PropType::Date if prop == "birthDate" => {
                        if let Some(d) = parse_loose_date(value) {
                            tokens.push(format!("b:{:04}-{:02}-{:02}", d.year, d.month, d.day));
                            dob.push(d);
                        }
                    }
                    PropType::Phone => ids.push(format!("t:{value}")),
                    PropType::Plate => ids.push(format!("v:{}", plate_key(value, true))),
                    PropType::Identifier => ids.push(format!("d:{}", document_key(value))),
                    _ => {}
                }
            }
        }
        if tokens.is_empty() && ids.is_empty() {
            return;
        }
        let idx = self.entries.len() as u32;
        tokens.extend(ids.iter().cloned());
        tokens.sort();
        tokens.dedup();
        for t in tokens {
            self.postings.entry(t).or_default().push(idx);
        }
        self.entries.push(Entry {
            key: RecordKey::new(&v.envelope.originator, &v.record.id),
            schema: v.record.schema.clone(),
            grading: v.envelope.grading.clone(),
            review_by: v.envelope.review_by.clone(),
            name,
            dob,
            ids,
        });
    }

    /// Records matching `q`, with their band.
    pub(crate) fn search(&self, q: &Query) -> Result<Vec<Found<'_>>, String> {
        let keys = prepare(q)?;
        if keys.name_parts.len() == 2 {
            return self.search_two_parts(&keys);
        }
        // A record is a candidate when it shares an identifier with the query, or enough of
        // the query's name parts (two, or all of a one-part name) by spelling or sound: one
        // common part alone (every "Mohammed") would make every search scan thousands.
        const ID_MATCH: u32 = 1 << 31;
        let mut marks: HashMap<u32, u32> = HashMap::new();
        let mut postings_read = 0usize;
        let mut read = |list: &[u32], bit: u32, marks: &mut HashMap<u32, u32>| {
            postings_read += list.len();
            for &i in list {
                *marks.entry(i).or_default() |= bit;
            }
            postings_read <= SEARCH_POSTINGS_MAX
        };
        let mut within = true;
        for (part, tokens) in keys
            .name_parts
            .iter()
            .enumerate()
            .take(NAME_PARTS_QUERY_MAX)
        {
            for t in tokens {
                if let Some(p) = self.postings.get(t) {
                    within &= read(p, 1 << part, &mut marks);
                }
            }
        }
        for t in &keys.ids {
            if let Some(p) = self.postings.get(t) {
                within &= read(p, ID_MATCH, &mut marks);
            }
        }
        if keys.name_parts.is_empty()
            && keys.ids.is_empty()
            && let Some(d) = &keys.dob
            && let Some(p) = self
                .postings
                .get(&format!("b:{:04}-{:02}-{:02}", d.year, d.month, d.day))
        {
            within &= read(p, ID_MATCH, &mut marks);
        }
        if !within {
            return Err(format!(
                "the query's keys are shared by more than {SEARCH_POSTINGS_MAX} records; add \
                 a date of birth or an identifier"
            ));
        }
        let parts_needed = keys.name_parts.len().clamp(1, 2) as u32;
        let mut candidates: Vec<u32> = marks
            .into_iter()
            .filter(|(_, m)| m & ID_MATCH != 0 || (m & !ID_MATCH).count_ones() >= parts_needed)
            .map(|(i, _)| i)
            .collect();
        candidates.sort_unstable();
        if candidates.len() > SEARCH_CANDIDATES_MAX {
            return Err(format!(
                "the query matches more than {SEARCH_CANDIDATES_MAX} records; add a date of \
                 birth or an identifier"
            ));
        }
        Ok(self.score_all(&keys, candidates))
    }

    /// The common case, a two-part name: the candidates are the intersection of the two parts'
    /// posting lists (each sorted, as records are added in order), plus identifier matches,
    /// without hashing every holder of a common given name.
    fn search_two_parts(&self, keys: &Keys) -> Result<Vec<Found<'_>>, String> {
        let mut postings_read = 0usize;
        let mut lists = |tokens: &[String]| -> Vec<&[u32]> {
            let lists: Vec<&[u32]> = tokens
                .iter()
                .filter_map(|t| self.postings.get(t).map(Vec::as_slice))
                .collect();
            postings_read += lists.iter().map(|l| l.len()).sum::<usize>();
            lists
        };
        let a = lists(&keys.name_parts[0]);
        let b = lists(&keys.name_parts[1]);
        // One part is usually a common given name (thousands of holders), the other a rarer
        // family name: merge the smaller part's lists and keep the records the larger part's
        // lists hold, found by binary search, instead of merging the large lists too.
        let len = |l: &[&[u32]]| l.iter().map(|x| x.len()).sum::<usize>();
        let (small, large) = if len(&a) <= len(&b) { (a, b) } else { (b, a) };
        let mut candidates: Vec<u32> = small
            .iter()
            .fold(Vec::new(), |acc, l| merge_union(&acc, l))
            .into_iter()
            .filter(|x| large.iter().any(|l| l.binary_search(x).is_ok()))
            .collect();
        for t in &keys.ids {
            if let Some(p) = self.postings.get(t) {
                postings_read += p.len();
                candidates = merge_union(&candidates, p);
            }
        }
        if postings_read > SEARCH_POSTINGS_MAX {
            return Err(format!(
                "the query's keys are shared by more than {SEARCH_POSTINGS_MAX} records; add \
                 a date of birth or an identifier"
            ));
        }
        if candidates.len() > SEARCH_CANDIDATES_MAX {
            return Err(format!(
                "the query matches more than {SEARCH_CANDIDATES_MAX} records; add a date of \
                 birth or an identifier"
            ));
        }
        Ok(self.score_all(keys, candidates))
    }

    fn score_all(&self, keys: &Keys, candidates: Vec<u32>) -> Vec<Found<'_>> {
        let mut out = Vec::new();
        for c in candidates {
            let e = &self.entries[c as usize];
            if let Some(band) = score(keys, e) {
                out.push((
                    &e.key,
                    e.schema.as_str(),
                    &e.grading,
                    e.review_by.as_str(),
                    band,
                ));
            }
        }
        out
    }
}

/// The sorted union of two sorted lists.
fn merge_union(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

fn prepare(q: &Query) -> Result<Keys, String> {
    let fields = [&q.name, &q.date_of_birth, &q.phone, &q.plate, &q.document];
    if fields
        .iter()
        .any(|f| f.as_ref().is_some_and(|v| v.len() > QUERY_FIELD_BYTES_MAX))
    {
        return Err(format!(
            "a query field is longer than {QUERY_FIELD_BYTES_MAX} bytes"
        ));
    }
    fn present(f: &Option<String>) -> Option<&str> {
        f.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
    let (name, name_parts) = present(&q.name).map(part_tokens).unwrap_or_default();
    let dob = match present(&q.date_of_birth) {
        Some(d) => Some(parse_loose_date(d).ok_or_else(|| format!("'{d}' is not a date"))?),
        None => None,
    };
    let mut ids = Vec::new();
    if let Some(p) = present(&q.phone) {
        // International form only: a partner's national form needs a region the query lacks.
        let e164 = PropType::Phone
            .canonical(p, &ValueContext::default())
            .map_err(|e| format!("phone '{p}': {e}"))?;
        ids.push(format!("t:{e164}"));
    }
    if let Some(p) = present(&q.plate) {
        ids.push(format!("v:{}", plate_key(p, true)));
    }
    if let Some(d) = present(&q.document) {
        ids.push(format!("d:{}", document_key(d)));
    }
    if name_parts.is_empty() && ids.is_empty() && dob.is_none() {
        return Err("a search needs a name, date of birth, phone, plate or document".into());
    }
    Ok(Keys {
        name,
        name_parts,
        dob,
        ids,
    })
}

fn score(k: &Keys, e: &Entry) -> Option<Band> {
    let id_match = k.ids.iter().any(|i| e.ids.contains(i));
    let dob = k.dob.as_ref().map(|q| {
        e.dob
            .iter()
            .map(|d| compare_dates(q, d))
            .min_by_key(|a| agreement_rank(*a))
            .unwrap_or(DateAgreement::Different)
    });
    let dob_agrees = matches!(dob, Some(DateAgreement::Exact | DateAgreement::Consistent));
    let dob_contradicts = matches!(dob, Some(DateAgreement::Different)) && !e.dob.is_empty();
    let name_sim = if k.name.is_empty() || e.name.is_empty() {
        None
    } else {
        Some(corridor_resolve::compare::token_similarity(
            &k.name, &e.name,
        ))
    };
    let band = if id_match {
        Band::Strong
    } else if let Some(s) = name_sim {
        if s >= NAME_PROBABLE_MIN && dob_agrees {
            Band::Strong
        } else if s >= NAME_PROBABLE_MIN {
            Band::Probable
        } else if s >= NAME_POSSIBLE_MIN {
            Band::Possible
        } else {
            return None;
        }
    } else if k.name.is_empty() && k.ids.is_empty() && dob_agrees {
        Band::Possible
    } else {
        return None;
    };
    if dob_contradicts && !id_match {
        return match band {
            Band::Strong | Band::Probable => Some(Band::Possible),
            Band::Possible => None,
        };
    }
    Some(band)
}

fn agreement_rank(a: DateAgreement) -> u8 {
    match a {
        DateAgreement::Exact => 0,
        DateAgreement::Consistent => 1,
        DateAgreement::Slip => 2,
        DateAgreement::Near => 3,
        DateAgreement::Different => 4,
    }
}

//! Blocking: which pairs are compared at all. Several rules, each a key built from a few
//! fields; two records are a candidate pair when any rule gives them the same key. A pair is
//! generated once, by the first rule that finds it.

use std::collections::HashSet;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::compare::{Comparator, Prepared};
use crate::table::Role;
use crate::{Error, IntSet, Limits};

/// How a field contributes to a blocking key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyTransform {
    /// The normalised value.
    Value,
    /// The phonetic key of the first name part (names only; others fall back to the value).
    Phonetic,
    /// The year (dates only; others fall back to the value).
    Year,
    /// Given and family name as an unordered pair (on `given_name`; the family name is taken
    /// along), so that records with the two names swapped share the key.
    Unordered,
}

/// One field of a blocking key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyPart {
    /// The field's role.
    pub role: Role,
    /// Which occurrence of the role.
    #[serde(default)]
    pub occurrence: u8,
    /// What of the field is used.
    #[serde(default = "value_transform")]
    pub transform: KeyTransform,
}

fn value_transform() -> KeyTransform {
    KeyTransform::Value
}

/// A blocking rule: records with equal values of every part (none missing) are compared.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlockingRule {
    /// The parts of the key.
    pub parts: Vec<KeyPart>,
}

impl BlockingRule {
    /// Reads `role[:transform]+role[:transform]…`, e.g. `family_name:phonetic+date_of_birth:year`.
    /// A role may carry an occurrence as `address#1`.
    pub fn parse(text: &str) -> Result<BlockingRule, String> {
        let mut parts = Vec::new();
        for item in text.split('+') {
            let item = item.trim();
            let (name, transform) = match item.split_once(':') {
                Some((n, t)) => (n, t),
                None => (item, "value"),
            };
            let (name, occurrence) = match name.split_once('#') {
                Some((n, o)) => (
                    n,
                    o.parse::<u8>()
                        .map_err(|_| format!("bad occurrence in '{item}'"))?,
                ),
                None => (name, 0),
            };
            let role = Role::parse(name).ok_or_else(|| format!("unknown role '{name}'"))?;
            let transform = match transform {
                "value" => KeyTransform::Value,
                "phonetic" => KeyTransform::Phonetic,
                "year" => KeyTransform::Year,
                "unordered" => KeyTransform::Unordered,
                other => return Err(format!("unknown key transform '{other}'")),
            };
            parts.push(KeyPart {
                role,
                occurrence,
                transform,
            });
        }
        if parts.is_empty() {
            return Err("empty blocking rule".to_string());
        }
        Ok(BlockingRule { parts })
    }

    /// The rule written as [`BlockingRule::parse`] reads it.
    pub fn describe(&self) -> String {
        self.parts
            .iter()
            .map(|p| {
                let mut s = p.role.as_str().to_string();
                if p.occurrence != 0 {
                    s.push_str(&format!("#{}", p.occurrence));
                }
                match p.transform {
                    KeyTransform::Value => {}
                    KeyTransform::Phonetic => s.push_str(":phonetic"),
                    KeyTransform::Year => s.push_str(":year"),
                    KeyTransform::Unordered => s.push_str(":unordered"),
                }
                s
            })
            .collect::<Vec<_>>()
            .join("+")
    }
}

/// Default rules for the roles present, strictest first. Each true pair needs to survive only
/// one of them, so together they tolerate a typo in any one field.
pub fn default_rules(roles: &[(Role, u8)]) -> Vec<BlockingRule> {
    let has = |r: Role| roles.contains(&(r, 0));
    let part = |role: Role, transform: KeyTransform| KeyPart {
        role,
        occurrence: 0,
        transform,
    };
    let v = KeyTransform::Value;
    let mut rules: Vec<Vec<KeyPart>> = Vec::new();
    for id_role in [
        Role::Identifier,
        Role::Document,
        Role::Phone,
        Role::Email,
        Role::Iban,
        Role::Plate,
    ] {
        if has(id_role) {
            rules.push(vec![part(id_role, v)]);
        }
    }
    let (given, family) = (has(Role::GivenName), has(Role::FamilyName));
    if given && family {
        rules.push(vec![part(Role::GivenName, KeyTransform::Unordered)]);
        rules.push(vec![
            part(Role::FamilyName, KeyTransform::Phonetic),
            part(Role::GivenName, KeyTransform::Phonetic),
        ]);
    }
    if has(Role::FullName) {
        rules.push(vec![part(Role::FullName, v)]);
    }
    if has(Role::DateOfBirth) {
        // Common names make large blocks that the pair budget trims; the same names with the
        // year of birth (or the place, below) keep their true pairs together in small ones.
        if given && family {
            rules.push(vec![
                part(Role::GivenName, KeyTransform::Unordered),
                part(Role::DateOfBirth, KeyTransform::Year),
            ]);
        }
        rules.push(vec![part(Role::DateOfBirth, v)]);
        for name in [Role::FamilyName, Role::GivenName, Role::FullName] {
            if has(name) {
                rules.push(vec![
                    part(name, KeyTransform::Phonetic),
                    part(Role::DateOfBirth, KeyTransform::Year),
                ]);
            }
        }
    }
    if has(Role::Postcode) && has(Role::HouseNumber) {
        rules.push(vec![part(Role::Postcode, v), part(Role::HouseNumber, v)]);
    }
    if has(Role::Locality) {
        if given && family {
            rules.push(vec![
                part(Role::GivenName, KeyTransform::Unordered),
                part(Role::Locality, v),
            ]);
        }
        for name in [Role::FamilyName, Role::GivenName] {
            if has(name) {
                rules.push(vec![
                    part(name, KeyTransform::Phonetic),
                    part(Role::Locality, v),
                ]);
            }
        }
    }
    if has(Role::Postcode) {
        for name in [Role::FamilyName, Role::GivenName] {
            if has(name) {
                rules.push(vec![
                    part(name, KeyTransform::Phonetic),
                    part(Role::Postcode, v),
                ]);
            }
        }
    }
    if has(Role::Address) && has(Role::HouseNumber) {
        rules.push(vec![part(Role::Address, v), part(Role::HouseNumber, v)]);
    }
    rules
        .into_iter()
        .map(|parts| BlockingRule { parts })
        .collect()
}

#[inline]
fn mix(h: u64, v: u64) -> u64 {
    (h ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29)
}

/// Per record, the rule's key (0 when a part is missing). `swap` is the joint given/family
/// dictionary that unordered name keys use.
pub fn rule_keys(
    rule: &BlockingRule,
    fields: &[(&Prepared, Role, u8)],
    swap: Option<&Prepared>,
    n: usize,
) -> Vec<u64> {
    let mut keys = vec![0x5151_5151u64; n];
    for (k, part) in rule.parts.iter().enumerate() {
        if part.transform == KeyTransform::Unordered {
            let Some(joint) = swap else {
                return vec![0; n];
            };
            for (i, key) in keys.iter_mut().enumerate() {
                let (g, f) = (joint.value[i], joint.other[i]);
                *key = if *key == 0 || g == 0 || f == 0 {
                    0
                } else {
                    let pair = (u64::from(g.min(f)) << 32) | u64::from(g.max(f));
                    mix(mix(*key, k as u64 + 1), pair) | 1
                };
            }
            continue;
        }
        let Some((prep, _, _)) = fields
            .iter()
            .find(|(_, r, o)| *r == part.role && *o == part.occurrence)
        else {
            return vec![0; n];
        };
        for (i, key) in keys.iter_mut().enumerate() {
            if *key == 0 {
                continue;
            }
            // A whole name made of name parts is compared, never blocked on: the name parts'
            // own rules block those records.
            let id = Some(prep.value[i])
                .filter(|&id| !prep.is_derived(id))
                .unwrap_or(0);
            let v: u64 = if id == 0 {
                0
            } else {
                match (part.transform, prep.comparator) {
                    (KeyTransform::Phonetic, Comparator::Name | Comparator::FullName) => {
                        u64::from(prep.phonetic[id as usize])
                    }
                    (KeyTransform::Year, Comparator::Date) => {
                        prep.date[id as usize].map_or(u64::from(id) << 20, |d| u64::from(d.year))
                    }
                    _ => u64::from(id),
                }
            };
            *key = if v == 0 {
                0
            } else {
                mix(mix(*key, k as u64 + 1), v) | 1
            };
        }
    }
    keys
}

/// One record's key under a rule: `rule_keys(..)[i]`, for records added one at a time.
pub fn record_key(
    rule: &BlockingRule,
    fields: &[(&Prepared, Role, u8)],
    swap: Option<&Prepared>,
    i: usize,
) -> u64 {
    let mut key = 0x5151_5151u64;
    for (k, part) in rule.parts.iter().enumerate() {
        if part.transform == KeyTransform::Unordered {
            let Some(joint) = swap else { return 0 };
            let (g, f) = (joint.value[i], joint.other[i]);
            if g == 0 || f == 0 {
                return 0;
            }
            let pair = (u64::from(g.min(f)) << 32) | u64::from(g.max(f));
            key = mix(mix(key, k as u64 + 1), pair) | 1;
            continue;
        }
        let Some((prep, _, _)) = fields
            .iter()
            .find(|(_, r, o)| *r == part.role && *o == part.occurrence)
        else {
            return 0;
        };
        // A whole name made of name parts is compared, never blocked on: the name parts'
        // own rules block those records.
        let id = Some(prep.value[i])
            .filter(|&id| !prep.is_derived(id))
            .unwrap_or(0);
        let v: u64 = if id == 0 {
            0
        } else {
            match (part.transform, prep.comparator) {
                (KeyTransform::Phonetic, Comparator::Name | Comparator::FullName) => {
                    u64::from(prep.phonetic[id as usize])
                }
                (KeyTransform::Year, Comparator::Date) => {
                    prep.date[id as usize].map_or(u64::from(id) << 20, |d| u64::from(d.year))
                }
                _ => u64::from(id),
            }
        };
        if v == 0 {
            return 0;
        }
        key = mix(mix(key, k as u64 + 1), v) | 1;
    }
    key
}

/// Counts from pair generation.
#[derive(Clone, Debug, Default)]
pub struct BlockStats {
    /// Pairs generated by each rule (pairs found by an earlier rule are not counted again).
    pub pairs_per_rule: Vec<u64>,
    /// Blocks skipped per rule: more than `block_records_max` records, or among the largest
    /// when the rule exceeded its pair budget.
    pub blocks_skipped_per_rule: Vec<u64>,
    /// Per rule: the pairs its blocks would give before trimming to the rule budget (see
    /// [`Limits::rule_pairs_max`]).
    pub rule_pairs_estimated: Vec<u64>,
    /// Per rule, the keys of the blocks skipped.
    pub skipped_keys: Vec<HashSet<u64>>,
}

/// A candidate pair of record indices, `l < r` in canonical order.
pub type Pair = (u32, u32);

/// Record pairs one block yields: every pair when deduplicating, only pairs across the two
/// inputs when linking. `members` are (key, record index), as blocks are sorted.
pub(crate) fn block_pairs(members: &[(u64, u32)], sources: &[u8], link: bool) -> u64 {
    if link {
        let left = members
            .iter()
            .filter(|m| sources[m.1 as usize] == 0)
            .count() as u64;
        left * (members.len() as u64 - left)
    } else {
        let k = members.len() as u64;
        k * (k - 1) / 2
    }
}

/// Which blocks a rule over its pair budget loses: the largest (the commonest keys, the weakest
/// evidence) first, until the rest fit. `pairs` holds each block's pairs; the answer is per
/// block. The incremental index asks the same question, so that it skips exactly the blocks a
/// full run skips.
pub(crate) fn trim_to_budget(pairs: &[u64], budget: u64) -> Vec<bool> {
    let mut total: u64 = pairs.iter().sum();
    let mut drop = vec![false; pairs.len()];
    if total <= budget {
        return drop;
    }
    let mut by_size: Vec<(u64, usize)> = pairs.iter().enumerate().map(|(i, &p)| (p, i)).collect();
    by_size.sort_unstable_by(|a, b| b.cmp(a));
    for &(p, i) in &by_size {
        if total <= budget {
            break;
        }
        total -= p;
        drop[i] = true;
    }
    drop
}

/// Generates the candidate pairs of all rules. With `link`, only pairs across sources.
pub fn candidate_pairs(
    keys: &[Vec<u64>],
    key_rows: &[u64],
    sources: &[u8],
    link: bool,
    limits: &Limits,
) -> Result<(Vec<Pair>, BlockStats), Error> {
    let n = sources.len();
    let width = keys.len();
    assert_eq!(key_rows.len(), n * width);
    let mut stats = BlockStats::default();
    let mut pairs: Vec<Pair> = Vec::new();
    // Looked up for every pair that agrees on an earlier rule's key: a multiply hasher, not
    // SipHash, in the blocking pass's inner loop.
    let mut oversized: Vec<IntSet<u64>> = Vec::with_capacity(keys.len());
    for (r, rule_keys) in keys.iter().enumerate() {
        assert_eq!(rule_keys.len(), n);
        let mut order: Vec<(u64, u32)> = rule_keys
            .iter()
            .enumerate()
            .filter(|(_, k)| **k != 0)
            .map(|(i, k)| (*k, i as u32))
            .collect();
        order.par_sort_unstable();
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut big: IntSet<u64> = IntSet::default();
        let mut start = 0;
        while start < order.len() {
            let mut end = start + 1;
            while end < order.len() && order[end].0 == order[start].0 {
                end += 1;
            }
            if end - start > limits.block_records_max {
                big.insert(order[start].0);
            } else if end - start > 1 {
                groups.push((start, end));
            }
            start = end;
        }
        stats.blocks_skipped_per_rule.push(big.len() as u64);
        let group_pairs: Vec<u64> = groups
            .iter()
            .map(|&(s, e)| block_pairs(&order[s..e], sources, link))
            .collect();
        let estimated: u64 = group_pairs.iter().sum();
        stats.rule_pairs_estimated.push(estimated);
        let budget = limits.rule_pairs_max(n) as u64;
        let mut trimmed = 0u64;
        if estimated > budget {
            // Too loose for this many records: the largest blocks (the commonest keys, the
            // weakest evidence) go first until the rule fits its budget. Their pairs can
            // still meet through other rules.
            let drop = trim_to_budget(&group_pairs, budget);
            for (i, _) in drop.iter().enumerate().filter(|(_, d)| **d) {
                big.insert(order[groups[i].0].0);
                trimmed += 1;
            }
            let mut kept = Vec::with_capacity(groups.len());
            for (i, g) in groups.into_iter().enumerate() {
                if !drop[i] {
                    kept.push(g);
                }
            }
            groups = kept;
        }
        if let Some(last) = stats.blocks_skipped_per_rule.last_mut() {
            *last += trimmed;
        }
        let earlier = r;
        let earlier_big = &oversized;

        // One growing vector per rayon task rather than one per block: blocks are many and
        // small, and a vector each made allocation (and fresh pages) a visible share of the
        // time.
        let found: Vec<Vec<Pair>> = groups
            .par_iter()
            .fold(Vec::new, |mut out, &(s, e)| {
                let members = &order[s..e];
                for (x, &(_, a)) in members.iter().enumerate() {
                    for &(_, b) in &members[x + 1..] {
                        let (l, r) = if a < b { (a, b) } else { (b, a) };
                        if link && sources[l as usize] == sources[r as usize] {
                            continue;
                        }
                        let kl = &key_rows[l as usize * width..][..earlier];
                        let kr = &key_rows[r as usize * width..][..earlier];
                        let seen = kl
                            .iter()
                            .zip(kr)
                            .zip(earlier_big)
                            .any(|((&a, &b), big)| a != 0 && a == b && !big.contains(&a));
                        if !seen {
                            out.push((l, r));
                        }
                    }
                }
                out
            })
            .collect();
        let found_len: usize = found.iter().map(Vec::len).sum();
        stats.pairs_per_rule.push(found_len as u64);
        if pairs.len() + found_len > limits.pairs_max {
            return Err(Error::Limit(format!(
                "blocking rule {} brings the candidate pairs to {}, more than pairs_max {}: \
                 use stricter blocking rules",
                r + 1,
                pairs.len() + found_len,
                limits.pairs_max
            )));
        }
        pairs.reserve(found_len);
        for f in found {
            pairs.extend_from_slice(&f);
        }
        oversized.push(big);
    }
    pairs.par_sort_unstable();
    stats.skipped_keys = oversized
        .into_iter()
        .map(|set| set.into_iter().collect())
        .collect();
    Ok((pairs, stats))
}

/// The keys of all rules, one row per record (`rows[i * rules + r]`), so that checking a pair
/// against every rule reads two rows.
pub fn key_rows(keys: &[Vec<u64>], n: usize) -> Vec<u64> {
    let width = keys.len();
    let mut rows = vec![0u64; n * width];
    if width == 0 {
        return rows;
    }
    rows.par_chunks_mut(width).enumerate().for_each(|(i, row)| {
        for (slot, k) in row.iter_mut().zip(keys) {
            *slot = k[i];
        }
    });
    rows
}

/// True when blocking made `(l, r)` a candidate pair: some rule gives both the same key and
/// that key's block was not skipped.
pub fn is_candidate(keys: &[Vec<u64>], stats: &BlockStats, l: u32, r: u32) -> bool {
    keys.iter().enumerate().any(|(rule, k)| {
        let kl = k[l as usize];
        kl != 0
            && kl == k[r as usize]
            && !stats
                .skipped_keys
                .get(rule)
                .is_some_and(|s| s.contains(&kl))
    })
}

//! Why two members of a subject were linked, field by field, for a viewer who may read both.
//!
//! Resolution stores its trained model with the subjects ([`corridor_store::ResolutionInfo`]);
//! re-applying it to a pair of records, with the term frequencies of every record of the kind
//! (names weigh by how common they are in the pair's country), gives each comparison's level,
//! m, u and weight, which with the prior add up to the pair's match weight, as
//! `corridor link --explain` prints them. The explainer is derived state (it holds every record
//! of the kind as comparison columns) and never leaves this crate's types: an explanation is
//! returned only for a pair the viewer may read both records of, and carries no values.

use corridor_resolve::{Engine, Settings};
use corridor_store::RecordKey;

use crate::serve::RecordCatalog;
use crate::{Context, PolicyError, PolicyStore, Result};

/// Most pairs one explanation answer covers.
pub const EXPLAIN_PAIRS_MAX: usize = 500;

/// A kind's records prepared for explanations, with the stored model, as of one log position.
pub struct Explainer {
    kind: String,
    position: i64,
    engine: Engine,
    model: corridor_resolve::model::Model,
}

impl Explainer {
    /// The kind explained.
    pub fn kind(&self) -> &str {
        &self.kind
    }
    /// The log position the records were read at.
    pub fn position(&self) -> i64 {
        self.position
    }
}

/// One comparison's part of a link's match weight.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldPart {
    /// The comparison's name (`given_name`, `birth_date`, …).
    pub name: String,
    /// The level the pair reached (`exact`, `jw>=0.92`, `null`, …).
    pub level: String,
    /// P(level | match).
    pub m: f64,
    /// P(level | non-match): the value's term frequency when adjusted.
    pub u: f64,
    /// log2(m/u), with any term-frequency adjustment.
    pub weight: f64,
}

/// A link explained: the prior and the parts, which add up to `weight`.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkExplanation {
    pub prior_weight: f64,
    pub fields: Vec<FieldPart>,
    /// The pair's match weight under the stored model and today's term frequencies.
    pub weight: f64,
}

impl PolicyStore<'_> {
    /// The explainer of `kind` (derivation: no content leaves it but through
    /// [`PolicyStore::explain_links`]); `None` for a kind resolved by key or not resolved yet.
    pub fn explainer(&mut self, kind: &str) -> Result<Option<Explainer>> {
        let Some(info) = self.store.resolution(kind)? else {
            return Ok(None);
        };
        if info.model.is_empty() {
            return Ok(None);
        }
        let model: corridor_resolve::model::Model = serde_json::from_str(&info.model)
            .map_err(|e| PolicyError::Corrupt(format!("the stored model of '{kind}': {e}")))?;
        let kinds = corridor_subjects::builtin_kinds();
        let Some(k) = kinds.iter().find(|k| k.name == kind) else {
            return Ok(None);
        };
        let position = self.store.log_position()?;
        let mut loaded = corridor_subjects::load::load(&mut *self.store, &[k])
            .map_err(|e| PolicyError::Corrupt(format!("loading the records of '{kind}': {e}")))?;
        let Some(loaded) = loaded.pop() else {
            return Ok(None);
        };
        let engine = Engine::new(loaded.table, Settings::default())
            .map_err(|e| PolicyError::Corrupt(format!("preparing '{kind}': {e}")))?;
        Ok(Some(Explainer {
            kind: kind.to_owned(),
            position,
            engine,
            model,
        }))
    }

    /// Explains each pair of records `ctx.user` may read both of; `None` for any other pair
    /// (and for a record the explainer does not hold). Decisions only: the caller shows
    /// explanations beside members it has read (and audited) in the same answer.
    pub fn explain_links(
        &self,
        ctx: &Context,
        catalog: &RecordCatalog,
        explainer: &Explainer,
        pairs: &[(RecordKey, RecordKey)],
    ) -> Result<Vec<Option<LinkExplanation>>> {
        if pairs.len() > EXPLAIN_PAIRS_MAX {
            return Err(PolicyError::Refused(format!(
                "at most {EXPLAIN_PAIRS_MAX} links per explanation"
            )));
        }
        let names: Vec<String> = pairs
            .iter()
            .flat_map(|(a, b)| [a.to_string(), b.to_string()])
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let readable = self.readable_names(ctx, catalog, &refs)?;
        let mut out = Vec::with_capacity(pairs.len());
        for (i, (a, b)) in pairs.iter().enumerate() {
            if !(readable[2 * i] && readable[2 * i + 1]) {
                out.push(None);
                continue;
            }
            let e = &explainer.engine;
            let (Some(l), Some(r)) = (
                e.record(0, &corridor_subjects::load::id_of_key(a)),
                e.record(0, &corridor_subjects::load::id_of_key(b)),
            ) else {
                out.push(None);
                continue;
            };
            let x = e
                .explain(&explainer.model, l, r)
                .map_err(|e| PolicyError::Corrupt(format!("explaining a link: {e}")))?;
            out.push(Some(LinkExplanation {
                prior_weight: x.prior_weight,
                fields: x
                    .fields
                    .into_iter()
                    .map(|f| FieldPart {
                        name: f.name,
                        level: f.level.to_owned(),
                        m: f.m,
                        u: f.u,
                        weight: f.weight,
                    })
                    .collect(),
                weight: x.weight,
            }));
        }
        debug_assert_eq!(out.len(), pairs.len());
        Ok(out)
    }
}

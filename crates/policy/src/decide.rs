//! The one decision function: may this principal see this record, only learn that it exists, or
//! nothing at all?

use corridor_model::envelope::{EuHandling, Tlp, UkHandling};
use corridor_model::{Grading, Model};

use crate::grant::{Grant, Scope, is_restricted};
use crate::principal::Principal;

/// What the policy needs to know of a record: never its content.
#[derive(Clone, Copy, Debug)]
pub struct RecordMeta<'a> {
    pub originator: &'a str,
    pub record_id: &'a str,
    pub schema: &'a str,
    pub grading: &'a Grading,
}

/// Why access was denied (for the audit log and tests; never shown as a hint to a searcher).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenyReason {
    /// The user is unknown, suspended, or of an unknown agency.
    UnknownPrincipal,
    /// The record's originator is not an agency the exchange knows.
    UnknownOriginator,
    /// No role of the user reads records.
    Role,
    /// No grant of the originator covers the record for this user.
    NoGrant,
}

/// The answer of [`decide`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The record may be disclosed; these conditions travel with it.
    Allow { conditions: Vec<String> },
    /// Only that the originator holds a matching record, how graded and whom to ask.
    HitOnly,
    /// Nothing, not even that the record exists.
    Deny(DenyReason),
}

/// Decides what `principal` may learn of a record, at `now` (Unix seconds), given every grant
/// in force or not (the function filters them).
///
/// - The originator's own readers see their records.
/// - A partner sees a record only under a live grant *by the record's originator* to the
///   partner's agency (and to the user, when the grant names users). Grants by anyone else
///   count for nothing: the third-party rule.
/// - UK handling C, Europol H2, TLP:AMBER+STRICT and TLP:RED need a grant for the record or its
///   operation; a standing agreement never covers them. TLP:RED also needs the user named.
/// - Without such a grant, a discovery grant of the originator gives a hit-only answer, except
///   for TLP:RED, whose very existence stays with the originator.
/// - Anything unknown is a denial: `principal` is `None` for unknown users and agencies, and
///   an originator missing from the directory is [`DenyReason::UnknownOriginator`].
pub fn decide(
    principal: Option<Principal<'_>>,
    originator_known: bool,
    record: &RecordMeta<'_>,
    grants: &[Grant],
    now: i64,
) -> Decision {
    let Some(p) = principal else {
        return Decision::Deny(DenyReason::UnknownPrincipal);
    };
    if !originator_known {
        return Decision::Deny(DenyReason::UnknownOriginator);
    }
    if !p.reads_records() {
        return Decision::Deny(DenyReason::Role);
    }
    if p.agency.code == record.originator {
        return Decision::Allow {
            conditions: handling_conditions(record.grading),
        };
    }
    let restricted = is_restricted(record.grading);
    let red = matches!(record.grading, Grading::Tlp(Tlp::Red));
    let mut conditions = Vec::new();
    let mut allowed = false;
    let mut discoverable = false;
    for g in grants {
        if g.grantor != record.originator || g.recipient != p.agency.code || !g.live(now) {
            continue;
        }
        let named = g.named_users.contains(&p.user.id);
        if !g.named_users.is_empty() && !named {
            continue;
        }
        let covers = match &g.scope {
            Scope::Record { record_id } => record_id == record.record_id,
            Scope::Operation {
                operation,
                record_ids,
            } => {
                p.user.operations.iter().any(|o| o == operation)
                    && record_ids.iter().any(|r| r == record.record_id)
            }
            Scope::Standing { schemata, ceiling } => {
                !restricted && schema_in(record.schema, schemata) && ceiling.admits(record.grading)
            }
            Scope::Discovery { schemata } => {
                discoverable |= schema_in(record.schema, schemata);
                false
            }
        };
        if covers && (!red || named) {
            allowed = true;
            if !g.conditions.trim().is_empty() && !conditions.contains(&g.conditions) {
                conditions.push(g.conditions.clone());
            }
        }
    }
    if allowed {
        conditions.extend(handling_conditions(record.grading));
        Decision::Allow { conditions }
    } else if discoverable && !red {
        Decision::HitOnly
    } else {
        Decision::Deny(DenyReason::NoGrant)
    }
}

/// True when `schema` is one of `schemata` or descends from one; an unknown schema is in none.
fn schema_in(schema: &str, schemata: &[String]) -> bool {
    let Some(def) = Model::builtin().schema(schema) else {
        return false;
    };
    schemata.iter().any(|s| def.ancestors.contains(s))
}

/// The conditions a record's own handling code imposes, in words that travel with it.
pub fn handling_conditions(g: &Grading) -> Vec<String> {
    let text = match g {
        Grading::Uk3x5x2 { handling, .. } => match handling {
            UkHandling::Permitted => return Vec::new(),
            UkHandling::Conditions(c) => format!("3x5x2 handling C: {c}"),
        },
        Grading::Europol4x4 { handling, .. } => match handling {
            EuHandling::H0 => return Vec::new(),
            EuHandling::H1 => "H1: not to be used as evidence in judicial proceedings without \
                               the provider's consent"
                .to_owned(),
            EuHandling::H2 => {
                "H2: not to be disseminated without the provider's permission".to_owned()
            }
            EuHandling::H3 => {
                "H3: restrictions stated by the provider apply; ask before any use".to_owned()
            }
        },
        Grading::Tlp(t) => match t {
            Tlp::Clear => return Vec::new(),
            Tlp::Green => "TLP:GREEN: within the community, not public".to_owned(),
            Tlp::Amber => "TLP:AMBER: the recipient organisation and its clients, on a need to \
                           know"
                .to_owned(),
            Tlp::AmberStrict => "TLP:AMBER+STRICT: the recipient organisation only".to_owned(),
            Tlp::Red => "TLP:RED: the named recipients only".to_owned(),
        },
    };
    vec![text]
}

//! Grants: how an originator shares its records with a partner agency.
//!
//! Only the originator grants. A grant's `grantor` is always the agency of the user who made
//! it, and a grant only ever covers records whose originator is that grantor, so a recipient
//! cannot pass a record on (the third-party rule) however it words a grant.

use corridor_model::Grading;
use corridor_model::envelope::{EuHandling, Tlp, UkHandling};
use serde::{Deserialize, Serialize};

/// Longest conditions text of a grant, in bytes.
pub const GRANT_CONDITIONS_BYTES_MAX: usize = 2_048;

/// Most records an operation grant names.
pub const OPERATION_RECORDS_MAX: usize = 10_000;

/// The Europol handling codes a standing agreement may reach, lowest first. H2 ("not to be
/// disseminated without the provider's permission") is absent on purpose: it needs a grant
/// for the record or operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EuCeiling {
    H0,
    H1,
    H3,
}

/// The TLP levels a standing agreement may reach, lowest first. AMBER+STRICT and RED are absent
/// on purpose: they need a grant for the record or operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TlpCeiling {
    Clear,
    Green,
    Amber,
}

/// The most restrictive handling a standing agreement covers, per code system. Grading is never
/// converted, so each system has its own ceiling; a system without one is not covered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandlingCeiling {
    /// UK 3x5x2 records with handling code P are covered (C never is by a standing agreement).
    #[serde(default)]
    pub uk_permitted: bool,
    #[serde(default)]
    pub europol: Option<EuCeiling>,
    #[serde(default)]
    pub tlp: Option<TlpCeiling>,
}

impl HandlingCeiling {
    /// True when a record graded `g` is within the ceiling.
    pub fn admits(&self, g: &Grading) -> bool {
        match g {
            Grading::Uk3x5x2 { handling, .. } => {
                self.uk_permitted && matches!(handling, UkHandling::Permitted)
            }
            Grading::Europol4x4 { handling, .. } => {
                let level = match handling {
                    EuHandling::H0 => EuCeiling::H0,
                    EuHandling::H1 => EuCeiling::H1,
                    EuHandling::H3 => EuCeiling::H3,
                    EuHandling::H2 => return false,
                };
                self.europol.is_some_and(|c| level <= c)
            }
            Grading::Tlp(t) => {
                let level = match t {
                    Tlp::Clear => TlpCeiling::Clear,
                    Tlp::Green => TlpCeiling::Green,
                    Tlp::Amber => TlpCeiling::Amber,
                    Tlp::AmberStrict | Tlp::Red => return false,
                };
                self.tlp.is_some_and(|c| level <= c)
            }
        }
    }
}

/// True for the handling that never leaves the originator without a grant naming both the
/// recipient and the record (or its operation): UK C, Europol H2, TLP:AMBER+STRICT and RED.
pub fn is_restricted(g: &Grading) -> bool {
    matches!(
        g,
        Grading::Uk3x5x2 {
            handling: UkHandling::Conditions(_),
            ..
        } | Grading::Europol4x4 {
            handling: EuHandling::H2,
            ..
        } | Grading::Tlp(Tlp::AmberStrict | Tlp::Red)
    )
}

/// What a grant covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Scope {
    /// One record of the grantor.
    Record { record_id: String },
    /// The grantor's records in an operation, for the recipient's users assigned to it.
    Operation {
        operation: String,
        record_ids: Vec<String>,
    },
    /// A standing agreement: every record of these schemata up to the ceiling.
    Standing {
        schemata: Vec<String>,
        ceiling: HandlingCeiling,
    },
    /// Discovery without disclosure: the recipient's searches may learn that the grantor holds
    /// matching records of these schemata (hit / no-hit), never their content.
    Discovery { schemata: Vec<String> },
}

/// A grant as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub id: String,
    /// The agency that grants: always the originator of what the grant covers.
    pub grantor: String,
    /// The user who granted.
    pub granted_by: String,
    /// The partner agency.
    pub recipient: String,
    /// When not empty, only these users of the recipient; TLP:RED needs it.
    #[serde(default)]
    pub named_users: Vec<String>,
    pub scope: Scope,
    /// Conditions that travel with every disclosure under this grant.
    pub conditions: String,
    /// Unix seconds.
    pub granted_at: i64,
    /// Unix seconds; the grant covers nothing from then on.
    pub expires_at: i64,
    #[serde(default)]
    pub revoked: bool,
}

impl Grant {
    /// True while the grant is in force.
    pub fn live(&self, now: i64) -> bool {
        !self.revoked && self.granted_at <= now && now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_round_trip_through_json() {
        for scope in [
            Scope::Record {
                record_id: "r1".into(),
            },
            Scope::Operation {
                operation: "kestrel".into(),
                record_ids: vec!["r1".into()],
            },
            Scope::Standing {
                schemata: vec!["Person".into()],
                ceiling: HandlingCeiling {
                    uk_permitted: true,
                    europol: Some(EuCeiling::H1),
                    tlp: Some(TlpCeiling::Green),
                },
            },
            Scope::Discovery {
                schemata: vec!["Thing".into()],
            },
        ] {
            let g = Grant {
                id: "g1".into(),
                grantor: "RS_BP".into(),
                granted_by: "rs.sup".into(),
                recipient: "UK_NCA".into(),
                named_users: vec![],
                scope,
                conditions: "c".into(),
                granted_at: 0,
                expires_at: 10,
                revoked: false,
            };
            let json = serde_json::to_string(&g).unwrap();
            let back: Grant = serde_json::from_str(&json).unwrap();
            assert_eq!(back, g, "{json}");
        }
    }
}

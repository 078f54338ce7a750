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
    /// The record is past its review date without a decision to retain it: only its
    /// originator's supervisors (its reviewers) still see it.
    PastReview,
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

/// [`decide`] for a record whose review state is known. A record past its review date
/// (`past_review`) is not there for anyone but a supervisor of its originator, who reviews it:
/// everyone else is denied as if it did not exist, before any grant is considered.
pub fn decide_reviewed(
    principal: Option<Principal<'_>>,
    originator_known: bool,
    record: &RecordMeta<'_>,
    past_review: bool,
    grants: &[Grant],
    now: i64,
) -> Decision {
    let reviewer = principal
        .is_some_and(|p| p.agency.code == record.originator && p.has(crate::Role::Supervisor));
    if past_review && !reviewer {
        return Decision::Deny(DenyReason::PastReview);
    }
    decide(principal, originator_known, record, grants, now)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grant::{EuCeiling, HandlingCeiling, TlpCeiling};
    use crate::principal::{Agency, Directory, Role, User};
    use corridor_model::envelope::{EuInformation, EuSource, UkIntelligence, UkSource};

    const NOW: i64 = 1_000_000;

    fn dir() -> Directory {
        let mut d = Directory::new();
        for (code, country) in [("RS_BP", "rs"), ("UK_NCA", "gb"), ("MK_MVR", "mk")] {
            d.add_agency(Agency {
                code: code.into(),
                country: country.into(),
                name: code.into(),
                contact: "desk".into(),
            })
            .unwrap();
        }
        for (id, agency, role) in [
            ("uk.a", "UK_NCA", Role::Analyst),
            ("uk.b", "UK_NCA", Role::Analyst),
            ("uk.audit", "UK_NCA", Role::Auditor),
            ("uk.admin", "UK_NCA", Role::Admin),
            ("mk.a", "MK_MVR", Role::Analyst),
            ("rs.a", "RS_BP", Role::Analyst),
        ] {
            d.add_user(User {
                id: id.into(),
                agency: agency.into(),
                roles: vec![role],
                operations: vec!["kestrel".into()],
                active: true,
            })
            .unwrap();
        }
        d
    }

    fn eu(h: EuHandling) -> Grading {
        Grading::Europol4x4 {
            source: EuSource::B,
            information: EuInformation::Two,
            handling: h,
        }
    }

    fn grant(grantor: &str, recipient: &str, scope: Scope) -> Grant {
        Grant {
            id: "g".into(),
            grantor: grantor.into(),
            granted_by: "x".into(),
            recipient: recipient.into(),
            named_users: vec![],
            scope,
            conditions: "intelligence only".into(),
            granted_at: 0,
            expires_at: NOW + 1,
            revoked: false,
        }
    }

    fn standing(ceiling: HandlingCeiling) -> Scope {
        Scope::Standing {
            schemata: vec!["Person".into()],
            ceiling,
        }
    }

    fn record_scope() -> Scope {
        Scope::Record {
            record_id: "r1".into(),
        }
    }

    fn run(user: &str, originator: &str, g: &Grading, grants: &[Grant]) -> Decision {
        let d = dir();
        let meta = RecordMeta {
            originator,
            record_id: "r1",
            schema: "Person",
            grading: g,
        };
        decide(
            d.principal(user),
            d.agency(originator).is_some(),
            &meta,
            grants,
            NOW,
        )
    }

    fn allowed(d: &Decision) -> bool {
        matches!(d, Decision::Allow { .. })
    }

    #[test]
    fn standing_agreements_never_cover_restricted_handling() {
        let all = HandlingCeiling {
            uk_permitted: true,
            europol: Some(EuCeiling::H3),
            tlp: Some(TlpCeiling::Amber),
        };
        let grants = [grant("RS_BP", "UK_NCA", standing(all))];
        for h in [EuHandling::H0, EuHandling::H1, EuHandling::H3] {
            assert!(allowed(&run("uk.a", "RS_BP", &eu(h), &grants)), "{h:?}");
        }
        assert!(!allowed(&run(
            "uk.a",
            "RS_BP",
            &eu(EuHandling::H2),
            &grants
        )));
        let uk_c = Grading::Uk3x5x2 {
            source: UkSource::Reliable,
            intelligence: UkIntelligence::KnownDirectly,
            handling: UkHandling::Conditions("no court".into()),
        };
        assert!(!allowed(&run("uk.a", "RS_BP", &uk_c, &grants)));
        for t in [Tlp::AmberStrict, Tlp::Red] {
            assert!(!allowed(&run("uk.a", "RS_BP", &Grading::Tlp(t), &grants)));
        }
        // A grant for the record itself does cover H2 and UK C, with their conditions.
        let specific = [grant("RS_BP", "UK_NCA", record_scope())];
        let Decision::Allow { conditions } = run("uk.a", "RS_BP", &uk_c, &specific) else {
            panic!("a record grant covers handling C");
        };
        assert!(conditions.contains(&"intelligence only".to_owned()));
        assert!(conditions.iter().any(|c| c.contains("no court")));
        assert!(allowed(&run(
            "uk.a",
            "RS_BP",
            &eu(EuHandling::H2),
            &specific
        )));
    }

    #[test]
    fn ceilings_are_per_system_and_ordered() {
        let h0 = [grant(
            "RS_BP",
            "UK_NCA",
            standing(HandlingCeiling {
                europol: Some(EuCeiling::H0),
                ..HandlingCeiling::default()
            }),
        )];
        assert!(allowed(&run("uk.a", "RS_BP", &eu(EuHandling::H0), &h0)));
        assert!(!allowed(&run("uk.a", "RS_BP", &eu(EuHandling::H1), &h0)));
        assert!(!allowed(&run(
            "uk.a",
            "RS_BP",
            &Grading::Tlp(Tlp::Clear),
            &h0
        )));
    }

    #[test]
    fn red_needs_named_users_and_amber_strict_the_agency() {
        let red = Grading::Tlp(Tlp::Red);
        let unnamed = [grant("RS_BP", "UK_NCA", record_scope())];
        assert_eq!(
            run("uk.a", "RS_BP", &red, &unnamed),
            Decision::Deny(DenyReason::NoGrant)
        );
        let mut named = grant("RS_BP", "UK_NCA", record_scope());
        named.named_users = vec!["uk.a".into()];
        assert!(allowed(&run("uk.a", "RS_BP", &red, &[named.clone()])));
        assert!(!allowed(&run("uk.b", "RS_BP", &red, &[named])));
        // RED is not even discoverable.
        let discovery = grant(
            "RS_BP",
            "UK_NCA",
            Scope::Discovery {
                schemata: vec!["Thing".into()],
            },
        );
        assert_eq!(
            run("uk.a", "RS_BP", &red, std::slice::from_ref(&discovery)),
            Decision::Deny(DenyReason::NoGrant)
        );
        let strict = Grading::Tlp(Tlp::AmberStrict);
        assert_eq!(
            run("uk.a", "RS_BP", &strict, &[discovery]),
            Decision::HitOnly
        );
        assert!(allowed(&run("uk.a", "RS_BP", &strict, &unnamed)));
        assert!(!allowed(&run("mk.a", "RS_BP", &strict, &unnamed)));
    }

    #[test]
    fn only_the_originators_grants_count() {
        // UK "grants" a Serbian record to North Macedonia: worthless.
        let g = [grant("UK_NCA", "MK_MVR", record_scope())];
        assert_eq!(
            run("mk.a", "RS_BP", &eu(EuHandling::H0), &g),
            Decision::Deny(DenyReason::NoGrant)
        );
    }

    #[test]
    fn unknown_or_inactive_or_wrong_role_fails_closed() {
        let g = [grant("RS_BP", "UK_NCA", record_scope())];
        let h0 = eu(EuHandling::H0);
        assert_eq!(
            run("nobody", "RS_BP", &h0, &g),
            Decision::Deny(DenyReason::UnknownPrincipal)
        );
        assert_eq!(
            run(
                "uk.a",
                "GR_HP",
                &h0,
                &[grant("GR_HP", "UK_NCA", record_scope())]
            ),
            Decision::Deny(DenyReason::UnknownOriginator)
        );
        for u in ["uk.audit", "uk.admin"] {
            assert_eq!(run(u, "RS_BP", &h0, &g), Decision::Deny(DenyReason::Role));
        }
        let mut expired = g[0].clone();
        expired.expires_at = NOW;
        let mut revoked = g[0].clone();
        revoked.revoked = true;
        for x in [expired, revoked] {
            assert!(!allowed(&run("uk.a", "RS_BP", &h0, &[x])));
        }
        let mut d = dir();
        d.add_user(User {
            id: "uk.gone".into(),
            agency: "UK_NCA".into(),
            roles: vec![Role::Analyst],
            operations: vec![],
            active: false,
        })
        .unwrap();
        assert!(d.principal("uk.gone").is_none());
        assert!(
            d.add_user(User {
                id: "x.y".into(),
                agency: "XX_YY".into(),
                roles: vec![Role::Analyst],
                operations: vec![],
                active: true,
            })
            .is_err()
        );
        assert!(serde_json::from_str::<Role>("\"superuser\"").is_err());
    }

    #[test]
    fn operation_grants_reach_only_assigned_users() {
        let g = [grant(
            "RS_BP",
            "UK_NCA",
            Scope::Operation {
                operation: "osprey".into(),
                record_ids: vec!["r1".into()],
            },
        )];
        assert!(!allowed(&run("uk.a", "RS_BP", &eu(EuHandling::H2), &g)));
        let g = [grant(
            "RS_BP",
            "UK_NCA",
            Scope::Operation {
                operation: "kestrel".into(),
                record_ids: vec!["r1".into()],
            },
        )];
        assert!(allowed(&run("uk.a", "RS_BP", &eu(EuHandling::H2), &g)));
    }
}

//! Property tests over random agencies, users, records, grants and handling codes: no read path
//! returns a record the policy does not allow, hit-only answers carry no content, and a
//! recipient can never re-share.

mod common;

use common::*;
use corridor_model::Grading;
use corridor_model::envelope::{EuHandling, Tlp, UkHandling};
use corridor_policy::{
    Access, Action, Agency, EuCeiling, Grant, HandlingCeiling, NewGrant, PolicyStore, Query, Role,
    Scope, TlpCeiling, User, audit, is_restricted,
};
use corridor_store::{PolicyDoc, RecordKey, Store};
use proptest::prelude::*;

/// The fourth agency is never registered: records and grants may still name it.
const POOL: [&str; 4] = ["RS_BP", "UK_NCA", "MK_MVR", "GR_HP"];
const NAMES: [&str; 4] = [
    "Mohammed Ahmadi",
    "Arben Hoxha",
    "Ђорђе Јовановић",
    "Abdul Rahman Karimi",
];
const OPERATIONS: [&str; 2] = ["kestrel", "osprey"];
const ROLES: [Role; 5] = [
    Role::Analyst,
    Role::Investigator,
    Role::Supervisor,
    Role::Auditor,
    Role::Admin,
];

fn gradings() -> Vec<Grading> {
    let mut g = vec![uk_p(), uk_c()];
    for h in ["H0", "H1", "H2", "H3"] {
        g.push(eu(h));
    }
    for t in ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"] {
        g.push(tlp(t));
    }
    g
}

#[derive(Clone, Debug)]
struct UserSpec {
    agency: usize,
    roles: Vec<usize>,
    ops: Vec<usize>,
    active: bool,
}

#[derive(Clone, Debug)]
struct RecordSpec {
    originator: usize,
    name: usize,
    grading: usize,
}

#[derive(Clone, Debug)]
struct GrantSpec {
    grantor: usize,
    recipient: usize,
    named: Vec<usize>,
    scope: u8,
    target: usize,
    op: usize,
    eu: Option<u8>,
    tlp: Option<u8>,
    uk: bool,
    schema_vehicle: bool,
    expires_in: i64,
    revoked: bool,
}

fn user_spec() -> impl Strategy<Value = UserSpec> {
    (
        0..3usize,
        proptest::collection::vec(0..5usize, 0..3),
        proptest::collection::vec(0..2usize, 0..2),
        proptest::bool::weighted(0.85),
    )
        .prop_map(|(agency, roles, ops, active)| UserSpec {
            agency,
            roles,
            ops,
            active,
        })
}

fn record_spec() -> impl Strategy<Value = RecordSpec> {
    (
        prop_oneof![4 => 0..3usize, 1 => Just(3usize)],
        0..4usize,
        0..11usize,
    )
        .prop_map(|(originator, name, grading)| RecordSpec {
            originator,
            name,
            grading,
        })
}

fn grant_spec() -> impl Strategy<Value = GrantSpec> {
    (
        (
            prop_oneof![3 => 0..3usize, 1 => 0..4usize],
            prop_oneof![3 => 0..3usize, 1 => 0..4usize],
            prop_oneof![
                3 => Just(Vec::new()),
                2 => proptest::collection::vec(0..7usize, 1..3)
            ],
        ),
        (0..4u8, 0..4usize, 0..2usize),
        (
            proptest::option::of(0..3u8),
            proptest::option::of(0..3u8),
            any::<bool>(),
            proptest::bool::weighted(0.2),
        ),
        (-2i64..5, proptest::bool::weighted(0.15)),
    )
        .prop_map(
            |((grantor, recipient, named), (scope, target, op), (eu, tlp, uk, veh), (exp, rev))| {
                GrantSpec {
                    grantor,
                    recipient,
                    named,
                    scope,
                    target,
                    op,
                    eu,
                    tlp,
                    uk,
                    schema_vehicle: veh,
                    expires_in: exp * DAY,
                    revoked: rev,
                }
            },
        )
}

fn user_id(i: usize) -> String {
    format!("user{i}")
}

fn build_grant(i: usize, g: &GrantSpec, users: usize) -> Grant {
    let scope = match g.scope {
        0 => Scope::Record {
            record_id: format!("rec{}", g.target),
        },
        1 => Scope::Operation {
            operation: OPERATIONS[g.op].into(),
            record_ids: vec![format!("rec{}", g.target), format!("rec{}", g.target + 1)],
        },
        2 => Scope::Standing {
            schemata: vec![
                if g.schema_vehicle {
                    "Vehicle"
                } else {
                    "Person"
                }
                .into(),
            ],
            ceiling: HandlingCeiling {
                uk_permitted: g.uk,
                europol: g
                    .eu
                    .map(|e| [EuCeiling::H0, EuCeiling::H1, EuCeiling::H3][e as usize]),
                tlp: g
                    .tlp
                    .map(|t| [TlpCeiling::Clear, TlpCeiling::Green, TlpCeiling::Amber][t as usize]),
            },
        },
        _ => Scope::Discovery {
            schemata: vec![if g.schema_vehicle { "Vehicle" } else { "Thing" }.into()],
        },
    };
    Grant {
        id: format!("g{i}"),
        grantor: POOL[g.grantor].into(),
        granted_by: "someone".into(),
        recipient: POOL[g.recipient].into(),
        named_users: g
            .named
            .iter()
            .filter(|u| **u < users)
            .map(|u| user_id(*u))
            .collect(),
        scope,
        conditions: format!("condition of g{i}"),
        granted_at: NOW - DAY,
        expires_at: NOW + g.expires_in,
        revoked: g.revoked,
    }
}

/// Does some grant justify showing `record` to `user`? Stated from the rules, not from `decide`.
fn justified(user: &User, rec: &corridor_store::StoredVersion, grants: &[Grant]) -> bool {
    if user.agency == rec.envelope.originator {
        return true;
    }
    let red = matches!(rec.envelope.grading, Grading::Tlp(Tlp::Red));
    grants.iter().any(|g| {
        g.grantor == rec.envelope.originator
            && g.recipient == user.agency
            && !g.revoked
            && g.expires_at > NOW
            && (g.named_users.is_empty() || g.named_users.contains(&user.id))
            && (!red || g.named_users.contains(&user.id))
            && match &g.scope {
                Scope::Record { record_id } => *record_id == rec.record.id,
                Scope::Operation {
                    operation,
                    record_ids,
                } => user.operations.contains(operation) && record_ids.contains(&rec.record.id),
                Scope::Standing { .. } => !is_restricted(&rec.envelope.grading),
                Scope::Discovery { .. } => false,
            }
    })
}

fn restricted_by_hand(g: &Grading) -> bool {
    matches!(
        g,
        Grading::Uk3x5x2 {
            handling: UkHandling::Conditions(_),
            ..
        } | Grading::Europol4x4 {
            handling: EuHandling::H2,
            ..
        } | Grading::Tlp(Tlp::Red | Tlp::AmberStrict)
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_read_path_leaks(
        users in proptest::collection::vec(user_spec(), 1..7),
        records in proptest::collection::vec(record_spec(), 1..8),
        grants in proptest::collection::vec(grant_spec(), 0..40),
    ) {
        let mut store = sqlite_memory();
        let all_gradings = gradings();
        let entries = records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                person(
                    POOL[r.originator],
                    &format!("rec{i}"),
                    &[("name", NAMES[r.name])],
                    all_gradings[r.grading].clone(),
                )
            })
            .collect();
        append(&mut store, entries);
        let grants: Vec<Grant> = grants
            .iter()
            .enumerate()
            .map(|(i, g)| build_grant(i, g, users.len()))
            .collect();
        // Grants go in as stored documents, bypassing the granting checks, so that grants
        // no originator could make (by a recipient, to unknown agencies) are present too.
        let docs: Vec<PolicyDoc> = grants
            .iter()
            .map(|g| PolicyDoc {
                kind: "grant".into(),
                id: g.id.clone(),
                body: serde_json::to_string(g).unwrap(),
            })
            .collect();
        let user_list: Vec<User> = users
            .iter()
            .enumerate()
            .map(|(i, u)| User {
                id: user_id(i),
                agency: POOL[u.agency].into(),
                roles: u.roles.iter().map(|r| ROLES[*r]).collect(),
                operations: u.ops.iter().map(|o| OPERATIONS[*o].to_owned()).collect(),
                active: u.active,
            })
            .collect();
        {
            let mut policy = PolicyStore::open(&mut store).unwrap();
            for (code, country) in AGENCIES {
                policy
                    .register_agency("t", Agency {
                        code: code.into(),
                        country: country.into(),
                        name: format!("{code} desk"),
                        contact: format!("desk@{country}.example"),
                    }, NOW - DAY)
                    .unwrap();
            }
            for u in &user_list {
                // A user without roles is refused at registration: it stays unknown.
                let _ = policy.register_user("t", u.clone(), NOW - DAY);
            }
        }
        audit::append(&mut store, &audit::NewEntry {
            actor: "system", agency: "RS_BP", origin: "t", action: Action::Grant,
            justification: "", detail: serde_json::json!({}),
        }, &docs, NOW - DAY).unwrap();
        let versions: Vec<_> = (0..records.len())
            .map(|i| {
                store
                    .head(POOL[records[i].originator], &format!("rec{i}"))
                    .unwrap()
                    .unwrap()
            })
            .collect();
        let mut policy = PolicyStore::open(&mut store).unwrap();
        let known_agency = |a: &str| AGENCIES.iter().any(|(c, _)| *c == a);

        for u in &user_list {
            let c = ctx(&u.id);
            let registered = u.active && !u.roles.is_empty();
            let reader = registered && u.roles.iter().any(|r| r.reads_records());
            let mut disclosable = Vec::new();
            for v in &versions {
                let key = RecordKey::new(&v.envelope.originator, &v.record.id);
                let got = policy.read(&c, &key, "property test read");
                if !registered {
                    prop_assert!(got.is_err(), "unknown user {} got {:?}", u.id, got);
                    continue;
                }
                match got.unwrap() {
                    Access::Disclosed(d) => {
                        prop_assert!(reader, "{} has no reading role", u.id);
                        prop_assert!(known_agency(&v.envelope.originator));
                        prop_assert!(justified(u, v, &grants),
                            "{} read {} without a grant", u.id, key);
                        prop_assert_eq!(restricted_by_hand(&v.envelope.grading),
                            is_restricted(&v.envelope.grading));
                        prop_assert_eq!(d.record(), &v.record);
                        disclosable.push(v.record.id.clone());
                    }
                    Access::HitOnly { agency, contact, grading } => {
                        prop_assert!(reader);
                        prop_assert!(u.agency != v.envelope.originator);
                        prop_assert!(!matches!(v.envelope.grading, Grading::Tlp(Tlp::Red)));
                        let text = format!("{agency} {contact} {grading}");
                        prop_assert!(!text.contains(&v.record.id));
                        for vals in v.record.properties.values() {
                            for val in vals {
                                prop_assert!(!text.contains(val.as_str()));
                            }
                        }
                    }
                    Access::Denied => {}
                }
            }
            // Search: only readable records are named; hit-only ones are only counted.
            for name in NAMES {
                let q = Query { name: Some(name.into()), ..Query::default() };
                let answer = policy.search(&c, &q, "property test search");
                if !reader {
                    prop_assert!(answer.is_err());
                    continue;
                }
                let answer = answer.unwrap();
                for (k, _) in &answer.readable {
                    prop_assert!(disclosable.contains(&k.record_id),
                        "search named {} which read refuses", k);
                }
                let text = serde_json::to_string(&answer).unwrap();
                for v in &versions {
                    if !disclosable.contains(&v.record.id) {
                        prop_assert!(!text.contains(&format!("\"{}/{}\"", v.envelope.originator, v.record.id)),
                            "search leaked {} in {}", v.record.id, text);
                    }
                    for n in NAMES {
                        prop_assert!(!text.contains(n));
                    }
                }
                for h in &answer.hits {
                    prop_assert!(h.agency != u.agency);
                    prop_assert!(h.records > 0);
                }
            }
            // Re-sharing: a record of another originator can never be granted onward.
            for v in &versions {
                if v.envelope.originator == u.agency {
                    continue;
                }
                for recipient in POOL {
                    let refused = policy.grant(&c, &[RecordKey::new(&v.envelope.originator, &v.record.id)], NewGrant {
                        recipient: recipient.into(),
                        named_users: vec![],
                        scope: Scope::Record { record_id: v.record.id.clone() },
                        conditions: String::new(),
                        expires_at: NOW + DAY,
                    });
                    prop_assert!(refused.is_err(), "{} re-shared {}", u.id, v.record.id);
                }
            }
        }
        let report = policy.verify_audit(None).unwrap();
        prop_assert_eq!(report.broken, None);
    }
}

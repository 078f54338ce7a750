//! The demo's directory: one agency per scenario source, an analyst and a supervisor per
//! agency, an auditor, passwords, and the standing agreements between the police forces of the
//! route (so that a demo shows disclosures, hit-only answers and denials side by side).

use corridor_policy::{
    Agency, Context, EuCeiling, HandlingCeiling, NewGrant, PolicyError, PolicyStore, Role, Scope,
    TlpCeiling, User,
};

/// The demo password of every demo user.
pub const DEMO_PASSWORD: &str = "corridor-demo";

/// Standing agreements of the demo last this long, in seconds (a year).
const DEMO_GRANT_SECONDS: i64 = 365 * 86_400;

/// (agency code, country, name, login prefix).
pub const DEMO_AGENCIES: &[(&str, &str, &str, &str)] = &[
    ("RS_BP", "rs", "Border Police Administration (Serbia)", "rs"),
    ("MK_BP", "mk", "Border Police (North Macedonia)", "mk"),
    ("XK_KP", "xk", "Kosovo Police", "xk"),
    ("AL_ASP", "al", "State Police (Albania)", "al"),
    ("UK_NCA", "gb", "National Crime Agency", "uk"),
    ("UK_BF", "gb", "Border Force", "ukbf"),
    (
        "AL_FIU",
        "al",
        "Financial Intelligence Unit (Albania)",
        "alfiu",
    ),
];

/// The route's police forces, which share persons and stops by standing agreement.
const ROUTE_POLICE: &[&str] = &["RS_BP", "MK_BP", "XK_KP", "AL_ASP"];

/// What the standing agreements cover.
const SHARED_SCHEMATA: &[&str] = &["Person", "Interception", "Vehicle", "Phone", "Crossing"];

/// Registers the demo agencies, users and grants unless `rs.analyst` exists already (then it
/// does nothing): `<prefix>.analyst` and `<prefix>.supervisor` per agency, `uk.auditor`, all
/// with [`DEMO_PASSWORD`]. Returns true when it registered them.
pub fn ensure_demo_directory(p: &mut PolicyStore<'_>, now: i64) -> Result<bool, PolicyError> {
    if p.directory().principal("rs.analyst").is_some() {
        return Ok(false);
    }
    let origin = "corridor serve --demo-logins";
    for &(code, country, name, _) in DEMO_AGENCIES {
        p.register_agency(
            origin,
            Agency {
                code: code.into(),
                country: country.into(),
                name: name.into(),
                contact: format!("desk@{}.example", code.to_lowercase()),
            },
            now,
        )?;
    }
    let mut users: Vec<(String, &str, Vec<Role>)> = Vec::new();
    for &(code, _, _, prefix) in DEMO_AGENCIES {
        users.push((format!("{prefix}.analyst"), code, vec![Role::Analyst]));
        users.push((format!("{prefix}.supervisor"), code, vec![Role::Supervisor]));
    }
    users.push(("uk.auditor".into(), "UK_NCA", vec![Role::Auditor]));
    for (id, agency, roles) in users {
        p.register_user(
            origin,
            User {
                id: id.clone(),
                agency: agency.into(),
                roles,
                operations: vec!["Operation Corridor".into()],
                active: true,
            },
            now,
        )?;
        p.set_password(origin, &id, DEMO_PASSWORD, now)?;
    }
    for &grantor in ROUTE_POLICE {
        let prefix = DEMO_AGENCIES
            .iter()
            .find(|a| a.0 == grantor)
            .map_or("", |a| a.3);
        let ctx = Context {
            user: format!("{prefix}.supervisor"),
            origin: origin.into(),
            now,
        };
        for &recipient in ROUTE_POLICE.iter().filter(|&&r| r != grantor) {
            p.grant(
                &ctx,
                &[],
                NewGrant {
                    recipient: recipient.into(),
                    named_users: Vec::new(),
                    scope: Scope::Standing {
                        schemata: SHARED_SCHEMATA.iter().map(|s| s.to_string()).collect(),
                        ceiling: HandlingCeiling {
                            uk_permitted: true,
                            europol: Some(EuCeiling::H1),
                            tlp: Some(TlpCeiling::Green),
                        },
                    },
                    conditions: "For the route's border operations only".into(),
                    expires_at: now + DEMO_GRANT_SECONDS,
                },
            )?;
        }
        // The UK learns that the route holds something on a person, and asks.
        p.grant(
            &ctx,
            &[],
            NewGrant {
                recipient: "UK_NCA".into(),
                named_users: Vec::new(),
                scope: Scope::Discovery {
                    schemata: vec!["Person".into()],
                },
                conditions: String::new(),
                expires_at: now + DEMO_GRANT_SECONDS,
            },
        )?;
    }
    Ok(true)
}

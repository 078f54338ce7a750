//! The demo's directory, the one both `corridor demo` and `corridor serve --demo-logins` use:
//! the scenario's agencies, an analyst and a supervisor per partner agency, an FIU analyst, an
//! auditor, their password, and the agreements between the agencies as data
//! ([`DEMO_AGREEMENTS`]), so that a demo shows disclosures, hit-only answers, requests and
//! denials side by side.

use corridor_policy::{
    Agency, Context, EuCeiling, HandlingCeiling, NewGrant, PolicyError, PolicyStore, Role, Scope,
    TlpCeiling, User,
};

/// Every demo user's password (printed by the demo; the store keeps only its argon2id hash).
pub const DEMO_PASSWORD: &str = "corridor-demo";

/// A demo agreement runs for a year from the demo's start, in seconds.
const AGREEMENT_SECONDS: i64 = 365 * 86_400;

/// An agency of the demo: code (as records carry it), country, name, contact.
pub const DEMO_AGENCIES: &[(&str, &str, &str, &str)] = &[
    (
        "UK_NCA",
        "gb",
        "National Crime Agency, Border Security Command",
        "bsc.desk@nca.example.uk",
    ),
    (
        "UK_BF",
        "gb",
        "UK Border Force",
        "intel@borderforce.example.uk",
    ),
    (
        "UK_FIU",
        "gb",
        "UK Financial Intelligence Unit",
        "ukfiu@nca.example.uk",
    ),
    (
        "RS_BP",
        "rs",
        "Uprava granične policije",
        "ugp.dezurni@mup.example.rs",
    ),
    (
        "RS_FIU",
        "rs",
        "Uprava za sprečavanje pranja novca",
        "apml@example.rs",
    ),
    (
        "MK_BP",
        "mk",
        "Гранична полиција",
        "granicna@mvr.example.mk",
    ),
    (
        "MK_FIU",
        "mk",
        "Управа за финансиско разузнавање",
        "ufr@example.mk",
    ),
    (
        "XK_KP",
        "xk",
        "Policia e Kosovës, Policia Kufitare",
        "kufiri@kosovopolice.example",
    ),
    (
        "AL_ASP",
        "al",
        "Policia e Shtetit, Policia Kufitare",
        "kufiri@asp.example.al",
    ),
    (
        "AL_FIU",
        "al",
        "Drejtoria e Përgjithshme për Parandalimin e Pastrimit të Parave",
        "dppp@example.al",
    ),
    (
        "FORENSIC",
        "gb",
        "Digital forensics unit",
        "forensics@nca.example.uk",
    ),
    (
        "HAWALA_LEDGER",
        "gb",
        "Seized hawala ledgers (exhibits)",
        "exhibits@nca.example.uk",
    ),
    (
        "EU_EURODAC",
        "eu",
        "Eurodac central system",
        "eurodac@eu-lisa.example.eu",
    ),
];

/// The demo's logins: user, agency, roles. Analysts search and read; each partner agency's
/// supervisor answers its requests and grants; the auditor reads the audit log. The FIU analyst
/// shows the money side.
pub const DEMO_USERS: &[(&str, &str, &[Role])] = &[
    ("uk.analyst", "UK_NCA", &[Role::Analyst]),
    ("uk.supervisor", "UK_NCA", &[Role::Supervisor]),
    ("uk.auditor", "UK_NCA", &[Role::Auditor]),
    ("rs.analyst", "RS_BP", &[Role::Analyst]),
    ("rs.supervisor", "RS_BP", &[Role::Supervisor]),
    ("mk.analyst", "MK_BP", &[Role::Analyst]),
    ("mk.supervisor", "MK_BP", &[Role::Supervisor]),
    ("xk.analyst", "XK_KP", &[Role::Analyst]),
    ("xk.supervisor", "XK_KP", &[Role::Supervisor]),
    ("al.analyst", "AL_ASP", &[Role::Analyst]),
    ("al.supervisor", "AL_ASP", &[Role::Supervisor]),
    ("alfiu.analyst", "AL_FIU", &[Role::Analyst]),
];

/// Each partner agency's operation, to which its demo users are assigned: a search made for an
/// operation that meets another agency's records tells both sides (deconfliction).
pub const DEMO_OPERATIONS: &[(&str, &str)] = &[
    ("UK_NCA", "Operation Kestrel"),
    ("RS_BP", "Operation Drina"),
    ("MK_BP", "Operation Vardar"),
    ("XK_KP", "Operation Ibar"),
    ("AL_ASP", "Operation Vjosa"),
    ("AL_FIU", "Operation Vjosa"),
];

/// How far a grant goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Share {
    /// Every record up to the usual handling ceilings (3x5x2 P, Europol H3, TLP:AMBER).
    Standing,
    /// Hit / no-hit only: the recipient learns that the grantor holds something, and asks.
    Discovery,
}

/// The demo's agreements: grantor, recipient, share. Serbia lets the UK discover its records
/// but not read them, so the request flow has something to ask for; Serbia and Kosovo do the
/// same with each other. The route's police forces grade their records Europol H2, which no
/// standing agreement covers (grant.rs): between them, and towards the UK, those records travel
/// only by request, while the FIUs' TLP:AMBER payments reach the UK under standing agreements.
pub const DEMO_AGREEMENTS: &[(&str, &str, Share)] = &[
    ("UK_BF", "UK_NCA", Share::Standing),
    ("UK_FIU", "UK_NCA", Share::Standing),
    ("FORENSIC", "UK_NCA", Share::Standing),
    ("HAWALA_LEDGER", "UK_NCA", Share::Standing),
    ("EU_EURODAC", "UK_NCA", Share::Discovery),
    ("MK_BP", "UK_NCA", Share::Standing),
    ("XK_KP", "UK_NCA", Share::Standing),
    ("AL_ASP", "UK_NCA", Share::Standing),
    ("AL_FIU", "UK_NCA", Share::Standing),
    ("RS_FIU", "UK_NCA", Share::Standing),
    ("MK_FIU", "UK_NCA", Share::Standing),
    ("RS_BP", "UK_NCA", Share::Discovery),
    ("UK_NCA", "RS_BP", Share::Discovery),
    ("UK_NCA", "MK_BP", Share::Discovery),
    ("UK_NCA", "XK_KP", Share::Discovery),
    ("UK_NCA", "AL_ASP", Share::Discovery),
    ("UK_BF", "RS_BP", Share::Standing),
    ("UK_BF", "MK_BP", Share::Standing),
    ("UK_BF", "XK_KP", Share::Standing),
    ("UK_BF", "AL_ASP", Share::Standing),
    ("RS_BP", "MK_BP", Share::Standing),
    ("RS_BP", "AL_ASP", Share::Standing),
    ("RS_BP", "XK_KP", Share::Discovery),
    ("MK_BP", "RS_BP", Share::Standing),
    ("MK_BP", "XK_KP", Share::Standing),
    ("MK_BP", "AL_ASP", Share::Standing),
    ("XK_KP", "RS_BP", Share::Discovery),
    ("XK_KP", "MK_BP", Share::Standing),
    ("XK_KP", "AL_ASP", Share::Standing),
    ("AL_ASP", "RS_BP", Share::Standing),
    ("AL_ASP", "MK_BP", Share::Standing),
    ("AL_ASP", "XK_KP", Share::Standing),
];

/// Registers the demo agencies, users (with [`DEMO_PASSWORD`]) and agreements, unless
/// `rs.analyst` exists already (then it does nothing and returns false). Each agency's grants
/// are made by a desk supervisor of its own (`desk.<code>`, no password), since only an
/// originator's supervisor grants. Every step is audited with `origin`.
pub fn ensure_demo_directory(
    p: &mut PolicyStore<'_>,
    origin: &str,
    now: i64,
) -> Result<bool, PolicyError> {
    if p.directory().principal("rs.analyst").is_some() {
        return Ok(false);
    }
    for &(code, country, name, contact) in DEMO_AGENCIES {
        let agency = Agency {
            code: code.into(),
            country: country.into(),
            name: name.into(),
            contact: contact.into(),
        };
        p.register_agency(origin, agency, now)?;
        let desk = User {
            id: desk_user(code),
            agency: code.into(),
            roles: vec![Role::Supervisor],
            operations: Vec::new(),
            active: true,
        };
        p.register_user(origin, desk, now)?;
    }
    for &(id, agency, roles) in DEMO_USERS {
        let operations = DEMO_OPERATIONS
            .iter()
            .filter(|o| o.0 == agency)
            .map(|o| o.1.to_owned())
            .collect();
        let user = User {
            id: id.into(),
            agency: agency.into(),
            roles: roles.to_vec(),
            operations,
            active: true,
        };
        p.register_user(origin, user, now)?;
        p.set_password(origin, id, DEMO_PASSWORD, now)?;
    }
    for &(grantor, recipient, share) in DEMO_AGREEMENTS {
        let ctx = Context {
            user: desk_user(grantor),
            origin: origin.into(),
            now,
        };
        // Entities descend from Thing, and relations and events (payments, ownership,
        // family) from Interval: the two roots cover every schema.
        let everything = vec!["Thing".to_owned(), "Interval".to_owned()];
        let (scope, conditions) = match share {
            Share::Standing => (
                Scope::Standing {
                    schemata: everything,
                    ceiling: HandlingCeiling {
                        uk_permitted: true,
                        europol: Some(EuCeiling::H3),
                        tlp: Some(TlpCeiling::Amber),
                    },
                },
                format!("standing agreement {grantor}-{recipient}: law-enforcement use only"),
            ),
            Share::Discovery => (
                Scope::Discovery {
                    schemata: everything,
                },
                String::new(),
            ),
        };
        let grant = NewGrant {
            recipient: recipient.into(),
            named_users: Vec::new(),
            scope,
            conditions,
            expires_at: now + AGREEMENT_SECONDS,
        };
        p.grant(&ctx, &[], grant)?;
    }
    Ok(true)
}

/// The desk supervisor who signs an agency's agreements.
fn desk_user(agency: &str) -> String {
    format!("desk.{}", agency.to_ascii_lowercase())
}

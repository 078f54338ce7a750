//! Principals: agencies, their users, the users' roles and the operations they are assigned to.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// An agency taking part in the exchange.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agency {
    /// The agency code records carry as originator (`RS_BP`, `UK_NCA`).
    pub code: String,
    /// ISO 3166-1 alpha-2, lower case (`rs`, `gb`).
    pub country: String,
    /// The agency's name as it writes it.
    pub name: String,
    /// Whom a partner asks for a disclosure (desk, mailbox): shown in hit answers.
    pub contact: String,
}

/// What a user may do. An unknown role in a stored user is an error: the user is not loaded and
/// so has no access at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Searches and reads records.
    Analyst,
    /// Searches and reads records for the operations assigned.
    Investigator,
    /// Reads, and grants or refuses disclosure of the agency's own records.
    Supervisor,
    /// Reads the audit log, never records.
    Auditor,
    /// Manages users, never reads records.
    Admin,
}

impl Role {
    /// Roles that may see record content (given a grant) and search.
    pub fn reads_records(self) -> bool {
        matches!(self, Role::Analyst | Role::Investigator | Role::Supervisor)
    }
}

/// A person who uses the exchange, always on behalf of one agency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// Unique across agencies (`uk.analyst1`).
    pub id: String,
    /// The agency code.
    pub agency: String,
    pub roles: Vec<Role>,
    /// Operations the user is assigned to (need to know): operation grants reach only them.
    #[serde(default)]
    pub operations: Vec<String>,
    /// False once the account is suspended: a suspended user is unknown to every decision.
    pub active: bool,
}

/// A user resolved against the directory: the only form decisions accept, so that an unknown
/// user, a suspended one or one of an unknown agency never reaches a decision.
#[derive(Clone, Copy, Debug)]
pub struct Principal<'a> {
    pub user: &'a User,
    pub agency: &'a Agency,
}

impl Principal<'_> {
    /// True when any of the user's roles has `role`.
    pub fn has(&self, role: Role) -> bool {
        self.user.roles.contains(&role)
    }

    /// True when any role may read records.
    pub fn reads_records(&self) -> bool {
        self.user.roles.iter().any(|r| r.reads_records())
    }
}

/// Every agency and user the exchange knows.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    agencies: BTreeMap<String, Agency>,
    users: BTreeMap<String, User>,
}

impl Directory {
    /// An empty directory: every decision against it is a denial.
    pub fn new() -> Self {
        Directory::default()
    }

    /// Adds or replaces an agency after checking its code and country.
    pub fn add_agency(&mut self, agency: Agency) -> Result<(), String> {
        corridor_model::envelope::check_agency(&agency.code)?;
        let c = agency.country.as_bytes();
        if c.len() != 2 || !c.iter().all(u8::is_ascii_lowercase) {
            return Err(format!(
                "agency {}: country '{}' is not an ISO 3166 alpha-2 code in lower case",
                agency.code, agency.country
            ));
        }
        self.agencies.insert(agency.code.clone(), agency);
        Ok(())
    }

    /// Adds or replaces a user after checking its id, agency and roles.
    pub fn add_user(&mut self, user: User) -> Result<(), String> {
        check_id("user id", &user.id)?;
        if !self.agencies.contains_key(&user.agency) {
            return Err(format!(
                "user {}: agency {} is unknown",
                user.id, user.agency
            ));
        }
        if user.roles.is_empty() {
            return Err(format!("user {} has no role", user.id));
        }
        self.users.insert(user.id.clone(), user);
        Ok(())
    }

    /// The agency with this code.
    pub fn agency(&self, code: &str) -> Option<&Agency> {
        self.agencies.get(code)
    }

    /// Every agency, by code.
    pub fn agencies(&self) -> impl Iterator<Item = &Agency> {
        self.agencies.values()
    }

    /// Every user, by id.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    /// The principal acting as `user_id`: `None` (so: no access) for an unknown or suspended
    /// user or one whose agency is unknown.
    pub fn principal(&self, user_id: &str) -> Option<Principal<'_>> {
        let user = self.users.get(user_id).filter(|u| u.active)?;
        let agency = self.agencies.get(&user.agency)?;
        Some(Principal { user, agency })
    }
}

/// Longest user, grant, hit or request id, in bytes.
pub const ID_BYTES_MAX: usize = 64;

/// Checks an id: 1 to [`ID_BYTES_MAX`] of ASCII letters, digits, `.`, `_`, `-`.
pub fn check_id(what: &str, id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= ID_BYTES_MAX
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} '{id}' must be 1 to {ID_BYTES_MAX} of letters, digits, '.', '_' and '-'"
        ))
    }
}

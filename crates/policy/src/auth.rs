//! Authentication: argon2id password hashes and API tokens stored only as their BLAKE3 hash,
//! each with an expiry and revocable. A token is 32 random bytes from the operating system;
//! without a random source no token is issued.

use std::io::Read;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{self, Action, hex};
use crate::{PolicyError, PolicyStore, Result, Role, doc};

/// Shortest password, in characters.
pub const PASSWORD_CHARS_MIN: usize = 12;
/// Longest password, in bytes (argon2 hashes any length; the limit bounds the work).
pub const PASSWORD_BYTES_MAX: usize = 1_024;
/// Longest lifetime of an API token, in seconds (90 days).
pub const TOKEN_SECONDS_MAX: i64 = 90 * 86_400;

const KIND_CREDENTIAL: &str = "credential";
const KIND_TOKEN: &str = "token";
const TOKEN_PREFIX: &str = "ct_";
const TOKEN_BYTES: usize = 32;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Credential {
    user: String,
    /// The argon2id PHC string.
    phc: String,
}

/// A token as stored: never the token itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenInfo {
    /// The first 32 hex digits of BLAKE3(token): the token's id.
    pub id: String,
    pub user: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
}

fn token_id(token: &str) -> String {
    hex(blake3::hash(token.as_bytes()).as_bytes())[..32].to_owned()
}

impl PolicyStore<'_> {
    /// Sets a user's password (the administrator's path, audited as `system`; the hash is
    /// never written to the audit log).
    pub fn set_password(
        &mut self,
        origin: &str,
        user: &str,
        password: &str,
        now: i64,
    ) -> Result<()> {
        let Some(p) = self.directory.principal(user) else {
            return Err(PolicyError::Refused(format!(
                "user '{user}' is unknown or suspended"
            )));
        };
        let agency = p.agency.code.clone();
        if password.chars().count() < PASSWORD_CHARS_MIN || password.len() > PASSWORD_BYTES_MAX {
            return Err(PolicyError::Refused(format!(
                "a password has {PASSWORD_CHARS_MIN} characters to {PASSWORD_BYTES_MAX} bytes"
            )));
        }
        let phc = Argon2::default()
            .hash_password(password.as_bytes())
            .map_err(|e| PolicyError::Refused(format!("hashing the password: {e}")))?
            .to_string();
        let d = doc(
            KIND_CREDENTIAL,
            user,
            &Credential {
                user: user.into(),
                phc,
            },
        )?;
        self.audit_act(
            &audit::NewEntry {
                actor: "system",
                agency: &agency,
                origin,
                action: Action::Directory,
                justification: "",
                detail: json!({"password_set": user}),
            },
            &[d],
            now,
        )?;
        Ok(())
    }

    /// Checks a user's password, for a single act without a token (the command line's
    /// `--password-file`). Every attempt is audited, failed ones too.
    pub fn check_password(
        &mut self,
        origin: &str,
        user: &str,
        password: &str,
        now: i64,
    ) -> Result<()> {
        let (ok, agency) = self.password_matches(user, password)?;
        let outcome = if ok { "password accepted" } else { "refused" };
        self.audit_act(
            &audit::NewEntry {
                actor: user,
                agency: &agency,
                origin,
                action: Action::Authentication,
                justification: "",
                detail: json!({ "outcome": outcome }),
            },
            &[],
            now,
        )?;
        if ok {
            Ok(())
        } else {
            Err(PolicyError::Refused(
                "unknown user or wrong password".into(),
            ))
        }
    }

    /// Whether `password` is the user's (false for unknown or suspended users), and the
    /// user's agency (empty when unknown).
    fn password_matches(&mut self, user: &str, password: &str) -> Result<(bool, String)> {
        let agency = self
            .directory
            .principal(user)
            .map(|p| p.agency.code.clone());
        let stored = match &agency {
            Some(_) => self.store.policy_doc(KIND_CREDENTIAL, user)?,
            None => None,
        };
        let ok = stored
            .and_then(|d| serde_json::from_str::<Credential>(&d.body).ok())
            .filter(|c| c.user == user && password.len() <= PASSWORD_BYTES_MAX)
            .is_some_and(|c| {
                PasswordHash::new(&c.phc).is_ok_and(|h| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &h)
                        .is_ok()
                })
            });
        Ok((ok, agency.unwrap_or_default()))
    }

    /// Checks a password and issues an API token valid for `seconds`. The token is returned
    /// once and stored only as its hash. Every attempt is audited, failed ones too.
    pub fn login(
        &mut self,
        origin: &str,
        user: &str,
        password: &str,
        seconds: i64,
        now: i64,
    ) -> Result<String> {
        if !(1..=TOKEN_SECONDS_MAX).contains(&seconds) {
            return Err(PolicyError::Refused(format!(
                "a token lives 1 to {TOKEN_SECONDS_MAX} seconds"
            )));
        }
        let (ok, agency) = self.password_matches(user, password)?;
        let mut entry = audit::NewEntry {
            actor: user,
            agency: &agency,
            origin,
            action: Action::Authentication,
            justification: "",
            detail: json!({"outcome": "refused"}),
        };
        if !ok {
            self.audit_act(&entry, &[], now)?;
            return Err(PolicyError::Refused(
                "unknown user or wrong password".into(),
            ));
        }
        let mut raw = [0u8; TOKEN_BYTES];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut raw))
            .map_err(|e| PolicyError::Refused(format!("no random source for a token: {e}")))?;
        let token = format!("{TOKEN_PREFIX}{}", hex(&raw));
        let info = TokenInfo {
            id: token_id(&token),
            user: user.into(),
            issued_at: now,
            expires_at: now + seconds,
            revoked: false,
        };
        entry.detail =
            json!({"outcome": "token issued", "token": info.id, "expires_at": info.expires_at});
        self.audit_act(&entry, &[doc(KIND_TOKEN, &info.id, &info)?], now)?;
        Ok(token)
    }

    /// The user a token stands for, if it is known, unexpired, unrevoked and its user still
    /// active; `None` otherwise (and for anything malformed).
    pub fn authenticate(&mut self, token: &str, now: i64) -> Result<Option<String>> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() != TOKEN_PREFIX.len() + 2 * TOKEN_BYTES {
            return Ok(None);
        }
        let Some(d) = self.store.policy_doc(KIND_TOKEN, &token_id(token))? else {
            return Ok(None);
        };
        let Ok(info) = serde_json::from_str::<TokenInfo>(&d.body) else {
            return Ok(None);
        };
        let valid = !info.revoked
            && info.issued_at <= now
            && now < info.expires_at
            && self.directory.principal(&info.user).is_some();
        Ok(valid.then_some(info.user))
    }

    /// Revokes a token by its id: its own user may, and an admin of the same agency.
    pub fn revoke_token(&mut self, ctx: &crate::Context, id: &str) -> Result<()> {
        let p = self.principal(&ctx.user)?;
        let (actor_agency, admin) = (p.agency.code.clone(), p.has(Role::Admin));
        let Some(d) = self.store.policy_doc(KIND_TOKEN, id)? else {
            return Err(PolicyError::Refused(format!("no token '{id}'")));
        };
        let mut info: TokenInfo = serde_json::from_str(&d.body)
            .map_err(|e| PolicyError::Corrupt(format!("token {id}: {e}")))?;
        let owner_agency = self
            .directory
            .users()
            .find(|u| u.id == info.user)
            .map(|u| u.agency.clone());
        let allowed =
            info.user == ctx.user || (admin && owner_agency.as_deref() == Some(&actor_agency));
        if !allowed {
            return Err(PolicyError::Refused(
                "only the token's user or an admin of its agency revokes it".into(),
            ));
        }
        info.revoked = true;
        self.audit_act(
            &audit::NewEntry {
                actor: &ctx.user,
                agency: &actor_agency,
                origin: &ctx.origin,
                action: Action::Authentication,
                justification: "",
                detail: json!({"outcome": "token revoked", "token": id}),
            },
            &[doc(KIND_TOKEN, id, &info)?],
            ctx.now,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Agency, Context, User};

    #[test]
    fn passwords_and_tokens() {
        let mut store = corridor_store::SqliteStore::open_in_memory().unwrap();
        let mut p = PolicyStore::open(&mut store).unwrap();
        p.register_agency(
            "t",
            Agency {
                code: "UK_NCA".into(),
                country: "gb".into(),
                name: "NCA".into(),
                contact: "desk".into(),
            },
            0,
        )
        .unwrap();
        for (id, role) in [("uk.a", Role::Analyst), ("uk.admin", Role::Admin)] {
            p.register_user(
                "t",
                User {
                    id: id.into(),
                    agency: "UK_NCA".into(),
                    roles: vec![role],
                    operations: vec![],
                    active: true,
                },
                0,
            )
            .unwrap();
        }
        assert!(p.set_password("t", "uk.a", "short", 0).is_err());
        p.set_password("t", "uk.a", "correct horse battery", 0)
            .unwrap();
        assert!(
            p.login("t", "uk.a", "wrong horse battery", 3600, 10)
                .is_err()
        );
        assert!(
            p.login("t", "nobody", "correct horse battery", 3600, 10)
                .is_err()
        );
        let token = p
            .login("t", "uk.a", "correct horse battery", 3600, 10)
            .unwrap();
        assert_eq!(p.authenticate(&token, 20).unwrap().as_deref(), Some("uk.a"));
        assert_eq!(p.authenticate(&token, 3610).unwrap(), None, "expired");
        assert_eq!(p.authenticate("ct_00", 20).unwrap(), None);
        let mut forged = token.clone();
        forged.replace_range(10..11, if &token[10..11] == "0" { "1" } else { "0" });
        assert_eq!(p.authenticate(&forged, 20).unwrap(), None);
        let ctx = Context {
            user: "uk.admin".into(),
            origin: "t".into(),
            now: 30,
        };
        p.revoke_token(&ctx, &token_id(&token)).unwrap();
        assert_eq!(p.authenticate(&token, 40).unwrap(), None, "revoked");
        // Nothing secret reached the audit log.
        let report = p.verify_audit(None).unwrap();
        assert_eq!(report.broken, None);
        drop(p);
        for row in corridor_store::Store::audit_entries(&mut store, 0, 100).unwrap() {
            assert!(!row.detail.contains(&token[3..]));
            assert!(!row.detail.contains("argon2"));
            assert!(!row.detail.contains("correct horse"));
        }
    }
}

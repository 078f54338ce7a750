//! Review and retention. Every record carries a review date in its envelope. Before it, the
//! originator's reviewers are reminded; a recorded decision to retain moves it later; past it,
//! an unreviewed record is hidden from everyone but the originator's reviewers (supervisors),
//! and once the agency's grace period has also passed, a sweep erases it: the erasure is
//! written to the audit log first, in the same transaction that deletes the record's versions
//! (`Store::erase_record`), the one exception to the append-only log.

use std::collections::BTreeMap;

use corridor_store::{RecordKey, StoredVersion};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{self, Action, JUSTIFICATION_CHARS_MIN};
use crate::{Context, PolicyError, PolicyStore, Result, Role, doc};

/// An agency's review period when it has set none, in days (three years).
pub const REVIEW_DAYS_DEFAULT: u32 = 1_095;
/// How long a record stays hidden after its review date before it is erased, when the agency
/// has set nothing, in days.
pub const GRACE_DAYS_DEFAULT: u32 = 90;
/// How long before its review date a record is listed as due, when the agency has set
/// nothing, in days.
pub const REMIND_DAYS_DEFAULT: u32 = 30;
/// Longest review period, grace period, reminder window or look-ahead, in days (ten years).
pub const RETENTION_DAYS_MAX: u32 = 3_660;
/// How long a disclosure request may wait for the originator's answer before its supervisors
/// are reminded, when the agency has set nothing, in hours.
pub const REQUEST_REMIND_HOURS_DEFAULT: u32 = 48;
/// Longest wait an agency may set before reminders, in hours (a year).
pub const REQUEST_REMIND_HOURS_MAX: u32 = 8_760;

fn request_remind_hours_default() -> u32 {
    REQUEST_REMIND_HOURS_DEFAULT
}
/// Most records one `review_due` lists and one sweep hides or erases; the rest wait for the
/// next call (the report says so).
pub const REVIEW_RECORDS_MAX: usize = 10_000;

pub(crate) const KIND_RETENTION: &str = "retention";
pub(crate) const KIND_RETAIN: &str = "retain";
const KIND_HIDDEN: &str = "hidden";

/// An agency's retention rules, and how soon its supervisors are reminded of what waits on
/// them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    pub agency: String,
    /// The default review period: how far ahead a decision to retain may set the new date.
    pub review_days: u32,
    /// Days a record stays hidden after its review date before it is erased.
    pub grace_days: u32,
    /// Days before the review date from which a record is listed as due.
    pub remind_days: u32,
    /// Hours a disclosure request to the agency may wait unanswered before its supervisors
    /// get a reminder notice (rules stored before this setting existed get the default).
    #[serde(default = "request_remind_hours_default")]
    pub request_remind_hours: u32,
}

impl Retention {
    /// The rules of an agency that set none.
    pub fn default_for(agency: &str) -> Retention {
        Retention {
            agency: agency.to_owned(),
            review_days: REVIEW_DAYS_DEFAULT,
            grace_days: GRACE_DAYS_DEFAULT,
            remind_days: REMIND_DAYS_DEFAULT,
            request_remind_hours: REQUEST_REMIND_HOURS_DEFAULT,
        }
    }

    fn check(&self) -> Result<(), String> {
        for (what, days) in [
            ("review period", self.review_days),
            ("grace period", self.grace_days),
            ("reminder window", self.remind_days),
        ] {
            if days > RETENTION_DAYS_MAX {
                return Err(format!(
                    "agency {}: the {what} is {days} days, the limit is {RETENTION_DAYS_MAX}",
                    self.agency
                ));
            }
        }
        if !(1..=REQUEST_REMIND_HOURS_MAX).contains(&self.request_remind_hours) {
            return Err(format!(
                "agency {}: requests wait {} hours before a reminder, the range is 1 to \
                 {REQUEST_REMIND_HOURS_MAX}",
                self.agency, self.request_remind_hours
            ));
        }
        if self.review_days == 0 {
            return Err(format!(
                "agency {}: the review period must be at least one day",
                self.agency
            ));
        }
        Ok(())
    }
}

/// A recorded decision to keep a record past its review date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetainDecision {
    pub originator: String,
    pub record_id: String,
    /// The new review date (YYYY-MM-DD).
    pub until: String,
    pub reason: String,
    pub decided_by: String,
    pub at: i64,
}

/// Where a record stands against its review date on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// Before the reminder window.
    Current,
    /// Within the reminder window: its reviewers are asked to decide.
    Due,
    /// Past the review date: hidden from everyone but the originator's reviewers.
    Hidden,
    /// Past the review date and the grace period: the next sweep erases it.
    Erasable,
}

/// A record due for review, by metadata only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DueRecord {
    #[serde(serialize_with = "key_as_text")]
    pub key: RecordKey,
    pub schema: String,
    /// The review date in force: the envelope's, or a later decision to retain.
    pub review_by: String,
    pub state: ReviewState,
}

fn key_as_text<S: serde::Serializer>(k: &RecordKey, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&k.to_string())
}

/// What a sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Records newly hidden (their review date passed), with the date.
    pub hidden: Vec<(String, String)>,
    /// Records erased, with the number of versions removed and the audit entry.
    pub erased: Vec<(String, u64, i64)>,
    /// True when more were due than one sweep handles ([`REVIEW_RECORDS_MAX`]).
    pub more: bool,
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date; `None` unless it is one.
pub fn parse_day(date: &str) -> Option<i64> {
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year: i64 = date[..4].parse().ok()?;
    let month: u32 = date[5..7].parse().ok()?;
    let day: u32 = date[8..].parse().ok()?;
    let days = corridor_text::calendar::days_from_civil(year, month, day);
    // A day that does not exist (02-30) comes back as another date: refuse it.
    (format_day(days) == date).then_some(days)
}

/// `YYYY-MM-DD` of a day number.
pub fn format_day(days: i64) -> String {
    let (y, m, d) = corridor_text::calendar::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The day of a Unix time.
pub fn day_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(86_400)
}

/// A record's state on `today`, for a review date (an unreadable date counts as past: fail
/// closed, the record is hidden rather than shown without a valid review date).
pub fn review_state(review_by: &str, today: i64, rules: &Retention) -> ReviewState {
    let Some(due) = parse_day(review_by) else {
        return ReviewState::Hidden;
    };
    if today > due + i64::from(rules.grace_days) {
        ReviewState::Erasable
    } else if today > due {
        ReviewState::Hidden
    } else if today + i64::from(rules.remind_days) >= due {
        ReviewState::Due
    } else {
        ReviewState::Current
    }
}

/// Retention state loaded with the policy layer.
#[derive(Clone, Debug, Default)]
pub(crate) struct Reviews {
    pub(crate) rules: BTreeMap<String, Retention>,
    /// The newest decision to retain per record (by key text).
    pub(crate) retained: BTreeMap<(String, String), RetainDecision>,
}

impl Reviews {
    pub(crate) fn rules(&self, agency: &str) -> Retention {
        self.rules
            .get(agency)
            .cloned()
            .unwrap_or_else(|| Retention::default_for(agency))
    }

    /// The review date in force: the later of the envelope's and a decision to retain.
    pub(crate) fn review_by<'a>(
        &'a self,
        originator: &str,
        record_id: &str,
        envelope_review_by: &'a str,
    ) -> &'a str {
        match self
            .retained
            .get(&(originator.to_owned(), record_id.to_owned()))
        {
            // Both are YYYY-MM-DD, so the text order is the date order.
            Some(d) if d.until.as_str() > envelope_review_by => &d.until,
            _ => envelope_review_by,
        }
    }

    /// True when the record is past its review date on `today` (hidden or erasable).
    pub(crate) fn hidden(
        &self,
        originator: &str,
        record_id: &str,
        envelope_review_by: &str,
        today: i64,
    ) -> bool {
        let date = self.review_by(originator, record_id, envelope_review_by);
        review_state(date, today, &self.rules(originator)) >= ReviewState::Hidden
    }
}

impl PolicyStore<'_> {
    /// Sets an agency's retention rules (the administrator's path, audited as `system`).
    pub fn set_retention(&mut self, origin: &str, rules: Retention, now: i64) -> Result<()> {
        if self.directory.agency(&rules.agency).is_none() {
            return Err(PolicyError::Refused(format!(
                "agency '{}' is unknown",
                rules.agency
            )));
        }
        rules.check().map_err(PolicyError::Refused)?;
        let d = doc(KIND_RETENTION, &rules.agency, &rules)?;
        self.audit_act(
            &audit::NewEntry {
                actor: "system",
                agency: &rules.agency,
                origin,
                action: Action::Directory,
                justification: "",
                detail: json!({ "retention": rules }),
            },
            &[d],
            now,
        )?;
        self.reviews.rules.insert(rules.agency.clone(), rules);
        Ok(())
    }

    /// An agency's retention rules (the defaults when it set none).
    pub fn retention(&self, agency: &str) -> Retention {
        self.reviews.rules(agency)
    }

    /// The review date in force for a stored version.
    pub fn review_by_of(&self, v: &StoredVersion) -> String {
        self.reviews
            .review_by(&v.envelope.originator, &v.record.id, &v.envelope.review_by)
            .to_owned()
    }

    fn reviewer_agency(&self, ctx: &Context, agency: Option<&str>) -> Result<String> {
        let p = self.principal(&ctx.user)?;
        let own = p.agency.code.clone();
        let agency = agency.unwrap_or(&own).to_owned();
        if !p.has(Role::Supervisor) || agency != own {
            return Err(PolicyError::Refused(
                "only a supervisor of the originating agency reviews its records".into(),
            ));
        }
        Ok(agency)
    }

    /// Records of the acting supervisor's agency whose review date in force falls within
    /// `within_days` from today, or has passed (at most [`REVIEW_RECORDS_MAX`], soonest
    /// first). Metadata only; the listing is audited.
    pub fn review_due(
        &mut self,
        ctx: &Context,
        agency: Option<&str>,
        within_days: u32,
    ) -> Result<Vec<DueRecord>> {
        let agency = self.reviewer_agency(ctx, agency)?;
        if within_days > RETENTION_DAYS_MAX {
            return Err(PolicyError::Refused(format!(
                "look ahead at most {RETENTION_DAYS_MAX} days"
            )));
        }
        let today = day_of(ctx.now);
        let rules = self.reviews.rules(&agency);
        let mut due = Vec::new();
        let reviews = &self.reviews;
        corridor_store::for_each_live(&mut *self.store, |v| -> Result<()> {
            if v.envelope.originator != agency {
                return Ok(());
            }
            let date =
                reviews.review_by(&v.envelope.originator, &v.record.id, &v.envelope.review_by);
            let soon = parse_day(date).is_none_or(|d| d <= today + i64::from(within_days));
            if soon {
                due.push(DueRecord {
                    key: RecordKey::new(&v.envelope.originator, &v.record.id),
                    schema: v.record.schema.clone(),
                    review_by: date.to_owned(),
                    state: review_state(date, today, &rules),
                });
            }
            Ok(())
        })?;
        due.sort_by(|a, b| a.review_by.cmp(&b.review_by).then(a.key.cmp(&b.key)));
        due.truncate(REVIEW_RECORDS_MAX);
        self.audit_act(
            &audit::NewEntry {
                actor: &ctx.user,
                agency: &agency,
                origin: &ctx.origin,
                action: Action::Review,
                justification: "",
                detail: json!({"due": due.len(), "within_days": within_days}),
            },
            &[],
            ctx.now,
        )?;
        Ok(due)
    }

    /// Records a decision to keep a record until `until` (YYYY-MM-DD): its review date in
    /// force becomes that day. Only a supervisor of the originator decides; the new date lies
    /// after today and at most the agency's review period ahead; the reason is audited.
    pub fn retain(
        &mut self,
        ctx: &Context,
        key: &RecordKey,
        until: &str,
        reason: &str,
    ) -> Result<RetainDecision> {
        let agency = self.reviewer_agency(ctx, Some(&key.originator))?;
        let Some(day) = parse_day(until) else {
            return Err(PolicyError::Refused(format!(
                "--until '{until}' is not a date YYYY-MM-DD"
            )));
        };
        let today = day_of(ctx.now);
        let rules = self.reviews.rules(&agency);
        if day <= today || day > today + i64::from(rules.review_days) {
            return Err(PolicyError::Refused(format!(
                "a record is retained until a day after today and at most {} days ahead (the \
                 agency's review period), not {until}",
                rules.review_days
            )));
        }
        if reason.trim().chars().count() < JUSTIFICATION_CHARS_MIN {
            return Err(PolicyError::Refused(format!(
                "a decision to retain needs a reason of at least {JUSTIFICATION_CHARS_MIN} characters"
            )));
        }
        let head = self
            .store
            .head(&key.originator, &key.record_id)?
            .filter(|v| !v.tombstone);
        let Some(head) = head else {
            return Err(PolicyError::Refused(format!("no record {key}")));
        };
        let previous = self.review_by_of(&head);
        if until <= previous.as_str() {
            return Err(PolicyError::Refused(format!(
                "{key} is already kept until {previous}: a decision to retain sets a later date"
            )));
        }
        let d = RetainDecision {
            originator: key.originator.clone(),
            record_id: key.record_id.clone(),
            until: until.to_owned(),
            reason: reason.trim().to_owned(),
            decided_by: ctx.user.clone(),
            at: ctx.now,
        };
        self.audit_act(
            &audit::NewEntry {
                actor: &ctx.user,
                agency: &agency,
                origin: &ctx.origin,
                action: Action::Review,
                justification: reason,
                detail: json!({"retain": key.to_string(), "review_by": previous, "until": until}),
            },
            &[doc(KIND_RETAIN, &key.to_string(), &d)?],
            ctx.now,
        )?;
        self.reviews
            .retained
            .insert((key.originator.clone(), key.record_id.clone()), d.clone());
        Ok(d)
    }

    /// Hides and erases what is due on the day of `now` (the administrator's path, audited as
    /// `system`): records newly past their review date are listed in one audit entry; records
    /// past it and the grace period are erased one by one, each audit entry written in the
    /// transaction that deletes the record's versions.
    pub fn sweep(&mut self, origin: &str, now: i64) -> Result<SweepReport> {
        let today = day_of(now);
        let mut hidden = Vec::new();
        let mut erasable = Vec::new();
        let mut more = false;
        let reviews = &self.reviews;
        corridor_store::for_each_live(&mut *self.store, |v| -> Result<()> {
            let (o, r) = (&v.envelope.originator, &v.record.id);
            let date = reviews.review_by(o, r, &v.envelope.review_by);
            match review_state(date, today, &reviews.rules(o)) {
                ReviewState::Erasable if erasable.len() < REVIEW_RECORDS_MAX => {
                    erasable.push((RecordKey::new(o, r), date.to_owned()));
                }
                ReviewState::Hidden if hidden.len() < REVIEW_RECORDS_MAX => {
                    hidden.push((RecordKey::new(o, r), date.to_owned()));
                }
                ReviewState::Erasable | ReviewState::Hidden => more = true,
                ReviewState::Current | ReviewState::Due => {}
            }
            Ok(())
        })?;
        let mut report = SweepReport {
            more,
            ..SweepReport::default()
        };
        // Newly hidden: a `hidden` document per record remembers the date it was hidden for,
        // so each passing of a review date is audited once.
        let mut docs = Vec::new();
        for (key, date) in &hidden {
            let id = key.to_string();
            let body = json!({ "review_by": date });
            let text = body.to_string();
            let seen = self
                .store
                .policy_doc(KIND_HIDDEN, &id)?
                .is_some_and(|d| d.body == text);
            if !seen {
                docs.push(doc(KIND_HIDDEN, &id, &body)?);
                report.hidden.push((id, date.clone()));
            }
        }
        if !docs.is_empty() {
            self.audit_act(&audit::NewEntry {
                    actor: "system",
                    agency: "",
                    origin,
                    action: Action::Review,
                    justification: "",
                    detail: json!({
                        "hidden": report.hidden.iter().map(|(k, d)| json!({"record": k, "review_by": d})).collect::<Vec<_>>(),
                    }),
                },
                &docs,
                now,
            )?;
        }
        for (key, date) in erasable {
            let grace = self.reviews.rules(&key.originator).grace_days;
            let entry = audit::NewEntry {
                actor: "system",
                agency: &key.originator,
                origin,
                action: Action::Erasure,
                justification: &format!(
                    "review date {date} passed without a decision to retain; the grace period \
                     of {grace} days ended"
                ),
                detail: json!({"record": key.to_string(), "review_by": date, "grace_days": grace}),
            };
            self.refuse_deferred()?;
            let row = audit::next_row(&mut *self.store, &entry, now)?;
            let versions = self.store.erase_record(&row, &key)?;
            report.erased.push((key.to_string(), versions, row.seq));
        }
        if !report.erased.is_empty() {
            // The index may hold erased records at an unchanged log position.
            self.index = None;
            self.checkpoint(now)?;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_states() {
        assert_eq!(parse_day("1970-01-02"), Some(1));
        assert_eq!(parse_day("2026-02-30"), None);
        assert_eq!(parse_day("2026-2-3"), None);
        assert_eq!(format_day(parse_day("2028-02-29").unwrap()), "2028-02-29");
        let rules = Retention {
            agency: "RS_BP".into(),
            review_days: 365,
            grace_days: 10,
            remind_days: 5,
            request_remind_hours: 48,
        };
        let due = parse_day("2026-06-15").unwrap();
        let at = |d: i64| review_state("2026-06-15", due + d, &rules);
        assert_eq!(at(-6), ReviewState::Current);
        assert_eq!(at(-5), ReviewState::Due);
        assert_eq!(at(0), ReviewState::Due);
        assert_eq!(at(1), ReviewState::Hidden);
        assert_eq!(at(10), ReviewState::Hidden);
        assert_eq!(at(11), ReviewState::Erasable);
        assert_eq!(review_state("soon", 0, &rules), ReviewState::Hidden);
    }
}

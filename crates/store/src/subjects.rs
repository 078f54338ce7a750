//! Analysts' judgements and resolved subjects, as the store keeps them.
//!
//! Judgements are ground state: append-only, the newest on a pair wins. Subjects are derived
//! state: each kind of entity (person, phone, …) has one [`ResolutionInfo`] saying which log
//! position and which judgement the stored [`SubjectMember`] rows reflect, so a follower knows
//! what is left to resolve.

/// A record's key in the log: (originator, record id).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordKey {
    pub originator: String,
    pub record_id: String,
}

impl RecordKey {
    /// A key from its parts.
    pub fn new(originator: impl Into<String>, record_id: impl Into<String>) -> Self {
        RecordKey {
            originator: originator.into(),
            record_id: record_id.into(),
        }
    }
}

impl std::fmt::Display for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.originator, self.record_id)
    }
}

/// A judgement to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewJudgement {
    pub a: RecordKey,
    pub b: RecordKey,
    /// True: the same entity; false: different entities.
    pub same: bool,
    /// Who judged.
    pub analyst: String,
    /// Why, in the analyst's words.
    pub reason: String,
}

/// A judgement as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredJudgement {
    /// Grows with every judgement; the newest on a pair wins.
    pub id: i64,
    pub judgement: NewJudgement,
    pub judged_at: String,
}

/// What the stored subjects of one kind reflect.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolutionInfo {
    /// `person`, `phone`, `vehicle`, `vessel`, `account`, `organisation`.
    pub kind: String,
    /// Every log entry up to this position is reflected.
    pub log_position: i64,
    /// Every judgement up to this id is honoured.
    pub judgement_id: i64,
    /// `probabilistic` or `key`.
    pub method: String,
    /// The trained model as JSON ('' for key matching).
    pub model: String,
    pub records: u64,
    pub subjects: u64,
    /// The next subject number to mint, so that ids are never reused.
    pub next_subject: u64,
    pub resolved_at: String,
}

/// One live record's subject.
#[derive(Clone, Debug, PartialEq)]
pub struct SubjectMember {
    pub record: RecordKey,
    pub kind: String,
    pub subject_id: String,
    /// The member this record links to most strongly, with that link's match weight (log2
    /// odds); `None` for the record that founded the subject or for exact-key matches.
    pub via: Option<(RecordKey, f64)>,
}

impl SubjectMember {
    /// The `via` link as the three nullable columns both backends store it in.
    pub(crate) fn via_columns(&self) -> (Option<&str>, Option<&str>, Option<f64>) {
        match &self.via {
            Some((k, w)) => (
                Some(k.originator.as_str()),
                Some(k.record_id.as_str()),
                Some(*w),
            ),
            None => (None, None, None),
        }
    }
}

/// How [`crate::Store::write_subjects`] treats the kind's existing members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectWrite {
    /// Every member of the kind is replaced (a full run).
    Replace,
    /// The given members are inserted or updated; the rest stay (an incremental run).
    /// `removed` records are dropped.
    Update,
}

/// Most members one subject read returns: a subject larger than this is a resolution fault,
/// and reading it whole would only hide that.
pub const SUBJECT_MEMBERS_MAX: usize = 100_000;

/// Most judgements one read returns.
pub const JUDGEMENTS_MAX: usize = 1_000_000;

/// The row of a member, as both backends read it.
pub(crate) struct MemberColumns {
    pub originator: String,
    pub record_id: String,
    pub kind: String,
    pub subject_id: String,
    pub via_originator: Option<String>,
    pub via_record_id: Option<String>,
    pub weight: Option<f64>,
}

impl MemberColumns {
    pub(crate) fn into_member(self) -> SubjectMember {
        let via = match (self.via_originator, self.via_record_id) {
            (Some(o), Some(r)) => Some((RecordKey::new(o, r), self.weight.unwrap_or(f64::NAN))),
            _ => None,
        };
        SubjectMember {
            record: RecordKey::new(self.originator, self.record_id),
            kind: self.kind,
            subject_id: self.subject_id,
            via,
        }
    }
}

/// A verdict as stored.
pub(crate) fn verdict(same: bool) -> &'static str {
    if same { "same" } else { "different" }
}

/// Reads a stored verdict.
pub(crate) fn parse_verdict(text: &str) -> crate::Result<bool> {
    match text {
        "same" => Ok(true),
        "different" => Ok(false),
        other => Err(crate::StoreError::Corrupt(format!(
            "judgement verdict {other:?}"
        ))),
    }
}

/// Refuses a judgement that cannot mean anything: a record judged against itself, or empty
/// keys.
pub(crate) fn check_judgement(j: &NewJudgement) -> crate::Result<()> {
    let empty = |k: &RecordKey| k.originator.is_empty() || k.record_id.is_empty();
    if empty(&j.a) || empty(&j.b) {
        return Err(crate::StoreError::Invalid(
            "a judgement names two records, each by originator and id".into(),
        ));
    }
    if j.a == j.b {
        return Err(crate::StoreError::Invalid(format!(
            "a judgement needs two different records, got {} twice",
            j.a
        )));
    }
    if j.analyst.trim().is_empty() {
        return Err(crate::StoreError::Invalid(
            "a judgement names its analyst".into(),
        ));
    }
    Ok(())
}

/// The conflict error when the stored resolution is not the one the writer started from.
pub(crate) fn check_expected(
    kind: &str,
    stored: Option<i64>,
    expected: Option<i64>,
) -> crate::Result<()> {
    if stored == expected {
        return Ok(());
    }
    let show = |p: Option<i64>| p.map_or("never resolved".to_string(), |p| format!("position {p}"));
    Err(crate::StoreError::Conflict(format!(
        "the {kind} subjects changed while resolving (expected {}, found {}): run again",
        show(expected),
        show(stored)
    )))
}

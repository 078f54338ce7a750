//! Resolved subjects: the store's records of one kind of entity (persons, organisations,
//! phones, vehicles, vessels, bank accounts) resolved into subjects, and kept in the store with
//! the log position and the judgement they reflect.
//!
//! Which schemata form a kind, and how they are resolved, is data: `schema/resolution.toml`
//! ([`config`]). Persons and organisations are scored (Fellegi–Sunter, `corridor-resolve`),
//! trained on the store's own records without labels; phones, vehicles, vessels and accounts
//! are one subject per key (an E.164 number, a plate, an IBAN).
//!
//! A subject's id (`P-0000042`) is opaque: it never carries an agency's record id, so showing it
//! to a partner discloses nothing. It is stable: a re-run gives each new cluster the id that most
//! of its records had before, and mints a new one (never reused) only for a cluster that had
//! none.
//!
//! ```no_run
//! use corridor_subjects::{Options, builtin_kinds, resolve_kind};
//! let mut store = corridor_store::open("corridor.db")?;
//! for kind in builtin_kinds() {
//!     let report = resolve_kind(store.as_mut(), &kind, &Options::default())?;
//!     println!("{}: {} records, {} subjects", kind.name, report.records, report.subjects);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod accounts;
pub mod config;
mod keys;
pub mod links;
pub mod load;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use corridor_resolve::{Engine, Judgement, Settings};
use corridor_store::{
    RecordKey, ResolutionInfo, SCAN_LIMIT_MAX, Store, StoreError, SubjectMember, SubjectWrite,
};

pub use crate::config::{Kind, Method, builtin_kinds};
pub use crate::load::Loaded;

/// Why resolving failed. Nothing is written when it does.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("resolution: {0}")]
    Resolve(#[from] corridor_resolve::Error),
    #[error("link graph: {0}")]
    Graph(#[from] corridor_graph::GraphError),
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Limit(String),
    #[error("stored model of '{kind}' is unreadable: {why}")]
    Model { kind: String, why: String },
}

/// Records of one kind a run loads at most: beyond this a kind must be resolved by the
/// distributed path, and saying so beats running out of memory.
pub const RECORDS_MAX: usize = 50_000_000;

/// Log entries since the last run up to which new records are resolved incrementally; past
/// it a full run is cheaper than reading the entries one by one.
pub const INCREMENTAL_ENTRIES_MAX: i64 = 1_000_000;

/// New records, as a share of the records already resolved, up to which they are added
/// incrementally. The stored model was trained on the records of the last full run; a large
/// arrival (a new agency's files) brings spellings and fields it never saw, and is better
/// served by re-training: measured on a year of the scenario, adding 72% more records one by
/// one lost 0.044 of pairwise F1 against a full re-run.
pub const INCREMENTAL_SHARE_MAX: f64 = 0.10;

/// Run options.
#[derive(Clone, Debug)]
pub struct Options {
    /// Re-train and re-cluster even when nothing changed.
    pub full: bool,
    /// Match probability from which a scored pair is a link.
    pub threshold: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            full: false,
            threshold: Settings::default().threshold,
        }
    }
}

/// What a run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Nothing had changed since the stored resolution.
    UpToDate,
    /// Trained (or keyed) and clustered every record.
    Full { reason: String },
    /// Resolved only the records added since the last run, one at a time against the
    /// stored subjects and model ([`corridor_resolve::incremental::Index`]).
    Incremental {
        /// Records added.
        added: u64,
        /// Of those, records that founded a subject of their own.
        founded: u64,
        /// Subjects merged into another by an added record.
        merged: u64,
    },
}

/// A run's outcome.
#[derive(Clone, Debug)]
pub struct Report {
    pub kind: String,
    pub mode: Mode,
    /// Live records of the kind.
    pub records: u64,
    pub subjects: u64,
    /// Subjects holding more than one record.
    pub multi_record_subjects: u64,
    /// Subjects that kept the id they had before.
    pub ids_kept: u64,
    /// Subjects given a new id.
    pub ids_minted: u64,
    /// Judgements honoured, and judgements naming a record that is not a live record of the
    /// kind (kept, and honoured once the record is back).
    pub judgements_used: u64,
    pub judgements_unmatched: u64,
    /// Pairs scored as links (probabilistic kinds).
    pub links: u64,
    /// The log position and judgement the subjects now reflect.
    pub log_position: i64,
    pub judgement_id: i64,
    pub phase_times: Vec<(&'static str, Duration)>,
}

/// Subject ids are `PREFIX-` and this many digits (more once they run out).
const SUBJECT_DIGITS: usize = 7;

/// The id of subject number `n` of a kind.
pub fn subject_id(prefix: &str, n: u64) -> String {
    format!("{prefix}-{n:0SUBJECT_DIGITS$}")
}

/// Resolves one kind: see [`resolve_kinds`].
pub fn resolve_kind(
    store: &mut dyn Store,
    kind: &Kind,
    options: &Options,
) -> Result<Report, Error> {
    let mut reports = resolve_kinds(store, std::slice::from_ref(kind), options)?;
    Ok(reports.remove(0))
}

/// Resolves each kind: nothing for a kind whose stored subjects already reflect the log and
/// the judgements (unless `options.full`), otherwise every live record of the kind, keeping
/// subject ids stable. The store is read once for all the kinds that need it.
pub fn resolve_kinds(
    store: &mut dyn Store,
    kinds: &[Kind],
    options: &Options,
) -> Result<Vec<Report>, Error> {
    // Read the positions first: whatever is appended while loading is then seen again by the
    // next run, never skipped.
    let log_position = store.log_position()?;
    let judgement_id = store.judgement_position()?;
    let mut reports: Vec<Option<Report>> = Vec::new();
    let mut pending: Vec<(usize, Option<ResolutionInfo>, String)> = Vec::new();
    for (k, kind) in kinds.iter().enumerate() {
        let previous = store.resolution(&kind.name)?;
        let reason = match &previous {
            None => "first resolution".to_string(),
            Some(_) if options.full => "full re-run asked for".to_string(),
            Some(p) if p.method != kind.method_name() => {
                format!("method changed from {} to {}", p.method, kind.method_name())
            }
            Some(p) if p.log_position == log_position && p.judgement_id == judgement_id => {
                reports.push(Some(Report {
                    kind: kind.name.clone(),
                    mode: Mode::UpToDate,
                    records: p.records,
                    subjects: p.subjects,
                    multi_record_subjects: 0,
                    ids_kept: p.subjects,
                    ids_minted: 0,
                    judgements_used: 0,
                    judgements_unmatched: 0,
                    links: 0,
                    log_position,
                    judgement_id,
                    phase_times: Vec::new(),
                }));
                continue;
            }
            Some(p) => {
                let entries = log_position - p.log_position;
                let judged = judgement_id - p.judgement_id;
                format!("{entries} log entries and {judged} judgements since the last run")
            }
        };
        reports.push(None);
        pending.push((k, previous, reason));
    }
    if pending.is_empty() {
        return Ok(reports.into_iter().flatten().collect());
    }
    let clock = Instant::now();
    let to_load: Vec<&Kind> = pending.iter().map(|(k, _, _)| &kinds[*k]).collect();
    let loaded = load::load(store, &to_load)?;
    let loading = clock.elapsed();
    let judgements = latest_judgements(store)?;
    for ((k, previous, reason), loaded) in pending.into_iter().zip(loaded) {
        let run = Run {
            kind: &kinds[k],
            previous,
            reason,
            log_position,
            judgement_id,
            options,
        };
        let mut report = match run.incremental_possible(store)? {
            Ok(previous_members) => {
                run.incremental(store, loaded, &judgements, previous_members)?
            }
            Err(why) => {
                let mut run = run;
                if run.previous.is_some() && !run.options.full {
                    run.reason = format!("{}: {why}", run.reason);
                }
                run.full(store, loaded, &judgements)?
            }
        };
        report
            .phase_times
            .insert(0, ("loading (all kinds)", loading));
        reports[k] = Some(report);
    }
    Ok(reports.into_iter().flatten().collect())
}

struct Run<'a> {
    kind: &'a Kind,
    previous: Option<ResolutionInfo>,
    reason: String,
    log_position: i64,
    judgement_id: i64,
    options: &'a Options,
}

impl Run<'_> {
    /// The stored members when only new records of the kind have arrived since the last run
    /// of a scored kind (no new judgements, no changed or retracted member, not too many
    /// entries, not more than [`INCREMENTAL_SHARE_MAX`] of the members): then they can be
    /// added one by one instead of re-running.
    fn incremental_possible(
        &self,
        store: &mut dyn Store,
    ) -> Result<Result<HashMap<RecordKey, String>, &'static str>, Error> {
        let Some(previous) = &self.previous else {
            return Ok(Err("first resolution"));
        };
        if self.options.full {
            return Ok(Err("full re-run asked for"));
        }
        if !matches!(self.kind.method, Method::Probabilistic(_))
            || previous.method != self.kind.method_name()
            || previous.model.is_empty()
        {
            return Ok(Err("keyed kinds are re-keyed whole"));
        }
        if previous.judgement_id != self.judgement_id {
            return Ok(Err("new judgements"));
        }
        if self.log_position - previous.log_position > INCREMENTAL_ENTRIES_MAX {
            return Ok(Err("too many log entries to follow one by one"));
        }
        let members = previous_subjects(store, &self.kind.name)?;
        let mut arriving = 0u64;
        let mut after = previous.log_position;
        while after < self.log_position {
            let page = store.scan(after, SCAN_LIMIT_MAX)?;
            let Some(last) = page.last() else { break };
            after = last.pos;
            for v in page.iter().filter(|v| v.pos <= self.log_position) {
                let key = RecordKey::new(&v.envelope.originator, &v.record.id);
                // A member changed or retracted (or moved to another schema): it may have to
                // leave its subject, which only a full run decides.
                if members.contains_key(&key) {
                    return Ok(Err("a resolved record changed or was retracted"));
                }
                if self.kind.schemata.contains(&v.record.schema) {
                    arriving += 1;
                }
            }
        }
        if arriving as f64 > INCREMENTAL_SHARE_MAX * members.len().max(1) as f64 {
            return Ok(Err("many new records: re-training"));
        }
        Ok(Ok(members))
    }

    /// Adds the records that are not yet members to the stored subjects, one at a time, with
    /// the stored model; writes only the members that changed.
    fn incremental(
        self,
        store: &mut dyn Store,
        loaded: Loaded,
        judgements: &[corridor_store::NewJudgement],
        previous_members: HashMap<RecordKey, String>,
    ) -> Result<Report, Error> {
        let kind = self.kind;
        let Some(previous) = self.previous.as_ref() else {
            return Err(Error::Config(
                "incremental run without a previous one".into(),
            ));
        };
        let mut phase_times = Vec::new();
        let mut clock = Instant::now();
        let mut lap = |name: &'static str, times: &mut Vec<(&'static str, Duration)>| {
            times.push((name, clock.elapsed()));
            clock = Instant::now();
        };
        let model: corridor_resolve::model::Model =
            serde_json::from_str(&previous.model).map_err(|e| Error::Model {
                kind: kind.name.clone(),
                why: e.to_string(),
            })?;
        // Split the loaded records: members go into the index, the rest are added to it.
        let (old_rows, new_rows): (Vec<usize>, Vec<usize>) =
            (0..loaded.keys.len()).partition(|&i| previous_members.contains_key(&loaded.keys[i]));
        let pick = |rows: &[usize]| corridor_resolve::table::Table {
            ids: rows.iter().map(|&i| loaded.table.ids[i].clone()).collect(),
            sources: vec![0; rows.len()],
            fields: loaded
                .table
                .fields
                .iter()
                .map(|f| corridor_resolve::table::Field {
                    role: f.role,
                    occurrence: f.occurrence,
                    name: f.name.clone(),
                    values: rows.iter().map(|&i| f.values[i].clone()).collect(),
                })
                .collect(),
        };
        let settings = Settings {
            threshold: self.options.threshold,
            ..Settings::default()
        };
        let engine = Engine::new(pick(&old_rows), settings)?;
        let n_old = engine.table().len();
        let mut keys: Vec<RecordKey> = engine
            .table()
            .ids
            .iter()
            .map(|id| load::key_of_id(id))
            .collect();
        // Each stored subject as a cluster named by its first record.
        let mut first_of: HashMap<&str, u32> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            first_of
                .entry(previous_members[k].as_str())
                .or_insert(i as u32);
        }
        let cluster_of: Vec<u32> = keys
            .iter()
            .map(|k| first_of[previous_members[k].as_str()])
            .collect();
        drop(first_of);
        let (js, unmatched) = map_judgements(judgements, &keys);
        let mut index =
            corridor_resolve::incremental::Index::new(engine, model, cluster_of, &[], &js)?;
        lap("index", &mut phase_times);
        let new_table = pick(&new_rows);
        let mut order: Vec<usize> = (0..new_rows.len()).collect();
        order.sort_by(|&a, &b| new_table.ids[a].cmp(&new_table.ids[b]));
        let mut vias: HashMap<u32, (u32, f64)> = HashMap::new();
        let mut founded = 0u64;
        let mut links = 0u64;
        for &row in &order {
            let values: Vec<(corridor_resolve::Role, u8, Option<&str>)> = new_table
                .fields
                .iter()
                .map(|f| (f.role, f.occurrence, f.values[row].as_deref()))
                .collect();
            let a = index.add(0, &new_table.ids[row], &values)?;
            keys.push(load::key_of_id(&new_table.ids[row]));
            if a.founded {
                founded += 1;
            }
            links += a.links as u64;
            if let Some(best) = a.links().first() {
                let other = if best.l == a.record { best.r } else { best.l };
                vias.insert(a.record, (other, best.weight));
            }
        }
        lap("adding", &mut phase_times);
        // Name the clusters: an old first record keeps its subject's id; a cluster founded by a
        // new record gets a new one.
        let mut next_subject = previous.next_subject.max(1);
        let mut minted: HashMap<u32, String> = HashMap::new();
        let mut changed = Vec::new();
        let mut subjects: std::collections::HashSet<u32> = std::collections::HashSet::new();
        let mut merged_away: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for (i, key) in keys.iter().enumerate() {
            let rep = index.cluster_of(i as u32);
            subjects.insert(rep);
            let id = if (rep as usize) < n_old {
                previous_members[&keys[rep as usize]].clone()
            } else {
                minted
                    .entry(rep)
                    .or_insert_with(|| {
                        let id = subject_id(&kind.prefix, next_subject);
                        next_subject += 1;
                        id
                    })
                    .clone()
            };
            let before = previous_members.get(key);
            if before != Some(&id) {
                if let Some(b) = before {
                    merged_away.insert(b.as_str());
                }
                changed.push(SubjectMember {
                    record: key.clone(),
                    kind: kind.name.clone(),
                    subject_id: id,
                    via: vias
                        .get(&(i as u32))
                        .map(|&(o, w)| (keys[o as usize].clone(), w)),
                });
            }
        }
        let info = ResolutionInfo {
            kind: kind.name.clone(),
            log_position: self.log_position,
            judgement_id: self.judgement_id,
            method: kind.method_name().to_string(),
            model: previous.model.clone(),
            records: keys.len() as u64,
            subjects: subjects.len() as u64,
            next_subject,
            resolved_at: corridor_store::now_rfc3339(),
        };
        store.write_subjects(
            &info,
            Some(previous.log_position),
            SubjectWrite::Update,
            &changed,
            &[],
        )?;
        lap("writing", &mut phase_times);
        let added = new_rows.len() as u64;
        Ok(Report {
            kind: kind.name.clone(),
            mode: Mode::Incremental {
                added,
                founded,
                merged: merged_away.len() as u64,
            },
            records: keys.len() as u64,
            subjects: subjects.len() as u64,
            multi_record_subjects: 0,
            ids_kept: subjects.len() as u64 - minted.len() as u64,
            ids_minted: minted.len() as u64,
            judgements_used: js.len() as u64,
            judgements_unmatched: unmatched,
            links,
            log_position: self.log_position,
            judgement_id: self.judgement_id,
            phase_times,
        })
    }
    /// Trains (or keys) and clusters every loaded record, names the clusters and replaces the
    /// kind's stored subjects.
    fn full(
        self,
        store: &mut dyn Store,
        loaded: Loaded,
        judgements: &[corridor_store::NewJudgement],
    ) -> Result<Report, Error> {
        let kind = self.kind;
        let mut phase_times = Vec::new();
        let mut clock = Instant::now();
        let mut lap = |name: &'static str, times: &mut Vec<(&'static str, Duration)>| {
            times.push((name, clock.elapsed()));
            clock = Instant::now();
        };
        let n = loaded.keys.len();
        let outcome = match &kind.method {
            Method::Probabilistic(_) => {
                let settings = Settings {
                    threshold: self.options.threshold,
                    ..Settings::default()
                };
                let engine = Engine::new(loaded.table, settings)?;
                // The engine put the records in canonical order; keys follow it.
                let keys: Vec<RecordKey> = engine
                    .table()
                    .ids
                    .iter()
                    .map(|id| load::key_of_id(id))
                    .collect();
                let (js, unmatched) = map_judgements(judgements, &keys);
                let result = engine.run(None, &js)?;
                let vias = strongest_links(&result.cluster_of, &result.pairs, &keys);
                let links = result
                    .pairs
                    .iter()
                    .filter(|p| p.probability >= self.options.threshold)
                    .count() as u64;
                let model = serde_json::to_string(&result.model).map_err(|e| Error::Model {
                    kind: kind.name.clone(),
                    why: e.to_string(),
                })?;
                Outcome {
                    cluster_of: result.cluster_of,
                    keys,
                    vias,
                    links,
                    model,
                    used: js.len() as u64,
                    unmatched,
                }
            }
            Method::Key(key_defs) => {
                let keys = loaded.keys;
                let (js, unmatched) = map_judgements(judgements, &keys);
                let cluster_of = keys::cluster_by_keys(&loaded.key_values, key_defs.len(), &js);
                Outcome {
                    cluster_of,
                    keys,
                    vias: vec![None; n],
                    links: 0,
                    model: String::new(),
                    used: js.len() as u64,
                    unmatched,
                }
            }
        };
        lap("resolution", &mut phase_times);
        let Outcome {
            cluster_of,
            keys,
            vias,
            links,
            model,
            used,
            unmatched,
        } = outcome;
        let previous_ids = previous_subjects(store, &kind.name)?;
        let next_before = self.previous.as_ref().map_or(1, |p| p.next_subject.max(1));
        let naming = name_clusters(&cluster_of, &keys, &previous_ids, &kind.prefix, next_before);
        drop(previous_ids);
        lap("naming", &mut phase_times);
        let mut sizes: HashMap<u32, u32> = HashMap::new();
        for &c in &cluster_of {
            *sizes.entry(c).or_insert(0) += 1;
        }
        let subjects = sizes.len() as u64;
        let multi = sizes.values().filter(|&&s| s > 1).count() as u64;
        let members: Vec<SubjectMember> = keys
            .into_iter()
            .zip(vias)
            .enumerate()
            .map(|(i, (record, via))| SubjectMember {
                record,
                kind: kind.name.clone(),
                subject_id: naming.ids[cluster_of[i] as usize].clone(),
                via,
            })
            .collect();
        let info = ResolutionInfo {
            kind: kind.name.clone(),
            log_position: self.log_position,
            judgement_id: self.judgement_id,
            method: kind.method_name().to_string(),
            model,
            records: n as u64,
            subjects,
            next_subject: naming.next_subject,
            resolved_at: corridor_store::now_rfc3339(),
        };
        store.write_subjects(
            &info,
            self.previous.as_ref().map(|p| p.log_position),
            SubjectWrite::Replace,
            &members,
            &[],
        )?;
        lap("writing", &mut phase_times);
        Ok(Report {
            kind: kind.name.clone(),
            mode: Mode::Full {
                reason: self.reason,
            },
            records: n as u64,
            subjects,
            multi_record_subjects: multi,
            ids_kept: naming.kept,
            ids_minted: naming.minted,
            judgements_used: used,
            judgements_unmatched: unmatched,
            links,
            log_position: self.log_position,
            judgement_id: self.judgement_id,
            phase_times,
        })
    }
}

/// A kind's records clustered, before naming.
struct Outcome {
    /// Per record, the first record of its cluster.
    cluster_of: Vec<u32>,
    keys: Vec<RecordKey>,
    vias: Vec<Option<(RecordKey, f64)>>,
    links: u64,
    model: String,
    used: u64,
    unmatched: u64,
}

/// Every judgement, the newest per unordered pair: an analyst who changed their mind is heard.
pub fn latest_judgements(
    store: &mut dyn Store,
) -> Result<Vec<corridor_store::NewJudgement>, Error> {
    let mut latest: HashMap<(RecordKey, RecordKey), corridor_store::NewJudgement> = HashMap::new();
    let mut after = 0;
    loop {
        let page = store.judgements(after)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for j in page {
            let j = j.judgement;
            let pair = if j.a <= j.b {
                (j.a.clone(), j.b.clone())
            } else {
                (j.b.clone(), j.a.clone())
            };
            latest.insert(pair, j);
        }
    }
    let mut out: Vec<_> = latest.into_values().collect();
    out.sort_by(|x, y| (&x.a, &x.b).cmp(&(&y.a, &y.b)));
    Ok(out)
}

/// Judgements whose two records are both in `index`, as record indices; and how many name a
/// record that is not (another kind's record, or one retracted since).
fn map_judgements(
    judgements: &[corridor_store::NewJudgement],
    keys: &[RecordKey],
) -> (Vec<Judgement>, u64) {
    let index: HashMap<&RecordKey, u32> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k, i as u32))
        .collect();
    let mut out = Vec::new();
    let mut unmatched = 0;
    for j in judgements {
        match (index.get(&j.a), index.get(&j.b)) {
            (Some(&l), Some(&r)) => out.push(Judgement {
                l: l.min(r),
                r: l.max(r),
                same: j.same,
            }),
            (None, None) => {}
            _ => unmatched += 1,
        }
    }
    (out, unmatched)
}

/// Per record, the strongest scored pair with another record of its own cluster: the link an
/// analyst sees as "why is this record in this subject".
fn strongest_links(
    cluster_of: &[u32],
    pairs: &[corridor_resolve::ScoredPair],
    keys: &[RecordKey],
) -> Vec<Option<(RecordKey, f64)>> {
    let mut best: Vec<Option<(u32, f64)>> = vec![None; cluster_of.len()];
    for p in pairs {
        if cluster_of[p.l as usize] != cluster_of[p.r as usize] {
            continue;
        }
        for (a, b) in [(p.l, p.r), (p.r, p.l)] {
            let slot = &mut best[a as usize];
            // Ties go to the smaller record index, so the answer is a function of the pairs.
            let better = match *slot {
                None => true,
                Some((o, w)) => p.weight > w || (p.weight == w && b < o),
            };
            if better {
                *slot = Some((b, p.weight));
            }
        }
    }
    best.into_iter()
        .map(|b| b.map(|(o, w)| (keys[o as usize].clone(), w)))
        .collect()
}

/// Every stored member of a kind: record → subject id.
fn previous_subjects(
    store: &mut dyn Store,
    kind: &str,
) -> Result<HashMap<RecordKey, String>, Error> {
    let mut out = HashMap::new();
    corridor_store::for_each_member(store, kind, |m| -> Result<(), Error> {
        out.insert(m.record, m.subject_id);
        if out.len() > RECORDS_MAX {
            return Err(Error::Limit(format!(
                "more than {RECORDS_MAX} stored members of '{kind}'"
            )));
        }
        Ok(())
    })?;
    Ok(out)
}

/// Ids for clusters: per cluster representative, its subject id.
struct Naming {
    /// Indexed by representative record index (only representatives are filled).
    ids: Vec<String>,
    kept: u64,
    minted: u64,
    next_subject: u64,
}

/// Gives each cluster the previous subject id most of its records had. Each previous id goes
/// to one cluster at most: the cluster holding most of its records (ties: the smaller id, then
/// the earlier cluster), so a split subject keeps its id on its larger part. Clusters left
/// without an id get new numbers, in canonical order of their first record.
fn name_clusters(
    cluster_of: &[u32],
    keys: &[RecordKey],
    previous: &HashMap<RecordKey, String>,
    prefix: &str,
    mut next_subject: u64,
) -> Naming {
    let mut overlap: HashMap<(u32, &str), u32> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        if let Some(id) = previous.get(key) {
            *overlap.entry((cluster_of[i], id.as_str())).or_insert(0) += 1;
        }
    }
    let mut candidates: Vec<((u32, &str), u32)> = overlap.into_iter().collect();
    candidates.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.1.cmp(b.0.1)).then(a.0.0.cmp(&b.0.0)));
    let mut ids = vec![String::new(); cluster_of.len()];
    let mut taken: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut kept = 0;
    for ((cluster, id), _) in candidates {
        if ids[cluster as usize].is_empty() && taken.insert(id) {
            ids[cluster as usize] = id.to_string();
            kept += 1;
        }
    }
    let mut minted = 0;
    for (i, &c) in cluster_of.iter().enumerate() {
        if c as usize == i && ids[i].is_empty() {
            ids[i] = subject_id(prefix, next_subject);
            next_subject += 1;
            minted += 1;
        }
    }
    Naming {
        ids,
        kept,
        minted,
        next_subject,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u32) -> RecordKey {
        RecordKey::new("RS_BP", format!("r{i}"))
    }

    #[test]
    fn ids_survive_merges_and_splits() {
        let keys: Vec<RecordKey> = (0..6).map(key).collect();
        let previous: HashMap<RecordKey, String> = [
            (key(0), "P-0000001"),
            (key(1), "P-0000001"),
            (key(2), "P-0000001"),
            (key(3), "P-0000002"),
            (key(4), "P-0000003"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
        // Subject 1 splits into {0, 1} and {2}; 2 and 3 merge into {3, 4}; record 5 is new.
        let cluster_of = [0, 0, 2, 3, 3, 5];
        let n = name_clusters(&cluster_of, &keys, &previous, "P", 4);
        assert_eq!(n.ids[0], "P-0000001", "the larger part keeps the id");
        assert_eq!(n.ids[3], "P-0000002", "a merge keeps the smaller id");
        assert_eq!(n.ids[2], "P-0000004", "the split-off part gets a new id");
        assert_eq!(n.ids[5], "P-0000005");
        assert_eq!((n.kept, n.minted, n.next_subject), (2, 2, 6));
    }
}

//! `corridor resolve`, `corridor judge` and `corridor subject`: the store's records resolved
//! into subjects, analysts' judgements on them, and one subject's records.

use anyhow::{Context, Result, bail};
use corridor_store::{NewJudgement, RecordKey};
use corridor_subjects::{Kind, Mode, Options, builtin_kinds, resolve_kinds};

use crate::{EXIT_USAGE, StoreArg, open_store};

/// Arguments of `corridor resolve`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  corridor resolve --store corridor.db\n  corridor resolve --kind person --full\n\nKinds (schema/resolution.toml): person and organisation are scored (trained on the store's\nown records, no labels); phone, vehicle, vessel and account are one subject per key.\nA kind is re-resolved only when the log or the judgements moved since its last run."
)]
pub struct ResolveArgs {
    #[command(flatten)]
    store: StoreArg,
    /// Resolve only this kind (repeatable; default: every kind).
    #[arg(long = "kind")]
    kinds: Vec<String>,
    /// Re-train and re-cluster even when nothing changed.
    #[arg(long)]
    full: bool,
    /// Match probability from which a scored pair is a link (default 0.5).
    #[arg(long)]
    threshold: Option<f64>,
}

/// Arguments of `corridor judge`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  corridor judge RS_BP/RS-2023-00017 UK_NCA/ent-88 same --analyst a.kovac --reason \"same passport photo\"\n  corridor judge RS_BP/17 RS_BP/18 different --analyst a.kovac --reason \"brothers: different JMBG\"\n\nRecords are ORIGINATOR/RECORD_ID. The judgement is kept for good (a newer one on the same\npair overrides it) and is honoured by the next `corridor resolve`."
)]
pub struct JudgeArgs {
    #[command(flatten)]
    store: StoreArg,
    /// One record, ORIGINATOR/RECORD_ID.
    a: String,
    /// The other record.
    b: String,
    /// same or different.
    verdict: String,
    /// Who judges.
    #[arg(long, env = "CORRIDOR_ANALYST")]
    analyst: String,
    /// Why: kept with the judgement.
    #[arg(long)]
    reason: String,
}

/// Arguments of `corridor subject`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  corridor subject P-0000042\n  corridor subject RS_BP/RS-2023-00017"
)]
pub struct SubjectArgs {
    #[command(flatten)]
    store: StoreArg,
    /// A subject id, or a record as ORIGINATOR/RECORD_ID.
    what: String,
    /// JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn parse_record(text: &str) -> Option<RecordKey> {
    let (o, r) = text.split_once('/')?;
    (!o.is_empty() && !r.is_empty()).then(|| RecordKey::new(o, r))
}

fn kinds_named(names: &[String]) -> Result<Vec<Kind>, String> {
    let all = builtin_kinds();
    if names.is_empty() {
        return Ok(all);
    }
    names
        .iter()
        .map(|n| {
            all.iter().find(|k| k.name == *n).cloned().ok_or_else(|| {
                let known: Vec<&str> = all.iter().map(|k| k.name.as_str()).collect();
                format!("unknown kind '{n}' (kinds: {})", known.join(", "))
            })
        })
        .collect()
}

/// `corridor resolve`.
pub fn resolve(args: ResolveArgs) -> Result<u8> {
    let kinds = match kinds_named(&args.kinds) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(EXIT_USAGE);
        }
    };
    let mut options = Options {
        full: args.full,
        ..Options::default()
    };
    if let Some(t) = args.threshold {
        if !(t > 0.0 && t < 1.0) {
            eprintln!("error: --threshold must be between 0 and 1, not {t}");
            return Ok(EXIT_USAGE);
        }
        options.threshold = t;
    }
    let mut store = open_store(&args.store.store)?;
    println!(
        "{:<13} {:>10} {:>10} {:>8} {:>8} {:>9}  run",
        "kind", "records", "subjects", "merged", "new ids", "seconds"
    );
    let started = std::time::Instant::now();
    let reports = resolve_kinds(store.as_mut(), &kinds, &options).context("resolving")?;
    for (kind, report) in kinds.iter().zip(reports) {
        let seconds: f64 = report
            .phase_times
            .iter()
            .map(|(_, t)| t.as_secs_f64())
            .sum();
        match &report.mode {
            Mode::UpToDate => println!(
                "{:<13} {:>10} {:>10} {:>8} {:>8} {:>9}  up to date",
                kind.name, report.records, report.subjects, "-", "-", "-"
            ),
            Mode::Full { reason } => println!(
                "{:<13} {:>10} {:>10} {:>8} {:>8} {:>9.2}  full ({reason})",
                kind.name,
                report.records,
                report.subjects,
                report.multi_record_subjects,
                report.ids_minted,
                seconds
            ),
            Mode::Incremental {
                added,
                founded,
                merged,
            } => println!(
                "{:<13} {:>10} {:>10} {:>8} {:>8} {:>9.2}  incremental ({added} new records: \
                 {founded} founded subjects, {merged} subjects merged)",
                kind.name, report.records, report.subjects, "-", report.ids_minted, seconds
            ),
        }
        if report.judgements_used + report.judgements_unmatched > 0 {
            println!(
                "{:<13} {} judgements honoured, {} name a record not live in this kind",
                "", report.judgements_used, report.judgements_unmatched
            );
        }
    }
    println!(
        "subjects reflect log position {} ({:.2} s in all; loading counted once per kind)",
        store.log_position().unwrap_or(0),
        started.elapsed().as_secs_f64()
    );
    // Subjects just changed: operations of two agencies may now work one of them.
    let mut policy = corridor_policy::PolicyStore::open(store.as_mut())?;
    let d = policy.deconflict(&crate::sharing::origin(), store_now())?;
    if d.operations > 0 {
        println!(
            "deconfliction: {} overlaps between agencies' operations, {} notices written, {} \
             sides not told (no discovery)",
            d.overlaps, d.notices_written, d.withheld
        );
    }
    Ok(0)
}

fn store_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `corridor judge`.
pub fn judge(args: JudgeArgs) -> Result<u8> {
    let same = match args.verdict.as_str() {
        "same" => true,
        "different" => false,
        other => {
            eprintln!("error: the verdict is 'same' or 'different', not '{other}'");
            return Ok(EXIT_USAGE);
        }
    };
    let (Some(a), Some(b)) = (parse_record(&args.a), parse_record(&args.b)) else {
        eprintln!("error: records are written ORIGINATOR/RECORD_ID");
        return Ok(EXIT_USAGE);
    };
    let mut store = open_store(&args.store.store)?;
    for key in [&a, &b] {
        match store.head(&key.originator, &key.record_id)? {
            Some(v) if !v.tombstone => {}
            Some(_) => {
                eprintln!("error: {key} is retracted");
                return Ok(EXIT_USAGE);
            }
            None => {
                eprintln!("error: no record {key} in the store");
                return Ok(EXIT_USAGE);
            }
        }
    }
    if args.reason.trim().is_empty() {
        eprintln!("error: --reason must say why");
        return Ok(EXIT_USAGE);
    }
    let id = store.add_judgement(&NewJudgement {
        a: a.clone(),
        b: b.clone(),
        same,
        analyst: args.analyst,
        reason: args.reason,
    })?;
    println!(
        "judgement {id}: {a} and {b} are {}",
        if same { "the same" } else { "different" }
    );
    for key in [&a, &b] {
        match store.subject_of(key)? {
            Some(m) => println!("  {key} is in subject {} until then", m.subject_id),
            None => println!("  {key} is not resolved yet"),
        }
    }
    println!("run `corridor resolve` to apply it");
    Ok(0)
}

/// `corridor subject`.
pub fn subject(args: SubjectArgs) -> Result<u8> {
    let mut store = open_store(&args.store.store)?;
    let subject_id = match parse_record(&args.what) {
        Some(key) => match store.subject_of(&key)? {
            Some(m) => m.subject_id,
            None => bail!("{key} is in no subject (not in the store, or not resolved yet)"),
        },
        _ => args.what.clone(),
    };
    let members = store.subject_members(&subject_id)?;
    if members.is_empty() {
        bail!("no subject {subject_id}");
    }
    let mut rows = Vec::new();
    for m in &members {
        let head = store.head(&m.record.originator, &m.record.record_id)?;
        let (schema, name) = match &head {
            Some(v) => (v.record.schema.clone(), display_name(&v.record.properties)),
            None => (String::new(), String::new()),
        };
        rows.push((m, schema, name));
    }
    if args.json {
        let out: Vec<serde_json::Value> = rows
            .iter()
            .map(|(m, schema, name)| {
                serde_json::json!({
                    "record": m.record.to_string(),
                    "schema": schema,
                    "name": name,
                    "via": m.via.as_ref().map(|(k, _)| k.to_string()),
                    "weight": m.via.as_ref().map(|(_, w)| *w),
                })
            })
            .collect();
        let doc = serde_json::json!({
            "subject": subject_id,
            "kind": members[0].kind,
            "records": out,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(0);
    }
    println!(
        "subject {subject_id} ({}), {} records",
        members[0].kind,
        members.len()
    );
    for (m, schema, name) in rows {
        let via = match &m.via {
            Some((k, w)) => format!("linked to {k} at weight {w:.1}"),
            None => String::new(),
        };
        println!(
            "  {:<32} {:<10} {:<36} {via}",
            m.record.to_string(),
            schema,
            name
        );
    }
    Ok(0)
}

/// What to call a record in a listing: its name, else given and family names, else its
/// number or plate.
fn display_name(props: &std::collections::BTreeMap<String, Vec<String>>) -> String {
    let first = |k: &str| props.get(k).and_then(|v| v.first()).cloned();
    if let Some(n) = first("name") {
        return n;
    }
    let parts: Vec<String> = ["firstName", "lastName"]
        .iter()
        .filter_map(|k| first(k))
        .collect();
    if !parts.is_empty() {
        return parts.join(" ");
    }
    [
        "number",
        "registrationNumber",
        "iban",
        "imoNumber",
        "accountNumber",
    ]
    .iter()
    .find_map(|k| first(k))
    .unwrap_or_default()
}

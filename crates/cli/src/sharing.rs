//! The sharing workflow on the command line: agencies and users (the store administrator's
//! commands), login, hit / no-hit search, reading, requests and answers, grants, operations and
//! deconfliction (runs and notices), and review and retention. Everything goes through `corridor_policy::PolicyStore`;
//! every act is audited there.
//!
//! Users authenticate with `--user U --password-file F` or `--token-file F` (a token from
//! `corridor login`): never with a password on the command line, where other users of the
//! machine could read it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use corridor_policy::review::{day_of, parse_day};
use corridor_policy::{
    Access, Agency, Answer, Context, EuCeiling, HandlingCeiling, NewGrant, NewOperation,
    NoticeCause, PolicyStore, Query, Retention, Role, Scope, TlpCeiling, User,
};
use corridor_store::RecordKey;

use crate::{StoreArg, open_store};

/// Bytes of a password or token file read at most (a password is at most
/// `PASSWORD_BYTES_MAX`; anything longer is not one of ours).
const SECRET_FILE_BYTES_MAX: u64 = corridor_policy::PASSWORD_BYTES_MAX as u64 + 2;
/// Default lifetime of a token from `corridor login`, in hours.
const TOKEN_HOURS_DEFAULT: i64 = 8;
/// Default lifetime of a grant or an approval, in days.
const GRANT_DAYS_DEFAULT: i64 = 90;
/// Longest grant or approval the command line makes, in days.
const GRANT_DAYS_MAX: i64 = 366;

/// How a user proves who they are.
#[derive(clap::Args, Clone)]
pub struct AuthArg {
    /// The acting user (with --password-file).
    #[arg(long = "user", visible_alias = "as", env = "CORRIDOR_USER")]
    user: Option<String>,
    /// A file holding the user's password (first line).
    #[arg(long, requires = "user", conflicts_with = "token_file")]
    password_file: Option<PathBuf>,
    /// A file holding a token from `corridor login`.
    #[arg(long, env = "CORRIDOR_TOKEN_FILE")]
    token_file: Option<PathBuf>,
}

/// The sharing commands, flattened into `corridor`'s own.
#[derive(clap::Subcommand)]
pub enum SharingCommand {
    /// Register agencies (the store administrator's command).
    Agency {
        #[command(subcommand)]
        command: AgencyCommand,
    },
    /// Register users, set passwords, suspend accounts (the store administrator's command).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check a password and write a token for --token-file (stdout without --out).
    #[command(
        after_help = "Example:\n  corridor login --user uk.analyst --password-file pw.txt --out uk.token\n  corridor search --token-file uk.token --name 'Мухамед Ахмади' --justification 'Operation Kestrel'"
    )]
    Login {
        #[command(flatten)]
        store: StoreArg,
        #[arg(long = "user", visible_alias = "as")]
        user: String,
        #[arg(long)]
        password_file: PathBuf,
        /// Token lifetime in hours.
        #[arg(long, default_value_t = TOKEN_HOURS_DEFAULT)]
        hours: i64,
        /// Where to write the token (refuses to overwrite; readable by its owner only).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Hit / no-hit search across agencies: records you may read, and per agency that allows
    /// discovery a hit without content (count, band, gradings, whom to ask, a hit reference).
    #[command(
        after_help = "Example:\n  corridor search --as uk.analyst --password-file pw.txt --name 'Мухамед Ахмади' \\\n      --justification 'Operation Kestrel: arrivals at Dover'"
    )]
    Search {
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        auth: AuthArg,
        #[arg(long)]
        name: Option<String>,
        /// Full or partial date of birth (1987, 1987-05, 1987-05-14).
        #[arg(long)]
        birth_date: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        plate: Option<String>,
        /// A passport, identity card or other document number.
        #[arg(long)]
        document: Option<String>,
        /// Why you search (audited; required).
        #[arg(long)]
        justification: String,
        /// Print the answer as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read a record (ORIGINATOR/ID) with the conditions that travel with it.
    Read {
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        auth: AuthArg,
        record: String,
        #[arg(long)]
        justification: String,
    },
    /// Ask the originator of a hit to disclose it.
    Request {
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        auth: AuthArg,
        /// The hit reference from `corridor search`.
        hit: String,
        #[arg(long)]
        justification: String,
    },
    /// Requests to answer (supervisors of the originator) and your own.
    Requests {
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        auth: AuthArg,
    },
    /// Answer a request to your agency: approve (all records), partial (--record …), refuse.
    #[command(
        after_help = "Example:\n  corridor answer R-1a2b… approve --as rs.supervisor --password-file pw.txt \\\n      --condition 'Intelligence only; not for court without RS_BP consent' --days 30"
    )]
    Answer {
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        auth: AuthArg,
        request: String,
        decision: Decision,
        /// Conditions that travel with every disclosure (approve, partial).
        #[arg(long)]
        condition: Option<String>,
        /// Records to disclose (partial).
        #[arg(long)]
        record: Vec<String>,
        /// Days the disclosure grant runs (approve, partial).
        #[arg(long, default_value_t = GRANT_DAYS_DEFAULT)]
        days: i64,
        /// Why (refuse).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Grant a partner agency access to your agency's records.
    #[command(
        after_help = "Examples:\n  corridor grant --to UK_NCA --discovery --schema Person --as rs.supervisor --password-file pw.txt\n  corridor grant --to UK_NCA --record rs-2291 --user uk.analyst --condition 'no court use'\n  corridor grant --to UK_NCA --operation kestrel --record rs-2291 --record rs-2292\n  corridor grant --to UK_NCA --standing --schema Person --europol H1 --tlp GREEN"
    )]
    Grant {
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        auth: AuthArg,
        /// The recipient agency.
        #[arg(long)]
        to: String,
        /// Only these users of the recipient (TLP:RED needs it).
        #[arg(long = "named-user")]
        named_users: Vec<String>,
        /// Records of yours (one: a record grant; with --operation: an operation grant).
        #[arg(long)]
        record: Vec<String>,
        /// An operation: the recipient's users assigned to it see --record records.
        #[arg(long, conflicts_with_all = ["standing", "discovery"])]
        operation: Option<String>,
        /// A standing agreement on --schema records up to the handling ceilings given.
        #[arg(long, conflicts_with = "discovery")]
        standing: bool,
        /// Discovery only: the recipient's searches learn of --schema records, no content.
        #[arg(long)]
        discovery: bool,
        #[arg(long)]
        schema: Vec<String>,
        /// Standing: UK 3x5x2 records with handling P are covered.
        #[arg(long)]
        uk_permitted: bool,
        /// Standing: Europol handling ceiling (H0, H1, H3).
        #[arg(long)]
        europol: Option<String>,
        /// Standing: TLP ceiling (CLEAR, GREEN, AMBER).
        #[arg(long)]
        tlp: Option<String>,
        #[arg(long)]
        condition: Option<String>,
        #[arg(long, default_value_t = GRANT_DAYS_DEFAULT)]
        days: i64,
    },
    /// Revoke a grant of your agency.
    Revoke {
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        auth: AuthArg,
        grant: String,
    },
    /// Your agency's operations: register one, set the records it works, list them.
    Operation {
        #[command(subcommand)]
        command: OperationCommand,
    },
    /// Find operations of different agencies working one resolved subject (or sharing a
    /// phone, vehicle, vessel or account) and notify both owners, as far as each side's
    /// discovery grants allow (the store administrator's command); prints what it found.
    #[command(
        after_help = "Example:\n  corridor resolve --store corridor.db\n  corridor deconflict --store corridor.db"
    )]
    Deconflict {
        #[command(flatten)]
        store: StoreArg,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Deconfliction notices: an operation's search met another agency's records, or two
    /// agencies' operations work one subject.
    Notices {
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        auth: AuthArg,
    },
    /// Review and retention: records due, decisions to retain, the sweep that hides and erases.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Decision {
    Approve,
    Partial,
    Refuse,
}

#[derive(clap::Subcommand)]
pub enum AgencyCommand {
    /// Add or replace an agency, with its retention rules.
    Add {
        #[command(flatten)]
        store: StoreArg,
        /// The agency code records carry (RS_BP).
        code: String,
        /// ISO 3166 alpha-2, lower case.
        #[arg(long)]
        country: String,
        #[arg(long)]
        name: String,
        /// Whom partners ask for disclosure.
        #[arg(long)]
        contact: String,
        /// Review period: how far ahead a decision to retain may set a record's review date.
        #[arg(long, default_value_t = corridor_policy::review::REVIEW_DAYS_DEFAULT)]
        review_days: u32,
        /// Days a record stays hidden past its review date before it is erased.
        #[arg(long, default_value_t = corridor_policy::review::GRACE_DAYS_DEFAULT)]
        grace_days: u32,
        /// Days before the review date from which a record is listed as due.
        #[arg(long, default_value_t = corridor_policy::review::REMIND_DAYS_DEFAULT)]
        remind_days: u32,
        /// Hours a disclosure request may wait for an answer before the agency's supervisors
        /// are reminded (in `notices`).
        #[arg(long, default_value_t = corridor_policy::review::REQUEST_REMIND_HOURS_DEFAULT)]
        request_remind_hours: u32,
    },
    /// List agencies and their retention rules.
    List {
        #[command(flatten)]
        store: StoreArg,
    },
}

#[derive(clap::Subcommand)]
pub enum UserCommand {
    /// Add or replace a user.
    Add {
        #[command(flatten)]
        store: StoreArg,
        id: String,
        #[arg(long)]
        agency: String,
        /// analyst, investigator, supervisor, auditor, admin (repeat for several).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Operations the user is assigned to (repeat for several).
        #[arg(long = "operation")]
        operations: Vec<String>,
        /// Set the password from this file too.
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// Set a user's password from a file.
    Passwd {
        #[command(flatten)]
        store: StoreArg,
        id: String,
        #[arg(long)]
        password_file: PathBuf,
    },
    /// Suspend a user: every decision then treats them as unknown, and their tokens stop.
    Suspend {
        #[command(flatten)]
        store: StoreArg,
        id: String,
    },
}

#[derive(clap::Subcommand)]
pub enum OperationCommand {
    /// Register an operation of your agency, or change its name, owner and contact
    /// (supervisors and administrators register; they or the owner change it).
    #[command(
        after_help = "Example:\n  corridor operation add drina --name 'Operation Drina' --owner rs.analyst \\\n      --contact 'DI Jovanovic, +381 11 000 0001' --as rs.supervisor --password-file pw.txt"
    )]
    Add {
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        auth: AuthArg,
        id: String,
        #[arg(long)]
        name: String,
        /// The user who runs it (a user of your agency).
        #[arg(long)]
        owner: String,
        /// Whom a partner calls about it: shown to the other side of an overlap.
        #[arg(long)]
        contact: String,
    },
    /// Add (--record) or drop (--remove) records of your agency the operation works.
    Target {
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        auth: AuthArg,
        id: String,
        /// A record id of your agency to add.
        #[arg(long)]
        record: Vec<String>,
        /// A record id to drop.
        #[arg(long)]
        remove: Vec<String>,
    },
    /// Your agency's operations.
    List {
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        auth: AuthArg,
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Subcommand)]
pub enum ReviewCommand {
    /// Your agency's records whose review date falls within --within-days or has passed.
    Due {
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        auth: AuthArg,
        /// The originating agency (your own; only its supervisors review).
        #[arg(long)]
        agency: Option<String>,
        #[arg(long, default_value_t = corridor_policy::review::REMIND_DAYS_DEFAULT)]
        within_days: u32,
    },
    /// Keep a record (ORIGINATOR/ID) until a later review date.
    Retain {
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        auth: AuthArg,
        record: String,
        /// The new review date, YYYY-MM-DD.
        #[arg(long)]
        until: String,
        #[arg(long)]
        reason: String,
    },
    /// Hide records past their review date and erase those past the grace period too (the
    /// store administrator's command); prints what it did.
    Sweep {
        #[command(flatten)]
        store: StoreArg,
        /// The day to sweep as of (YYYY-MM-DD or RFC 3339; default now).
        #[arg(long)]
        now: Option<String>,
    },
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Where an act comes from, for the audit log: the command line and the operating-system user.
pub(crate) fn origin() -> String {
    let who: String = std::env::var("USER")
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(64)
        .collect();
    format!("cli:{who}")
}

/// The first line of a small secret file, without its line ending.
fn read_secret(path: &Path, what: &str) -> Result<String> {
    let mut text = String::new();
    let n = std::fs::File::open(path)
        .with_context(|| format!("opening the {what} file {}", path.display()))?
        .take(SECRET_FILE_BYTES_MAX + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("reading the {what} file {}", path.display()))?;
    if n as u64 > SECRET_FILE_BYTES_MAX {
        bail!(
            "{}: a {what} file holds at most {SECRET_FILE_BYTES_MAX} bytes",
            path.display()
        );
    }
    let line = text.lines().next().unwrap_or("").to_owned();
    if line.is_empty() {
        bail!("{}: the {what} file is empty", path.display());
    }
    Ok(line)
}

/// Writes a secret to a new file only its owner can read.
fn write_secret(path: &Path, secret: &str) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    writeln!(f, "{secret}").with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The authenticated user's context for one act at `now`.
fn authenticate(policy: &mut PolicyStore<'_>, auth: &AuthArg, now: i64) -> Result<Context> {
    let origin = origin();
    let user = match (&auth.token_file, &auth.password_file, &auth.user) {
        (Some(path), _, claimed) => {
            let token = read_secret(path, "token")?;
            let Some(user) = policy.authenticate(&token, now)? else {
                bail!(
                    "the token in {} is unknown, expired or revoked, or its user is suspended",
                    path.display()
                );
            };
            if let Some(c) = claimed
                && *c != user
            {
                bail!("the token is {user}'s, not {c}'s");
            }
            user
        }
        (None, Some(path), Some(user)) => {
            let password = read_secret(path, "password")?;
            policy.check_password(&origin, user, &password, now)?;
            user.clone()
        }
        _ => bail!(
            "authenticate with --user U --password-file F, or --token-file F (from corridor login)"
        ),
    };
    Ok(Context { user, origin, now })
}

fn parse_record(text: &str) -> Result<RecordKey> {
    match text.split_once('/') {
        Some((o, r)) if !o.is_empty() && !r.is_empty() => Ok(RecordKey::new(o, r)),
        _ => bail!("record '{text}' must be ORIGINATOR/ID, e.g. RS_BP/rs-2291"),
    }
}

fn parse_role(text: &str) -> Result<Role> {
    serde_json::from_value(serde_json::Value::String(text.to_ascii_lowercase())).map_err(|_| {
        anyhow::anyhow!("role '{text}' is not analyst, investigator, supervisor, auditor or admin")
    })
}

/// Unix seconds of `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM:SSZ`.
fn parse_time(text: &str) -> Result<i64> {
    let day = text.get(..10).and_then(parse_day).with_context(|| {
        format!("--now '{text}' is not a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM:SSZ")
    })?;
    let rest = &text[10..];
    if rest.is_empty() {
        return Ok(day * 86_400);
    }
    let b = rest.as_bytes();
    let ok = b.len() == 10 && b[0] == b'T' && b[3] == b':' && b[6] == b':' && b[9] == b'Z';
    let field = |r: std::ops::Range<usize>, max: i64| {
        rest.get(r)
            .and_then(|s| s.parse::<i64>().ok())
            .filter(|v| (0..=max).contains(v))
    };
    match (ok, field(1..3, 23), field(4..6, 59), field(7..9, 59)) {
        (true, Some(h), Some(m), Some(s)) => Ok(day * 86_400 + h * 3_600 + m * 60 + s),
        _ => bail!("--now '{text}' is not a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM:SSZ"),
    }
}

fn expiry(now: i64, days: i64) -> Result<i64> {
    if !(1..=GRANT_DAYS_MAX).contains(&days) {
        bail!("--days must be 1 to {GRANT_DAYS_MAX}");
    }
    Ok(now + days * 86_400)
}

fn scope(
    record: Vec<String>,
    operation: Option<String>,
    standing: bool,
    discovery: bool,
    schema: Vec<String>,
    ceiling: HandlingCeiling,
) -> Result<Scope> {
    if discovery || standing {
        if schema.is_empty() {
            bail!("--standing and --discovery need at least one --schema");
        }
        if !record.is_empty() {
            bail!("--standing and --discovery cover schemata, not --record");
        }
        return Ok(if discovery {
            Scope::Discovery { schemata: schema }
        } else {
            Scope::Standing {
                schemata: schema,
                ceiling,
            }
        });
    }
    match (operation, record.len()) {
        (Some(operation), 1..) => Ok(Scope::Operation {
            operation,
            record_ids: record,
        }),
        (None, 1) => Ok(Scope::Record {
            record_id: record.into_iter().next().unwrap_or_default(),
        }),
        (None, 2..) => bail!("several records: name an --operation, or grant one at a time"),
        _ => bail!(
            "say what to grant: --record, --operation with --record, --standing or --discovery"
        ),
    }
}

fn ceiling(
    uk_permitted: bool,
    europol: Option<String>,
    tlp: Option<String>,
) -> Result<HandlingCeiling> {
    let europol = europol
        .map(|e| match e.to_ascii_uppercase().as_str() {
            "H0" => Ok(EuCeiling::H0),
            "H1" => Ok(EuCeiling::H1),
            "H3" => Ok(EuCeiling::H3),
            _ => bail!("--europol '{e}': a standing agreement reaches H0, H1 or H3 (H2 never)"),
        })
        .transpose()?;
    let tlp = tlp
        .map(|t| match t.to_ascii_uppercase().as_str() {
            "CLEAR" => Ok(TlpCeiling::Clear),
            "GREEN" => Ok(TlpCeiling::Green),
            "AMBER" => Ok(TlpCeiling::Amber),
            _ => bail!("--tlp '{t}': a standing agreement reaches CLEAR, GREEN or AMBER"),
        })
        .transpose()?;
    Ok(HandlingCeiling {
        uk_permitted,
        europol,
        tlp,
    })
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Runs a sharing command.
pub fn run(command: SharingCommand) -> Result<u8> {
    let now = unix_now();
    match command {
        SharingCommand::Agency { command } => match command {
            AgencyCommand::Add {
                store,
                code,
                country,
                name,
                contact,
                review_days,
                grace_days,
                remind_days,
                request_remind_hours,
            } => {
                let mut s = open_store(&store.store)?;
                let mut policy = PolicyStore::open(s.as_mut())?;
                let origin = origin();
                policy.register_agency(
                    &origin,
                    Agency {
                        code: code.clone(),
                        country,
                        name,
                        contact,
                    },
                    now,
                )?;
                policy.set_retention(
                    &origin,
                    Retention {
                        agency: code.clone(),
                        review_days,
                        grace_days,
                        remind_days,
                        request_remind_hours,
                    },
                    now,
                )?;
                println!(
                    "agency {code}: review period {review_days} days, grace {grace_days} days, reminders {remind_days} days ahead, requests reminded after {request_remind_hours} h"
                );
                Ok(0)
            }
            AgencyCommand::List { store } => {
                let mut s = open_store(&store.store)?;
                let policy = PolicyStore::open(s.as_mut())?;
                for a in policy.directory().agencies() {
                    let r = policy.retention(&a.code);
                    println!(
                        "{}\t{}\t{}\t{}\treview {}d grace {}d remind {}d requests {}h",
                        a.code,
                        a.country,
                        a.name,
                        a.contact,
                        r.review_days,
                        r.grace_days,
                        r.remind_days,
                        r.request_remind_hours
                    );
                }
                Ok(0)
            }
        },
        SharingCommand::User { command } => {
            let (store, id) = match &command {
                UserCommand::Add { store, id, .. }
                | UserCommand::Passwd { store, id, .. }
                | UserCommand::Suspend { store, id } => (store.clone(), id.clone()),
            };
            let mut s = open_store(&store.store)?;
            let mut policy = PolicyStore::open(s.as_mut())?;
            let origin = origin();
            match command {
                UserCommand::Add {
                    agency,
                    roles,
                    operations,
                    password_file,
                    ..
                } => {
                    let roles = roles
                        .iter()
                        .map(|r| parse_role(r))
                        .collect::<Result<Vec<_>>>()?;
                    policy.register_user(
                        &origin,
                        User {
                            id: id.clone(),
                            agency,
                            roles,
                            operations,
                            active: true,
                        },
                        now,
                    )?;
                    if let Some(path) = password_file {
                        let pw = read_secret(&path, "password")?;
                        policy.set_password(&origin, &id, &pw, now)?;
                    }
                    println!("user {id} registered");
                }
                UserCommand::Passwd { password_file, .. } => {
                    let pw = read_secret(&password_file, "password")?;
                    policy.set_password(&origin, &id, &pw, now)?;
                    println!("password of {id} set");
                }
                UserCommand::Suspend { .. } => {
                    let Some(mut user) = policy.directory().users().find(|u| u.id == id).cloned()
                    else {
                        bail!("no user '{id}'");
                    };
                    user.active = false;
                    policy.register_user(&origin, user, now)?;
                    println!("user {id} suspended");
                }
            }
            Ok(0)
        }
        SharingCommand::Login {
            store,
            user,
            password_file,
            hours,
            out,
        } => {
            let password = read_secret(&password_file, "password")?;
            let mut s = open_store(&store.store)?;
            let mut policy = PolicyStore::open(s.as_mut())?;
            let seconds = hours.checked_mul(3_600).unwrap_or(i64::MAX);
            let token = policy.login(&origin(), &user, &password, seconds, now)?;
            match out {
                Some(path) => {
                    write_secret(&path, &token)?;
                    eprintln!("token for {user} written to {} ({hours} h)", path.display());
                }
                None => println!("{token}"),
            }
            Ok(0)
        }
        SharingCommand::Search {
            store,
            auth,
            name,
            birth_date,
            phone,
            plate,
            document,
            justification,
            json,
        } => {
            let mut s = open_store(&store.store)?;
            let mut policy = PolicyStore::open(s.as_mut())?;
            let ctx = authenticate(&mut policy, &auth, now)?;
            let query = Query {
                name,
                date_of_birth: birth_date,
                phone,
                plate,
                document,
            };
            let answer = policy.search(&ctx, &query, &justification)?;
            if json {
                print_json(&answer)?;
                return Ok(0);
            }
            if answer.readable.is_empty() && answer.hits.is_empty() {
                println!("no hit");
            }
            let keys: Vec<RecordKey> = answer.readable.iter().map(|(k, _)| k.clone()).collect();
            let subjects = policy.subject_ids(&keys)?;
            for ((key, band), subject) in answer.readable.iter().zip(subjects) {
                match subject {
                    Some(s) => println!("readable {key} ({}), subject {s}", band_text(*band)),
                    None => println!("readable {key} ({})", band_text(*band)),
                }
            }
            for h in &answer.hits {
                println!(
                    "hit {} at {} ({}): {} record(s), {}, graded {}; ask {}",
                    h.hit_ref,
                    h.agency,
                    h.agency_name,
                    h.records,
                    band_text(h.band),
                    h.gradings.join(", "),
                    h.contact
                );
            }
            println!("audit entry {}", answer.audit_seq);
            Ok(0)
        }
        SharingCommand::Read {
            store,
            auth,
            record,
            justification,
        } => {
            let key = parse_record(&record)?;
            let mut s = open_store(&store.store)?;
            let mut policy = PolicyStore::open(s.as_mut())?;
            let ctx = authenticate(&mut policy, &auth, now)?;
            match policy.read(&ctx, &key, &justification)? {
                Access::Disclosed(d) => {
                    print_json(&serde_json::json!({
                        "record": key.to_string(),
                        "schema": d.record().schema,
                        "properties": d.record().properties,
                        "grading": d.envelope().grading.to_string(),
                        "review_by": d.envelope().review_by,
                        "conditions": d.conditions(),
                        "audit_seq": d.audit_seq(),
                    }))?;
                    Ok(0)
                }
                Access::HitOnly {
                    agency,
                    contact,
                    grading,
                } => {
                    println!(
                        "hit only: {agency} holds it ({grading}); ask {contact} with corridor request"
                    );
                    Ok(0)
                }
                Access::Denied => {
                    println!("no such record, or no access");
                    Ok(0)
                }
            }
        }
        SharingCommand::Request {
            store,
            auth,
            hit,
            justification,
        } => {
            let mut s = open_store(&store.store)?;
            let mut policy = PolicyStore::open(s.as_mut())?;
            let ctx = authenticate(&mut policy, &auth, now)?;
            let r = policy.request(&ctx, &hit, &justification)?;
            println!("request {} sent to {}", r.id, r.originator);
            Ok(0)
        }
        SharingCommand::Requests { store, auth } => {
            let mut s = open_store(&store.store)?;
            let mut policy = PolicyStore::open(s.as_mut())?;
            let ctx = authenticate(&mut policy, &auth, now)?;
            let requests = policy.requests(&ctx)?;
            if requests.is_empty() {
                println!("no requests");
            }
            for r in requests {
                println!(
                    "{}\t{}{}\tfrom {} ({})\tto {}\t{}\t{}",
                    r.id,
                    status_text(&r.status),
                    if r.overdue { " (overdue)" } else { "" },
                    r.requester,
                    r.requester_agency,
                    r.originator,
                    corridor_store::format_unix_seconds(r.at),
                    r.justification
                );
            }
            Ok(0)
        }
        SharingCommand::Answer {
            store,
            auth,
            request,
            decision,
            condition,
            record,
            days,
            reason,
        } => {
            let answer = match decision {
                Decision::Approve | Decision::Partial => {
                    let conditions = condition.unwrap_or_default();
                    let expires_at = expiry(now, days)?;
                    if matches!(decision, Decision::Approve) {
                        if !record.is_empty() {
                            bail!(
                                "approve covers every record of the request; use partial with --record"
                            );
                        }
                        Answer::Approve {
                            conditions,
                            expires_at,
                        }
                    } else {
                        Answer::Partial {
                            record_ids: record,
                            conditions,
                            expires_at,
                        }
                    }
                }
                Decision::Refuse => Answer::Refuse {
                    reason: reason.context("refuse needs --reason")?,
                },
            };
            let mut s = open_store(&store.store)?;
            let mut policy = PolicyStore::open(s.as_mut())?;
            let ctx = authenticate(&mut policy, &auth, now)?;
            let r = policy.answer(&ctx, &request, answer)?;
            println!("request {}: {}", r.id, status_text(&r.status));
            Ok(0)
        }
        SharingCommand::Grant {
            store,
            auth,
            to,
            named_users,
            record,
            operation,
            standing,
            discovery,
            schema,
            uk_permitted,
            europol,
            tlp,
            condition,
            days,
        } => {
            let ceiling = ceiling(uk_permitted, europol, tlp)?;
            let expires_at = expiry(now, days)?;
            let mut s = open_store(&store.store)?;
            let mut policy = PolicyStore::open(s.as_mut())?;
            let ctx = authenticate(&mut policy, &auth, now)?;
            let grantor = policy
                .directory()
                .principal(&ctx.user)
                .map(|p| p.agency.code.clone())
                .unwrap_or_default();
            let keys: Vec<RecordKey> = record
                .iter()
                .map(|r| RecordKey::new(grantor.as_str(), r.as_str()))
                .collect();
            let scope = scope(record, operation, standing, discovery, schema, ceiling)?;
            let g = policy.grant(
                &ctx,
                &keys,
                NewGrant {
                    recipient: to,
                    named_users,
                    scope,
                    conditions: condition.unwrap_or_default(),
                    expires_at,
                },
            )?;
            println!(
                "grant {} from {} to {} until {}",
                g.id,
                g.grantor,
                g.recipient,
                corridor_store::format_unix_seconds(g.expires_at)
            );
            Ok(0)
        }
        SharingCommand::Revoke { store, auth, grant } => {
            let mut s = open_store(&store.store)?;
            let mut policy = PolicyStore::open(s.as_mut())?;
            let ctx = authenticate(&mut policy, &auth, now)?;
            policy.revoke(&ctx, &grant)?;
            println!("grant {grant} revoked");
            Ok(0)
        }
        SharingCommand::Notices { store, auth } => {
            let mut s = open_store(&store.store)?;
            let mut policy = PolicyStore::open(s.as_mut())?;
            let ctx = authenticate(&mut policy, &auth, now)?;
            let notices = policy.notices(&ctx)?;
            if notices.is_empty() {
                println!("no notices");
            }
            for n in notices {
                if n.cause == NoticeCause::RequestWaiting {
                    println!(
                        "{}\t{}\treminder: {} ({}) asked for {} record(s), {}; answer with `corridor answer {}`",
                        n.id,
                        corridor_store::format_unix_seconds(n.at),
                        n.searcher,
                        n.searching_agency,
                        n.record_ids.len(),
                        n.overlap,
                        n.id
                    );
                    continue;
                }
                if n.cause == NoticeCause::Deconfliction {
                    println!(
                        "{}\t{}\toperation {} ({}) and an operation of {} work {} ({}): call {}",
                        n.id,
                        corridor_store::format_unix_seconds(n.at),
                        n.operations.join(", "),
                        n.searcher,
                        n.holding_agency,
                        n.subject_id,
                        n.overlap,
                        n.contact
                    );
                    continue;
                }
                println!(
                    "{}\t{}\t{} ({}) searching for {} met {}{}",
                    n.id,
                    corridor_store::format_unix_seconds(n.at),
                    n.searcher,
                    n.searching_agency,
                    n.operations.join(", "),
                    n.holding_agency,
                    if n.record_ids.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", n.record_ids.join(", "))
                    }
                );
            }
            Ok(0)
        }
        SharingCommand::Operation { command } => operation(command, now),
        SharingCommand::Deconflict { store, json } => {
            let mut s = open_store(&store.store)?;
            let mut policy = PolicyStore::open(s.as_mut())?;
            let report = policy.deconflict(&origin(), now)?;
            if json {
                print_json(&report)?;
                return Ok(0);
            }
            println!(
                "deconfliction: {} operations, {} target records, {} overlaps between agencies; \
                 {} notices written, {} already given, {} sides not told (no discovery)",
                report.operations,
                report.targets,
                report.overlaps,
                report.notices_written,
                report.notices_existing,
                report.withheld
            );
            if report.skipped > 0 {
                println!("{} stored operations did not load", report.skipped);
            }
            if report.pending > 0 {
                println!("{} notices wait for the next run", report.pending);
            }
            Ok(0)
        }
        SharingCommand::Review { command } => match command {
            ReviewCommand::Due {
                store,
                auth,
                agency,
                within_days,
            } => {
                let mut s = open_store(&store.store)?;
                let mut policy = PolicyStore::open(s.as_mut())?;
                let ctx = authenticate(&mut policy, &auth, now)?;
                let due = policy.review_due(&ctx, agency.as_deref(), within_days)?;
                if due.is_empty() {
                    println!("nothing due within {within_days} days");
                }
                for d in due {
                    println!(
                        "{}\t{}\treview by {}\t{}",
                        d.key,
                        d.schema,
                        d.review_by,
                        serde_json::to_value(d.state)?.as_str().unwrap_or_default()
                    );
                }
                Ok(0)
            }
            ReviewCommand::Retain {
                store,
                auth,
                record,
                until,
                reason,
            } => {
                let key = parse_record(&record)?;
                let mut s = open_store(&store.store)?;
                let mut policy = PolicyStore::open(s.as_mut())?;
                let ctx = authenticate(&mut policy, &auth, now)?;
                let d = policy.retain(&ctx, &key, &until, &reason)?;
                println!("{key} retained until {}", d.until);
                Ok(0)
            }
            ReviewCommand::Sweep { store, now: at } => {
                let at = match at {
                    Some(t) => parse_time(&t)?,
                    None => now,
                };
                let mut s = open_store(&store.store)?;
                let mut policy = PolicyStore::open(s.as_mut())?;
                let report = policy.sweep(&origin(), at)?;
                println!(
                    "sweep as of {}: {} hidden, {} erased",
                    corridor_policy::review::format_day(day_of(at)),
                    report.hidden.len(),
                    report.erased.len()
                );
                for (key, date) in &report.hidden {
                    println!("hidden {key} (review date {date} passed)");
                }
                for (key, versions, seq) in &report.erased {
                    println!("erased {key}: {versions} version(s), audit entry {seq}");
                }
                if report.more {
                    println!("more records are due than one sweep handles: run it again");
                }
                Ok(0)
            }
        },
    }
}

fn operation(command: OperationCommand, now: i64) -> Result<u8> {
    match command {
        OperationCommand::Add {
            store,
            auth,
            id,
            name,
            owner,
            contact,
        } => {
            let mut s = open_store(&store.store)?;
            let mut policy = PolicyStore::open(s.as_mut())?;
            let ctx = authenticate(&mut policy, &auth, now)?;
            let op = policy.register_operation(
                &ctx,
                NewOperation {
                    id,
                    name,
                    owner,
                    contact,
                },
            )?;
            println!(
                "operation {} of {} ({}), owner {}, {} target records",
                op.id,
                op.agency,
                op.name,
                op.owner,
                op.targets.len()
            );
            Ok(0)
        }
        OperationCommand::Target {
            store,
            auth,
            id,
            record,
            remove,
        } => {
            if record.is_empty() && remove.is_empty() {
                bail!("name records to add (--record) or drop (--remove)");
            }
            let mut s = open_store(&store.store)?;
            let mut policy = PolicyStore::open(s.as_mut())?;
            let ctx = authenticate(&mut policy, &auth, now)?;
            let op = policy.operation_targets(&ctx, &id, &record, &remove)?;
            println!(
                "operation {} works {} records: {}",
                op.id,
                op.targets.len(),
                op.targets.join(", ")
            );
            Ok(0)
        }
        OperationCommand::List { store, auth, json } => {
            let mut s = open_store(&store.store)?;
            let mut policy = PolicyStore::open(s.as_mut())?;
            let ctx = authenticate(&mut policy, &auth, now)?;
            let ops = policy.operations(&ctx)?;
            if json {
                print_json(&ops)?;
                return Ok(0);
            }
            if ops.is_empty() {
                println!("no operations");
            }
            for op in ops {
                println!(
                    "{}\t{}\towner {}\tcontact {}\t{} target records",
                    op.id,
                    op.name,
                    op.owner,
                    op.contact,
                    op.targets.len()
                );
            }
            Ok(0)
        }
    }
}

fn band_text(b: corridor_policy::Band) -> &'static str {
    match b {
        corridor_policy::Band::Possible => "possible",
        corridor_policy::Band::Probable => "probable",
        corridor_policy::Band::Strong => "strong",
    }
}

fn status_text(s: &corridor_policy::RequestStatus) -> String {
    match s {
        corridor_policy::RequestStatus::Pending => "pending".into(),
        corridor_policy::RequestStatus::Approved { grant_ids } => {
            format!("approved ({})", grant_ids.join(", "))
        }
        corridor_policy::RequestStatus::Refused { reason } => format!("refused: {reason}"),
    }
}

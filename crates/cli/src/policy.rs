//! `corridor audit`: verify, export and sign the audit log, and make a signing key.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use corridor_policy::audit::{self, hex, parse_key_hex};
use corridor_store::POLICY_ROWS_MAX;
use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::{StoreArg, open_store};

/// Exit status of `corridor audit verify` when the log is broken.
const EXIT_BROKEN: u8 = 1;

/// Arguments of `corridor audit`.
#[derive(clap::Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(clap::Subcommand)]
enum AuditCommand {
    /// Check the hash chain and every signed checkpoint; name the first bad entry.
    #[command(
        after_help = "Examples:\n  corridor audit verify --store corridor.db --public-key 8a88e3dd…\n  corridor audit verify --public-key-file audit.pub\n\nWithout a trusted public key, checkpoints are checked against the key stored beside them:\nthat catches accidents, not someone who can write the database and sign with their own key.\nExit status 1 when the log is broken."
    )]
    Verify {
        #[command(flatten)]
        store: StoreArg,
        /// The trusted checkpoint key, 64 hex digits.
        #[arg(long, conflicts_with = "public_key_file")]
        public_key: Option<String>,
        /// A file holding the trusted checkpoint key.
        #[arg(long)]
        public_key_file: Option<PathBuf>,
    },
    /// Write the audit log and its checkpoints as JSON lines (hashes in hex).
    #[command(
        after_help = "Examples:\n  corridor audit export --store corridor.db --out audit.jsonl\n  corridor audit export --after 1200 | jq .action"
    )]
    Export {
        #[command(flatten)]
        store: StoreArg,
        /// Only entries after this sequence number.
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Sign the current tail of the log with the key in a file.
    #[command(after_help = "Example:\n  corridor audit checkpoint --key-file audit.key")]
    Checkpoint {
        #[command(flatten)]
        store: StoreArg,
        /// The signing key file (64 hex digits), as `corridor audit keygen` writes it.
        #[arg(long, env = "CORRIDOR_AUDIT_KEY_FILE")]
        key_file: PathBuf,
    },
    /// Make a checkpoint signing key; prints its public key.
    #[command(after_help = "Example:\n  corridor audit keygen --out audit.key > audit.pub")]
    Keygen {
        /// Where to write the secret key (refuses to overwrite).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Bytes of a key file read at most.
const KEY_FILE_BYTES_MAX: u64 = 1024;

fn read_key_file(path: &PathBuf) -> Result<[u8; 32]> {
    let mut text = String::new();
    std::fs::File::open(path)
        .with_context(|| format!("opening {}", path.display()))?
        .take(KEY_FILE_BYTES_MAX)
        .read_to_string(&mut text)
        .with_context(|| format!("reading {}", path.display()))?;
    parse_key_hex(&text).with_context(|| format!("key in {}", path.display()))
}

/// Runs `corridor audit`.
pub fn run(args: AuditArgs) -> Result<u8> {
    match args.command {
        AuditCommand::Verify {
            store,
            public_key,
            public_key_file,
        } => {
            let trusted = match (public_key, public_key_file) {
                (Some(k), _) => Some(parse_key_hex(&k)?),
                (None, Some(path)) => Some(read_key_file(&path)?),
                (None, None) => None,
            };
            let trusted = trusted
                .map(|k| VerifyingKey::from_bytes(&k))
                .transpose()
                .context("the trusted public key is not a valid ed25519 key")?;
            let mut s = open_store(&store.store)?;
            let report = audit::verify(s.as_mut(), trusted.as_ref())?;
            println!(
                "{} entries, {} signed checkpoints checked{}",
                report.entries,
                report.checkpoints,
                if trusted.is_some() {
                    " against the trusted key"
                } else {
                    " (no trusted key given: signatures checked against the stored keys)"
                }
            );
            if let Some((seq, hash)) = &report.tail {
                println!("last intact entry {seq}, hash {hash}");
            }
            match report.broken {
                None => {
                    println!("audit log intact");
                    Ok(0)
                }
                Some(b) => {
                    eprintln!("audit log BROKEN at entry {}: {}", b.seq, b.reason);
                    Ok(EXIT_BROKEN)
                }
            }
        }
        AuditCommand::Export { store, after, out } => {
            let mut s = open_store(&store.store)?;
            let mut w: Box<dyn Write> = match &out {
                Some(p) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(p)
                        .with_context(|| format!("creating {}", p.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            let mut next = after;
            let mut entries = 0u64;
            loop {
                let page = s.audit_entries(next, POLICY_ROWS_MAX)?;
                let Some(last) = page.last() else { break };
                next = last.seq;
                for r in page {
                    let detail: serde_json::Value = serde_json::from_str(&r.detail)
                        .unwrap_or(serde_json::Value::String(r.detail.clone()));
                    let line = serde_json::json!({
                        "seq": r.seq, "at": r.at, "actor": r.actor, "agency": r.agency,
                        "origin": r.origin, "action": r.action,
                        "justification": r.justification, "detail": detail,
                        "prev_hash": hex(&r.prev_hash), "hash": hex(&r.hash),
                    });
                    writeln!(w, "{line}")?;
                    entries += 1;
                }
            }
            let mut next = after;
            loop {
                let page = s.audit_checkpoints(next, POLICY_ROWS_MAX)?;
                let Some(last) = page.last() else { break };
                next = last.seq;
                for c in page {
                    let line = serde_json::json!({
                        "checkpoint": c.seq, "hash": hex(&c.hash),
                        "public_key": hex(&c.public_key), "signature": hex(&c.signature),
                        "signed_at": c.signed_at,
                    });
                    writeln!(w, "{line}")?;
                }
            }
            w.flush()?;
            if out.is_some() {
                eprintln!("{entries} audit entries written");
            }
            Ok(0)
        }
        AuditCommand::Checkpoint { store, key_file } => {
            let key = SigningKey::from_bytes(&read_key_file(&key_file)?);
            let mut s = open_store(&store.store)?;
            let now = unix_now();
            match audit::checkpoint(s.as_mut(), &key, now)? {
                Some(c) => println!("signed entry {} (hash {})", c.seq, hex(&c.hash)),
                None => println!("the audit log is empty: nothing to sign"),
            }
            Ok(0)
        }
        AuditCommand::Keygen { out } => {
            if out.exists() {
                bail!("{} exists; not overwriting a key", out.display());
            }
            let mut seed = [0u8; 32];
            std::fs::File::open("/dev/urandom")
                .and_then(|mut f| f.read_exact(&mut seed))
                .context("reading the system's random source")?;
            let key = SigningKey::from_bytes(&seed);
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                // The secret key is for its owner's eyes only.
                opts.mode(0o600);
            }
            let mut f = opts
                .open(&out)
                .with_context(|| format!("creating {}", out.display()))?;
            writeln!(f, "{}", hex(&seed))?;
            println!("{}", hex(key.verifying_key().as_bytes()));
            Ok(0)
        }
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

//! Builds the web workspace into `web/dist` before the server crate embeds it, so that
//! `cargo run --release -p corridor-cli -- demo` on a fresh machine serves the UI with no other
//! step. It runs `npm ci` (when `web/node_modules` is missing or older than the lock file) and
//! `node build.mjs` (when `web/dist` is missing or older than any source), and only then.
//!
//! Without npm and node the crate still builds; the binary then serves a "UI not built" page
//! and the build prints a warning. `CORRIDOR_UI=skip` skips the step (for builds that must not
//! touch the network or run node).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let web = manifest.join("../../web");
    for p in ["src", "build.mjs", "package.json", "package-lock.json"] {
        println!("cargo:rerun-if-changed={}", web.join(p).display());
    }
    println!("cargo:rerun-if-env-changed=CORRIDOR_UI");
    if std::env::var("CORRIDOR_UI").is_ok_and(|v| v == "skip") {
        return;
    }
    if !web.join("package-lock.json").exists() {
        // A source tree without the web folder (a packaged crate): nothing to build.
        return;
    }
    if let Err(e) = build(&web) {
        println!(
            "cargo:warning=the web UI was not built ({e}); the server will answer 'UI not built'"
        );
    }
}

fn build(web: &Path) -> Result<(), String> {
    let lock = modified(&web.join("package-lock.json")).unwrap_or(SystemTime::UNIX_EPOCH);
    let installed = modified(&web.join("node_modules/.package-lock.json"));
    if installed.is_none_or(|t| t < lock) {
        run(Command::new(npm())
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(web))?;
    }
    let sources = newest(&web.join("src"))
        .max(modified(&web.join("build.mjs")))
        .max(Some(lock));
    let built = modified(&web.join("dist/index.html"));
    if built.is_none_or(|b| sources.is_some_and(|s| b < s)) {
        run(Command::new("node").arg("build.mjs").current_dir(web))?;
    }
    Ok(())
}

fn npm() -> &'static str {
    if cfg!(windows) { "npm.cmd" } else { "npm" }
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("{shown} could not start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed with {status}"))
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of any file under `dir` (bounded depth: the UI's sources are
/// a shallow tree).
fn newest(dir: &Path) -> Option<SystemTime> {
    fn walk(dir: &Path, depth: u32, best: &mut Option<SystemTime>) {
        if depth > 8 {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, depth + 1, best);
            } else if let Some(t) = modified(&path) {
                *best = (*best).max(Some(t));
            }
        }
    }
    let mut best = None;
    walk(dir, 0, &mut best);
    best
}

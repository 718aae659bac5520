//! Records the commit the binary was built from, for the measurement records of `llmpu bench`
//! and `llmpu sweep` (docs/benchmarks.md names the commit of every run, so a reader can check
//! out the code that produced a number). `LLMPU_COMMIT` is `git rev-parse --short=7 HEAD`, with
//! `+dirty` when tracked files differ from it, or `unknown` outside a git checkout.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    let commit = match git(&["rev-parse", "--short=7", "HEAD"]) {
        Some(c) if !c.is_empty() => match git(&["status", "--porcelain", "--untracked-files=no"]) {
            Some(s) if !s.is_empty() => format!("{c}+dirty"),
            _ => c,
        },
        _ => "unknown".to_string(),
    };
    println!("cargo:rustc-env=LLMPU_COMMIT={commit}");
    // Re-run on a commit, a checkout or a staged change, and on any change to the sources.
    for p in [".git/HEAD", ".git/index", ".git/refs/heads", "src", "Cargo.toml", "build.rs"] {
        println!("cargo:rerun-if-changed={p}");
    }
}

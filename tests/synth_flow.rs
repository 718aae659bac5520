//! Runs the real synthesis flow (yosys + nextpnr) on a 2x2 systolic array and checks the
//! report is sane. Needs the tools of `scripts/setup.sh`; fails with that advice otherwise.

use llmpu::cli::synth::{plan_systolic, TargetArgs};
use llmpu::rtl::matmul::SystolicConfig;
use llmpu::synth::{run, Tools};

fn build(target: &str, dir: &std::path::Path) -> llmpu::synth::SynthReport {
    let args = TargetArgs { target: target.into(), freq: None, json: false, dry_run: false, build_dir: Some(dir.to_path_buf()), seed: 1 };
    let (plan, _) = plan_systolic(&SystolicConfig::new(2, 2).unwrap(), &args, &Tools::discover()).unwrap();
    match run::run(&plan, false) {
        Ok(r) => r,
        Err(e) => panic!("synthesis of 2x2 for {target} failed: {e}"),
    }
}

#[test]
fn ice40_up5k_2x2_maps_multipliers_to_dsps() {
    let dir = tempfile::tempdir().unwrap();
    let r = build("ice40-up5k", dir.path());
    assert_eq!(r.dsps.map(|d| (d.used, d.available)), Some((4, 8)), "{}", r.table());
    assert_eq!(r.yosys_cells.get("SB_MAC16"), Some(&4));
    assert!(r.luts.used > 100 && r.luts.used < r.luts.available, "{}", r.table());
    assert!(r.ffs.used > 0);
    assert!(r.fmax_mhz.unwrap_or(0.0) > 10.0, "{}", r.table());
    assert_eq!(r.times.len(), 2);
    // The logs stay in the build folder.
    assert!(dir.path().join("nextpnr.log").exists() && dir.path().join("yosys.log").exists());
}

#[test]
fn ecp5_85k_2x2_maps_multipliers_to_mult18x18d() {
    let dir = tempfile::tempdir().unwrap();
    let r = build("ecp5-85k", dir.path());
    assert_eq!(r.dsps.map(|d| (d.used, d.available)), Some((4, 156)), "{}", r.table());
    assert!(r.luts.used > 100 && r.ffs.used > 100, "{}", r.table());
    assert!(r.fmax_mhz.unwrap_or(0.0) > 10.0, "{}", r.table());
}

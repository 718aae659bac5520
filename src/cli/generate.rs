//! `llmpu generate ...`: emit Verilog and a JSON manifest for a block.

use super::args;
use super::model::ModelArgs;
use crate::rtl::rom::{Memory, RomConfig, RomParams};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum Generate {
    /// An R x C output-stationary systolic matmul array
    Systolic {
        #[command(flatten)]
        array: args::SystolicArgs,
        /// Output folder (created if missing)
        #[arg(long, default_value = "rtl-out/systolic")]
        out: PathBuf,
    },
    /// A W x H network-on-chip: a mesh of wormhole XY routers, or (--topology torus) a unidirectional torus
    Noc {
        #[command(flatten)]
        noc: args::NocArgs,
        /// Output folder (created if missing)
        #[arg(long, default_value = "rtl-out/noc")]
        out: PathBuf,
    },
    /// The ROM-resident weight store: a quantized model in block RAM, with its memory map
    Rom {
        #[command(flatten)]
        rom: RomArgs,
        /// FPGA part the store must fit: ice40-up5k, ice40-hx8k, ecp5-25k, ecp5-85k or ecp5-45k
        #[arg(long)]
        target: String,
        /// Output folder (created if missing)
        #[arg(long, default_value = "rtl-out/rom")]
        out: PathBuf,
    },
    /// The host link: UART, command parser, TX buffer and status record (docs/protocol.md)
    Hostlink {
        #[command(flatten)]
        link: crate::cli::run::HostLinkArgs,
        /// Output folder (created if missing)
        #[arg(long, default_value = "rtl-out/hostlink")]
        out: PathBuf,
    },
    /// The processing unit core: a model compiled onto an R x C matrix unit (Verilog, manifest with memory map and program)
    Lpu(super::lpu::GenerateLpu),
    /// The online-softmax attention unit with its KV cache
    Attention {
        #[command(flatten)]
        unit: args::AttentionArgs,
        /// Output folder (created if missing)
        #[arg(long, default_value = "rtl-out/attention")]
        out: PathBuf,
    },
}

/// The weight store: which model, how many operands per cycle, which memory.
#[derive(Debug, Clone, Args)]
pub struct RomArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Weights read per cycle, one bank each (1..=64); default 4, the rows of a 4x4 systolic
    /// array (its a_in takes one weight per row and beat)
    #[arg(long, default_value_t = 4)]
    pub lanes: u32,
    /// Columns of a weight word (1..=16): a word is lanes x cols weights, the block the
    /// processing unit's matrix unit multiplies per cycle; 1 for a systolic array
    #[arg(long, default_value_t = 1)]
    pub cols: u32,
    /// Memory for the weights: bram (spram is refused: the bitstream cannot initialise it)
    #[arg(long, default_value = "bram")]
    pub memory: String,
}

impl RomArgs {
    /// The validated config (memory and lanes first, before the model is read).
    pub fn config(&self) -> crate::Result<RomConfig> {
        let memory: Memory = self.memory.parse()?;
        RomParams { lanes: self.lanes, cols: self.cols, memory }.try_into()
    }

    /// The quantized model and its name (the file stem) for the manifest.
    pub fn quant_model(&self) -> crate::Result<(crate::model::QuantModel, String)> {
        let f = self.model.load()?;
        let path = self.model.model.as_deref().unwrap_or(std::path::Path::new(super::model::DEFAULT_MODEL));
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into());
        Ok((crate::model::QuantModel::from_float(&f)?, name))
    }
}

pub fn run(g: Generate) -> anyhow::Result<()> {
    match g {
        Generate::Lpu(a) => super::lpu::run_generate(a),
        Generate::Systolic { array, out } => {
            let cfg = crate::rtl::matmul::SystolicConfig::try_from(&array)?;
            let (files, manifest) = crate::rtl::matmul::generate(&cfg)?;
            files.write_to(&out)?;
            println!("{}: wrote {} to {}", manifest.top, manifest.files.join(", "), out.display());
            Ok(())
        }
        Generate::Noc { noc, out } => {
            let cfg = crate::rtl::noc::NocConfig::try_from(&noc)?;
            let (files, manifest) = crate::rtl::noc::generate(&cfg)?;
            files.write_to(&out)?;
            println!("{}: wrote {} to {}", manifest.top, manifest.files.join(", "), out.display());
            Ok(())
        }
        Generate::Hostlink { link, out } => {
            let cfg = crate::rtl::hostlink::HostLinkConfig::try_from(&link)?;
            let (files, manifest) = crate::rtl::hostlink::generate(&cfg)?;
            files.write_to(&out)?;
            println!(
                "{}: wrote {} to {} (divisor {}, {}-byte TX buffer)",
                manifest.top,
                manifest.files.join(", "),
                out.display(),
                cfg.divisor,
                cfg.buffer
            );
            Ok(())
        }
        Generate::Attention { unit, out } => {
            let cfg = crate::rtl::attention::AttentionConfig::try_from(&unit)?;
            let (files, manifest) = crate::rtl::attention::generate(&cfg)?;
            files.write_to(&out)?;
            println!("{}: wrote {} to {}", manifest.top, manifest.files.join(", "), out.display());
            Ok(())
        }
        Generate::Rom { rom, target, out } => {
            let cfg = rom.config()?;
            let target: crate::synth::Target = target.parse()?;
            let (q, name) = rom.quant_model()?;
            let (files, manifest) = crate::rtl::rom::generate(&cfg, &q, &name, &target)?;
            files.write_to(&out)?;
            let b = &manifest.extra["block_ram"];
            println!(
                "{}: wrote {} to {}; {} Kbit in {} of {} {} on {}",
                manifest.top,
                manifest.files.join(", "),
                out.display(),
                b["bits"].as_u64().unwrap_or(0).div_ceil(1024),
                b["brams"],
                b["available"],
                b["bram"]["name"].as_str().unwrap_or("block RAMs"),
                target
            );
            Ok(())
        }
    }
}

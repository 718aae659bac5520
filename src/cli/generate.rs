//! `llmpu generate ...`: emit Verilog and a JSON manifest for a block.

use super::args;
use clap::Subcommand;
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
    /// The online-softmax attention unit with its KV cache
    Attention {
        #[command(flatten)]
        unit: args::AttentionArgs,
        /// Output folder (created if missing)
        #[arg(long, default_value = "rtl-out/attention")]
        out: PathBuf,
    },
}

pub fn run(g: Generate) -> anyhow::Result<()> {
    match g {
        Generate::Systolic { array, out } => {
            let cfg = crate::rtl::matmul::SystolicConfig::try_from(&array)?;
            let (files, manifest) = crate::rtl::matmul::generate(&cfg)?;
            files.write_to(&out)?;
            println!("{}: wrote {} to {}", manifest.top, manifest.files.join(", "), out.display());
            Ok(())
        }
        Generate::Attention { unit, out } => {
            let cfg = crate::rtl::attention::AttentionConfig::try_from(&unit)?;
            let (files, manifest) = crate::rtl::attention::generate(&cfg)?;
            files.write_to(&out)?;
            println!("{}: wrote {} to {}", manifest.top, manifest.files.join(", "), out.display());
            Ok(())
        }
    }
}

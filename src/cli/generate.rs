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
    /// A W x H mesh network-on-chip of wormhole XY routers
    Noc {
        #[command(flatten)]
        noc: args::NocArgs,
        /// Output folder (created if missing)
        #[arg(long, default_value = "rtl-out/noc")]
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
        Generate::Noc { noc, out } => {
            let cfg = crate::rtl::noc::NocConfig::try_from(&noc)?;
            let (files, manifest) = crate::rtl::noc::generate(&cfg)?;
            files.write_to(&out)?;
            println!("{}: wrote {} to {}", manifest.top, manifest.files.join(", "), out.display());
            Ok(())
        }
    }
}

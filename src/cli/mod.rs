//! The command line: one `#[derive(Args)]` group per concern, converted into validated configs
//! with `TryFrom`; the handlers stay thin and call the library.

pub mod args;
pub mod generate;
pub mod sim;
pub mod synth;

pub use generate::Generate;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "llmpu", version, about = "Generate, simulate and build LLM processing units for FPGAs")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Emit Verilog and a JSON manifest for a block
    #[command(subcommand)]
    Generate(Generate),
    /// Simulate a block in Verilator against its golden model
    #[command(subcommand)]
    Sim(sim::Sim),
    /// Synthesise, place and route a block for an FPGA and report resources and fmax
    #[command(subcommand)]
    Synth(synth::Synth),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Generate(g) => generate::run(g),
        Command::Sim(s) => sim::run(s),
        Command::Synth(s) => synth::run(s),
    }
}

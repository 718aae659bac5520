//! The command line: one `#[derive(Args)]` group per concern, converted into validated configs
//! with `TryFrom`; the handlers stay thin and call the library.

pub mod args;
pub mod model;

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
    /// Train a MicroGPT-class model on a text file (one name per line)
    Train(model::TrainArgs),
    /// Mean per-token NLL of the float and the integer model over a text file
    Eval(model::EvalArgs),
    /// Generate names with the integer golden model (or --float)
    Sample(model::SampleArgs),
}

#[derive(Debug, Subcommand)]
pub enum Generate {
    /// An R x C output-stationary systolic matmul array
    Systolic {
        #[command(flatten)]
        array: args::SystolicArgs,
        /// Output folder (created if missing)
        #[arg(long, default_value = "rtl-out/systolic")]
        out: std::path::PathBuf,
    },
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Train(a) => model::run_train(a),
        Command::Eval(a) => model::run_eval(a),
        Command::Sample(a) => model::run_sample(a),
        Command::Generate(Generate::Systolic { array, out }) => {
            let cfg = crate::rtl::matmul::SystolicConfig::try_from(&array)?;
            anyhow::bail!(crate::Error::tool("generate", format!("systolic generation for {} into {} is not built yet", cfg.top_name(), out.display())))
        }
    }
}

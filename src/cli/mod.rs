//! The command line: one `#[derive(Args)]` group per concern, converted into validated configs
//! with `TryFrom`; the handlers stay thin and call the library.

pub mod args;
pub mod bench;
pub mod board;
pub mod demo;
pub mod generate;
pub mod lpu;
pub mod lpu_system;
pub mod model;
pub mod run;
pub mod sim;
pub mod synth;

pub use generate::Generate;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "llmpu", version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("LLMPU_COMMIT"), ")"), about = "Generate, simulate and build LLM processing units for FPGAs")]
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
    /// The main job: generate a systolic array, check it in Verilator, sample names
    Demo(demo::DemoArgs),
    /// Train a MicroGPT-class model on a text file (one name per line)
    Train(model::TrainArgs),
    /// Mean per-token NLL of the float and the integer model over a text file
    Eval(model::EvalArgs),
    /// Generate names with the integer golden model (or --float)
    Sample(model::SampleArgs),
    /// List the supported boards
    Boards,
    /// Write the boards' constraint files (.pcf, .lpf) into constraints/
    Constraints(board::ConstraintsArgs),
    /// Build the processing unit's bitstream for a board (yosys, nextpnr, icepack/ecppack)
    Build(board::BuildArgs),
    /// Build a bitstream of the small board demo (UART echo + LED counter) for a board
    BoardDemo(board::BoardDemoArgs),
    /// Program a board with a bitstream (openFPGALoader, or iceprog for iCE40)
    Flash(board::FlashArgs),
    /// Generate names on a board through its serial port (host protocol) and print tokens/s
    Run(run::RunArgs),
    /// Tokens/s of the processing unit on a board's part: place and route (fmax), Verilator
    /// (cycles per token), CPU reference
    Bench(bench::BenchArgs),
    /// `bench` for several matrix-unit sizes on one part; tables and SVG plots (--out docs)
    Sweep(bench::SweepArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Generate(g) => generate::run(g),
        Command::Sim(s) => sim::run(s),
        Command::Synth(s) => synth::run(s),
        Command::Demo(a) => demo::run(a),
        Command::Train(a) => model::run_train(a),
        Command::Eval(a) => model::run_eval(a),
        Command::Sample(a) => model::run_sample(a),
        Command::Boards => board::run_boards(),
        Command::Constraints(a) => board::run_constraints(a),
        Command::Build(a) => board::run_build(a),
        Command::BoardDemo(a) => board::run_board_demo(a),
        Command::Flash(a) => board::run_flash(a),
        Command::Run(a) => run::run(a),
        Command::Bench(a) => bench::run_bench(a),
        Command::Sweep(a) => bench::run_sweep(a),
    }
}

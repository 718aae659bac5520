//! Benchmarks: the CPU reference rates ([`cpu`]), one measured design point — place and
//! route plus a Verilator run ([`run`]) — a benchmark as a plan and its parallel run
//! ([`sweep`]), the tables, plots and docs/benchmarks.md ([`report`]) and the SVG plots
//! ([`plot`]). The commands are `llmpu bench` and `llmpu sweep` (src/cli/bench.rs).

pub mod cpu;
pub mod plot;
pub mod report;
pub mod run;
pub mod sweep;

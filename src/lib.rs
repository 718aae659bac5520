//! llmpu: a generator of small LLM processing units for FPGAs.
//!
//! The hardware is described in rust-hdl ([`rtl`]), emitted as deduplicated Verilog, verified in
//! Verilator against bit-exact Rust models ([`sim`]) and built for iCE40/ECP5 parts ([`synth`]).

pub mod error;
pub mod manifest;
pub mod output;

pub use error::{Error, Result};
pub mod cli;
pub mod host;
pub mod rtl;
pub mod sim;
pub mod synth;
pub mod boards;
pub mod model;
pub mod lpu;
pub mod numeric;

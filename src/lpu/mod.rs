//! The LLM processing unit (issue 7) on the software side: its one validated configuration
//! ([`config`]), the instruction set the on-chip controller runs ([`isa`]), the compiler that
//! lowers a [`QuantModel`](crate::model::QuantModel) into a per-token program, ROM images and a
//! memory map plus an instruction-level interpreter of that program ([`compiler`]), and the
//! generation semantics every RTL test compares with ([`reference`]). `docs/isa.md` and
//! `docs/lpu.md` describe the whole.

pub mod compiler;
pub mod config;
pub mod isa;
pub mod reference;

pub use compiler::{Compiled, Interpreter, MeshInterpreter, WeightMap};
pub use config::{Engine, LpuConfig, LpuParams};
pub use isa::{Instr, Op};
pub use reference::{generate, GenRequest, Generation};

//! Simulation: the generic Verilator harness ([`verilator`]) and the drivers that feed each block
//! from Rust and compare it with its bit-exact model ([`systolic`]).

pub mod noc;
pub mod attention;
pub mod lpu;
pub mod lpu_vector;
pub mod lpu_system;
pub mod gate;
pub mod hostlink;
pub mod systolic;
pub mod verilator;

pub use verilator::{BuildOptions, Design, Model, PortId, Sim};

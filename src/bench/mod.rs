//! Benchmarks: the CPU reference rates ([`cpu`]) and the plots of the design-space sweep
//! ([`plot`]).

pub mod cpu;
pub mod plot;

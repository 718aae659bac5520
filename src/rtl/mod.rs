//! Hardware blocks described in rust-hdl, one block per file, each with its bit-exact model.

pub mod arith;
pub mod emit;
pub mod lint;
pub mod attention;
pub mod lpu;
pub mod hostlink;
pub mod matmul;
pub mod micro;
pub mod noc;
pub mod rom;
pub mod sdp_ram;
pub mod uart;

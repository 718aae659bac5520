//! The processing unit's hardware (issue 7): the controller ([`controller`]) that runs the
//! compiled per-token program, the residual ADD leaf ([`add`]), the attention adapter
//! ([`attn_adapter`]) and the generated memories and structural core top ([`top`]).
//! `docs/lpu.md` describes the whole.

pub mod add;
pub mod attn_adapter;
pub mod controller;
pub mod embed;
pub mod matvec;
pub mod norm;
pub mod sampler;
pub mod vector;
pub mod top;

use crate::error::{Error, Result};
use crate::rtl::emit::{emit_block, Emitted};

/// The controller as module `name`.
pub fn controller_verilog(name: &str) -> Result<Emitted> {
    emit_block(&mut controller::Controller::default(), name)
}

/// The ADD leaf as module `name`.
pub fn add_verilog(name: &str) -> Result<Emitted> {
    emit_block(&mut add::AddLeaf::default(), name)
}

/// The attention adapter for beats of `ld` elements (`ld` = lanes * head_dim) as module `name`.
pub fn adapter_verilog(name: &str, ld: usize) -> Result<Emitted> {
    macro_rules! per_ld {
        ($($n:literal),*) => {
            match ld {
                $($n => emit_block(&mut attn_adapter::AttnAdapter::<{ $n * 16 }>::default(), name),)*
                _ => Err(Error::invalid("lanes x head_dim", ld, "allowed: 1..=16, 24, 32, 48 or 64")),
            }
        };
    }
    per_ld!(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 24, 32, 48, 64)
}

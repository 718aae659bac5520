//! The compact engine: the processing unit's compute for parts too small for its parallel
//! units (the iCE40UP5K). One microcoded datapath runs every compute instruction of the
//! per-token program (EMBED, NORM, MATVEC, ATTN, SAMPLE; docs/isa.md) in place of the matrix
//! unit, the vector leaves and the attention unit, one micro-op per cycle, with one 32 x 16
//! multiplier, one 16 x 16 multiply-accumulate, one rounding shifter and the exp2, reciprocal and
//! reciprocal-square-root functions of [`crate::numeric`].
//!
//! ```text
//!            +------------------------------------------------+
//! start ---->| microcode ROM -> uop: action | read | control   |--> done, token, rng
//! operands ->| A, B (48), Sh, P0..P5, N0..N2                   |
//!            | data registers SD WD QD LD (one per memory)     |<-> scratchpad (S)
//!            | Mul 32x16, Dot 16x16 MAC, Rsr, Exp2, Recip,     |<-- weight store (W)
//!            | Rsqrt, xorshift32                               |<-- requant store (Q)
//!            |                            local RAM (L) <------|    key/value cache, temps
//!            +------------------------------------------------+
//! ```
//!
//! * [`isa`]: the micro-op (action, read, control) and its one-cycle rules.
//! * [`code`]: the routines, assembled from a [`crate::lpu::Compiled`] (1x1 only: the weight
//!   store holds one byte per word).
//! * [`model`]: the bit-exact, cycle-exact model of the engine; [`MicroCore`] runs the whole
//!   per-token program on it and is tested against [`crate::lpu::Interpreter`] (and so against
//!   `Golden::step`) bit for bit.
//!
//! docs/lpu.md, "Compact engine", has the contract and the measured cycles.

pub mod bench;
pub mod code;
pub mod core;
pub mod engine;
pub mod isa;
pub mod model;

use crate::lpu::compiler::table_fields;
use crate::lpu::isa::{Instr, Op};
use crate::lpu::Compiled;
use crate::numeric::XorShift32;
use crate::{Error, Result};
use code::Microcode;
use isa::Field;
use model::{Engine, Memories, Operands};

/// The scratchpad and the stores of a compiled model, as the engine's [`Memories`].
pub struct CoreMem<'a> {
    pub c: &'a Compiled,
    pub spad: Vec<i16>,
}

impl Memories for CoreMem<'_> {
    fn spad(&self, addr: usize) -> i16 {
        self.spad.get(addr).copied().unwrap_or(0)
    }
    fn set_spad(&mut self, addr: usize, v: i16) {
        if let Some(s) = self.spad.get_mut(addr) {
            *s = v;
        }
    }
    fn weight(&self, addr: usize) -> i8 {
        self.c.image.words.get(addr).map_or(0, |w| w[0])
    }
    fn rq(&self, addr: usize) -> u32 {
        self.c.image.rq.get(addr).copied().unwrap_or(0)
    }
}

/// The operands the controller gives the engine for instruction `i` (token `tok` at position
/// `pos`, temperature `temp_k`): its fields and, for MATVEC, its tensor-table entry.
pub fn operands(c: &Compiled, i: &Instr, tok: usize, pos: usize, temp_k: u16) -> Operands {
    let mut f = [0u16; 12];
    f[Field::A as usize] = i.a;
    f[Field::B as usize] = i.b;
    f[Field::C as usize] = i.c;
    f[Field::D as usize] = i.d;
    f[Field::Aux as usize] = i.aux as u16;
    f[Field::Tok as usize] = tok as u16;
    f[Field::Pos as usize] = pos as u16;
    f[Field::TempK as usize] = temp_k;
    if i.op == Op::Matvec {
        let (w, rq, rows, chunks) = table_fields(c.table.get(i.aux as usize).copied().unwrap_or(0));
        f[Field::WBase as usize] = w as u16;
        f[Field::RqBase as usize] = rq as u16;
        f[Field::Rows as usize] = rows as u16;
        f[Field::Chunks as usize] = chunks as u16;
    }
    Operands { fields: f, flags: i.flags }
}

/// Cycles per instruction kind, summed over the steps run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpCycles {
    pub embed: u64,
    pub norm: u64,
    pub matvec: u64,
    pub attn: u64,
    pub sample: u64,
}

impl OpCycles {
    /// The counter of a compute instruction's kind (`None` for the others).
    pub fn slot(&mut self, op: Op) -> Option<&mut u64> {
        match op {
            Op::Embed => Some(&mut self.embed),
            Op::Norm => Some(&mut self.norm),
            Op::Matvec => Some(&mut self.matvec),
            Op::Attn => Some(&mut self.attn),
            Op::Sample => Some(&mut self.sample),
            _ => None,
        }
    }
}

/// The per-token program run on the engine model, as the controller runs it: the engine
/// starts each compute instruction's routine and waits for its done.
pub struct MicroCore<'a> {
    pub code: Microcode,
    pub engine: Engine,
    pub mem: CoreMem<'a>,
    pub cycles: OpCycles,
    pos: usize,
}

impl<'a> MicroCore<'a> {
    pub fn new(c: &'a Compiled) -> Result<Self> {
        let code = code::assemble(c)?;
        let engine = Engine::new(code.local.depth);
        Ok(MicroCore { code, engine, mem: CoreMem { c, spad: vec![0; c.layout.size] }, cycles: OpCycles::default(), pos: 0 })
    }

    /// The next step is position 0 (the cache is overwritten position by position).
    pub fn reset(&mut self) {
        self.pos = 0;
    }

    /// Runs the program for `token` at the next position; `sampler` as in
    /// [`crate::lpu::Interpreter::step`]: the xorshift32 state is loaded into the engine before
    /// a SAMPLE and read back after it.
    pub fn step(&mut self, token: usize, sampler: Option<(u16, &mut XorShift32)>) -> Result<Option<usize>> {
        let c = self.mem.c;
        let t = self.pos;
        let mut sampler = sampler;
        let mut sampled = None;
        for i in &c.program {
            match i.op {
                Op::End => break,
                Op::Send | Op::Recv => return Err(Error::invalid("instruction", i.op.mnemonic(), "allowed in the compact engine: a compute instruction")),
                Op::Sample if sampler.is_none() => continue,
                _ => {}
            }
            let (Some(entry), Some(slot)) = (self.code.entries.of(i.op), self.cycles.slot(i.op)) else { continue };
            let temp_k = sampler.as_ref().map_or(0, |s| s.0);
            if let Some((_, rng)) = sampler.as_mut().filter(|_| i.op == Op::Sample) {
                self.engine.rng = rng.0;
            }
            let o = operands(c, i, token, t, temp_k);
            *slot += self.engine.run(&self.code, entry, &o, &mut self.mem).map_err(|e| Error::Mismatch(format!("{}: {e}", i.op.mnemonic())))?;
            if i.op == Op::Sample {
                if let Some((_, rng)) = sampler.as_mut() {
                    rng.0 = self.engine.rng;
                }
                sampled = Some(self.engine.tok as usize);
            }
        }
        self.pos += 1;
        Ok(sampled)
    }

    /// The logits of the last step.
    pub fn logits(&self) -> &[i16] {
        let l = self.mem.c.layout.logits;
        &self.mem.spad[l..l + self.mem.c.cfg.model.vocab]
    }
}

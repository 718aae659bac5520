//! The instruction set the controller runs once per token. Fixed-width 64-bit words:
//!
//! ```text
//!  63   60 59  56 55    48 47     36 35     24 23     12 11      0
//! +-------+------+--------+---------+---------+---------+---------+
//! |  op   | flags|  aux   |    a    |    b    |    c    |    d    |
//! +-------+------+--------+---------+---------+---------+---------+
//! ```
//!
//! `a..d` are scratchpad element addresses (12 bits, multiples of C where a unit reads whole
//! words) or lengths; `aux` is a tensor index (into the tensor table of [`super::compiler`]) or
//! a layer; `flags` bit 0 is ReLU (MATVEC) or the norm constant set (NORM: 0 = embedding norm,
//! 1 = layer norm). See `docs/isa.md` for each instruction's semantics and cycle count.

use crate::{Error, Result};
use serde::Serialize;

/// Bits of a scratchpad address field.
pub const ADDR_BITS: u32 = 12;
/// Largest scratchpad element address + 1.
pub const ADDR_LIMIT: usize = 1 << ADDR_BITS;

/// Opcodes (the 4-bit field). The controller's `dbg_op` output carries the same numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[repr(u8)]
pub enum Op {
    /// End of the token's program.
    End = 0,
    /// `a <- embed(token, position)` (n_embd elements).
    Embed = 1,
    /// `b <- rmsnorm(a)` with constant set `flags & 1`.
    Norm = 2,
    /// `b <- requant(W[aux] a)`, ReLU if `flags & 1`; with `flags & 2` ([`FLAG_ACC`]) the
    /// result is added to `b` instead: `b[r] <- sat16(b[r] + y[r])` (the residual add).
    Matvec = 3,
    // 4 was ADD (`a <- sat16(a + b)`), replaced by MATVEC's accumulate flag; left free.
    /// Layer `aux`: append k (`b`), v (`c`) at the current position, attend with q (`a`),
    /// heads' outputs to `d`.
    Attn = 5,
    /// Sample over `b` logits at `a` (skipped while the prompt is forced).
    Sample = 6,
    /// Tiles only: inject one packet to the tile at mesh coordinates `aux` (`x = aux & 15`,
    /// `y = aux >> 4`): `b` elements read from `a` (kind ACT, `flags & 1 = 0`) or the
    /// controller's token (kind TOKEN, `flags & 1 = 1`); the header carries the position.
    /// Opcodes 7 and 8 are `dbg_op`'s output-stall and control classes, hence 9 and 10.
    Send = 9,
    /// Tiles only: wait for the next packet, write its `b` payload elements to `a` (kind ACT)
    /// or take its token (kind TOKEN); the position of the header becomes the tile's position.
    Recv = 10,
}

/// `flags & 1` of MATVEC: ReLU on the result.
pub const FLAG_RELU: u8 = 1;
/// `flags & 2` of MATVEC: accumulate into the destination, `dst[r] = sat16(dst[r] + y[r])`.
pub const FLAG_ACC: u8 = 2;

/// `flags & 4` of MATVEC: the wide write, [`crate::lpu::LpuConfig::mv_write`] rows per cycle
/// through the scratchpad's chunk port (the destination a multiple of it; the last write holds
/// the rows left, its other lanes masked). Same result, fewer cycles; Norm's snoop and a
/// Sampler with more than one lane see these writes.
pub const FLAG_WIDE: u8 = 4;

/// `flags & 2` of NORM and SAMPLE: the previous instruction (EMBED, NORM or MATVEC) wrote exactly the
/// source vector, so the unit takes `sum x^2` (NORM) or the largest logit and its index
/// (SAMPLE) from those writes instead of a first pass over the source. Same result, fewer
/// cycles; the interpreter checks the condition.
pub const FLAG_PRE: u8 = 2;

/// `flags & 1` of SEND/RECV: the packet carries scratchpad elements (the residual stream).
pub const KIND_ACT: u8 = 0;
/// `flags & 1` of SEND/RECV: the packet carries the token to embed.
pub const KIND_TOKEN: u8 = 1;
/// Bits of a NoC flit of the tile mesh (two 16-bit elements per payload flit).
pub const FLIT_BITS: u32 = 32;
/// Elements one packet carries at most (15 payload flits of two elements).
pub const PACKET_ELEMS: usize = 2 * crate::rtl::noc::flit::MAX_PAYLOAD as usize;

impl Op {
    pub const ALL: [Op; 8] = [Op::End, Op::Embed, Op::Norm, Op::Matvec, Op::Attn, Op::Sample, Op::Send, Op::Recv];

    pub fn from_code(c: u8) -> Option<Op> {
        Op::ALL.iter().copied().find(|o| *o as u8 == c)
    }

    pub fn mnemonic(self) -> &'static str {
        match self {
            Op::End => "END",
            Op::Embed => "EMBED",
            Op::Norm => "NORM",
            Op::Matvec => "MATVEC",
            Op::Attn => "ATTN",
            Op::Sample => "SAMPLE",
            Op::Send => "SEND",
            Op::Recv => "RECV",
        }
    }
}

/// One decoded instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Instr {
    pub op: Op,
    pub flags: u8,
    pub aux: u8,
    pub a: u16,
    pub b: u16,
    pub c: u16,
    pub d: u16,
}

impl Instr {
    pub fn new(op: Op) -> Self {
        Instr { op, flags: 0, aux: 0, a: 0, b: 0, c: 0, d: 0 }
    }

    /// Checks the field widths (addresses < 4096, flags < 16).
    pub fn check(&self) -> Result<()> {
        for (n, v) in [("a", self.a), ("b", self.b), ("c", self.c), ("d", self.d)] {
            if v as usize >= ADDR_LIMIT {
                return Err(Error::invalid(
                    format!("{} field {n}", self.op.mnemonic()),
                    v,
                    format!("allowed: 0..{ADDR_LIMIT} (the scratchpad address field has {ADDR_BITS} bits; use a smaller model)"),
                ));
            }
        }
        if self.flags >= 16 {
            return Err(Error::invalid("flags", self.flags, "allowed: 0..16"));
        }
        Ok(())
    }

    pub fn encode(&self) -> u64 {
        let m = (ADDR_LIMIT - 1) as u64;
        ((self.op as u64) << 60)
            | ((self.flags as u64 & 15) << 56)
            | ((self.aux as u64) << 48)
            | ((self.a as u64 & m) << 36)
            | ((self.b as u64 & m) << 24)
            | ((self.c as u64 & m) << 12)
            | (self.d as u64 & m)
    }

    pub fn decode(w: u64) -> Result<Self> {
        let code = (w >> 60) as u8;
        let op = Op::from_code(code).ok_or_else(|| Error::invalid("opcode", code, "allowed: 0..=3, 5, 6, 9, 10"))?;
        let m = (ADDR_LIMIT - 1) as u64;
        Ok(Instr {
            op,
            flags: ((w >> 56) & 15) as u8,
            aux: ((w >> 48) & 255) as u8,
            a: ((w >> 36) & m) as u16,
            b: ((w >> 24) & m) as u16,
            c: ((w >> 12) & m) as u16,
            d: (w & m) as u16,
        })
    }

    /// One line of a program listing; `tensor` names the tensor of a MATVEC.
    pub fn listing(&self, tensor: impl Fn(u8) -> String) -> String {
        let m = self.op.mnemonic();
        match self.op {
            Op::End => m.to_string(),
            Op::Embed => format!("{m:<7} dst={}", self.a),
            Op::Norm => format!(
                "{m:<7} src={} dst={} consts={}{}",
                self.a,
                self.b,
                if self.flags & 1 == 0 { "embed" } else { "layer" },
                if self.flags & FLAG_PRE != 0 { " pre" } else { "" }
            ),
            Op::Matvec => {
                let relu = if self.flags & 1 == 1 { " relu" } else { "" };
                let acc = if self.flags & FLAG_ACC != 0 { " acc" } else { "" };
                let wide = if self.flags & FLAG_WIDE != 0 { " wide" } else { "" };
                format!("{m:<7} {} src={} dst={}{relu}{acc}{wide}", tensor(self.aux), self.a, self.b)
            }
            Op::Attn => format!("{m:<7} layer={} q={} k={} v={} dst={}", self.aux, self.a, self.b, self.c, self.d),
            Op::Sample => format!("{m:<7} src={} len={}{}", self.a, self.b, if self.flags & FLAG_PRE != 0 { " pre" } else { "" }),
            Op::Send if self.flags & 1 == KIND_TOKEN => format!("{m:<7} to=({},{}) token", self.aux & 15, self.aux >> 4),
            Op::Send => format!("{m:<7} to=({},{}) src={} len={}", self.aux & 15, self.aux >> 4, self.a, self.b),
            Op::Recv if self.flags & 1 == KIND_TOKEN => format!("{m:<7} token"),
            Op::Recv => format!("{m:<7} dst={} len={}", self.a, self.b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip() {
        let i = Instr { op: Op::Attn, flags: 1, aux: 7, a: 4095, b: 1, c: 2048, d: 17 };
        assert_eq!(Instr::decode(i.encode()).unwrap(), i);
        assert_eq!(i.encode() >> 60, 5);
        assert_eq!(Instr::decode(0xF000_0000_0000_0000).unwrap_err().to_string(), "opcode 15 is not allowed (allowed: 0..=3, 5, 6, 9, 10)");
        let s = Instr { op: Op::Send, flags: KIND_ACT, aux: 0x21, a: 12, b: 16, c: 0, d: 0 };
        assert_eq!(Instr::decode(s.encode()).unwrap(), s);
        assert_eq!(s.encode() >> 60, 9);
        assert_eq!(s.listing(|_| String::new()), "SEND    to=(1,2) src=12 len=16");
        let r = Instr { flags: KIND_TOKEN, ..Instr::new(Op::Recv) };
        assert_eq!((r.encode() >> 60, r.listing(|_| String::new())), (10, "RECV    token".to_string()));
        let bad = Instr { a: 4096, ..Instr::new(Op::Embed) };
        assert_eq!(
            bad.check().unwrap_err().to_string(),
            "EMBED field a 4096 is not allowed (allowed: 0..4096 (the scratchpad address field has 12 bits; use a smaller model))"
        );
    }
}

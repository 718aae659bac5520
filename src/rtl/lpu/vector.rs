//! The vector unit's Verilog: the leaves ([`Embed`], [`Norm`], [`Sampler`] of contract v1 and
//! [`VecAdd`] for the residual adds) as modules `llmpu_vu_embed`, `llmpu_vu_norm`,
//! `llmpu_vu_sampler` and `llmpu_vu_add`, their shared sub-blocks
//! deduplicated, every module name prefixed `llmpu_vu_` so the text can sit in one file with
//! other blocks. [`ports`] lists each leaf's ports (for the core's wiring, manifests and the
//! Verilator tests); [`Leaf::cycles`] is each leaf's cycle model.

use super::vec_add::{self as add, VecAdd};
use super::embed::{self, Embed};
use super::norm::{self, Norm};
use super::sampler::{self, Sampler};
use crate::error::Result;
use crate::manifest::Port;
use crate::rtl::emit::{block_verilog, dedup, emit_block, Emitted};

/// The leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    /// Embed with one element per cycle.
    Embed,
    /// Embed with `K` = 2, 4, 8 or 16 elements per cycle (K bytes per weight read, chunk
    /// writes), module `llmpu_vu_embed_kK`.
    EmbedWide(u8),
    /// Norm with one element per cycle (its writes go through the element port).
    Norm,
    /// Norm with `K` = 2, 4, 8 or 16 elements per cycle (word reads, chunk writes), module
    /// `llmpu_vu_norm_kK`.
    NormWide(u8),
    Sampler,
    /// The Sampler with `K` = 2, 4, 8 or 16 lanes in the temperature pass 2 (word reads), module
    /// `llmpu_vu_sampler_kK`.
    SamplerWide(u8),
    Add,
}

/// The bit offset `16 j` of lane `j` in a word of `k` 16-bit elements, as the constants a wide
/// leaf shifts its lanes' outputs by (Embed's and Norm's write words).
pub fn lane_shifts(k: usize) -> Vec<rust_hdl::prelude::Constant<rust_hdl::prelude::Bits<8>>> {
    use rust_hdl::prelude::ToBits;
    (0..k).map(|j| rust_hdl::prelude::Constant::new(((16 * j) as u64).to_bits())).collect()
}

/// The Sampler's lanes for `k`: [`Leaf::Sampler`] for 1, else [`Leaf::SamplerWide`].
pub fn sampler_leaf(k: usize) -> Leaf {
    if k <= 1 {
        Leaf::Sampler
    } else {
        Leaf::SamplerWide(k as u8)
    }
}

/// Embed's width for `k` elements per cycle: [`Leaf::Embed`] for 1, else [`Leaf::EmbedWide`].
pub fn embed_leaf(k: usize) -> Leaf {
    if k <= 1 {
        Leaf::Embed
    } else {
        Leaf::EmbedWide(k as u8)
    }
}

/// Norm's width for `k` elements per cycle: [`Leaf::Norm`] for 1, else [`Leaf::NormWide`].
pub fn norm_leaf(k: usize) -> Leaf {
    if k <= 1 {
        Leaf::Norm
    } else {
        Leaf::NormWide(k as u8)
    }
}

impl Leaf {
    pub const ALL: [Leaf; 4] = [Leaf::Embed, Leaf::Norm, Leaf::Sampler, Leaf::Add];

    /// The Verilog module name.
    pub fn module(self) -> &'static str {
        match self {
            Leaf::Embed => "llmpu_vu_embed",
            Leaf::EmbedWide(2) => "llmpu_vu_embed_k2",
            Leaf::EmbedWide(4) => "llmpu_vu_embed_k4",
            Leaf::EmbedWide(8) => "llmpu_vu_embed_k8",
            Leaf::EmbedWide(16) => "llmpu_vu_embed_k16",
            Leaf::EmbedWide(k) => panic!("Embed with {k} elements per cycle: 1, 2, 4, 8 or 16 are built"),
            Leaf::Norm => "llmpu_vu_norm",
            Leaf::NormWide(2) => "llmpu_vu_norm_k2",
            Leaf::NormWide(4) => "llmpu_vu_norm_k4",
            Leaf::NormWide(8) => "llmpu_vu_norm_k8",
            Leaf::NormWide(16) => "llmpu_vu_norm_k16",
            Leaf::NormWide(k) => panic!("Norm with {k} elements per cycle: 1, 2, 4, 8 or 16 are built"),
            Leaf::Sampler => "llmpu_vu_sampler",
            Leaf::SamplerWide(2) => "llmpu_vu_sampler_k2",
            Leaf::SamplerWide(4) => "llmpu_vu_sampler_k4",
            Leaf::SamplerWide(8) => "llmpu_vu_sampler_k8",
            Leaf::SamplerWide(16) => "llmpu_vu_sampler_k16",
            Leaf::SamplerWide(k) => panic!("Sampler with {k} lanes: 1, 2, 4, 8 or 16 are built"),
            Leaf::Add => "llmpu_vu_add",
        }
    }

    /// Cycles from `start` (cycle 0) to `done` for `len` elements; `temp_k` matters only to the
    /// sampler (0 = greedy).
    pub fn cycles(self, len: usize, temp_k: u16) -> u64 {
        match self {
            Leaf::Embed => embed::cycles(len, 1),
            Leaf::EmbedWide(k) => embed::cycles(len, k as usize),
            Leaf::Norm => norm::cycles(len, 1),
            Leaf::NormWide(k) => norm::cycles(len, k as usize),
            Leaf::Sampler => sampler::cycles(len, temp_k, 1),
            Leaf::SamplerWide(k) => sampler::cycles(len, temp_k, k as usize),
            Leaf::Add => add::cycles(len),
        }
    }

    /// rust-hdl's Verilog of this leaf alone (not deduplicated).
    fn raw(self) -> Result<String> {
        match self {
            Leaf::Embed => block_verilog(&mut Embed::<1, 16, 8>::default(), self.module()),
            Leaf::EmbedWide(2) => block_verilog(&mut Embed::<2, 32, 16>::default(), self.module()),
            Leaf::EmbedWide(4) => block_verilog(&mut Embed::<4, 64, 32>::default(), self.module()),
            Leaf::EmbedWide(8) => block_verilog(&mut Embed::<8, 128, 64>::default(), self.module()),
            Leaf::EmbedWide(16) => block_verilog(&mut Embed::<16, 256, 128>::default(), self.module()),
            Leaf::EmbedWide(k) => Err(crate::error::Error::invalid("embed elements per cycle", k, "allowed: 1, 2, 4, 8 or 16")),
            Leaf::Norm => block_verilog(&mut Norm::<1, 16>::default(), self.module()),
            Leaf::NormWide(2) => block_verilog(&mut Norm::<2, 32>::default(), self.module()),
            Leaf::NormWide(4) => block_verilog(&mut Norm::<4, 64>::default(), self.module()),
            Leaf::NormWide(8) => block_verilog(&mut Norm::<8, 128>::default(), self.module()),
            Leaf::NormWide(16) => block_verilog(&mut Norm::<16, 256>::default(), self.module()),
            Leaf::NormWide(k) => Err(crate::error::Error::invalid("norm elements per cycle", k, "allowed: 1, 2, 4, 8 or 16")),
            Leaf::Sampler => block_verilog(&mut Sampler::<1, 16, 0, 8>::default(), self.module()),
            Leaf::SamplerWide(2) => block_verilog(&mut Sampler::<2, 32, 1, 7>::default(), self.module()),
            Leaf::SamplerWide(4) => block_verilog(&mut Sampler::<4, 64, 3, 6>::default(), self.module()),
            Leaf::SamplerWide(8) => block_verilog(&mut Sampler::<8, 128, 7, 5>::default(), self.module()),
            Leaf::SamplerWide(16) => block_verilog(&mut Sampler::<16, 256, 15, 4>::default(), self.module()),
            Leaf::SamplerWide(k) => Err(crate::error::Error::invalid("sampler lanes", k, "allowed: 1, 2, 4, 8 or 16")),
            Leaf::Add => block_verilog(&mut VecAdd::default(), self.module()),
        }
    }

    /// This leaf alone, deduplicated, with the standard header (one Verilator build per leaf).
    pub fn verilog(self) -> Result<Emitted> {
        let e = match self {
            Leaf::Sampler => emit_block(&mut Sampler::<1, 16, 0, 8>::default(), self.module())?,
            Leaf::Add => emit_block(&mut VecAdd::default(), self.module())?,
            Leaf::Embed | Leaf::EmbedWide(_) | Leaf::Norm | Leaf::NormWide(_) | Leaf::SamplerWide(_) => dedup(&self.raw()?, &[self.module()])?,
        };
        Ok(e.with_header(self.module()))
    }
}

/// The Verilog of all the leaves, deduplicated, with the standard header.
pub fn verilog() -> Result<Emitted> {
    Ok(leaves_verilog(&Leaf::ALL)?.with_header("the vector unit (llmpu_vu_embed, llmpu_vu_norm, llmpu_vu_sampler, llmpu_vu_add)"))
}

/// The Verilog of the given leaves, deduplicated (no header).
pub fn leaves_verilog(leaves: &[Leaf]) -> Result<Emitted> {
    let mut raw = String::new();
    for l in leaves {
        raw.push_str(&l.raw()?);
    }
    let keep: Vec<&str> = leaves.iter().map(|l| l.module()).collect();
    dedup(&raw, &keep)
}

fn common() -> Vec<Port> {
    vec![
        Port::input("clock", 1, "clock; everything changes on its rising edge"),
        Port::input("reset", 1, "synchronous, active high: back to idle"),
        Port::input("start", 1, "one-cycle pulse while idle (cycle 0); the other inputs are held until done"),
    ]
}

fn tail() -> Vec<Port> {
    vec![
        Port::output("busy", 1, "high from the cycle after start to done"),
        Port::output("done", 1, "one-cycle pulse with the last write (sampler: token valid)"),
    ]
}

/// The ports of `leaf`, in declaration order.
pub fn ports(leaf: Leaf) -> Vec<Port> {
    let mut p = common();
    let write = || {
        vec![
            Port::output("a_we", 1, "scratchpad element write enable"),
            Port::output("a_waddr", 16, "scratchpad element write address"),
            Port::output("a_wdata", 16, "scratchpad element write data (signed)"),
        ]
    };
    let read = || {
        vec![
            Port::output("a_ren", 1, "scratchpad element read enable"),
            Port::output("a_raddr", 16, "scratchpad element read address"),
            Port::input("a_rdata", 16, "scratchpad element read data, the cycle after a_ren"),
        ]
    };
    let wide = |k: u32| {
        vec![
            Port::output("a_ren", 1, "scratchpad read enable"),
            Port::output("a_raddr", 16, "scratchpad element read address, a multiple of K"),
            Port::input("a_rdata", 16 * k, "elements a_raddr + j at [16j +: 16], the cycle after a_ren"),
            Port::output("a_we", 1, "scratchpad chunk write enable"),
            Port::output("a_waddr", 16, "scratchpad element write address, a multiple of K"),
            Port::output("a_wdata", 16 * k, "element a_waddr + j at [16j +: 16] (signed)"),
        ]
    };
    match leaf {
        Leaf::Embed | Leaf::EmbedWide(_) => {
            let k = if let Leaf::EmbedWide(k) = leaf { k as u32 } else { 1 };
            p.extend([
                Port::input("tok", 8, "token id (row of wte)"),
                Port::input("pos", 8, "position (row of wpe)"),
                Port::input("len", 16, "elements (n_embd)"),
                Port::input("dst", 16, "scratchpad element address of y_0"),
                Port::input("wte_base", 16, "weight word address of wte"),
                Port::input("wpe_base", 16, "weight word address of wpe"),
                Port::input("chunks", 16, "words per row tile: ceil(n_embd / C)"),
                Port::input("wte_rq", 16, "requant address of wte row 0"),
                Port::input("wpe_rq", 16, "requant address of wpe row 0"),
                Port::input("lg_r", 4, "log2 R"),
                Port::input("lg_c", 4, "log2 C"),
                Port::output("w_en", 1, "weight word read enable"),
                Port::output("w_addr", 16, "weight word address"),
                Port::output("w_lane", 8, "lane of the byte wanted from that word"),
                Port::input("w_byte", 8 * k, "the bytes (signed) of lanes w_lane + j at [8j +: 8], the cycle after w_en"),
                Port::output("rq_en", 1, "requant read enable"),
                Port::output("rq_addr", 16, "requant address"),
                Port::input("rq_data", 24, "requant word (mult 15..0, shift 21..16), the cycle after rq_en"),
            ]);
            if k == 1 {
                p.extend(write());
            } else {
                p.extend(wide(k).into_iter().skip(3));
            }
        }
        Leaf::Norm | Leaf::NormWide(_) => {
            p.extend([
                Port::input("src", 16, "scratchpad element address of x_0"),
                Port::input("dst", 16, "scratchpad element address of y_0 (may equal src)"),
                Port::input("len", 16, "elements"),
                Port::input("eps_term", 32, "NormConsts::eps_term"),
                Port::input("gain", 16, "NormConsts::gain"),
                Port::input("gain_shift", 8, "NormConsts::gain_shift"),
                Port::input("out_frac", 8, "NormConsts::out_frac"),
                Port::input("pre", 1, "take sum x_i^2 from the snooped writes (the previous instruction wrote x)"),
                Port::input("sn_clear", 1, "snoop: pulsed with every unit's start"),
                Port::input("sn_we", 1, "snoop: scratchpad write enable"),
                Port::input("sn_data", 16, "snoop: scratchpad write data"),
            ]);
            let k = if let Leaf::NormWide(k) = leaf { k as u32 } else { 1 };
            p.push(Port::input("sk_we", 1, "snoop: scratchpad chunk write enable (K elements; low with K = 1)"));
            p.push(Port::input("sk_wm", 16, "snoop: the chunk write's lane mask (bit j: lane j written)"));
            p.push(Port::input("sk_data", 16 * k, "snoop: scratchpad chunk write data"));
            if let Leaf::NormWide(k) = leaf {
                p.extend(wide(k as u32));
            } else {
                p.extend(read());
                p.extend(write());
            }
        }
        Leaf::Sampler | Leaf::SamplerWide(_) => {
            p.extend([
                Port::input("src", 16, "scratchpad element address of logit 0"),
                Port::input("len", 16, "logits (1..=256)"),
                Port::input("logit_frac", 8, "fraction bits of the logits"),
                Port::input("temp_k", 16, "Temperature::k (0 = greedy)"),
                Port::input("seed_load", 1, "one-cycle pulse: the xorshift32 state takes seed"),
                Port::input("seed", 32, "xorshift32 state to load (non-zero)"),
                Port::input("pre", 1, "take the maximum (greedy: the token) from the snooped writes (the previous instruction wrote the logits)"),
                Port::input("sn_clear", 1, "snoop: pulsed with every unit's start"),
                Port::input("sn_we", 1, "snoop: scratchpad write enable"),
                Port::input("sn_addr", 16, "snoop: scratchpad write address"),
                Port::input("sn_data", 16, "snoop: scratchpad write data"),
            ]);
            let k = if let Leaf::SamplerWide(k) = leaf { k as u32 } else { 1 };
            p.push(Port::input("sk_we", 1, "snoop: scratchpad chunk write enable (K elements; low with K = 1)"));
            p.push(Port::input("sk_wm", 16, "snoop: the chunk write's lane mask (bit j: lane j written)"));
            p.push(Port::input("sk_addr", 16, "snoop: the chunk write's element address"));
            p.push(Port::input("sk_data", 16 * k, "snoop: scratchpad chunk write data"));
            if let Leaf::SamplerWide(k) = leaf {
                p.extend([
                    Port::output("a_ren", 1, "scratchpad read enable"),
                    Port::output("a_raddr", 16, "scratchpad element read address (a multiple of K in the temperature pass 2)"),
                    Port::input("a_rdata", 16 * k as u32, "elements a_raddr + j at [16j +: 16], the cycle after a_ren (lanes j >= 1 read only in pass 2)"),
                ]);
            } else {
                p.extend(read());
            }
            p.push(Port::output("token", 8, "the sampled token, from done until the next start"));
        }
        Leaf::Add => {
            p.extend([
                Port::input("src_a", 16, "scratchpad element address of a_0"),
                Port::input("src_b", 16, "scratchpad element address of b_0"),
                Port::input("dst", 16, "scratchpad element address of y_0 (may equal src_a or src_b)"),
                Port::input("len", 16, "elements"),
            ]);
            p.extend(read());
            p.extend(write());
        }
    }
    p.extend(tail());
    p
}

//! Fit check of the core before any tool runs: block RAMs for the weight store, the requant
//! store, the scratchpad banks, the per-layer KV caches and the Sampler's cumulative sums (the rule of
//! [`crate::rtl::rom::fit::brams_for`]; the requant store in `W` banks with the wide mode),
//! multipliers (R*C in the matrix unit plus two per requantiser, the attention unit's [`AttentionConfig::multipliers`], the vector
//! leaves' five) against the target's DSPs, and logic: the LUT4s of every block as measured by
//! yosys (`synth_ice40 -dsp -noflatten`, docs/lpu.md "Area on iCE40"), scaled with R*C and the
//! attention unit's lanes x elements per cycle, converted to placed logic cells by the measured
//! ratio of the whole system ([`PACKED_LCS`] / [`UNFLATTENED_LUT4`]: flattening removes
//! constant-input logic, packing adds carry-only and flip-flop-only cells), plus the
//! multipliers that do not find a DSP at the measured LUT cost. The estimate is for the core
//! alone; the host link ([`HOSTLINK_LUTS`]) comes on top in the system `llmpu_lpu_rRcC` and is
//! reported beside it. On ECP5 the same figure stands for LUT4s (the 2x2 core measured 13794
//! TRELLIS_COMB, the estimate is 14388).
//!
//! [`AttentionConfig::multipliers`]: crate::rtl::attention::AttentionConfig::multipliers

use crate::error::{Error, Result};
use crate::lpu::compiler::Compiled;
use crate::rtl::rom::fit::{bram_kind, brams_for};
use serde::Serialize;

/// Measured SB_LUT4 (yosys 0.23, `synth_ice40 -dsp -noflatten`, MicroGPT 1x1, 2026-11-23) of the
/// blocks whose size does not depend on R, C or the attention unit's width: controller 785,
/// Embed 1028, Norm 2392, Sampler 2307 (re-measured 2026-12-04 after its pass 2 was restructured into lanes:
/// `llmpu generate lpu --rows 1 --cols 1 --target ecp5-85k`, then yosys `synth_ice40 -dsp
/// -noflatten -top llmpu_vu_sampler; stat -top llmpu_vu_sampler` on the file), ADD 194, memories and their muxes 301 (program 21,
/// scratchpad 31, tensor table 13, characters 9, weight store 56, core glue 171). Not yet
/// re-measured since 2026-12-03, when the ADD leaf (194) left the core while the matrix unit
/// gained its accumulate adder and the scratchpad a second read port.
pub const FIXED_LUTS: u32 = 785 + 1028 + 2392 + 2307 + 194 + 301;
/// Each further lane of Norm (its multiplier's operand muxes, sign handling, rounding shift and
/// the snoop's squarer): `llmpu_vu_norm` 2381, `_k4` 5772 SB_LUT4 (yosys 0.23 `synth_ice40 -dsp
/// -noflatten`, 2026-12-04), (5772 - 2381) / 3.
pub const NORM_LANE_LUTS: u32 = 1130;
/// Each further lane of Embed (sign extension, rounding shift, saturating add):
/// `llmpu_vu_embed` 915, `_k4` 2363 SB_LUT4 (same run), (2363 - 915) / 3.
pub const EMBED_LANE_LUTS: u32 = 483;
/// Each further lane of the Sampler's pass 2 (multiplier operand handling, 48-bit rounding shift,
/// `exp2_neg`, its part of the running sum, the search's read mux): `llmpu_vu_sampler` 2307,
/// `_k4` 5888 SB_LUT4 (the same yosys run on `llmpu generate lpu --rows 4 --cols 4 --target
/// ecp5-85k`'s file, `-top llmpu_vu_sampler_k4`), (5888 - 2307) / 3.
pub const SAMPLER_LANE_LUTS: u32 = 1193;
/// Matrix unit at 1x1 (controller 486, accumulator 128, requantiser 656).
pub const MATVEC_LUTS: u32 = 1270;
/// Each further requantiser of the matrix unit's wide mode ([`crate::lpu::LpuConfig::mv_write`]):
/// the 1x1 measurement's requantiser (656) plus the hold registers' second shift input (32 per
/// row is counted with the products), not measured on its own.
pub const MATVEC_RQ_LUTS: u32 = 656;
/// Each further product of the matrix unit (adder tree, wider accumulation), from the ECP5
/// 1x1 -> 8x8 measurement of docs/lpu.md ("Synthesis and place and route"): (4461 - 1006) / 63.
pub const MATVEC_LUTS_PER_PRODUCT: u32 = 55;
/// The attention adapter at lanes x head_dim = 4 (it scales with the elements it gathers).
pub const ADAPTER_LUTS_PER_ELEMENT: u32 = 1086 / 4;
/// Attention unit: fixed part (cache control, kv memories' muxes) + per lane (online-softmax head
/// state, reciprocal) + per lane and element per cycle (dot product, accumulator with its
/// rescale, divide and p x v roundings). Measured 11416 LUT4 at E = 4 and 6078 at E = 1 (one
/// lane): 1779 per element; of the rest, control (665) and the KV memories' logic (8 x 22) are
/// counted as fixed, the other 3458 per lane (lanes > 1 not measured).
pub const ATTENTION_FIXED_LUTS: u32 = 665 + 8 * 22;
pub const ATTENTION_LANE_LUTS: u32 = 6078 - 665 - 8 * 22 - 1779;
pub const ATTENTION_ELEMENT_LUTS: u32 = (11416 - 6078) / 3;
/// Each further sequence of a batched core ([`crate::lpu::LpuConfig::batch`]): its controller
/// (785, above), its program and character ROMs and xorshift register (about 60), its share of
/// the operand multiplexers in front of the units and of the scratchpad port multiplexers in
/// front of its bank (about 400: 7 operand fields and 12 port fields of 16 bits, 1 to 2 LUT4
/// per bit); not measured on its own (docs/lpu.md, "Batched mode", gives the placed ECP5 figure).
pub const BATCH_LUTS_PER_SEQUENCE: u32 = 785 + 60 + 400;
/// The host link (UART receiver and transmitter, parser, sender, prompt and TX memories).
pub const HOSTLINK_LUTS: u32 = 1062;
/// The system 1x1, E = 1: nextpnr-ice40 packed it into 11329 ICESTORM_LC ...
pub const PACKED_LCS: u32 = 11329;
/// ... from 16329 SB_LUT4 summed over its blocks synthesised one by one (`-noflatten`).
pub const UNFLATTENED_LUT4: u32 = 16329;

/// Multipliers of the vector leaves at one element per cycle: Embed 2 (word offset, requant),
/// Norm 2 (its lane's and the snoop's squarer), Sampler 1 (shared in time). With `K` lanes ([`crate::lpu::LpuConfig::vector_chunk`]) Embed has `K - 1` more,
/// Norm `2 (K - 1)`; the Sampler one per further lane.
pub const VECTOR_MULTIPLIERS: u32 = 5;
/// More vector multipliers per further lane of Embed and Norm (1 and 2); the Sampler's lanes
/// ([`crate::lpu::LpuConfig::sampler_lanes`]) one each.
pub const VECTOR_MULTIPLIERS_PER_LANE: u32 = 3;

/// The compact engine's system (compact core + host link), MicroGPT, iCE40UP5K: yosys 0.23
/// `synth_ice40 -dsp` and nextpnr-ice40 0.4 packed it into 4933 ICESTORM_LC (2026-12-05,
/// docs/lpu.md "Compact engine"); its logic does not depend on the model (only its memories do).
pub const COMPACT_SYSTEM_LCS: u32 = 4933;
/// The compact engine's multipliers: the 32 x 16 product (two 16 x 16) and DOT's 16 x 16.
pub const COMPACT_MULTIPLIERS: u32 = 3;

fn is_zero(v: &u32) -> bool {
    *v == 0
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LpuFit {
    pub target: String,
    pub bram: &'static str,
    pub weight_brams: u32,
    pub rq_brams: u32,
    pub spad_brams: u32,
    pub kv_brams: u32,
    /// The Sampler's cumulative sums: one bank of 256 / K x 32 bits per lane (K lanes).
    pub sampler_brams: u32,
    /// The compact engine's micro-op ROM and local RAM (0 for the parallel units).
    #[serde(skip_serializing_if = "is_zero")]
    pub engine_brams: u32,
    pub brams: u32,
    pub brams_available: u32,
    pub multipliers: u32,
    pub in_dsps: u32,
    pub luts_for_multipliers: u32,
    /// Logic cells of the core's logic (measured per block, see the constants), without the
    /// multipliers that miss a DSP.
    pub logic_luts: u32,
    /// `logic_luts + luts_for_multipliers`: the core's estimate in logic cells.
    pub core_luts: u32,
    /// The system's (core + host link).
    pub system_luts: u32,
    pub luts_available: u32,
}

impl LpuFit {
    /// The block RAMs by memory: `"57 weight store, 4 requant store, 16 scratchpad, 8 KV cache, 4
    /// sampler"`, and the compact engine's micro-op ROM and local RAM when it has them.
    pub fn bram_parts(&self) -> String {
        let mut s = format!(
            "{} weight store, {} requant store, {} scratchpad, {} KV cache, {} sampler",
            self.weight_brams, self.rq_brams, self.spad_brams, self.kv_brams, self.sampler_brams
        );
        if self.engine_brams > 0 {
            s += &format!(", {} compact engine (micro-op ROM, local RAM)", self.engine_brams);
        }
        s
    }
}

/// Unflattened SB_LUT4 sum of the core's blocks (the multipliers that miss a DSP not included).
pub fn unflattened_luts(c: &Compiled, lanes: u32, elements: u32, head_dim: u32) -> u32 {
    let rc = (c.cfg.rows * c.cfg.cols) as u32;
    FIXED_LUTS
        + MATVEC_LUTS
        + MATVEC_LUTS_PER_PRODUCT * (rc - 1)
        + (NORM_LANE_LUTS + EMBED_LANE_LUTS) * (c.cfg.vector_chunk() as u32 - 1)
        + SAMPLER_LANE_LUTS * (c.cfg.sampler_lanes() as u32 - 1)
        + MATVEC_RQ_LUTS * (c.cfg.mv_write() as u32 - 1)
        + ADAPTER_LUTS_PER_ELEMENT * lanes * head_dim
        + ATTENTION_FIXED_LUTS
        + lanes * (ATTENTION_LANE_LUTS + elements * ATTENTION_ELEMENT_LUTS)
        + BATCH_LUTS_PER_SEQUENCE * (c.cfg.batch as u32 - 1)
}

pub fn estimate(c: &Compiled) -> Result<LpuFit> {
    if c.cfg.engine == crate::lpu::Engine::Compact {
        return compact_estimate(c);
    }
    let t = c.cfg.target;
    let k = bram_kind(&t);
    let (r, cc) = (c.cfg.rows as u32, c.cfg.cols as u32);
    let weight_brams = brams_for(&k, r * cc * 8, c.map.depth);
    let mw = c.cfg.mv_write();
    let rq_brams = if mw == 1 { brams_for(&k, 24, c.map.rq_depth) } else { mw as u32 * brams_for(&k, 24, c.map.rq_depth.div_ceil(mw) + 1) };
    // One scratchpad per sequence of a batch.
    let spad_brams = c.cfg.batch as u32 * cc * brams_for(&k, 16, c.layout.size / cc as usize);
    let ac = super::top::attention_config(c)?;
    let m = c.cfg.model;
    // 2 * lanes * head_dim memories of 16 bits, layers * (heads/lanes) * block_size words
    // (the layers of every sequence of a batch).
    let kv_words = ac.layers as usize * (ac.heads / ac.lanes) as usize * (m.block_size.next_power_of_two());
    let kv_brams = 2 * ac.lanes * ac.head_dim * brams_for(&k, 16, kv_words);
    let sampler_brams = c.cfg.sampler_lanes() as u32 * brams_for(&k, 32, super::sampler::bank_entries(c.cfg.sampler_lanes()));
    let multipliers = r * cc + 2 * c.cfg.mv_write() as u32 + ac.multipliers() + VECTOR_MULTIPLIERS + VECTOR_MULTIPLIERS_PER_LANE * (c.cfg.vector_chunk() as u32 - 1) + (c.cfg.sampler_lanes() as u32 - 1);
    let logic = packed(unflattened_luts(c, ac.lanes, ac.elements_per_cycle, ac.head_dim));
    let brams = Brams { weight: weight_brams, rq: rq_brams, spad: spad_brams, kv: kv_brams, sampler: sampler_brams, engine: 0 };
    Ok(assemble(c, brams, multipliers, logic, packed(HOSTLINK_LUTS)))
}

/// Logic cells for `luts` unflattened SB_LUT4 (the measured ratio of the whole system).
fn packed(luts: u32) -> u32 {
    (luts as u64 * PACKED_LCS as u64 / UNFLATTENED_LUT4 as u64) as u32
}

/// Block RAMs of one estimate, by memory.
struct Brams {
    weight: u32,
    rq: u32,
    spad: u32,
    kv: u32,
    sampler: u32,
    engine: u32,
}

/// The estimate from its memories, its multipliers (those beyond the target's DSPs cost logic),
/// the core's logic cells without them and the host link's.
fn assemble(c: &Compiled, b: Brams, multipliers: u32, logic: u32, host: u32) -> LpuFit {
    let t = c.cfg.target;
    let in_dsps = multipliers.min(t.dsp_count());
    let luts_for_multipliers = (multipliers - in_dsps) * t.lut_cost_per_multiplier(16);
    LpuFit {
        target: t.name.into(),
        bram: bram_kind(&t).name,
        weight_brams: b.weight,
        rq_brams: b.rq,
        spad_brams: b.spad,
        kv_brams: b.kv,
        sampler_brams: b.sampler,
        engine_brams: b.engine,
        brams: b.weight + b.rq + b.spad + b.kv + b.sampler + b.engine,
        brams_available: t.brams.available,
        multipliers,
        in_dsps,
        luts_for_multipliers,
        logic_luts: logic,
        core_luts: logic + luts_for_multipliers,
        system_luts: logic + luts_for_multipliers + host,
        luts_available: t.luts.available,
    }
}

/// The compact engine's estimate: its stores, scratchpad, micro-op ROM and local RAM (the key /
/// value cache) from the configuration, its logic from the measured system.
fn compact_estimate(c: &Compiled) -> Result<LpuFit> {
    let k = bram_kind(&c.cfg.target);
    let code = crate::rtl::micro::code::assemble(c)?;
    let brams = Brams {
        weight: brams_for(&k, 8, c.map.depth),
        rq: brams_for(&k, 24, c.map.rq_depth),
        spad: brams_for(&k, 16, c.layout.size),
        kv: 0,
        sampler: 0,
        engine: brams_for(&k, crate::rtl::micro::isa::field::WIDTH as u32, code.ops.len()) + brams_for(&k, 32, code.local.depth),
    };
    let host = packed(HOSTLINK_LUTS);
    Ok(assemble(c, brams, COMPACT_MULTIPLIERS, COMPACT_SYSTEM_LCS - host, host))
}

/// [`estimate`], refusing a design that does not fit with the numbers.
pub fn check(c: &Compiled) -> Result<LpuFit> {
    let f = estimate(c)?;
    if f.brams > f.brams_available {
        return Err(Error::DoesNotFit(format!(
            "{} needs at least {} {} ({}); {} has {}; use a smaller matrix unit, a smaller model or a larger target",
            c.cfg.top_name(),
            f.brams,
            f.bram,
            f.bram_parts(),
            f.target,
            f.brams_available
        )));
    }
    if f.core_luts > f.luts_available {
        return Err(Error::DoesNotFit(format!(
            "{} needs about {} logic cells ({} logic at {} attention element(s) per cycle, {} for the {} of {} multipliers without a DSP); {} has {} and {} DSPs; use fewer attention elements (--attention-elements), a smaller matrix unit or a larger target",
            c.cfg.top_name(),
            f.core_luts,
            f.logic_luts,
            c.cfg.attention_elements,
            f.luts_for_multipliers,
            f.multipliers - f.in_dsps,
            f.multipliers,
            f.target,
            f.luts_available,
            f.in_dsps
        )));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lut_model_reproduces_the_measured_1x1_cores() {
        // Core totals of the measurement (yosys -noflatten, SB_LUT4): 20577 at E = 4, 15240 at E = 1,
        // within the rounding of the per-element figures (the core's blocks are summed here). That
        // measurement had the Sampler of 2026-11-23 (2105 SB_LUT4), since re-measured (2307).
        let at = |e: u32| FIXED_LUTS - (2307 - 2105) + MATVEC_LUTS + ADAPTER_LUTS_PER_ELEMENT * 4 + ATTENTION_FIXED_LUTS + ATTENTION_LANE_LUTS + e * ATTENTION_ELEMENT_LUTS;
        assert!(at(4).abs_diff(20577) <= 3, "{}", at(4));
        assert!(at(1).abs_diff(15240) <= 3, "{}", at(1));
    }
}

//! Fit check of the core before any tool runs: block RAMs for the weight store, the requant
//! store, the scratchpad banks and the per-layer KV caches (the rule of
//! [`crate::rtl::rom::fit::brams_for`]), and multipliers (R*C in the matrix unit plus its two
//! requant multipliers, the attention unit's [`AttentionConfig::multipliers`]) against
//! the target's DSPs, the rest in logic at the measured LUT cost. A lower bound: it refuses only
//! designs that certainly cannot fit; the vector leaves' few multipliers and all control logic
//! come on top.
//!
//! [`AttentionConfig::multipliers`]: crate::rtl::attention::AttentionConfig::multipliers

use crate::error::{Error, Result};
use crate::lpu::compiler::Compiled;
use crate::rtl::rom::fit::{bram_kind, brams_for};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LpuFit {
    pub target: String,
    pub bram: &'static str,
    pub weight_brams: u32,
    pub rq_brams: u32,
    pub spad_brams: u32,
    pub kv_brams: u32,
    pub brams: u32,
    pub brams_available: u32,
    pub multipliers: u32,
    pub in_dsps: u32,
    pub luts_for_multipliers: u32,
    pub luts_available: u32,
}

pub fn estimate(c: &Compiled) -> Result<LpuFit> {
    let t = c.cfg.target;
    let k = bram_kind(&t);
    let (r, cc) = (c.cfg.rows as u32, c.cfg.cols as u32);
    let weight_brams = brams_for(&k, r * cc * 8, c.map.depth);
    let rq_brams = brams_for(&k, 24, c.map.rq_depth);
    let spad_brams = cc * brams_for(&k, 16, c.layout.size / cc as usize);
    let ac = super::top::attention_config(c)?;
    let m = c.cfg.model;
    // 2 * lanes * head_dim memories of 16 bits, layers * (heads/lanes) * block_size words.
    let kv_words = m.n_layer * (ac.heads / ac.lanes) as usize * (m.block_size.next_power_of_two());
    let kv_brams = 2 * ac.lanes * ac.head_dim * brams_for(&k, 16, kv_words);
    let multipliers = r * cc + 2 + ac.multipliers();
    let in_dsps = multipliers.min(t.dsp_count());
    let luts_for_multipliers = (multipliers - in_dsps) * t.lut_cost_per_multiplier(16);
    Ok(LpuFit {
        target: t.name.into(),
        bram: k.name,
        weight_brams,
        rq_brams,
        spad_brams,
        kv_brams,
        brams: weight_brams + rq_brams + spad_brams + kv_brams,
        brams_available: t.brams.available,
        multipliers,
        in_dsps,
        luts_for_multipliers,
        luts_available: t.luts.available,
    })
}

/// [`estimate`], refusing a design that certainly does not fit with the numbers.
pub fn check(c: &Compiled) -> Result<LpuFit> {
    let f = estimate(c)?;
    if f.brams > f.brams_available {
        return Err(Error::DoesNotFit(format!(
            "{} needs at least {} {} ({} weight store, {} requant store, {} scratchpad, {} KV cache); {} has {}; use a smaller matrix unit, a smaller model or a larger target",
            c.cfg.top_name(),
            f.brams,
            f.bram,
            f.weight_brams,
            f.rq_brams,
            f.spad_brams,
            f.kv_brams,
            f.target,
            f.brams_available
        )));
    }
    if f.luts_for_multipliers > f.luts_available {
        return Err(Error::DoesNotFit(format!(
            "{} needs {} multipliers; {} has {} DSPs and {} LUTs, the other {} multipliers need about {} LUTs; use a smaller matrix unit or a larger target",
            c.cfg.top_name(),
            f.multipliers,
            f.target,
            f.in_dsps,
            f.luts_available,
            f.multipliers - f.in_dsps,
            f.luts_for_multipliers
        )));
    }
    Ok(f)
}

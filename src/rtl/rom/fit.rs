//! Block RAM geometry of each target family and the fit check that runs before any tool.
//!
//! iCE40 EBR (SB_RAM40_4K): 4 Kbit, as 256x16, 512x8, 1024x4 or 2048x2. ECP5 DP16KD: 18 Kbit,
//! as 512x36, 1024x18, 2048x9, 4096x4, 8192x2 or 16384x1. A `depth x width` bank takes, in
//! the best aspect ratio, `min over modes of ceil(width / mode width) * ceil(depth / mode depth)`
//! block RAMs; tests check this count against what Yosys 0.23 maps (`stat -json`).

use super::map::MemoryMap;
use crate::error::{Error, Result};
use crate::synth::target::{Family, Target};
use serde::Serialize;

/// One family's block RAM: name users know it by, size and (width, depth) modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BramKind {
    /// `EBR` or `DP16KD`.
    pub name: &'static str,
    /// The Yosys cell it maps to.
    pub cell: &'static str,
    pub kbit: u32,
    pub modes: &'static [(u32, u32)],
}

pub const ICE40_EBR: BramKind = BramKind {
    name: "EBR",
    cell: "SB_RAM40_4K",
    kbit: 4,
    modes: &[(16, 256), (8, 512), (4, 1024), (2, 2048)],
};
pub const ECP5_DP16KD: BramKind = BramKind {
    name: "DP16KD",
    cell: "DP16KD",
    kbit: 18,
    modes: &[
        (36, 512),
        (18, 1024),
        (9, 2048),
        (4, 4096),
        (2, 8192),
        (1, 16384),
    ],
};

pub fn bram_kind(t: &Target) -> BramKind {
    match t.family {
        Family::Ice40 => ICE40_EBR,
        Family::Ecp5 => ECP5_DP16KD,
    }
}

/// Block RAMs of kind `k` that one `depth x width` bank takes.
pub fn brams_for(k: &BramKind, width: u32, depth: usize) -> u32 {
    k.modes
        .iter()
        .map(|&(w, d)| width.div_ceil(w) * (depth as u32).div_ceil(d))
        .min()
        .unwrap_or(u32::MAX)
}

/// What the store of a map takes on one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RomFit {
    pub target: String,
    pub bram: BramKind,
    /// Block RAMs per weight bank and for the requant bank.
    pub per_weight_bank: u32,
    pub rq_bank: u32,
    /// Total block RAMs and what the part has.
    pub brams: u32,
    pub available: u32,
    /// Bits of the image (rounded up to Kbit in messages).
    pub bits: u64,
}

impl RomFit {
    pub fn kbit(&self) -> u64 {
        self.bits.div_ceil(1024)
    }
}

/// The block RAMs `map` needs on `t` (no check).
pub fn estimate(map: &MemoryMap, t: &Target) -> RomFit {
    let k = bram_kind(t);
    let per = brams_for(&k, super::config::WEIGHT_BITS * map.bank_bytes() as u32, map.depth);
    let rq = brams_for(&k, super::config::RQ_BITS, map.rq_depth);
    RomFit {
        target: t.name.into(),
        bram: k,
        per_weight_bank: per,
        rq_bank: rq,
        brams: per * map.weight_banks() as u32 + rq,
        available: t.brams.available,
        bits: map.bits(),
    }
}

/// [`estimate`], refusing with the numbers when the part has too few block RAMs.
pub fn check(map: &MemoryMap, t: &Target) -> Result<RomFit> {
    let f = estimate(map, t);
    if f.brams > f.available {
        return Err(Error::DoesNotFit(format!(
            "model needs {} Kbit of ROM in at least {} {} ({} weight banks of {} x {} bit in {} each, requant bank of {} x 24 bit in {}); {} has {} {} of {} Kbit; use fewer lanes, a smaller model or a larger target",
            f.kbit(),
            f.brams,
            f.bram.name,
            map.weight_banks(),
            map.depth,
            8 * map.bank_bytes(),
            f.per_weight_bank,
            map.rq_depth,
            f.rq_bank,
            t.name,
            f.available,
            f.bram.name,
            f.bram.kbit
        )));
    }
    Ok(f)
}

/// Largest model (in 8-bit parameters) whose weights alone fill every block RAM of `t` used
/// in the widest 8-bit mode: `brams x (8-bit mode depth) x 8 bit`. An upper bound: requant
/// words and partial tiles come on top.
pub fn capacity_params(t: &Target) -> u64 {
    let k = bram_kind(t);
    let depth8 = k
        .modes
        .iter()
        .filter(|(w, _)| *w >= 8)
        .map(|&(w, d)| d as u64 * (w as u64 / 8))
        .max()
        .unwrap_or(0);
    t.brams.available as u64 * depth8
}

/// The largest MicroGPT-shaped model whose store passes [`check`] on `t`: vocab 27, context
/// 16, 4 heads, MLP width `min(4 n_embd, 256)`, scanning lanes 1, 2, 4, ..., 64, `n_layer`
/// 1..=16 and `n_embd` 4, 8, ..., 256; the one with the most parameters (the first found on a
/// tie). Returns the model, the lanes and the fit.
pub fn largest_microgpt(t: &Target) -> Option<(crate::model::ModelConfig, u32, RomFit)> {
    use crate::model::{ModelConfig, ModelParams};
    let mut best: Option<(ModelConfig, u32, RomFit)> = None;
    for lanes in [1, 2, 4, 8, 16, 32, 64] {
        let cfg = super::RomConfig::new(lanes).ok()?;
        for n_layer in 1..=16 {
            for n_embd in (4..=256).step_by(4) {
                let p = ModelParams {
                    n_embd,
                    n_layer,
                    mlp_hidden: (4 * n_embd).min(256),
                    ..ModelParams::MICROGPT
                };
                let Ok(m) = ModelConfig::try_from(p) else {
                    continue;
                };
                let Ok(map) = MemoryMap::new(&cfg, &m.tensors()) else {
                    continue;
                };
                let Ok(f) = check(&map, t) else { continue };
                if best
                    .as_ref()
                    .is_none_or(|(b, _, _)| m.num_params() > b.num_params())
                {
                    best = Some((m, lanes, f));
                }
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtl::rom::RomConfig;

    #[test]
    fn bram_counts() {
        assert_eq!(brams_for(&ICE40_EBR, 8, 1056), 3);
        assert_eq!(brams_for(&ICE40_EBR, 24, 214), 2);
        assert_eq!(brams_for(&ICE40_EBR, 8, 512), 1);
        assert_eq!(brams_for(&ECP5_DP16KD, 8, 1056), 1);
        assert_eq!(brams_for(&ECP5_DP16KD, 24, 214), 1);
        assert_eq!(brams_for(&ECP5_DP16KD, 8, 4096), 2);
    }

    #[test]
    fn capacity_per_target() {
        let c = |n: &str| capacity_params(&n.parse().unwrap());
        // up5k: 30 x 512 bytes; hx8k: 32 x 512; ecp5-85k: 208 x 2048 (9-bit mode, 8 bits used).
        assert_eq!(
            (
                c("ice40-up5k"),
                c("ice40-hx8k"),
                c("ecp5-25k"),
                c("ecp5-85k")
            ),
            (15360, 16384, 114688, 425984)
        );
    }

    #[test]
    fn too_big_is_refused_with_the_numbers() {
        // 100 tensors of 64 x 64 on one lane: 409600 addresses is over MAX_DEPTH, so use 16 lanes.
        let shapes: Vec<_> = (0..10)
            .map(|i| (format!("t{i}"), 64usize, 64usize))
            .collect();
        let map = MemoryMap::new(&RomConfig::new(16).unwrap(), &shapes).unwrap();
        let e = check(&map, &"ice40-up5k".parse().unwrap()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "model needs 335 Kbit of ROM in at least 86 EBR (16 weight banks of 2560 x 8 bit in 5 each, requant bank of 640 x 24 bit in 6); ice40-up5k has 30 EBR of 4 Kbit; use fewer lanes, a smaller model or a larger target"
        );
        assert!(e.is_usage());
        assert!(check(&map, &"ecp5-85k".parse().unwrap()).is_ok());
    }

    #[test]
    fn largest_microgpt_per_target() {
        let row = |n: &str| {
            let t: Target = n.parse().unwrap();
            let (m, lanes, f) = largest_microgpt(&t).unwrap();
            (
                lanes,
                m.n_layer,
                m.n_embd,
                m.mlp_hidden,
                m.num_params(),
                f.brams,
            )
        };
        // (lanes, n_layer, n_embd, mlp_hidden, parameters, block RAMs)
        assert_eq!(row("ice40-up5k"), (1, 1, 28, 112, 11368, 26));
        assert_eq!(row("ice40-hx8k"), (1, 1, 32, 128, 14528, 32));
        assert_eq!(row("ecp5-25k"), (2, 1, 108, 256, 109512, 56));
        assert_eq!(row("ecp5-85k"), (8, 6, 80, 256, 404960, 206));
        assert_eq!(row("ecp5-45k"), (4, 2, 108, 256, 211464, 107));
    }
}

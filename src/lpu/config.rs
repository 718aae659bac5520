//! The processing unit's one validated configuration: the model it runs, the matrix unit's
//! `rows x cols` (R x C, powers of two 1..=16; C is also the number of scratchpad banks), the
//! attention unit's lanes, the network-on-chip tile mesh and the FPGA target. Every artefact of
//! the unit (program, ROM images, memory map, Verilog, manifest) is derived from an [`LpuConfig`].

use crate::error::{check_range, Error, Result};
use crate::model::ModelConfig;
use crate::synth::target::Target;
use serde::{Deserialize, Serialize};

/// Largest R and C of the matrix unit.
pub const MAX_DIM: usize = 16;
/// Largest side of the tile mesh.
pub const MAX_SIDE: usize = 4;
/// Batch sizes (independent sequences interleaved through one core) the core can be generated for.
pub const BATCHES: [usize; 3] = [1, 2, 4];

crate::error::keyword_enum! {
    /// How the core computes: the parallel units (matrix unit, vector leaves, attention unit;
    /// docs/lpu.md) or the compact engine (one microcoded datapath for parts too small for them,
    /// 1x1 only; docs/lpu.md, "Compact engine").
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Engine as "engine" {
        #[default]
        Parallel => "parallel",
        Compact => "compact",
    }
}

impl Engine {
    pub fn is_parallel(&self) -> bool {
        *self == Engine::Parallel
    }
}

/// Unvalidated parameters as a user gives them; turn into an [`LpuConfig`] with `try_from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LpuParams {
    pub model: ModelConfig,
    pub rows: usize,
    pub cols: usize,
    /// Heads the attention unit processes in parallel (must divide `n_head`).
    pub lanes: usize,
    /// NoC mesh `(width, height)` in tiles.
    pub tiles: (usize, usize),
    /// Target name (see `llmpu boards` / [`Target::names`]).
    pub target: String,
    /// Head elements the attention unit processes per cycle (must divide `head_dim`); 0 = chosen
    /// by the target: 1 on iCE40 (fewest multipliers), `head_dim` (all at once) on ECP5.
    pub attention_elements: usize,
    /// Independent sequences the core interleaves ([`BATCHES`]; 1 = one sequence, the core of
    /// docs/lpu.md; more: docs/lpu.md, "Batched mode").
    pub batch: usize,
    pub engine: Engine,
}

impl LpuParams {
    /// MicroGPT on an R x C matrix unit, one attention lane, one tile, for `target`.
    pub fn new(model: ModelConfig, rows: usize, cols: usize, target: &str) -> Self {
        LpuParams { model, rows, cols, lanes: 1, tiles: (1, 1), target: target.to_string(), attention_elements: 0, batch: 1, engine: Engine::Parallel }
    }
}

/// A validated processing unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LpuConfig {
    pub model: ModelConfig,
    pub rows: usize,
    pub cols: usize,
    pub lanes: usize,
    pub tiles: (usize, usize),
    #[serde(serialize_with = "target_name")]
    pub target: Target,
    /// Head elements per cycle of the attention unit (divides `head_dim`).
    pub attention_elements: usize,
    /// Sequences interleaved through the core (one of [`BATCHES`]).
    #[serde(skip_serializing_if = "is_one")]
    pub batch: usize,
    #[serde(skip_serializing_if = "Engine::is_parallel")]
    pub engine: Engine,
}

fn is_one(v: &usize) -> bool {
    *v == 1
}

fn target_name<S: serde::Serializer>(t: &Target, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(t.name)
}

fn check_pow2(name: &str, v: usize) -> Result<usize> {
    if !(1..=MAX_DIM).contains(&v) || !v.is_power_of_two() {
        return Err(Error::invalid(name, v, "allowed: 1, 2, 4, 8 or 16"));
    }
    Ok(v)
}

impl TryFrom<LpuParams> for LpuConfig {
    type Error = Error;
    fn try_from(p: LpuParams) -> Result<Self> {
        let rows = check_pow2("rows", p.rows)?;
        let cols = check_pow2("cols", p.cols)?;
        let heads = p.model.n_head;
        check_range("lanes", p.lanes, 1, heads)?;
        if !heads.is_multiple_of(p.lanes) {
            let ok: Vec<String> = (1..=heads).filter(|&l| heads.is_multiple_of(l)).map(|l| l.to_string()).collect();
            return Err(Error::invalid("lanes", p.lanes, format!("must divide n_head = {heads} (allowed: {})", ok.join(", "))));
        }
        let (w, h) = p.tiles;
        let name = format!("{w}x{h}");
        if !(1..=MAX_SIDE).contains(&w) || !(1..=MAX_SIDE).contains(&h) {
            return Err(Error::invalid("tiles", name, format!("allowed: W and H in 1..={MAX_SIDE}")));
        }
        let max = p.model.n_layer + 1;
        if w * h > max {
            return Err(Error::invalid(
                "tiles",
                name,
                format!(
                    "allowed: at most {max} tiles for {} layer{} (one stage per layer plus one for the head)",
                    p.model.n_layer,
                    if p.model.n_layer == 1 { "" } else { "s" }
                ),
            ));
        }
        let target: Target = p.target.parse()?;
        let hd = p.model.head_dim();
        let attention_elements = match p.attention_elements {
            0 if target.family == crate::synth::target::Family::Ice40 => 1,
            0 => hd,
            e => e,
        };
        if attention_elements > hd || !hd.is_multiple_of(attention_elements) {
            let ok: Vec<String> = (1..=hd).filter(|&e| hd.is_multiple_of(e)).map(|e| e.to_string()).collect();
            return Err(Error::invalid(
                "attention-elements",
                attention_elements,
                format!("must divide head_dim = {hd} (allowed: {})", ok.join(", ")),
            ));
        }
        if !BATCHES.contains(&p.batch) {
            return Err(Error::invalid("batch", p.batch, "allowed: 1, 2 or 4"));
        }
        if p.batch > 1 && p.tiles != (1, 1) {
            return Err(Error::invalid("batch", p.batch, format!("allowed: 1 with tiles {name} (a batch runs on one tile)")));
        }
        let layers = p.model.n_layer * p.batch;
        if layers > crate::rtl::attention::control::MAX_LAYERS {
            return Err(Error::invalid(
                "batch",
                p.batch,
                format!("allowed: n_layer x batch up to {} (the attention unit's caches); n_layer is {}", crate::rtl::attention::control::MAX_LAYERS, p.model.n_layer),
            ));
        }
        if p.engine == Engine::Compact && ((rows, cols) != (1, 1) || p.lanes != 1 || p.tiles != (1, 1) || p.batch != 1) {
            return Err(Error::invalid(
                "engine",
                "compact",
                format!("allowed with rows x cols 1x1, one lane, one tile and batch 1 (given {rows}x{cols}, lanes {}, tiles {name}, batch {})", p.lanes, p.batch),
            ));
        }
        Ok(LpuConfig { model: p.model, rows, cols, lanes: p.lanes, tiles: p.tiles, target, attention_elements, batch: p.batch, engine: p.engine })
    }
}

/// Parses `WxH` (e.g. `1x1`) into a tile mesh.
pub fn parse_tiles(s: &str) -> Result<(usize, usize)> {
    let bad = || Error::invalid("tiles", format!("'{s}'"), "allowed: WxH with W, H >= 1, e.g. 1x1");
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let w: usize = w.trim().parse().map_err(|_| bad())?;
    let h: usize = h.trim().parse().map_err(|_| bad())?;
    if w == 0 || h == 0 {
        return Err(bad());
    }
    Ok((w, h))
}

impl LpuConfig {
    /// Width of the scratchpad's chunk port, the elements the attention adapter moves per
    /// cycle: `C` when `C` divides `L*D` (lanes x head_dim), `L*D` when `L*D` divides `C`, else
    /// 1. Every vector of the scratchpad starts at a multiple of `C`, so each chunk lies in one
    /// scratchpad word.
    pub fn spad_chunk(&self) -> usize {
        let ld = self.lanes * self.model.head_dim();
        if ld.is_multiple_of(self.cols) {
            self.cols
        } else if self.cols.is_multiple_of(ld) {
            ld
        } else {
            1
        }
    }

    /// Elements Embed and Norm write per cycle (and Norm reads): [`Self::spad_chunk`] when it
    /// divides `n_embd`, else 1. With more than 1 they write through the chunk port, which the
    /// snoop of Norm and the Sampler does not see.
    pub fn vector_chunk(&self) -> usize {
        let k = self.spad_chunk();
        if self.model.n_embd.is_multiple_of(k) {
            k
        } else {
            1
        }
    }

    /// Rows the matrix unit writes per cycle in its wide mode (MATVEC's
    /// [`crate::lpu::isa::FLAG_WIDE`]): [`Self::vector_chunk`] when it is more than 1 and at
    /// most R (the writes go through the chunk port, which Norm's snoop watches) and the unit
    /// is write-bound, `R * C >= n_embd` (a tile of an `n_embd`-input product takes at most R
    /// reads, so one write per row paces it); else 1 (no wide mode: below that the wide mode
    /// saves only the last tile's drain, one cycle a product at 2x2, for two more multipliers).
    pub fn mv_write(&self) -> usize {
        let k = self.vector_chunk();
        if k > 1 && k <= self.rows && self.rows * self.cols >= self.model.n_embd {
            k
        } else {
            1
        }
    }

    /// Lanes of the Sampler's temperature pass 2 ([`crate::rtl::lpu::sampler`]): [`Self::vector_chunk`]
    /// where the matrix unit is write-bound (`R * C >= n_embd`, as [`Self::mv_write`]), else 1.
    /// Below that the pass is a small part of a forward pass (13 of 1073 cycles at 2x2) and each
    /// lane costs a multiplier and about 1,200 LUT4.
    pub fn sampler_lanes(&self) -> usize {
        if self.rows * self.cols >= self.model.n_embd {
            self.vector_chunk()
        } else {
            1
        }
    }

    /// log2 of R.
    pub fn lg_r(&self) -> u32 {
        self.rows.trailing_zeros()
    }
    /// log2 of C.
    pub fn lg_c(&self) -> u32 {
        self.cols.trailing_zeros()
    }
    /// `n` rounded up to a multiple of C: the scratchpad span of an `n`-element vector.
    pub fn span(&self, n: usize) -> usize {
        n.div_ceil(self.cols) * self.cols
    }
    /// Tiles of the mesh (W * H).
    pub fn n_tiles(&self) -> usize {
        self.tiles.0 * self.tiles.1
    }
    /// Mesh coordinates `(x, y)` of pipeline stage `t`: the stages snake through the mesh
    /// (row 0 west to east, row 1 east to west, ...) so consecutive stages are neighbours.
    pub fn tile_xy(&self, t: usize) -> (usize, usize) {
        let w = self.tiles.0;
        let (y, i) = (t / w, t % w);
        (if y % 2 == 0 { i } else { w - 1 - i }, y)
    }
    /// The stage that samples and holds the host link: the last one.
    pub fn host_tile(&self) -> usize {
        self.n_tiles() - 1
    }
    /// The layers stage `t` runs: a contiguous share, the first `L mod N` stages one more;
    /// with `N = L + 1` the last stage holds no layer (only the head).
    pub fn stage_layers(&self, t: usize) -> std::ops::Range<usize> {
        let (l, n) = (self.model.n_layer, self.n_tiles());
        if n == l + 1 {
            return t.min(l)..(t + 1).min(l);
        }
        let start = |k: usize| k * (l / n) + k.min(l % n);
        start(t)..start(t + 1)
    }
    /// The name of the generated core top, e.g. `llmpu_core_r4c4` (`llmpu_core_r4c4_2x1` for
    /// a mesh of tiles, `llmpu_core_r4c4_b2` for a batch of 2).
    pub fn top_name(&self) -> String {
        if self.engine == Engine::Compact {
            return format!("llmpu_core_r{}c{}_compact", self.rows, self.cols);
        }
        if self.batch > 1 {
            return format!("llmpu_core_r{}c{}_b{}", self.rows, self.cols, self.batch);
        }
        if self.tiles != (1, 1) {
            return format!("llmpu_core_r{}c{}_{}x{}", self.rows, self.cols, self.tiles.0, self.tiles.1);
        }
        format!("llmpu_core_r{}c{}", self.rows, self.cols)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> LpuParams {
        LpuParams::new(ModelConfig::microgpt(), 4, 4, "ecp5-85k")
    }

    #[test]
    fn microgpt_4x4_is_valid() {
        let c = LpuConfig::try_from(p()).unwrap();
        assert_eq!((c.rows, c.cols, c.lg_r(), c.lg_c(), c.span(27)), (4, 4, 2, 2, 28));
        assert_eq!(c.top_name(), "llmpu_core_r4c4");
    }

    #[test]
    fn errors_name_the_value_and_what_is_allowed() {
        let e = |q: LpuParams| LpuConfig::try_from(q).unwrap_err().to_string();
        assert_eq!(e(LpuParams { rows: 3, ..p() }), "rows 3 is not allowed (allowed: 1, 2, 4, 8 or 16)");
        assert_eq!(e(LpuParams { cols: 32, ..p() }), "cols 32 is not allowed (allowed: 1, 2, 4, 8 or 16)");
        assert_eq!(e(LpuParams { lanes: 3, ..p() }), "lanes 3 is not allowed (must divide n_head = 4 (allowed: 1, 2, 4))");
        assert_eq!(e(LpuParams { lanes: 0, ..p() }), "lanes 0 is not allowed (allowed: 1..=4)");
        assert_eq!(
            e(LpuParams { tiles: (3, 1), ..p() }),
            "tiles 3x1 is not allowed (allowed: at most 2 tiles for 1 layer (one stage per layer plus one for the head))"
        );
        assert_eq!(
            e(LpuParams { attention_elements: 3, ..p() }),
            "attention-elements 3 is not allowed (must divide head_dim = 4 (allowed: 1, 2, 4))"
        );
        assert_eq!(e(LpuParams { tiles: (5, 1), ..p() }), "tiles 5x1 is not allowed (allowed: W and H in 1..=4)");
        assert_eq!(e(LpuParams { tiles: (1, 0), ..p() }), "tiles 1x0 is not allowed (allowed: W and H in 1..=4)");
        assert_eq!(e(LpuParams { batch: 3, ..p() }), "batch 3 is not allowed (allowed: 1, 2 or 4)");
        assert_eq!(e(LpuParams { batch: 2, tiles: (1, 2), ..p() }), "batch 2 is not allowed (allowed: 1 with tiles 1x2 (a batch runs on one tile))");
        assert_eq!(LpuConfig::try_from(LpuParams { batch: 2, ..p() }).unwrap().top_name(), "llmpu_core_r4c4_b2");
        assert!(e(LpuParams { target: "xc7".into(), ..p() }).starts_with("target 'xc7' is not allowed (allowed: ice40-up5k"));
    }

    #[test]
    fn attention_elements_default_by_target() {
        let c = |t: &str, e: usize| LpuConfig::try_from(LpuParams { attention_elements: e, ..LpuParams::new(ModelConfig::microgpt(), 1, 1, t) }).unwrap().attention_elements;
        assert_eq!((c("ecp5-85k", 0), c("ice40-up5k", 0), c("ice40-up5k", 4), c("ecp5-85k", 2)), (4, 1, 4, 2));
    }

    #[test]
    fn stages_share_the_layers() {
        let with = |layers: usize, tiles: (usize, usize)| {
            let m = ModelConfig::try_from(crate::model::ModelParams { n_layer: layers, ..crate::model::ModelParams::MICROGPT }).unwrap();
            LpuConfig::try_from(LpuParams { tiles, ..LpuParams::new(m, 4, 4, "ecp5-85k") }).unwrap()
        };
        let c = with(1, (1, 2));
        assert_eq!((c.stage_layers(0), c.stage_layers(1), c.host_tile(), c.tile_xy(1)), (0..1, 1..1, 1, (0, 1)));
        let c = with(2, (2, 1));
        assert_eq!((c.stage_layers(0), c.stage_layers(1), c.tile_xy(1)), (0..1, 1..2, (1, 0)));
        let c = with(5, (2, 2));
        let s: Vec<_> = (0..4).map(|t| c.stage_layers(t)).collect();
        assert_eq!(s, vec![0..2, 2..3, 3..4, 4..5]);
        let xy: Vec<_> = (0..4).map(|t| c.tile_xy(t)).collect();
        assert_eq!(xy, vec![(0, 0), (1, 0), (1, 1), (0, 1)]);
        assert_eq!(with(1, (1, 1)).stage_layers(0), 0..1);
    }

    #[test]
    fn tiles_parse() {
        assert_eq!(parse_tiles("2x3").unwrap(), (2, 3));
        assert_eq!(parse_tiles("0x1").unwrap_err().to_string(), "tiles '0x1' is not allowed (allowed: WxH with W, H >= 1, e.g. 1x1)");
        assert!(parse_tiles("4").is_err());
    }
}

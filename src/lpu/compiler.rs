//! The compiler: from a [`QuantModel`] and an [`LpuConfig`] to everything the core holds in ROM
//! — the weight store image (R x C words) and its requant store, the tensor table, the
//! scratchpad layout and the per-token program ([`Compiled`]) — and the instruction-level
//! [`Interpreter`] of that program, which must equal [`crate::model::Golden::step`] bit for bit.
//!
//! Weight store layout (the contract's generalisation of `src/rtl/rom/map.rs`): a word is
//! `R*C` signed bytes, lane `l = r*C + c`; a `rows x cols` tensor takes `tiles = ceil(rows/R)`
//! tiles of `chunks = ceil(cols/C)` words, `w[row][col]` at word
//! `base + (row / R) * chunks + col / C`, lane `(row % R) * C + col % C`; padding lanes hold 0;
//! tensors back to back in [`ModelConfig::tensors`](crate::model::ModelConfig::tensors) order.
//! Requant store: one 24-bit word per row, row `r` of a tensor at `rq_base + r`.

use super::config::LpuConfig;
use super::isa::{Instr, Op, FLAG_ACC, FLAG_PRE, FLAG_RELU, FLAG_WIDE, KIND_ACT, KIND_TOKEN, PACKET_ELEMS};
use crate::model::quant::QTensor;
use crate::model::QuantModel;
use crate::numeric::{attention_head, rmsnorm, sample, sat_i16, NormConsts, Requant, Temperature, XorShift32};
use crate::rtl::rom::image::rq_word;
use crate::{Error, Result};
use serde::Serialize;
use crate::rtl::rom::config::RomConfig;
use crate::rtl::rom::map::{MemoryMap, Placement, Slot};

/// Largest weight-store or requant-store depth (16-bit addresses).
pub const MAX_WORDS: usize = 1 << 16;

/// Where one tensor lives in the weight store: the weight store's own [`Placement`]
/// (`src/rtl/rom/map.rs` is the one definition of the layout).
pub type TensorPlace = Placement;

/// The weight store's memory map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeightMap {
    pub rows: usize,
    pub cols: usize,
    /// Words of the weight store.
    pub depth: usize,
    /// Words of the requant store.
    pub rq_depth: usize,
    pub tensors: Vec<TensorPlace>,
    /// The weight store's map these fields are read from.
    #[serde(skip)]
    map: MemoryMap,
}

impl WeightMap {
    /// The placement of `cfg`'s tensors, read from the weight store's [`MemoryMap`] for an
    /// `R x C` store (nothing here recomputes the layout).
    pub fn new(cfg: &LpuConfig) -> Result<Self> {
        let (r, c) = (cfg.rows, cfg.cols);
        let map = MemoryMap::new(&RomConfig::rc(r as u32, c as u32)?, &cfg.model.tensors())?;
        if map.depth > MAX_WORDS || map.rq_depth > MAX_WORDS {
            return Err(Error::invalid(
                "rows x cols",
                format!("{r}x{c}"),
                format!("the model needs {} weight words; allowed: at most {MAX_WORDS}, use a larger matrix unit", map.depth),
            ));
        }
        Ok(WeightMap { rows: r, cols: c, depth: map.depth, rq_depth: map.rq_depth, tensors: map.tensors.clone(), map })
    }

    /// `(word, lane)` of `w[row][col]` of tensor `t` ([`MemoryMap::locate`]).
    pub fn locate(&self, t: &TensorPlace, row: usize, col: usize) -> (usize, usize) {
        let (lane, word) = self.map.locate(t, row, col);
        (word, lane)
    }

    /// The tensor and `(row, col)` a `(word, lane)` holds, `None` for padding or past the end
    /// ([`MemoryMap::describe`]).
    pub fn describe(&self, word: usize, lane: usize) -> Option<(&str, usize, usize)> {
        match self.map.describe(lane, word)? {
            Slot::Weight { tensor, row, col } => Some((tensor, row, col)),
            _ => None,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "layout": "w[row][col] at word base + (row / R) * chunks + col / C, lane (row % R) * C + col % C (byte lane at bits [8 lane +: 8]); requant of row r at rq_base + r",
            "word_bits": self.rows * self.cols * 8,
            "depth": self.depth,
            "rq_depth": self.rq_depth,
            "rq_bits": 24,
            "rq_fields": {"mult": [15, 0], "shift": [21, 16]},
            "tensors": self.tensors,
        })
    }
}

/// The contents of the weight and requant stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightImage {
    /// `depth` words of `R*C` bytes, lane order.
    pub words: Vec<Vec<i8>>,
    /// `rq_depth` 24-bit words.
    pub rq: Vec<u32>,
}

/// The model's tensors in store order.
pub fn tensors(q: &QuantModel) -> Vec<&QTensor> {
    let mut t = vec![&q.wte, &q.wpe, &q.lm_head];
    for l in &q.layers {
        t.extend([&l.wq, &l.wk, &l.wv, &l.wo, &l.fc1, &l.fc2]);
    }
    t
}

impl WeightImage {
    pub fn build(map: &WeightMap, q: &QuantModel) -> Self {
        let mut words = vec![vec![0i8; map.rows * map.cols]; map.depth];
        let mut rq = vec![0u32; map.rq_depth];
        for (t, p) in tensors(q).into_iter().zip(&map.tensors) {
            for r in 0..t.rows {
                for (c, &w) in t.row(r).iter().enumerate() {
                    let (word, lane) = map.locate(p, r, c);
                    words[word][lane] = w;
                }
                rq[p.rq_base + r] = rq_word(&t.rq[r]) as u32;
            }
        }
        WeightImage { words, rq }
    }

    /// Word `w` as little-endian lane bytes packed into 64-bit limbs (lane `l` at bits `8l`).
    pub fn limbs(&self, w: usize) -> Vec<u64> {
        let mut out = vec![0u64; self.words[w].len().div_ceil(8)];
        for (l, &b) in self.words[w].iter().enumerate() {
            out[l / 8] |= (b as u8 as u64) << (8 * (l % 8));
        }
        out
    }

    pub fn requant(&self, addr: usize) -> Requant {
        let w = self.rq[addr];
        Requant { mult: (w & 0xffff) as u16, shift: (w >> 16) & 63 }
    }
}

/// Scratchpad element addresses of every vector (each a multiple of C).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Layout {
    /// Residual stream.
    pub x: usize,
    /// Norm output.
    pub xn: usize,
    pub q: usize,
    pub k: usize,
    pub v: usize,
    pub att: usize,
    /// Embedding sum and matvec outputs added to the residual.
    pub y: usize,
    /// MLP hidden layer.
    pub h: usize,
    pub logits: usize,
    /// Elements in all (a multiple of C).
    pub size: usize,
}

impl Layout {
    pub fn new(cfg: &LpuConfig) -> Result<Self> {
        let m = cfg.model;
        let e = cfg.span(m.n_embd);
        let mut at = 0;
        let mut next = |n: usize| {
            let a = at;
            at += cfg.span(n);
            a
        };
        let (x, xn, q, k, v, att, y) = (next(e), next(e), next(e), next(e), next(e), next(e), next(e));
        let h = next(m.mlp_hidden);
        let logits = next(m.vocab);
        if at > super::isa::ADDR_LIMIT {
            return Err(Error::invalid(
                "scratchpad",
                format!("{at} elements"),
                format!("allowed: at most {} (12-bit address fields); use a smaller model", super::isa::ADDR_LIMIT),
            ));
        }
        Ok(Layout { x, xn, q, k, v, att, y, h, logits, size: at })
    }
}

/// The constants of the integer rules the units take as inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Consts {
    /// NORM constant sets: 0 = embedding norm, 1 = layer norm.
    pub norm: [NormConsts; 2],
    pub q_frac: u32,
    pub k_frac: u32,
    pub logit_frac: u32,
}

/// One tensor-table entry: what MATVEC `aux` selects.
pub fn table_entry(t: &TensorPlace) -> u64 {
    t.base as u64 | (t.rq_base as u64) << 16 | (t.rows as u64) << 32 | (t.chunks as u64) << 48
}

/// Everything compiled for one model on one configuration.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub cfg: LpuConfig,
    pub map: WeightMap,
    pub image: WeightImage,
    pub layout: Layout,
    pub consts: Consts,
    /// The program of the host tile (the one that samples): with one tile the whole pass.
    pub program: Vec<Instr>,
    /// One program per pipeline stage ([`tile_programs`]); `tiles[N-1] == program`.
    pub tiles: Vec<Vec<Instr>>,
    /// Tensor table: one 64-bit entry per tensor of `map`, then the fused entries of
    /// [`fused_qkv`] (one per layer when they exist).
    pub table: Vec<u64>,
    /// Names of the table entries (for listings).
    pub table_names: Vec<String>,
    /// ASCII of each token (BOS is `\n`).
    pub chars: Vec<u8>,
}

/// Index of tensor `w` (0 = wq ... 5 = fc2) of layer `l` in the tensor table.
fn layer_tensor(l: usize, w: usize) -> u8 {
    (3 + 6 * l + w) as u8
}

/// Whether layer `l`'s `wq`, `wk`, `wv` can run as one MATVEC of `3 n_embd` rows: they are back
/// to back in the store and in the requant store, and when `n_embd` is a multiple of R and C no
/// tile straddles two of them and q, k, v are back to back in the scratchpad.
pub fn fused_qkv(cfg: &LpuConfig) -> bool {
    let e = cfg.model.n_embd;
    e.is_multiple_of(cfg.rows) && e.is_multiple_of(cfg.cols)
}

/// The tensor table: the map's tensors, then (with [`fused_qkv`]) one `layer{l}.qkv` entry per
/// layer covering `wq`, `wk`, `wv`.
pub fn tensor_table(cfg: &LpuConfig, map: &WeightMap) -> (Vec<u64>, Vec<String>) {
    let mut t: Vec<u64> = map.tensors.iter().map(table_entry).collect();
    let mut names: Vec<String> = map.tensors.iter().map(|p| p.name.clone()).collect();
    if fused_qkv(cfg) {
        for l in 0..cfg.model.n_layer {
            let wq = &map.tensors[layer_tensor(l, 0) as usize];
            let p = TensorPlace { name: format!("layer{l}.qkv"), rows: 3 * wq.rows, words: 3 * wq.words, tiles: 3 * wq.tiles, ..wq.clone() };
            t.push(table_entry(&p));
            names.push(p.name);
        }
    }
    (t, names)
}

/// Decodes a tensor-table entry: `(w_base, rq_base, rows, chunks)`.
pub fn table_fields(e: u64) -> (usize, usize, usize, usize) {
    ((e & 0xffff) as usize, (e >> 16 & 0xffff) as usize, (e >> 32 & 0xffff) as usize, (e >> 48) as usize)
}

/// The instructions of layer `l`: attention block then MLP block, each added to the residual
/// stream `x` by its last MATVEC (`wo`, `fc2`) with [`FLAG_ACC`].
fn layer_program(cfg: &LpuConfig, lay: &Layout, l: usize) -> Vec<Instr> {
    let a = |v: usize| v as u16;
    let mv = |t: u8, src: usize, dst: usize, flags: u8| Instr { flags, aux: t, a: a(src), b: a(dst), ..Instr::new(Op::Matvec) };
    let norm = Instr { a: a(lay.x), b: a(lay.xn), flags: 1, ..Instr::new(Op::Norm) };
    let mut p = vec![norm];
    if fused_qkv(cfg) {
        let qkv = (cfg.model.tensors().len() + l) as u8;
        p.push(mv(qkv, lay.xn, lay.q, 0));
    } else {
        p.push(mv(layer_tensor(l, 0), lay.xn, lay.q, 0));
        p.push(mv(layer_tensor(l, 1), lay.xn, lay.k, 0));
        p.push(mv(layer_tensor(l, 2), lay.xn, lay.v, 0));
    }
    p.push(Instr { aux: l as u8, a: a(lay.q), b: a(lay.k), c: a(lay.v), d: a(lay.att), ..Instr::new(Op::Attn) });
    p.push(mv(layer_tensor(l, 3), lay.att, lay.x, FLAG_ACC));
    p.push(norm);
    p.push(mv(layer_tensor(l, 4), lay.xn, lay.h, FLAG_RELU));
    p.push(mv(layer_tensor(l, 5), lay.h, lay.x, FLAG_ACC));
    p
}

/// EMBED and the embedding norm: the residual stream of the token at `lay.x`.
fn embed_program(lay: &Layout) -> Vec<Instr> {
    vec![Instr { a: lay.y as u16, ..Instr::new(Op::Embed) }, Instr { a: lay.y as u16, b: lay.x as u16, flags: 0, ..Instr::new(Op::Norm) }]
}

/// lm_head on the residual stream and SAMPLE.
fn head_program(cfg: &LpuConfig, lay: &Layout) -> Vec<Instr> {
    vec![
        Instr { aux: 2, a: lay.x as u16, b: lay.logits as u16, ..Instr::new(Op::Matvec) },
        Instr { a: lay.logits as u16, b: cfg.model.vocab as u16, ..Instr::new(Op::Sample) },
    ]
}

/// The scratchpad range `(start, len)` an instruction writes completely, once per element, and
/// whether through the chunk port (`true`: EMBED and NORM when they write more than one
/// element per cycle, [`LpuConfig::vector_chunk`], and a MATVEC with [`FLAG_WIDE`]) or the
/// element port: EMBED's and NORM's `n_embd` elements, MATVEC's rows (from its tensor-table
/// entry in `table`; a wide MATVEC's last chunk write holds the rows left, its other lanes
/// masked); `None` for the others. Norm's snoop watches both ports, the Sampler's the chunk
/// port only with more than one lane ([`LpuConfig::sampler_lanes`], the chunk's width then).
pub fn full_write(cfg: &LpuConfig, table: &[u64], i: &Instr) -> Option<(usize, usize, bool)> {
    let n_embd = cfg.model.n_embd;
    let wide = cfg.vector_chunk() > 1;
    match i.op {
        Op::Embed => Some((i.a as usize, n_embd, wide)),
        Op::Norm => Some((i.b as usize, n_embd, wide)),
        Op::Matvec => table.get(i.aux as usize).map(|&e| (i.b as usize, table_fields(e).2, i.flags & FLAG_WIDE != 0)),
        _ => None,
    }
}

/// Whether `i` may take `pre` after an instruction that wrote `w` ([`full_write`]): it wrote
/// exactly `i`'s source, through a port `i`'s unit watches. (Norm's snoop does not read lane
/// masks; a masked write never covers its source exactly: NORM reads `n_embd` elements, a
/// multiple of the chunk.)
fn pre_ok(cfg: &LpuConfig, i: &Instr, w: Option<(usize, usize, bool)>) -> bool {
    match (pre_source(cfg.model.n_embd, i), w) {
        (Some(src), Some((at, n, chunk))) => src == (at, n) && !(chunk && i.op == Op::Sample && cfg.sampler_lanes() == 1),
        _ => false,
    }
}

/// The source a NORM or SAMPLE reads, `(start, len)`; `None` for the others.
fn pre_source(n_embd: usize, i: &Instr) -> Option<(usize, usize)> {
    match i.op {
        Op::Norm => Some((i.a as usize, n_embd)),
        Op::Sample => Some((i.a as usize, i.b as usize)),
        _ => None,
    }
}

/// Sets [`FLAG_WIDE`] on every MATVEC that can write [`LpuConfig::mv_write`] rows per cycle
/// (more than 1; its destination a multiple of it): lm_head's 27 rows too, whose last write
/// holds the rows left and which SAMPLE's chunk snoop sees (the Sampler has `W` lanes then).
pub fn mark_wide(cfg: &LpuConfig, table: &[u64], p: &mut [Instr]) {
    let w = cfg.mv_write();
    if w == 1 {
        return;
    }
    for i in p.iter_mut().filter(|i| i.op == Op::Matvec) {
        let rows = table.get(i.aux as usize).map_or(0, |&e| table_fields(e).2);
        if rows > 0 && (i.b as usize).is_multiple_of(w) {
            i.flags |= FLAG_WIDE;
        }
    }
}

/// Sets [`FLAG_PRE`] on every NORM and SAMPLE whose source the previous instruction wrote
/// completely ([`full_write`]): the unit then takes its sum of squares or maximum from those
/// writes (docs/isa.md). Not in a batched core: there the previous instruction of the same
/// sequence may run while Norm or the Sampler serves another sequence, so no snoop is kept.
pub fn mark_pre(cfg: &LpuConfig, table: &[u64], p: &mut [Instr]) {
    if cfg.batch > 1 {
        return;
    }
    for k in 1..p.len() {
        if pre_ok(cfg, &p[k], full_write(cfg, table, &p[k - 1])) {
            p[k].flags |= FLAG_PRE;
        }
    }
}

/// The per-token program of a single tile (the whole forward pass).
pub fn program(cfg: &LpuConfig, lay: &Layout) -> Result<Vec<Instr>> {
    let mut p = embed_program(lay);
    for l in 0..cfg.model.n_layer {
        p.extend(layer_program(cfg, lay, l));
    }
    p.extend(head_program(cfg, lay));
    p.push(Instr::new(Op::End));
    for i in &p {
        i.check()?;
    }
    Ok(p)
}

/// The `aux` field of a SEND to stage `t`: its mesh coordinates `x | y << 4`.
pub fn tile_aux(cfg: &LpuConfig, t: usize) -> u8 {
    let (x, y) = cfg.tile_xy(t);
    (x | y << 4) as u8
}

/// The residual stream `lay.x` as SEND (`send = true`, to stage `to`) or RECV instructions,
/// one packet of at most [`PACKET_ELEMS`] elements each.
fn move_residual(cfg: &LpuConfig, lay: &Layout, send: bool, to: usize) -> Vec<Instr> {
    let e = cfg.model.n_embd;
    (0..e)
        .step_by(PACKET_ELEMS)
        .map(|at| {
            let len = PACKET_ELEMS.min(e - at) as u16;
            let a = (lay.x + at) as u16;
            if send {
                Instr { aux: tile_aux(cfg, to), flags: KIND_ACT, a, b: len, ..Instr::new(Op::Send) }
            } else {
                Instr { flags: KIND_ACT, a, b: len, ..Instr::new(Op::Recv) }
            }
        })
        .collect()
}

/// One program per pipeline stage (index = stage, mesh place [`LpuConfig::tile_xy`]). One tile:
/// [`program`]. `N > 1` tiles (docs/lpu.md, "Tiles and the network-on-chip"):
/// * stage 0: `RECV token`, EMBED, NORM, its layers, SEND the residual to stage 1, END;
/// * stage `0 < t < N-1`: RECV the residual, its layers, SEND it to stage `t+1`, END;
/// * stage `N-1` (the host tile, it runs the token loop): `SEND token` to stage 0, RECV the
///   residual, its layers, lm_head, SAMPLE, END.
///
/// Each stage receives from exactly one sender, so packets arrive in the order they are
/// awaited. Stages other than the last run their program in a loop, forever.
pub fn tile_programs(cfg: &LpuConfig, lay: &Layout) -> Result<Vec<Vec<Instr>>> {
    let n = cfg.n_tiles();
    if n == 1 {
        return Ok(vec![program(cfg, lay)?]);
    }
    let mut out = Vec::with_capacity(n);
    for t in 0..n {
        let mut p = Vec::new();
        if t == 0 {
            p.push(Instr { flags: KIND_TOKEN, b: 1, ..Instr::new(Op::Recv) });
            p.extend(embed_program(lay));
        } else {
            if t == n - 1 {
                p.push(Instr { aux: tile_aux(cfg, 0), flags: KIND_TOKEN, b: 1, ..Instr::new(Op::Send) });
            }
            p.extend(move_residual(cfg, lay, false, t));
        }
        for l in cfg.stage_layers(t) {
            p.extend(layer_program(cfg, lay, l));
        }
        if t == n - 1 {
            p.extend(head_program(cfg, lay));
        } else {
            p.extend(move_residual(cfg, lay, true, t + 1));
        }
        p.push(Instr::new(Op::End));
        for i in &p {
            i.check()?;
        }
        out.push(p);
    }
    Ok(out)
}

impl Compiled {
    pub fn new(cfg: &LpuConfig, q: &QuantModel) -> Result<Self> {
        if q.cfg != cfg.model {
            return Err(Error::invalid("model", format!("{:?}", q.cfg.params()), "allowed: the model of the configuration"));
        }
        let map = WeightMap::new(cfg)?;
        let image = WeightImage::build(&map, q);
        let layout = Layout::new(cfg)?;
        let mut tiles = tile_programs(cfg, &layout)?;
        let (table, table_names) = tensor_table(cfg, &map);
        for p in &mut tiles {
            mark_wide(cfg, &table, p);
            mark_pre(cfg, &table, p);
        }
        if let Some(p) = tiles.iter().find(|p| p.len() > 256) {
            return Err(Error::invalid(
                "program",
                format!("{} instructions", p.len()),
                "allowed: at most 256 (8-bit program counter); use fewer layers or more tiles",
            ));
        }
        let program = tiles[tiles.len() - 1].clone();
        let bos = cfg.model.bos();
        let chars = (0..cfg.model.vocab)
            .map(|t| if t == bos { b'\n' } else { q.tok.char(t).filter(|c| c.is_ascii()).map(|c| c as u8).unwrap_or(b'?') })
            .collect();
        let consts = Consts { norm: [q.norm_embed, q.norm], q_frac: q.fmt.q, k_frac: q.fmt.k, logit_frac: q.fmt.logit };
        Ok(Compiled { cfg: *cfg, map, image, layout, consts, program, tiles, table, table_names, chars })
    }

    pub fn encoded(&self) -> Vec<u64> {
        self.program.iter().map(Instr::encode).collect()
    }

    /// The program as text, one instruction a line with its address and encoding.
    pub fn listing(&self) -> String {
        self.listing_of(&self.program)
    }

    /// Program `p` as text (see [`Compiled::listing`]).
    pub fn listing_of(&self, p: &[Instr]) -> String {
        let name = |t: u8| self.table_names.get(t as usize).cloned().unwrap_or_else(|| format!("tensor{t}"));
        p.iter().enumerate().map(|(pc, i)| format!("{pc:3}  {:016x}  {}\n", i.encode(), i.listing(name))).collect()
    }

    /// The compiled model as stage `t` of the mesh holds it: `program` is the stage's program
    /// (every tile holds the whole weight image; the stage reads only its layers' tensors).
    pub fn tile(&self, t: usize) -> Result<Compiled> {
        let p = self.tiles.get(t).ok_or_else(|| Error::invalid("tile", t, format!("allowed: 0..{}", self.tiles.len())))?;
        Ok(Compiled { program: p.clone(), ..self.clone() })
    }

    /// Flips bit `bit` (0..8) of lane `lane` of weight word `word` (for fault-injection tests).
    pub fn flip_weight_bit(&mut self, word: usize, lane: usize, bit: u32) -> Result<()> {
        let w = self.image.words.get_mut(word).ok_or_else(|| Error::invalid("word", word, "allowed: a word of the store"))?;
        let b = w.get_mut(lane).ok_or_else(|| Error::invalid("lane", lane, "allowed: a lane of the word"))?;
        *b = (*b as u8 ^ (1u8 << (bit & 7))) as i8;
        Ok(())
    }
}

/// The program run instruction by instruction on a software scratchpad and KV cache, reading
/// weights only from the compiled [`WeightImage`] and constants only from [`Consts`].
#[derive(Debug, Clone)]
pub struct Interpreter<'a> {
    pub c: &'a Compiled,
    pub spad: Vec<i16>,
    /// Per layer, per position, n_embd keys / values.
    keys: Vec<Vec<Vec<i16>>>,
    values: Vec<Vec<Vec<i16>>>,
    pos: usize,
    /// The program this interpreter runs (`c.program`, or a stage's program in a mesh).
    prog: &'a [Instr],
    /// What the previous instruction wrote completely ([`full_write`]), for [`FLAG_PRE`].
    last_write: Option<(usize, usize, bool)>,
}

impl<'a> Interpreter<'a> {
    pub fn new(c: &'a Compiled) -> Self {
        Self::with_program(c, &c.program)
    }

    fn with_program(c: &'a Compiled, prog: &'a [Instr]) -> Self {
        let l = c.cfg.model.n_layer;
        Interpreter { c, spad: vec![0; c.layout.size], keys: vec![Vec::new(); l], values: vec![Vec::new(); l], pos: 0, prog, last_write: None }
    }

    /// Forgets the cache: the next step is position 0.
    pub fn reset(&mut self) {
        self.pos = 0;
        self.keys.iter_mut().for_each(Vec::clear);
        self.values.iter_mut().for_each(Vec::clear);
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The logits of the last step.
    pub fn logits(&self) -> &[i16] {
        let l = self.c.layout.logits;
        &self.spad[l..l + self.c.cfg.model.vocab]
    }

    fn weight(&self, word: usize, lane: usize) -> i32 {
        self.c.image.words[word][lane] as i32
    }

    /// MATVEC from the tensor-table entry `t` (as the hardware reads it); `add` adds the result
    /// to the destination, saturating.
    fn matvec(&mut self, t: usize, src: usize, dst: usize, relu: bool, add: bool) {
        let (base, rq_base, rows, chunks) = table_fields(self.c.table[t]);
        let (r, c) = (self.c.cfg.rows, self.c.cfg.cols);
        for row in 0..rows {
            let mut acc = 0i32;
            for ch in 0..chunks {
                let word = base + (row / r) * chunks + ch;
                for cc in 0..c {
                    let x = self.spad[src + ch * c + cc] as i32;
                    acc = acc.wrapping_add(self.weight(word, (row % r) * c + cc).wrapping_mul(x));
                }
            }
            let y = self.c.image.requant(rq_base + row).apply(acc as i64);
            let y = if relu { y.max(0) } else { y };
            self.spad[dst + row] = if add { sat_i16(self.spad[dst + row] as i64 + y as i64) } else { y };
        }
    }

    /// Checks that `token` can run at position `t`.
    fn check_step(&self, token: usize, t: usize) -> Result<()> {
        let m = self.c.cfg.model;
        if t >= m.block_size {
            return Err(Error::invalid("position", t, format!("allowed: 0..{} (block_size)", m.block_size)));
        }
        if token >= m.vocab {
            return Err(Error::invalid("token", token, format!("allowed: 0..{}", m.vocab)));
        }
        Ok(())
    }

    /// Executes one compute instruction (not END, SEND or RECV) for `token` at position `t`;
    /// returns the sampled token of a SAMPLE when `sampler` is given.
    fn exec(&mut self, i: &Instr, token: usize, t: usize, sampler: &mut Option<(u16, &mut XorShift32)>) -> Result<Option<usize>> {
        let c = self.c;
        let m = c.cfg.model;
        let (e, hd) = (m.n_embd, m.head_dim());
        let (a, b, cc, d) = (i.a as usize, i.b as usize, i.c as usize, i.d as usize);
        let before = self.last_write.take();
        if let Some(src) = pre_source(e, i).filter(|_| i.flags & FLAG_PRE != 0) {
            if !pre_ok(&c.cfg, i, before) {
                return Err(Error::Mismatch(format!(
                    "{} with the pre flag reads {} elements at {}, but the previous instruction wrote {}",
                    i.op.mnemonic(),
                    src.1,
                    src.0,
                    before.map_or("no whole vector".to_string(), |(at, n, chunk)| {
                        format!("{n} elements at {at}{}", if chunk { " through the chunk port" } else { "" })
                    })
                )));
            }
        }
        self.last_write = full_write(&c.cfg, &c.table, i);
        match i.op {
            Op::End | Op::Send | Op::Recv => {
                return Err(Error::invalid("instruction", i.op.mnemonic(), "allowed here: a compute instruction (SEND and RECV run in a MeshInterpreter)"))
            }
            Op::Embed => {
                let (wte, wpe) = (&c.map.tensors[0], &c.map.tensors[1]);
                let (rt, rp) = (c.image.requant(wte.rq_base + token), c.image.requant(wpe.rq_base + t));
                for k in 0..e {
                    let (w1, l1) = c.map.locate(wte, token, k);
                    let (w2, l2) = c.map.locate(wpe, t, k);
                    let v = rt.apply(self.weight(w1, l1) as i64) as i64 + rp.apply(self.weight(w2, l2) as i64) as i64;
                    self.spad[a + k] = sat_i16(v);
                }
            }
            Op::Norm => {
                let k: &NormConsts = &c.consts.norm[(i.flags & 1) as usize];
                let x: Vec<i16> = self.spad[a..a + e].to_vec();
                rmsnorm(&x, k, &mut self.spad[b..b + e]);
            }
            Op::Matvec => {
                let w = c.cfg.mv_write();
                let rows = c.table.get(i.aux as usize).map_or(0, |&e| table_fields(e).2);
                if i.flags & FLAG_WIDE != 0 && (w == 1 || !b.is_multiple_of(w)) {
                    return Err(Error::invalid(
                        "MATVEC wide flag",
                        format!("{rows} rows to {b}"),
                        format!("allowed: a destination that is a multiple of the unit's wide write ({w} rows per cycle, more than 1)"),
                    ));
                }
                self.matvec(i.aux as usize, a, b, i.flags & FLAG_RELU != 0, i.flags & FLAG_ACC != 0)
            }
            Op::Attn => {
                let l = i.aux as usize;
                self.keys[l].truncate(t);
                self.values[l].truncate(t);
                self.keys[l].push(self.spad[b..b + e].to_vec());
                self.values[l].push(self.spad[cc..cc + e].to_vec());
                for h in 0..m.n_head {
                    let (lo, hi) = (h * hd, (h + 1) * hd);
                    let ks: Vec<Vec<i16>> = self.keys[l].iter().map(|k| k[lo..hi].to_vec()).collect();
                    let vs: Vec<Vec<i16>> = self.values[l].iter().map(|v| v[lo..hi].to_vec()).collect();
                    let o = attention_head(&self.spad[a + lo..a + hi], &ks, &vs, c.consts.q_frac, c.consts.k_frac);
                    self.spad[d + lo..d + hi].copy_from_slice(&o);
                }
            }
            Op::Sample => {
                if let Some((k, rng)) = sampler.as_mut() {
                    return Ok(Some(sample(&self.spad[a..a + b], c.consts.logit_frac, temperature(*k), rng)));
                }
            }
        }
        Ok(None)
    }

    /// Runs the program for `token` at the next position. `sampler` is `Some((temp_k, rng))`
    /// when SAMPLE runs (the step's logits are sampled) and `None` while the prompt is forced.
    /// Returns the sampled token, if any.
    pub fn step(&mut self, token: usize, sampler: Option<(u16, &mut XorShift32)>) -> Result<Option<usize>> {
        let t = self.pos;
        self.check_step(token, t)?;
        let mut sampler = sampler;
        let mut sampled = None;
        for i in self.prog {
            if i.op == Op::End {
                break;
            }
            if let Some(s) = self.exec(i, token, t, &mut sampler)? {
                sampled = Some(s);
            }
        }
        self.pos += 1;
        Ok(sampled)
    }
}

/// A packet between tiles as the network interfaces exchange it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Sending stage.
    pub src: usize,
    /// [`KIND_ACT`] or [`KIND_TOKEN`].
    pub kind: u8,
    /// The sender's position (the header's tag).
    pub pos: usize,
    /// Elements (the token for [`KIND_TOKEN`]).
    pub data: Vec<i16>,
}

/// The per-stage programs of a mesh run by one [`Interpreter`] per tile, the tiles in a loop,
/// each running until it waits on a RECV with no packet queued (packets are queues, one per
/// destination, in the order sent). The host stage (the last) runs the token loop as
/// [`Interpreter::step`] does; the others run their program forever, their token and position
/// taken from the packets they receive. With one tile it is [`Interpreter`].
#[derive(Debug, Clone)]
pub struct MeshInterpreter<'a> {
    pub c: &'a Compiled,
    pub tiles: Vec<Interpreter<'a>>,
    tok: Vec<usize>,
    pc: Vec<usize>,
    inbox: Vec<std::collections::VecDeque<Packet>>,
    /// Packets and payload elements sent so far.
    pub packets: u64,
    pub elements: u64,
}

impl<'a> MeshInterpreter<'a> {
    pub fn new(c: &'a Compiled) -> Self {
        let n = c.tiles.len();
        MeshInterpreter {
            c,
            tiles: c.tiles.iter().map(|p| Interpreter::with_program(c, p)).collect(),
            tok: vec![0; n],
            pc: vec![0; n],
            inbox: vec![Default::default(); n],
            packets: 0,
            elements: 0,
        }
    }

    fn host(&self) -> usize {
        self.tiles.len() - 1
    }

    /// Forgets every tile's cache: the next step is position 0.
    pub fn reset(&mut self) {
        self.tiles.iter_mut().for_each(Interpreter::reset);
        self.pc.iter_mut().for_each(|p| *p = 0);
        self.inbox.iter_mut().for_each(|q| q.clear());
    }

    pub fn pos(&self) -> usize {
        self.tiles[self.host()].pos
    }

    /// The logits of the last step (the host tile's).
    pub fn logits(&self) -> &[i16] {
        self.tiles[self.host()].logits()
    }

    /// The stage at mesh coordinates `aux` (as SEND encodes them).
    fn stage_at(&self, aux: u8) -> Result<usize> {
        let xy = ((aux & 15) as usize, (aux >> 4) as usize);
        (0..self.tiles.len())
            .find(|&t| self.c.cfg.tile_xy(t) == xy)
            .ok_or_else(|| Error::invalid("SEND destination", format!("({},{})", xy.0, xy.1), "allowed: a tile of the mesh"))
    }

    /// Runs one step of the pipeline for `token` at the host's next position (as
    /// [`Interpreter::step`]).
    pub fn step(&mut self, token: usize, sampler: Option<(u16, &mut XorShift32)>) -> Result<Option<usize>> {
        let h = self.host();
        let pos = self.tiles[h].pos;
        self.tiles[h].check_step(token, pos)?;
        self.tok[h] = token;
        self.pc[h] = 0;
        let mut sampler = sampler;
        let mut sampled = None;
        let mut done = false;
        while !done {
            let mut progress = false;
            for t in 0..self.tiles.len() {
                loop {
                    let prog = &self.c.tiles[t];
                    let i = prog[self.pc[t]];
                    let here = self.tiles[t].pos;
                    match i.op {
                        Op::End => {
                            self.pc[t] = 0;
                            progress = true;
                            if t == h {
                                done = true;
                            }
                            break;
                        }
                        Op::Send => {
                            self.tiles[t].last_write = None;
                            let dst = self.stage_at(i.aux)?;
                            let data = if i.flags & 1 == KIND_TOKEN {
                                vec![self.tok[t] as i16]
                            } else {
                                self.tiles[t].spad[i.a as usize..(i.a + i.b) as usize].to_vec()
                            };
                            self.packets += 1;
                            self.elements += data.len() as u64;
                            self.inbox[dst].push_back(Packet { src: t, kind: i.flags & 1, pos: here, data });
                        }
                        Op::Recv => {
                            let Some(p) = self.inbox[t].pop_front() else { break };
                            self.tiles[t].last_write = None;
                            if p.kind != i.flags & 1 || (p.kind == KIND_ACT && p.data.len() != i.b as usize) {
                                return Err(Error::Mismatch(format!(
                                    "tile {t} pc {}: RECV kind {} len {} got a packet of kind {} with {} elements from tile {}",
                                    self.pc[t],
                                    i.flags & 1,
                                    i.b,
                                    p.kind,
                                    p.data.len(),
                                    p.src
                                )));
                            }
                            self.tiles[t].pos = p.pos;
                            if p.kind == KIND_TOKEN {
                                self.tok[t] = p.data[0] as u16 as usize;
                                self.tiles[t].check_step(self.tok[t], p.pos)?;
                            } else {
                                self.tiles[t].spad[i.a as usize..(i.a + i.b) as usize].copy_from_slice(&p.data);
                            }
                        }
                        _ => {
                            let tok = self.tok[t];
                            let mut none = None;
                            let smp = if t == h { &mut sampler } else { &mut none };
                            if let Some(s) = self.tiles[t].exec(&i, tok, here, smp)? {
                                sampled = Some(s);
                            }
                        }
                    }
                    self.pc[t] += 1;
                    progress = true;
                }
                if done {
                    break;
                }
            }
            if !done && !progress {
                return Err(Error::Mismatch(format!("the tiles wait for each other (program counters {:?})", self.pc)));
            }
        }
        self.tiles[h].pos += 1;
        Ok(sampled)
    }
}

/// The [`Temperature`] with integer factor `k` (sampling uses only `k`; `value` is informative).
pub fn temperature(k: u16) -> Temperature {
    Temperature { value: if k == 0 { 0.0 } else { std::f64::consts::LOG2_E * 4096.0 / k as f64 }, k }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lpu::config::LpuParams;
    use crate::model::ModelConfig;

    #[test]
    fn map_places_by_the_contract_formula() {
        let cfg = LpuConfig::try_from(LpuParams::new(ModelConfig::microgpt(), 4, 8, "ecp5-85k")).unwrap();
        let m = WeightMap::new(&cfg).unwrap();
        // wte 27x16: 7 tiles x 2 chunks = 14 words; wpe 16x16: 4 x 2 = 8; lm_head 27x16: 14.
        let t: Vec<_> = m.tensors.iter().take(4).map(|t| (t.base, t.tiles, t.chunks, t.rq_base)).collect();
        assert_eq!(t, vec![(0, 7, 2, 0), (14, 4, 2, 27), (22, 7, 2, 43), (36, 4, 2, 70)]);
        let wte = &m.tensors[0];
        assert_eq!(m.locate(wte, 5, 9), (3, 9));
        assert_eq!(m.describe(3, 9), Some(("wte", 5, 9)));
        // wte row 27 would be the padding of tile 6, lane 3*8.
        assert_eq!(m.describe(13, 24), None);
        let lay = Layout::new(&cfg).unwrap();
        assert_eq!((lay.h, lay.logits, lay.size), (112, 176, 208));
    }

    /// Every NORM and SAMPLE of MicroGPT's program gets the pre flag, with element writes (1x1)
    /// and with EMBED and NORM writing chunks (4x4: 4 elements per cycle, which Norm's snoop
    /// sees and, with its 4 lanes, the Sampler's; at 2x2 its one lane does not). The interpreter refuses a pre instruction whose source
    /// the previous instruction did not write completely through a port its unit watches.
    #[test]
    fn pre_flags_where_the_source_was_just_written_and_nowhere_else() {
        let q = random_model(2, 3);
        let one = LpuConfig::try_from(LpuParams::new(q.cfg, 1, 1, "ecp5-85k")).unwrap();
        assert_eq!(one.vector_chunk(), 1);
        let c1 = Compiled::new(&one, &q).unwrap();
        let pre_of = |c: &Compiled| -> Vec<bool> { c.program.iter().filter(|i| matches!(i.op, Op::Norm | Op::Sample)).map(|i| i.flags & FLAG_PRE != 0).collect() };
        assert_eq!(pre_of(&c1), vec![true; 2 * 2 + 2]);
        let c = mesh(&q, (1, 1));
        assert_eq!(c.cfg.vector_chunk(), 4);
        assert_eq!(pre_of(&c), vec![true; 2 * 2 + 2]);
        // A SAMPLE right after a chunk write (a wide NORM of the logits' range): taken at 4x4
        // (4 sampler lanes), refused at 2x2 (chunks of 2, one sampler lane on the element port).
        let two = Compiled::new(&LpuConfig::try_from(LpuParams::new(q.cfg, 2, 2, "ecp5-85k")).unwrap(), &q).unwrap();
        assert_eq!((two.cfg.vector_chunk(), two.cfg.sampler_lanes(), c.cfg.sampler_lanes()), (2, 1, 4));
        for (cc, ok) in [(&c, true), (&two, false)] {
            let mut bad = cc.clone();
            let k = bad.program.iter().position(|i| i.op == Op::Sample).unwrap();
            bad.program[k - 1] = Instr { a: bad.program[k].a, b: bad.program[k].a, ..Instr::new(Op::Norm) };
            bad.program[k].b = q.cfg.n_embd as u16;
            let mut rng = XorShift32::new(5);
            let r = Interpreter::new(&bad).step(q.cfg.bos(), Some((100, &mut rng)));
            if ok {
                r.unwrap();
            } else {
                let e = r.unwrap_err().to_string();
                let at = bad.program[k].a;
                assert!(e.contains(&format!("SAMPLE with the pre flag reads 16 elements at {at}, but the previous instruction wrote 16 elements at {at} through the chunk port")), "{e}");
            }
        }
        let mut rng = XorShift32::new(5);
        let run = |c: &Compiled, rng: &mut XorShift32| Interpreter::new(c).step(q.cfg.bos(), Some((100, rng)));
        run(&c, &mut rng).unwrap();
        // SAMPLE over one logit fewer than lm_head wrote.
        let mut bad = c.clone();
        let k = bad.program.iter().position(|i| i.op == Op::Sample).unwrap();
        bad.program[k].b -= 1;
        let e = run(&bad, &mut rng).unwrap_err().to_string();
        assert!(e.contains("SAMPLE with the pre flag reads 26 elements at 176, but the previous instruction wrote 27 elements at 176"), "{e}");
        // A NORM whose source is not what the previous instruction wrote.
        let mut bad = c.clone();
        let k = bad.program.iter().rposition(|i| i.op == Op::Norm).unwrap();
        bad.program[k].a += 16;
        assert!(run(&bad, &mut rng).unwrap_err().to_string().contains("NORM with the pre flag"));
        // Stage programs of a mesh: a NORM after RECV stays without the flag.
        let m = mesh(&q, (3, 1));
        for p in &m.tiles {
            for w in p.windows(2) {
                if w[1].op == Op::Norm && w[0].op == Op::Recv {
                    assert_eq!(w[1].flags & FLAG_PRE, 0);
                }
            }
        }
        assert!(m.tiles[1].iter().any(|i| i.op == Op::Norm && i.flags & FLAG_PRE == 0));
    }

    /// The wide flag: on every MATVEC, lm_head (27 rows, a partial last write) included, where
    /// the unit has a wide mode (4x4, 8x8: W = 4), nowhere at 1x1 and 2x2; the interpreter
    /// refuses it where the unit could not honour it, and a program with it computes what the
    /// golden model does.
    #[test]
    fn wide_flags_where_the_unit_writes_w_rows_per_cycle() {
        let q = random_model(2, 3);
        let wide_of = |c: &Compiled| -> Vec<bool> { c.program.iter().filter(|i| i.op == Op::Matvec).map(|i| i.flags & FLAG_WIDE != 0).collect() };
        for (r, cc, w) in [(1, 1, 1), (2, 2, 1), (4, 4, 4), (8, 8, 4), (2, 8, 1), (8, 4, 4)] {
            let cfg = LpuConfig::try_from(LpuParams::new(q.cfg, r, cc, "ecp5-85k")).unwrap();
            assert_eq!(cfg.mv_write(), w, "{r}x{cc}");
            let c = Compiled::new(&cfg, &q).unwrap();
            // Per layer: qkv (fused), wo, fc1, fc2; then lm_head.
            let want = vec![w > 1; 4 * 2 + 1];
            assert_eq!(wide_of(&c), want, "{r}x{cc}");
            mesh_vs_golden(&q, &c, 40, 4).unwrap_or_else(|e| panic!("{r}x{cc}: {e}"));
        }
        let c = mesh(&q, (1, 1));
        let l = c.listing();
        assert!(l.contains("layer0.qkv src=16 dst=32 wide"), "{l}");
        assert!(l.contains("lm_head src=0 dst=176 wide"), "{l}");
        // lm_head (27 rows) wide to a destination that is not a multiple of W: refused, naming
        // the rows and the destination.
        let mut bad = c.clone();
        let k = bad.program.iter().rposition(|i| i.op == Op::Matvec).unwrap();
        bad.program[k].b += 1;
        let mut rng = XorShift32::new(5);
        let e = Interpreter::new(&bad).step(q.cfg.bos(), Some((100, &mut rng))).unwrap_err().to_string();
        assert_eq!(e, "MATVEC wide flag 27 rows to 177 is not allowed (allowed: a destination that is a multiple of the unit's wide write (4 rows per cycle, more than 1))");
    }

    fn random_model(layers: usize, seed: u64) -> QuantModel {
        use rand::SeedableRng;
        let p = crate::model::ModelParams { n_layer: layers, ..crate::model::ModelParams::MICROGPT };
        let cfg = ModelConfig::try_from(p).unwrap();
        let f = crate::model::train::init_model(cfg, crate::model::Tokenizer::letters(26), &mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
        QuantModel::from_float(&f).unwrap()
    }

    fn mesh(q: &QuantModel, tiles: (usize, usize)) -> Compiled {
        let cfg = LpuConfig::try_from(LpuParams { tiles, ..LpuParams::new(q.cfg, 4, 4, "ecp5-85k") }).unwrap();
        Compiled::new(&cfg, q).unwrap()
    }

    /// Runs `steps` consecutive steps (names restarting at BOS) through the mesh interpreter
    /// and `Golden::step`; the first difference as a message.
    fn mesh_vs_golden(q: &QuantModel, c: &Compiled, steps: usize, seed: u64) -> std::result::Result<(), String> {
        let mut g = crate::model::Golden::new(q);
        let mut it = MeshInterpreter::new(c);
        let t = Temperature::try_from(1.0).unwrap();
        let (mut rng, mut rng2) = (XorShift32::new(seed), XorShift32::new(seed));
        let bos = q.cfg.bos();
        let mut tok = bos;
        for s in 0..steps {
            if it.pos() == q.cfg.block_size {
                g.reset();
                it.reset();
                tok = bos;
            }
            let want = g.step(tok).map_err(|e| e.to_string())?.to_vec();
            let got = it.step(tok, Some((t.k, &mut rng2))).map_err(|e| e.to_string())?;
            if it.logits() != want.as_slice() {
                return Err(format!("step {s}: logits {:?} != golden {:?}", it.logits(), want));
            }
            tok = sample(&want, q.fmt.logit, t, &mut rng);
            if got != Some(tok) {
                return Err(format!("step {s}: sampled {got:?} != {tok}"));
            }
            if tok == bos {
                g.reset();
                it.reset();
            }
        }
        Ok(())
    }

    #[test]
    fn mesh_programs_equal_golden() {
        let q2 = random_model(2, 2);
        let q1 = random_model(1, 5);
        let q3 = random_model(3, 9);
        for (q, tiles) in [(&q2, (2, 1)), (&q2, (1, 2)), (&q2, (3, 1)), (&q1, (1, 2)), (&q1, (2, 1)), (&q3, (2, 2)), (&q3, (1, 3))] {
            let c = mesh(q, tiles);
            assert_eq!(c.tiles.len(), tiles.0 * tiles.1);
            mesh_vs_golden(q, &c, 300, 11).unwrap_or_else(|e| panic!("{} layers on {tiles:?}: {e}", q.cfg.n_layer));
        }
        // One tile: the mesh interpreter runs the single program, which has no SEND or RECV.
        let c = mesh(&q2, (1, 1));
        assert!(c.program.iter().all(|i| !matches!(i.op, Op::Send | Op::Recv)));
        assert_eq!(c.tiles, vec![c.program.clone()]);
        mesh_vs_golden(&q2, &c, 100, 3).unwrap();
    }

    #[test]
    fn mesh_check_catches_a_wrong_weight_and_a_wrong_program() {
        let q = random_model(2, 2);
        let mut c = mesh(&q, (2, 1));
        // Stage 1 runs layer 1: flip a bit of its fc2 and the check must fail.
        let fc2 = c.map.tensors[3 + 6 + 5].clone();
        let (word, lane) = c.map.locate(&fc2, 0, 0);
        c.flip_weight_bit(word, lane, 6).unwrap();
        let e = mesh_vs_golden(&q, &c, 300, 11).unwrap_err();
        assert!(e.contains("logits"), "{e}");
        // A stage that sends the residual one element short: the receiver names the mismatch.
        let mut c = mesh(&q, (2, 1));
        let send = c.tiles[0].iter().position(|i| i.op == Op::Send).unwrap();
        c.tiles[0][send].b -= 1;
        let e = mesh_vs_golden(&q, &c, 5, 11).unwrap_err();
        assert_eq!(e, "simulation mismatch: tile 1 pc 1: RECV kind 0 len 16 got a packet of kind 0 with 15 elements from tile 0");
    }

    #[test]
    fn stage_programs_send_and_receive_the_residual() {
        let q = random_model(2, 2);
        let c = mesh(&q, (2, 1));
        let ops = |t: usize| c.tiles[t].iter().map(|i| i.op.mnemonic()).collect::<Vec<_>>().join(" ");
        assert_eq!(ops(0), "RECV EMBED NORM NORM MATVEC ATTN MATVEC NORM MATVEC MATVEC SEND END");
        assert_eq!(ops(1), "SEND RECV NORM MATVEC ATTN MATVEC NORM MATVEC MATVEC MATVEC SAMPLE END");
        assert_eq!(c.program, c.tiles[1]);
        let l = c.listing_of(&c.tiles[0]);
        assert!(l.lines().next().unwrap().ends_with("RECV    token"), "{l}");
        assert!(l.contains("SEND    to=(1,0) src=0 len=16"), "{l}");
    }
}

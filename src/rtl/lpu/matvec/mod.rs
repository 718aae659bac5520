//! The matrix unit of the processing unit: `y = W x` for one tensor of the weight store,
//! requantised per row, optional ReLU, written element by element into the scratchpad, or in the
//! wide mode `W` rows per cycle through the scratchpad's chunk port (`W` requantisers).
//!
//! ```text
//!                 +------------------------------------------------------+
//!  clock, reset ->|  llmpu_mv_rRcC                                       |
//!  start -------->|  ctrl: tiles x chunks reads, requant/write pipeline  |--> busy, done
//!  w_base, rq_base|                                                      |--> w_en, w_addr
//!  rows, chunks ->|  R x C mac (int8 x int16)  -> R acc + hold registers |<-- w_data [R*C*8]
//!  src, dst ----->|                                                      |--> s_en, s_addr
//!  relu --------->|  rq: hold row 0 x mult, rshift_round, sat, ReLU      |<-- s_data [C*16]
//!                 |                                                      |--> rq_en, rq_addr
//!                 |                                                      |<-- rq_data [24]
//!                 |                                                      |--> a_we, a_waddr, a_wdata
//!                 +------------------------------------------------------+
//! ```
//!
//! Contract (the LPU contract's "Matrix unit", /tmp/lpu_contract.md, and docs/lpu.md):
//! 1. Inputs `w_base`, `rq_base`, `rows`, `chunks`, `src`, `dst`, `relu` are held from the
//!    `start` pulse (cycle 0) to `done`. `rows >= 1`, `chunks >= 1`, `src` a multiple of `C`.
//!    The tensor is the store's layout ([`crate::rtl::rom::map`]): tile `t`, chunk `k` at word
//!    `w_base + t * chunks + k`, row `t*R + r` at lanes `r*C ..`.
//! 2. Memory ports, each answering the cycle after its enable: weight word (`w_en, w_addr` ->
//!    `w_data`, lane `r*C + c` at bits `[8(rC+c) +: 8]`), requant word (`rq_en, rq_addr` ->
//!    `rq_data`), scratchpad word (`s_en, s_addr` = element address / C -> `s_data`, bank `c`
//!    at bits `[16c +: 16]`). Scratchpad element write `a_we, a_waddr, a_wdata` (at the edge).
//! 3. `y_r = Requant(rq[r]).apply(sum_c w[r][c] * x[c])` with a wrapping 32-bit sum, exactly
//!    [`crate::model::quant::QTensor::matvec`]; `max(0, y_r)` with `relu`. Row `r` is written
//!    once, to `dst + r`, rows in increasing order; padding rows are not written.
//! 4. `done` is a one-cycle pulse in the cycle of the last write, at cycle [`cycles`] after
//!    the start cycle; `busy` is high from cycle 1 to the `done` cycle. The next `start` may
//!    come in the cycle after `done`. While idle every enable is low.
//! 5. `reset` (synchronous, active high) stops a running product.
//!
//! Cycle formula, `P = max(chunks, R)`, `tiles = ceil(rows / R)`, `R_last = rows - (tiles-1) R`:
//! `cycles = (tiles - 1) * P + chunks + R_last + 6`. Accumulation of tile `t+1` overlaps the
//! requantisation of tile `t` (the sums wait in a second register set, the hold registers, that
//! shift one row per cycle into requantiser 0); `P >= R` because the element port takes
//! one write per cycle. Wide (`wide` held high; rows and `dst` multiples of `W`): the hold
//! registers shift `W` rows per cycle into the `W` requantisers, `k_we` writes them at
//! `a_waddr ..`, `P = max(chunks, R / W)` and `R_last / W` replaces `R_last` ([`cycles`];
//! docs/lpu.md, "Matrix unit").

pub mod bench;
pub mod leaves;
pub mod top;

use crate::error::{Error, Result};
use crate::model::quant::QTensor;
use crate::rtl::emit::{block_verilog, dedup, Emitted};
use serde::Serialize;

/// Most rows or columns of the unit.
pub const MAX_DIM: u32 = 16;

/// Unvalidated size of the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatvecParams {
    /// `R`: rows (outputs) per tile.
    pub rows: u32,
    /// `C`: columns (inputs) per cycle, also the scratchpad banks.
    pub cols: u32,
    /// `W`: rows requantised and written per cycle in the wide mode (1: no wide mode).
    pub write: u32,
}

/// A validated size: `R` and `C` powers of two in `1..=16`, `W` a power of two up to `R`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MatvecConfig {
    pub rows: u32,
    pub cols: u32,
    pub write: u32,
}

fn pow2(name: &str, v: u32) -> Result<u32> {
    if v == 0 || v > MAX_DIM || !v.is_power_of_two() {
        return Err(Error::invalid(name, v, "allowed: 1, 2, 4, 8 or 16"));
    }
    Ok(v)
}

impl TryFrom<MatvecParams> for MatvecConfig {
    type Error = Error;
    fn try_from(p: MatvecParams) -> Result<Self> {
        let (rows, cols) = (pow2("rows", p.rows)?, pow2("cols", p.cols)?);
        if p.write == 0 || p.write > rows || !p.write.is_power_of_two() {
            return Err(Error::invalid("write", p.write, format!("allowed: a power of two up to rows ({rows})")));
        }
        Ok(MatvecConfig { rows, cols, write: p.write })
    }
}

impl MatvecConfig {
    /// `R x C` writing one row per cycle (`W = 1`).
    pub fn new(rows: u32, cols: u32) -> Result<Self> {
        MatvecParams { rows, cols, write: 1 }.try_into()
    }

    /// `R x C` with the wide mode of `W` rows per cycle.
    pub fn wide(rows: u32, cols: u32, write: u32) -> Result<Self> {
        MatvecParams { rows, cols, write }.try_into()
    }

    /// `llmpu_mv_r4c4`, `llmpu_mv_r4c4w4` with a wide mode.
    pub fn top_name(&self) -> String {
        if self.write > 1 {
            format!("llmpu_mv_r{}c{}w{}", self.rows, self.cols, self.write)
        } else {
            format!("llmpu_mv_r{}c{}", self.rows, self.cols)
        }
    }

    pub fn lg_c(&self) -> u32 {
        self.cols.trailing_zeros()
    }

    /// int8 x int16 multipliers (`R * C`) plus each of the `W` requantisers' two 16 x 16.
    pub fn multipliers(&self) -> u32 {
        self.rows * self.cols + 2 * self.write
    }

    /// The store configuration whose words this unit reads.
    pub fn rom(&self) -> Result<crate::rtl::rom::RomConfig> {
        crate::rtl::rom::RomConfig::rc(self.rows, self.cols)
    }
}

/// Cycles from the start cycle to the `done` cycle for a tensor of `rows` rows and `chunks`
/// words per tile (contract rule 4), `wide` in the wide mode (`rows` a multiple of `W`).
pub fn cycles(cfg: &MatvecConfig, rows: usize, chunks: usize, wide: bool) -> u64 {
    let r = cfg.rows as usize;
    let w = if wide { cfg.write as usize } else { 1 };
    let tiles = rows.div_ceil(r);
    let last = rows - (tiles - 1) * r;
    ((tiles - 1) * chunks.max(r / w) + chunks + last.div_ceil(w) + 6) as u64
}

/// What the unit writes for tensor `t` and input `x` (`t.cols` elements): row `r` at
/// `dst + r`, the bit-exact model of rule 3.
pub fn expected(t: &QTensor, x: &[i16], relu: bool) -> Vec<i16> {
    let mut y = vec![0i16; t.rows];
    t.matvec(x, &mut y);
    if relu {
        y.iter_mut().for_each(|v| *v = (*v).max(0));
    }
    y
}

/// What the unit writes with `acc` (rule 3): `sat_i16(old[r] + y[r])`, `old` the elements at
/// `dst ..` before the product and `y` what [`expected`] gives; `Golden::step`'s residual add.
pub fn accumulate(old: &[i16], y: &[i16]) -> Vec<i16> {
    old.iter().zip(y).map(|(&o, &v)| crate::numeric::sat_i16(o as i64 + v as i64)).collect()
}

/// Module names of the leaves (shared by every size, prefix `llmpu_mv_`).
pub struct LeafNames {
    pub ctrl: &'static str,
    pub mac: &'static str,
    pub add: &'static str,
    pub acc: &'static str,
    pub rq: &'static str,
}

pub const LEAVES: LeafNames = LeafNames { ctrl: "llmpu_mv_ctrl", mac: "llmpu_mv_mac", add: "llmpu_mv_add", acc: "llmpu_mv_acc", rq: "llmpu_mv_rq" };

/// The unit's modules (leaves deduplicated, then the top), without a file header: what the
/// processing unit's file includes. Module names all start with `llmpu_mv_`.
pub fn modules(cfg: &MatvecConfig) -> Result<Emitted> {
    let mut raw = String::new();
    raw.push_str(&block_verilog(&mut leaves::Ctrl::default(), LEAVES.ctrl)?);
    raw.push_str(&block_verilog(&mut leaves::Mac::default(), LEAVES.mac)?);
    raw.push_str(&block_verilog(&mut crate::rtl::arith::Add::<32>::default(), LEAVES.add)?);
    raw.push_str(&block_verilog(&mut leaves::Acc::default(), LEAVES.acc)?);
    raw.push_str(&block_verilog(&mut leaves::Rq::default(), LEAVES.rq)?);
    // Pipeline registers: the operands (weight word, x chunk) and each row's pair sums.
    let widths: std::collections::BTreeSet<usize> = top::pipe_widths(cfg).into_iter().collect();
    let pipes: Vec<String> = widths.iter().map(|&n| top::pipe_name(n)).collect();
    for (&n, name) in widths.iter().zip(&pipes) {
        raw.push_str(&crate::rtl::arith::pipe_verilog(n, name)?);
    }
    let mut keep = vec![LEAVES.ctrl, LEAVES.mac, LEAVES.add, LEAVES.acc, LEAVES.rq];
    keep.extend(pipes.iter().map(String::as_str));
    let mut e = dedup(&raw, &keep)?;
    // rust-hdl 0.46 writes `bit_cast` (sign extension, field extraction) as a masked AND of
    // mixed widths and integer literals as 32 bits: WIDTH warnings by construction in the
    // product and requant leaves, whose bit-exactness Verilator checks (tests/lpu_matvec.rs).
    // The requantiser reads 22 of the 24 requant bits and only the saturated rounding output.
    let why = "rust-hdl 0.46 writes bit_cast and literals with mixed widths; bit-exactness checked in Verilator";
    for m in [LEAVES.mac, LEAVES.rq, "llmpu_mv_rq_mul", "llmpu_mv_rq_sadd"] {
        e.text = waive(&e.text, m, "WIDTH", why);
    }
    e.text = waive(
        &e.text,
        LEAVES.rq,
        "UNOPTFLAT",
        "rust-hdl 0.46 writes a module's logic as one always block; the saturation and saturating-add children it drives and reads look like a loop at block granularity (there is none: yosys check -assert passes)",
    );
    e.text = waive(&e.text, LEAVES.rq, "UNUSED", "requant bits 23..22 are 0 by the store's layout; the top bits of the rounded value only feed the saturation");
    e.push_module(cfg.top_name(), &top::top_verilog(cfg));
    Ok(e)
}

/// Wraps the body of module `name` in `verilator lint_off/lint_on` for one warning class,
/// with the reason as a comment.
fn waive(text: &str, name: &str, class: &str, why: &str) -> String {
    let head = format!("module {name}(");
    let end = format!("endmodule // {name}");
    let mut out = String::with_capacity(text.len() + 200);
    for line in text.lines() {
        if line.trim_start() == end {
            out += &format!("    /* verilator lint_on {class} */\n");
        }
        out += line;
        out.push('\n');
        if line.starts_with(&head) {
            out += &format!("    // {why}\n    /* verilator lint_off {class} */\n");
        }
    }
    out
}

/// [`modules`] as a file of its own (with the standard header).
pub fn verilog(cfg: &MatvecConfig) -> Result<Emitted> {
    Ok(modules(cfg)?.with_header(&cfg.top_name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_errors_are_pinned() {
        assert_eq!(MatvecConfig::new(4, 2).unwrap().top_name(), "llmpu_mv_r4c2");
        assert_eq!(MatvecConfig::new(3, 2).unwrap_err().to_string(), "rows 3 is not allowed (allowed: 1, 2, 4, 8 or 16)");
        assert_eq!(MatvecConfig::new(4, 32).unwrap_err().to_string(), "cols 32 is not allowed (allowed: 1, 2, 4, 8 or 16)");
        assert_eq!(MatvecConfig::new(1, 0).unwrap_err().to_string(), "cols 0 is not allowed (allowed: 1, 2, 4, 8 or 16)");
    }

    #[test]
    fn cycle_formula_examples() {
        let c = |r, cc, rows, chunks| cycles(&MatvecConfig::new(r, cc).unwrap(), rows, chunks, false);
        // 16 x 16 on 4 x 4: 4 tiles of 4 chunks, P = 4: 3*4 + 4 + 4 + 6.
        assert_eq!(c(4, 4, 16, 4), 26);
        // 27 x 16 (lm_head) on 4 x 4: 7 tiles, last of 3 rows: 6*4 + 4 + 3 + 6.
        assert_eq!(c(4, 4, 27, 4), 37);
        // 16 x 16 on 8 x 8: chunks 2 < R, so P = 8: 8 + 2 + 8 + 6.
        assert_eq!(c(8, 8, 16, 2), 24);
        // 1 x 1: 16 tiles of 16 chunks.
        assert_eq!(c(1, 1, 16, 16), 15 * 16 + 16 + 1 + 6);
        // Wide, W = 4: 48 x 16 (wq, wk, wv fused) on 8 x 8, P = max(2, 8 / 4): 5*2 + 2 + 2 + 6.
        let w = |r, cc, ww, rows, chunks| cycles(&MatvecConfig::wide(r, cc, ww).unwrap(), rows, chunks, true);
        assert_eq!(w(8, 8, 4, 48, 2), 20);
        // 64 x 16 (fc1) on 4 x 4 with W = 4: P = 4, the drain is one cycle: 15*4 + 4 + 1 + 6.
        assert_eq!(w(4, 4, 4, 64, 4), 71);
        assert_eq!(MatvecConfig::wide(2, 2, 4).unwrap_err().to_string(), "write 4 is not allowed (allowed: a power of two up to rows (2))");
        assert_eq!(MatvecConfig::wide(4, 4, 4).unwrap().top_name(), "llmpu_mv_r4c4w4");
    }

    #[test]
    fn verilog_has_prefixed_modules_only() {
        let e = verilog(&MatvecConfig::new(2, 2).unwrap()).unwrap();
        assert!(e.modules.iter().all(|m| m.starts_with("llmpu_mv_")), "{:?}", e.modules);
        assert_eq!(e.modules.last().map(String::as_str), Some("llmpu_mv_r2c2"));
        assert!(e.text.contains("llmpu_mv_mac mac_1_1("), "{}", e.text);
        // 8 columns: 4 pairs of products, then adders 4 -> 2 -> 1.
        let e = verilog(&MatvecConfig::new(1, 8).unwrap()).unwrap();
        assert_eq!(e.text.matches("llmpu_mv_add add_0_").count(), 3, "{}", e.text);
        assert!(e.text.contains("llmpu_mv_add add_0_2_0(.a(t_0_1_0), .b(t_0_1_1), .s(t_0_2_0));"), "{}", e.text);
        assert!(e.text.contains(".dot(t_0_2_0)"), "{}", e.text);
    }
}

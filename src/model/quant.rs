//! The int8 model: every weight matrix quantized per row (symmetric, `scale_r = max|w_r| / 127`,
//! `q = round(w / scale_r)` clamped to ±127), each row carrying the [`Requant`] that brings its
//! accumulator into the output's activation format. Deterministic from the float weights.
//! The activation formats ([`Formats`]) are fixed signed 16-bit fixed point; see
//! `docs/numerics.md`.

use super::config::ModelConfig;
use super::float::{layer_slot, FloatModel, FC1, FC2, LM_HEAD, WK, WO, WPE, WQ, WTE, WV};
use super::tokenizer::Tokenizer;
use crate::numeric::{quantize_i8, NormConsts, Requant, SCORE_FRAC};
use crate::Result;
use serde::Serialize;

/// Fraction bits of each activation (all are i16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Formats {
    /// Residual stream (embedding sum after its norm, attention/MLP outputs, lm_head input).
    pub resid: u32,
    /// RMSNorm outputs feeding q/k/v and fc1.
    pub norm: u32,
    /// Queries (they carry `log2(e)/sqrt(head_dim)`, so scores come out in base 2).
    pub q: u32,
    /// Keys.
    pub k: u32,
    /// Values and attention head outputs.
    pub v: u32,
    /// MLP hidden layer (after ReLU).
    pub hidden: u32,
    /// Logits (natural-log units).
    pub logit: u32,
}

impl Formats {
    pub const DEFAULT: Formats = Formats { resid: 10, norm: 12, q: 10, k: 10, v: 10, hidden: 10, logit: 8 };
}

/// One int8 matrix with per-row scales and requants.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QTensor {
    pub name: String,
    pub rows: usize,
    pub cols: usize,
    /// Row-major int8 weights.
    pub data: Vec<i8>,
    /// Per-row real scale: `w ≈ q * scale`.
    pub scale: Vec<f64>,
    /// Per-row requant from the accumulator (input format) to the output format.
    pub rq: Vec<Requant>,
    /// `data` widened to i16, only so that the CPU can use 16-bit SIMD multiply-adds.
    #[serde(skip)]
    wide: Vec<i16>,
}

impl QTensor {
    /// Quantizes slot `i` of `m`; the accumulator of row `r` times `rq[r]` gives the output
    /// with `out_frac` fraction bits from an input with `in_frac`, times `extra`.
    fn new(m: &FloatModel, i: usize, in_frac: u32, out_frac: u32, extra: f64) -> Result<Self> {
        let s = &m.slots[i];
        let w = m.w(i);
        let mut data = Vec::with_capacity(w.len());
        let mut scale = Vec::with_capacity(s.rows);
        let mut rq = Vec::with_capacity(s.rows);
        for row in w.chunks(s.cols) {
            let mx = row.iter().fold(0.0f64, |a, &x| a.max((x as f64).abs()));
            let sc = mx / 127.0;
            for &x in row {
                data.push(if sc == 0.0 { 0 } else { quantize_i8(x as f64 / sc) });
            }
            scale.push(sc);
            rq.push(Requant::from_real(sc * extra * 2f64.powi(out_frac as i32 - in_frac as i32), &s.name)?);
        }
        let wide = data.iter().map(|&w| w as i16).collect();
        Ok(QTensor { name: s.name.clone(), rows: s.rows, cols: s.cols, data, scale, rq, wide })
    }

    #[inline]
    pub fn row(&self, r: usize) -> &[i8] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }

    /// `out[r] = rq[r](sum_c w[r][c] * x[c])`: int8 x int16 products, a wrapping i32
    /// accumulator (it cannot overflow for rows of <= 256 inputs), then the requant.
    #[inline]
    pub fn matvec(&self, x: &[i16], out: &mut [i16]) {
        for (r, o) in out.iter_mut().enumerate() {
            let row = &self.wide[r * self.cols..(r + 1) * self.cols];
            let acc = row.iter().zip(x).fold(0i32, |a, (&w, &xi)| a.wrapping_add(w as i32 * xi as i32));
            *o = self.rq[r].apply(acc as i64);
        }
    }
}

/// The quantized layer weights.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QLayer {
    pub wq: QTensor,
    pub wk: QTensor,
    pub wv: QTensor,
    pub wo: QTensor,
    pub fc1: QTensor,
    pub fc2: QTensor,
}

/// Everything the hardware holds in ROM, plus the constants of its integer rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuantModel {
    pub cfg: ModelConfig,
    #[serde(skip)]
    pub tok: Tokenizer,
    pub fmt: Formats,
    /// Rows requantize an int8 value (not a sum) into the residual format.
    pub wte: QTensor,
    pub wpe: QTensor,
    pub lm_head: QTensor,
    pub layers: Vec<QLayer>,
    /// Norm of the embedding sum: residual format in and out.
    pub norm_embed: NormConsts,
    /// Norms before attention and MLP: residual format in, `norm` format out.
    pub norm: NormConsts,
    /// `q + k - SCORE_FRAC`: the rounding shift from a q.k dot product to a score.
    pub score_shift: u32,
}

impl QuantModel {
    pub fn from_float(m: &FloatModel) -> Result<Self> {
        Self::with_formats(m, Formats::DEFAULT)
    }

    pub fn with_formats(m: &FloatModel, f: Formats) -> Result<Self> {
        let c = m.cfg;
        let qx = std::f64::consts::LOG2_E / (c.head_dim() as f64).sqrt();
        let mut layers = Vec::with_capacity(c.n_layer);
        for l in 0..c.n_layer {
            layers.push(QLayer {
                wq: QTensor::new(m, layer_slot(l, WQ), f.norm, f.q, qx)?,
                wk: QTensor::new(m, layer_slot(l, WK), f.norm, f.k, 1.0)?,
                wv: QTensor::new(m, layer_slot(l, WV), f.norm, f.v, 1.0)?,
                wo: QTensor::new(m, layer_slot(l, WO), f.v, f.resid, 1.0)?,
                fc1: QTensor::new(m, layer_slot(l, FC1), f.norm, f.hidden, 1.0)?,
                fc2: QTensor::new(m, layer_slot(l, FC2), f.hidden, f.resid, 1.0)?,
            });
        }
        let eps = super::float::EPS as f64;
        Ok(QuantModel {
            cfg: c,
            tok: m.tok.clone(),
            fmt: f,
            wte: QTensor::new(m, WTE, 0, f.resid, 1.0)?,
            wpe: QTensor::new(m, WPE, 0, f.resid, 1.0)?,
            lm_head: QTensor::new(m, LM_HEAD, f.resid, f.logit, 1.0)?,
            layers,
            norm_embed: NormConsts::new(c.n_embd, f.resid, f.resid, eps),
            norm: NormConsts::new(c.n_embd, f.resid, f.norm, eps),
            score_shift: f.q + f.k - SCORE_FRAC,
        })
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tok
    }
}

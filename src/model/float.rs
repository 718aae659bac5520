//! The float model: microgpt's forward pass in f32, token by token with a KV cache.
//! Weights live in one flat vector in `state_dict` order ([`ModelConfig::tensors`]).

use super::config::ModelConfig;
use super::tokenizer::Tokenizer;

/// RMSNorm epsilon (microgpt.py).
pub const EPS: f32 = 1e-5;

/// Index of each weight matrix of layer `i` in [`ModelConfig::tensors`]: `3 + 6 i + W`.
pub const WQ: usize = 0;
pub const WK: usize = 1;
pub const WV: usize = 2;
pub const WO: usize = 3;
pub const FC1: usize = 4;
pub const FC2: usize = 5;
pub const WTE: usize = 0;
pub const WPE: usize = 1;
pub const LM_HEAD: usize = 2;

/// A tensor's place in the flat parameter vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub name: String,
    pub rows: usize,
    pub cols: usize,
    pub offset: usize,
}

/// Float weights plus the tokenizer they were trained with.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatModel {
    pub cfg: ModelConfig,
    pub tok: Tokenizer,
    pub data: Vec<f32>,
    pub slots: Vec<Slot>,
}

pub fn layer_slot(layer: usize, w: usize) -> usize {
    3 + 6 * layer + w
}

impl FloatModel {
    /// All-zero weights of `cfg`'s shapes.
    pub fn zeros(cfg: ModelConfig, tok: Tokenizer) -> Self {
        let mut offset = 0;
        let slots = cfg
            .tensors()
            .into_iter()
            .map(|(name, rows, cols)| {
                let s = Slot { name, rows, cols, offset };
                offset += rows * cols;
                s
            })
            .collect();
        FloatModel { cfg, tok, data: vec![0.0; offset], slots }
    }
    /// Row-major weights of slot `i`.
    #[inline]
    pub fn w(&self, i: usize) -> &[f32] {
        let s = &self.slots[i];
        &self.data[s.offset..s.offset + s.rows * s.cols]
    }
    pub fn w_mut(&mut self, i: usize) -> &mut [f32] {
        let s = &self.slots[i];
        let (o, n) = (s.offset, s.rows * s.cols);
        &mut self.data[o..o + n]
    }
}

/// `y = W x` for row-major `W` (rows = outputs).
#[inline]
/// Sums run in 8 interleaved lanes (lane `i % 8`), then the lanes pairwise, so that the compiler
/// can use SIMD; the order is fixed, so results are deterministic.
pub fn linear(w: &[f32], x: &[f32], y: &mut [f32]) {
    let n = x.len();
    for (r, yr) in y.iter_mut().enumerate() {
        *yr = dot(&w[r * n..(r + 1) * n], x);
    }
}

#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    for (i, (x, y)) in ra.iter().zip(rb).enumerate() {
        lanes[i] += x * y;
    }
    ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]))
}

/// In place: `x *= 1 / sqrt(mean(x^2) + eps)`; returns the scale.
#[inline]
pub fn rmsnorm(x: &mut [f32]) -> f32 {
    let ms = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    let s = 1.0 / (ms + EPS).sqrt();
    for v in x.iter_mut() {
        *v *= s;
    }
    s
}

/// Token-by-token float inference with a KV cache; all buffers are allocated once.
#[derive(Debug, Clone)]
pub struct FloatRunner {
    cfg: ModelConfig,
    pos: usize,
    keys: Vec<f32>,
    values: Vec<f32>,
    x: Vec<f32>,
    xn: Vec<f32>,
    q: Vec<f32>,
    att: Vec<f32>,
    y: Vec<f32>,
    h: Vec<f32>,
    w: Vec<f32>,
    logits: Vec<f32>,
}

impl FloatRunner {
    pub fn new(cfg: ModelConfig) -> Self {
        let e = cfg.n_embd;
        let cache = cfg.n_layer * cfg.block_size * e;
        FloatRunner {
            cfg,
            pos: 0,
            keys: vec![0.0; cache],
            values: vec![0.0; cache],
            x: vec![0.0; e],
            xn: vec![0.0; e],
            q: vec![0.0; e],
            att: vec![0.0; e],
            y: vec![0.0; e],
            h: vec![0.0; cfg.mlp_hidden],
            w: vec![0.0; cfg.block_size],
            logits: vec![0.0; cfg.vocab],
        }
    }
    pub fn reset(&mut self) {
        self.pos = 0;
    }
    pub fn pos(&self) -> usize {
        self.pos
    }
    /// Feeds `token` at the next position and returns the logits for the following token.
    /// Panics past `block_size` positions or for a token outside the vocabulary (callers check).
    pub fn step(&mut self, m: &FloatModel, token: usize) -> &[f32] {
        let cfg = self.cfg;
        let (e, t, hd) = (cfg.n_embd, self.pos, cfg.head_dim());
        assert!(t < cfg.block_size && token < cfg.vocab, "position {t} / token {token} outside the model");
        let (wte, wpe) = (m.w(WTE), m.w(WPE));
        for i in 0..e {
            self.x[i] = wte[token * e + i] + wpe[t * e + i];
        }
        rmsnorm(&mut self.x);
        let scale = 1.0 / (hd as f32).sqrt();
        for l in 0..cfg.n_layer {
            let base = l * cfg.block_size * e;
            self.xn.copy_from_slice(&self.x);
            rmsnorm(&mut self.xn);
            linear(m.w(layer_slot(l, WQ)), &self.xn, &mut self.q);
            linear(m.w(layer_slot(l, WK)), &self.xn, &mut self.keys[base + t * e..base + (t + 1) * e]);
            linear(m.w(layer_slot(l, WV)), &self.xn, &mut self.values[base + t * e..base + (t + 1) * e]);
            for h in 0..cfg.n_head {
                let qh = &self.q[h * hd..(h + 1) * hd];
                let mut mx = f32::NEG_INFINITY;
                for s in 0..=t {
                    let k = &self.keys[base + s * e + h * hd..base + s * e + (h + 1) * hd];
                    let d = qh.iter().zip(k).map(|(a, b)| a * b).sum::<f32>() * scale;
                    self.w[s] = d;
                    mx = mx.max(d);
                }
                let mut sum = 0.0;
                for s in 0..=t {
                    self.w[s] = (self.w[s] - mx).exp();
                    sum += self.w[s];
                }
                let out = &mut self.att[h * hd..(h + 1) * hd];
                out.fill(0.0);
                for s in 0..=t {
                    let p = self.w[s] / sum;
                    let v = &self.values[base + s * e + h * hd..base + s * e + (h + 1) * hd];
                    for j in 0..hd {
                        out[j] += p * v[j];
                    }
                }
            }
            linear(m.w(layer_slot(l, WO)), &self.att, &mut self.y);
            for i in 0..e {
                self.x[i] += self.y[i];
            }
            self.xn.copy_from_slice(&self.x);
            rmsnorm(&mut self.xn);
            linear(m.w(layer_slot(l, FC1)), &self.xn, &mut self.h);
            for v in self.h.iter_mut() {
                *v = v.max(0.0);
            }
            linear(m.w(layer_slot(l, FC2)), &self.h, &mut self.y);
            for i in 0..e {
                self.x[i] += self.y[i];
            }
        }
        linear(m.w(LM_HEAD), &self.x, &mut self.logits);
        self.pos += 1;
        &self.logits
    }
}

/// `-log softmax(logits)[target]` in f64.
pub fn nll(logits: impl Iterator<Item = f64> + Clone, target: usize) -> f64 {
    let mx = logits.clone().fold(f64::NEG_INFINITY, f64::max);
    let lse = logits.clone().map(|l| (l - mx).exp()).sum::<f64>().ln() + mx;
    let lt = logits.clone().nth(target).unwrap_or(f64::NAN);
    lse - lt
}

//! The trainer: microgpt.py's training loop with a hand-written forward and backward pass
//! (f32), Adam (lr 0.01, betas 0.85/0.99, eps 1e-8), learning rate decaying linearly to 0,
//! init N(0, 0.08). Deterministic for a seed: the documents are shuffled and the weights drawn
//! from `ChaCha8Rng::seed_from_u64(seed)`; the arithmetic runs in a fixed order on one thread.

use super::config::ModelConfig;
use super::float::{layer_slot, rmsnorm, FloatModel, FC1, FC2, LM_HEAD, WK, WO, WPE, WQ, WTE, WV};
use super::tokenizer::Tokenizer;
use crate::{Error, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Hyper-parameters of a run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainOptions {
    pub steps: usize,
    /// Names per step (gradients averaged); microgpt.py uses 1.
    pub batch: usize,
    pub lr: f32,
    pub seed: u64,
}

impl TrainOptions {
    pub fn new(steps: usize, batch: usize, lr: f32, seed: u64) -> Result<Self> {
        crate::error::check_range("steps", steps, 1, 10_000_000)?;
        crate::error::check_range("batch", batch, 1, 4096)?;
        if !(lr.is_finite() && lr > 0.0 && lr <= 1.0) {
            return Err(Error::invalid("lr", lr, "allowed: 0 < lr <= 1"));
        }
        Ok(TrainOptions { steps, batch, lr, seed })
    }
}

const BETA1: f32 = 0.85;
const BETA2: f32 = 0.99;
const ADAM_EPS: f32 = 1e-8;
const INIT_STD: f64 = 0.08;

/// Fresh weights: every parameter N(0, 0.08), drawn in `state_dict` order.
pub fn init_model(cfg: ModelConfig, tok: Tokenizer, rng: &mut ChaCha8Rng) -> FloatModel {
    let mut m = FloatModel::zeros(cfg, tok);
    for p in m.data.iter_mut() {
        *p = (gauss(rng) * INIT_STD) as f32;
    }
    m
}

fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Box-Muller standard normal.
fn gauss(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - uniform(rng);
    let u2 = uniform(rng);
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Fisher-Yates with `next_u64() % (i + 1)`.
pub fn shuffle<T>(v: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..v.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

/// Activations of one sequence, kept for the backward pass; allocated once.
#[derive(Debug)]
struct Acts {
    e: Vec<f32>,
    s0: Vec<f32>,
    xin: Vec<f32>,
    s1: Vec<f32>,
    n1: Vec<f32>,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    aw: Vec<f32>,
    att: Vec<f32>,
    xmid: Vec<f32>,
    s2: Vec<f32>,
    n2: Vec<f32>,
    hpre: Vec<f32>,
    xfin: Vec<f32>,
    probs: Vec<f32>,
    dx: Vec<f32>,
    datt: Vec<f32>,
    dq: Vec<f32>,
    dk: Vec<f32>,
    dv: Vec<f32>,
    dh: Vec<f32>,
    dn: Vec<f32>,
    hr: Vec<f32>,
    da: Vec<f32>,
}

impl Acts {
    fn new(c: &ModelConfig) -> Self {
        let (l, b, e, h, v) = (c.n_layer, c.block_size, c.n_embd, c.mlp_hidden, c.vocab);
        let z = |n: usize| vec![0.0f32; n];
        Acts {
            e: z(b * e),
            s0: z(b),
            xin: z(l * b * e),
            s1: z(l * b),
            n1: z(l * b * e),
            q: z(l * b * e),
            k: z(l * b * e),
            v: z(l * b * e),
            aw: z(l * c.n_head * b * b),
            att: z(l * b * e),
            xmid: z(l * b * e),
            s2: z(l * b),
            n2: z(l * b * e),
            hpre: z(l * b * h),
            xfin: z(b * e),
            probs: z(b * v),
            dx: z(b * e),
            datt: z(b * e),
            dq: z(b * e),
            dk: z(b * e),
            dv: z(b * e),
            dh: z(h),
            dn: z(e),
            hr: z(h),
            da: z(b),
        }
    }
}

#[inline]
fn linear(w: &[f32], x: &[f32], y: &mut [f32]) {
    super::float::linear(w, x, y)
}

/// `dw += dy x^T`, `dx += W^T dy`.
#[inline]
fn linear_back(w: &[f32], x: &[f32], dy: &[f32], dw: &mut [f32], dx: &mut [f32]) {
    let n = x.len();
    for (r, &g) in dy.iter().enumerate() {
        let row = &w[r * n..(r + 1) * n];
        let drow = &mut dw[r * n..(r + 1) * n];
        for c in 0..n {
            drow[c] += g * x[c];
            dx[c] += g * row[c];
        }
    }
}

/// For `y = x s`, `s = (mean(x^2) + eps)^-1/2`: `dx += s dy - s^3 x (dy . x) / n`.
#[inline]
fn rmsnorm_back(x: &[f32], s: f32, dy: &[f32], dx: &mut [f32]) {
    let dot: f32 = dy.iter().zip(x).map(|(a, b)| a * b).sum();
    let k = s * s * s * dot / x.len() as f32;
    for i in 0..x.len() {
        dx[i] += s * dy[i] - k * x[i];
    }
}

/// Adam state and scratch space of a training run.
#[derive(Debug)]
pub struct Trainer {
    cfg: ModelConfig,
    pub opts: TrainOptions,
    grads: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
    acts: Acts,
    pub step: usize,
}

/// The six weight matrices of layer `l`: q, k, v, o, fc1, fc2.
fn layer_weights(model: &FloatModel, l: usize) -> (&[f32], &[f32], &[f32], &[f32], &[f32], &[f32]) {
    let w = |k| model.w(layer_slot(l, k));
    (w(WQ), w(WK), w(WV), w(WO), w(FC1), w(FC2))
}

impl Trainer {
    pub fn new(model: &FloatModel, opts: TrainOptions) -> Self {
        let n = model.data.len();
        Trainer { cfg: model.cfg, opts, grads: vec![0.0; n], m: vec![0.0; n], v: vec![0.0; n], acts: Acts::new(&model.cfg), step: 0 }
    }

    /// One optimisation step over `docs` (token sequences `[BOS, ..., BOS]`); returns the mean
    /// per-position loss of the step (averaged over its documents).
    pub fn step(&mut self, model: &mut FloatModel, docs: &[&[usize]]) -> f32 {
        let loss = self.gradient(model, docs).0;
        let lr = self.opts.lr * (1.0 - self.step as f32 / self.opts.steps as f32);
        let t = self.step as i32 + 1;
        let (c1, c2) = (1.0 - BETA1.powi(t), 1.0 - BETA2.powi(t));
        for i in 0..model.data.len() {
            let g = self.grads[i];
            self.m[i] = BETA1 * self.m[i] + (1.0 - BETA1) * g;
            self.v[i] = BETA2 * self.v[i] + (1.0 - BETA2) * g * g;
            let mh = self.m[i] / c1;
            let vh = self.v[i] / c2;
            model.data[i] -= lr * mh / (vh.sqrt() + ADAM_EPS);
        }
        self.step += 1;
        loss
    }

    /// The mean loss over `docs` and its gradient (in `state_dict` order), without an update.
    pub fn gradient(&mut self, model: &FloatModel, docs: &[&[usize]]) -> (f32, &[f32]) {
        self.grads.fill(0.0);
        let mut loss = 0.0;
        let w = 1.0 / docs.len() as f32;
        for d in docs {
            loss += self.forward_backward(model, d, w) * w;
        }
        (loss, &self.grads)
    }

    /// Forward and backward over one document; gradients scaled by `weight` are added to
    /// `self.grads`. Returns the mean loss over the document's `min(block_size, len - 1)`
    /// predicted positions.
    fn forward_backward(&mut self, model: &FloatModel, tokens: &[usize], weight: f32) -> f32 {
        let c = self.cfg;
        let (e, hd, nh, hid, voc, bs) = (c.n_embd, c.head_dim(), c.n_head, c.mlp_hidden, c.vocab, c.block_size);
        let n = (tokens.len() - 1).min(bs);
        let a = &mut self.acts;
        let scale = 1.0 / (hd as f32).sqrt();
        let lb = |l: usize, t: usize| (l * bs + t) * e;
        // ---- forward ----
        let (wte, wpe) = (model.w(WTE), model.w(WPE));
        for t in 0..n {
            let tok = tokens[t];
            for i in 0..e {
                a.e[t * e + i] = wte[tok * e + i] + wpe[t * e + i];
            }
            let x = &mut a.xin[lb(0, t)..lb(0, t) + e];
            x.copy_from_slice(&a.e[t * e..(t + 1) * e]);
            a.s0[t] = rmsnorm(x);
        }
        for l in 0..c.n_layer {
            let (wq, wk, wv, wo, f1, f2) = layer_weights(model, l);
            for t in 0..n {
                let o = lb(l, t);
                a.n1[o..o + e].copy_from_slice(&a.xin[o..o + e]);
                a.s1[l * bs + t] = rmsnorm(&mut a.n1[o..o + e]);
                linear(wq, &a.n1[o..o + e], &mut a.q[o..o + e]);
                linear(wk, &a.n1[o..o + e], &mut a.k[o..o + e]);
                linear(wv, &a.n1[o..o + e], &mut a.v[o..o + e]);
            }
            for t in 0..n {
                for h in 0..nh {
                    let wbase = ((l * nh + h) * bs + t) * bs;
                    let q = &a.q[lb(l, t) + h * hd..lb(l, t) + (h + 1) * hd];
                    let mut mx = f32::NEG_INFINITY;
                    for s in 0..=t {
                        let k = &a.k[lb(l, s) + h * hd..lb(l, s) + (h + 1) * hd];
                        let d = q.iter().zip(k).map(|(x, y)| x * y).sum::<f32>() * scale;
                        a.aw[wbase + s] = d;
                        mx = mx.max(d);
                    }
                    let mut sum = 0.0;
                    for s in 0..=t {
                        let p = (a.aw[wbase + s] - mx).exp();
                        a.aw[wbase + s] = p;
                        sum += p;
                    }
                    let out = lb(l, t) + h * hd;
                    a.att[out..out + hd].fill(0.0);
                    for s in 0..=t {
                        let p = a.aw[wbase + s] / sum;
                        a.aw[wbase + s] = p;
                        for j in 0..hd {
                            a.att[out + j] += p * a.v[lb(l, s) + h * hd + j];
                        }
                    }
                }
            }
            for t in 0..n {
                let o = lb(l, t);
                linear(wo, &a.att[o..o + e], &mut a.xmid[o..o + e]);
                for i in 0..e {
                    a.xmid[o + i] += a.xin[o + i];
                }
                a.n2[o..o + e].copy_from_slice(&a.xmid[o..o + e]);
                a.s2[l * bs + t] = rmsnorm(&mut a.n2[o..o + e]);
                let ho = (l * bs + t) * hid;
                linear(f1, &a.n2[o..o + e], &mut a.hpre[ho..ho + hid]);
                for i in 0..hid {
                    a.hr[i] = a.hpre[ho + i].max(0.0);
                }
                let dst = if l + 1 < c.n_layer { &mut a.xin[lb(l + 1, t)..lb(l + 1, t) + e] } else { &mut a.xfin[t * e..(t + 1) * e] };
                linear(f2, &a.hr, dst);
                for (d, &r) in dst.iter_mut().zip(&a.xmid[o..o + e]) {
                    *d += r;
                }
            }
        }
        let lm = model.w(LM_HEAD);
        let mut loss = 0.0;
        for t in 0..n {
            let p = &mut a.probs[t * voc..(t + 1) * voc];
            linear(lm, &a.xfin[t * e..(t + 1) * e], p);
            let mx = p.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0;
            for v in p.iter_mut() {
                *v = (*v - mx).exp();
                sum += *v;
            }
            for v in p.iter_mut() {
                *v /= sum;
            }
            loss -= p[tokens[t + 1]].ln();
        }
        let loss = loss / n as f32;
        // ---- backward ----
        let g = &mut self.grads;
        let slot = |i: usize| (model.slots[i].offset, model.slots[i].rows * model.slots[i].cols);
        let gscale = weight / n as f32;
        a.dx[..n * e].fill(0.0);
        {
            let (o, len) = slot(LM_HEAD);
            for t in 0..n {
                let p = &mut a.probs[t * voc..(t + 1) * voc];
                p[tokens[t + 1]] -= 1.0;
                for v in p.iter_mut() {
                    *v *= gscale;
                }
                linear_back(lm, &a.xfin[t * e..(t + 1) * e], p, &mut g[o..o + len], &mut a.dx[t * e..(t + 1) * e]);
            }
        }
        for l in (0..c.n_layer).rev() {
            let (wq, wk, wv, wo, f1, f2) = layer_weights(model, l);
            let (oq, lq) = slot(layer_slot(l, WQ));
            let (ok, lk) = slot(layer_slot(l, WK));
            let (ov, lv) = slot(layer_slot(l, WV));
            let (oo, lo) = slot(layer_slot(l, WO));
            let (o1, l1) = slot(layer_slot(l, FC1));
            let (o2, l2) = slot(layer_slot(l, FC2));
            for t in 0..n {
                let o = lb(l, t);
                let ho = (l * bs + t) * hid;
                for i in 0..hid {
                    a.hr[i] = a.hpre[ho + i].max(0.0);
                }
                a.dh.fill(0.0);
                linear_back(f2, &a.hr, &a.dx[t * e..(t + 1) * e], &mut g[o2..o2 + l2], &mut a.dh);
                for i in 0..hid {
                    if a.hpre[ho + i] <= 0.0 {
                        a.dh[i] = 0.0;
                    }
                }
                a.dn.fill(0.0);
                linear_back(f1, &a.n2[o..o + e], &a.dh, &mut g[o1..o1 + l1], &mut a.dn);
                rmsnorm_back(&a.xmid[o..o + e], a.s2[l * bs + t], &a.dn, &mut a.dx[t * e..(t + 1) * e]);
                a.datt[t * e..(t + 1) * e].fill(0.0);
                linear_back(wo, &a.att[o..o + e], &a.dx[t * e..(t + 1) * e], &mut g[oo..oo + lo], &mut a.datt[t * e..(t + 1) * e]);
            }
            a.dq[..n * e].fill(0.0);
            a.dk[..n * e].fill(0.0);
            a.dv[..n * e].fill(0.0);
            for t in 0..n {
                for h in 0..nh {
                    let wbase = ((l * nh + h) * bs + t) * bs;
                    let dout = t * e + h * hd;
                    let mut sum = 0.0;
                    for s in 0..=t {
                        let p = a.aw[wbase + s];
                        let vo = lb(l, s) + h * hd;
                        let mut da = 0.0;
                        for j in 0..hd {
                            da += a.datt[dout + j] * a.v[vo + j];
                            a.dv[s * e + h * hd + j] += p * a.datt[dout + j];
                        }
                        a.da[s] = da;
                        sum += p * da;
                    }
                    for s in 0..=t {
                        let p = a.aw[wbase + s];
                        let da = a.da[s];
                        let dl = p * (da - sum) * scale;
                        let ko = lb(l, s) + h * hd;
                        let qo = lb(l, t) + h * hd;
                        for j in 0..hd {
                            a.dq[t * e + h * hd + j] += dl * a.k[ko + j];
                            a.dk[s * e + h * hd + j] += dl * a.q[qo + j];
                        }
                    }
                }
            }
            for t in 0..n {
                let o = lb(l, t);
                a.dn.fill(0.0);
                linear_back(wq, &a.n1[o..o + e], &a.dq[t * e..(t + 1) * e], &mut g[oq..oq + lq], &mut a.dn);
                linear_back(wk, &a.n1[o..o + e], &a.dk[t * e..(t + 1) * e], &mut g[ok..ok + lk], &mut a.dn);
                linear_back(wv, &a.n1[o..o + e], &a.dv[t * e..(t + 1) * e], &mut g[ov..ov + lv], &mut a.dn);
                rmsnorm_back(&a.xin[o..o + e], a.s1[l * bs + t], &a.dn, &mut a.dx[t * e..(t + 1) * e]);
            }
        }
        let (ote, _) = slot(WTE);
        let (ope, _) = slot(WPE);
        for t in 0..n {
            a.dn.fill(0.0);
            rmsnorm_back(&a.e[t * e..(t + 1) * e], a.s0[t], &a.dx[t * e..(t + 1) * e], &mut a.dn);
            let tok = tokens[t];
            for i in 0..e {
                g[ote + tok * e + i] += a.dn[i];
                g[ope + t * e + i] += a.dn[i];
            }
        }
        loss
    }
}

/// Progress of a run, reported every `every` steps.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub step: usize,
    pub loss: f32,
    pub steps_per_s: f64,
}

/// Trains a fresh model of `cfg` on `docs` (raw strings) and returns it; `report` sees the
/// mean loss of the last window every `every` steps.
pub fn train(cfg: ModelConfig, docs: &[String], opts: TrainOptions, every: usize, mut report: impl FnMut(Progress)) -> Result<FloatModel> {
    let tok = Tokenizer::from_docs(docs);
    if tok.vocab() != cfg.vocab {
        return Err(Error::invalid("vocab", cfg.vocab, format!("allowed: {} (the data has {} distinct characters plus BOS)", tok.vocab(), tok.vocab() - 1)));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut encoded: Vec<Vec<usize>> = docs.iter().map(|d| tok.encode(d)).collect::<Result<_>>()?;
    shuffle(&mut encoded, &mut rng);
    let mut model = init_model(cfg, tok, &mut rng);
    let mut tr = Trainer::new(&model, opts);
    let start = std::time::Instant::now();
    let mut window = 0.0;
    let mut wn = 0;
    let mut batch: Vec<&[usize]> = Vec::with_capacity(opts.batch);
    for s in 0..opts.steps {
        batch.clear();
        for b in 0..opts.batch {
            batch.push(&encoded[(s * opts.batch + b) % encoded.len()]);
        }
        window += tr.step(&mut model, &batch);
        wn += 1;
        if (s + 1) % every.max(1) == 0 || s + 1 == opts.steps {
            report(Progress { step: s + 1, loss: window / wn as f32, steps_per_s: (s + 1) as f64 / start.elapsed().as_secs_f64() });
            window = 0.0;
            wn = 0;
        }
    }
    Ok(model)
}

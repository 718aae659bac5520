//! The integer golden model: the whole forward pass token by token with a KV cache, exactly as
//! the hardware computes it (every rule from [`crate::numeric`]). RTL tests compare against it
//! bit for bit. All buffers are allocated in [`Golden::new`]; [`Golden::step`] allocates nothing.
//!
//! Per token at position `t` (formats in [`super::quant::Formats`]):
//! 1. `x_i = sat16(wte.rq[tok](wte[tok][i]) + wpe.rq[t](wpe[t][i]))`, then `x = rmsnorm(x)` (resid);
//! 2. per layer: `xn = rmsnorm(x)` (norm); `q, k, v = W xn` (requant per row); `k, v` stored at `t`;
//!    per head: online softmax over positions `0..=t` ([`crate::numeric::OnlineSoftmax`]), scores
//!    by [`crate::numeric::score`]; `x = sat16(x + wo(att))`; `xn = rmsnorm(x)`;
//!    `h = relu(fc1 xn)`; `x = sat16(x + fc2 h)`;
//! 3. `logits = lm_head x` (logit format).

use super::quant::QuantModel;
use crate::numeric::{rmsnorm, sat_i16, score, OnlineSoftmax};
use crate::{Error, Result};

#[derive(Debug, Clone)]
pub struct Golden<'a> {
    m: &'a QuantModel,
    pos: usize,
    keys: Vec<i16>,
    values: Vec<i16>,
    x: Vec<i16>,
    xn: Vec<i16>,
    q: Vec<i16>,
    att: Vec<i16>,
    y: Vec<i16>,
    h: Vec<i16>,
    acc: Vec<i32>,
    logits: Vec<i16>,
}

impl<'a> Golden<'a> {
    pub fn new(m: &'a QuantModel) -> Self {
        let c = m.cfg;
        let e = c.n_embd;
        let cache = c.n_layer * c.block_size * e;
        Golden {
            m,
            pos: 0,
            keys: vec![0; cache],
            values: vec![0; cache],
            x: vec![0; e],
            xn: vec![0; e],
            q: vec![0; e],
            att: vec![0; e],
            y: vec![0; e],
            h: vec![0; c.mlp_hidden],
            acc: vec![0; c.head_dim()],
            logits: vec![0; c.vocab],
        }
    }

    /// Forgets the cache: the next step is position 0.
    pub fn reset(&mut self) {
        self.pos = 0;
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The residual stream after the last step (for RTL tests of intermediate values).
    pub fn residual(&self) -> &[i16] {
        &self.x
    }

    /// The query of the last layer in the last step (format `q`).
    pub fn query(&self) -> &[i16] {
        &self.q
    }

    /// The concatenated attention head outputs of the last layer in the last step (format `v`).
    pub fn attention(&self) -> &[i16] {
        &self.att
    }

    /// Keys cached for `layer` at `pos`.
    pub fn key(&self, layer: usize, pos: usize) -> &[i16] {
        let e = self.m.cfg.n_embd;
        let o = (layer * self.m.cfg.block_size + pos) * e;
        &self.keys[o..o + e]
    }

    /// Values cached for `layer` at `pos`.
    pub fn value(&self, layer: usize, pos: usize) -> &[i16] {
        let e = self.m.cfg.n_embd;
        let o = (layer * self.m.cfg.block_size + pos) * e;
        &self.values[o..o + e]
    }

    /// Feeds `token` at the next position; returns the integer logits of the next token.
    pub fn step(&mut self, token: usize) -> Result<&[i16]> {
        let m = self.m;
        let c = m.cfg;
        let (e, hd, t) = (c.n_embd, c.head_dim(), self.pos);
        if t >= c.block_size {
            return Err(Error::invalid("position", t, format!("allowed: 0..{} (block_size)", c.block_size)));
        }
        if token >= c.vocab {
            return Err(Error::invalid("token", token, format!("allowed: 0..{}", c.vocab)));
        }
        let (rt, rp) = (m.wte.rq[token], m.wpe.rq[t]);
        let (wt, wp) = (m.wte.row(token), m.wpe.row(t));
        for i in 0..e {
            self.y[i] = sat_i16(rt.apply(wt[i] as i64) as i64 + rp.apply(wp[i] as i64) as i64);
        }
        rmsnorm(&self.y, &m.norm_embed, &mut self.x);
        for (l, ql) in m.layers.iter().enumerate() {
            let base = l * c.block_size * e;
            rmsnorm(&self.x, &m.norm, &mut self.xn);
            ql.wq.matvec(&self.xn, &mut self.q);
            ql.wk.matvec(&self.xn, &mut self.keys[base + t * e..base + (t + 1) * e]);
            ql.wv.matvec(&self.xn, &mut self.values[base + t * e..base + (t + 1) * e]);
            for h in 0..c.n_head {
                let (lo, hi) = (h * hd, (h + 1) * hd);
                let mut sm = OnlineSoftmax::new(&mut self.acc);
                for s in 0..=t {
                    let o = base + s * e;
                    let sc = score(&self.q[lo..hi], &self.keys[o + lo..o + hi], m.score_shift);
                    sm.push(sc, &self.values[o + lo..o + hi]);
                }
                sm.finish(&mut self.att[lo..hi]);
            }
            ql.wo.matvec(&self.att, &mut self.y);
            for i in 0..e {
                self.x[i] = sat_i16(self.x[i] as i64 + self.y[i] as i64);
            }
            rmsnorm(&self.x, &m.norm, &mut self.xn);
            ql.fc1.matvec(&self.xn, &mut self.h);
            for v in self.h.iter_mut() {
                *v = (*v).max(0);
            }
            ql.fc2.matvec(&self.h, &mut self.y);
            for i in 0..e {
                self.x[i] = sat_i16(self.x[i] as i64 + self.y[i] as i64);
            }
        }
        m.lm_head.matvec(&self.x, &mut self.logits);
        self.pos += 1;
        Ok(&self.logits)
    }
}

//! Every fixed-point rule of llmpu, written once. The integer golden model ([`crate::model::golden`])
//! and the RTL generators compute their constants and their expected results from this module,
//! so hardware and model cannot drift. `docs/numerics.md` explains each rule and where it is used.
//!
//! Conventions (all of them hold everywhere below):
//! * **Rounding** is *round half up*: `rshift_round(x, s) = floor((x + 2^(s-1)) / 2^s)`, an add and
//!   an arithmetic right shift in hardware.
//! * **Saturation** clamps to the target range (`sat_i16`); there is no wrap-around anywhere
//!   except in matmul accumulators, whose widths are chosen so that they cannot overflow.
//! * **Probabilities** are unsigned Q1.15 (`1.0 = 32768`), **scores** (attention logits and
//!   temperature-scaled logits) are signed base-2 logarithms with [`SCORE_FRAC`] = 8 fraction bits.
//! * **Multiplies** are at most 16 x 16 bits, except the few named 32 x 16 products (requant,
//!   online-softmax rescale and final division), which hardware builds from two 16 x 16 multiplies.
//! * Lookup tables have at most 256 entries (plus the single constant endpoint `2^14`).

use crate::{Error, Result};
use std::sync::LazyLock;

/// Fraction bits of probabilities (Q1.15, 1.0 = 32768).
pub const PROB_FRAC: u32 = 15;
/// Fraction bits of scores (base-2 logarithms).
pub const SCORE_FRAC: u32 = 8;
/// Fraction bits of the table outputs of [`recip`] and [`rsqrt`] (Q1.15 mantissas).
pub const MANT_FRAC: u32 = 15;
/// Fraction bits kept in the online-softmax accumulator beyond the value format.
pub const ACC_EXTRA_FRAC: u32 = 8;

/// `floor((x + 2^(s-1)) / 2^s)`: round half up; `s = 0` is the identity. `s` must be < 63.
#[inline]
pub fn rshift_round(x: i64, s: u32) -> i64 {
    if s == 0 {
        x
    } else {
        (x + (1i64 << (s - 1))) >> s
    }
}

/// A rounding right shift by `s` when `s >= 0`, an exact left shift by `-s` otherwise
/// (hardware: a barrel shifter). The left shift saturates to the `i64` range first.
#[inline]
pub fn shift_round(x: i64, s: i32) -> i64 {
    if s >= 0 {
        rshift_round(x, s as u32)
    } else {
        let l = (-s) as u32;
        if l >= 62 {
            return if x > 0 { i64::MAX } else if x < 0 { i64::MIN } else { 0 };
        }
        x.checked_shl(l).filter(|v| (v >> l) == x).unwrap_or(if x > 0 { i64::MAX } else { i64::MIN })
    }
}

/// Clamps to `-32768..=32767`.
#[inline]
pub fn sat_i16(x: i64) -> i16 {
    x.clamp(i16::MIN as i64, i16::MAX as i64) as i16
}

/// Clamps to `-128..=127` and rounds to nearest (half away from zero) a real value: how weights
/// are quantized (host-side only, never in hardware).
pub fn quantize_i8(x: f64) -> i8 {
    x.round().clamp(-127.0, 127.0) as i8
}

/// A requantization `y = sat_i16(rshift_round(acc * mult, shift))`: how every accumulator or
/// integer value is brought into an activation format. `mult` has 15 bits (`2^14 <= mult < 2^15`,
/// or 0 for an all-zero row) so it is a positive signed 16-bit operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Requant {
    pub mult: u16,
    pub shift: u32,
}

impl Requant {
    /// Largest shift the hardware supports (the product is at most 48 bits wide).
    pub const MAX_SHIFT: u32 = 47;

    /// The requant closest to multiplying by `scale` (`scale >= 0`). `what` names the tensor in
    /// the error when the scale cannot be represented.
    pub fn from_real(scale: f64, what: &str) -> Result<Self> {
        if !(scale.is_finite() && scale >= 0.0) {
            return Err(Error::invalid(format!("{what} scale"), scale, "allowed: a finite value >= 0"));
        }
        if scale == 0.0 {
            return Ok(Requant { mult: 0, shift: 0 });
        }
        // Find shift with 2^14 <= scale * 2^shift < 2^15.
        let mut shift = 14 - scale.log2().floor() as i32;
        let mut m = (scale * 2f64.powi(shift)).round();
        if m >= 32768.0 {
            shift -= 1;
            m = (scale * 2f64.powi(shift)).round();
        }
        if shift < 0 {
            return Err(Error::invalid(format!("{what} scale"), scale, "allowed: < 32768 (requant shifts must be >= 0)"));
        }
        if shift as u32 > Self::MAX_SHIFT {
            // Below the resolution of the output: contributes nothing.
            return Ok(Requant { mult: 0, shift: 0 });
        }
        Ok(Requant { mult: m as u16, shift: shift as u32 })
    }

    /// The real factor this requant multiplies by.
    pub fn factor(self) -> f64 {
        self.mult as f64 / 2f64.powi(self.shift as i32)
    }

    #[inline]
    pub fn apply(self, acc: i64) -> i16 {
        sat_i16(rshift_round(acc * self.mult as i64, self.shift))
    }
}

/// `EXP2_TABLE[i] = round(2^15 * 2^(-i/256))`, 256 entries of 16 bits (entry 0 is 32768).
pub static EXP2_TABLE: LazyLock<[u16; 256]> =
    LazyLock::new(|| std::array::from_fn(|i| (32768.0 * (-(i as f64) / 256.0).exp2()).round() as u16));

/// `2^(-d / 256)` in Q1.15 for `d >= 0` (a score difference with [`SCORE_FRAC`] bits):
/// `rshift_round(EXP2_TABLE[d & 255], d >> 8)`, and 0 once `d >> 8 >= 16`.
/// Maximum error against f64: 1 LSB (2^-15) over the whole input range (tested exhaustively).
#[inline]
pub fn exp2_neg(d: u32) -> u16 {
    let ip = d >> 8;
    if ip >= 16 {
        return 0;
    }
    rshift_round(EXP2_TABLE[(d & 255) as usize] as i64, ip) as u16
}

/// The endpoint shared by both interpolation tables: 1/2 in Q1.15.
pub const TABLE_END: u16 = 1 << 14;

/// `RECIP_TABLE[i] = round(2^15 / (1 + i/256))`, 256 entries.
pub static RECIP_TABLE: LazyLock<[u16; 256]> =
    LazyLock::new(|| std::array::from_fn(|i| (32768.0 / (1.0 + i as f64 / 256.0)).round() as u16));

/// `RSQRT_TABLE[j] = round(2^15 / sqrt((64 + j) / 64))`, 192 entries covering `[1, 4)`.
pub static RSQRT_TABLE: LazyLock<[u16; 192]> =
    LazyLock::new(|| std::array::from_fn(|j| (32768.0 / ((64 + j) as f64 / 64.0).sqrt()).round() as u16));

/// Linear interpolation between table entries `a` (at the left) and `b`, `t/256` of the way.
#[inline]
fn interp(a: u16, b: u16, t: u32) -> u16 {
    (a as i64 - rshift_round((a as i64 - b as i64) * t as i64, 8)) as u16
}

/// `1/x` for `x > 0` as `(mant, shift)` with `1/x ≈ mant * 2^-shift`, `mant` in Q1.15
/// (`2^14 <= mant <= 2^15`). `x` is normalised to 24 bits `1.f` (`f` has 23 bits, lower bits
/// of wider inputs are truncated), the top 8 bits of `f` index [`RECIP_TABLE`], the next 8 bits
/// interpolate linearly to the next entry ([`TABLE_END`] after the last).
/// `x = 0` returns the largest value the format holds for `1/1`, `(32768, 15)`, i.e. it is
/// treated as 1; callers never divide by 0 (softmax denominators are >= 1.0).
/// Maximum relative error against f64: 7e-5 (about one LSB of the mantissa near 0.5) for
/// `x` in `1..2^48` (tested exhaustively to 2^20 and on a dense sweep above).
#[inline]
pub fn recip(x: u64) -> (u16, u32) {
    if x == 0 {
        return (32768, 15);
    }
    let e = 63 - x.leading_zeros();
    let n = if e >= 23 { x >> (e - 23) } else { x << (23 - e) };
    let i = ((n >> 15) & 255) as usize;
    let t = ((n >> 7) & 255) as u32;
    let a = RECIP_TABLE[i];
    let b = if i == 255 { TABLE_END } else { RECIP_TABLE[i + 1] };
    (interp(a, b, t), MANT_FRAC + e)
}

/// `1/sqrt(x)` for `x > 0` as `(mant, shift)` with `1/sqrt(x) ≈ mant * 2^-shift`, `mant` in
/// Q1.15. With `4^k <= x < 4^(k+1)`, `x` is normalised to 24 bits so that `x / 4^k` in `[1, 4)`
/// has 22 fraction bits; its top 8 bits (64..=255) index [`RSQRT_TABLE`] (minus 64) and the
/// next 8 bits interpolate. `x = 0` is treated as 1.
/// Maximum relative error against f64: 7.5e-5 (about one LSB of the mantissa near 0.5) for
/// `x` in `1..2^48` (tested exhaustively to 2^20 and on a dense sweep above).
#[inline]
pub fn rsqrt(x: u64) -> (u16, u32) {
    if x == 0 {
        return (32768, 15);
    }
    let e = 63 - x.leading_zeros();
    let k = e / 2;
    let n = if 2 * k >= 22 { x >> (2 * k - 22) } else { x << (22 - 2 * k) };
    let t = (n >> 16) as usize;
    let f = ((n >> 8) & 255) as u32;
    let a = RSQRT_TABLE[t - 64];
    let b = if t == 255 { TABLE_END } else { RSQRT_TABLE[t - 63] };
    (interp(a, b, f), MANT_FRAC + k)
}

/// The constants of one integer RMSNorm for vectors of length `n`, input with `in_frac` and
/// output with `out_frac` fraction bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct NormConsts {
    pub n: usize,
    pub in_frac: u32,
    pub out_frac: u32,
    /// `round(n * eps * 2^(2 in_frac))`, at least 1.
    pub eps_term: u64,
    /// `round(sqrt(n) * 2^gain_shift)` with `2^14 <= gain < 2^15`.
    pub gain: u16,
    pub gain_shift: u32,
}

impl NormConsts {
    pub fn new(n: usize, in_frac: u32, out_frac: u32, eps: f64) -> Self {
        let eps_term = ((n as f64) * eps * 2f64.powi(2 * in_frac as i32)).round().max(1.0) as u64;
        let s = (n as f64).sqrt();
        let mut gain_shift = 14 - s.log2().floor() as i32;
        let mut g = (s * 2f64.powi(gain_shift)).round();
        if g >= 32768.0 {
            gain_shift -= 1;
            g = (s * 2f64.powi(gain_shift)).round();
        }
        NormConsts { n, in_frac, out_frac, eps_term, gain: g as u16, gain_shift: gain_shift.max(0) as u32 }
    }
}

/// Integer RMSNorm without gain: `y = x * sqrt(n) / sqrt(sum x^2 + eps_term)` (all in integer
/// units, which equals `x / sqrt(mean(x^2) + eps)` in real units).
/// 1. `V = sum(x_i^2) + eps_term` (u64; at most 2^30 * n + eps_term, 40 bits for n <= 256);
/// 2. `(mant, sh) = rsqrt(V)`;
/// 3. `c = rshift_round(mant * gain, 15)` (one 16 x 16 multiply per vector, c < 2^16);
/// 4. `y_i = sat_i16(shift_round(x_i * c, gain_shift + sh - 15 - out_frac))` (16 x 16 per element).
pub fn rmsnorm(x: &[i16], k: &NormConsts, out: &mut [i16]) {
    rmsnorm_with_sum(x, sum_squares(x), k, out)
}

/// `sum(x_i^2)` of step 1 of [`rmsnorm`] (exact; the hardware may form it as the vector is
/// written, docs/lpu.md "Norm").
pub fn sum_squares(x: &[i16]) -> u64 {
    x.iter().map(|&xi| (xi as i64 * xi as i64) as u64).sum()
}

/// [`rmsnorm`] with step 1's `sum(x_i^2)` given as `ssq` (equal to [`rmsnorm`] when
/// `ssq = sum_squares(x)`).
pub fn rmsnorm_with_sum(x: &[i16], ssq: u64, k: &NormConsts, out: &mut [i16]) {
    let v: u64 = k.eps_term + ssq;
    let (mant, sh) = rsqrt(v);
    let c = rshift_round(mant as i64 * k.gain as i64, 15);
    let s = (k.gain_shift + sh) as i32 - 15 - k.out_frac as i32;
    for (o, &xi) in out.iter_mut().zip(x) {
        *o = sat_i16(shift_round(xi as i64 * c, s));
    }
}

/// Index of the first largest element (ties go to the lowest index); 0 for an empty slice.
pub fn argmax(xs: &[i16]) -> usize {
    let mut best = 0;
    for (i, &x) in xs.iter().enumerate() {
        if x > xs[best] {
            best = i;
        }
    }
    best
}

/// The on-chip PRNG: Marsaglia's xorshift32 (shifts 13, 17, 5), never zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XorShift32(pub u32);

impl XorShift32 {
    /// Folds a 64-bit seed into a non-zero 32-bit state (`lo ^ hi`, 0 becomes 0x9E3779B9).
    pub fn new(seed: u64) -> Self {
        let s = (seed as u32) ^ ((seed >> 32) as u32);
        XorShift32(if s == 0 { 0x9E37_79B9 } else { s })
    }
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

/// Sampling temperature: `0` is greedy (argmax); otherwise `0.1..=10`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Temperature {
    pub value: f64,
    /// `round(log2(e) / T * 2^12)`, 0 for greedy.
    pub k: u16,
}

impl TryFrom<f64> for Temperature {
    type Error = Error;
    fn try_from(t: f64) -> Result<Self> {
        if t == 0.0 {
            return Ok(Temperature { value: 0.0, k: 0 });
        }
        if !(0.1..=10.0).contains(&t) {
            return Err(Error::invalid("temperature", t, "allowed: 0 (greedy) or 0.1..=10"));
        }
        Ok(Temperature { value: t, k: (std::f64::consts::LOG2_E / t * 4096.0).round() as u16 })
    }
}

/// Integer temperature sampling over `logits` (natural-log units, `logit_frac` fraction bits):
/// 1. `z_i = rshift_round(logit_i * k, logit_frac + 12 - 8)` (base-2 score, 8 fraction bits);
/// 2. `p_i = exp2_neg(max z - z_i)` (Q1.15), `sum = sum p_i` (u32);
/// 3. `r = next_u32() >> 16`, `target = (r * sum) >> 16` (so `target < sum`);
/// 4. the result is the first `i` whose running sum of `p` exceeds `target`.
///
/// Greedy (`k = 0`) is [`argmax`] and draws no random number.
pub fn sample(logits: &[i16], logit_frac: u32, t: Temperature, rng: &mut XorShift32) -> usize {
    sample_with_max(logits, logits.iter().copied().max().unwrap_or(0), logit_frac, t, rng)
}

/// [`sample`] with the largest logit `lmax` given (the hardware may find it as the logits are
/// written, docs/lpu.md "Sampler"): `max z = rshift_round(lmax * k, logit_frac + 4)`, since
/// the rounding shift of `l * k` (`k > 0`) never decreases as `l` grows. Equal to [`sample`]
/// when `lmax = max(logits)`.
pub fn sample_with_max(logits: &[i16], lmax: i16, logit_frac: u32, t: Temperature, rng: &mut XorShift32) -> usize {
    if t.k == 0 {
        return argmax(logits);
    }
    if logits.is_empty() {
        return 0;
    }
    let s = logit_frac + 12 - SCORE_FRAC;
    let zmax = rshift_round(lmax as i64 * t.k as i64, s);
    let mut sum: u64 = 0;
    for &l in logits {
        let z = rshift_round(l as i64 * t.k as i64, s);
        sum += exp2_neg((zmax - z).min(u32::MAX as i64) as u32) as u64;
    }
    let r = (rng.next_u32() >> 16) as u64;
    let target = (r * sum) >> 16;
    let mut cum: u64 = 0;
    for (i, &l) in logits.iter().enumerate() {
        let z = rshift_round(l as i64 * t.k as i64, s);
        cum += exp2_neg((zmax - z).min(u32::MAX as i64) as u32) as u64;
        if cum > target {
            return i;
        }
    }
    logits.len().saturating_sub(1)
}

/// The attention score of one query against one key: `sat_i16(rshift_round(q . k, shift))` with
/// `shift = q_frac + k_frac - SCORE_FRAC`. The query already carries `log2(e) / sqrt(head_dim)`
/// (folded into its requant), so the score is a base-2 logit with 8 fraction bits.
#[inline]
pub fn score(q: &[i16], k: &[i16], shift: u32) -> i16 {
    let mut acc: i64 = 0;
    for (&a, &b) in q.iter().zip(k) {
        acc += a as i64 * b as i64;
    }
    sat_i16(rshift_round(acc, shift))
}

/// One attention head's online softmax, exactly as the hardware computes it. The state is the
/// running max `m` (a score), the running denominator `l` (Q.15, u32) and the running weighted
/// sum `acc` (one i32 per value lane, the value format plus [`ACC_EXTRA_FRAC`] fraction bits).
///
/// `push(s, v)` for each cached position in order 0..len:
/// 1. first push: `m = s`;
/// 2. if `s > m`: `alpha = exp2_neg(s - m)`, `l = rshift_round(l * alpha, 15)`,
///    `acc_j = rshift_round(acc_j * alpha, 15)`, `m = s`;
/// 3. `p = exp2_neg(m - s)`, `l += p`, `acc_j += rshift_round(p * v_j, 15 - ACC_EXTRA_FRAC)`.
///
/// `finish`: `(mant, sh) = recip(l)`, `out_j = sat_i16(rshift_round(acc_j * mant, sh - 7))`
/// (`sh - 7 = sh - 15 + ACC_EXTRA_FRAC`), which is `acc_j / l` in the value format.
#[derive(Debug)]
pub struct OnlineSoftmax<'a> {
    pub m: i16,
    pub l: u32,
    pub acc: &'a mut [i32],
    started: bool,
}

impl<'a> OnlineSoftmax<'a> {
    /// Starts a head over `acc` (one lane per value element; cleared here).
    pub fn new(acc: &'a mut [i32]) -> Self {
        acc.fill(0);
        OnlineSoftmax { m: 0, l: 0, acc, started: false }
    }

    #[inline]
    pub fn push(&mut self, s: i16, v: &[i16]) {
        if !self.started {
            self.m = s;
            self.started = true;
        }
        if s > self.m {
            let alpha = exp2_neg((s as i32 - self.m as i32) as u32) as i64;
            self.l = rshift_round(self.l as i64 * alpha, 15) as u32;
            for a in self.acc.iter_mut() {
                *a = rshift_round(*a as i64 * alpha, 15) as i32;
            }
            self.m = s;
        }
        let p = exp2_neg((self.m as i32 - s as i32) as u32) as i64;
        self.l += p as u32;
        for (a, &vj) in self.acc.iter_mut().zip(v) {
            *a += rshift_round(p * vj as i64, PROB_FRAC - ACC_EXTRA_FRAC) as i32;
        }
    }

    /// Writes `acc / l` into `out` (value format). With no push, writes zeros.
    #[inline]
    pub fn finish(&self, out: &mut [i16]) {
        if !self.started {
            out.fill(0);
            return;
        }
        let (mant, sh) = recip(self.l as u64);
        let s = sh - (PROB_FRAC - ACC_EXTRA_FRAC);
        for (o, &a) in out.iter_mut().zip(self.acc.iter()) {
            *o = sat_i16(rshift_round(a as i64 * mant as i64, s));
        }
    }
}

/// A whole attention head as one function, for RTL tests: `q` (query with `q_frac`), `keys[t]`
/// (`k_frac`) and `values[t]` (value format) for `t < len`; returns the head output in the value
/// format. Identical to what [`crate::model::golden::Golden`] computes per head.
pub fn attention_head(q: &[i16], keys: &[Vec<i16>], values: &[Vec<i16>], q_frac: u32, k_frac: u32) -> Vec<i16> {
    let hd = q.len();
    let mut acc = vec![0i32; hd];
    let mut out = vec![0i16; hd];
    let mut sm = OnlineSoftmax::new(&mut acc);
    let shift = q_frac + k_frac - SCORE_FRAC;
    for (k, v) in keys.iter().zip(values) {
        sm.push(score(q, k, shift), v);
    }
    sm.finish(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sample` finds `max z` from the largest logit; the score of every logit, maxed, is the same.
    #[test]
    fn max_score_is_the_score_of_the_largest_logit() {
        let mut x = 0x1234_5678u64;
        for _ in 0..20000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = 1 + (x % 40) as usize;
            let ls: Vec<i16> = (0..n).map(|i| (x.rotate_left(i as u32 * 7) as i16) >> (x % 9)).collect();
            let k = 1 + (x >> 20) as u16 % 20000;
            let frac = (x >> 40) as u32 % 12;
            let s = frac + 12 - SCORE_FRAC;
            let zmax = ls.iter().map(|&l| rshift_round(l as i64 * k as i64, s)).max().unwrap();
            let lmax = *ls.iter().max().unwrap();
            assert_eq!(rshift_round(lmax as i64 * k as i64, s), zmax, "{ls:?} k {k} frac {frac}");
        }
    }

    #[test]
    fn rounding_is_half_up_and_saturates() {
        assert_eq!(rshift_round(3, 1), 2);
        assert_eq!(rshift_round(-3, 1), -1);
        assert_eq!(rshift_round(-5, 2), -1);
        assert_eq!(sat_i16(40000), 32767);
        assert_eq!(sat_i16(-40000), -32768);
        assert_eq!(shift_round(3, -2), 12);
    }

    #[test]
    fn requant_represents_scale() {
        let r = Requant::from_real(0.0123, "t").unwrap();
        assert!((16384..32768).contains(&r.mult));
        assert!((r.factor() / 0.0123 - 1.0).abs() < 1.0 / 16384.0);
        assert_eq!(r.apply(1_000_000), ((1_000_000 * r.mult as i64 + (1 << (r.shift - 1))) >> r.shift) as i16);
        assert_eq!(r.apply(1 << 40), 32767);
        assert_eq!(
            Requant::from_real(1e6, "layer0.attn_wq").unwrap_err().to_string(),
            "layer0.attn_wq scale 1000000 is not allowed (allowed: < 32768 (requant shifts must be >= 0))"
        );
    }
}

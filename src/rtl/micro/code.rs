//! The compact engine's microcode: one routine per instruction of the processing unit
//! (EMBED, NORM, MATVEC, ATTN, SAMPLE; docs/isa.md), assembled from a [`Compiled`] model, so
//! every size, address and constant is the configuration's. Each routine is the numeric rule
//! of [`crate::numeric`] step by step; [`super::model`] runs it and the tests compare with the
//! instruction interpreter ([`crate::lpu::Interpreter`]) bit for bit.

use super::isa::{Act, Addr, Cond, Ctl, DotKind, Dst, Field, Label, Mem, Rd, Src, Uop};
use crate::lpu::Compiled;
use crate::numeric::SCORE_FRAC;
use crate::{Error, Result};
use std::collections::HashMap;

/// Where the routines start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entries {
    pub embed: usize,
    pub norm: usize,
    pub matvec: usize,
    pub attn: usize,
    pub sample: usize,
}

impl Entries {
    /// The routine of a compute instruction (`None` for END, SEND, RECV).
    pub fn of(&self, op: crate::lpu::isa::Op) -> Option<usize> {
        use crate::lpu::isa::Op;
        match op {
            Op::Embed => Some(self.embed),
            Op::Norm => Some(self.norm),
            Op::Matvec => Some(self.matvec),
            Op::Attn => Some(self.attn),
            Op::Sample => Some(self.sample),
            Op::End | Op::Send | Op::Recv => None,
        }
    }
}

/// The engine's local RAM: the key/value cache (word `(layer * block + t) * n_embd + j` holds
/// key `j` in bits 15..0 and value `j` in 31..16), then the temporaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalMap {
    /// Words of the cache.
    pub cache: usize,
    /// Online softmax: running max `m`, denominator `l`, accumulators `acc_j` (`head_dim` words).
    pub m: usize,
    pub l: usize,
    pub acc: usize,
    /// Sampler: the largest score, the sum of the probabilities, the running sum.
    pub zmax: usize,
    pub sum: usize,
    pub cum: usize,
    /// Words in all (a power of two).
    pub depth: usize,
}

/// The assembled microcode of one configuration.
#[derive(Debug, Clone)]
pub struct Microcode {
    pub ops: Vec<Uop>,
    pub entries: Entries,
    pub local: LocalMap,
}

/// A micro-op being assembled: `a.op(act).rd(..).ctl(..)`.
struct Asm {
    ops: Vec<Uop<Label>>,
    labels: HashMap<Label, usize>,
}

impl Asm {
    fn label(&mut self, l: Label) -> usize {
        let at = self.ops.len();
        assert!(self.labels.insert(l, at).is_none(), "label {l} twice");
        at
    }
    fn op(&mut self, act: Act) -> &mut Uop<Label> {
        self.ops.push(Uop { act, rd: None, ctl: Ctl::Next });
        self.ops.last_mut().unwrap()
    }
    fn finish(self) -> Result<Vec<Uop>> {
        let at = |l: &Label| self.labels.get(l).copied().ok_or_else(|| Error::invalid("microcode label", *l, "allowed: a defined label"));
        self.ops
            .iter()
            .enumerate()
            .map(|(i, u)| {
                u.check().map_err(|e| Error::invalid("micro-op", format!("{i} {u:?}"), format!("allowed: one cycle's work ({e})")))?;
                let ctl = match u.ctl {
                    Ctl::Next => Ctl::Next,
                    Ctl::Done => Ctl::Done,
                    Ctl::Jmp(l) => Ctl::Jmp(at(&l)?),
                    Ctl::Djnz(n, l) => Ctl::Djnz(n, at(&l)?),
                    Ctl::Br(c, l) => Ctl::Br(c, at(&l)?),
                };
                Ok(Uop { act: u.act, rd: u.rd, ctl })
            })
            .collect()
    }
}

trait UopExt {
    fn rd(&mut self, mem: Mem, addr: Addr) -> &mut Self;
    fn ctl(&mut self, c: Ctl<Label>) -> &mut Self;
}

impl UopExt for Uop<Label> {
    fn rd(&mut self, mem: Mem, addr: Addr) -> &mut Self {
        self.rd = Some(Rd { mem, addr });
        self
    }
    fn ctl(&mut self, c: Ctl<Label>) -> &mut Self {
        self.ctl = c;
        self
    }
}

fn imm(v: usize) -> Src {
    Src::Imm(v as i32)
}
fn limm(v: usize) -> Addr {
    Addr::Imm(v as u16)
}
const fn p(i: u8) -> Addr {
    Addr::P(i, false)
}
const fn pi(i: u8) -> Addr {
    Addr::P(i, true)
}

/// Assembles the routines for `c` (a 1x1 configuration: the weight store holds one byte per
/// word, row-major; every other size is refused with the reason).
pub fn assemble(c: &Compiled) -> Result<Microcode> {
    let cfg = &c.cfg;
    if (cfg.rows, cfg.cols) != (1, 1) {
        return Err(Error::invalid("compact engine size", format!("{}x{}", cfg.rows, cfg.cols), "allowed: 1x1 (one weight byte per store word)"));
    }
    let m = cfg.model;
    let (e, heads, hd, block) = (m.n_embd, m.n_head, m.head_dim(), m.block_size);
    let local = local_map(c);
    for (i, k) in c.consts.norm.iter().enumerate() {
        // The output shift is gain_shift + sh - 15 - out_frac with sh = 15 + floor(log2(V) / 2)
        // and eps_term <= V < 2^48: it must stay in the rounding shifter's 0..=47.
        let lo = k.gain_shift as i64 + (63 - k.eps_term.max(1).leading_zeros()) as i64 / 2 - k.out_frac as i64;
        let hi = k.gain_shift as i64 + 23 - k.out_frac as i64;
        if lo < 0 || hi > 47 || k.eps_term > i32::MAX as u64 {
            return Err(Error::invalid(format!("norm constant set {i}"), format!("{k:?}"), "allowed: output shifts in 0..=47 and eps_term < 2^31 (the compact engine has no left shift)"));
        }
    }
    let (wte, wpe) = (&c.map.tensors[0], &c.map.tensors[1]);
    let score_shift = (c.consts.q_frac + c.consts.k_frac) as usize - SCORE_FRAC as usize;
    let logit_shift = (c.consts.logit_frac + 12 - SCORE_FRAC) as usize;
    let mut a = Asm { ops: Vec::new(), labels: HashMap::new() };

    // EMBED: dst[i] = sat16(wte.rq[tok](wte[tok][i]) + wpe.rq[pos](wpe[pos][i])).
    let embed = a.label("embed");
    a.op(Act::Set(Dst::A, Src::Op(Field::Tok)));
    a.op(Act::Mul(imm(wte.chunks)));
    a.op(Act::Add(imm(wte.base)));
    a.op(Act::Set(Dst::P(0), Src::A));
    a.op(Act::Set(Dst::A, Src::Op(Field::Pos)));
    a.op(Act::Mul(imm(wpe.chunks)));
    a.op(Act::Add(imm(wpe.base)));
    a.op(Act::Set(Dst::P(1), Src::A));
    a.op(Act::Set(Dst::A, Src::Op(Field::Tok)));
    a.op(Act::Add(imm(wte.rq_base)));
    a.op(Act::Set(Dst::P(2), Src::A));
    a.op(Act::Set(Dst::A, Src::Op(Field::Pos)));
    a.op(Act::Add(imm(wpe.rq_base)));
    a.op(Act::Set(Dst::P(3), Src::A));
    // wte's requant word is read again beside each element's write (the element reads wpe's).
    a.op(Act::Set(Dst::P(4), Src::Op(Field::A))).rd(Mem::Q, p(2));
    a.op(Act::Set(Dst::N(0), imm(e))).rd(Mem::W, pi(0));
    a.label("embed_loop");
    a.op(Act::Set(Dst::A, Src::Wd)).rd(Mem::W, pi(1));
    a.op(Act::Mul(Src::QdMult));
    a.op(Act::Rsr(Src::QdShift, true)).rd(Mem::Q, p(3));
    a.op(Act::Set(Dst::B, Src::A));
    a.op(Act::Set(Dst::A, Src::Wd));
    a.op(Act::Mul(Src::QdMult));
    a.op(Act::Rsr(Src::QdShift, true)).rd(Mem::W, pi(0));
    a.op(Act::Add(Src::B));
    a.op(Act::Rsr(imm(0), true));
    a.op(Act::Ws(pi(4))).rd(Mem::Q, p(2)).ctl(Ctl::Djnz(0, "embed_loop"));
    a.op(Act::Nop).ctl(Ctl::Done);

    // NORM: dst = rmsnorm(src) with constant set flags.0.
    let norm = a.label("norm");
    a.op(Act::Set(Dst::P(1), Src::Op(Field::A)));
    a.op(Act::Set(Dst::N(0), imm(e)));
    a.op(Act::Set(Dst::A, imm(0)));
    a.op(Act::Dot(DotKind::SS)).ctl(Ctl::Br(Cond::Flag(0), "norm_set1"));
    for (set, k) in c.consts.norm.iter().enumerate() {
        a.label(["norm_set0", "norm_set1"][set]);
        a.op(Act::Add(Src::Imm(k.eps_term as i32)));
        a.op(Act::Rsqrt);
        a.op(Act::Mul(Src::Imm(k.gain as i32)));
        a.op(Act::Rsr(imm(15), false));
        a.op(Act::Set(Dst::B, Src::A));
        a.op(Act::Set(Dst::A, Src::Sh));
        a.op(Act::Add(Src::Imm(k.gain_shift as i32 - 15 - k.out_frac as i32)));
        a.op(Act::Set(Dst::Sh, Src::A)).ctl(Ctl::Jmp("norm_body"));
    }
    a.label("norm_body");
    a.op(Act::Set(Dst::P(1), Src::Op(Field::A)));
    a.op(Act::Set(Dst::P(2), Src::Op(Field::B)));
    a.op(Act::Set(Dst::N(0), imm(e))).rd(Mem::S, pi(1));
    a.label("norm_loop");
    a.op(Act::Set(Dst::A, Src::Sd)).rd(Mem::S, pi(1));
    a.op(Act::Mul(Src::B));
    a.op(Act::Rsr(Src::Sh, true));
    a.op(Act::Ws(pi(2))).ctl(Ctl::Djnz(0, "norm_loop"));
    a.op(Act::Nop).ctl(Ctl::Done);

    // MATVEC: dst[r] = rq[r](W[r] . src), ReLU with flags.0, + dst[r] (saturating) with flags.1.
    // A row is DOT Row (which also reads the row's requant word and leaves N0 and P1 ready for
    // the next row), the requantisation and the write. Without flags (most rows) a loop without
    // branches; with any flag one loop that branches on them, where no ReLU means the residual
    // add: a ReLU-only or residual-only row takes as many cycles there as in a loop of its own,
    // and one loop per flag combination would not fit the micro-op ROM's 256 words.
    let matvec = a.label("matvec");
    a.op(Act::Set(Dst::P(0), Src::Op(Field::WBase)));
    a.op(Act::Set(Dst::P(3), Src::Op(Field::RqBase)));
    a.op(Act::Set(Dst::P(2), Src::Op(Field::B)));
    a.op(Act::Set(Dst::N(1), Src::Op(Field::Rows)));
    a.op(Act::Set(Dst::P(1), Src::Op(Field::A)));
    a.op(Act::Set(Dst::N(0), Src::Op(Field::Chunks))).ctl(Ctl::Br(Cond::AnyFlag, "mv_row"));
    a.label("mv_plain");
    a.op(Act::Dot(DotKind::Row));
    a.op(Act::Mul(Src::QdMult));
    a.op(Act::Rsr(Src::QdShift, true));
    a.op(Act::Ws(pi(2))).ctl(Ctl::Djnz(1, "mv_plain"));
    a.op(Act::Nop).ctl(Ctl::Done);
    a.label("mv_row");
    a.op(Act::Dot(DotKind::Row));
    a.op(Act::Mul(Src::QdMult)).rd(Mem::S, p(2));
    a.op(Act::Rsr(Src::QdShift, true)).ctl(Ctl::Br(Cond::NotFlag(0), "mv_residual"));
    a.op(Act::Relu).ctl(Ctl::Br(Cond::NotFlag(1), "mv_write"));
    a.label("mv_residual");
    a.op(Act::Add(Src::Sd));
    a.op(Act::Rsr(imm(0), true));
    a.label("mv_write");
    a.op(Act::Ws(pi(2))).ctl(Ctl::Djnz(1, "mv_row"));
    a.op(Act::Nop).ctl(Ctl::Done);

    // ATTN: append k, v at (layer, pos), then per head the online softmax over positions
    // 0..=pos (numeric::OnlineSoftmax; m starts at -32768 with l = acc = 0, which equals its
    // first push) and acc / l into dst.
    let attn = a.label("attn");
    a.op(Act::Set(Dst::A, Src::Op(Field::Aux)));
    a.op(Act::Mul(imm(block)));
    a.op(Act::Add(Src::Op(Field::Pos)));
    a.op(Act::Mul(imm(e)));
    a.op(Act::Set(Dst::P(2), Src::A));
    a.op(Act::Set(Dst::P(0), Src::Op(Field::B)));
    a.op(Act::Set(Dst::P(1), Src::Op(Field::C)));
    a.op(Act::Set(Dst::N(0), imm(e))).rd(Mem::S, pi(0));
    a.label("attn_kv");
    a.op(Act::Set(Dst::A, Src::Sd)).rd(Mem::S, pi(1));
    a.op(Act::PackHi(Src::Sd)).rd(Mem::S, pi(0));
    a.op(Act::Wl(pi(2))).ctl(Ctl::Djnz(0, "attn_kv"));
    a.op(Act::Set(Dst::A, Src::Op(Field::Aux)));
    a.op(Act::Mul(imm(block * e)));
    a.op(Act::Set(Dst::P(3), Src::A));
    a.op(Act::Set(Dst::P(4), Src::Op(Field::A)));
    a.op(Act::Set(Dst::P(5), Src::Op(Field::D)));
    a.op(Act::Set(Dst::N(1), imm(heads)));
    a.label("attn_head");
    a.op(Act::Set(Dst::P(2), Src::P(3)));
    a.op(Act::Set(Dst::A, imm(0)));
    a.op(Act::Wl(limm(local.l)));
    for j in 0..hd {
        a.op(Act::Wl(limm(local.acc + j)));
    }
    a.op(Act::Set(Dst::A, Src::Imm(-32768)));
    a.op(Act::Wl(limm(local.m)));
    a.op(Act::Set(Dst::A, Src::Op(Field::Pos)));
    a.op(Act::Add(imm(1)));
    a.op(Act::Set(Dst::N(2), Src::A));
    a.label("attn_pos");
    a.op(Act::Set(Dst::P(1), Src::P(4)));
    a.op(Act::Set(Dst::P(0), Src::P(2)));
    a.op(Act::Set(Dst::N(0), imm(hd)));
    a.op(Act::Set(Dst::A, imm(0)));
    a.op(Act::Dot(DotKind::SL));
    a.op(Act::Rsr(imm(score_shift), true));
    a.op(Act::Nop).rd(Mem::L, limm(local.m));
    a.op(Act::Set(Dst::B, Src::Ld));
    a.op(Act::Nop).ctl(Ctl::Br(Cond::AGtB, "attn_bigger"));
    a.op(Act::RSub(Src::B));
    a.op(Act::Exp2).ctl(Ctl::Jmp("attn_update"));
    a.label("attn_bigger");
    a.op(Act::Wl(limm(local.m)));
    a.op(Act::Sub(Src::B));
    a.op(Act::Exp2);
    a.op(Act::Set(Dst::B, Src::A)).rd(Mem::L, limm(local.l));
    for w in std::iter::once(local.l).chain(local.acc..local.acc + hd) {
        a.op(Act::Set(Dst::A, Src::Ld));
        a.op(Act::Mul(Src::B));
        a.op(Act::Rsr(imm(15), false));
        a.op(Act::Wl(limm(w)));
        // The next word's read: not beside the write (one immediate per micro-op).
        let next = if w == local.l { Some(local.acc) } else if w + 1 < local.acc + hd { Some(w + 1) } else { None };
        if let Some(n) = next {
            a.op(Act::Nop).rd(Mem::L, limm(n));
        }
    }
    a.op(Act::Set(Dst::A, imm(32768)));
    a.label("attn_update");
    a.op(Act::Set(Dst::B, Src::A)).rd(Mem::L, limm(local.l));
    a.op(Act::Add(Src::Ld));
    // Each write to the local RAM reads the next cached value beside it (P0: a pointer, so one
    // immediate in the micro-op).
    a.op(Act::Wl(limm(local.l))).rd(Mem::L, pi(0));
    for j in 0..hd {
        a.op(Act::Set(Dst::A, Src::LdHi)).rd(Mem::L, limm(local.acc + j));
        a.op(Act::Mul(Src::B));
        a.op(Act::Rsr(imm(7), false));
        a.op(Act::Add(Src::Ld));
        let u = a.op(Act::Wl(limm(local.acc + j)));
        if j + 1 < hd {
            u.rd(Mem::L, pi(0));
        }
    }
    // P2 passed this position's head (the DOT); the next position's is n_embd further on.
    a.op(Act::AddP(2, imm(e - hd))).ctl(Ctl::Djnz(2, "attn_pos"));
    a.op(Act::Nop).rd(Mem::L, limm(local.l));
    a.op(Act::Set(Dst::A, Src::Ld));
    a.op(Act::Recip);
    a.op(Act::Set(Dst::B, Src::A));
    a.op(Act::Set(Dst::A, Src::Sh));
    a.op(Act::Sub(imm(7)));
    a.op(Act::Set(Dst::Sh, Src::A)).rd(Mem::L, limm(local.acc));
    for j in 0..hd {
        a.op(Act::Set(Dst::A, Src::Ld));
        a.op(Act::Mul(Src::B));
        a.op(Act::Rsr(Src::Sh, true));
        let u = a.op(Act::Ws(pi(5)));
        if j + 1 < hd {
            u.rd(Mem::L, limm(local.acc + j + 1));
        }
    }
    a.op(Act::AddP(4, imm(hd)));
    a.op(Act::AddP(3, imm(hd))).ctl(Ctl::Djnz(1, "attn_head"));
    a.op(Act::Nop).ctl(Ctl::Done);

    // SAMPLE: numeric::sample over src[0..len] (greedy: the first largest).
    let sample = a.label("sample");
    a.op(Act::Set(Dst::P(1), Src::Op(Field::A)));
    a.op(Act::Set(Dst::N(0), Src::Op(Field::B))).rd(Mem::S, pi(1));
    a.op(Act::Set(Dst::P(3), imm(0)));
    a.op(Act::Set(Dst::P(4), imm(1)));
    a.op(Act::Set(Dst::A, Src::Sd)).rd(Mem::S, pi(1)).ctl(Ctl::Djnz(0, "smp_max"));
    a.op(Act::Nop).ctl(Ctl::Jmp("smp_maxed"));
    a.label("smp_max");
    a.op(Act::Nop).ctl(Ctl::Br(Cond::SdGtA, "smp_take"));
    a.op(Act::AddP(4, imm(1))).rd(Mem::S, pi(1)).ctl(Ctl::Djnz(0, "smp_max"));
    a.op(Act::Nop).ctl(Ctl::Jmp("smp_maxed"));
    a.label("smp_take");
    a.op(Act::Set(Dst::A, Src::Sd));
    a.op(Act::Set(Dst::P(3), Src::P(4)));
    a.op(Act::AddP(4, imm(1))).rd(Mem::S, pi(1)).ctl(Ctl::Djnz(0, "smp_max"));
    a.label("smp_maxed");
    a.op(Act::Nop).ctl(Ctl::Br(Cond::Greedy, "smp_greedy"));
    a.op(Act::Mul(Src::Op(Field::TempK)));
    a.op(Act::Rsr(imm(logit_shift), false));
    a.op(Act::Wl(limm(local.zmax)));
    a.op(Act::Set(Dst::B, Src::A));
    a.op(Act::Set(Dst::A, imm(0)));
    a.op(Act::Wl(limm(local.sum)));
    a.op(Act::Wl(limm(local.cum)));
    a.op(Act::Set(Dst::P(1), Src::Op(Field::A)));
    a.op(Act::Set(Dst::N(0), Src::Op(Field::B))).rd(Mem::S, pi(1));
    a.label("smp_sum");
    a.op(Act::Set(Dst::A, Src::Sd)).rd(Mem::S, pi(1));
    a.op(Act::Mul(Src::Op(Field::TempK)));
    a.op(Act::Rsr(imm(logit_shift), false));
    a.op(Act::RSub(Src::B));
    a.op(Act::Exp2).rd(Mem::L, limm(local.sum));
    a.op(Act::Add(Src::Ld));
    a.op(Act::Wl(limm(local.sum))).ctl(Ctl::Djnz(0, "smp_sum"));
    a.op(Act::Set(Dst::A, Src::Rng));
    a.op(Act::Xs);
    a.op(Act::Set(Dst::Rng, Src::A));
    a.op(Act::Sub(imm(32768)));
    a.op(Act::Rsr(imm(16), false));
    a.op(Act::Set(Dst::B, Src::A)).rd(Mem::L, limm(local.sum));
    a.op(Act::Set(Dst::A, Src::Ld));
    a.op(Act::Mul(Src::B));
    a.op(Act::Sub(imm(32768)));
    a.op(Act::Rsr(imm(16), false));
    a.op(Act::Set(Dst::B, Src::A));
    a.op(Act::Set(Dst::P(1), Src::Op(Field::A)));
    a.op(Act::Set(Dst::P(4), imm(0)));
    a.op(Act::Set(Dst::N(0), Src::Op(Field::B))).rd(Mem::S, pi(1));
    a.label("smp_cum");
    a.op(Act::Set(Dst::A, Src::Sd)).rd(Mem::S, pi(1));
    a.op(Act::Mul(Src::Op(Field::TempK))).rd(Mem::L, limm(local.zmax));
    a.op(Act::Rsr(imm(logit_shift), false));
    a.op(Act::RSub(Src::Ld));
    a.op(Act::Exp2).rd(Mem::L, limm(local.cum));
    a.op(Act::Add(Src::Ld));
    a.op(Act::Wl(limm(local.cum))).ctl(Ctl::Br(Cond::AGtB, "smp_found"));
    a.op(Act::AddP(4, imm(1))).ctl(Ctl::Djnz(0, "smp_cum"));
    a.op(Act::Set(Dst::A, Src::Op(Field::B)));
    a.op(Act::Sub(imm(1)));
    a.op(Act::Set(Dst::Tok, Src::A)).ctl(Ctl::Done);
    a.label("smp_found");
    a.op(Act::Set(Dst::Tok, Src::P(4))).ctl(Ctl::Done);
    a.label("smp_greedy");
    a.op(Act::Set(Dst::Tok, Src::P(3))).ctl(Ctl::Done);

    let ops = a.finish()?;
    Ok(Microcode { ops, entries: Entries { embed, norm, matvec, attn, sample }, local })
}

/// The local RAM of `c`'s model.
pub fn local_map(c: &Compiled) -> LocalMap {
    let m = c.cfg.model;
    let cache = m.n_layer * m.block_size * m.n_embd;
    let m0 = cache;
    let acc = m0 + 2;
    let zmax = acc + m.head_dim();
    LocalMap { cache, m: m0, l: m0 + 1, acc, zmax, sum: zmax + 1, cum: zmax + 2, depth: (zmax + 3).next_power_of_two() }
}

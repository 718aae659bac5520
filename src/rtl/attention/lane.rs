//! The per-head datapath of the attention unit (one "lane"): the dot-product chain ([`Mac`]),
//! the pipeline registers ([`Hold16`]), the online-softmax state of the head ([`HeadState`]:
//! running max `m`, running denominator `l`, the exp and the reciprocal) and one accumulator
//! per value element ([`AccLane`]: running weighted sum and the final division).
//!
//! ```text
//!  q_reg[d] --+                                  s_reg             +-> HeadState (m, l) -- gt, alpha, p, mant, shift
//!  k[d] ---> Mac -> Mac -> ... -> Rsr(score) --> Hold16 ---------->|
//!  v[d] ------------------------------------------> Hold16 v_reg -->+-> AccLane[d] (acc_d) -- out[d]
//! ```
//!
//! Contract (one head, positions pushed in order, `valid`/`first` from the controller):
//! 1. A cycle with `valid` applies one `OnlineSoftmax::push(s, v)` of [`crate::numeric`] to
//!    the state (`m`, `l`, `acc_d`) at the rising edge; `first` starts a new head (the state
//!    before it is ignored). Without `valid` the state holds.
//! 2. `mant`/`shift` show `recip(l)` (`shift = sh - 7`) of `l` as it was one cycle earlier
//!    (registered, to keep the reciprocal out of the division's path).
//! 3. `fin` never comes with a rescale (`gt`, which needs `valid` without `first`): the
//!    accumulator's one 32 x 16 multiplier serves both. A cycle with `fin` captures `sat_i16(rshift_round(acc_d * mant, shift))`, which is
//!    `OnlineSoftmax::finish`, into the output register `out` of every [`AccLane`].

use super::arith::{Exp2, MulQ, MulSU16, Recip, Rsr};
use rust_hdl::prelude::*;

/// One step of the dot product: `sout = sin + q * k` (q, k signed 16 bits; sums 48-bit two's
/// complement, enough for 64 products of at most 2^30).
#[derive(Clone, Debug, LogicBlock)]
pub struct Mac {
    pub q: Signal<In, Bits<16>>,
    pub k: Signal<In, Bits<16>>,
    pub sin: Signal<In, Bits<48>>,
    pub sout: Signal<Out, Bits<48>>,
    prod: Signal<Local, Signed<32>>,
    prod_u: Signal<Local, Bits<32>>,
    ext: Signal<Local, Bits<48>>,
    hi: Constant<Bits<48>>,
}

impl Default for Mac {
    fn default() -> Self {
        Self {
            q: Default::default(),
            k: Default::default(),
            sin: Default::default(),
            sout: Default::default(),
            prod: Default::default(),
            prod_u: Default::default(),
            ext: Default::default(),
            hi: Constant::new(0xffff_0000_0000u64.to_bits()),
        }
    }
}

impl Logic for Mac {
    #[hdl_gen]
    fn update(&mut self) {
        self.prod.next = signed_cast(self.q.val()) * signed_cast(self.k.val());
        self.prod_u.next = unsigned_cast(self.prod.val());
        self.ext.next = bit_cast::<48, 32>(self.prod_u.val());
        if self.prod_u.val().get_bit(31) {
            self.ext.next = bit_cast::<48, 32>(self.prod_u.val()) | self.hi.val();
        }
        self.sout.next = self.sin.val() + self.ext.val();
    }
}

/// A 16-bit register with enable: `q` takes `d` at a rising edge with `en` high.
#[derive(Clone, Debug, Default, LogicBlock)]
pub struct Hold16 {
    pub clock: Signal<In, Clock>,
    pub en: Signal<In, Bit>,
    pub d: Signal<In, Bits<16>>,
    pub q: Signal<Out, Bits<16>>,
    r: DFF<Bits<16>>,
}

impl Logic for Hold16 {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, r);
        if self.en.val() {
            self.r.d.next = self.d.val();
        }
        self.q.next = self.r.q.val();
    }
}

/// The scalar state of one head's online softmax: `m` (score), `l` (u32, Q.15), the exp of the
/// score difference, the rescale decision and the reciprocal of `l`.
#[derive(LogicBlock)]
pub struct HeadState {
    pub clock: Signal<In, Clock>,
    pub valid: Signal<In, Bit>,
    pub first: Signal<In, Bit>,
    pub s: Signal<In, Bits<16>>,
    /// The score exceeds the running max: rescale by `alpha` this cycle.
    pub gt: Signal<Out, Bit>,
    pub alpha: Signal<Out, Bits<16>>,
    pub p: Signal<Out, Bits<16>>,
    pub mant: Signal<Out, Bits<16>>,
    pub shift: Signal<Out, Bits<8>>,
    m: DFF<Bits<16>>,
    l: DFF<Bits<32>>,
    mant_r: DFF<Bits<16>>,
    shift_r: DFF<Bits<8>>,
    exp: Exp2,
    mul: MulQ,
    rsr: Rsr,
    rec: Recip,
    sb: Signal<Local, Bits<16>>,
    mb: Signal<Local, Bits<16>>,
    bigger: Signal<Local, Bit>,
    scaled: Signal<Local, Bits<32>>,
    base: Signal<Local, Bits<32>>,
    sign: Constant<Bits<16>>,
    one: Constant<Bits<16>>,
    fifteen: Constant<Bits<8>>,
}

impl Default for HeadState {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            valid: Default::default(),
            first: Default::default(),
            s: Default::default(),
            gt: Default::default(),
            alpha: Default::default(),
            p: Default::default(),
            mant: Default::default(),
            shift: Default::default(),
            m: Default::default(),
            l: Default::default(),
            mant_r: Default::default(),
            shift_r: Default::default(),
            exp: Default::default(),
            mul: Default::default(),
            rsr: Default::default(),
            rec: Default::default(),
            sb: Default::default(),
            mb: Default::default(),
            bigger: Default::default(),
            scaled: Default::default(),
            base: Default::default(),
            sign: Constant::new(0x8000u64.to_bits()),
            one: Constant::new(0x8000u64.to_bits()),
            fifteen: Constant::new(15u64.to_bits()),
        }
    }
}

impl Logic for HeadState {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, m, l, mant_r, shift_r);
        self.sb.next = self.s.val() ^ self.sign.val();
        self.mb.next = self.m.q.val() ^ self.sign.val();
        self.bigger.next = self.valid.val() & !self.first.val() & (self.sb.val() > self.mb.val());
        self.gt.next = self.bigger.val();
        self.exp.d.next = self.m.q.val() - self.s.val();
        if self.bigger.val() {
            self.exp.d.next = self.s.val() - self.m.q.val();
        }
        self.alpha.next = self.exp.e.val();
        self.p.next = self.exp.e.val();
        if self.bigger.val() | self.first.val() {
            self.p.next = self.one.val();
        }
        self.mul.a.next = self.l.q.val();
        self.mul.b.next = self.exp.e.val();
        self.rsr.x.next = self.mul.p.val();
        self.rsr.s.next = self.fifteen.val();
        self.scaled.next = self.l.q.val();
        if self.bigger.val() {
            self.scaled.next = self.rsr.y.val().get_bits::<32>(0);
        }
        self.base.next = self.scaled.val();
        if self.first.val() {
            self.base.next = 0.into();
        }
        if self.valid.val() {
            self.l.d.next = self.base.val() + bit_cast::<32, 16>(self.p.val());
            if self.bigger.val() | self.first.val() {
                self.m.d.next = self.s.val();
            }
        }
        // The reciprocal of l, registered: one cycle after the last update it is ready.
        self.rec.x.next = self.l.q.val();
        self.mant_r.d.next = self.rec.mant.val();
        self.shift_r.d.next = self.rec.sh.val() - 7;
        self.mant.next = self.mant_r.q.val();
        self.shift.next = self.shift_r.q.val();
    }
}

/// One value element's accumulator `acc` (i32, value format + 8 fraction bits) and its output
/// register: rescale by `alpha` when `gt`, add `rshift_round(p * v, 7)`; on `fin`, divide.
#[derive(Clone, Debug, LogicBlock)]
pub struct AccLane {
    pub clock: Signal<In, Clock>,
    pub valid: Signal<In, Bit>,
    pub first: Signal<In, Bit>,
    pub gt: Signal<In, Bit>,
    pub alpha: Signal<In, Bits<16>>,
    pub p: Signal<In, Bits<16>>,
    pub v: Signal<In, Bits<16>>,
    pub fin: Signal<In, Bit>,
    pub mant: Signal<In, Bits<16>>,
    pub shift: Signal<In, Bits<8>>,
    pub out: Signal<Out, Bits<16>>,
    acc: DFF<Bits<32>>,
    o: DFF<Bits<16>>,
    mul: MulQ,
    mul_round: Rsr,
    div_round: Rsr,
    pv: MulSU16,
    pv_round: Rsr,
    ext: Signal<Local, Bits<48>>,
    scaled: Signal<Local, Bits<32>>,
    base: Signal<Local, Bits<32>>,
    hi: Constant<Bits<48>>,
    fifteen: Constant<Bits<8>>,
    seven: Constant<Bits<8>>,
}

impl Default for AccLane {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            valid: Default::default(),
            first: Default::default(),
            gt: Default::default(),
            alpha: Default::default(),
            p: Default::default(),
            v: Default::default(),
            fin: Default::default(),
            mant: Default::default(),
            shift: Default::default(),
            out: Default::default(),
            acc: Default::default(),
            o: Default::default(),
            mul: Default::default(),
            mul_round: Default::default(),
            div_round: Default::default(),
            pv: Default::default(),
            pv_round: Default::default(),
            ext: Default::default(),
            scaled: Default::default(),
            base: Default::default(),
            hi: Constant::new(0xffff_0000_0000u64.to_bits()),
            fifteen: Constant::new(15u64.to_bits()),
            seven: Constant::new(7u64.to_bits()),
        }
    }
}

impl Logic for AccLane {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, acc, o);
        // One 32 x 16 multiplier serves the rescale (by alpha, rounded by 15) and, in a fin
        // cycle, the division (by mant, rounded by `shift`): fin never meets a rescale (gt).
        self.mul.a.next = self.acc.q.val();
        self.mul.b.next = self.alpha.val();
        if self.fin.val() {
            self.mul.b.next = self.mant.val();
        }
        self.mul_round.x.next = self.mul.p.val();
        self.mul_round.s.next = self.fifteen.val();
        self.div_round.x.next = self.mul.p.val();
        self.div_round.s.next = self.shift.val();
        self.scaled.next = self.acc.q.val();
        if self.gt.val() {
            self.scaled.next = self.mul_round.y.val().get_bits::<32>(0);
        }
        self.base.next = self.scaled.val();
        if self.first.val() {
            self.base.next = 0.into();
        }
        self.pv.a.next = self.v.val();
        self.pv.b.next = self.p.val();
        self.ext.next = bit_cast::<48, 32>(self.pv.p.val());
        if self.pv.p.val().get_bit(31) {
            self.ext.next = bit_cast::<48, 32>(self.pv.p.val()) | self.hi.val();
        }
        self.pv_round.x.next = self.ext.val();
        self.pv_round.s.next = self.seven.val();
        if self.valid.val() {
            self.acc.d.next = self.base.val() + self.pv_round.y.val().get_bits::<32>(0);
        }
        if self.fin.val() {
            self.o.d.next = self.div_round.sat.val();
        }
        self.out.next = self.o.q.val();
    }
}

//! The per-head datapath of the attention unit (one "lane"): the dot product ([`Mac`] pairs
//! summed by a tree of [`crate::rtl::arith::Add`]`<48>`, [`DotAcc`] when a position takes several cycles), the
//! pipeline registers ([`Hold16`], [`Hold32`]), the online-softmax state of the head
//! ([`HeadState`]: running max `m`, running denominator `l`, the exp and the reciprocal) and the
//! accumulator arithmetic ([`AccUnit`]: rescale, weighted add and the final division), E of them per lane shared by the D elements'
//! `acc` registers in D/E chunks (E = elements per cycle).
//!
//! ```text
//!  q_reg[chunk] --+                                         s_reg           +-> HeadState (m, l) -- gt, alpha, p, mant, shift
//!  k[chunk] ---> Mac x E, Add<48> tree -> (DotAcc over chunks) -> Rsr(score) -> Hold16 -->|
//!  v[d] ----> Hold16 v_reg -> v[chunk] ----------------------------------->+-> AccUnit x E <-> acc[d] (Hold32) -> out[d]
//! ```
//!
//! Contract (one head, positions pushed in order; `valid`/`first`/`hold`/`fin` from the
//! controller; a position's update takes P = D/E cycles, chunk c updating elements cE..cE+E-1):
//! 1. `OnlineSoftmax::push(s, v)` of [`crate::numeric`] in two stages: a cycle with `valid`
//!    compares `s` with `m`, updates `m` and registers `gt`, `alpha` (the exp of the score
//!    difference) and `p`, shown from the next cycle on until the next `valid`; a later cycle with
//!    `lupd` (the next one) updates `l` with them, and the element updates (chunks 0..P-1,
//!    [`AccUnit`]) use them in the P cycles after `valid`. `first` starts a new head (the state
//!    before it is ignored). Without `valid`/`lupd` the state holds.
//! 2. `mant`/`shift` show `recip(l)` (`shift = sh - 7`) of `l` as it was two cycles earlier
//!    (the two-stage [`Recip`] and an output register, to keep the reciprocal out of the
//!    division's path), and hold while `rec_en` is low (the chunks of a division after its
//!    first): the value then shown is that of `l` one cycle before the last `rec_en` cycle.
//! 3. `fin` never comes with a rescale (`gt`, which needs `valid` without `first`): the
//!    accumulator's one 32 x 16 multiplier serves both. A cycle with `fin` gives
//!    `sat_i16(rshift_round(acc * mant, shift))`, which is `OnlineSoftmax::finish`, on `div`
//!    in the next cycle (the product and the shift are registered in [`AccUnit`]: the product
//!    and the run-time rounding shift in one cycle were the core's ECP5 critical path).

use crate::rtl::arith::{Exp2, MulQ, MulSU16, Recip, RescaleAdd, Rsr};
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
    /// Update `l` with the registered `gt`, `alpha`, `p` of the last `valid` cycle.
    pub lupd: Signal<In, Bit>,
    /// Register the reciprocal of `l` this cycle (low holds `mant`/`shift` during a division).
    pub rec_en: Signal<In, Bit>,
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
    gt_r: DFF<Bit>,
    first_r: DFF<Bit>,
    alpha_r: DFF<Bits<16>>,
    p_r: DFF<Bits<16>>,
    pc: Signal<Local, Bits<16>>,
    exp: Exp2,
    mul: MulQ,
    rs: RescaleAdd,
    rec: Recip,
    sb: Signal<Local, Bits<16>>,
    mb: Signal<Local, Bits<16>>,
    bigger: Signal<Local, Bit>,
    sign: Constant<Bits<16>>,
    one: Constant<Bits<16>>,
}

impl Default for HeadState {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            valid: Default::default(),
            first: Default::default(),
            s: Default::default(),
            lupd: Default::default(),
            rec_en: Default::default(),
            gt: Default::default(),
            alpha: Default::default(),
            p: Default::default(),
            mant: Default::default(),
            shift: Default::default(),
            m: Default::default(),
            l: Default::default(),
            mant_r: Default::default(),
            shift_r: Default::default(),
            gt_r: Default::default(),
            first_r: Default::default(),
            alpha_r: Default::default(),
            p_r: Default::default(),
            pc: Default::default(),
            exp: Default::default(),
            mul: Default::default(),
            rs: Default::default(),
            rec: Default::default(),
            sb: Default::default(),
            mb: Default::default(),
            bigger: Default::default(),
            sign: Constant::new(0x8000u64.to_bits()),
            one: Constant::new(0x8000u64.to_bits()),
        }
    }
}

impl Logic for HeadState {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, m, l, mant_r, shift_r, gt_r, first_r, alpha_r, p_r);
        self.sb.next = self.s.val() ^ self.sign.val();
        self.mb.next = self.m.q.val() ^ self.sign.val();
        // Stage 1 (`valid`): compare with m, update m, register the exp and the decisions.
        self.bigger.next = self.valid.val() & !self.first.val() & (self.sb.val() > self.mb.val());
        self.exp.d.next = self.m.q.val() - self.s.val();
        if self.bigger.val() {
            self.exp.d.next = self.s.val() - self.m.q.val();
        }
        self.pc.next = self.exp.e.val();
        if self.bigger.val() | self.first.val() {
            self.pc.next = self.one.val();
        }
        if self.valid.val() {
            self.gt_r.d.next = self.bigger.val();
            self.first_r.d.next = self.first.val();
            self.alpha_r.d.next = self.exp.e.val();
            self.p_r.d.next = self.pc.val();
            if self.bigger.val() | self.first.val() {
                self.m.d.next = self.s.val();
            }
        }
        self.gt.next = self.gt_r.q.val();
        self.alpha.next = self.alpha_r.q.val();
        self.p.next = self.p_r.q.val();
        // Stage 2 (`lupd`): l = (first ? 0 : gt ? rshift_round(l * alpha, 15) : l) + p, the
        // accumulators' rule (`RescaleAdd`).
        self.mul.a.next = self.l.q.val();
        self.mul.b.next = self.alpha_r.q.val();
        self.rs.x.next = self.l.q.val();
        self.rs.alpha.next = self.alpha_r.q.val();
        self.rs.pu.next = self.mul.pu.val();
        self.rs.gt.next = self.gt_r.q.val();
        self.rs.first.next = self.first_r.q.val();
        self.rs.add.next = bit_cast::<32, 16>(self.p_r.q.val());
        if self.lupd.val() {
            self.l.d.next = self.rs.y.val();
        }
        // The reciprocal of l (two stages) and its output register: two cycles after the last
        // update it is ready.
        self.rec.clock.next = self.clock.val();
        self.rec.x.next = self.l.q.val();
        if self.rec_en.val() {
            self.mant_r.d.next = self.rec.mant.val();
            self.shift_r.d.next = self.rec.sh.val() - 7;
        }
        self.mant.next = self.mant_r.q.val();
        self.shift.next = self.shift_r.q.val();
    }
}

/// A 32-bit register with enable: `q` takes `d` at a rising edge with `en` high (an element's
/// accumulator `acc`).
#[derive(Clone, Debug, Default, LogicBlock)]
pub struct Hold32 {
    pub clock: Signal<In, Clock>,
    pub en: Signal<In, Bit>,
    pub d: Signal<In, Bits<32>>,
    pub q: Signal<Out, Bits<32>>,
    r: DFF<Bits<32>>,
}

impl Logic for Hold32 {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, r);
        if self.en.val() {
            self.r.d.next = self.d.val();
        }
        self.q.next = self.r.q.val();
    }
}

/// The dot product over several chunks of a head: `full = (first ? 0 : sum) + x`, and `sum`
/// takes `full` at every rising edge (used only when a position takes more than one cycle).
#[derive(Clone, Debug, LogicBlock)]
pub struct DotAcc {
    pub clock: Signal<In, Clock>,
    pub first: Signal<In, Bit>,
    pub x: Signal<In, Bits<48>>,
    pub full: Signal<Out, Bits<48>>,
    sum: DFF<Bits<48>>,
    base: Signal<Local, Bits<48>>,
    zero: Constant<Bits<48>>,
}

impl Default for DotAcc {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            first: Default::default(),
            x: Default::default(),
            full: Default::default(),
            sum: Default::default(),
            base: Default::default(),
            zero: Constant::new(0u64.to_bits()),
        }
    }
}

impl Logic for DotAcc {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, sum);
        self.base.next = self.sum.q.val();
        if self.first.val() {
            self.base.next = self.zero.val();
        }
        self.full.next = self.base.val() + self.x.val();
        self.sum.d.next = self.full.val();
    }
}

/// The arithmetic of one value element's accumulator (the `acc` registers are [`Hold32`]s
/// chosen by the top): `new_acc` = `acc_u` rescaled by `alpha` when `gt` (0 when `first`) plus
/// `rshift_round(p * v, 7)`, combinational; `div = sat_i16(rshift_round(acc_f * mant, shift))`,
/// the division of `OnlineSoftmax::finish`, of the `acc_f`, `mant` and `shift` of a cycle with
/// `fin`, shown in the cycle after it (the product and the shift are registered every cycle,
/// the rounding shift works on the registers). One 32 x 16 multiplier serves the rescale and,
/// when `fin`, the division: `fin` never meets a rescale (it meets only the first update of the
/// next query, which does not rescale). The rescale and add are [`RescaleAdd`] (as the head's
/// `l`): `rshift_round(acc_u * alpha, 15)`, mod 2^32, from the multiplier's uncorrected sum, its
/// sign correction moved into the `p v` term and its rounding bit into the carry of the final
/// add, so the `acc` recurrence (one cycle at P = 1) holds two carry chains after the
/// multiplier instead of four.
#[derive(Clone, Debug, LogicBlock)]
pub struct AccUnit {
    pub clock: Signal<In, Clock>,
    pub gt: Signal<In, Bit>,
    pub first: Signal<In, Bit>,
    pub alpha: Signal<In, Bits<16>>,
    pub p: Signal<In, Bits<16>>,
    pub v: Signal<In, Bits<16>>,
    pub fin: Signal<In, Bit>,
    pub mant: Signal<In, Bits<16>>,
    pub shift: Signal<In, Bits<8>>,
    /// The accumulator being updated.
    pub acc_u: Signal<In, Bits<32>>,
    /// The accumulator being divided.
    pub acc_f: Signal<In, Bits<32>>,
    pub new_acc: Signal<Out, Bits<32>>,
    pub div: Signal<Out, Bits<16>>,
    mul: MulQ,
    dprod: DFF<Bits<48>>,
    dshift: DFF<Bits<8>>,
    div_round: Rsr,
    pv: MulSU16,
    pv_round: Rsr,
    rs: RescaleAdd,
    ext: Signal<Local, Bits<48>>,
    hi: Constant<Bits<48>>,
    seven: Constant<Bits<8>>,
}

impl Default for AccUnit {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            gt: Default::default(),
            first: Default::default(),
            alpha: Default::default(),
            p: Default::default(),
            v: Default::default(),
            fin: Default::default(),
            mant: Default::default(),
            shift: Default::default(),
            acc_u: Default::default(),
            acc_f: Default::default(),
            new_acc: Default::default(),
            div: Default::default(),
            mul: Default::default(),
            dprod: Default::default(),
            dshift: Default::default(),
            div_round: Default::default(),
            pv: Default::default(),
            pv_round: Default::default(),
            rs: Default::default(),
            ext: Default::default(),
            hi: Constant::new(0xffff_0000_0000u64.to_bits()),
            seven: Constant::new(7u64.to_bits()),
        }
    }
}

impl Logic for AccUnit {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, dprod, dshift);
        self.mul.a.next = self.acc_u.val();
        self.mul.b.next = self.alpha.val();
        if self.fin.val() {
            self.mul.a.next = self.acc_f.val();
            self.mul.b.next = self.mant.val();
        }
        self.dprod.d.next = self.mul.p.val();
        self.dshift.d.next = self.shift.val();
        self.div_round.x.next = self.dprod.q.val();
        self.div_round.s.next = self.dshift.q.val();
        self.pv.a.next = self.v.val();
        self.pv.b.next = self.p.val();
        self.ext.next = bit_cast::<48, 32>(self.pv.p.val());
        if self.pv.p.val().get_bit(31) {
            self.ext.next = bit_cast::<48, 32>(self.pv.p.val()) | self.hi.val();
        }
        self.pv_round.x.next = self.ext.val();
        self.pv_round.s.next = self.seven.val();
        // The rescale `rshift_round(acc_u * alpha, 15)` from the multiplier's uncorrected sum,
        // plus `p v` (`RescaleAdd`: its sign correction and rounding bit folded into the add, so
        // the loop `acc -> product -> acc` holds the product's sum and one add).
        self.rs.x.next = self.acc_u.val();
        self.rs.alpha.next = self.alpha.val();
        self.rs.pu.next = self.mul.pu.val();
        self.rs.gt.next = self.gt.val();
        self.rs.first.next = self.first.val();
        self.rs.add.next = self.pv_round.y.val().get_bits::<32>(0);
        self.new_acc.next = self.rs.y.val();
        self.div.next = self.div_round.sat.val();
    }
}

//! The processing element PE(i,j) of the output-stationary systolic array, and the small
//! register blocks the array is stitched from (input skew stages, row output pick).
//!
//! ```text
//!            b_in (I)
//!              |
//!   a_in (I) +-v-------------------+ a_out (I, registered)
//!   v/f/l -->|  acc += a * b       |--> v/f/l (registered)
//!            |  res <= final sum   |
//!   o_in (A)>|  o_out = sel?res:o_in|--> o_out (A, combinational)
//!   sel ---->+---------+-----------+
//!                      | b_out (I, registered)
//! ```
//!
//! Contract of [`Pe`] (I = operand bits, A = accumulator bits, all signed two's complement):
//! 1. `a_out`, `b_out`, `v_out`, `f_out`, `l_out` are `a_in`, `b_in`, `v_in`, `f_in`, `l_in`
//!    delayed by exactly one clock; `v_out` is 0 in the cycle after `reset` was high.
//! 2. In a cycle with `v_in` high the product p = a_in * b_in (full 2I-bit signed product,
//!    sign-extended) is added to the accumulator modulo 2^A; if `f_in` is also high the
//!    accumulator restarts from p instead.
//! 3. In a cycle with `v_in` and `l_in` high the final sum (the value the accumulator takes) is
//!    captured into `res`, which holds it until the next such cycle.
//! 4. `o_out` is `res` while `sel` is high, else `o_in` (a combinational pick chain per column).
//!
//! The bit-exact behaviour of one PE is [`pe_step`]; the array model builds on it.

use rust_hdl::prelude::*;

/// One PE of the array. `I` operand bits (4, 8 or 16), `A` accumulator bits (2I..=32);
/// 48-bit accumulators use [`PeWide`].
#[derive(Clone, Debug, LogicBlock)]
pub struct Pe<const I: usize, const A: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub a_in: Signal<In, Signed<I>>,
    pub b_in: Signal<In, Signed<I>>,
    pub v_in: Signal<In, Bit>,
    pub f_in: Signal<In, Bit>,
    pub l_in: Signal<In, Bit>,
    pub sel: Signal<In, Bit>,
    pub o_in: Signal<In, Signed<A>>,
    pub a_out: Signal<Out, Signed<I>>,
    pub b_out: Signal<Out, Signed<I>>,
    pub v_out: Signal<Out, Bit>,
    pub f_out: Signal<Out, Bit>,
    pub l_out: Signal<Out, Bit>,
    pub o_out: Signal<Out, Signed<A>>,
    prod: Signal<Local, Signed<32>>,
    prod_u: Signal<Local, Bits<32>>,
    prod_a: Signal<Local, Signed<A>>,
    sum: Signal<Local, Signed<A>>,
    a_q: DFF<Signed<I>>,
    b_q: DFF<Signed<I>>,
    v_q: DFF<Bit>,
    f_q: DFF<Bit>,
    l_q: DFF<Bit>,
    acc: DFF<Signed<A>>,
    res: DFF<Signed<A>>,
}

impl<const I: usize, const A: usize> Default for Pe<I, A> {
    fn default() -> Self {
        assert!(I <= 16 && A >= 2 * I && A <= 32, "Pe<{I},{A}> is not a supported width pair (A = 48 is PeWide)");
        Self {
            clock: Default::default(),
            reset: Default::default(),
            a_in: Default::default(),
            b_in: Default::default(),
            v_in: Default::default(),
            f_in: Default::default(),
            l_in: Default::default(),
            sel: Default::default(),
            o_in: Default::default(),
            a_out: Default::default(),
            b_out: Default::default(),
            v_out: Default::default(),
            f_out: Default::default(),
            l_out: Default::default(),
            o_out: Default::default(),
            prod: Default::default(),
            prod_u: Default::default(),
            prod_a: Default::default(),
            sum: Default::default(),
            a_q: Default::default(),
            b_q: Default::default(),
            v_q: Default::default(),
            f_q: Default::default(),
            l_q: Default::default(),
            acc: Default::default(),
            res: Default::default(),
        }
    }
}

impl<const I: usize, const A: usize> Logic for Pe<I, A> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, a_q, b_q, v_q, f_q, l_q, acc, res);
        self.a_q.d.next = self.a_in.val();
        self.b_q.d.next = self.b_in.val();
        self.v_q.d.next = self.v_in.val() & !self.reset.val();
        self.f_q.d.next = self.f_in.val();
        self.l_q.d.next = self.l_in.val();
        self.a_out.next = self.a_q.q.val();
        self.b_out.next = self.b_q.q.val();
        self.v_out.next = self.v_q.q.val();
        self.f_out.next = self.f_q.q.val();
        self.l_out.next = self.l_q.q.val();
        // Emitted as `prod = $signed(a_in) * $signed(b_in)`: the exact 2I-bit signed product in a
        // 32-bit context (the 16-bit casts only satisfy rust-hdl's types). For A <= 32 its low A
        // bits are taken with a slice; A = 48 sign-extends (see `widen` in the emitter notes).
        self.prod.next = signed_bit_cast::<16, I>(self.a_in.val()) * signed_bit_cast::<16, I>(self.b_in.val());
        self.prod_u.next = unsigned_cast(self.prod.val());
        self.prod_a.next = signed_cast(self.prod_u.val().get_bits::<A>(0));
        self.sum.next = self.acc.q.val() + self.prod_a.val();
        if self.f_in.val() {
            self.sum.next = self.prod_a.val();
        }
        if self.v_in.val() {
            self.acc.d.next = self.sum.val();
            if self.l_in.val() {
                self.res.d.next = self.sum.val();
            }
        }
        self.o_out.next = self.o_in.val();
        if self.sel.val() {
            self.o_out.next = self.res.q.val();
        }
    }
}

/// The PE with a 48-bit accumulator (same contract as [`Pe`]); the 32-bit product is
/// sign-extended by Verilog's context width, so the emitter wraps this module in a
/// `verilator lint_off WIDTH` (the only suppressed WIDTH case; see docs/systolic.md).
#[derive(Clone, Debug, LogicBlock)]
pub struct PeWide<const I: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub a_in: Signal<In, Signed<I>>,
    pub b_in: Signal<In, Signed<I>>,
    pub v_in: Signal<In, Bit>,
    pub f_in: Signal<In, Bit>,
    pub l_in: Signal<In, Bit>,
    pub sel: Signal<In, Bit>,
    pub o_in: Signal<In, Signed<48>>,
    pub a_out: Signal<Out, Signed<I>>,
    pub b_out: Signal<Out, Signed<I>>,
    pub v_out: Signal<Out, Bit>,
    pub f_out: Signal<Out, Bit>,
    pub l_out: Signal<Out, Bit>,
    pub o_out: Signal<Out, Signed<48>>,
    prod: Signal<Local, Signed<32>>,
    sum: Signal<Local, Signed<48>>,
    a_q: DFF<Signed<I>>,
    b_q: DFF<Signed<I>>,
    v_q: DFF<Bit>,
    f_q: DFF<Bit>,
    l_q: DFF<Bit>,
    acc: DFF<Signed<48>>,
    res: DFF<Signed<48>>,
}

impl<const I: usize> Default for PeWide<I> {
    fn default() -> Self {
        assert!(I <= 16, "PeWide<{I}> is not a supported width");
        Self {
            clock: Default::default(),
            reset: Default::default(),
            a_in: Default::default(),
            b_in: Default::default(),
            v_in: Default::default(),
            f_in: Default::default(),
            l_in: Default::default(),
            sel: Default::default(),
            o_in: Default::default(),
            a_out: Default::default(),
            b_out: Default::default(),
            v_out: Default::default(),
            f_out: Default::default(),
            l_out: Default::default(),
            o_out: Default::default(),
            prod: Default::default(),
            sum: Default::default(),
            a_q: Default::default(),
            b_q: Default::default(),
            v_q: Default::default(),
            f_q: Default::default(),
            l_q: Default::default(),
            acc: Default::default(),
            res: Default::default(),
        }
    }
}

impl<const I: usize> Logic for PeWide<I> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, a_q, b_q, v_q, f_q, l_q, acc, res);
        self.a_q.d.next = self.a_in.val();
        self.b_q.d.next = self.b_in.val();
        self.v_q.d.next = self.v_in.val() & !self.reset.val();
        self.f_q.d.next = self.f_in.val();
        self.l_q.d.next = self.l_in.val();
        self.a_out.next = self.a_q.q.val();
        self.b_out.next = self.b_q.q.val();
        self.v_out.next = self.v_q.q.val();
        self.f_out.next = self.f_q.q.val();
        self.l_out.next = self.l_q.q.val();
        // Emitted as `prod = $signed(a_in) * $signed(b_in)`: the exact 2I-bit signed product in a
        // 32-bit context (the 16-bit casts only satisfy rust-hdl's types). For A <= 32 its low A
        // bits are taken with a slice; A = 48 sign-extends (see `widen` in the emitter notes).
        self.prod.next = signed_bit_cast::<16, I>(self.a_in.val()) * signed_bit_cast::<16, I>(self.b_in.val());
        self.sum.next = self.acc.q.val() + signed_bit_cast::<48, 32>(self.prod.val());
        if self.f_in.val() {
            self.sum.next = signed_bit_cast::<48, 32>(self.prod.val());
        }
        if self.v_in.val() {
            self.acc.d.next = self.sum.val();
            if self.l_in.val() {
                self.res.d.next = self.sum.val();
            }
        }
        self.o_out.next = self.o_in.val();
        if self.sel.val() {
            self.o_out.next = self.res.q.val();
        }
    }
}

/// One stage of a row's input skew: operand `a` and the beat flags, delayed by one clock.
/// Rule: every output is its input one clock later; `v_out` is 0 after `reset`.
#[derive(Clone, Debug, LogicBlock, Default)]
pub struct SkewA<const I: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub a_in: Signal<In, Signed<I>>,
    pub v_in: Signal<In, Bit>,
    pub f_in: Signal<In, Bit>,
    pub l_in: Signal<In, Bit>,
    pub a_out: Signal<Out, Signed<I>>,
    pub v_out: Signal<Out, Bit>,
    pub f_out: Signal<Out, Bit>,
    pub l_out: Signal<Out, Bit>,
    a_q: DFF<Signed<I>>,
    v_q: DFF<Bit>,
    f_q: DFF<Bit>,
    l_q: DFF<Bit>,
}

impl<const I: usize> Logic for SkewA<I> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, a_q, v_q, f_q, l_q);
        self.a_q.d.next = self.a_in.val();
        self.v_q.d.next = self.v_in.val() & !self.reset.val();
        self.f_q.d.next = self.f_in.val();
        self.l_q.d.next = self.l_in.val();
        self.a_out.next = self.a_q.q.val();
        self.v_out.next = self.v_q.q.val();
        self.f_out.next = self.f_q.q.val();
        self.l_out.next = self.l_q.q.val();
    }
}

/// One stage of a column's input skew: operand `b` delayed by one clock.
#[derive(Clone, Debug, LogicBlock, Default)]
pub struct SkewB<const I: usize> {
    pub clock: Signal<In, Clock>,
    pub b_in: Signal<In, Signed<I>>,
    pub b_out: Signal<Out, Signed<I>>,
    b_q: DFF<Signed<I>>,
}

impl<const I: usize> Logic for SkewB<I> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, b_q);
        self.b_q.d.next = self.b_in.val();
        self.b_out.next = self.b_q.q.val();
    }
}

/// One link of the output row pick chain. `v`, `l` are the flags leaving the row's last PE;
/// `sel = v & l` marks the cycle the row is presented (it drives the row's PEs' `sel`);
/// `v_out = v_in | sel`, `r_out = sel ? idx : r_in`. `idx` is the row number, tied to a
/// constant where the chain is stitched, so every row shares one module.
#[derive(Clone, Debug, LogicBlock, Default)]
pub struct RowPick<const W: usize> {
    pub v: Signal<In, Bit>,
    pub l: Signal<In, Bit>,
    pub idx: Signal<In, Bits<W>>,
    pub v_in: Signal<In, Bit>,
    pub r_in: Signal<In, Bits<W>>,
    pub sel: Signal<Out, Bit>,
    pub v_out: Signal<Out, Bit>,
    pub r_out: Signal<Out, Bits<W>>,
}

impl<const W: usize> Logic for RowPick<W> {
    #[hdl_gen]
    fn update(&mut self) {
        self.sel.next = self.v.val() & self.l.val();
        self.v_out.next = self.v_in.val() | self.sel.val();
        self.r_out.next = self.r_in.val();
        if self.sel.val() {
            self.r_out.next = self.idx.val();
        }
    }
}

/// Input control: `in_ready` and the accepted-beat strobe `fire`, enforcing the spacing rule
/// (a beat with `in_last` is accepted only `gap` or more cycles after the previous accepted
/// `in_last` beat). `in_ready` depends on the state and `in_last` only, never on `in_valid`.
#[derive(Clone, Debug, LogicBlock)]
pub struct Control {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub in_valid: Signal<In, Bit>,
    pub in_last: Signal<In, Bit>,
    pub gap: Signal<In, Bits<8>>,
    pub in_ready: Signal<Out, Bit>,
    pub fire: Signal<Out, Bit>,
    since: DFF<Bits<8>>,
    one: Constant<Bits<8>>,
}

impl Default for Control {
    fn default() -> Self {
        Control {
            clock: Default::default(),
            reset: Default::default(),
            in_valid: Default::default(),
            in_last: Default::default(),
            gap: Default::default(),
            in_ready: Default::default(),
            fire: Default::default(),
            since: Default::default(),
            one: Constant::new(1.into()),
        }
    }
}

impl Logic for Control {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, since);
        self.in_ready.next = !self.in_last.val() | (self.since.q.val() >= self.gap.val());
        self.fire.next = self.in_valid.val() & self.in_ready.val();
        if self.since.q.val() < self.gap.val() {
            self.since.d.next = self.since.q.val() + self.one.val();
        }
        if self.fire.val() & self.in_last.val() {
            self.since.d.next = self.one.val();
        }
        if self.reset.val() {
            self.since.d.next = self.gap.val();
        }
    }
}

/// Bit-exact model of one PE's arithmetic: the accumulator value after a valid beat with
/// operands `a`, `b` (already in range for I bits), wrapped to `acc_bits`.
pub fn pe_step(acc: i64, a: i64, b: i64, first: bool, acc_bits: u32) -> i64 {
    let p = a * b;
    let s = if first { p } else { acc.wrapping_add(p) };
    wrap(s, acc_bits)
}

/// Two's complement wrap of `x` to `bits` bits (1..=63), as a signed value.
pub fn wrap(x: i64, bits: u32) -> i64 {
    let sh = 64 - bits;
    (x << sh) >> sh
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_wraps_and_restarts() {
        assert_eq!(wrap(32768, 16), -32768);
        assert_eq!(wrap(-1, 24), -1);
        assert_eq!(pe_step(5, -128, -128, true, 16), 16384);
        assert_eq!(pe_step(16384, -128, -128, false, 16), -32768);
        assert_eq!(pe_step(i64::from(i32::MAX), 1, 1, false, 32), i64::from(i32::MIN));
        assert_eq!(pe_step(7, 3, -2, false, 48), 1);
    }
}

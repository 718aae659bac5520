//! The fixed-point arithmetic blocks of the processing unit (attention unit, matrix unit, vector
//! leaves), each the hardware form of one rule of [`crate::numeric`] (tables come from that
//! module, never from a second copy). All values travel as `Bits` holding two's complement where
//! a value is signed; rust-hdl 0.46 multiplies only 16 x 16 bits, so the 32 x 16 products of the
//! online softmax and the requantisers are built from two of them.
//!
//! | block | computes | numeric rule |
//! |-------|----------|--------------|
//! | [`Add`] | `s = a + b`, N-bit wrapping (adder-tree node) | a wrapping sum |
//! | [`Rsr`] | `y = rshift_round(x, s)` (48-bit), `sat = sat_i16(y)` | `rshift_round`, `sat_i16` |
//! | [`Sat16`] | `y = sat_i16(x)` (48-bit) | `sat_i16` |
//! | [`SatAdd16`] | `y = sat_i16(a + b)` (16-bit) | `sat_i16` of a sum |
//! | [`MulSU16`] | `p = a * b`, a signed 16, b unsigned 16, p signed 32 | product |
//! | [`MulQ`] | `p = a * b`, a signed 32, b unsigned 16, p signed 48 | the 32 x 16 products |
//! | [`RescaleAdd`] | `y = (first ? 0 : gt ? rshift_round(x * alpha, 15) : x) + add` (32-bit) | `OnlineSoftmax` rescale |
//! | [`Exp2`] | `e = exp2_neg(d)`, d unsigned 16 | `exp2_neg` |
//! | [`Recip`] | `(mant, sh) = recip(x)`, x unsigned 32 | `recip` |
//!
//! Contract: every block except [`Recip`] is combinational; its outputs equal the numeric
//! function of its inputs for every input in the stated ranges ([`Recip`]: of its input one
//! cycle earlier) (checked in Verilator through the whole unit against
//! [`crate::numeric::attention_head`]).

use crate::numeric::{EXP2_TABLE, RECIP_TABLE, RSQRT_TABLE, TABLE_END};
use rust_hdl::prelude::*;

/// `s = a + b`, `N`-bit wrapping (two's complement): a node of an adder tree. The attention
/// unit's dot product sums its products in a balanced tree of `Add<48>` (`ceil(log2 E)` adders
/// deep rather than `E - 1` in a chain) and each matrix-unit row its pairs in a tree of
/// `Add<32>`; one leaf module per width (`llmpu_att_add`, `llmpu_mv_add`).
#[derive(Clone, Debug, Default, LogicBlock)]
pub struct Add<const N: usize> {
    pub a: Signal<In, Bits<N>>,
    pub b: Signal<In, Bits<N>>,
    pub s: Signal<Out, Bits<N>>,
}

impl<const N: usize> Logic for Add<N> {
    #[hdl_gen]
    fn update(&mut self) {
        self.s.next = self.a.val() + self.b.val();
    }
}

/// A pipeline register: `q` takes `d` at every rising edge (one leaf module per width, e.g. the
/// matrix unit's operand and pair registers, `llmpu_mv_pipe<N>`).
#[derive(Clone, Debug, Default, LogicBlock)]
pub struct Pipe<const N: usize> {
    pub clock: Signal<In, Clock>,
    pub d: Signal<In, Bits<N>>,
    pub q: Signal<Out, Bits<N>>,
    r: DFF<Bits<N>>,
}

impl<const N: usize> Logic for Pipe<N> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, r);
        self.r.d.next = self.d.val();
        self.q.next = self.r.q.val();
    }
}

/// The Verilog of [`Pipe`]`<n>` as module `name`, for the widths a generator needs (powers of
/// two from 8 to 2048 bits).
pub fn pipe_verilog(n: usize, name: &str) -> crate::error::Result<String> {
    macro_rules! pipe {
        ($($n:literal),*) => {
            match n {
                $($n => crate::rtl::emit::block_verilog(&mut Pipe::<$n>::default(), name),)*
                _ => Err(crate::error::Error::invalid("pipeline register width", n, "allowed: 8, 16, 32, ..., 2048 bits")),
            }
        };
    }
    pipe!(8, 16, 32, 64, 128, 256, 512, 1024, 2048)
}

/// `y = floor((x + 2^(s-1)) / 2^s)` on 48-bit two's complement (`s = 0`: identity), and
/// `sat = clamp(y, -32768, 32767)` as 16 bits, for `s` in 0..=47 (every 48-bit `x`).
/// Computed as `(x >> s, arithmetic) + x[s-1]` (the bit shifted out last rounds: the same
/// floor), so one variable shift and one carry chain are in series; the arithmetic shift is a
/// logical one ORed with a fill mask that depends on `s` only. `sat` does not wait for the
/// 48-bit carry chain: with `a = x >> s`, `sat_i16(a + x[s-1])` is the bound of `a`'s sign when
/// `a` does not fit 16 bits (bits 47..15 not all equal: adding 1 cannot bring it back), else
/// the 16-bit sum `a[15:0] + x[s-1]`, which leaves the range only as `32767 + 1` (clamped to
/// 32767); so a 16-bit carry chain beside a reduction (the 48-bit chain, then `Sat16`, into the
/// compact engine's A was its HX8K critical path). The earlier form (offset trick: add the half,
/// flip the sign bit, shift, subtract `2^(47-s)`, compare twice) had three carry chains and was
/// on the ECP5 critical paths of the core (docs/lpu.md, "Synthesis").
#[derive(Clone, Debug, LogicBlock)]
pub struct Rsr {
    pub x: Signal<In, Bits<48>>,
    pub s: Signal<In, Bits<8>>,
    pub y: Signal<Out, Bits<48>>,
    pub sat: Signal<Out, Bits<16>>,
    shifted: Signal<Local, Bits<48>>,
    fill: Signal<Local, Bits<48>>,
    ashr: Signal<Local, Bits<48>>,
    rnd: Signal<Local, Bits<48>>,
    yy: Signal<Local, Bits<48>>,
    t16: Signal<Local, Bits<16>>,
    upper: Signal<Local, Bits<32>>,
    one: Constant<Bits<48>>,
    ones: Constant<Bits<48>>,
    ones32: Constant<Bits<32>>,
    pos_sat: Constant<Bits<16>>,
    neg_sat: Constant<Bits<16>>,
}

impl Default for Rsr {
    fn default() -> Self {
        Self {
            x: Default::default(),
            s: Default::default(),
            y: Default::default(),
            sat: Default::default(),
            shifted: Default::default(),
            fill: Default::default(),
            ashr: Default::default(),
            rnd: Default::default(),
            yy: Default::default(),
            t16: Default::default(),
            upper: Default::default(),
            one: Constant::new(1u64.to_bits()),
            ones: Constant::new(((1u64 << 48) - 1).to_bits()),
            ones32: Constant::new(0xffff_ffffu64.to_bits()),
            pos_sat: Constant::new(0x7fffu64.to_bits()),
            neg_sat: Constant::new(0x8000u64.to_bits()),
        }
    }
}

impl Logic for Rsr {
    #[hdl_gen]
    fn update(&mut self) {
        self.shifted.next = self.x.val() >> self.s.val();
        self.fill.next = !(self.ones.val() >> self.s.val());
        self.ashr.next = self.shifted.val();
        if self.x.val().get_bit(47) {
            self.ashr.next = self.shifted.val() | self.fill.val();
        }
        // x[s-1] as bit 0 (0 when s = 0).
        self.rnd.next = ((self.x.val() << 1) >> self.s.val()) & self.one.val();
        self.yy.next = self.ashr.val() + self.rnd.val();
        self.y.next = self.yy.val();
        // sat_i16(ashr + rnd) from ashr: its low 16 bits plus rnd, 32767 + 1 clamped back, and
        // the bound of its sign when bits 47..15 are not all equal.
        self.t16.next = self.ashr.val().get_bits::<16>(0) + self.rnd.val().get_bits::<16>(0);
        // Bits 46..15 against bit 47 (as in Sat16: rust-hdl writes the literal 0 as 32 bits).
        self.upper.next = self.ashr.val().get_bits::<32>(15);
        self.sat.next = self.t16.val();
        if !self.ashr.val().get_bit(47) & (self.t16.val().get_bit(15) | (self.upper.val() != 0)) {
            self.sat.next = self.pos_sat.val();
        }
        if self.ashr.val().get_bit(47) & (self.upper.val() != self.ones32.val()) {
            self.sat.next = self.neg_sat.val();
        }
    }
}

/// `y = sat_i16(x)`: the 48-bit two's complement `x` clamped to -32768..=32767, as 16 bits.
/// `x` fits when its bits 47..15 are all equal (a reduction, no compare chain); otherwise bit 47
/// chooses the bound. The one hardware form of [`crate::numeric::sat_i16`] for wide values:
/// the Norm lanes' left shift and the matrix unit's requantiser use it ([`Rsr`] saturates
/// before its rounding carry, by the same reduction).
#[derive(Clone, Debug, LogicBlock)]
pub struct Sat16 {
    pub x: Signal<In, Bits<48>>,
    pub y: Signal<Out, Bits<16>>,
    upper: Signal<Local, Bits<32>>,
    ones32: Constant<Bits<32>>,
    pos_sat: Constant<Bits<16>>,
    neg_sat: Constant<Bits<16>>,
}

impl Default for Sat16 {
    fn default() -> Self {
        Self {
            x: Default::default(),
            y: Default::default(),
            upper: Default::default(),
            ones32: Constant::new(0xffff_ffffu64.to_bits()),
            pos_sat: Constant::new(0x7fffu64.to_bits()),
            neg_sat: Constant::new(0x8000u64.to_bits()),
        }
    }
}

impl Logic for Sat16 {
    #[hdl_gen]
    fn update(&mut self) {
        // Bits 46..15 (32 of them: rust-hdl writes the literal 0 as 32 bits) against bit 47.
        self.upper.next = self.x.val().get_bits::<32>(15);
        self.y.next = self.x.val().get_bits::<16>(0);
        if !self.x.val().get_bit(47) & (self.upper.val() != 0) {
            self.y.next = self.pos_sat.val();
        }
        if self.x.val().get_bit(47) & (self.upper.val() != self.ones32.val()) {
            self.y.next = self.neg_sat.val();
        }
    }
}

/// `y = sat_i16(a + b)` of two signed 16-bit values: their 17-bit sum, clamped when bits 16
/// and 15 differ (bit 16 chooses the bound). The one hardware form of the saturating add
/// ([`crate::numeric::sat_i16`] of a sum): Embed's wte + wpe, ADD and the matrix unit's
/// accumulate use it.
#[derive(Clone, Debug, LogicBlock)]
pub struct SatAdd16 {
    pub a: Signal<In, Bits<16>>,
    pub b: Signal<In, Bits<16>>,
    pub y: Signal<Out, Bits<16>>,
    a17: Signal<Local, Bits<17>>,
    b17: Signal<Local, Bits<17>>,
    s17: Signal<Local, Bits<17>>,
    hi17: Constant<Bits<17>>,
    pos_sat: Constant<Bits<16>>,
    neg_sat: Constant<Bits<16>>,
}

impl Default for SatAdd16 {
    fn default() -> Self {
        Self {
            a: Default::default(),
            b: Default::default(),
            y: Default::default(),
            a17: Default::default(),
            b17: Default::default(),
            s17: Default::default(),
            hi17: Constant::new(0x1_0000u64.to_bits()),
            pos_sat: Constant::new(0x7fffu64.to_bits()),
            neg_sat: Constant::new(0x8000u64.to_bits()),
        }
    }
}

impl Logic for SatAdd16 {
    #[hdl_gen]
    fn update(&mut self) {
        self.a17.next = bit_cast::<17, 16>(self.a.val());
        if self.a.val().get_bit(15) {
            self.a17.next = bit_cast::<17, 16>(self.a.val()) | self.hi17.val();
        }
        self.b17.next = bit_cast::<17, 16>(self.b.val());
        if self.b.val().get_bit(15) {
            self.b17.next = bit_cast::<17, 16>(self.b.val()) | self.hi17.val();
        }
        self.s17.next = self.a17.val() + self.b17.val();
        self.y.next = self.s17.val().get_bits::<16>(0);
        if self.s17.val().get_bit(16) != self.s17.val().get_bit(15) {
            self.y.next = self.pos_sat.val();
            if self.s17.val().get_bit(16) {
                self.y.next = self.neg_sat.val();
            }
        }
    }
}

/// `p = a * b` with `a` signed 16 bits, `b` unsigned 16 bits, `p` signed 32 bits: one unsigned
/// 16 x 16 multiply, minus `b * 2^16` when `a` is negative.
#[derive(Clone, Debug, Default, LogicBlock)]
pub struct MulSU16 {
    pub a: Signal<In, Bits<16>>,
    pub b: Signal<In, Bits<16>>,
    pub p: Signal<Out, Bits<32>>,
    prod: Signal<Local, Bits<32>>,
}

impl Logic for MulSU16 {
    #[hdl_gen]
    fn update(&mut self) {
        self.prod.next = self.a.val() * self.b.val();
        self.p.next = self.prod.val();
        if self.a.val().get_bit(15) {
            self.p.next = self.prod.val() - (bit_cast::<32, 16>(self.b.val()) << 16);
        }
    }
}

/// `p = a * b` with `a` signed 32 bits, `b` unsigned 16 bits, `p` signed 48 bits, from two
/// unsigned 16 x 16 products: `a = hi * 2^16 + lo`, `p = (hi * b) * 2^16 + lo * b`, minus
/// `b * 2^32` when `a` is negative. `pu` is that sum before the correction (`a` read as
/// unsigned), for users that fold the correction into a later add.
#[derive(Clone, Debug, Default, LogicBlock)]
pub struct MulQ {
    pub a: Signal<In, Bits<32>>,
    pub b: Signal<In, Bits<16>>,
    pub p: Signal<Out, Bits<48>>,
    pub pu: Signal<Out, Bits<48>>,
    plo: Signal<Local, Bits<32>>,
    phi: Signal<Local, Bits<32>>,
    sum: Signal<Local, Bits<48>>,
}

impl Logic for MulQ {
    #[hdl_gen]
    fn update(&mut self) {
        self.plo.next = self.a.val().get_bits::<16>(0) * self.b.val();
        self.phi.next = self.a.val().get_bits::<16>(16) * self.b.val();
        self.sum.next = bit_cast::<48, 32>(self.plo.val()) + (bit_cast::<48, 32>(self.phi.val()) << 16);
        self.pu.next = self.sum.val();
        self.p.next = self.sum.val();
        if self.a.val().get_bit(31) {
            self.p.next = self.sum.val() - (bit_cast::<48, 16>(self.b.val()) << 32);
        }
    }
}

/// `y = (first ? 0 : gt ? rshift_round(x * alpha, 15) : x) + add`, mod 2^32 (`x`, `add` and `y`
/// two's complement): the online softmax's rescale-and-add of [`crate::numeric::OnlineSoftmax`]
/// (the head's `l` and every accumulator `acc`), from `pu`, the uncorrected product of `x` and
/// `alpha` ([`MulQ::pu`], `x` read as unsigned). `rshift_round(x * alpha, 15) = (pu >> 15) +
/// pu[14] - (x < 0 ? alpha << 17 : 0)`: the correction `alpha * 2^32` of a negative `x` is a
/// multiple of 2^15, so it passes the shift exactly and leaves bit 14 alone. The correction is
/// taken from `add` (which does not depend on `x`) and the rounding bit is the carry of one
/// 33-bit add, `(2 base + c) + (2 (add - corr) + c)`: a loop `x -> MulQ -> y -> x` holds the
/// product's sum and one add.
#[derive(Clone, Debug, LogicBlock)]
pub struct RescaleAdd {
    pub x: Signal<In, Bits<32>>,
    pub alpha: Signal<In, Bits<16>>,
    /// [`MulQ::pu`] of `x` and `alpha`.
    pub pu: Signal<In, Bits<48>>,
    pub gt: Signal<In, Bit>,
    pub first: Signal<In, Bit>,
    pub add: Signal<In, Bits<32>>,
    pub y: Signal<Out, Bits<32>>,
    rnd: Signal<Local, Bits<32>>,
    cin: Signal<Local, Bit>,
    corr: Signal<Local, Bits<32>>,
    addc: Signal<Local, Bits<32>>,
    scaled: Signal<Local, Bits<32>>,
    base: Signal<Local, Bits<32>>,
    aa: Signal<Local, Bits<33>>,
    bb: Signal<Local, Bits<33>>,
    s33: Signal<Local, Bits<33>>,
    one33: Constant<Bits<33>>,
}

impl Default for RescaleAdd {
    fn default() -> Self {
        Self {
            x: Default::default(),
            alpha: Default::default(),
            pu: Default::default(),
            gt: Default::default(),
            first: Default::default(),
            add: Default::default(),
            y: Default::default(),
            rnd: Default::default(),
            cin: Default::default(),
            corr: Default::default(),
            addc: Default::default(),
            scaled: Default::default(),
            base: Default::default(),
            aa: Default::default(),
            bb: Default::default(),
            s33: Default::default(),
            one33: Constant::new(1u64.to_bits()),
        }
    }
}

impl Logic for RescaleAdd {
    #[hdl_gen]
    fn update(&mut self) {
        self.rnd.next = self.pu.val().get_bits::<32>(15);
        self.cin.next = self.gt.val() & !self.first.val() & self.pu.val().get_bit(14);
        self.corr.next = 0.into();
        if self.gt.val() & !self.first.val() & self.x.val().get_bit(31) {
            self.corr.next = bit_cast::<32, 16>(self.alpha.val()) << 17;
        }
        self.addc.next = self.add.val() - self.corr.val();
        self.scaled.next = self.x.val();
        if self.gt.val() {
            self.scaled.next = self.rnd.val();
        }
        self.base.next = self.scaled.val();
        if self.first.val() {
            self.base.next = 0.into();
        }
        self.aa.next = bit_cast::<33, 32>(self.base.val()) << 1;
        self.bb.next = bit_cast::<33, 32>(self.addc.val()) << 1;
        if self.cin.val() {
            self.aa.next = (bit_cast::<33, 32>(self.base.val()) << 1) | self.one33.val();
            self.bb.next = (bit_cast::<33, 32>(self.addc.val()) << 1) | self.one33.val();
        }
        self.s33.next = self.aa.val() + self.bb.val();
        self.y.next = self.s33.val().get_bits::<32>(1);
    }
}

/// `e = exp2_neg(d)`: `EXP2_TABLE[d & 255]` rounded right by `d >> 8`, 0 once `d >> 8 >= 16`.
#[derive(LogicBlock)]
pub struct Exp2 {
    pub d: Signal<In, Bits<16>>,
    pub e: Signal<Out, Bits<16>>,
    rom: ROM<Bits<16>, 8>,
    ip: Signal<Local, Bits<8>>,
    val: Signal<Local, Bits<17>>,
    half: Signal<Local, Bits<17>>,
    rounded: Signal<Local, Bits<17>>,
    one: Constant<Bits<17>>,
}

impl Default for Exp2 {
    fn default() -> Self {
        Self {
            d: Default::default(),
            e: Default::default(),
            rom: ROM::new(rust_hdl::widgets::ramrom::rom::make_btree_from_iterable(EXP2_TABLE.iter().map(|&v| (v as u64).to_bits()))),
            ip: Default::default(),
            val: Default::default(),
            half: Default::default(),
            rounded: Default::default(),
            one: Constant::new(1u64.to_bits()),
        }
    }
}

impl Logic for Exp2 {
    #[hdl_gen]
    fn update(&mut self) {
        self.rom.address.next = self.d.val().get_bits::<8>(0);
        self.ip.next = self.d.val().get_bits::<8>(8);
        self.val.next = bit_cast::<17, 16>(self.rom.data.val());
        self.half.next = (self.one.val() << self.ip.val()) >> 1;
        self.rounded.next = (self.val.val() + self.half.val()) >> self.ip.val();
        self.e.next = self.rounded.val().get_bits::<16>(0);
        if self.ip.val() >= 16 {
            self.e.next = 0.into();
        }
    }
}

/// `(mant, sh) = recip(x)` for `x > 0`, in two pipeline stages: `mant`/`sh` show the reciprocal
/// of `x` as it was one cycle earlier. Stage 1 normalises `x` so its leading one is at bit 31
/// (five conditional shifts, `e` = position of the leading one) and looks up [`RECIP_TABLE`] at
/// bits 30..23 and the difference to the next entry ([`TABLE_END`] after the last; a table of
/// differences computed here from the same two tables, so no subtraction follows the lookup);
/// it registers the entry, the difference, the fraction bits 22..15 and `e`. Stage 2
/// interpolates: `mant = entry - ((diff * frac + 128) >> 8)`, `sh = 15 + e`. (In one stage the
/// whole chain, normalisation to subtract, was the 4x4 core's ECP5 critical path, docs/lpu.md.)
#[derive(LogicBlock)]
pub struct Recip {
    pub clock: Signal<In, Clock>,
    pub x: Signal<In, Bits<32>>,
    pub mant: Signal<Out, Bits<16>>,
    pub sh: Signal<Out, Bits<8>>,
    rom_a: ROM<Bits<16>, 8>,
    rom_d: ROM<Bits<16>, 8>,
    a_r: DFF<Bits<16>>,
    d_r: DFF<Bits<16>>,
    f_r: DFF<Bits<16>>,
    e_r: DFF<Bits<8>>,
    n1: Signal<Local, Bits<32>>,
    n2: Signal<Local, Bits<32>>,
    n3: Signal<Local, Bits<32>>,
    n4: Signal<Local, Bits<32>>,
    n5: Signal<Local, Bits<32>>,
    e1: Signal<Local, Bits<8>>,
    e2: Signal<Local, Bits<8>>,
    e3: Signal<Local, Bits<8>>,
    e4: Signal<Local, Bits<8>>,
    e5: Signal<Local, Bits<8>>,
    prod: Signal<Local, Bits<32>>,
    step: Signal<Local, Bits<32>>,
}

impl Default for Recip {
    fn default() -> Self {
        // diff[i] = RECIP_TABLE[i] - RECIP_TABLE[i + 1] (TABLE_END after the last), modulo 2^16
        // as the former 16-bit subtraction of the two lookups computed it.
        let diff = (0..256).map(|i| {
            let right = if i == 255 { TABLE_END } else { RECIP_TABLE[i + 1] };
            (RECIP_TABLE[i] as u16).wrapping_sub(right as u16)
        });
        Self {
            clock: Default::default(),
            x: Default::default(),
            mant: Default::default(),
            sh: Default::default(),
            rom_a: ROM::new(rust_hdl::widgets::ramrom::rom::make_btree_from_iterable(RECIP_TABLE.iter().map(|&v| (v as u64).to_bits()))),
            rom_d: ROM::new(rust_hdl::widgets::ramrom::rom::make_btree_from_iterable(diff.map(|v| (v as u64).to_bits()))),
            a_r: Default::default(),
            d_r: Default::default(),
            f_r: Default::default(),
            e_r: Default::default(),
            n1: Default::default(),
            n2: Default::default(),
            n3: Default::default(),
            n4: Default::default(),
            n5: Default::default(),
            e1: Default::default(),
            e2: Default::default(),
            e3: Default::default(),
            e4: Default::default(),
            e5: Default::default(),
            prod: Default::default(),
            step: Default::default(),
        }
    }
}

impl Logic for Recip {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, a_r, d_r, f_r, e_r);
        // Stage 1: normalise, look up, register.
        self.n1.next = self.x.val();
        self.e1.next = 31.into();
        if self.x.val().get_bits::<16>(16) == 0 {
            self.n1.next = self.x.val() << 16;
            self.e1.next = 15.into();
        }
        self.n2.next = self.n1.val();
        self.e2.next = self.e1.val();
        if self.n1.val().get_bits::<8>(24) == 0 {
            self.n2.next = self.n1.val() << 8;
            self.e2.next = self.e1.val() - 8;
        }
        self.n3.next = self.n2.val();
        self.e3.next = self.e2.val();
        if self.n2.val().get_bits::<4>(28) == 0 {
            self.n3.next = self.n2.val() << 4;
            self.e3.next = self.e2.val() - 4;
        }
        self.n4.next = self.n3.val();
        self.e4.next = self.e3.val();
        if self.n3.val().get_bits::<2>(30) == 0 {
            self.n4.next = self.n3.val() << 2;
            self.e4.next = self.e3.val() - 2;
        }
        self.n5.next = self.n4.val();
        self.e5.next = self.e4.val();
        if !self.n4.val().get_bit(31) {
            self.n5.next = self.n4.val() << 1;
            self.e5.next = self.e4.val() - 1;
        }
        self.rom_a.address.next = self.n5.val().get_bits::<8>(23);
        self.rom_d.address.next = self.n5.val().get_bits::<8>(23);
        self.a_r.d.next = self.rom_a.data.val();
        self.d_r.d.next = self.rom_d.data.val();
        // The zero extension in its own 16-bit register: written inside the product, rust-hdl's
        // `x & 16'hffff` kept yosys (ECP5 flow) from narrowing the operand, and the product took
        // two MULT18X18D instead of one.
        self.f_r.d.next = bit_cast::<16, 8>(self.n5.val().get_bits::<8>(15));
        self.e_r.d.next = self.e5.val();
        // Stage 2: interpolate.
        self.prod.next = self.d_r.q.val() * self.f_r.q.val();
        self.step.next = (self.prod.val() + 128) >> 8;
        self.mant.next = self.a_r.q.val() - self.step.val().get_bits::<16>(0);
        self.sh.next = self.e_r.q.val() + 15;
    }
}

/// `(mant, sh) = rsqrt(x)` for `x` in `1..2^48`, in two pipeline stages like [`Recip`]:
/// `mant`/`sh` show the reciprocal square root of `x` as it was one cycle earlier. Stage 1
/// normalises `x` by even shifts (five conditional shifts) until its top two bits are not both
/// zero, so `x = n * 4^(j - 23)` with `n` in `[2^46, 2^48)`, and looks up [`RSQRT_TABLE`] at
/// `n[47:40] - 64` and the difference to the next entry ([`TABLE_END`] after the last); it
/// registers the entry, the difference, the fraction `n[39:32]` and `k = 23 - j`. Stage 2
/// interpolates: `mant = entry - ((diff * frac + 128) >> 8)`, `sh = 15 + k`. The same rule as
/// the Norm leaf's own normalisation (src/rtl/lpu/norm.rs), as a block of its own for the
/// compact engine.
#[derive(LogicBlock)]
pub struct Rsqrt {
    pub clock: Signal<In, Clock>,
    pub x: Signal<In, Bits<48>>,
    pub mant: Signal<Out, Bits<16>>,
    pub sh: Signal<Out, Bits<8>>,
    rom_a: ROM<Bits<16>, 8>,
    rom_d: ROM<Bits<16>, 8>,
    a_r: DFF<Bits<16>>,
    d_r: DFF<Bits<16>>,
    f_r: DFF<Bits<16>>,
    k_r: DFF<Bits<8>>,
    n1: Signal<Local, Bits<48>>,
    n2: Signal<Local, Bits<48>>,
    n3: Signal<Local, Bits<48>>,
    n4: Signal<Local, Bits<48>>,
    n5: Signal<Local, Bits<48>>,
    j1: Signal<Local, Bits<8>>,
    j2: Signal<Local, Bits<8>>,
    j3: Signal<Local, Bits<8>>,
    j4: Signal<Local, Bits<8>>,
    j5: Signal<Local, Bits<8>>,
    tix: Signal<Local, Bits<8>>,
    prod: Signal<Local, Bits<32>>,
    step: Signal<Local, Bits<32>>,
    c23: Constant<Bits<8>>,
}

impl Default for Rsqrt {
    fn default() -> Self {
        let diff = (0..192).map(|j| {
            let right = if j == 191 { TABLE_END } else { RSQRT_TABLE[j + 1] };
            RSQRT_TABLE[j].wrapping_sub(right)
        });
        Self {
            clock: Default::default(),
            x: Default::default(),
            mant: Default::default(),
            sh: Default::default(),
            rom_a: ROM::new(rust_hdl::widgets::ramrom::rom::make_btree_from_iterable(RSQRT_TABLE.iter().map(|&v| (v as u64).to_bits()))),
            rom_d: ROM::new(rust_hdl::widgets::ramrom::rom::make_btree_from_iterable(diff.map(|v| (v as u64).to_bits()))),
            a_r: Default::default(),
            d_r: Default::default(),
            f_r: Default::default(),
            k_r: Default::default(),
            n1: Default::default(),
            n2: Default::default(),
            n3: Default::default(),
            n4: Default::default(),
            n5: Default::default(),
            j1: Default::default(),
            j2: Default::default(),
            j3: Default::default(),
            j4: Default::default(),
            j5: Default::default(),
            tix: Default::default(),
            prod: Default::default(),
            step: Default::default(),
            c23: Constant::new(23u64.to_bits()),
        }
    }
}

impl Logic for Rsqrt {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, a_r, d_r, f_r, k_r);
        self.n1.next = self.x.val();
        self.j1.next = 0.into();
        if self.x.val().get_bits::<32>(16) == 0 {
            self.n1.next = self.x.val() << 32;
            self.j1.next = 16.into();
        }
        self.n2.next = self.n1.val();
        self.j2.next = self.j1.val();
        if self.n1.val().get_bits::<16>(32) == 0 {
            self.n2.next = self.n1.val() << 16;
            self.j2.next = self.j1.val() + 8;
        }
        self.n3.next = self.n2.val();
        self.j3.next = self.j2.val();
        if self.n2.val().get_bits::<8>(40) == 0 {
            self.n3.next = self.n2.val() << 8;
            self.j3.next = self.j2.val() + 4;
        }
        self.n4.next = self.n3.val();
        self.j4.next = self.j3.val();
        if self.n3.val().get_bits::<4>(44) == 0 {
            self.n4.next = self.n3.val() << 4;
            self.j4.next = self.j3.val() + 2;
        }
        self.n5.next = self.n4.val();
        self.j5.next = self.j4.val();
        if self.n4.val().get_bits::<2>(46) == 0 {
            self.n5.next = self.n4.val() << 2;
            self.j5.next = self.j4.val() + 1;
        }
        self.tix.next = self.n5.val().get_bits::<8>(40) - 64;
        self.rom_a.address.next = self.tix.val();
        self.rom_d.address.next = self.tix.val();
        self.a_r.d.next = self.rom_a.data.val();
        self.d_r.d.next = self.rom_d.data.val();
        self.f_r.d.next = bit_cast::<16, 8>(self.n5.val().get_bits::<8>(32));
        self.k_r.d.next = self.c23.val() - self.j5.val();
        self.prod.next = self.d_r.q.val() * self.f_r.q.val();
        self.step.next = (self.prod.val() + 128) >> 8;
        self.mant.next = self.a_r.q.val() - self.step.val().get_bits::<16>(0);
        self.sh.next = self.k_r.q.val() + 15;
    }
}

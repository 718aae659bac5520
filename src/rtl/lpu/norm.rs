//! `Norm`, the vector-unit leaf for [`crate::numeric::rmsnorm`] of `len` scratchpad elements
//! at `src` into `dst` (`src` may equal `dst`), with the fields of a [`NormConsts`] as inputs,
//! `K` elements per cycle ([`Norm`]`<K, 16 K>`, `K` a power of two up to 16; the core uses the
//! scratchpad's chunk width where it divides `n_embd`, [`crate::lpu::LpuConfig::vector_chunk`]).
//! Bit-exact model: [`model`] (which is `numeric::rmsnorm`).
//!
//! ```text
//!             +-------------------------------------------------------------+
//! start ----->| pass 1: read K x_i, V = eps_term + sum x_i^2   (48 bits)    |--> a_ren, a_raddr
//! src, len -->| rsqrt(V): leading-zero normalisation (even shifts), table,  |<-- a_rdata [16K] (next cycle)
//! eps_term -->|           interpolation -> mant, k                          |
//! gain ------>| c = rshift_round(mant * gain, 15), s = gain_shift + k - out_frac
//! gain_shift->| pass 2: read K x_i, y_i = sat_i16(shift_round(x_i * c, s))  |--> a_we, a_waddr, a_wdata [16K]
//! out_frac -->|  (K lanes, NormLane: one multiplier and one rounding each)  |--> busy, done
//!             +-------------------------------------------------------------+
//! ```
//!
//! Contract (cycle 0 = the cycle `start` is high while idle; inputs stable until `done`;
//! `n = len / K`; `len`, `src` and `dst` are multiples of `K`):
//! 1. `len = 0`: no memory access, `done` in cycle 1.
//! 2. Memory ports: a read of element address `a` (a multiple of `K`) returns elements
//!    `a .. a + K` in `a_rdata[16 j +: 16]` the cycle after; a write stores `a_wdata[16 j +: 16]`
//!    to element `a_waddr + j` for `j < K` at the edge ending its cycle.
//! 3. Pass 1 reads `src + K i` in cycle `i` (`i < n`, the first read in the start cycle).
//! 4. Pass 2 reads `src + K i` in cycle `n + 4 + i` and writes `dst + K i` in cycle
//!    `n + 8 + i`; `done` is high with the last write, in cycle [`cycles`]`(len, K) = 2 n + 7`.
//!    `busy` is high from cycle 1 to `done`.
//! 5. While idle `a_ren` and `a_we` are low; a `start` while busy is ignored; `reset`
//!    (synchronous) returns to idle.
//! 6. `rsqrt(0)` is treated as 1, as in the numeric module (only reachable with `eps_term = 0`).
//! 7. Snoop (the core wires the scratchpad's element write port to `sn_we`, `sn_data`, its
//!    chunk write port of K elements to `sk_we`, `sk_wm` (lane mask), `sk_data` (K > 1) and
//!    pulses `sn_clear` with every unit's start; the two ports are never written in the same
//!    cycle): Norm squares every element written through either port (K squarers: a chunk's
//!    written lanes, or an element write's one) and keeps `S = sum w^2` over the writes since
//!    the last `sn_clear` (the first write after a clear restarts the sum; a chunk write with
//!    an empty mask is no write; [`crate::rtl::lpu::snoop`]). Its own writes are included.
//! 8. With `pre` (the previous instruction wrote exactly `x`, once per element, at least one
//!    element, its last write in cycle -1 or earlier): pass 1 is
//!    skipped and `V = eps_term + S`; pass 2 reads `src + K i` in cycle `4 + i`, writes
//!    `dst + K i` in cycle `8 + i`; `done` in cycle [`cycles_pre`]`(len, K) = n + 7`. The values
//!    are those of contract 4.
//!
//! `2 K` multipliers of 16 x 16: one per lane (`|x|^2` in pass 1, `|x| * c` in pass 2; lane
//! 0's also computes the interpolation step and `mant * gain` once per vector) and the
//! snoop's K squarers.

use crate::numeric::{rmsnorm, rmsnorm_with_sum, sum_squares, NormConsts, RSQRT_TABLE, TABLE_END};
use crate::rtl::arith::{Rsr, Sat16};
use crate::rtl::lpu::snoop::WriteSnoop;
use rust_hdl::prelude::*;

/// Cycles from `start` (cycle 0) to `done` for `len` elements, `k` per cycle.
pub fn cycles(len: usize, k: usize) -> u64 {
    if len == 0 {
        1
    } else {
        2 * (len / k) as u64 + 7
    }
}

/// Cycles from `start` (cycle 0) to `done` with `pre` (contract 8).
pub fn cycles_pre(len: usize, k: usize) -> u64 {
    if len == 0 {
        1
    } else {
        (len / k) as u64 + 7
    }
}

/// The bit-exact model with `pre`: `rmsnorm` of `x` with `sum(x_i^2)` taken from the snooped
/// writes `w` (contract 7; equal to [`model`] when `w` holds exactly the elements of `x`).
pub fn model_pre(x: &[i16], w: &[i16], k: &NormConsts) -> Vec<i16> {
    let mut out = vec![0i16; x.len()];
    rmsnorm_with_sum(x, sum_squares(w), k, &mut out);
    out
}

/// The bit-exact model: `numeric::rmsnorm` of `x` with `k`.
pub fn model(x: &[i16], k: &NormConsts) -> Vec<i16> {
    let mut out = vec![0i16; x.len()];
    rmsnorm(x, k, &mut out);
    out
}

/// One lane of Norm: element `x` (as read, registered as its magnitude and sign: `|xr|` and the
/// sign of the previous cycle's `x`, so no carry chain lies between the register and the
/// multiplier), its multiplier and its output rounding.
/// - `mp = a * b` (combinational): `|xr| * |xr|`, or `|xr| * c` with `scale`, or `oa * ob` with
///   `ov` (`|xr|` is the register `xa`).
/// - `sq` is the previous cycle's `mp`, zero-extended to 48 bits (pass 1's square).
/// - `y` is `sat_i16(shift_round(±p, s))` of the product `p` of two cycles earlier (negated when
///   that cycle's `xr` was negative), with `s = rsh` or a left shift by `lsh` (`neg_s`), as a
///   16-bit value in the low bits of `KW`: the product and the rounded value are registered (the
///   variable shift and the saturation do not reach the scratchpad's write data).
#[derive(LogicBlock)]
pub struct NormLane<const KW: usize> {
    pub clock: Signal<In, Clock>,
    pub x: Signal<In, Bits<16>>,
    pub ov: Signal<In, Bit>,
    pub oa: Signal<In, Bits<16>>,
    pub ob: Signal<In, Bits<16>>,
    pub scale: Signal<In, Bit>,
    pub c: Signal<In, Bits<16>>,
    pub rsh: Signal<In, Bits<8>>,
    pub lsh: Signal<In, Bits<8>>,
    pub neg_s: Signal<In, Bit>,
    pub mp: Signal<Out, Bits<32>>,
    pub sq: Signal<Out, Bits<48>>,
    pub y: Signal<Out, Bits<KW>>,
    xa: DFF<Bits<16>>,
    xs: DFF<Bit>,
    sqr: DFF<Bits<32>>,
    prod: DFF<Bits<32>>,
    yr: DFF<Bits<16>>,
    rsr: Rsr,
    absx: Signal<Local, Bits<16>>,
    ma: Signal<Local, Bits<16>>,
    mb: Signal<Local, Bits<16>>,
    p48: Signal<Local, Bits<48>>,
    lp48: Signal<Local, Bits<48>>,
    lx: Signal<Local, Bits<48>>,
    lsat: Sat16,
    hi48: Constant<Bits<48>>,
}

impl<const KW: usize> Default for NormLane<KW> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            x: Default::default(),
            ov: Default::default(),
            oa: Default::default(),
            ob: Default::default(),
            scale: Default::default(),
            c: Default::default(),
            rsh: Default::default(),
            lsh: Default::default(),
            neg_s: Default::default(),
            mp: Default::default(),
            sq: Default::default(),
            y: Default::default(),
            xa: Default::default(),
            xs: Default::default(),
            sqr: Default::default(),
            prod: Default::default(),
            yr: Default::default(),
            rsr: Default::default(),
            absx: Default::default(),
            ma: Default::default(),
            mb: Default::default(),
            p48: Default::default(),
            lp48: Default::default(),
            lx: Default::default(),
            lsat: Default::default(),
            hi48: Constant::new(0xffff_0000_0000u64.to_bits()),
        }
    }
}

impl<const KW: usize> Logic for NormLane<KW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, xa, xs, sqr, prod, yr);
        // The element registered as it arrives, as magnitude and sign (a block RAM's output
        // does not reach the multiplier, and the absolute value's carry chain is before the
        // register; |-32768| is 0x8000 as an unsigned 16-bit value).
        self.absx.next = self.x.val();
        if self.x.val().get_bit(15) {
            self.absx.next = !self.x.val() + 1;
        }
        self.xa.d.next = self.absx.val();
        self.xs.d.next = self.x.val().get_bit(15);
        self.ma.next = self.xa.q.val();
        self.mb.next = self.xa.q.val();
        if self.scale.val() {
            self.mb.next = self.c.val();
        }
        if self.ov.val() {
            self.ma.next = self.oa.val();
            self.mb.next = self.ob.val();
        }
        self.mp.next = self.ma.val() * self.mb.val();
        self.sqr.d.next = self.mp.val();
        self.sq.next = bit_cast::<48, 32>(self.sqr.q.val());
        self.prod.d.next = self.mp.val();
        if self.xs.q.val() {
            self.prod.d.next = !self.mp.val() + 1;
        }
        self.p48.next = bit_cast::<48, 32>(self.prod.q.val());
        if self.prod.q.val().get_bit(31) {
            self.p48.next = bit_cast::<48, 32>(self.prod.q.val()) | self.hi48.val();
        }
        // A right shift rounds (`Rsr`); a left shift (`lsh <= 16`, so the 32-bit product stays
        // inside 48 bits) only saturates. The two are separate paths, chosen at the register:
        // no barrel shifter feeds another. (The left path sign-extends the product itself: a
        // local shared with the `Rsr`'s input would put the `Rsr`'s input and output in one
        // Verilator block, a false combinational loop.)
        self.rsr.x.next = self.p48.val();
        self.rsr.s.next = self.rsh.val();
        self.lp48.next = bit_cast::<48, 32>(self.prod.q.val());
        if self.prod.q.val().get_bit(31) {
            self.lp48.next = bit_cast::<48, 32>(self.prod.q.val()) | self.hi48.val();
        }
        self.lx.next = self.lp48.val() << self.lsh.val();
        self.lsat.x.next = self.lx.val();
        self.yr.d.next = self.rsr.sat.val();
        if self.neg_s.val() {
            self.yr.d.next = self.lsat.y.val();
        }
        self.y.next = bit_cast::<KW, 16>(self.yr.q.val());
    }
}

/// The snoop's squarer for one element: `sq` is `|x|^2` of the previous cycle (48 bits).
#[derive(LogicBlock, Default)]
pub struct SquareLane {
    pub clock: Signal<In, Clock>,
    pub x: Signal<In, Bits<16>>,
    pub sq: Signal<Out, Bits<48>>,
    r: DFF<Bits<32>>,
    absx: Signal<Local, Bits<16>>,
}

impl Logic for SquareLane {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, r);
        self.absx.next = self.x.val();
        if self.x.val().get_bit(15) {
            self.absx.next = !self.x.val() + 1;
        }
        self.r.d.next = self.absx.val() * self.absx.val();
        self.sq.next = bit_cast::<48, 32>(self.r.q.val());
    }
}

/// Norm with `K` lanes; `KW = 16 K` is the width of the read and write words.
#[derive(LogicBlock)]
pub struct Norm<const K: usize, const KW: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub start: Signal<In, Bit>,
    pub src: Signal<In, Bits<16>>,
    pub dst: Signal<In, Bits<16>>,
    pub len: Signal<In, Bits<16>>,
    pub eps_term: Signal<In, Bits<32>>,
    pub gain: Signal<In, Bits<16>>,
    pub gain_shift: Signal<In, Bits<8>>,
    pub out_frac: Signal<In, Bits<8>>,
    /// Take `sum x_i^2` from the snooped writes (contract 8) instead of pass 1.
    pub pre: Signal<In, Bit>,
    /// Snoop: pulsed with every unit's start; the next write restarts the sum.
    pub sn_clear: Signal<In, Bit>,
    /// Snoop: the scratchpad's element write enable and data (every writer's).
    pub sn_we: Signal<In, Bit>,
    pub sn_data: Signal<In, Bits<16>>,
    /// Snoop: the scratchpad's chunk write enable, lane mask and data (K elements; tied low
    /// with K = 1).
    pub sk_we: Signal<In, Bit>,
    pub sk_wm: Signal<In, Bits<16>>,
    pub sk_data: Signal<In, Bits<KW>>,
    pub a_ren: Signal<Out, Bit>,
    pub a_raddr: Signal<Out, Bits<16>>,
    pub a_rdata: Signal<In, Bits<KW>>,
    pub a_we: Signal<Out, Bit>,
    pub a_waddr: Signal<Out, Bits<16>>,
    pub a_wdata: Signal<Out, Bits<KW>>,
    pub busy: Signal<Out, Bit>,
    pub done: Signal<Out, Bit>,
    act: DFF<Bit>,
    zdone: DFF<Bit>,
    p1: DFF<Bit>,
    p2: DFF<Bit>,
    k: DFF<Bits<17>>,
    cnt: DFF<Bits<16>>,
    d1: DFF<Bit>,
    dl1: DFF<Bit>,
    d1b: DFF<Bit>,
    dl1b: DFF<Bit>,
    sqv: DFF<Bit>,
    sql: DFF<Bit>,
    acc: DFF<Bits<48>>,
    fn_: DFF<Bit>,
    ft: DFF<Bit>,
    fc: DFF<Bit>,
    ta: DFF<Bits<16>>,
    td: DFF<Bits<16>>,
    frac: DFF<Bits<8>>,
    kk: DFF<Bits<8>>,
    vz: DFF<Bit>,
    mant: DFF<Bits<16>>,
    c: DFF<Bits<16>>,
    neg_s: DFF<Bit>,
    rsh: DFF<Bits<8>>,
    lsh: DFF<Bits<8>>,
    d2: DFF<Bit>,
    dl2: DFF<Bit>,
    i2: DFF<Bits<16>>,
    d2b: DFF<Bit>,
    dl2b: DFF<Bit>,
    i2b: DFF<Bits<16>>,
    wv: DFF<Bit>,
    wl: DFF<Bit>,
    wi: DFF<Bits<16>>,
    yv: DFF<Bit>,
    yl: DFF<Bit>,
    yi: DFF<Bits<16>>,
    snoop: WriteSnoop<KW>,
    snv: DFF<Bit>,
    snf: DFF<Bit>,
    ssq: DFF<Bits<48>>,
    pe1: DFF<Bit>,
    pe2: DFF<Bit>,
    /// `RSQRT_TABLE` and the difference to the next entry (`TABLE_END` after the last), so no
    /// subtraction follows the lookup.
    rom_a: ROM<Bits<16>, 8>,
    rom_d: ROM<Bits<16>, 8>,
    lanes: Vec<NormLane<KW>>,
    sq_lanes: Vec<SquareLane>,
    idle_start: Signal<Local, Bit>,
    lastr: Signal<Local, Bit>,
    rcur: Signal<Local, Bit>,
    kcur: Signal<Local, Bits<17>>,
    lastk: Signal<Local, Bit>,
    snsum: Signal<Local, Bits<48>>,
    mp: Signal<Local, Bits<32>>,
    sqsum: Signal<Local, Bits<48>>,
    wword: Signal<Local, Bits<KW>>,
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
    step: Signal<Local, Bits<32>>,
    cr: Signal<Local, Bits<32>>,
    s16: Signal<Local, Bits<16>>,
    neg_s16: Signal<Local, Bits<16>>,
    lane_sh: Vec<Constant<Bits<8>>>,
    kstep: Constant<Bits<16>>,
    kstep17: Constant<Bits<17>>,
    c23: Constant<Bits<8>>,
    one_q15: Constant<Bits<16>>,
    max_r: Constant<Bits<16>>,
    max_l: Constant<Bits<16>>,
}

impl<const K: usize, const KW: usize> Default for Norm<K, KW> {
    fn default() -> Self {
        assert!(K.is_power_of_two() && K <= 16 && KW == 16 * K, "Norm<K, 16 K> with K in 1, 2, 4, 8, 16");
        let right = (1..=192).map(|j| if j == 192 { TABLE_END } else { RSQRT_TABLE[j] });
        Self {
            clock: Default::default(),
            reset: Default::default(),
            start: Default::default(),
            src: Default::default(),
            dst: Default::default(),
            len: Default::default(),
            eps_term: Default::default(),
            gain: Default::default(),
            gain_shift: Default::default(),
            out_frac: Default::default(),
            pre: Default::default(),
            sn_clear: Default::default(),
            sn_we: Default::default(),
            sn_data: Default::default(),
            sk_we: Default::default(),
            sk_wm: Default::default(),
            sk_data: Default::default(),
            a_ren: Default::default(),
            a_raddr: Default::default(),
            a_rdata: Default::default(),
            a_we: Default::default(),
            a_waddr: Default::default(),
            a_wdata: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            act: Default::default(),
            zdone: Default::default(),
            p1: Default::default(),
            p2: Default::default(),
            k: Default::default(),
            cnt: Default::default(),
            d1: Default::default(),
            dl1: Default::default(),
            d1b: Default::default(),
            dl1b: Default::default(),
            sqv: Default::default(),
            sql: Default::default(),
            acc: Default::default(),
            fn_: Default::default(),
            ft: Default::default(),
            fc: Default::default(),
            ta: Default::default(),
            td: Default::default(),
            frac: Default::default(),
            kk: Default::default(),
            vz: Default::default(),
            mant: Default::default(),
            c: Default::default(),
            neg_s: Default::default(),
            rsh: Default::default(),
            lsh: Default::default(),
            d2: Default::default(),
            dl2: Default::default(),
            i2: Default::default(),
            d2b: Default::default(),
            dl2b: Default::default(),
            i2b: Default::default(),
            wv: Default::default(),
            wl: Default::default(),
            wi: Default::default(),
            yv: Default::default(),
            yl: Default::default(),
            yi: Default::default(),
            snoop: Default::default(),
            snv: Default::default(),
            snf: Default::default(),
            ssq: Default::default(),
            pe1: Default::default(),
            pe2: Default::default(),
            rom_a: ROM::new(rust_hdl::widgets::ramrom::rom::make_btree_from_iterable(
                RSQRT_TABLE.iter().map(|&v| (v as u64).to_bits()),
            )),
            rom_d: ROM::new(rust_hdl::widgets::ramrom::rom::make_btree_from_iterable(
                RSQRT_TABLE.iter().zip(right).map(|(&a, b)| (a.wrapping_sub(b) as u64).to_bits()),
            )),
            lanes: (0..K).map(|_| NormLane::default()).collect(),
            sq_lanes: (0..K).map(|_| SquareLane::default()).collect(),
            idle_start: Default::default(),
            lastr: Default::default(),
            rcur: Default::default(),
            kcur: Default::default(),
            lastk: Default::default(),
            snsum: Default::default(),
            mp: Default::default(),
            sqsum: Default::default(),
            wword: Default::default(),
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
            step: Default::default(),
            cr: Default::default(),
            s16: Default::default(),
            neg_s16: Default::default(),
            lane_sh: crate::rtl::lpu::vector::lane_shifts(K),
            kstep: Constant::new((K as u64).to_bits()),
            kstep17: Constant::new((K as u64).to_bits()),
            c23: Constant::new(23u64.to_bits()),
            one_q15: Constant::new(0x8000u64.to_bits()),
            max_r: Constant::new(47u64.to_bits()),
            max_l: Constant::new(16u64.to_bits()),
        }
    }
}

impl<const K: usize, const KW: usize> Logic for Norm<K, KW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, act, zdone, p1, p2, k, cnt, d1, dl1, d1b, dl1b, sqv, sql, acc, fn_, ft, fc, ta, td, frac, kk, vz, mant, c, neg_s, rsh,
            lsh, d2, dl2, i2, d2b, dl2b, i2b, wv, wl, wi, yv, yl, yi, snv, snf, ssq, pe1, pe2
        );
        self.idle_start.next = self.start.val() & !self.act.q.val() & !self.zdone.q.val();
        self.zdone.d.next = self.idle_start.val() & (self.len.val() == 0);
        // Snoop: each element write or chunk write (registered, first since a clear or not),
        // its written element(s) squared (chunk: one squarer per lane, lanes outside the mask
        // give 0; element: squarer 0), summed.
        self.snoop.clock.next = self.clock.val();
        self.snoop.reset.next = self.reset.val();
        self.snoop.clear.next = self.sn_clear.val();
        self.snoop.we.next = self.sn_we.val();
        self.snoop.waddr.next = 0.into();
        self.snoop.wdata.next = self.sn_data.val();
        self.snoop.kwe.next = self.sk_we.val();
        self.snoop.kwm.next = self.sk_wm.val();
        self.snoop.kaddr.next = 0.into();
        self.snoop.kdata.next = self.sk_data.val();
        self.snsum.next = 0.into();
        for j in 0..K {
            self.sq_lanes[j].clock.next = self.clock.val();
            self.sq_lanes[j].x.next = 0.into();
            if self.snoop.kv.val() & self.snoop.km.val().get_bit(j) {
                self.sq_lanes[j].x.next = self.snoop.kd.val().get_bits::<16>(16 * j);
            }
            self.snsum.next = self.snsum.val() + self.sq_lanes[j].sq.val();
        }
        if !self.snoop.kv.val() {
            self.sq_lanes[0].x.next = self.snoop.data.val();
        }
        self.snv.d.next = self.snoop.v.val();
        self.snf.d.next = self.snoop.first.val();
        if self.snv.q.val() {
            self.ssq.d.next = self.ssq.q.val() + self.snsum.val();
            if self.snf.q.val() {
                self.ssq.d.next = self.snsum.val();
            }
        }
        // Read port. Pass 1: K elements in cycle i from the start cycle (not with `pre`).
        // Pass 2: from cycle n + 4 (4 with `pre`).
        self.rcur.next = self.p1.q.val();
        self.kcur.next = self.k.q.val();
        self.pe1.d.next = false;
        self.pe2.d.next = self.pe1.q.val();
        if self.idle_start.val() & (self.len.val() != 0) {
            self.act.d.next = true;
            if self.pre.val() {
                self.pe1.d.next = true;
            } else {
                self.rcur.next = true;
                self.kcur.next = 0.into();
            }
        }
        self.lastk.next = (self.kcur.val() + self.kstep17.val()) == bit_cast::<17, 16>(self.len.val());
        if self.rcur.val() {
            self.k.d.next = self.kcur.val() + self.kstep17.val();
            self.p1.d.next = !self.lastk.val();
        }
        self.lastr.next = (self.cnt.q.val() + self.kstep.val()) == self.len.val();
        self.a_ren.next = self.rcur.val() | self.p2.q.val();
        self.a_raddr.next = self.src.val() + self.kcur.val().get_bits::<16>(0);
        if self.p2.q.val() {
            self.a_raddr.next = self.src.val() + self.cnt.q.val();
            self.cnt.d.next = self.cnt.q.val() + self.kstep.val();
            if self.lastr.val() {
                self.p2.d.next = false;
            }
        }
        self.d1.d.next = self.rcur.val();
        self.dl1.d.next = self.rcur.val() & self.lastk.val();
        self.d2.d.next = self.p2.q.val();
        self.dl2.d.next = self.p2.q.val() & self.lastr.val();
        self.i2.d.next = self.cnt.q.val();
        // The cycle after the data: each lane's registered element meets its multiplier.
        self.d1b.d.next = self.d1.q.val();
        self.dl1b.d.next = self.dl1.q.val();
        self.d2b.d.next = self.d2.q.val();
        self.dl2b.d.next = self.dl2.q.val();
        self.i2b.d.next = self.i2.q.val();
        // The lanes: element j of the word read; pass 2 scales by c; lane 0's multiplier also
        // takes the interpolation step and mant * gain (the table difference is an operand).
        self.sqsum.next = 0.into();
        self.wword.next = 0.into();
        for j in 0..K {
            self.lanes[j].clock.next = self.clock.val();
            self.lanes[j].x.next = self.a_rdata.val().get_bits::<16>(16 * j);
            self.lanes[j].ov.next = false;
            self.lanes[j].oa.next = self.td.q.val();
            self.lanes[j].ob.next = bit_cast::<16, 8>(self.frac.q.val());
            self.lanes[j].scale.next = self.d2b.q.val();
            self.lanes[j].c.next = self.c.q.val();
            self.lanes[j].rsh.next = self.rsh.q.val();
            self.lanes[j].lsh.next = self.lsh.q.val();
            self.lanes[j].neg_s.next = self.neg_s.q.val();
            self.sqsum.next = self.sqsum.val() + self.lanes[j].sq.val();
            self.wword.next = self.wword.val() | (self.lanes[j].y.val() << self.lane_sh[j].val());
        }
        self.lanes[0].ov.next = self.ft.q.val() | self.fc.q.val();
        if self.fc.q.val() {
            self.lanes[0].oa.next = self.mant.q.val();
            self.lanes[0].ob.next = self.gain.val();
        }
        self.mp.next = self.lanes[0].mp.val();
        // Pass 1: squares (in the lanes), then accumulate. With `pre`, V = eps_term + S in
        // cycle 2 (S then holds the square of a write in cycle -1).
        self.sqv.d.next = self.d1b.q.val();
        self.sql.d.next = self.dl1b.q.val();
        if self.idle_start.val() & (self.len.val() != 0) & !self.pre.val() {
            self.acc.d.next = bit_cast::<48, 32>(self.eps_term.val());
        }
        if self.sqv.q.val() {
            self.acc.d.next = self.acc.q.val() + self.sqsum.val();
        }
        if self.pe2.q.val() {
            self.acc.d.next = self.ssq.q.val() + bit_cast::<48, 32>(self.eps_term.val());
        }
        // rsqrt, cycle n + 3 (3 with `pre`): normalise V by even shifts so its top two bits
        // are not both zero.
        self.fn_.d.next = (self.sqv.q.val() & self.sql.q.val()) | self.pe2.q.val();
        self.n1.next = self.acc.q.val();
        self.j1.next = 0.into();
        if self.acc.q.val().get_bits::<32>(16) == 0 {
            self.n1.next = self.acc.q.val() << 32;
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
        // The table entry and its difference to the next, looked up and registered in the same
        // cycle as the normalisation.
        self.tix.next = self.n5.val().get_bits::<8>(40) - 64;
        self.rom_a.address.next = self.tix.val();
        self.rom_d.address.next = self.tix.val();
        // Pass 2's reads start here: their elements meet the lanes' multipliers from the cycle
        // after `c`'s (n + 6, 6 with `pre`), after lane 0's interpolation and `mant * gain`.
        if self.fn_.q.val() {
            self.p2.d.next = true;
            self.cnt.d.next = 0.into();
            self.ta.d.next = self.rom_a.data.val();
            self.td.d.next = self.rom_d.data.val();
            self.frac.d.next = self.n5.val().get_bits::<8>(32);
            self.kk.d.next = self.c23.val() - self.j5.val();
            self.vz.d.next = self.acc.q.val() == 0;
        }
        // Cycle n + 4: interpolation towards the next entry (the table was read in n + 3).
        self.ft.d.next = self.fn_.q.val();
        self.step.next = (self.mp.val() + 128) >> 8;
        if self.ft.q.val() {
            self.mant.d.next = self.ta.q.val() - self.step.val().get_bits::<16>(0);
            if self.vz.q.val() {
                self.mant.d.next = self.one_q15.val();
                self.kk.d.next = 0.into();
            }
        }
        // Cycle n + 5: c = rshift_round(mant * gain, 15) and s = gain_shift + k - out_frac.
        self.fc.d.next = self.ft.q.val();
        self.cr.next = (self.mp.val() + 0x4000) >> 15;
        self.s16.next = bit_cast::<16, 8>(self.gain_shift.val()) + bit_cast::<16, 8>(self.kk.q.val())
            - bit_cast::<16, 8>(self.out_frac.val());
        self.neg_s16.next = !self.s16.val() + 1;
        if self.fc.q.val() {
            self.c.d.next = self.cr.val().get_bits::<16>(0);
            self.neg_s.d.next = self.s16.val().get_bit(15);
            self.rsh.d.next = self.s16.val().get_bits::<8>(0);
            if self.s16.val() > self.max_r.val() {
                self.rsh.d.next = 47.into();
            }
            self.lsh.d.next = self.neg_s16.val().get_bits::<8>(0);
            if self.neg_s16.val() > self.max_l.val() {
                self.lsh.d.next = 16.into();
            }
        }
        // Pass 2: the lanes' x * c (signed), then rounding shift and saturation, registered
        // before the write.
        self.wv.d.next = self.d2b.q.val();
        self.wl.d.next = self.dl2b.q.val();
        self.wi.d.next = self.i2b.q.val();
        self.yv.d.next = self.wv.q.val();
        self.yl.d.next = self.wl.q.val();
        self.yi.d.next = self.wi.q.val();
        self.a_we.next = self.yv.q.val();
        self.a_waddr.next = self.dst.val() + self.yi.q.val();
        self.a_wdata.next = self.wword.val();
        self.done.next = (self.yv.q.val() & self.yl.q.val()) | self.zdone.q.val();
        if self.yv.q.val() & self.yl.q.val() {
            self.act.d.next = false;
        }
        self.busy.next = self.act.q.val();
        if self.reset.val() {
            self.act.d.next = false;
            self.zdone.d.next = false;
            self.p1.d.next = false;
            self.p2.d.next = false;
            self.pe1.d.next = false;
            self.pe2.d.next = false;
            self.snv.d.next = false;
            self.d1.d.next = false;
            self.dl1.d.next = false;
            self.d1b.d.next = false;
            self.dl1b.d.next = false;
            self.sqv.d.next = false;
            self.sql.d.next = false;
            self.fn_.d.next = false;
            self.ft.d.next = false;
            self.fc.d.next = false;
            self.d2.d.next = false;
            self.dl2.d.next = false;
            self.d2b.d.next = false;
            self.dl2b.d.next = false;
            self.wv.d.next = false;
            self.wl.d.next = false;
            self.yv.d.next = false;
            self.yl.d.next = false;
        }
    }
}

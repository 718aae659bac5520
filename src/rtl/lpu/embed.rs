//! `Embed`, the vector-unit leaf that looks a token and a position up in the weight store:
//! `y_i = sat_i16(wte.rq[tok].apply(wte[tok][i]) + wpe.rq[pos].apply(wpe[pos][i]))` for
//! `i in 0..len`, written to scratchpad element `dst + i`, `K` elements per cycle
//! ([`Embed`]`<K, 16 K, 8 K>`, `K` a power of two up to 16 that divides C; the core uses
//! [`crate::lpu::LpuConfig::vector_chunk`]). Bit-exact model: [`model`] (the numeric module's
//! [`Requant::apply`] and [`sat_i16`], as in `Golden::step`).
//!
//! ```text
//!            +--------------------------------------------+
//! start ---->| rq reads (2)   weight slots k = 0..2n-1    |--> w_en, w_addr, w_lane
//! tok, pos ->|   |            (even: wte, odd: wpe)       |<-- w_byte [8K] (the cycle after w_en)
//! len, dst ->|   v            K lanes (EmbedLane):        |--> rq_en, rq_addr
//! wte/wpe -->| byte -> reg -> *mult -> reg -> Rsr(shift)  |<-- rq_data (the cycle after rq_en)
//! chunks --->|   wte part + wpe part -> sat_i16 -> write  |--> a_we, a_waddr, a_wdata [16K]
//! lg_r,lg_c->|                                            |--> busy, done
//!            +--------------------------------------------+
//! ```
//!
//! Contract (cycle 0 = the cycle `start` is high while idle; inputs stable until `done`;
//! `n = len / K`, `len` and `dst` multiples of `K`, `K` divides C):
//! 1. `len = 0`: no memory access, `done` in cycle 1.
//! 2. Cycle 0: `rq_en` for `wte_rq + tok`; cycle 1: `rq_en` for `wpe_rq + pos`.
//! 3. Cycles `1 ..= 2 n`: one weight read per cycle, slot `k = cycle - 1`, elements
//!    `i = K (k / 2) .. + K`, `wte` row `tok` for even `k`, `wpe` row `pos` for odd `k`, at word
//!    `base + (row >> lg_r) * chunks + (i >> lg_c)`, lane `(row % R) * C + i % C`
//!    (the contract's weight layout); `w_byte[8 j +: 8]` is lane `w_lane + j`'s byte in the
//!    next cycle.
//! 4. Elements `K i .. K i + K` are written (`a_we`; element `a_waddr + j` from
//!    `a_wdata[16 j +: 16]`) in cycle `2 i + 7`; `done` is high with the last write, in cycle
//!    [`cycles`]`(len, K) = 2 n + 5`. `busy` is high from cycle 1 to `done`.
//! 5. While idle every enable (`w_en`, `rq_en`, `a_we`) is low; a `start` while busy is ignored;
//!    `reset` (synchronous) returns to idle.
//!
//! `K + 1` 16 x 16 multipliers: the word offset `(row >> lg_r) * chunks` and one requant
//! product per lane. The requant product is registered before its rounding shift (`Rsr`): the
//! byte, the product and the 48-bit shift in one cycle were the core's ECP5 critical path
//! (docs/lpu.md, "Synthesis"); and each lane registers its byte before the product (the
//! store's block RAM output, the byte select from its wide word and the product in one cycle
//! were the 8x8 core's), and the requant multiplier the lanes share is selected (wte or wpe)
//! one stage early into its own register (the select in front of the lanes was the 8x8
//! two-lane core's).

use crate::model::quant::QuantModel;
use crate::numeric::{sat_i16, Requant};
use crate::rtl::arith::{MulSU16, Rsr, SatAdd16};
use rust_hdl::prelude::*;

/// Cycles from `start` (cycle 0) to `done` for `len` elements, `k` per cycle.
pub fn cycles(len: usize, k: usize) -> u64 {
    if len == 0 {
        1
    } else {
        2 * (len / k) as u64 + 5
    }
}

/// The bit-exact model: the first `len` elements of the embedding sum of `tok` at `pos`.
pub fn model(q: &QuantModel, tok: usize, pos: usize, len: usize) -> Vec<i16> {
    let (rt, rp): (Requant, Requant) = (q.wte.rq[tok], q.wpe.rq[pos]);
    let (wt, wp) = (q.wte.row(tok), q.wpe.row(pos));
    (0..len).map(|i| sat_i16(rt.apply(wt[i] as i64) as i64 + rp.apply(wp[i] as i64) as i64)).collect()
}

/// One lane of Embed: its byte `wb` of each weight read, registered, requantised (`byte * mult`,
/// registered, rounding shift by `s`, saturation), the wte part kept (`keep_t`), the wpe part
/// added with saturation; `y` (low 16 bits of `KW`) is the sum registered, two cycles after the
/// wpe part's product was registered. `mult` belongs to the registered byte (the cycle after
/// `wb`), `s` and `keep_t` to the product.
#[derive(LogicBlock)]
pub struct EmbedLane<const KW: usize> {
    pub clock: Signal<In, Clock>,
    pub wb: Signal<In, Bits<8>>,
    pub mult: Signal<In, Bits<16>>,
    pub s: Signal<In, Bits<8>>,
    pub keep_t: Signal<In, Bit>,
    pub y: Signal<Out, Bits<KW>>,
    wbr: DFF<Bits<8>>,
    prod: DFF<Bits<32>>,
    r2: DFF<Bits<16>>,
    yt: DFF<Bits<16>>,
    wd3: DFF<Bits<16>>,
    mul: MulSU16,
    rsr: Rsr,
    byte16: Signal<Local, Bits<16>>,
    p48: Signal<Local, Bits<48>>,
    sadd: SatAdd16,
    hi16: Constant<Bits<16>>,
    hi48: Constant<Bits<48>>,
}

impl<const KW: usize> Default for EmbedLane<KW> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            wb: Default::default(),
            mult: Default::default(),
            s: Default::default(),
            keep_t: Default::default(),
            y: Default::default(),
            wbr: Default::default(),
            prod: Default::default(),
            r2: Default::default(),
            yt: Default::default(),
            wd3: Default::default(),
            mul: Default::default(),
            rsr: Default::default(),
            byte16: Default::default(),
            p48: Default::default(),
            sadd: Default::default(),
            hi16: Constant::new(0xff00u64.to_bits()),
            hi48: Constant::new(0xffff_0000_0000u64.to_bits()),
        }
    }
}

impl<const KW: usize> Logic for EmbedLane<KW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, wbr, prod, r2, yt, wd3);
        // Stage 1: the byte as it arrives (cut from the store's word), registered. Stage 1a: the
        // byte, sign-extended, times its table's mult; registered.
        self.wbr.d.next = self.wb.val();
        self.byte16.next = bit_cast::<16, 8>(self.wbr.q.val());
        if self.wbr.q.val().get_bit(7) {
            self.byte16.next = bit_cast::<16, 8>(self.wbr.q.val()) | self.hi16.val();
        }
        self.mul.a.next = self.byte16.val();
        self.mul.b.next = self.mult.val();
        self.prod.d.next = self.mul.p.val();
        // Stage 1b: the registered product's rounding shift and saturation.
        self.p48.next = bit_cast::<48, 32>(self.prod.q.val());
        if self.prod.q.val().get_bit(31) {
            self.p48.next = bit_cast::<48, 32>(self.prod.q.val()) | self.hi48.val();
        }
        self.rsr.x.next = self.p48.val();
        self.rsr.s.next = self.s.val();
        self.r2.d.next = self.rsr.sat.val();
        // Stage 2: keep the wte part; add the wpe part and saturate.
        if self.keep_t.val() {
            self.yt.d.next = self.r2.q.val();
        }
        self.sadd.a.next = self.yt.q.val();
        self.sadd.b.next = self.r2.q.val();
        self.wd3.d.next = self.sadd.y.val();
        self.y.next = bit_cast::<KW, 16>(self.wd3.q.val());
    }
}

/// Embed with `K` lanes; `KW = 16 K` (write word), `BW = 8 K` (bytes of a weight read).
#[derive(LogicBlock)]
pub struct Embed<const K: usize, const KW: usize, const BW: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub start: Signal<In, Bit>,
    pub tok: Signal<In, Bits<8>>,
    pub pos: Signal<In, Bits<8>>,
    pub len: Signal<In, Bits<16>>,
    pub dst: Signal<In, Bits<16>>,
    pub wte_base: Signal<In, Bits<16>>,
    pub wpe_base: Signal<In, Bits<16>>,
    pub chunks: Signal<In, Bits<16>>,
    pub wte_rq: Signal<In, Bits<16>>,
    pub wpe_rq: Signal<In, Bits<16>>,
    pub lg_r: Signal<In, Bits<4>>,
    pub lg_c: Signal<In, Bits<4>>,
    pub w_en: Signal<Out, Bit>,
    pub w_addr: Signal<Out, Bits<16>>,
    pub w_lane: Signal<Out, Bits<8>>,
    pub w_byte: Signal<In, Bits<BW>>,
    pub rq_en: Signal<Out, Bit>,
    pub rq_addr: Signal<Out, Bits<16>>,
    pub rq_data: Signal<In, Bits<24>>,
    pub a_we: Signal<Out, Bit>,
    pub a_waddr: Signal<Out, Bits<16>>,
    pub a_wdata: Signal<Out, Bits<KW>>,
    pub busy: Signal<Out, Bit>,
    pub done: Signal<Out, Bit>,
    act: DFF<Bit>,
    zdone: DFF<Bit>,
    run: DFF<Bit>,
    k: DFF<Bits<17>>,
    rq2: DFF<Bit>,
    rqv2: DFF<Bit>,
    mult_t: DFF<Bits<16>>,
    shift_t: DFF<Bits<8>>,
    mult_p: DFF<Bits<16>>,
    shift_p: DFF<Bits<8>>,
    v1: DFF<Bit>,
    ph1: DFF<Bit>,
    l1: DFF<Bit>,
    i1: DFF<Bits<16>>,
    vb: DFF<Bit>,
    phb: DFF<Bit>,
    lb: DFF<Bit>,
    ib: DFF<Bits<16>>,
    vp: DFF<Bit>,
    php: DFF<Bit>,
    lp: DFF<Bit>,
    ip: DFF<Bits<16>>,
    sp: DFF<Bits<8>>,
    v2: DFF<Bit>,
    ph2: DFF<Bit>,
    l2: DFF<Bit>,
    i2: DFF<Bits<16>>,
    v3: DFF<Bit>,
    l3: DFF<Bit>,
    i3: DFF<Bits<16>>,
    lanes: Vec<EmbedLane<KW>>,
    idle_start: Signal<Local, Bit>,
    idx: Signal<Local, Bits<16>>,
    ph: Signal<Local, Bit>,
    last: Signal<Local, Bit>,
    row: Signal<Local, Bits<8>>,
    tile: Signal<Local, Bits<16>>,
    offset: Signal<Local, Bits<32>>,
    base: Signal<Local, Bits<16>>,
    rmask: Signal<Local, Bits<8>>,
    cmask: Signal<Local, Bits<8>>,
    mb: DFF<Bits<16>>,
    wword: Signal<Local, Bits<KW>>,
    lane_sh: Vec<Constant<Bits<8>>>,
    lg_k: Constant<Bits<4>>,
    one8: Constant<Bits<8>>,
}

impl<const K: usize, const KW: usize, const BW: usize> Default for Embed<K, KW, BW> {
    fn default() -> Self {
        assert!(K.is_power_of_two() && K <= 16 && KW == 16 * K && BW == 8 * K, "Embed<K, 16 K, 8 K> with K in 1, 2, 4, 8, 16");
        Self {
            clock: Default::default(),
            reset: Default::default(),
            start: Default::default(),
            tok: Default::default(),
            pos: Default::default(),
            len: Default::default(),
            dst: Default::default(),
            wte_base: Default::default(),
            wpe_base: Default::default(),
            chunks: Default::default(),
            wte_rq: Default::default(),
            wpe_rq: Default::default(),
            lg_r: Default::default(),
            lg_c: Default::default(),
            w_en: Default::default(),
            w_addr: Default::default(),
            w_lane: Default::default(),
            w_byte: Default::default(),
            rq_en: Default::default(),
            rq_addr: Default::default(),
            rq_data: Default::default(),
            a_we: Default::default(),
            a_waddr: Default::default(),
            a_wdata: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            act: Default::default(),
            zdone: Default::default(),
            run: Default::default(),
            k: Default::default(),
            rq2: Default::default(),
            rqv2: Default::default(),
            mult_t: Default::default(),
            shift_t: Default::default(),
            mult_p: Default::default(),
            shift_p: Default::default(),
            v1: Default::default(),
            ph1: Default::default(),
            l1: Default::default(),
            i1: Default::default(),
            vb: Default::default(),
            phb: Default::default(),
            lb: Default::default(),
            ib: Default::default(),
            vp: Default::default(),
            php: Default::default(),
            lp: Default::default(),
            ip: Default::default(),
            sp: Default::default(),
            v2: Default::default(),
            ph2: Default::default(),
            l2: Default::default(),
            i2: Default::default(),
            v3: Default::default(),
            l3: Default::default(),
            i3: Default::default(),
            lanes: (0..K).map(|_| EmbedLane::default()).collect(),
            idle_start: Default::default(),
            idx: Default::default(),
            ph: Default::default(),
            last: Default::default(),
            row: Default::default(),
            tile: Default::default(),
            offset: Default::default(),
            base: Default::default(),
            rmask: Default::default(),
            cmask: Default::default(),
            mb: Default::default(),
            wword: Default::default(),
            lane_sh: crate::rtl::lpu::vector::lane_shifts(K),
            lg_k: Constant::new((K.trailing_zeros() as u64).to_bits()),
            one8: Constant::new(1u64.to_bits()),
        }
    }
}

impl<const K: usize, const KW: usize, const BW: usize> Logic for Embed<K, KW, BW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, act, zdone, run, k, rq2, rqv2, mult_t, shift_t, mult_p, shift_p, v1, ph1, l1, i1, vb, phb, lb, ib, vp, php, lp, ip, sp, mb, v2, ph2,
            l2, i2, v3, l3, i3
        );
        self.idle_start.next = self.start.val() & !self.act.q.val() & !self.zdone.q.val();
        // Slot decode: elements K (k / 2) .., table k % 2 (0 = wte, 1 = wpe).
        self.idx.next = self.k.q.val().get_bits::<16>(1) << self.lg_k.val();
        self.ph.next = self.k.q.val().get_bit(0);
        self.last.next = (self.k.q.val() + 1) == ((bit_cast::<17, 16>(self.len.val()) >> self.lg_k.val()) << 1);
        self.row.next = self.tok.val();
        self.base.next = self.wte_base.val();
        if self.ph.val() {
            self.row.next = self.pos.val();
            self.base.next = self.wpe_base.val();
        }
        self.tile.next = bit_cast::<16, 8>(self.row.val()) >> self.lg_r.val();
        self.offset.next = self.tile.val() * self.chunks.val();
        self.rmask.next = (self.one8.val() << self.lg_r.val()) - 1;
        self.cmask.next = (self.one8.val() << self.lg_c.val()) - 1;
        self.w_addr.next = self.base.val() + self.offset.val().get_bits::<16>(0) + (self.idx.val() >> self.lg_c.val());
        self.w_lane.next =
            ((self.row.val() & self.rmask.val()) << self.lg_c.val()) | (self.idx.val().get_bits::<8>(0) & self.cmask.val());
        self.w_en.next = self.run.q.val();
        // Requant reads: wte row in the start cycle, wpe row the cycle after.
        self.rq_en.next = false;
        self.rq_addr.next = self.wpe_rq.val() + bit_cast::<16, 8>(self.pos.val());
        if self.idle_start.val() & (self.len.val() != 0) {
            self.rq_en.next = true;
            self.rq_addr.next = self.wte_rq.val() + bit_cast::<16, 8>(self.tok.val());
        }
        if self.rq2.q.val() {
            self.rq_en.next = true;
        }
        self.rq2.d.next = false;
        self.rqv2.d.next = self.rq2.q.val();
        if self.rq2.q.val() {
            self.mult_t.d.next = self.rq_data.val().get_bits::<16>(0);
            self.shift_t.d.next = bit_cast::<8, 6>(self.rq_data.val().get_bits::<6>(16));
        }
        if self.rqv2.q.val() {
            self.mult_p.d.next = self.rq_data.val().get_bits::<16>(0);
            self.shift_p.d.next = bit_cast::<8, 6>(self.rq_data.val().get_bits::<6>(16));
        }
        // Slot sequencer.
        self.zdone.d.next = self.idle_start.val() & (self.len.val() == 0);
        if self.run.q.val() {
            self.k.d.next = self.k.q.val() + 1;
            if self.last.val() {
                self.run.d.next = false;
            }
        }
        if self.idle_start.val() & (self.len.val() != 0) {
            self.act.d.next = true;
            self.run.d.next = true;
            self.rq2.d.next = true;
            self.k.d.next = 0.into();
        }
        // Stage 1: the bytes arrive and each lane registers its own; stage 1a: each lane
        // requantises its byte with the table's mult and shift (stage 1b), keeps the wte part
        // and adds the wpe part (stage 2).
        self.v1.d.next = self.run.q.val();
        self.ph1.d.next = self.ph.val();
        self.l1.d.next = self.last.val();
        self.i1.d.next = self.idx.val();
        self.vb.d.next = self.v1.q.val();
        self.phb.d.next = self.ph1.q.val();
        self.lb.d.next = self.l1.q.val();
        self.ib.d.next = self.i1.q.val();
        // The table's multiplier for stage b is selected and registered in stage 1 (`mb`): one
        // register drives the K lanes' products, with no select between it and them (the
        // select by `phb` in front of the lanes was the 8x8 two-lane core's ECP5 critical path).
        self.mb.d.next = self.mult_t.q.val();
        if self.ph1.q.val() {
            self.mb.d.next = self.mult_p.q.val();
        }
        self.sp.d.next = self.shift_t.q.val();
        if self.phb.q.val() {
            self.sp.d.next = self.shift_p.q.val();
        }
        self.vp.d.next = self.vb.q.val();
        self.php.d.next = self.phb.q.val();
        self.lp.d.next = self.lb.q.val();
        self.ip.d.next = self.ib.q.val();
        self.v2.d.next = self.vp.q.val();
        self.ph2.d.next = self.php.q.val();
        self.l2.d.next = self.lp.q.val();
        self.i2.d.next = self.ip.q.val();
        self.wword.next = 0.into();
        for j in 0..K {
            self.lanes[j].clock.next = self.clock.val();
            self.lanes[j].wb.next = self.w_byte.val().get_bits::<8>(8 * j);
            self.lanes[j].mult.next = self.mb.q.val();
            self.lanes[j].s.next = self.sp.q.val();
            self.lanes[j].keep_t.next = self.v2.q.val() & !self.ph2.q.val();
            self.wword.next = self.wword.val() | (self.lanes[j].y.val() << self.lane_sh[j].val());
        }
        self.v3.d.next = self.v2.q.val() & self.ph2.q.val();
        self.l3.d.next = self.l2.q.val();
        self.i3.d.next = self.i2.q.val();
        // Stage 3: the write.
        self.a_we.next = self.v3.q.val();
        self.a_waddr.next = self.dst.val() + self.i3.q.val();
        self.a_wdata.next = self.wword.val();
        self.done.next = (self.v3.q.val() & self.l3.q.val()) | self.zdone.q.val();
        if self.v3.q.val() & self.l3.q.val() {
            self.act.d.next = false;
        }
        self.busy.next = self.act.q.val();
        if self.reset.val() {
            self.act.d.next = false;
            self.zdone.d.next = false;
            self.run.d.next = false;
            self.rq2.d.next = false;
            self.rqv2.d.next = false;
            self.v1.d.next = false;
            self.vb.d.next = false;
            self.vp.d.next = false;
            self.v2.d.next = false;
            self.v3.d.next = false;
        }
    }
}

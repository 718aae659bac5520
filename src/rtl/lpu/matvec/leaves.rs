//! The matrix unit's rust-hdl leaves: the controller ([`Ctrl`]), one weight x activation
//! product with its adder ([`Mac`]), an adder ([`crate::rtl::arith::Add`]`<32>`), a row's accumulator with its hold
//! register ([`Acc`]) and the serial requantiser ([`Rq`]). The structural top ([`super::top`])
//! wires per row `C` of [`Mac`] in pairs and a tree of `C/2 - 1` [`crate::rtl::arith::Add`]`<32>` (depth
//! `log2(C) - 1`), `R` of [`Acc`], one [`Ctrl`] and `W` of [`Rq`].
//!
//! Cycle contract (start pulse in cycle 0; `P = max(chunks, R)`; tile `t` has `R_t` rows; in
//! the wide mode read "`W` rows" for "one row" in 3 to 5, `R / W` for `R` in `P`):
//! 1. [`Ctrl`] issues the word reads of tile `t`, chunk `k` (`w_en`, `s_en`) in cycle
//!    `1 + t*P + k`, `k < chunks`; cycles `1 + t*P + chunks .. 1 + (t+1)*P - 1` issue nothing.
//! 2. The data of a read arrives the cycle after and the top registers it (weight bytes and `x`
//!    words, before the multipliers); in the cycle after that the products, summed in pairs,
//!    are registered (before the adder tree); in the cycle after that `v` is high (`first` for
//!    chunk 0, `last` for chunk `chunks-1`) and every [`Acc`] adds its row's `C` products. With
//!    `last` the complete sum goes straight into the row's hold register (edge ending cycle
//!    `L_t = 3 + t*P + chunks`).
//! 3. In cycles `L_t + 1 + i`, `i < R_t`, `cap` is high: the hold registers shift by one row
//!    towards row 0 and [`Rq`] captures row `i`'s sum (`h0`). `rq_en` reads row `i`'s requant
//!    word one cycle earlier (`L_t + i`), so that [`Rq`] registers it with the capture.
//!    Since `P >= R`, the next tile's sums reach the hold registers at the earliest at the edge
//!    ending the cycle of the last `cap` (the latch wins; `cap` still captured the old row 0).
//! 4. [`Rq`] multiplies (edge ending `L_t + 2 + i`), adds the rounding half (edge ending
//!    `L_t + 3 + i`) and shifts and saturates: `a_we` with row `t*R + i` in cycle `L_t + 4 + i`;
//!    `done` with the write of the tensor's last row.
//! 5. With `acc`, [`Ctrl`] reads element `dst + t*R + i` (`a_ren`) in cycle `L_t + 3 + i`; its
//!    data arrives with the write cycle and [`Rq`] adds it, saturating. Same cycles.
//! 6. Overlap: `ready` (registered) rises the cycle after the last read's period ends when a
//!    tile has at most 2 write cycles, else once at most 3 capture cycles of the last tile
//!    remain after the cycle before; a `start` in a cycle with `ready`
//!    begins the next product while this one's rows are requantised and written. What the
//!    requant side needs of a product (`rq_base`, `dst`, `rows`, `acc`, `relu`, `wide`, `tag`)
//!    is latched with its reads, delayed to each tile's hand-over and taken there, then carried with each row
//!    through the three stages, so the inputs may change once `ready` is high; `rtag` and
//!    `wtag` name the product of the `a_ren` and of the write (and `done`). Without a start
//!    before `done`, the cycles are those above.

use crate::rtl::arith::{MulQ, Sat16, SatAdd16};
use rust_hdl::prelude::*;

/// The sequencer: addresses, the accumulate flags and the requant/write pipeline.
#[derive(Clone, Debug, LogicBlock)]
pub struct Ctrl {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub start: Signal<In, Bit>,
    pub w_base: Signal<In, Bits<16>>,
    pub rq_base: Signal<In, Bits<16>>,
    pub rows: Signal<In, Bits<16>>,
    pub chunks: Signal<In, Bits<16>>,
    pub src: Signal<In, Bits<16>>,
    pub dst: Signal<In, Bits<16>>,
    /// `R` (a constant from the configuration).
    pub rr: Signal<In, Bits<16>>,
    /// `log2 C` (a constant from the configuration).
    pub lg_c: Signal<In, Bits<8>>,
    /// Accumulate: read `dst + r` the cycle before row `r` is written (`a_ren`, `a_raddr`).
    pub acc: Signal<In, Bit>,
    /// Wide: `W` rows per cycle through the chunk write (`k_we`), else one (`a_we`).
    pub wide: Signal<In, Bit>,
    /// `W` (a constant from the configuration).
    pub ww: Signal<In, Bits<16>>,
    /// `R / W` (a constant from the configuration).
    pub gg: Signal<In, Bits<16>>,
    /// Write `max(0, y)` (latched with each tile's hand-over, like `rq_base`, `rows`, `dst`,
    /// `acc` and `wide`, so that the requant side of a product does not read the inputs).
    pub relu: Signal<In, Bit>,
    /// The product's tag (the batched core: its sequence), latched with each tile's hand-over
    /// and carried with its rows to `rtag` (the `a_ren` stage) and `wtag` (the write and `done`).
    pub tag: Signal<In, Bits<2>>,
    pub busy: Signal<Out, Bit>,
    /// The next product may start: every read of this one is issued and its last tile handed
    /// over, with at most 4 capture cycles left (registered; low the cycle after a start).
    pub ready: Signal<Out, Bit>,
    pub rtag: Signal<Out, Bits<2>>,
    pub wtag: Signal<Out, Bits<2>>,
    /// The hand-over's `wide` (the hold registers' shift), and `relu` / `acc` of the row written now.
    pub qwide: Signal<Out, Bit>,
    pub wrelu: Signal<Out, Bit>,
    pub wacc: Signal<Out, Bit>,
    pub done: Signal<Out, Bit>,
    pub w_en: Signal<Out, Bit>,
    pub w_addr: Signal<Out, Bits<16>>,
    pub s_en: Signal<Out, Bit>,
    pub s_addr: Signal<Out, Bits<16>>,
    pub rq_en: Signal<Out, Bit>,
    pub rq_addr: Signal<Out, Bits<16>>,
    pub a_we: Signal<Out, Bit>,
    pub k_we: Signal<Out, Bit>,
    /// Wide: lane `j` of the write is a row of the tensor (bit `j`; rows past its last are
    /// not written). All ones otherwise.
    pub k_wm: Signal<Out, Bits<16>>,
    pub a_waddr: Signal<Out, Bits<16>>,
    pub a_ren: Signal<Out, Bit>,
    pub a_raddr: Signal<Out, Bits<16>>,
    pub v: Signal<Out, Bit>,
    pub first: Signal<Out, Bit>,
    pub last: Signal<Out, Bit>,
    pub cap: Signal<Out, Bit>,
    run: DFF<Bit>,
    bsy: DFF<Bit>,
    k: DFF<Bits<16>>,
    wp: DFF<Bits<16>>,
    trow: DFF<Bits<16>>,
    v1: DFF<Bit>,
    f1: DFF<Bit>,
    l1: DFF<Bit>,
    v2: DFF<Bit>,
    f2: DFF<Bit>,
    l2: DFF<Bit>,
    v3: DFF<Bit>,
    f3: DFF<Bit>,
    l3: DFF<Bit>,
    lrow: DFF<Bits<16>>,
    qrow: DFF<Bits<16>>,
    qend: DFF<Bits<16>>,
    pr: DFF<Bits<16>>,
    pe: DFF<Bits<16>>,
    pa: DFF<Bits<16>>,
    prq: DFF<Bits<16>>,
    pdst: DFF<Bits<16>>,
    prows: DFF<Bits<16>>,
    pacc: DFF<Bit>,
    prelu: DFF<Bit>,
    pwide: DFF<Bit>,
    ptag: DFF<Bits<2>>,
    p2rq: DFF<Bits<16>>,
    p2dst: DFF<Bits<16>>,
    p2rows: DFF<Bits<16>>,
    p2acc: DFF<Bit>,
    p2relu: DFF<Bit>,
    p2wide: DFF<Bit>,
    p2tag: DFF<Bits<2>>,
    p3rq: DFF<Bits<16>>,
    p3dst: DFF<Bits<16>>,
    p3rows: DFF<Bits<16>>,
    p3acc: DFF<Bit>,
    p3relu: DFF<Bit>,
    p3wide: DFF<Bit>,
    p3tag: DFF<Bits<2>>,
    cd: DFF<Bits<16>>,
    tdst: DFF<Bits<16>>,
    tlast: DFF<Bit>,
    tacc: DFF<Bit>,
    trelu: DFF<Bit>,
    twide: DFF<Bit>,
    ttag: DFF<Bits<2>>,
    rdy: DFF<Bit>,
    c1: DFF<Bit>,
    e1: DFF<Bit>,
    x1: DFF<Bits<16>>,
    x2: DFF<Bits<16>>,
    d1: DFF<Bits<16>>,
    a1: DFF<Bit>,
    u1: DFF<Bit>,
    w1: DFF<Bit>,
    t1: DFF<Bits<2>>,
    c2: DFF<Bit>,
    e2: DFF<Bit>,
    d2: DFF<Bits<16>>,
    a2: DFF<Bit>,
    u2: DFF<Bit>,
    w2: DFF<Bit>,
    t2: DFF<Bits<2>>,
    c3: DFF<Bit>,
    e3: DFF<Bit>,
    d3: DFF<Bits<16>>,
    a3: DFF<Bit>,
    u3: DFF<Bit>,
    w3: DFF<Bit>,
    t3: DFF<Bits<2>>,
    m3: DFF<Bits<16>>,
    per: Signal<Local, Bits<16>>,
    tper: Signal<Local, Bits<16>>,
    tstep: Signal<Local, Bits<16>>,
    hand: Signal<Local, Bit>,
    fall: Signal<Local, Bit>,
    hstep: Signal<Local, Bits<16>>,
    front: Signal<Local, Bit>,
    issue: Signal<Local, Bit>,
    qact: Signal<Local, Bit>,
    lend: Signal<Local, Bits<16>>,
    lendc: Signal<Local, Bits<16>>,
    pact: Signal<Local, Bit>,
    rem: Signal<Local, Bits<16>>,
    // 16-bit constants: rust-hdl writes integer literals as 32 bits (a WIDTH lint warning).
    one: Constant<Bits<16>>,
    zero: Constant<Bits<16>>,
    ones: Constant<Bits<16>>,
    c16: Constant<Bits<16>>,
    two: Constant<Bits<16>>,
}

impl Default for Ctrl {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            start: Default::default(),
            w_base: Default::default(),
            rq_base: Default::default(),
            rows: Default::default(),
            chunks: Default::default(),
            src: Default::default(),
            dst: Default::default(),
            rr: Default::default(),
            lg_c: Default::default(),
            acc: Default::default(),
            wide: Default::default(),
            ww: Default::default(),
            gg: Default::default(),
            relu: Default::default(),
            tag: Default::default(),
            busy: Default::default(),
            ready: Default::default(),
            rtag: Default::default(),
            wtag: Default::default(),
            qwide: Default::default(),
            wrelu: Default::default(),
            wacc: Default::default(),
            done: Default::default(),
            w_en: Default::default(),
            w_addr: Default::default(),
            s_en: Default::default(),
            s_addr: Default::default(),
            rq_en: Default::default(),
            rq_addr: Default::default(),
            a_we: Default::default(),
            k_we: Default::default(),
            k_wm: Default::default(),
            a_waddr: Default::default(),
            a_ren: Default::default(),
            a_raddr: Default::default(),
            v: Default::default(),
            first: Default::default(),
            last: Default::default(),
            cap: Default::default(),
            run: Default::default(),
            bsy: Default::default(),
            k: Default::default(),
            wp: Default::default(),
            trow: Default::default(),
            v1: Default::default(),
            f1: Default::default(),
            l1: Default::default(),
            v2: Default::default(),
            f2: Default::default(),
            l2: Default::default(),
            v3: Default::default(),
            f3: Default::default(),
            l3: Default::default(),
            lrow: Default::default(),
            qrow: Default::default(),
            qend: Default::default(),
            pr: Default::default(),
            pe: Default::default(),
            pa: Default::default(),
            prq: Default::default(),
            pdst: Default::default(),
            prows: Default::default(),
            pacc: Default::default(),
            prelu: Default::default(),
            pwide: Default::default(),
            ptag: Default::default(),
            p2rq: Default::default(),
            p2dst: Default::default(),
            p2rows: Default::default(),
            p2acc: Default::default(),
            p2relu: Default::default(),
            p2wide: Default::default(),
            p2tag: Default::default(),
            p3rq: Default::default(),
            p3dst: Default::default(),
            p3rows: Default::default(),
            p3acc: Default::default(),
            p3relu: Default::default(),
            p3wide: Default::default(),
            p3tag: Default::default(),
            cd: Default::default(),
            tdst: Default::default(),
            tlast: Default::default(),
            tacc: Default::default(),
            trelu: Default::default(),
            twide: Default::default(),
            ttag: Default::default(),
            rdy: Default::default(),
            c1: Default::default(),
            e1: Default::default(),
            x1: Default::default(),
            x2: Default::default(),
            d1: Default::default(),
            a1: Default::default(),
            u1: Default::default(),
            w1: Default::default(),
            t1: Default::default(),
            c2: Default::default(),
            e2: Default::default(),
            d2: Default::default(),
            a2: Default::default(),
            u2: Default::default(),
            w2: Default::default(),
            t2: Default::default(),
            c3: Default::default(),
            e3: Default::default(),
            d3: Default::default(),
            a3: Default::default(),
            u3: Default::default(),
            w3: Default::default(),
            t3: Default::default(),
            m3: Default::default(),
            per: Default::default(),
            tper: Default::default(),
            tstep: Default::default(),
            hand: Default::default(),
            fall: Default::default(),
            hstep: Default::default(),
            front: Default::default(),
            issue: Default::default(),
            qact: Default::default(),
            lend: Default::default(),
            lendc: Default::default(),
            pact: Default::default(),
            rem: Default::default(),
            one: Constant::new(1u64.to_bits()),
            zero: Constant::new(0u64.to_bits()),
            ones: Constant::new(0xffffu64.to_bits()),
            c16: Constant::new(16u64.to_bits()),
            two: Constant::new(2u64.to_bits()),
        }
    }
}

impl Logic for Ctrl {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, run, bsy, k, wp, trow, v1, f1, l1, v2, f2, l2, v3, f3, l3, lrow, qrow, qend, pr, pe, pa, prq, pdst, prows, pacc, prelu, pwide, ptag, p2rq, p2dst, p2rows, p2acc, p2relu, p2wide, p2tag, p3rq, p3dst, p3rows, p3acc, p3relu, p3wide, p3tag, cd, tdst, tlast, tacc, trelu, twide, ttag, rdy, c1, e1, x1, x2, d1, a1, u1, w1, t1, c2, e2, d2, a2, u2, w2, t2, c3, e3, d3, a3, u3, w3, t3, m3);
        // Issue side (the inputs of the product that started): tile after tile, chunks reads
        // then P - chunks idle cycles (P = max(chunks, the tile's write cycles: R, or R / W
        // when wide).
        self.tper.next = self.rr.val();
        if self.wide.val() {
            self.tper.next = self.gg.val();
        }
        self.per.next = self.chunks.val();
        if self.tper.val() > self.chunks.val() {
            self.per.next = self.tper.val();
        }
        self.issue.next = self.run.q.val() & (self.k.q.val() < self.chunks.val());
        self.w_en.next = self.issue.val();
        self.s_en.next = self.issue.val();
        self.w_addr.next = self.wp.q.val();
        self.s_addr.next = (self.src.val() >> self.lg_c.val()) + self.k.q.val();
        if self.issue.val() {
            self.wp.d.next = self.wp.q.val() + self.one.val();
            // What the requant side takes at a tile's hand-over, from the product whose reads
            // are issued (three cycles before the hand-over: a next product's first read comes
            // at least that late, so the last tile's hand-over still finds its own).
            self.prq.d.next = self.rq_base.val();
            self.pdst.d.next = self.dst.val();
            self.prows.d.next = self.rows.val();
            self.pacc.d.next = self.acc.val();
            self.prelu.d.next = self.relu.val();
            self.pwide.d.next = self.wide.val();
            self.ptag.d.next = self.tag.val();
        }
        // ... and delayed to the hand-over of the tile whose last read that was (three cycles
        // later): the next product may then start the cycle after this one's last read.
        self.p2rq.d.next = self.prq.q.val();
        self.p3rq.d.next = self.p2rq.q.val();
        self.p2dst.d.next = self.pdst.q.val();
        self.p3dst.d.next = self.p2dst.q.val();
        self.p2rows.d.next = self.prows.q.val();
        self.p3rows.d.next = self.p2rows.q.val();
        self.p2acc.d.next = self.pacc.q.val();
        self.p3acc.d.next = self.p2acc.q.val();
        self.p2relu.d.next = self.prelu.q.val();
        self.p3relu.d.next = self.p2relu.q.val();
        self.p2wide.d.next = self.pwide.q.val();
        self.p3wide.d.next = self.p2wide.q.val();
        self.p2tag.d.next = self.ptag.q.val();
        self.p3tag.d.next = self.p2tag.q.val();
        self.fall.next = false;
        if self.cd.q.val() != self.zero.val() {
            self.cd.d.next = self.cd.q.val() - self.one.val();
        }
        if self.run.q.val() {
            self.k.d.next = self.k.q.val() + self.one.val();
            if (self.k.q.val() + self.one.val()) == self.per.val() {
                self.k.d.next = self.zero.val();
                self.trow.d.next = self.trow.q.val() + self.rr.val();
                if (self.trow.q.val() + self.rr.val()) >= self.rows.val() {
                    self.run.d.next = false;
                    self.fall.next = true;
                    // The last tile's capture cycles, at most R (R / W when wide).
                    self.cd.d.next = self.tper.val();
                }
            }
        }
        // Data side: the flags three cycles after the read (the data arrives after one and is
        // registered in the top before the multipliers; the products, summed in pairs, are
        // registered before the adder tree).
        self.v1.d.next = self.issue.val();
        self.f1.d.next = self.k.q.val() == self.zero.val();
        self.l1.d.next = (self.k.q.val() + self.one.val()) == self.chunks.val();
        self.v2.d.next = self.v1.q.val();
        self.f2.d.next = self.f1.q.val();
        self.l2.d.next = self.l1.q.val();
        self.v3.d.next = self.v2.q.val();
        self.f3.d.next = self.f2.q.val();
        self.l3.d.next = self.l2.q.val();
        self.v.next = self.v3.q.val();
        self.first.next = self.f3.q.val();
        self.last.next = self.l3.q.val();
        // Requant side: rows qrow .. qend-1 of the tile handed over, one (W when wide) per
        // cycle. What it needs of the product (rq_base as the address `pa`, dst, acc, relu,
        // wide, the tag, whether the tile is the last) is latched with the hand-over and then
        // carried with each row through the stages, so that a next product may start (and its
        // inputs change) while this one's rows are still requantised and written.
        self.hand.next = self.v3.q.val() & self.l3.q.val();
        self.tstep.next = self.one.val();
        if self.twide.q.val() {
            self.tstep.next = self.ww.val();
        }
        self.qwide.next = self.twide.q.val();
        self.lend.next = self.lrow.q.val() + self.rr.val();
        self.lendc.next = self.lend.val();
        if self.lend.val() > self.p3rows.q.val() {
            self.lendc.next = self.p3rows.q.val();
        }
        self.hstep.next = self.one.val();
        if self.p3wide.q.val() {
            self.hstep.next = self.ww.val();
        }
        self.qact.next = self.qrow.q.val() < self.qend.q.val();
        self.cap.next = self.qact.val();
        if self.qact.val() {
            self.qrow.d.next = self.qrow.q.val() + self.tstep.val();
        }
        // The same rows one cycle earlier (pr .. pe-1; the tile's first with the hand-over):
        // each row's requant word is read the cycle before its capture, so that the
        // requantiser registers it (the word's wires cross the chip to the W requantisers: the
        // 8x8 two-lane core's path at a8cd667). Registers and one compare, not the next state
        // (at c77242e start -> the next state -> rq_addr -> the memory was 21.40 ns).
        self.pact.next = self.pr.q.val() < self.pe.q.val();
        self.rq_en.next = self.pact.val();
        self.rq_addr.next = self.pa.q.val();
        if self.pact.val() {
            self.pr.d.next = self.pr.q.val() + self.tstep.val();
            self.pa.d.next = self.pa.q.val() + self.tstep.val();
        }
        if self.hand.val() {
            self.lrow.d.next = self.lend.val();
            if self.lend.val() >= self.p3rows.q.val() {
                self.lrow.d.next = self.zero.val();
            }
            self.qrow.d.next = self.lrow.q.val();
            self.qend.d.next = self.lendc.val();
            self.rq_en.next = true;
            self.rq_addr.next = self.p3rq.q.val() + self.lrow.q.val();
            self.pr.d.next = self.lrow.q.val() + self.hstep.val();
            self.pa.d.next = self.p3rq.q.val() + self.lrow.q.val() + self.hstep.val();
            self.pe.d.next = self.lendc.val();
            self.tdst.d.next = self.p3dst.q.val();
            self.tlast.d.next = self.lend.val() >= self.p3rows.q.val();
            self.tacc.d.next = self.p3acc.q.val();
            self.trelu.d.next = self.p3relu.q.val();
            self.twide.d.next = self.p3wide.q.val();
            self.ttag.d.next = self.p3tag.q.val();
        }
        // Stage 1 (the row captured), 2 (multiplied; the accumulate read), 3 (rounded; written).
        self.c1.d.next = self.qact.val();
        self.e1.d.next = self.tlast.q.val() & ((self.qrow.q.val() + self.tstep.val()) >= self.qend.q.val());
        self.x1.d.next = self.qend.q.val() - self.qrow.q.val();
        self.d1.d.next = self.tdst.q.val() + self.qrow.q.val();
        self.a1.d.next = self.tacc.q.val();
        self.u1.d.next = self.trelu.q.val();
        self.w1.d.next = self.twide.q.val();
        self.t1.d.next = self.ttag.q.val();
        self.c2.d.next = self.c1.q.val();
        self.e2.d.next = self.e1.q.val();
        self.x2.d.next = self.x1.q.val();
        self.d2.d.next = self.d1.q.val();
        self.a2.d.next = self.a1.q.val();
        self.u2.d.next = self.u1.q.val();
        self.w2.d.next = self.w1.q.val();
        self.t2.d.next = self.t1.q.val();
        self.c3.d.next = self.c2.q.val();
        self.e3.d.next = self.e2.q.val();
        self.d3.d.next = self.d2.q.val();
        self.a3.d.next = self.a2.q.val();
        self.u3.d.next = self.u2.q.val();
        self.w3.d.next = self.w2.q.val();
        self.t3.d.next = self.t2.q.val();
        // The write's lane mask: the tile's rows left from the write's first, up to 16 (for
        // a tile before the last, at least the W lanes the write has).
        self.rem.next = self.x2.q.val();
        self.m3.d.next = self.ones.val();
        if self.rem.val() < self.c16.val() {
            self.m3.d.next = (self.one.val() << self.rem.val()) - self.one.val();
        }
        self.k_wm.next = self.m3.q.val();
        self.a_ren.next = self.c2.q.val() & self.a2.q.val();
        self.a_raddr.next = self.d2.q.val();
        self.rtag.next = self.t2.q.val();
        self.a_we.next = self.c3.q.val() & !self.w3.q.val();
        self.k_we.next = self.c3.q.val() & self.w3.q.val();
        self.a_waddr.next = self.d3.q.val();
        self.wrelu.next = self.u3.q.val();
        self.wacc.next = self.a3.q.val();
        self.wtag.next = self.t3.q.val();
        self.done.next = self.c3.q.val() & self.e3.q.val();
        // Busy from start to the last product's done (a done of an earlier product, while a
        // later one issues or requantises, leaves it high).
        self.front.next = self.run.q.val() | self.v1.q.val() | self.v2.q.val() | self.v3.q.val() | self.qact.val() | self.c1.q.val() | self.c2.q.val();
        self.busy.next = self.bsy.q.val();
        if self.c3.q.val() & self.e3.q.val() & !self.front.val() {
            self.bsy.d.next = false;
        }
        // Ready for the next start: every read issued (`run` low) and the countdown of the
        // last tile's capture cycles `n` (at most `cd`'s load, `tper`) down to 3, or already
        // in the cycle `run` falls when `tper <= 2`. The last tile's reads ended at `X` (`run`
        // fell at `Y >= X` and loaded `cd`), its hand-over is at `X + 3`, its captures `X + 4 ..
        // X + 3 + n`; `rdy` is high from `Y + 1` (`tper <= 2`) or `Y + 2 + max(0, n - 3)`, so
        // a start in a cycle with `rdy` has its first hand-over (3 + chunks >= 4 cycles after
        // the start) no earlier than the last capture (the hold registers take the new sums,
        // the capture still the old row 0). The `p3*` registers give every hand-over the
        // values of its own tile's last read whatever started since.
        self.rdy.d.next = (!self.run.q.val() & (self.cd.q.val() <= (self.one.val() + self.two.val()))) | (self.fall.val() & (self.tper.val() <= self.two.val()));
        self.ready.next = self.rdy.q.val();
        if self.start.val() {
            self.run.d.next = true;
            self.bsy.d.next = true;
            self.rdy.d.next = false;
            self.k.d.next = self.zero.val();
            self.wp.d.next = self.w_base.val();
            self.trow.d.next = self.zero.val();
        }
        if self.reset.val() {
            self.lrow.d.next = self.zero.val();
            self.cd.d.next = self.zero.val();
            self.run.d.next = false;
            self.bsy.d.next = false;
            self.rdy.d.next = false;
            self.v1.d.next = false;
            self.v2.d.next = false;
            self.v3.d.next = false;
            self.qrow.d.next = self.zero.val();
            self.qend.d.next = self.zero.val();
            self.pr.d.next = self.zero.val();
            self.pe.d.next = self.zero.val();
            self.c1.d.next = false;
            self.c2.d.next = false;
            self.c3.d.next = false;
        }
    }
}

/// `sout = sin + w * x`: `w` a signed int8 weight, `x` a signed int16 activation, 32-bit
/// wrapping sum (the product of a 16 x 16 signed multiply with `w` sign-extended).
#[derive(Clone, Debug, LogicBlock)]
pub struct Mac {
    pub w: Signal<In, Bits<8>>,
    pub x: Signal<In, Bits<16>>,
    pub sin: Signal<In, Bits<32>>,
    pub sout: Signal<Out, Bits<32>>,
    wx: Signal<Local, Bits<16>>,
    prod: Signal<Local, Signed<32>>,
    hi: Constant<Bits<16>>,
}

impl Default for Mac {
    fn default() -> Self {
        Self {
            w: Default::default(),
            x: Default::default(),
            sin: Default::default(),
            sout: Default::default(),
            wx: Default::default(),
            prod: Default::default(),
            hi: Constant::new(0xff00u64.to_bits()),
        }
    }
}

impl Logic for Mac {
    #[hdl_gen]
    fn update(&mut self) {
        self.wx.next = bit_cast::<16, 8>(self.w.val());
        if self.w.val().get_bit(7) {
            self.wx.next = bit_cast::<16, 8>(self.w.val()) | self.hi.val();
        }
        self.prod.next = signed_cast(self.wx.val()) * signed_cast(self.x.val());
        self.sout.next = self.sin.val() + unsigned_cast(self.prod.val());
    }
}

/// One row: the running sum `acc` of a tile (`v`: add `dot`, restart with `first`) and the
/// hold register, which takes the finished sum on `v & last` and otherwise, on `cap`, the
/// next row's hold value `hin` (a shift register towards row 0).
#[derive(Clone, Debug, Default, LogicBlock)]
pub struct Acc {
    pub clock: Signal<In, Clock>,
    pub v: Signal<In, Bit>,
    pub first: Signal<In, Bit>,
    pub last: Signal<In, Bit>,
    pub cap: Signal<In, Bit>,
    pub dot: Signal<In, Bits<32>>,
    pub hin: Signal<In, Bits<32>>,
    /// Wide: on `cap` take `hinw` (row `r + W`'s hold value) instead of `hin`.
    pub wide: Signal<In, Bit>,
    pub hinw: Signal<In, Bits<32>>,
    pub hold: Signal<Out, Bits<32>>,
    acc: DFF<Bits<32>>,
    h: DFF<Bits<32>>,
    nxt: Signal<Local, Bits<32>>,
}

impl Logic for Acc {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, acc, h);
        self.nxt.next = self.acc.q.val() + self.dot.val();
        if self.first.val() {
            self.nxt.next = self.dot.val();
        }
        if self.v.val() {
            self.acc.d.next = self.nxt.val();
        }
        if self.cap.val() {
            self.h.d.next = self.hin.val();
            if self.wide.val() {
                self.h.d.next = self.hinw.val();
            }
        }
        if self.v.val() & self.last.val() {
            self.h.d.next = self.nxt.val();
        }
        self.hold.next = self.h.q.val();
    }
}

/// The requantiser, three stages after `cap` captured a row's sum `h0`:
/// 1. `prod = sum * mult` (the requant word, read the cycle before `cap` and registered in
///    `word` with the capture: `mult` bits 15..0, `shift` bits 21..16) and
///    `half = 2^(shift-1)` (0 for shift 0) registered;
/// 2. `biased = (prod + half) ^ 2^47` registered (the offset makes the arithmetic shift a
///    logical one, the rule of [`crate::rtl::arith::Rsr`] cut in two for timing),
///    and two masks that depend on the shift only: `mpos = 2^47 >> shift`, `mneg = ones <<
///    (47 - shift)` (bits 47-shift..47; 0 for shifts of 48 and more, as `mpos`);
/// 3. `y = sat_i16((biased >> shift) - 2^(47-shift))`, 0 if `relu` and negative, computed
///    without a carry chain: `(biased >> shift) - 2^(47-shift)` is `(biased >> shift) ^ mpos`
///    for `prod + half >= 0` (its bit 47-shift is set) and `(biased >> shift) ^ mneg` below
///    (the borrow runs to bit 47), and `sat_i16` tests that bits 47..15 are equal instead of
///    two 48-bit compares (the subtraction and the compares were on the 4x4 core's ECP5
///    critical path, docs/lpu.md).
///
/// Together: `y = sat_i16(rshift_round(sum * mult, shift))`, `Requant::apply`; with `acc`
/// the written value is `sat_i16(res + y)` (the residual add of `Golden::step`).
#[derive(Clone, Debug, LogicBlock)]
pub struct Rq {
    pub clock: Signal<In, Clock>,
    pub cap: Signal<In, Bit>,
    pub h0: Signal<In, Bits<32>>,
    pub rq_data: Signal<In, Bits<24>>,
    pub relu: Signal<In, Bit>,
    /// Accumulate: `y = sat_i16(res + y)`, `res` the element at the row's destination.
    pub acc: Signal<In, Bit>,
    pub res: Signal<In, Bits<16>>,
    pub y: Signal<Out, Bits<16>>,
    sel: DFF<Bits<32>>,
    word: DFF<Bits<24>>,
    prod: DFF<Bits<48>>,
    half: DFF<Bits<48>>,
    sh: DFF<Bits<8>>,
    biased: DFF<Bits<48>>,
    sh2: DFF<Bits<8>>,
    mpos: DFF<Bits<48>>,
    mneg: DFF<Bits<48>>,
    mul: MulQ,
    clamp: Sat16,
    sadd: SatAdd16,
    shamt: Signal<Local, Bits<8>>,
    yy: Signal<Local, Bits<48>>,
    base: Signal<Local, Bits<16>>,
    one: Constant<Bits<48>>,
    msb: Constant<Bits<48>>,
    ones48: Constant<Bits<48>>,
    c47: Constant<Bits<8>>,
    zero16: Constant<Bits<16>>,
}

const MSB48: u64 = 1 << 47;

impl Default for Rq {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            cap: Default::default(),
            h0: Default::default(),
            rq_data: Default::default(),
            relu: Default::default(),
            acc: Default::default(),
            res: Default::default(),
            y: Default::default(),
            sel: Default::default(),
            word: Default::default(),
            prod: Default::default(),
            half: Default::default(),
            sh: Default::default(),
            biased: Default::default(),
            sh2: Default::default(),
            mpos: Default::default(),
            mneg: Default::default(),
            mul: Default::default(),
            clamp: Default::default(),
            sadd: Default::default(),
            shamt: Default::default(),
            yy: Default::default(),
            base: Default::default(),
            one: Constant::new(1u64.to_bits()),
            msb: Constant::new(MSB48.to_bits()),
            ones48: Constant::new(((1u64 << 48) - 1).to_bits()),
            c47: Constant::new(47u64.to_bits()),
            zero16: Constant::new(0u64.to_bits()),
        }
    }
}

impl Logic for Rq {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, sel, word, prod, half, sh, biased, sh2, mpos, mneg);
        if self.cap.val() {
            self.sel.d.next = self.h0.val();
        }
        self.word.d.next = self.rq_data.val();
        // Stage 1.
        self.shamt.next = bit_cast::<8, 6>(self.word.q.val().get_bits::<6>(16));
        self.mul.a.next = self.sel.q.val();
        self.mul.b.next = self.word.q.val().get_bits::<16>(0);
        self.prod.d.next = self.mul.p.val();
        self.half.d.next = (self.one.val() << self.shamt.val()) >> 1;
        self.sh.d.next = self.shamt.val();
        // Stage 2.
        self.biased.d.next = (self.prod.q.val() + self.half.q.val()) ^ self.msb.val();
        self.sh2.d.next = self.sh.q.val();
        self.mpos.d.next = self.msb.val() >> self.sh.q.val();
        self.mneg.d.next = self.ones48.val() << (self.c47.val() - self.sh.q.val());
        // Stage 3 (bit 47 of `biased` is set for a non-negative `prod + half`).
        self.yy.next = (self.biased.q.val() >> self.sh2.q.val()) ^ self.mneg.q.val();
        if self.biased.q.val().get_bit(47) {
            self.yy.next = (self.biased.q.val() >> self.sh2.q.val()) ^ self.mpos.q.val();
        }
        self.clamp.x.next = self.yy.val();
        self.base.next = self.clamp.y.val();
        if self.relu.val() & self.clamp.y.val().get_bit(15) {
            self.base.next = self.zero16.val();
        }
        // Accumulate: the saturated sum with the residual.
        self.sadd.a.next = self.base.val();
        self.sadd.b.next = self.res.val();
        self.y.next = self.base.val();
        if self.acc.val() {
            self.y.next = self.sadd.y.val();
        }
    }
}

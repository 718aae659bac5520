//! The attention unit's controller: the cache lengths, the append and query handshakes, the
//! position and chunk counters that stream a query over the cache, and the flag pipeline that
//! tells the lanes when a chunk of key data is valid, when a score is valid, when a head starts
//! and when to divide.
//!
//! Contract (cycle numbers: a query accepted at the edge ending cycle `a`; one length register
//! `len[y]` per layer `y`, [`MAX_LAYERS`] of them; `len_kv = len[kv_layer]`, `len_q = len[q_layer]`;
//! `P = p_last + 1` cycles per position, chunk `c` of a position covering elements cE..cE+E-1):
//! 1. `clear` (one bit per layer) may be pulsed at any time: it is remembered (`pending`, per
//!    layer) and takes effect (`len[y] = 0` for every layer `y` whose bit was set) at the first
//!    edge with no query running. With `clr` = any bit of `clear | pending`:
//!    `kv_ready = !busy && !clr && len_kv < t_max`; `q_ready = !busy && !gap && !clr && !kv_valid && len_q > 0`
//!    (an append offered together with a query goes first; `gap` is the cycle right after a
//!    query's last read, see 3). `len_out = len_q`.
//! 2. An accepted kv beat raises `we` with `wpos = len_kv` (the top writes address
//!    `{kv_layer, kv_group, wpos}`); with `kv_last` it also advances `len[kv_layer]`.
//! 3. An accepted query (`q_en` high for that cycle) stores its layer, group and `n = len_q` and
//!    makes the unit busy; in cycles `a+1 .. a+nP` it presents `rlay`, `rgrp`, `rpos = j`
//!    (the top reads address `{rlay, rgrp, rpos}`) for `j = 0 .. n-1`, each for P cycles
//!    (chunks 0..P-1), and then is idle again: a kv beat may be accepted in cycle `a+nP+1`, a
//!    query from cycle `a+nP+2` on (the one-cycle `gap` keeps the next query's first updates of
//!    `acc` and its first rescale after this query's division, which starts one cycle later since
//!    the reciprocal takes two stages).
//! 4. The memory data of the read of chunk c is valid one cycle later, with `d_ck = c` (the
//!    operand select of the products); the products, summed in pairs, are registered at its
//!    edge. One cycle after that the registered pairs of chunk c are summed, with `d_ck0` for
//!    c = 0 (the dot product's chunk accumulator restarts); `d_end` marks the last chunk (the
//!    score register takes the position at its edge; the value memories, read two cycles after
//!    the key memories, give `v_end` one cycle later). The next cycle the head compares the score with `m` and
//!    registers the exp (`h_upd`, `h_first` for j = 0); in the P cycles after that (`s_valid`,
//!    `a_ck` = 0..P-1, `s_first` for j = 0) the elements update, and `l` on chunk 0 (`h_l`).
//!    For the last position of a query, the two cycles after its last chunk compute the
//!    reciprocal of `l` (two stages), then `fin` is high for P cycles (`f_ck` = 0..P-1, `rec_en` low after the first),
//!    `dfin`/`df_ck` repeat `fin`/`f_ck` one cycle later (the division's rounding shift, after
//!    its registered product: the output registers take chunk `df_ck` when `dfin`), then
//!    `out_valid` and `out_group`: `a + nP + 2P + 7`.
//!    A division can meet only updates of the next query's first position (which do not rescale).
//! 5. `reset` (synchronous) empties the cache of every layer and cancels any query.

use rust_hdl::prelude::*;

/// Length registers of the controller: the unit supports up to this many layers.
pub const MAX_LAYERS: usize = 16;

#[derive(Clone, Debug, LogicBlock)]
pub struct Control {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// One bit per layer (the top sets all of them for its one-bit `clear`, or a sequence's
    /// layers in a batched core).
    pub clear: Signal<In, Bits<MAX_LAYERS>>,
    pub kv_valid: Signal<In, Bit>,
    pub kv_last: Signal<In, Bit>,
    pub q_valid: Signal<In, Bit>,
    pub q_group: Signal<In, Bits<8>>,
    /// Layer of the kv beat and of the query (below [`MAX_LAYERS`]).
    pub kv_layer: Signal<In, Bits<8>>,
    pub q_layer: Signal<In, Bits<8>>,
    /// The maximum context (a constant from the configuration).
    pub t_max: Signal<In, Bits<8>>,
    /// Chunks per position minus one (a constant from the configuration).
    pub p_last: Signal<In, Bits<8>>,
    pub kv_ready: Signal<Out, Bit>,
    pub q_ready: Signal<Out, Bit>,
    pub we: Signal<Out, Bit>,
    /// Write position: the length of layer `kv_layer` (the top concatenates layer, group, position).
    pub wpos: Signal<Out, Bits<8>>,
    /// Read address parts of the running query: layer, group, position.
    pub rlay: Signal<Out, Bits<8>>,
    pub rgrp: Signal<Out, Bits<8>>,
    pub rpos: Signal<Out, Bits<8>>,
    pub q_en: Signal<Out, Bit>,
    pub d_ck: Signal<Out, Bits<8>>,
    pub d_ck0: Signal<Out, Bit>,
    pub d_end: Signal<Out, Bit>,
    /// `d_end` one cycle later: the value memories are read two cycles after the key memories.
    pub v_end: Signal<Out, Bit>,
    pub s_valid: Signal<Out, Bit>,
    pub s_first: Signal<Out, Bit>,
    pub a_ck: Signal<Out, Bits<8>>,
    pub h_upd: Signal<Out, Bit>,
    pub h_first: Signal<Out, Bit>,
    pub h_l: Signal<Out, Bit>,
    pub fin: Signal<Out, Bit>,
    pub f_ck: Signal<Out, Bits<8>>,
    /// `fin` and `f_ck` one cycle later: the division's output registers take chunk `df_ck`.
    pub dfin: Signal<Out, Bit>,
    pub df_ck: Signal<Out, Bits<8>>,
    pub rec_en: Signal<Out, Bit>,
    pub out_valid: Signal<Out, Bit>,
    pub out_group: Signal<Out, Bits<8>>,
    pub len_out: Signal<Out, Bits<8>>,
    lens: Vec<DFF<Bits<8>>>,
    qn: DFF<Bits<8>>,
    qlay: DFF<Bits<8>>,
    pending: DFF<Bits<MAX_LAYERS>>,
    busy: DFF<Bit>,
    j: DFF<Bits<8>>,
    ck: DFF<Bits<8>>,
    grp: DFF<Bits<8>>,
    v1: DFF<Bit>,
    f1: DFF<Bit>,
    l1: DFF<Bit>,
    e1: DFF<Bit>,
    e2: DFF<Bit>,
    c1: DFF<Bits<8>>,
    g1: DFF<Bits<8>>,
    v2: DFF<Bit>,
    f2: DFF<Bit>,
    l2: DFF<Bit>,
    e12: DFF<Bit>,
    c2: DFF<Bits<8>>,
    g2: DFF<Bits<8>>,
    aact: DFF<Bit>,
    ac: DFF<Bits<8>>,
    af: DFF<Bit>,
    al: DFF<Bit>,
    ag: DFF<Bits<8>>,
    aact_d: DFF<Bit>,
    ac_d: DFF<Bits<8>>,
    af_d: DFF<Bit>,
    al_d: DFF<Bit>,
    ag_d: DFF<Bits<8>>,
    fpend: DFF<Bit>,
    fpend2: DFF<Bit>,
    gap: DFF<Bit>,
    fg: DFF<Bits<8>>,
    fact: DFF<Bit>,
    fc: DFF<Bits<8>>,
    fgr: DFF<Bits<8>>,
    fd: DFF<Bit>,
    fcd: DFF<Bits<8>>,
    ov: DFF<Bit>,
    og: DFF<Bits<8>>,
    ov2: DFF<Bit>,
    og2: DFF<Bits<8>>,
    clr: Signal<Local, Bit>,
    /// `clear | pending`: the layers to empty.
    clrm: Signal<Local, Bits<MAX_LAYERS>>,
    kv_ok: Signal<Local, Bit>,
    q_ok: Signal<Local, Bit>,
    ck_last: Signal<Local, Bit>,
    pos_last: Signal<Local, Bit>,
    last0: Signal<Local, Bit>,
    kv_sel: Signal<Local, Bits<16>>,
    q_sel: Signal<Local, Bits<16>>,
    len_kv: Signal<Local, Bits<8>>,
    len_q: Signal<Local, Bits<8>>,
    one: Constant<Bits<16>>,
    one8: Constant<Bits<8>>,
    zero8: Constant<Bits<8>>,
    zero_l: Constant<Bits<MAX_LAYERS>>,
}

impl Default for Control {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            clear: Default::default(),
            kv_valid: Default::default(),
            kv_last: Default::default(),
            q_valid: Default::default(),
            q_group: Default::default(),
            kv_layer: Default::default(),
            q_layer: Default::default(),
            t_max: Default::default(),
            p_last: Default::default(),
            kv_ready: Default::default(),
            q_ready: Default::default(),
            we: Default::default(),
            wpos: Default::default(),
            rlay: Default::default(),
            rgrp: Default::default(),
            rpos: Default::default(),
            q_en: Default::default(),
            d_ck: Default::default(),
            d_ck0: Default::default(),
            d_end: Default::default(),
            v_end: Default::default(),
            s_valid: Default::default(),
            s_first: Default::default(),
            a_ck: Default::default(),
            h_upd: Default::default(),
            h_first: Default::default(),
            h_l: Default::default(),
            fin: Default::default(),
            f_ck: Default::default(),
            dfin: Default::default(),
            df_ck: Default::default(),
            rec_en: Default::default(),
            out_valid: Default::default(),
            out_group: Default::default(),
            len_out: Default::default(),
            lens: (0..MAX_LAYERS).map(|_| Default::default()).collect(),
            qn: Default::default(),
            qlay: Default::default(),
            pending: Default::default(),
            busy: Default::default(),
            j: Default::default(),
            ck: Default::default(),
            grp: Default::default(),
            v1: Default::default(),
            f1: Default::default(),
            l1: Default::default(),
            e1: Default::default(),
            e2: Default::default(),
            c1: Default::default(),
            g1: Default::default(),
            v2: Default::default(),
            f2: Default::default(),
            l2: Default::default(),
            e12: Default::default(),
            c2: Default::default(),
            g2: Default::default(),
            aact: Default::default(),
            ac: Default::default(),
            af: Default::default(),
            al: Default::default(),
            ag: Default::default(),
            aact_d: Default::default(),
            ac_d: Default::default(),
            af_d: Default::default(),
            al_d: Default::default(),
            ag_d: Default::default(),
            fpend: Default::default(),
            fpend2: Default::default(),
            gap: Default::default(),
            fg: Default::default(),
            fact: Default::default(),
            fc: Default::default(),
            fgr: Default::default(),
            fd: Default::default(),
            fcd: Default::default(),
            ov: Default::default(),
            og: Default::default(),
            ov2: Default::default(),
            og2: Default::default(),
            clr: Default::default(),
            clrm: Default::default(),
            kv_ok: Default::default(),
            q_ok: Default::default(),
            ck_last: Default::default(),
            pos_last: Default::default(),
            last0: Default::default(),
            kv_sel: Default::default(),
            q_sel: Default::default(),
            len_kv: Default::default(),
            len_q: Default::default(),
            one: Constant::new(1u64.to_bits()),
            one8: Constant::new(1u64.to_bits()),
            zero8: Constant::new(0u64.to_bits()),
            zero_l: Constant::new(0u64.to_bits()),
        }
    }
}

impl Logic for Control {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, qn, qlay, pending, busy, j, ck, grp, v1, f1, l1, e1, e2, c1, g1, v2, f2, l2, e12, c2, g2, aact, ac, af, al, ag, aact_d, ac_d, af_d, al_d, ag_d, fpend, fpend2, gap, fg, fact, fc, fgr, fd, fcd, ov, og,
            ov2, og2
        );
        for i in 0..MAX_LAYERS {
            self.lens[i].clock.next = self.clock.val();
            self.lens[i].d.next = self.lens[i].q.val();
        }
        // The lengths of the kv beat's layer and of the query's layer (one-hot selects).
        self.kv_sel.next = self.one.val() << self.kv_layer.val();
        self.q_sel.next = self.one.val() << self.q_layer.val();
        self.len_kv.next = self.zero8.val();
        self.len_q.next = self.zero8.val();
        for i in 0..MAX_LAYERS {
            if self.kv_sel.val().get_bit(i) {
                self.len_kv.next = self.lens[i].q.val();
            }
            if self.q_sel.val().get_bit(i) {
                self.len_q.next = self.lens[i].q.val();
            }
        }
        self.clrm.next = self.clear.val() | self.pending.q.val();
        self.clr.next = self.clrm.val().any();
        self.kv_ok.next = !self.busy.q.val() & !self.clr.val() & (self.len_kv.val() < self.t_max.val());
        self.q_ok.next = !self.busy.q.val() & !self.gap.q.val() & !self.clr.val() & !self.kv_valid.val() & self.len_q.val().any();
        self.kv_ready.next = self.kv_ok.val();
        self.q_ready.next = self.q_ok.val();
        self.we.next = self.kv_valid.val() & self.kv_ok.val();
        self.wpos.next = self.len_kv.val();
        self.rlay.next = self.qlay.q.val();
        self.rgrp.next = self.grp.q.val();
        self.rpos.next = self.j.q.val();
        self.q_en.next = self.q_valid.val() & self.q_ok.val();
        self.len_out.next = self.len_q.val();
        self.ck_last.next = self.ck.q.val() == self.p_last.val();
        self.pos_last.next = (self.j.q.val() + self.one8.val()) == self.qn.q.val();
        self.last0.next = self.ck_last.val() & self.pos_last.val();
        // Append and clear.
        if self.kv_valid.val() & self.kv_ok.val() & self.kv_last.val() {
            for i in 0..MAX_LAYERS {
                if self.kv_sel.val().get_bit(i) {
                    self.lens[i].d.next = self.lens[i].q.val() + self.one8.val();
                }
            }
        }
        self.pending.d.next = self.pending.q.val() | self.clear.val();
        if self.clr.val() & !self.busy.q.val() {
            for i in 0..MAX_LAYERS {
                if self.clrm.val().get_bit(i) {
                    self.lens[i].d.next = self.zero8.val();
                }
            }
            self.pending.d.next = self.zero_l.val();
        }
        // Query: stream j = 0 .. qn-1 of layer qlay, chunks 0 .. p_last of each.
        if self.busy.q.val() {
            self.ck.d.next = self.ck.q.val() + self.one8.val();
            if self.ck_last.val() {
                self.ck.d.next = self.zero8.val();
                self.j.d.next = self.j.q.val() + self.one8.val();
            }
            if self.last0.val() {
                self.busy.d.next = false;
            }
        }
        self.gap.d.next = self.busy.q.val() & self.last0.val();
        if self.q_valid.val() & self.q_ok.val() {
            self.busy.d.next = true;
            self.j.d.next = self.zero8.val();
            self.ck.d.next = self.zero8.val();
            self.grp.d.next = self.q_group.val();
            self.qlay.d.next = self.q_layer.val();
            self.qn.d.next = self.len_q.val();
        }
        // Stage 1: the memory data of the read.
        self.v1.d.next = self.busy.q.val();
        self.f1.d.next = !self.j.q.val().any();
        self.l1.d.next = self.pos_last.val();
        self.e1.d.next = self.ck_last.val();
        self.c1.d.next = self.ck.q.val();
        self.g1.d.next = self.grp.q.val();
        self.d_ck.next = self.c1.q.val();
        // Stage 2: the registered pair products (the dot product and the score).
        self.v2.d.next = self.v1.q.val();
        self.f2.d.next = self.f1.q.val();
        self.l2.d.next = self.l1.q.val();
        self.e12.d.next = self.e1.q.val();
        self.c2.d.next = self.c1.q.val();
        self.g2.d.next = self.g1.q.val();
        self.d_ck0.next = !self.c2.q.val().any();
        self.d_end.next = self.v2.q.val() & self.e12.q.val();
        self.e2.d.next = self.v2.q.val() & self.e12.q.val();
        self.v_end.next = self.e2.q.val();
        // Update burst: the P chunks of a position after its score.
        if self.aact.q.val() {
            self.ac.d.next = self.ac.q.val() + self.one8.val();
            if self.ac.q.val() == self.p_last.val() {
                self.aact.d.next = false;
            }
        }
        if self.v2.q.val() & self.e12.q.val() {
            self.aact.d.next = true;
            self.ac.d.next = self.zero8.val();
            self.af.d.next = self.f2.q.val();
            self.al.d.next = self.l2.q.val();
            self.ag.d.next = self.g2.q.val();
        }
        // The head's compare and exp on chunk 0 of the burst; one cycle later (registered exp)
        // the update burst of the elements and, on its chunk 0, of l.
        self.h_upd.next = self.aact.q.val() & !self.ac.q.val().any();
        self.h_first.next = self.af.q.val();
        self.aact_d.d.next = self.aact.q.val();
        self.ac_d.d.next = self.ac.q.val();
        self.af_d.d.next = self.af.q.val();
        self.al_d.d.next = self.al.q.val();
        self.ag_d.d.next = self.ag.q.val();
        self.s_valid.next = self.aact_d.q.val();
        self.s_first.next = self.af_d.q.val();
        self.a_ck.next = self.ac_d.q.val();
        self.h_l.next = self.aact_d.q.val() & !self.ac_d.q.val().any();
        // After the last position's last chunk: two cycles for the reciprocal, P chunks of division.
        self.fpend.d.next = self.aact_d.q.val() & (self.ac_d.q.val() == self.p_last.val()) & self.al_d.q.val();
        self.fpend2.d.next = self.fpend.q.val();
        self.fg.d.next = self.ag_d.q.val();
        if self.fact.q.val() {
            self.fc.d.next = self.fc.q.val() + self.one8.val();
            if self.fc.q.val() == self.p_last.val() {
                self.fact.d.next = false;
            }
        }
        if self.fpend2.q.val() {
            self.fact.d.next = true;
            self.fc.d.next = self.zero8.val();
            self.fgr.d.next = self.fg.q.val();
        }
        self.fin.next = self.fact.q.val();
        self.f_ck.next = self.fc.q.val();
        self.rec_en.next = !(self.fact.q.val() & self.fc.q.val().any());
        self.fd.d.next = self.fact.q.val();
        self.fcd.d.next = self.fc.q.val();
        self.dfin.next = self.fd.q.val();
        self.df_ck.next = self.fcd.q.val();
        self.ov.d.next = self.fact.q.val() & (self.fc.q.val() == self.p_last.val());
        self.og.d.next = self.fgr.q.val();
        self.ov2.d.next = self.ov.q.val();
        self.og2.d.next = self.og.q.val();
        self.out_valid.next = self.ov2.q.val();
        self.out_group.next = self.og2.q.val();
        if self.reset.val() {
            for i in 0..MAX_LAYERS {
                self.lens[i].d.next = self.zero8.val();
            }
            self.pending.d.next = self.zero_l.val();
            self.busy.d.next = false;
            self.v1.d.next = false;
            self.v2.d.next = false;
            self.e2.d.next = false;
            self.aact.d.next = false;
            self.aact_d.d.next = false;
            self.fpend.d.next = false;
            self.fpend2.d.next = false;
            self.gap.d.next = false;
            self.fact.d.next = false;
            self.fd.d.next = false;
            self.ov.d.next = false;
            self.ov2.d.next = false;
        }
    }
}

//! The attention unit's controller: the cache length, the append and query handshakes, the
//! position counter that streams a query over the cache, and the flag pipeline that tells the
//! lanes when a score is valid, when a head starts and when to divide.
//!
//! Contract (cycle numbers: a query accepted at the edge ending cycle `a`; one length register
//! `len[y]` per layer `y`, [`MAX_LAYERS`] of them; `len_kv = len[kv_layer]`, `len_q = len[q_layer]`):
//! 1. `clear` may be pulsed at any time: it is remembered (`pending`) and takes effect (every
//!    `len[y] = 0`) at the first edge with no query running. With `clr = clear || pending`:
//!    `kv_ready = !busy && !clr && len_kv < t_max`; `q_ready = !busy && !clr && !kv_valid && len_q > 0`
//!    (an append offered together with a query goes first). `len_out = len_q`.
//! 2. An accepted kv beat raises `we` with `wpos = len_kv` (the top writes address
//!    `{kv_layer, kv_group, wpos}`); with `kv_last` it also advances `len[kv_layer]`.
//! 3. An accepted query (`q_en` high for that cycle) stores its layer, group and `n = len_q` and
//!    makes the unit busy; in cycles `a+1 .. a+n` it presents `rlay`, `rgrp`, `rpos = j`
//!    (the top reads address `{rlay, rgrp, rpos}`) for `j = 0 .. n-1` and then is idle
//!    again (`q_ready` may be high in cycle `a+n+1`).
//! 4. The read of `j` issued in cycle `c` has its score valid (`s_valid`, `s_first` for `j = 0`)
//!    in cycle `c+2` (the state updates at its end); the reciprocal of `l` is registered at the
//!    end of `c+3`; `fin` is high in cycle `c+4` after the last `j`; `out_valid` and `out_group`
//!    in cycle `c+5`, i.e. `a + n + 5`. `fin` can meet only the first update of the next query.
//! 5. `reset` (synchronous) empties the cache of every layer and cancels any query.

use rust_hdl::prelude::*;

#[derive(Clone, Debug, LogicBlock)]
pub struct Control {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub clear: Signal<In, Bit>,
    pub kv_valid: Signal<In, Bit>,
    pub kv_last: Signal<In, Bit>,
    pub q_valid: Signal<In, Bit>,
    pub q_group: Signal<In, Bits<8>>,
    /// Layer of the kv beat and of the query (below [`MAX_LAYERS`]).
    pub kv_layer: Signal<In, Bits<8>>,
    pub q_layer: Signal<In, Bits<8>>,
    /// The maximum context (a constant from the configuration).
    pub t_max: Signal<In, Bits<8>>,
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
    pub s_valid: Signal<Out, Bit>,
    pub s_first: Signal<Out, Bit>,
    pub fin: Signal<Out, Bit>,
    pub out_valid: Signal<Out, Bit>,
    pub out_group: Signal<Out, Bits<8>>,
    pub len_out: Signal<Out, Bits<8>>,
    lens: Vec<DFF<Bits<8>>>,
    qn: DFF<Bits<8>>,
    qlay: DFF<Bits<8>>,
    pending: DFF<Bit>,
    busy: DFF<Bit>,
    j: DFF<Bits<8>>,
    grp: DFF<Bits<8>>,
    v1: DFF<Bit>,
    f1: DFF<Bit>,
    l1: DFF<Bit>,
    g1: DFF<Bits<8>>,
    v2: DFF<Bit>,
    f2: DFF<Bit>,
    l2: DFF<Bit>,
    g2: DFF<Bits<8>>,
    fin3: DFF<Bit>,
    g3: DFF<Bits<8>>,
    fin4: DFF<Bit>,
    g4: DFF<Bits<8>>,
    ov5: DFF<Bit>,
    g5: DFF<Bits<8>>,
    clr: Signal<Local, Bit>,
    kv_ok: Signal<Local, Bit>,
    q_ok: Signal<Local, Bit>,
    last0: Signal<Local, Bit>,
    kv_sel: Signal<Local, Bits<16>>,
    q_sel: Signal<Local, Bits<16>>,
    len_kv: Signal<Local, Bits<8>>,
    len_q: Signal<Local, Bits<8>>,
    one: Constant<Bits<16>>,
    one8: Constant<Bits<8>>,
    zero8: Constant<Bits<8>>,
}

/// Length registers of the controller: the unit supports up to this many layers.
pub const MAX_LAYERS: usize = 16;

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
            kv_ready: Default::default(),
            q_ready: Default::default(),
            we: Default::default(),
            wpos: Default::default(),
            rlay: Default::default(),
            rgrp: Default::default(),
            rpos: Default::default(),
            q_en: Default::default(),
            s_valid: Default::default(),
            s_first: Default::default(),
            fin: Default::default(),
            out_valid: Default::default(),
            out_group: Default::default(),
            len_out: Default::default(),
            lens: (0..MAX_LAYERS).map(|_| Default::default()).collect(),
            qn: Default::default(),
            qlay: Default::default(),
            pending: Default::default(),
            busy: Default::default(),
            j: Default::default(),
            grp: Default::default(),
            v1: Default::default(),
            f1: Default::default(),
            l1: Default::default(),
            g1: Default::default(),
            v2: Default::default(),
            f2: Default::default(),
            l2: Default::default(),
            g2: Default::default(),
            fin3: Default::default(),
            g3: Default::default(),
            fin4: Default::default(),
            g4: Default::default(),
            ov5: Default::default(),
            g5: Default::default(),
            clr: Default::default(),
            kv_ok: Default::default(),
            q_ok: Default::default(),
            last0: Default::default(),
            kv_sel: Default::default(),
            q_sel: Default::default(),
            len_kv: Default::default(),
            len_q: Default::default(),
            one: Constant::new(1u64.to_bits()),
            one8: Constant::new(1u64.to_bits()),
            zero8: Constant::new(0u64.to_bits()),
        }
    }
}

impl Logic for Control {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, qn, qlay, pending, busy, j, grp, v1, f1, l1, g1, v2, f2, l2, g2, fin3, g3, fin4, g4, ov5, g5);
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
        self.clr.next = self.clear.val() | self.pending.q.val();
        self.kv_ok.next = !self.busy.q.val() & !self.clr.val() & (self.len_kv.val() < self.t_max.val());
        self.q_ok.next = !self.busy.q.val() & !self.clr.val() & !self.kv_valid.val() & self.len_q.val().any();
        self.kv_ready.next = self.kv_ok.val();
        self.q_ready.next = self.q_ok.val();
        self.we.next = self.kv_valid.val() & self.kv_ok.val();
        self.wpos.next = self.len_kv.val();
        self.rlay.next = self.qlay.q.val();
        self.rgrp.next = self.grp.q.val();
        self.rpos.next = self.j.q.val();
        self.q_en.next = self.q_valid.val() & self.q_ok.val();
        self.len_out.next = self.len_q.val();
        self.last0.next = (self.j.q.val() + self.one8.val()) == self.qn.q.val();
        // Append and clear.
        if self.kv_valid.val() & self.kv_ok.val() & self.kv_last.val() {
            for i in 0..MAX_LAYERS {
                if self.kv_sel.val().get_bit(i) {
                    self.lens[i].d.next = self.lens[i].q.val() + self.one8.val();
                }
            }
        }
        if self.clear.val() {
            self.pending.d.next = true;
        }
        if self.clr.val() & !self.busy.q.val() {
            for i in 0..MAX_LAYERS {
                self.lens[i].d.next = self.zero8.val();
            }
            self.pending.d.next = false;
        }
        // Query: stream j = 0 .. qn-1 of layer qlay.
        if self.busy.q.val() {
            self.j.d.next = self.j.q.val() + self.one8.val();
            if self.last0.val() {
                self.busy.d.next = false;
            }
        }
        if self.q_valid.val() & self.q_ok.val() {
            self.busy.d.next = true;
            self.j.d.next = self.zero8.val();
            self.grp.d.next = self.q_group.val();
            self.qlay.d.next = self.q_layer.val();
            self.qn.d.next = self.len_q.val();
        }
        // Flag pipeline: read (1), score (2), update (3), reciprocal (4), divide (5).
        self.v1.d.next = self.busy.q.val();
        self.f1.d.next = !self.j.q.val().any();
        self.l1.d.next = self.last0.val();
        self.g1.d.next = self.grp.q.val();
        self.v2.d.next = self.v1.q.val();
        self.f2.d.next = self.f1.q.val();
        self.l2.d.next = self.l1.q.val();
        self.g2.d.next = self.g1.q.val();
        self.fin3.d.next = self.v2.q.val() & self.l2.q.val();
        self.g3.d.next = self.g2.q.val();
        self.fin4.d.next = self.fin3.q.val();
        self.g4.d.next = self.g3.q.val();
        self.ov5.d.next = self.fin4.q.val();
        self.g5.d.next = self.g4.q.val();
        self.s_valid.next = self.v2.q.val();
        self.s_first.next = self.f2.q.val();
        self.fin.next = self.fin4.q.val();
        self.out_valid.next = self.ov5.q.val();
        self.out_group.next = self.g5.q.val();
        if self.reset.val() {
            for i in 0..MAX_LAYERS {
                self.lens[i].d.next = self.zero8.val();
            }
            self.pending.d.next = false;
            self.busy.d.next = false;
            self.v1.d.next = false;
            self.v2.d.next = false;
            self.fin3.d.next = false;
            self.fin4.d.next = false;
            self.ov5.d.next = false;
        }
    }
}

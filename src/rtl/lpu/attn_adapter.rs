//! The attention adapter: runs one ATTN instruction on the attention unit(s) by gathering the
//! token's k, v and q from the scratchpad into the unit's beats and scattering its outputs.
//!
//! A beat is `W = L*D*16` bits (L lanes, D = head_dim): element `i` of group `g`'s beat is
//! scratchpad element `base + g*L*D + i` at bits `[16 i +: 16]` — exactly the unit's layout
//! (lane l, element e at `(l*D + e)*16`, head `g*L + l`).
//!
//! Contract:
//! 1. `start` (one-cycle pulse while idle) with `q_base`, `k_base`, `v_base`, `dst` held
//!    until `done`; `ld` (= L*D), `groups` (= H/L), the chunk size `kstep` (= K elements,
//!    K divides L*D and the bases are multiples of K), `ksh` (= 16 K) and `ktop` (= W - 16 K)
//!    are constants.
//! 2. Two chunk read ports, each answering the cycle after its enable: `a_*` and `b_*`; a read
//!    of element address `e` returns elements `e .. e + K` in the low `16 K` bits of `*_rdata`
//!    (the core serves both from the scratchpad's two word ports, so both run in one cycle).
//!    One chunk write port: `a_we` writes the low `16 K` bits of `a_wdata` to elements
//!    `a_waddr .. a_waddr + K`.
//! 3. For g = 0..groups: read the group's L*D keys on port `a` and values on port `b`, one
//!    chunk of each per cycle, then offer the kv beat (`kv_valid`, `kv_last` on the last group)
//!    until `kv_ready`. Then, for g = 0..groups: read group g's queries (port `a`) and offer the
//!    query beat until `q_ready` — without waiting for the outputs of the queries before it (the
//!    unit overlaps queries, docs/attention.md) — and, independently, whenever `att_valid` comes,
//!    write those L*D outputs to `dst + g*L*D + i`, one chunk per cycle from the next cycle.
//!    Reading the next group's queries takes `P + 1` cycles (P = L*D / K) after an accepted
//!    query, so outputs come at least `P + 2` cycles apart and each is written before the next.
//! 4. `done` pulses in the cycle of the last write. While idle every enable and valid is low.
//! 5. Cycles (no waiting on the unit): per group `(P + 1) + 1` for kv, then per group `P + 1`
//!    for its queries and `1` to offer them (at least; a query waits for `q_ready`), the last
//!    query's latency, `P` writes.

use rust_hdl::prelude::*;

#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
pub enum AdState {
    Idle,
    RdKv,
    DrKv,
    SendKv,
    RdQ,
    DrQ,
    SendQ,
    Fin,
}

#[derive(Clone, Debug, Default, LogicBlock)]
pub struct AttnAdapter<const W: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub start: Signal<In, Bit>,
    pub q_base: Signal<In, Bits<16>>,
    pub k_base: Signal<In, Bits<16>>,
    pub v_base: Signal<In, Bits<16>>,
    pub dst: Signal<In, Bits<16>>,
    pub ld: Signal<In, Bits<16>>,
    pub groups: Signal<In, Bits<8>>,
    pub kstep: Signal<In, Bits<16>>,
    pub ksh: Signal<In, Bits<16>>,
    pub ktop: Signal<In, Bits<16>>,
    pub busy: Signal<Out, Bit>,
    pub done: Signal<Out, Bit>,
    pub a_ren: Signal<Out, Bit>,
    pub a_raddr: Signal<Out, Bits<16>>,
    pub a_rdata: Signal<In, Bits<W>>,
    pub b_ren: Signal<Out, Bit>,
    pub b_raddr: Signal<Out, Bits<16>>,
    pub b_rdata: Signal<In, Bits<W>>,
    pub a_we: Signal<Out, Bit>,
    pub a_waddr: Signal<Out, Bits<16>>,
    pub a_wdata: Signal<Out, Bits<W>>,
    pub kv_valid: Signal<Out, Bit>,
    pub kv_ready: Signal<In, Bit>,
    pub kv_last: Signal<Out, Bit>,
    pub kv_group: Signal<Out, Bits<8>>,
    pub kv_k: Signal<Out, Bits<W>>,
    pub kv_v: Signal<Out, Bits<W>>,
    pub q_valid: Signal<Out, Bit>,
    pub q_ready: Signal<In, Bit>,
    pub q_group: Signal<Out, Bits<8>>,
    pub q_in: Signal<Out, Bits<W>>,
    pub att_valid: Signal<In, Bit>,
    pub att_out: Signal<In, Bits<W>>,
    state: DFF<AdState>,
    grp: DFF<Bits<8>>,
    gbase: DFF<Bits<16>>,
    idx: DFF<Bits<16>>,
    rv: DFF<Bit>,
    kreg: DFF<Bits<W>>,
    vreg: DFF<Bits<W>>,
    qreg: DFF<Bits<W>>,
    oreg: DFF<Bits<W>>,
    wact: DFF<Bit>,
    widx: DFF<Bits<16>>,
    wbase: DFF<Bits<16>>,
    wgrp: DFF<Bits<8>>,
    incoming: Signal<Local, Bits<W>>,
    incoming_b: Signal<Local, Bits<W>>,
    last_i: Signal<Local, Bit>,
    last_g: Signal<Local, Bit>,
    last_w: Signal<Local, Bit>,
}

impl<const W: usize> Logic for AttnAdapter<W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, grp, gbase, idx, rv, kreg, vreg, qreg, oreg, wact, widx, wbase, wgrp);
        self.busy.next = self.state.q.val() != AdState::Idle;
        self.done.next = false;
        self.a_ren.next = false;
        self.a_raddr.next = 0.into();
        self.b_ren.next = false;
        self.b_raddr.next = 0.into();
        self.a_we.next = false;
        self.a_waddr.next = self.dst.val() + self.wbase.q.val() + self.widx.q.val();
        self.a_wdata.next = self.oreg.q.val();
        self.kv_valid.next = false;
        self.kv_last.next = (self.grp.q.val() + 1) == self.groups.val();
        self.kv_group.next = self.grp.q.val();
        self.kv_k.next = self.kreg.q.val();
        self.kv_v.next = self.vreg.q.val();
        self.q_valid.next = false;
        self.q_group.next = self.grp.q.val();
        self.q_in.next = self.qreg.q.val();
        self.incoming.next = self.a_rdata.val() << self.ktop.val();
        self.incoming_b.next = self.b_rdata.val() << self.ktop.val();
        self.last_i.next = (self.idx.q.val() + self.kstep.val()) == self.ld.val();
        self.last_g.next = (self.grp.q.val() + 1) == self.groups.val();
        self.last_w.next = (self.widx.q.val() + self.kstep.val()) == self.ld.val();
        self.rv.d.next = false;
        match self.state.q.val() {
            AdState::Idle => {}
            AdState::RdKv => {
                self.a_ren.next = true;
                self.a_raddr.next = self.k_base.val() + self.gbase.q.val() + self.idx.q.val();
                self.b_ren.next = true;
                self.b_raddr.next = self.v_base.val() + self.gbase.q.val() + self.idx.q.val();
                self.rv.d.next = true;
                self.idx.d.next = self.idx.q.val() + self.kstep.val();
                if self.last_i.val() {
                    self.state.d.next = AdState::DrKv;
                }
                if self.rv.q.val() {
                    self.kreg.d.next = (self.kreg.q.val() >> self.ksh.val()) | self.incoming.val();
                    self.vreg.d.next = (self.vreg.q.val() >> self.ksh.val()) | self.incoming_b.val();
                }
            }
            AdState::DrKv => {
                self.kreg.d.next = (self.kreg.q.val() >> self.ksh.val()) | self.incoming.val();
                self.vreg.d.next = (self.vreg.q.val() >> self.ksh.val()) | self.incoming_b.val();
                self.idx.d.next = 0.into();
                self.state.d.next = AdState::SendKv;
            }
            AdState::SendKv => {
                self.kv_valid.next = true;
                if self.kv_ready.val() {
                    if self.last_g.val() {
                        self.grp.d.next = 0.into();
                        self.gbase.d.next = 0.into();
                        self.state.d.next = AdState::RdQ;
                    } else {
                        self.grp.d.next = self.grp.q.val() + 1;
                        self.gbase.d.next = self.gbase.q.val() + self.ld.val();
                        self.state.d.next = AdState::RdKv;
                    }
                }
            }
            AdState::RdQ => {
                self.a_ren.next = true;
                self.a_raddr.next = self.q_base.val() + self.gbase.q.val() + self.idx.q.val();
                self.rv.d.next = true;
                self.idx.d.next = self.idx.q.val() + self.kstep.val();
                if self.last_i.val() {
                    self.state.d.next = AdState::DrQ;
                }
                if self.rv.q.val() {
                    self.qreg.d.next = (self.qreg.q.val() >> self.ksh.val()) | self.incoming.val();
                }
            }
            AdState::DrQ => {
                self.qreg.d.next = (self.qreg.q.val() >> self.ksh.val()) | self.incoming.val();
                self.idx.d.next = 0.into();
                self.state.d.next = AdState::SendQ;
            }
            AdState::SendQ => {
                self.q_valid.next = true;
                if self.q_ready.val() {
                    if self.last_g.val() {
                        self.state.d.next = AdState::Fin;
                    } else {
                        self.grp.d.next = self.grp.q.val() + 1;
                        self.gbase.d.next = self.gbase.q.val() + self.ld.val();
                        self.state.d.next = AdState::RdQ;
                    }
                }
            }
            AdState::Fin => {}
        }
        // The writer: each group's outputs, one chunk per cycle from the cycle after att_valid.
        if self.wact.q.val() {
            self.a_we.next = true;
            self.oreg.d.next = self.oreg.q.val() >> self.ksh.val();
            self.widx.d.next = self.widx.q.val() + self.kstep.val();
            if self.last_w.val() {
                self.wact.d.next = false;
                self.widx.d.next = 0.into();
                self.wbase.d.next = self.wbase.q.val() + self.ld.val();
                self.wgrp.d.next = self.wgrp.q.val() + 1;
                if (self.wgrp.q.val() + 1) == self.groups.val() {
                    self.done.next = true;
                    self.state.d.next = AdState::Idle;
                }
            }
        }
        if self.att_valid.val() {
            self.oreg.d.next = self.att_out.val();
            self.wact.d.next = true;
        }
        if self.start.val() & (self.state.q.val() == AdState::Idle) {
            self.grp.d.next = 0.into();
            self.gbase.d.next = 0.into();
            self.idx.d.next = 0.into();
            self.wact.d.next = false;
            self.widx.d.next = 0.into();
            self.wbase.d.next = 0.into();
            self.wgrp.d.next = 0.into();
            self.state.d.next = AdState::RdKv;
        }
        if self.reset.val() {
            self.state.d.next = AdState::Idle;
            self.rv.d.next = false;
            self.wact.d.next = false;
        }
    }
}

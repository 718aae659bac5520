//! `VecAdd`, the vector-unit leaf for the residual adds of the forward pass (issue 7 lists
//! them among the vector unit's jobs; contract v1 names no leaf for them, so this one is an
//! addition): `y_i = sat_i16(a_i + b_i)` for `i in 0..len`, `a` at `src_a`, `b` at `src_b`,
//! written to `dst + i` (`dst` may equal `src_a` or `src_b`). Bit-exact model: [`model`]
//! (`Golden::step`'s `x = sat_i16(x + y)`).
//!
//! Contract (cycle 0 = the cycle `start` is high while idle; inputs stable until `done`):
//! 1. `len = 0`: no memory access, `done` in cycle 1.
//! 2. Reads `src_a + i` in cycle `2 i` (the first in the start cycle) and `src_b + i` in cycle
//!    `2 i + 1`; writes `dst + i` in cycle `2 i + 3`; `done` with the last write, in cycle
//!    [`cycles`]`(len) = 2 len + 1`. `busy` is high from cycle 1 to `done`.
//! 3. While idle `a_ren` and `a_we` are low; a `start` while busy is ignored; `reset`
//!    (synchronous) returns to idle.
//!
//! No multiplier.

use crate::numeric::sat_i16;
use crate::rtl::arith::SatAdd16;
use rust_hdl::prelude::*;

/// Cycles from `start` (cycle 0) to `done`.
pub fn cycles(len: usize) -> u64 {
    if len == 0 {
        1
    } else {
        2 * len as u64 + 1
    }
}

/// The bit-exact model.
pub fn model(a: &[i16], b: &[i16]) -> Vec<i16> {
    a.iter().zip(b).map(|(&x, &y)| sat_i16(x as i64 + y as i64)).collect()
}

#[derive(LogicBlock)]
pub struct VecAdd {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub start: Signal<In, Bit>,
    pub src_a: Signal<In, Bits<16>>,
    pub src_b: Signal<In, Bits<16>>,
    pub dst: Signal<In, Bits<16>>,
    pub len: Signal<In, Bits<16>>,
    pub a_ren: Signal<Out, Bit>,
    pub a_raddr: Signal<Out, Bits<16>>,
    pub a_rdata: Signal<In, Bits<16>>,
    pub a_we: Signal<Out, Bit>,
    pub a_waddr: Signal<Out, Bits<16>>,
    pub a_wdata: Signal<Out, Bits<16>>,
    pub busy: Signal<Out, Bit>,
    pub done: Signal<Out, Bit>,
    act: DFF<Bit>,
    zdone: DFF<Bit>,
    rd: DFF<Bit>,
    k: DFF<Bits<17>>,
    dv: DFF<Bit>,
    dph: DFF<Bit>,
    dl: DFF<Bit>,
    di: DFF<Bits<16>>,
    xa: DFF<Bits<16>>,
    wv: DFF<Bit>,
    wl: DFF<Bit>,
    wi: DFF<Bits<16>>,
    wd: DFF<Bits<16>>,
    go: Signal<Local, Bit>,
    rcur: Signal<Local, Bit>,
    kcur: Signal<Local, Bits<17>>,
    last: Signal<Local, Bit>,
    sadd: SatAdd16,
}

impl Default for VecAdd {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            start: Default::default(),
            src_a: Default::default(),
            src_b: Default::default(),
            dst: Default::default(),
            len: Default::default(),
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
            rd: Default::default(),
            k: Default::default(),
            dv: Default::default(),
            dph: Default::default(),
            dl: Default::default(),
            di: Default::default(),
            xa: Default::default(),
            wv: Default::default(),
            wl: Default::default(),
            wi: Default::default(),
            wd: Default::default(),
            go: Default::default(),
            rcur: Default::default(),
            kcur: Default::default(),
            last: Default::default(),
            sadd: Default::default(),
        }
    }
}

impl Logic for VecAdd {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, act, zdone, rd, k, dv, dph, dl, di, xa, wv, wl, wi, wd);
        self.go.next = self.start.val() & !self.act.q.val() & !self.zdone.q.val();
        self.zdone.d.next = self.go.val() & (self.len.val() == 0);
        // Read slots k = 0 .. 2 len - 1: even a_i, odd b_i (i = k / 2).
        self.rcur.next = self.rd.q.val();
        self.kcur.next = self.k.q.val();
        if self.go.val() & (self.len.val() != 0) {
            self.rcur.next = true;
            self.kcur.next = 0.into();
            self.act.d.next = true;
        }
        self.last.next = (self.kcur.val() + 1) == (bit_cast::<17, 16>(self.len.val()) << 1);
        self.a_ren.next = self.rcur.val();
        self.a_raddr.next = self.src_a.val() + self.kcur.val().get_bits::<16>(1);
        if self.kcur.val().get_bit(0) {
            self.a_raddr.next = self.src_b.val() + self.kcur.val().get_bits::<16>(1);
        }
        if self.rcur.val() {
            self.k.d.next = self.kcur.val() + 1;
            self.rd.d.next = !self.last.val();
        }
        self.dv.d.next = self.rcur.val();
        self.dph.d.next = self.kcur.val().get_bit(0);
        self.dl.d.next = self.last.val();
        self.di.d.next = self.kcur.val().get_bits::<16>(1);
        // Data: keep a_i; with b_i form the saturated sum.
        if self.dv.q.val() & !self.dph.q.val() {
            self.xa.d.next = self.a_rdata.val();
        }
        self.sadd.a.next = self.xa.q.val();
        self.sadd.b.next = self.a_rdata.val();
        self.wd.d.next = self.sadd.y.val();
        self.wv.d.next = self.dv.q.val() & self.dph.q.val();
        self.wl.d.next = self.dl.q.val();
        self.wi.d.next = self.di.q.val();
        self.a_we.next = self.wv.q.val();
        self.a_waddr.next = self.dst.val() + self.wi.q.val();
        self.a_wdata.next = self.wd.q.val();
        self.done.next = (self.wv.q.val() & self.wl.q.val()) | self.zdone.q.val();
        if self.wv.q.val() & self.wl.q.val() {
            self.act.d.next = false;
        }
        self.busy.next = self.act.q.val();
        if self.reset.val() {
            self.act.d.next = false;
            self.zdone.d.next = false;
            self.rd.d.next = false;
            self.dv.d.next = false;
            self.wv.d.next = false;
        }
    }
}

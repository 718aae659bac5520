//! The residual ADD leaf: `dst[i] = sat16(dst[i] + src[i])` for `i < len`, over the
//! scratchpad's element ports.
//!
//! Contract:
//! 1. `start` (one-cycle pulse while idle) with `dst`, `src`, `len` held until `done`.
//! 2. Reads go out on `a_ren`/`a_raddr` (data on `a_rdata` the cycle after), writes on
//!    `a_we`/`a_waddr`/`a_wdata`; element `i` is read as `dst + i` then `src + i` and written
//!    in the cycle of the next element's first read, so the leaf takes `2 len + 1` cycles from
//!    the cycle after `start` to `done` inclusive (`len = 0`: 1).
//! 3. `done` pulses in the cycle of the last write. While idle all enables are low.
//! 4. `reset` (synchronous) returns to idle.

use rust_hdl::prelude::*;

#[derive(Clone, Debug, Default, LogicBlock)]
pub struct AddLeaf {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub start: Signal<In, Bit>,
    pub dst: Signal<In, Bits<16>>,
    pub src: Signal<In, Bits<16>>,
    pub len: Signal<In, Bits<16>>,
    pub busy: Signal<Out, Bit>,
    pub done: Signal<Out, Bit>,
    pub a_ren: Signal<Out, Bit>,
    pub a_raddr: Signal<Out, Bits<16>>,
    pub a_rdata: Signal<In, Bits<16>>,
    pub a_we: Signal<Out, Bit>,
    pub a_waddr: Signal<Out, Bits<16>>,
    pub a_wdata: Signal<Out, Bits<16>>,
    run: DFF<Bit>,
    ph: DFF<Bit>,
    idx: DFF<Bits<16>>,
    pend: DFF<Bit>,
    areg: DFF<Bits<16>>,
    sum: Signal<Local, Bits<16>>,
}

impl Logic for AddLeaf {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, run, ph, idx, pend, areg);
        self.busy.next = self.run.q.val();
        self.done.next = false;
        self.a_ren.next = false;
        self.a_raddr.next = 0.into();
        self.a_we.next = false;
        self.a_waddr.next = self.dst.val() + self.idx.q.val() - 1;
        self.sum.next = self.areg.q.val() + self.a_rdata.val();
        self.a_wdata.next = self.sum.val();
        if (self.areg.q.val().get_bit(15) == self.a_rdata.val().get_bit(15)) & (self.sum.val().get_bit(15) != self.areg.q.val().get_bit(15)) {
            if self.areg.q.val().get_bit(15) {
                self.a_wdata.next = 32768.into();
            } else {
                self.a_wdata.next = 32767.into();
            }
        }
        if self.run.q.val() {
            if !self.ph.q.val() {
                if self.pend.q.val() {
                    self.a_we.next = true;
                    self.pend.d.next = false;
                }
                if self.idx.q.val() == self.len.val() {
                    self.done.next = true;
                    self.run.d.next = false;
                } else {
                    self.a_ren.next = true;
                    self.a_raddr.next = self.dst.val() + self.idx.q.val();
                    self.ph.d.next = true;
                }
            } else {
                self.a_ren.next = true;
                self.a_raddr.next = self.src.val() + self.idx.q.val();
                self.areg.d.next = self.a_rdata.val();
                self.idx.d.next = self.idx.q.val() + 1;
                self.pend.d.next = true;
                self.ph.d.next = false;
            }
        }
        if self.start.val() & !self.run.q.val() {
            self.run.d.next = true;
            self.ph.d.next = false;
            self.idx.d.next = 0.into();
            self.pend.d.next = false;
        }
        if self.reset.val() {
            self.run.d.next = false;
            self.pend.d.next = false;
            self.ph.d.next = false;
        }
    }
}

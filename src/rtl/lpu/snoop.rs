//! `WriteSnoop`, the part Norm and the Sampler share to watch the scratchpad's write port:
//! every write, registered, with a flag saying whether it is the first since the last clear.
//! Checked through the leaves that use it (`tests/lpu_vector.rs`: Norm's and the Sampler's
//! `pre` runs after random writes and a clear, against `norm::model_pre`, `sampler::model_pre`).
//!
//! Contract:
//! 1. In the cycle after a cycle with `we`, `v` is high and `addr`, `data` are that write's;
//!    otherwise `v` is low (`addr`, `data` still follow the inputs a cycle late).
//! 2. `first` (valid with `v`) is high for the first write since the last `clear`: a write in
//!    the same cycle as `clear` counts as after it. `reset` (synchronous) forgets a pending
//!    clear and drops `v`.

use rust_hdl::prelude::*;

#[derive(Clone, Debug, Default, LogicBlock)]
pub struct WriteSnoop {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub clear: Signal<In, Bit>,
    pub we: Signal<In, Bit>,
    pub waddr: Signal<In, Bits<16>>,
    pub wdata: Signal<In, Bits<16>>,
    pub v: Signal<Out, Bit>,
    pub first: Signal<Out, Bit>,
    pub addr: Signal<Out, Bits<16>>,
    pub data: Signal<Out, Bits<16>>,
    pend: DFF<Bit>,
    vr: DFF<Bit>,
    fr: DFF<Bit>,
    ar: DFF<Bits<16>>,
    dr: DFF<Bits<16>>,
}

impl Logic for WriteSnoop {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, pend, vr, fr, ar, dr);
        self.vr.d.next = self.we.val();
        self.ar.d.next = self.waddr.val();
        self.dr.d.next = self.wdata.val();
        self.fr.d.next = self.pend.q.val() | self.clear.val();
        if self.clear.val() {
            self.pend.d.next = true;
        }
        if self.we.val() {
            self.pend.d.next = false;
        }
        self.v.next = self.vr.q.val();
        self.first.next = self.fr.q.val();
        self.addr.next = self.ar.q.val();
        self.data.next = self.dr.q.val();
        if self.reset.val() {
            self.pend.d.next = false;
            self.vr.d.next = false;
        }
    }
}

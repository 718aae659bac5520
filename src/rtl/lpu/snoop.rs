//! `WriteSnoop`, the part Norm and the Sampler share to watch the scratchpad's two write ports:
//! every element write and every chunk write, registered, with a flag saying whether it is the
//! first write since the last clear. Checked through the leaves that use it
//! (`tests/lpu_vector.rs`: Norm's and the Sampler's `pre` runs after random element writes,
//! chunk writes with random lane masks, empty-mask writes and a clear, against
//! `norm::model_pre`, `sampler::model_pre`).
//!
//! Contract (`KW = 16 K` bits of chunk data, K lanes; a chunk write *writes* when its lane
//! mask `kwm` has a lane set, lane `j` being bit `j`):
//! 1. In the cycle after a cycle with an element write (`we`) or a chunk write that writes
//!    (`kwe` with `kwm != 0`), `v` is high; otherwise low. `addr`, `data` are the element port's
//!    inputs a cycle late; `kv` is high after a chunk write that writes, and `km`, `ka`, `kd` are
//!    the chunk port's inputs a cycle late. The core never writes both ports in one cycle.
//! 2. `first` (valid with `v`) is high for the first write since the last `clear`: a write in
//!    the same cycle as `clear` counts as after it. A chunk write with an empty mask writes
//!    nothing and neither counts nor clears `first`. `reset` (synchronous) forgets a pending
//!    clear and drops `v` and `kv`.

use rust_hdl::prelude::*;

#[derive(Clone, Debug, Default, LogicBlock)]
pub struct WriteSnoop<const KW: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub clear: Signal<In, Bit>,
    pub we: Signal<In, Bit>,
    pub waddr: Signal<In, Bits<16>>,
    pub wdata: Signal<In, Bits<16>>,
    pub kwe: Signal<In, Bit>,
    pub kwm: Signal<In, Bits<16>>,
    pub kaddr: Signal<In, Bits<16>>,
    pub kdata: Signal<In, Bits<KW>>,
    pub v: Signal<Out, Bit>,
    pub first: Signal<Out, Bit>,
    pub addr: Signal<Out, Bits<16>>,
    pub data: Signal<Out, Bits<16>>,
    pub kv: Signal<Out, Bit>,
    pub km: Signal<Out, Bits<16>>,
    pub ka: Signal<Out, Bits<16>>,
    pub kd: Signal<Out, Bits<KW>>,
    /// This cycle's chunk write writes a lane.
    kany: Signal<Local, Bit>,
    pend: DFF<Bit>,
    vr: DFF<Bit>,
    fr: DFF<Bit>,
    ar: DFF<Bits<16>>,
    dr: DFF<Bits<16>>,
    kvr: DFF<Bit>,
    kmr: DFF<Bits<16>>,
    kar: DFF<Bits<16>>,
    kdr: DFF<Bits<KW>>,
}

impl<const KW: usize> Logic for WriteSnoop<KW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, pend, vr, fr, ar, dr, kvr, kmr, kar, kdr);
        self.kany.next = self.kwe.val() & (self.kwm.val() != 0);
        self.vr.d.next = self.we.val() | self.kany.val();
        self.ar.d.next = self.waddr.val();
        self.dr.d.next = self.wdata.val();
        self.kvr.d.next = self.kany.val();
        self.kmr.d.next = self.kwm.val();
        self.kar.d.next = self.kaddr.val();
        self.kdr.d.next = self.kdata.val();
        self.fr.d.next = self.pend.q.val() | self.clear.val();
        if self.clear.val() {
            self.pend.d.next = true;
        }
        if self.we.val() | self.kany.val() {
            self.pend.d.next = false;
        }
        self.v.next = self.vr.q.val();
        self.first.next = self.fr.q.val();
        self.addr.next = self.ar.q.val();
        self.data.next = self.dr.q.val();
        self.kv.next = self.kvr.q.val();
        self.km.next = self.kmr.q.val();
        self.ka.next = self.kar.q.val();
        self.kd.next = self.kdr.q.val();
        if self.reset.val() {
            self.pend.d.next = false;
            self.vr.d.next = false;
            self.kvr.d.next = false;
        }
    }
}

//! UART receiver, 8N1, LSB first.
//!
//! ```text
//!            +-----------+
//!  rx ------>| 2-flop    |--> valid (1-cycle pulse), data[8]
//!  divisor ->| sync, mid-|--> frame_err (1-cycle pulse)
//!            | bit sample|
//!            +-----------+
//! ```
//!
//! Contract (`divisor` = clocks per bit, constant, >= 4):
//! 1. `rx` passes two flip-flops (reset to 1, the idle level) before any decision.
//! 2. A low synchronised line while idle and *armed* (the line was seen high since the last
//!    frame) starts a frame; the start bit is sampled again `divisor/2` cycles later and a high
//!    line there is a glitch (back to idle, nothing reported).
//! 3. Data bits are sampled every `divisor` cycles after that, LSB first, then the stop bit.
//! 4. A high stop bit gives `valid` for one cycle with `data` (held until the next byte). A low
//!    stop bit gives `frame_err` for one cycle, the byte is dropped, and the receiver waits for
//!    the line to go high (a held-low line, a break, counts as one error, not many).
//! 5. `reset` (synchronous) returns to idle.

use rust_hdl::prelude::*;

#[derive(Clone, Debug, Default, LogicBlock)]
pub struct UartRx {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub rx: Signal<In, Bit>,
    /// Clocks per bit (a constant from the configuration).
    pub divisor: Signal<In, Bits<16>>,
    pub valid: Signal<Out, Bit>,
    pub data: Signal<Out, Bits<8>>,
    pub frame_err: Signal<Out, Bit>,
    s1: DFF<Bit>,
    s2: DFF<Bit>,
    armed: DFF<Bit>,
    state: DFF<Bits<2>>,
    cnt: DFF<Bits<16>>,
    nbit: DFF<Bits<4>>,
    sh: DFF<Bits<8>>,
    vr: DFF<Bit>,
    dr: DFF<Bits<8>>,
    er: DFF<Bit>,
}

impl Logic for UartRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, s1, s2, armed, state, cnt, nbit, sh, vr, dr, er);
        self.s1.d.next = self.rx.val();
        self.s2.d.next = self.s1.q.val();
        self.vr.d.next = false;
        self.er.d.next = false;
        self.valid.next = self.vr.q.val();
        self.data.next = self.dr.q.val();
        self.frame_err.next = self.er.q.val();
        if self.state.q.val() == 0 {
            if self.s2.q.val() {
                self.armed.d.next = true;
            } else if self.armed.q.val() {
                self.state.d.next = 1.into();
                self.armed.d.next = false;
                self.cnt.d.next = (self.divisor.val() >> 1) - 1;
            }
        } else if self.cnt.q.val() != 0 {
            self.cnt.d.next = self.cnt.q.val() - 1;
        } else {
            self.cnt.d.next = self.divisor.val() - 1;
            if self.state.q.val() == 1 {
                // Middle of the start bit.
                if self.s2.q.val() {
                    self.state.d.next = 0.into();
                    self.armed.d.next = true;
                } else {
                    self.state.d.next = 2.into();
                    self.nbit.d.next = 0.into();
                }
            } else if self.state.q.val() == 2 {
                if self.s2.q.val() {
                    self.sh.d.next = (self.sh.q.val() >> 1) | 0x80;
                } else {
                    self.sh.d.next = self.sh.q.val() >> 1;
                }
                self.nbit.d.next = self.nbit.q.val() + 1;
                if self.nbit.q.val() == 7 {
                    self.state.d.next = 3.into();
                }
            } else {
                // Middle of the stop bit.
                self.state.d.next = 0.into();
                if self.s2.q.val() {
                    self.vr.d.next = true;
                    self.dr.d.next = self.sh.q.val();
                    self.armed.d.next = true;
                } else {
                    self.er.d.next = true;
                }
            }
        }
        if self.reset.val() {
            self.s1.d.next = true;
            self.s2.d.next = true;
            self.armed.d.next = false;
            self.state.d.next = 0.into();
            self.vr.d.next = false;
            self.er.d.next = false;
        }
    }
}

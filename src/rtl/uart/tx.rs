//! UART transmitter, 8N1, LSB first.
//!
//! ```text
//!            +-----------+
//!  start --->|  10-bit   |--> tx (registered, 1 when idle)
//!  data[8] ->|  shifter  |--> ready
//!  divisor ->|           |
//!            +-----------+
//! ```
//!
//! Contract (`divisor` = clocks per bit, constant, >= 1):
//! 1. `ready` is high while idle and in the last cycle of a frame's stop bit. `start` with
//!    `ready` high takes `data`; `ready` is low from the next cycle until the last cycle of
//!    that frame. `start` while not ready is ignored.
//! 2. The frame (start bit 0, data LSB first, stop bit 1) appears on `tx` one cycle after the
//!    accepting edge, each bit for exactly `divisor` cycles: a byte takes `10 * divisor` cycles
//!    and bytes started as soon as `ready` rises follow each other without gaps.
//! 3. `reset` (synchronous) aborts a frame and drives the idle level 1.

use rust_hdl::prelude::*;

#[derive(Clone, Debug, Default, LogicBlock)]
pub struct UartTx {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// Clocks per bit (a constant from the configuration).
    pub divisor: Signal<In, Bits<16>>,
    pub start: Signal<In, Bit>,
    pub data: Signal<In, Bits<8>>,
    pub tx: Signal<Out, Bit>,
    pub ready: Signal<Out, Bit>,
    busy: DFF<Bit>,
    sh: DFF<Bits<10>>,
    cnt: DFF<Bits<16>>,
    nbit: DFF<Bits<4>>,
    line: DFF<Bit>,
    last: Signal<Local, Bit>,
}

impl Logic for UartTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, busy, sh, cnt, nbit, line);
        self.tx.next = self.line.q.val();
        self.last.next = self.busy.q.val() & (self.nbit.q.val() == 9) & (self.cnt.q.val() == 0);
        self.ready.next = !self.busy.q.val() | self.last.val();
        self.line.d.next = true;
        if self.busy.q.val() & !self.last.val() {
            self.line.d.next = self.sh.q.val().get_bit(0);
            if self.cnt.q.val() != 0 {
                self.cnt.d.next = self.cnt.q.val() - 1;
            } else {
                // Last cycle of this bit: the next one starts now.
                self.cnt.d.next = self.divisor.val() - 1;
                self.sh.d.next = self.sh.q.val() >> 1;
                self.nbit.d.next = self.nbit.q.val() + 1;
                self.line.d.next = self.sh.q.val().get_bit(1);
            }
        } else {
            self.busy.d.next = false;
            if self.start.val() {
                self.busy.d.next = true;
                self.sh.d.next = (bit_cast::<10, 8>(self.data.val()) << 1) | 0x200;
                self.cnt.d.next = self.divisor.val() - 1;
                self.nbit.d.next = 0.into();
                self.line.d.next = false;
            }
        }
        if self.reset.val() {
            self.busy.d.next = false;
            self.line.d.next = true;
        }
    }
}

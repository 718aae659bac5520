//! The sender: the TX buffer's pointers (the memory is a [`super::ram::ByteRam`]), the status
//! record, and the one UART transmitter they share (docs/protocol.md, "Response").
//!
//! ```text
//!                  +-------------------------+
//!  out_valid ----->| FIFO write (wp)         |--> out_ready = !full
//!  out_byte[8] --->|                         |--> f_we, f_waddr, f_wdata
//!  gen_done ------>| FIFO read (rp) -> tx    |--> f_raddr  (f_rdata the cycle after)
//!  st_* ---------->| status record shifter   |--> tx_start, tx_data
//!  reply, code --->|                         |--> session_end
//!  tx_ready ------>|                         |
//!                  +-------------------------+
//! ```
//!
//! Contract (`depth` = buffer bytes, a power of two <= 32768, constant):
//! 1. `out_ready = !full`; a byte offered with `out_valid` while ready is written at the edge.
//!    Bytes leave in order.
//! 2. The oldest buffered byte is read ahead into a holding register (`f_raddr` = read pointer,
//!    `f_rdata` the cycle after) whenever the register is empty or being emptied, so the
//!    transmitter never waits for the memory.
//! 3. Whenever the transmitter is ready the sender starts, in this priority: the next byte of
//!    a record being sent; an error record requested by `reply` (code `reply_code`, zero
//!    counters); the held byte; the generation's status record once `gen_done` has been seen
//!    and the buffer, the read in flight and the holding register are empty. A record's marker
//!    goes out in the cycle the record is chosen, so bytes leave back to back.
//! 4. A record is 21 bytes: 0xFF, code, st_tokens (4 bytes), st_names (2), st_cycles (6),
//!    st_stall (6), all little-endian, then the sum of the 19 bytes after 0xFF mod 256. The
//!    `st_*` inputs are read byte by byte while the record is sent (the core holds them from
//!    `gen_done` until the next `cmd_start`, which cannot come before the record has gone).
//! 5. `session_end` pulses when the last byte of the generation's (code 0) record has been
//!    handed to the transmitter.
//! 6. `reset` (synchronous) empties the buffer and forgets pending records.

use rust_hdl::prelude::*;

#[derive(Clone, Debug, Default, LogicBlock)]
pub struct Sender {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// TX buffer depth in bytes (a constant from the configuration).
    pub depth: Signal<In, Bits<16>>,
    pub out_valid: Signal<In, Bit>,
    pub out_byte: Signal<In, Bits<8>>,
    pub out_ready: Signal<Out, Bit>,
    pub gen_done: Signal<In, Bit>,
    pub st_tokens: Signal<In, Bits<32>>,
    pub st_names: Signal<In, Bits<16>>,
    pub st_cycles: Signal<In, Bits<48>>,
    pub st_stall: Signal<In, Bits<48>>,
    pub reply: Signal<In, Bit>,
    pub reply_code: Signal<In, Bits<8>>,
    pub tx_ready: Signal<In, Bit>,
    pub f_rdata: Signal<In, Bits<8>>,
    pub f_we: Signal<Out, Bit>,
    pub f_waddr: Signal<Out, Bits<16>>,
    pub f_wdata: Signal<Out, Bits<8>>,
    pub f_raddr: Signal<Out, Bits<16>>,
    pub tx_start: Signal<Out, Bit>,
    pub tx_data: Signal<Out, Bits<8>>,
    pub session_end: Signal<Out, Bit>,
    wp: DFF<Bits<16>>,
    rp: DFF<Bits<16>>,
    fetch: DFF<Bit>,
    hold: DFF<Bits<8>>,
    hv: DFF<Bit>,
    done_p: DFF<Bit>,
    err_p: DFF<Bit>,
    err_code: DFF<Bits<8>>,
    rec_on: DFF<Bit>,
    rec_ok: DFF<Bit>,
    rec_k: DFF<Bits<8>>,
    code: DFF<Bits<8>>,
    csum: DFF<Bits<8>>,
    full: Signal<Local, Bit>,
    empty: Signal<Local, Bit>,
    mask: Signal<Local, Bits<16>>,
    take: Signal<Local, Bit>,
    rbyte: Signal<Local, Bits<8>>,
}

impl Logic for Sender {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, wp, rp, fetch, hold, hv, done_p, err_p, err_code, rec_on, rec_ok, rec_k, code, csum);
        self.mask.next = self.depth.val() - 1;
        self.full.next = (self.wp.q.val() - self.rp.q.val()) == self.depth.val();
        self.empty.next = self.wp.q.val() == self.rp.q.val();
        self.out_ready.next = !self.full.val();
        self.f_we.next = self.out_valid.val() & !self.full.val();
        self.f_waddr.next = self.wp.q.val() & self.mask.val();
        self.f_wdata.next = self.out_byte.val();
        self.f_raddr.next = self.rp.q.val() & self.mask.val();
        if self.out_valid.val() & !self.full.val() {
            self.wp.d.next = self.wp.q.val() + 1;
        }
        if self.gen_done.val() {
            self.done_p.d.next = true;
        }
        if self.reply.val() {
            self.err_p.d.next = true;
            self.err_code.d.next = self.reply_code.val();
        }
        // Byte rec_k (1..=19) of the record: code, then the counters (zero in error records).
        self.rbyte.next = 0.into();
        if self.rec_k.q.val() == 1 {
            self.rbyte.next = self.code.q.val();
        }
        if self.rec_ok.q.val() {
            if self.rec_k.q.val() == 2 {
                self.rbyte.next = self.st_tokens.val().get_bits::<8>(0);
            }
            if self.rec_k.q.val() == 3 {
                self.rbyte.next = self.st_tokens.val().get_bits::<8>(8);
            }
            if self.rec_k.q.val() == 4 {
                self.rbyte.next = self.st_tokens.val().get_bits::<8>(16);
            }
            if self.rec_k.q.val() == 5 {
                self.rbyte.next = self.st_tokens.val().get_bits::<8>(24);
            }
            if self.rec_k.q.val() == 6 {
                self.rbyte.next = self.st_names.val().get_bits::<8>(0);
            }
            if self.rec_k.q.val() == 7 {
                self.rbyte.next = self.st_names.val().get_bits::<8>(8);
            }
            if self.rec_k.q.val() == 8 {
                self.rbyte.next = self.st_cycles.val().get_bits::<8>(0);
            }
            if self.rec_k.q.val() == 9 {
                self.rbyte.next = self.st_cycles.val().get_bits::<8>(8);
            }
            if self.rec_k.q.val() == 10 {
                self.rbyte.next = self.st_cycles.val().get_bits::<8>(16);
            }
            if self.rec_k.q.val() == 11 {
                self.rbyte.next = self.st_cycles.val().get_bits::<8>(24);
            }
            if self.rec_k.q.val() == 12 {
                self.rbyte.next = self.st_cycles.val().get_bits::<8>(32);
            }
            if self.rec_k.q.val() == 13 {
                self.rbyte.next = self.st_cycles.val().get_bits::<8>(40);
            }
            if self.rec_k.q.val() == 14 {
                self.rbyte.next = self.st_stall.val().get_bits::<8>(0);
            }
            if self.rec_k.q.val() == 15 {
                self.rbyte.next = self.st_stall.val().get_bits::<8>(8);
            }
            if self.rec_k.q.val() == 16 {
                self.rbyte.next = self.st_stall.val().get_bits::<8>(16);
            }
            if self.rec_k.q.val() == 17 {
                self.rbyte.next = self.st_stall.val().get_bits::<8>(24);
            }
            if self.rec_k.q.val() == 18 {
                self.rbyte.next = self.st_stall.val().get_bits::<8>(32);
            }
            if self.rec_k.q.val() == 19 {
                self.rbyte.next = self.st_stall.val().get_bits::<8>(40);
            }
        }
        self.tx_start.next = false;
        self.tx_data.next = self.hold.q.val();
        self.session_end.next = false;
        self.fetch.d.next = false;
        // The byte read in the previous cycle lands in the holding register.
        if self.fetch.q.val() {
            self.hold.d.next = self.f_rdata.val();
            self.hv.d.next = true;
        }
        self.take.next = self.tx_ready.val() & !self.rec_on.q.val() & !self.err_p.q.val() & self.hv.q.val();
        if self.tx_ready.val() {
            if self.rec_on.q.val() {
                self.tx_start.next = true;
                self.rec_k.d.next = self.rec_k.q.val() + 1;
                self.csum.d.next = self.csum.q.val() + self.rbyte.val();
                if self.rec_k.q.val() == 20 {
                    self.tx_data.next = self.csum.q.val();
                    self.rec_on.d.next = false;
                    self.session_end.next = self.rec_ok.q.val();
                } else {
                    self.tx_data.next = self.rbyte.val();
                }
            } else if self.err_p.q.val() {
                self.err_p.d.next = false;
                self.tx_start.next = true;
                self.tx_data.next = 0xFF.into();
                self.rec_on.d.next = true;
                self.rec_ok.d.next = false;
                self.rec_k.d.next = 1.into();
                self.csum.d.next = 0.into();
                self.code.d.next = self.err_code.q.val();
            } else if self.hv.q.val() {
                self.tx_start.next = true;
                self.hv.d.next = false;
            } else if self.empty.val() & !self.fetch.q.val() & self.done_p.q.val() {
                self.done_p.d.next = false;
                self.tx_start.next = true;
                self.tx_data.next = 0xFF.into();
                self.rec_on.d.next = true;
                self.rec_ok.d.next = true;
                self.rec_k.d.next = 1.into();
                self.csum.d.next = 0.into();
                self.code.d.next = 0.into();
            }
        }
        // Refill the holding register as soon as it is (or is being) emptied.
        if (!self.hv.q.val() | self.take.val()) & !self.fetch.q.val() & !self.empty.val() {
            self.rp.d.next = self.rp.q.val() + 1;
            self.fetch.d.next = true;
        }
        if self.reset.val() {
            self.wp.d.next = 0.into();
            self.rp.d.next = 0.into();
            self.fetch.d.next = false;
            self.hv.d.next = false;
            self.done_p.d.next = false;
            self.err_p.d.next = false;
            self.rec_on.d.next = false;
        }
    }
}

//! The command parser: received bytes -> the start frame's fields, the prompt memory writes,
//! and either a `cmd_start` pulse or an error reply (docs/protocol.md, "Start frame").
//!
//! ```text
//!                  +----------------------+
//!  rx_valid ------>|                      |--> cmd_start, cmd_seed, cmd_temp_k, cmd_count,
//!  rx_data[8] ---->|  frame state machine |    cmd_names, cmd_quiet, cmd_prompt_len
//!  rx_ferr ------->|  byte position, sum, |--> p_we, p_waddr, p_wdata (prompt memory)
//!  core_busy ----->|  silence timer       |--> reply, reply_code (error status request)
//!  session_end --->|                      |--> active, rx_errors
//!                  +----------------------+
//! ```
//!
//! Contract (frame bytes: 0 magic 0xA5, 1 version 1, 2..5 seed, 6..7 temp_k, 8..9 count,
//! 10 flags, 11 prompt length m, 12..12+m-1 prompt, 12+m checksum = sum of bytes 0..12+m-1
//! mod 256; multi-byte fields little-endian):
//! 1. While idle, a byte other than the magic starts a *discarded* frame: bytes are swallowed
//!    until the line has been silent for `timeout` clocks, then `reply` with code 2 (bad magic).
//!    A wrong version byte does the same with code 3.
//! 2. A started frame silent for `timeout` clocks before its checksum byte is abandoned with
//!    code 5 (truncated).
//! 3. At the checksum byte (one cycle after its `rx_valid`, the outputs are registered): a wrong
//!    sum gives code 4; else a frame that began or ended while `active` or `core_busy` gives
//!    code 1 (busy); else `m > max_prompt` gives code 6; else `cmd_start` pulses with the
//!    `cmd_*` outputs already holding the frame's fields, and `active` rises.
//! 4. The `cmd_*` outputs change only while no generation runs: a frame that is not rejected as
//!    busy when it starts writes its fields into them as they arrive (`cmd_prompt_len` at
//!    `cmd_start`) and its prompt token `i < max_prompt` to address `i`; a busy frame writes
//!    nothing. A malformed frame may leave new values there, but no `cmd_start`.
//! 5. `active` falls with `session_end` (the sender has sent the generation's status).
//! 6. `rx_errors` counts UART framing errors, saturating at 255.
//! 7. `reset` (synchronous) returns to idle, clears `active` and the error count.

use rust_hdl::prelude::*;

#[derive(Clone, Debug, Default, LogicBlock)]
pub struct Parser {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub rx_valid: Signal<In, Bit>,
    pub rx_data: Signal<In, Bits<8>>,
    pub rx_ferr: Signal<In, Bit>,
    pub core_busy: Signal<In, Bit>,
    pub session_end: Signal<In, Bit>,
    /// Longest accepted prompt (a constant from the configuration).
    pub max_prompt: Signal<In, Bits<8>>,
    /// Clocks of silence that end a frame (a constant from the configuration).
    pub timeout: Signal<In, Bits<24>>,
    pub cmd_start: Signal<Out, Bit>,
    pub cmd_seed: Signal<Out, Bits<32>>,
    pub cmd_temp_k: Signal<Out, Bits<16>>,
    pub cmd_count: Signal<Out, Bits<16>>,
    pub cmd_names: Signal<Out, Bit>,
    pub cmd_quiet: Signal<Out, Bit>,
    pub cmd_prompt_len: Signal<Out, Bits<8>>,
    pub p_we: Signal<Out, Bit>,
    pub p_waddr: Signal<Out, Bits<8>>,
    pub p_wdata: Signal<Out, Bits<8>>,
    pub reply: Signal<Out, Bit>,
    pub reply_code: Signal<Out, Bits<8>>,
    pub active: Signal<Out, Bit>,
    pub rx_errors: Signal<Out, Bits<8>>,
    st: DFF<Bits<2>>,
    pos: DFF<Bits<16>>,
    sum: DFF<Bits<8>>,
    timer: DFF<Bits<24>>,
    rej: DFF<Bit>,
    dcode: DFF<Bits<8>>,
    plen_s: DFF<Bits<8>>,
    seed_r: DFF<Bits<32>>,
    temp_r: DFF<Bits<16>>,
    count_r: DFF<Bits<16>>,
    flags_r: DFF<Bits<8>>,
    plen_r: DFF<Bits<8>>,
    start_r: DFF<Bit>,
    act: DFF<Bit>,
    rep: DFF<Bit>,
    code: DFF<Bits<8>>,
    errs: DFF<Bits<8>>,
    pidx: Signal<Local, Bits<16>>,
    in_prompt: Signal<Local, Bit>,
}

impl Logic for Parser {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, st, pos, sum, timer, rej, dcode, plen_s, seed_r, temp_r, count_r,
            flags_r, plen_r, start_r, act, rep, code, errs
        );
        self.cmd_start.next = self.start_r.q.val();
        self.cmd_seed.next = self.seed_r.q.val();
        self.cmd_temp_k.next = self.temp_r.q.val();
        self.cmd_count.next = self.count_r.q.val();
        self.cmd_names.next = self.flags_r.q.val().get_bit(0);
        self.cmd_quiet.next = self.flags_r.q.val().get_bit(1);
        self.cmd_prompt_len.next = self.plen_r.q.val();
        self.reply.next = self.rep.q.val();
        self.reply_code.next = self.code.q.val();
        self.active.next = self.act.q.val();
        self.rx_errors.next = self.errs.q.val();
        self.start_r.d.next = false;
        self.rep.d.next = false;
        self.pidx.next = self.pos.q.val() - 12;
        self.in_prompt.next = (self.pos.q.val() >= 12) & (self.pos.q.val() < (bit_cast::<16, 8>(self.plen_s.q.val()) + 12));
        self.p_waddr.next = self.pidx.val().get_bits::<8>(0);
        self.p_wdata.next = self.rx_data.val();
        self.p_we.next = false;
        if self.rx_ferr.val() & (self.errs.q.val() != 0xFF) {
            self.errs.d.next = self.errs.q.val() + 1;
        }
        if self.session_end.val() {
            self.act.d.next = false;
        }
        if self.rx_valid.val() {
            self.timer.d.next = 0.into();
            self.pos.d.next = self.pos.q.val() + 1;
            self.sum.d.next = self.sum.q.val() + self.rx_data.val();
            if self.st.q.val() == 0 {
                self.pos.d.next = 1.into();
                self.sum.d.next = self.rx_data.val();
                if self.rx_data.val() == 0xA5 {
                    self.st.d.next = 1.into();
                    self.rej.d.next = self.act.q.val() | self.core_busy.val();
                } else {
                    self.st.d.next = 2.into();
                    self.dcode.d.next = 2.into();
                }
            } else if self.st.q.val() == 1 {
                if (self.pos.q.val() == 1) & (self.rx_data.val() != 1) {
                    self.st.d.next = 2.into();
                    self.dcode.d.next = 3.into();
                }
                // The fields go straight into the cmd registers unless the frame is rejected as
                // busy (then a generation may be reading them).
                if !self.rej.q.val() {
                    if (self.pos.q.val() >= 2) & (self.pos.q.val() <= 5) {
                        self.seed_r.d.next = (self.seed_r.q.val() >> 8) | (bit_cast::<32, 8>(self.rx_data.val()) << 24);
                    }
                    if (self.pos.q.val() == 6) | (self.pos.q.val() == 7) {
                        self.temp_r.d.next = (self.temp_r.q.val() >> 8) | (bit_cast::<16, 8>(self.rx_data.val()) << 8);
                    }
                    if (self.pos.q.val() == 8) | (self.pos.q.val() == 9) {
                        self.count_r.d.next = (self.count_r.q.val() >> 8) | (bit_cast::<16, 8>(self.rx_data.val()) << 8);
                    }
                    if self.pos.q.val() == 10 {
                        self.flags_r.d.next = self.rx_data.val();
                    }
                }
                if self.pos.q.val() == 11 {
                    self.plen_s.d.next = self.rx_data.val();
                }
                if self.in_prompt.val() {
                    self.p_we.next = !self.rej.q.val() & (self.pidx.val() < bit_cast::<16, 8>(self.max_prompt.val()));
                }
                if (self.pos.q.val() >= 12) & (self.pos.q.val() == (bit_cast::<16, 8>(self.plen_s.q.val()) + 12)) {
                    self.st.d.next = 0.into();
                    if self.sum.q.val() != self.rx_data.val() {
                        self.rep.d.next = true;
                        self.code.d.next = 4.into();
                    } else if self.rej.q.val() | self.act.q.val() | self.core_busy.val() {
                        self.rep.d.next = true;
                        self.code.d.next = 1.into();
                    } else if self.plen_s.q.val() > self.max_prompt.val() {
                        self.rep.d.next = true;
                        self.code.d.next = 6.into();
                    } else {
                        self.start_r.d.next = true;
                        self.act.d.next = true;
                        self.plen_r.d.next = self.plen_s.q.val();
                    }
                }
            }
        } else if self.st.q.val() != 0 {
            self.timer.d.next = self.timer.q.val() + 1;
            if self.timer.q.val() == self.timeout.val() {
                self.st.d.next = 0.into();
                self.rep.d.next = true;
                if self.st.q.val() == 1 {
                    self.code.d.next = 5.into();
                } else {
                    self.code.d.next = self.dcode.q.val();
                }
            }
        }
        if self.reset.val() {
            self.st.d.next = 0.into();
            self.timer.d.next = 0.into();
            self.act.d.next = false;
            self.start_r.d.next = false;
            self.rep.d.next = false;
            self.errs.d.next = 0.into();
        }
    }
}

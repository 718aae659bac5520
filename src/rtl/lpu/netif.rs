//! The tile's network interface: SEND (scratchpad or token -> one packet of 32-bit flits into
//! the mesh's local port) and RECV (one packet from the local port -> scratchpad or token).
//!
//! Packet (the flit format of `src/rtl/noc/flit.rs`, B = 32): head flit `dst_x` 2:0, `dst_y`
//! 5:3, `src_x` 8:6, `src_y` 11:9, `len` 15:12 = payload flits, tag 31:16 with bit 16 = kind
//! (0 ACT, 1 TOKEN) and bits 31:24 = the sender's position; then `ceil(len / 2)` payload
//! flits, element `2i` in bits 15:0 and `2i + 1` in bits 31:16 of flit `i` (a TOKEN packet: one
//! flit, the token in bits 7:0). The last flit has `last` = 1.
//!
//! Contract:
//! 1. `send_start` or `recv_start` (one-cycle pulse while idle) with `kind`, `dst_xy`
//!    (`x | y << 4`), `addr`, `len` (1..=30 elements), `tok`, `pos` held until `done`.
//! 2. SEND offers the head flit on `inj_*` until `inj_ready`; per payload flit it reads its two
//!    elements over `a_ren`/`a_raddr` (data on `a_rdata` the cycle after; the second read of an
//!    odd `len` is one past the vector and unused), then offers the flit until `inj_ready`:
//!    `1 + 4 * flits` cycles from the cycle after the start without back-pressure. `done`
//!    pulses in the cycle the last flit is taken.
//! 3. RECV takes the head flit (`ej_ready` high while waiting) and pulses `rx_hdr` with
//!    `rx_pos` = its position in that cycle; per payload flit it takes the flit, writes element
//!    `2i` that cycle and element `2i + 1` (if `< len`) the next over `a_we`/`a_waddr`/
//!    `a_wdata`; a TOKEN packet writes nothing and pulses `rx_tok_valid` with `rx_tok` instead.
//!    `done` pulses in the cycle after the last flit is taken. RECV does not check the kind:
//!    the compiler gives every tile one sender, so the next packet is the awaited one.
//! 4. While idle all enables and `inj_valid`, `ej_ready` are low. `reset` (synchronous) returns
//!    to idle.

use rust_hdl::prelude::*;

#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
pub enum NiState {
    Idle,
    SHead,
    SRdLo,
    SRdHi,
    SLatch,
    SPush,
    RHead,
    RPay,
    RHi,
}

#[derive(Clone, Debug, Default, LogicBlock)]
pub struct NetIf {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub send_start: Signal<In, Bit>,
    pub recv_start: Signal<In, Bit>,
    pub kind: Signal<In, Bit>,
    pub dst_xy: Signal<In, Bits<8>>,
    pub my_xy: Signal<In, Bits<8>>,
    pub addr: Signal<In, Bits<16>>,
    pub len: Signal<In, Bits<16>>,
    pub tok: Signal<In, Bits<8>>,
    pub pos: Signal<In, Bits<8>>,
    pub done: Signal<Out, Bit>,
    pub rx_hdr: Signal<Out, Bit>,
    pub rx_pos: Signal<Out, Bits<8>>,
    pub rx_tok_valid: Signal<Out, Bit>,
    pub rx_tok: Signal<Out, Bits<8>>,
    pub a_ren: Signal<Out, Bit>,
    pub a_raddr: Signal<Out, Bits<16>>,
    pub a_rdata: Signal<In, Bits<16>>,
    pub a_we: Signal<Out, Bit>,
    pub a_waddr: Signal<Out, Bits<16>>,
    pub a_wdata: Signal<Out, Bits<16>>,
    pub inj_valid: Signal<Out, Bit>,
    pub inj_data: Signal<Out, Bits<32>>,
    pub inj_last: Signal<Out, Bit>,
    pub inj_ready: Signal<In, Bit>,
    pub ej_valid: Signal<In, Bit>,
    pub ej_data: Signal<In, Bits<32>>,
    pub ej_last: Signal<In, Bit>,
    pub ej_ready: Signal<Out, Bit>,
    state: DFF<NiState>,
    idx: DFF<Bits<16>>,
    lo: DFF<Bits<16>>,
    hi: DFF<Bits<16>>,
    lastf: DFF<Bit>,
    flits: Signal<Local, Bits<16>>,
    head: Signal<Local, Bits<32>>,
}

impl Logic for NetIf {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, idx, lo, hi, lastf);
        self.flits.next = (self.len.val() + 1) >> 1;
        if self.kind.val() {
            self.flits.next = 1.into();
        }
        self.head.next = bit_cast::<32, 3>(self.dst_xy.val().get_bits::<3>(0))
            | (bit_cast::<32, 3>(self.dst_xy.val().get_bits::<3>(4)) << 3)
            | (bit_cast::<32, 3>(self.my_xy.val().get_bits::<3>(0)) << 6)
            | (bit_cast::<32, 3>(self.my_xy.val().get_bits::<3>(4)) << 9)
            | (bit_cast::<32, 4>(self.flits.val().get_bits::<4>(0)) << 12)
            | (bit_cast::<32, 8>(self.pos.val()) << 24);
        if self.kind.val() {
            self.head.next = self.head.val() | 65536;
        }
        self.done.next = false;
        self.rx_hdr.next = false;
        self.rx_pos.next = self.ej_data.val().get_bits::<8>(24);
        self.rx_tok_valid.next = false;
        self.rx_tok.next = self.ej_data.val().get_bits::<8>(0);
        self.a_ren.next = false;
        self.a_raddr.next = 0.into();
        self.a_we.next = false;
        self.a_waddr.next = self.addr.val() + self.idx.q.val();
        self.a_wdata.next = self.ej_data.val().get_bits::<16>(0);
        self.inj_valid.next = false;
        self.inj_data.next = bit_cast::<32, 16>(self.lo.q.val()) | (bit_cast::<32, 16>(self.hi.q.val()) << 16);
        self.inj_last.next = false;
        self.ej_ready.next = false;
        match self.state.q.val() {
            NiState::Idle => {
                if self.send_start.val() {
                    self.idx.d.next = 0.into();
                    self.state.d.next = NiState::SHead;
                }
                if self.recv_start.val() {
                    self.idx.d.next = 0.into();
                    self.state.d.next = NiState::RHead;
                }
            }
            NiState::SHead => {
                self.inj_valid.next = true;
                self.inj_data.next = self.head.val();
                if self.inj_ready.val() {
                    if self.kind.val() {
                        self.lo.d.next = bit_cast::<16, 8>(self.tok.val());
                        self.hi.d.next = 0.into();
                        self.idx.d.next = 2.into();
                        self.state.d.next = NiState::SPush;
                    } else {
                        self.state.d.next = NiState::SRdLo;
                    }
                }
            }
            NiState::SRdLo => {
                self.a_ren.next = true;
                self.a_raddr.next = self.addr.val() + self.idx.q.val();
                self.state.d.next = NiState::SRdHi;
            }
            NiState::SRdHi => {
                self.lo.d.next = self.a_rdata.val();
                self.a_ren.next = true;
                self.a_raddr.next = self.addr.val() + self.idx.q.val() + 1;
                self.state.d.next = NiState::SLatch;
            }
            NiState::SLatch => {
                self.hi.d.next = self.a_rdata.val();
                self.idx.d.next = self.idx.q.val() + 2;
                self.state.d.next = NiState::SPush;
            }
            NiState::SPush => {
                self.inj_valid.next = true;
                self.inj_last.next = self.idx.q.val() >= self.len.val();
                if self.inj_ready.val() {
                    if self.idx.q.val() >= self.len.val() {
                        self.done.next = true;
                        self.state.d.next = NiState::Idle;
                    } else {
                        self.state.d.next = NiState::SRdLo;
                    }
                }
            }
            NiState::RHead => {
                self.ej_ready.next = true;
                if self.ej_valid.val() {
                    self.rx_hdr.next = true;
                    self.state.d.next = NiState::RPay;
                }
            }
            NiState::RPay => {
                self.ej_ready.next = true;
                if self.ej_valid.val() {
                    self.hi.d.next = self.ej_data.val().get_bits::<16>(16);
                    self.lastf.d.next = self.ej_last.val();
                    if self.kind.val() {
                        self.rx_tok_valid.next = true;
                    } else {
                        self.a_we.next = true;
                    }
                    self.state.d.next = NiState::RHi;
                }
            }
            NiState::RHi => {
                self.a_waddr.next = self.addr.val() + self.idx.q.val() + 1;
                self.a_wdata.next = self.hi.q.val();
                if !self.kind.val() & ((self.idx.q.val() + 1) < self.len.val()) {
                    self.a_we.next = true;
                }
                self.idx.d.next = self.idx.q.val() + 2;
                if self.lastf.q.val() {
                    self.done.next = true;
                    self.state.d.next = NiState::Idle;
                } else {
                    self.state.d.next = NiState::RPay;
                }
            }
        }
        if self.reset.val() {
            self.state.d.next = NiState::Idle;
            self.idx.d.next = 0.into();
            self.lastf.d.next = false;
        }
    }
}

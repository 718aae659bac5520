//! The compact engine's hardware (`llmpu_micro_engine`): it runs the micro-ops of
//! [`super::isa`] one per cycle, exactly as [`super::model::Engine`] does, so the model's
//! results are the engine's bit for bit and its cycles are the engine's plus one.
//!
//! ```text
//!              +--------------------------------------------------+
//!  start ----->| pc -> uaddr (next micro-op)   uword (ROM, 1 cycle)|<-- uword[68]
//!  entry[9] -->| decode: action | read | control                  |--> uaddr[9]
//!  op_*[16] -->| A, B (48) Sh P0..P5 N0..N2  SD WD QD LD  tok rng  |--> done, busy, token, state
//!  flags[4] -->| MulQ, Rsr, Exp2, Recip, Rsqrt, xorshift, DOT MAC  |<-> s_*, w_*, q_*, l_* ports
//!  seed_load ->|                                                  |
//!              +--------------------------------------------------+
//! ```
//!
//! Contract (cycle 0 = `start` while idle; the operands stay as given until `done`):
//! 1. While idle `uaddr = entry`; the micro-op ROM answers `uword = code[uaddr]` the cycle
//!    after. Cycle 0 fetches the routine's first micro-op; from cycle 1 on one micro-op runs
//!    per cycle (DOT and DOT Row `N0 + 2` cycles, MUL, RSR and EXP2 2, RECIP and RSQRT 3), each as [`super::isa`] says, and
//!    `done` is high in the cycle of the micro-op with `Done`: the cycle
//!    `1 + model cycles - 1` after `start`, i.e. `done` comes `model cycles` cycles after cycle 0.
//! 2. Memory ports answer the cycle after their enable (`s_rdata`, `w_data`, `q_data`,
//!    `l_rdata`). The weight store, the requant store and the local RAM hold that answer until
//!    their next read (their output registers have the enable), and are the data registers WD,
//!    QD, LD; the scratchpad's answer is valid in that one cycle and the engine keeps it (SD).
//!    Writes (`s_we`, `l_we`) land at the edge ending their cycle; a read in the same cycle sees
//!    the word before the write.
//! 3. `seed_load` (any cycle) loads `seed` into the xorshift32 state; `state` shows it,
//!    `token` the last sampled token. `reset` (synchronous) idles the engine.

use super::isa::aop;
use crate::rtl::arith::{Exp2, MulQ, Recip, Rsqrt, Rsr};
use rust_hdl::prelude::*;

// The action codes the logic below compares with (literals: rust-hdl's generator takes no
// paths there), checked against the encoder's.
const _: () = assert!(
    aop::SET == 1 && aop::ADD == 2 && aop::SUB == 3 && aop::RSUB == 4 && aop::ADDP == 5 && aop::MUL == 6 && aop::RSR == 7 && aop::RELU == 8
        && aop::EXP2 == 9 && aop::RECIP == 10 && aop::RSQRT == 11 && aop::XS == 12 && aop::PACKHI == 13 && aop::DOT == 14 && aop::WS == 15 && aop::WL == 16
);

/// See the module documentation.
#[derive(LogicBlock)]
pub struct MicroEngine {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub start: Signal<In, Bit>,
    pub entry: Signal<In, Bits<9>>,
    pub uaddr: Signal<Out, Bits<9>>,
    pub uword: Signal<In, Bits<68>>,
    pub flags: Signal<In, Bits<4>>,
    pub op_a: Signal<In, Bits<16>>,
    pub op_b: Signal<In, Bits<16>>,
    pub op_c: Signal<In, Bits<16>>,
    pub op_d: Signal<In, Bits<16>>,
    pub op_aux: Signal<In, Bits<16>>,
    pub op_tok: Signal<In, Bits<16>>,
    pub op_pos: Signal<In, Bits<16>>,
    pub op_tempk: Signal<In, Bits<16>>,
    pub op_wbase: Signal<In, Bits<16>>,
    pub op_rqbase: Signal<In, Bits<16>>,
    pub op_rows: Signal<In, Bits<16>>,
    pub op_chunks: Signal<In, Bits<16>>,
    pub seed_load: Signal<In, Bit>,
    pub seed: Signal<In, Bits<32>>,
    pub busy: Signal<Out, Bit>,
    pub done: Signal<Out, Bit>,
    pub token: Signal<Out, Bits<8>>,
    pub state: Signal<Out, Bits<32>>,
    pub s_ren: Signal<Out, Bit>,
    pub s_raddr: Signal<Out, Bits<16>>,
    pub s_rdata: Signal<In, Bits<16>>,
    pub s_we: Signal<Out, Bit>,
    pub s_waddr: Signal<Out, Bits<16>>,
    pub s_wdata: Signal<Out, Bits<16>>,
    pub w_en: Signal<Out, Bit>,
    pub w_addr: Signal<Out, Bits<16>>,
    pub w_data: Signal<In, Bits<8>>,
    pub q_en: Signal<Out, Bit>,
    pub q_addr: Signal<Out, Bits<16>>,
    pub q_data: Signal<In, Bits<24>>,
    pub l_ren: Signal<Out, Bit>,
    pub l_raddr: Signal<Out, Bits<16>>,
    pub l_rdata: Signal<In, Bits<32>>,
    pub l_we: Signal<Out, Bit>,
    pub l_waddr: Signal<Out, Bits<16>>,
    pub l_wdata: Signal<Out, Bits<32>>,
    // Registers.
    acc: DFF<Bits<48>>,
    breg: DFF<Bits<32>>,
    shr: DFF<Bits<8>>,
    ptr: Vec<DFF<Bits<16>>>,
    pstep: Vec<Signal<Local, Bits<16>>>,
    cnt: Vec<DFF<Bits<16>>>,
    sdr: DFF<Bits<16>>,
    vs: DFF<Bit>,
    tokr: DFF<Bits<8>>,
    rng: DFF<Bits<32>>,
    pc: DFF<Bits<9>>,
    run: DFF<Bit>,
    dact: DFF<Bit>,
    dv1: DFF<Bit>,
    dv2: DFF<Bit>,
    dprod: DFF<Bits<32>>,
    xw: DFF<Bit>,
    xc: DFF<Bit>,
    mnt: DFF<Bits<16>>,
    expi: DFF<Bits<16>>,
    svr: DFF<Bits<48>>,
    // Decoded fields.
    aopc: Signal<Local, Bits<5>>,
    dstc: Signal<Local, Bits<4>>,
    srcc: Signal<Local, Bits<5>>,
    rmem: Signal<Local, Bits<3>>,
    rsel: Signal<Local, Bits<3>>,
    rinc: Signal<Local, Bit>,
    ctlc: Signal<Local, Bits<3>>,
    ccode: Signal<Local, Bits<3>>,
    target: Signal<Local, Bits<9>>,
    immv: Signal<Local, Bits<32>>,
    // Data as the ISA sees it this cycle (the answer of last cycle's read, else the register).
    sd: Signal<Local, Bits<16>>,
    wd: Signal<Local, Bits<8>>,
    qd: Signal<Local, Bits<24>>,
    ld: Signal<Local, Bits<32>>,
    sd48: Signal<Local, Bits<48>>,
    wd16: Signal<Local, Bits<16>>,
    sv: Signal<Local, Bits<48>>,
    low: Signal<Local, Bits<16>>,
    midw: Signal<Local, Bits<16>>,
    hiw: Signal<Local, Bits<16>>,
    sdh: Signal<Local, Bits<16>>,
    wdh: Signal<Local, Bits<16>>,
    llh: Signal<Local, Bits<16>>,
    immh: Signal<Local, Bits<16>>,
    bh: Signal<Local, Bits<16>>,
    ldh: Signal<Local, Bits<16>>,
    opv: Signal<Local, Bits<16>>,
    b48: Signal<Local, Bits<48>>,
    ax: Signal<Local, Bits<48>>,
    bx: Signal<Local, Bits<48>>,
    cin: Signal<Local, Bits<48>>,
    sum: Signal<Local, Bits<48>>,
    res: Signal<Local, Bits<48>>,
    rsv: Signal<Local, Bits<48>>,
    reluv: Signal<Local, Bits<48>>,
    wa: Signal<Local, Bit>,
    raddr: Signal<Local, Bits<16>>,
    waddr: Signal<Local, Bits<16>>,
    ncur: Signal<Local, Bits<16>>,
    n0v: Signal<Local, Bits<16>>,
    psel: Signal<Local, Bits<16>>,
    p0v: Signal<Local, Bits<16>>,
    p1v: Signal<Local, Bits<16>>,
    p2v: Signal<Local, Bits<16>>,
    fin: Signal<Local, Bit>,
    exec: Signal<Local, Bit>,
    cond: Signal<Local, Bit>,
    jump: Signal<Local, Bit>,
    dread: Signal<Local, Bit>,
    dk_ws: Signal<Local, Bit>,
    dk_sl: Signal<Local, Bit>,
    dk_row: Signal<Local, Bit>,
    drow0: Signal<Local, Bit>,
    drowe: Signal<Local, Bit>,
    p3v: Signal<Local, Bits<16>>,
    dx: Signal<Local, Bits<16>>,
    dy: Signal<Local, Bits<16>>,
    dmul: Signal<Local, Signed<32>>,
    x1: Signal<Local, Bits<32>>,
    x2: Signal<Local, Bits<32>>,
    x3: Signal<Local, Bits<32>>,
    mulq: MulQ,
    rsr: Rsr,
    exp: Exp2,
    rec: Recip,
    rsq: Rsqrt,
    // Per pointer / counter: its index and its Set destination code; DOT's increments.
    pidx: Vec<Constant<Bits<3>>>,
    pset: Vec<Constant<Bits<4>>>,
    psrc: Vec<Constant<Bits<5>>>,
    is_p0: Vec<Constant<Bit>>,
    is_p2: Vec<Constant<Bit>>,
    is_p3: Vec<Constant<Bit>>,
    nidx: Vec<Constant<Bits<3>>>,
    nset: Vec<Constant<Bits<4>>>,
    inc_ws: Vec<Constant<Bit>>,
    inc_ss: Vec<Constant<Bit>>,
    inc_sl: Vec<Constant<Bit>>,
    dec_dot: Vec<Constant<Bit>>,
    sign48: Constant<Bits<48>>,
    hi32: Constant<Bits<48>>,
    hi16: Constant<Bits<48>>,
    hi8w: Constant<Bits<16>>,
}

impl Default for MicroEngine {
    fn default() -> Self {
        let bit = |b: bool| Constant::new(b);
        Self {
            clock: Default::default(),
            reset: Default::default(),
            start: Default::default(),
            entry: Default::default(),
            uaddr: Default::default(),
            uword: Default::default(),
            flags: Default::default(),
            op_a: Default::default(),
            op_b: Default::default(),
            op_c: Default::default(),
            op_d: Default::default(),
            op_aux: Default::default(),
            op_tok: Default::default(),
            op_pos: Default::default(),
            op_tempk: Default::default(),
            op_wbase: Default::default(),
            op_rqbase: Default::default(),
            op_rows: Default::default(),
            op_chunks: Default::default(),
            seed_load: Default::default(),
            seed: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            token: Default::default(),
            state: Default::default(),
            s_ren: Default::default(),
            s_raddr: Default::default(),
            s_rdata: Default::default(),
            s_we: Default::default(),
            s_waddr: Default::default(),
            s_wdata: Default::default(),
            w_en: Default::default(),
            w_addr: Default::default(),
            w_data: Default::default(),
            q_en: Default::default(),
            q_addr: Default::default(),
            q_data: Default::default(),
            l_ren: Default::default(),
            l_raddr: Default::default(),
            l_rdata: Default::default(),
            l_we: Default::default(),
            l_waddr: Default::default(),
            l_wdata: Default::default(),
            acc: Default::default(),
            breg: Default::default(),
            shr: Default::default(),
            ptr: (0..6).map(|_| Default::default()).collect(),
            pstep: (0..6).map(|_| Default::default()).collect(),
            cnt: (0..3).map(|_| Default::default()).collect(),
            sdr: Default::default(),
            vs: Default::default(),
            tokr: Default::default(),
            rng: Default::default(),
            pc: Default::default(),
            run: Default::default(),
            dact: Default::default(),
            dv1: Default::default(),
            dv2: Default::default(),
            dprod: Default::default(),
            xw: Default::default(),
            xc: Default::default(),
            mnt: Default::default(),
            expi: Default::default(),
            svr: Default::default(),
            aopc: Default::default(),
            dstc: Default::default(),
            srcc: Default::default(),
            rmem: Default::default(),
            rsel: Default::default(),
            rinc: Default::default(),
            ctlc: Default::default(),
            ccode: Default::default(),
            target: Default::default(),
            immv: Default::default(),
            sd: Default::default(),
            wd: Default::default(),
            qd: Default::default(),
            ld: Default::default(),
            sd48: Default::default(),
            wd16: Default::default(),
            sv: Default::default(),
            low: Default::default(),
            midw: Default::default(),
            hiw: Default::default(),
            sdh: Default::default(),
            wdh: Default::default(),
            llh: Default::default(),
            immh: Default::default(),
            bh: Default::default(),
            ldh: Default::default(),
            opv: Default::default(),
            b48: Default::default(),
            ax: Default::default(),
            bx: Default::default(),
            cin: Default::default(),
            sum: Default::default(),
            res: Default::default(),
            rsv: Default::default(),
            reluv: Default::default(),
            wa: Default::default(),
            raddr: Default::default(),
            waddr: Default::default(),
            ncur: Default::default(),
            n0v: Default::default(),
            psel: Default::default(),
            p0v: Default::default(),
            p1v: Default::default(),
            p2v: Default::default(),
            fin: Default::default(),
            exec: Default::default(),
            cond: Default::default(),
            jump: Default::default(),
            dread: Default::default(),
            dk_ws: Default::default(),
            dk_sl: Default::default(),
            dk_row: Default::default(),
            drow0: Default::default(),
            drowe: Default::default(),
            p3v: Default::default(),
            dx: Default::default(),
            dy: Default::default(),
            dmul: Default::default(),
            x1: Default::default(),
            x2: Default::default(),
            x3: Default::default(),
            mulq: Default::default(),
            rsr: Default::default(),
            exp: Default::default(),
            rec: Default::default(),
            rsq: Default::default(),
            pidx: (0..6u64).map(|i| Constant::new(i.to_bits())).collect(),
            pset: (0..6u64).map(|i| Constant::new((3 + i).to_bits())).collect(),
            psrc: (0..6u64).map(|i| Constant::new((4 + i).to_bits())).collect(),
            is_p0: (0..6).map(|i| bit(i == 0)).collect(),
            is_p2: (0..6).map(|i| bit(i == 2)).collect(),
            is_p3: (0..6).map(|i| bit(i == 3)).collect(),
            nidx: (0..3u64).map(|i| Constant::new(i.to_bits())).collect(),
            nset: (0..3u64).map(|i| Constant::new((9 + i).to_bits())).collect(),
            inc_ws: (0..6).map(|i| bit(i == 0 || i == 1)).collect(),
            inc_ss: (0..6).map(|i| bit(i == 1)).collect(),
            inc_sl: (0..6).map(|i| bit(i == 1 || i == 2)).collect(),
            dec_dot: (0..3).map(|i| bit(i == 0)).collect(),
            sign48: Constant::new((1u64 << 47).to_bits()),
            hi32: Constant::new((0xffffu64 << 32).to_bits()),
            hi16: Constant::new((0xffff_ffffu64 << 16).to_bits()),
            hi8w: Constant::new(0xff00u64.to_bits()),
        }
    }
}

impl Logic for MicroEngine {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, acc, breg, shr, sdr, vs, svr, tokr, rng, pc, run, dact, dv1, dv2, dprod, xw, xc, mnt, expi);
        for i in 0..6 {
            self.ptr[i].clock.next = self.clock.val();
            self.ptr[i].d.next = self.ptr[i].q.val();
        }
        for i in 0..3 {
            self.cnt[i].clock.next = self.clock.val();
            self.cnt[i].d.next = self.cnt[i].q.val();
        }
        self.rec.clock.next = self.clock.val();
        self.rsq.clock.next = self.clock.val();
        // Decode.
        self.aopc.next = self.uword.val().get_bits::<5>(0);
        self.dstc.next = self.uword.val().get_bits::<4>(5);
        self.srcc.next = self.uword.val().get_bits::<5>(9);
        self.rmem.next = self.uword.val().get_bits::<3>(14);
        self.rsel.next = self.uword.val().get_bits::<3>(17);
        self.rinc.next = self.uword.val().get_bit(20);
        self.ctlc.next = self.uword.val().get_bits::<3>(21);
        self.ccode.next = self.uword.val().get_bits::<3>(24);
        self.target.next = self.uword.val().get_bits::<9>(27);
        self.immv.next = self.uword.val().get_bits::<32>(36);
        // Data registers as seen this cycle.
        self.sd.next = self.sdr.q.val();
        if self.vs.q.val() {
            self.sd.next = self.s_rdata.val();
        }
        // The stores and the local RAM hold their last answer (their read enables gate their
        // output registers): those are the data registers. The scratchpad reads every cycle, so
        // SD keeps its own copy.
        self.wd.next = self.w_data.val();
        self.qd.next = self.q_data.val();
        self.ld.next = self.l_rdata.val();
        self.sdr.d.next = self.sd.val();
        self.sd48.next = bit_cast::<48, 16>(self.sd.val());
        if self.sd.val().get_bit(15) {
            self.sd48.next = bit_cast::<48, 16>(self.sd.val()) | self.hi16.val();
        }
        self.wd16.next = bit_cast::<16, 8>(self.wd.val());
        if self.wd.val().get_bit(7) {
            self.wd16.next = bit_cast::<16, 8>(self.wd.val()) | self.hi8w.val();
        }
        // The source operand: a balanced tree on the 5 source bits (not a priority chain: the
        // source selection was the compact core's iCE40 critical path), bits 15..0 from every
        // source, 31..16 and 47..32 from the wide ones (A; B, LD and the immediate, signed 32;
        // the xorshift32 state) or the sign of the 16-bit signed ones (SD, WD, LD's halves).
        self.immh.next = 0.into();
        if self.immv.val().get_bit(31) {
            self.immh.next = 0xffff.into();
        }
        self.bh.next = 0.into();
        if self.breg.q.val().get_bit(31) {
            self.bh.next = 0xffff.into();
        }
        self.ldh.next = 0.into();
        if self.ld.val().get_bit(31) {
            self.ldh.next = 0xffff.into();
        }
        self.sdh.next = 0.into();
        if self.sd.val().get_bit(15) {
            self.sdh.next = 0xffff.into();
        }
        self.wdh.next = 0.into();
        if self.wd.val().get_bit(7) {
            self.wdh.next = 0xffff.into();
        }
        self.llh.next = 0.into();
        if self.ld.val().get_bit(15) {
            self.llh.next = 0xffff.into();
        }
        self.psel.next = 0.into();
        for i in 0..6 {
            if self.srcc.val() == self.psrc[i].val() {
                self.psel.next = self.ptr[i].q.val();
            }
        }
        if self.srcc.val().get_bit(4) {
            if self.srcc.val().get_bit(3) {
                if self.srcc.val().get_bit(2) {
                    if self.srcc.val().get_bit(1) {
                        if self.srcc.val().get_bit(0) {
                            self.opv.next = self.op_chunks.val();
                        } else {
                            self.opv.next = self.op_chunks.val();
                        }
                    } else {
                        if self.srcc.val().get_bit(0) {
                            self.opv.next = self.op_chunks.val();
                        } else {
                            self.opv.next = self.op_rows.val();
                        }
                    }
                } else {
                    if self.srcc.val().get_bit(1) {
                        if self.srcc.val().get_bit(0) {
                            self.opv.next = self.op_rqbase.val();
                        } else {
                            self.opv.next = self.op_wbase.val();
                        }
                    } else {
                        if self.srcc.val().get_bit(0) {
                            self.opv.next = self.op_tempk.val();
                        } else {
                            self.opv.next = self.op_pos.val();
                        }
                    }
                }
            } else {
                if self.srcc.val().get_bit(2) {
                    if self.srcc.val().get_bit(1) {
                        if self.srcc.val().get_bit(0) {
                            self.opv.next = self.op_tok.val();
                        } else {
                            self.opv.next = self.op_aux.val();
                        }
                    } else {
                        if self.srcc.val().get_bit(0) {
                            self.opv.next = self.op_d.val();
                        } else {
                            self.opv.next = self.op_c.val();
                        }
                    }
                } else {
                    if self.srcc.val().get_bit(1) {
                        if self.srcc.val().get_bit(0) {
                            self.opv.next = self.op_b.val();
                        } else {
                            self.opv.next = self.op_a.val();
                        }
                    } else {
                        if self.srcc.val().get_bit(0) {
                            self.opv.next = self.op_chunks.val();
                        } else {
                            self.opv.next = self.op_chunks.val();
                        }
                    }
                }
            }
        } else {
            if self.srcc.val().get_bit(3) {
                if self.srcc.val().get_bit(2) {
                    if self.srcc.val().get_bit(1) {
                        if self.srcc.val().get_bit(0) {
                            self.opv.next = self.op_chunks.val();
                        } else {
                            self.opv.next = self.op_chunks.val();
                        }
                    } else {
                        if self.srcc.val().get_bit(0) {
                            self.opv.next = self.op_chunks.val();
                        } else {
                            self.opv.next = self.op_chunks.val();
                        }
                    }
                } else {
                    if self.srcc.val().get_bit(1) {
                        if self.srcc.val().get_bit(0) {
                            self.opv.next = self.op_chunks.val();
                        } else {
                            self.opv.next = self.op_chunks.val();
                        }
                    } else {
                        if self.srcc.val().get_bit(0) {
                            self.opv.next = self.op_chunks.val();
                        } else {
                            self.opv.next = self.op_chunks.val();
                        }
                    }
                }
            } else {
                if self.srcc.val().get_bit(2) {
                    if self.srcc.val().get_bit(1) {
                        if self.srcc.val().get_bit(0) {
                            self.opv.next = self.op_chunks.val();
                        } else {
                            self.opv.next = self.op_chunks.val();
                        }
                    } else {
                        if self.srcc.val().get_bit(0) {
                            self.opv.next = self.op_chunks.val();
                        } else {
                            self.opv.next = self.op_chunks.val();
                        }
                    }
                } else {
                    if self.srcc.val().get_bit(1) {
                        if self.srcc.val().get_bit(0) {
                            self.opv.next = self.op_chunks.val();
                        } else {
                            self.opv.next = self.op_chunks.val();
                        }
                    } else {
                        if self.srcc.val().get_bit(0) {
                            self.opv.next = self.op_chunks.val();
                        } else {
                            self.opv.next = self.op_chunks.val();
                        }
                    }
                }
            }
        }
        if self.srcc.val().get_bit(4) {
            if self.srcc.val().get_bit(3) {
                if self.srcc.val().get_bit(2) {
                    if self.srcc.val().get_bit(1) {
                        if self.srcc.val().get_bit(0) {
                            self.low.next = self.opv.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        } else {
                            self.low.next = self.opv.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        }
                    } else {
                        if self.srcc.val().get_bit(0) {
                            self.low.next = self.opv.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        } else {
                            self.low.next = self.opv.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        }
                    }
                } else {
                    if self.srcc.val().get_bit(1) {
                        if self.srcc.val().get_bit(0) {
                            self.low.next = self.opv.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        } else {
                            self.low.next = self.opv.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        }
                    } else {
                        if self.srcc.val().get_bit(0) {
                            self.low.next = self.opv.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        } else {
                            self.low.next = self.opv.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        }
                    }
                }
            } else {
                if self.srcc.val().get_bit(2) {
                    if self.srcc.val().get_bit(1) {
                        if self.srcc.val().get_bit(0) {
                            self.low.next = self.opv.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        } else {
                            self.low.next = self.opv.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        }
                    } else {
                        if self.srcc.val().get_bit(0) {
                            self.low.next = self.opv.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        } else {
                            self.low.next = self.opv.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        }
                    }
                } else {
                    if self.srcc.val().get_bit(1) {
                        if self.srcc.val().get_bit(0) {
                            self.low.next = self.opv.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        } else {
                            self.low.next = self.opv.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        }
                    } else {
                        if self.srcc.val().get_bit(0) {
                            self.low.next = self.rng.q.val().get_bits::<16>(0);
                            self.midw.next = self.rng.q.val().get_bits::<16>(16);
                            self.hiw.next = 0.into();
                        } else {
                            self.low.next = self.ld.val().get_bits::<16>(16);
                            self.midw.next = self.ldh.val();
                            self.hiw.next = self.ldh.val();
                        }
                    }
                }
            }
        } else {
            if self.srcc.val().get_bit(3) {
                if self.srcc.val().get_bit(2) {
                    if self.srcc.val().get_bit(1) {
                        if self.srcc.val().get_bit(0) {
                            self.low.next = self.ld.val().get_bits::<16>(0);
                            self.midw.next = self.llh.val();
                            self.hiw.next = self.llh.val();
                        } else {
                            self.low.next = self.ld.val().get_bits::<16>(0);
                            self.midw.next = self.ld.val().get_bits::<16>(16);
                            self.hiw.next = self.ldh.val();
                        }
                    } else {
                        if self.srcc.val().get_bit(0) {
                            self.low.next = bit_cast::<16, 6>(self.qd.val().get_bits::<6>(16));
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        } else {
                            self.low.next = self.qd.val().get_bits::<16>(0);
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        }
                    }
                } else {
                    if self.srcc.val().get_bit(1) {
                        if self.srcc.val().get_bit(0) {
                            self.low.next = self.wd16.val();
                            self.midw.next = self.wdh.val();
                            self.hiw.next = self.wdh.val();
                        } else {
                            self.low.next = self.sd.val();
                            self.midw.next = self.sdh.val();
                            self.hiw.next = self.sdh.val();
                        }
                    } else {
                        if self.srcc.val().get_bit(0) {
                            self.low.next = self.psel.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        } else {
                            self.low.next = self.psel.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        }
                    }
                }
            } else {
                if self.srcc.val().get_bit(2) {
                    if self.srcc.val().get_bit(1) {
                        if self.srcc.val().get_bit(0) {
                            self.low.next = self.psel.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        } else {
                            self.low.next = self.psel.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        }
                    } else {
                        if self.srcc.val().get_bit(0) {
                            self.low.next = self.psel.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        } else {
                            self.low.next = self.psel.val();
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        }
                    }
                } else {
                    if self.srcc.val().get_bit(1) {
                        if self.srcc.val().get_bit(0) {
                            self.low.next = bit_cast::<16, 8>(self.shr.q.val());
                            self.midw.next = 0.into();
                            self.hiw.next = 0.into();
                        } else {
                            self.low.next = self.breg.q.val().get_bits::<16>(0);
                            self.midw.next = self.breg.q.val().get_bits::<16>(16);
                            self.hiw.next = self.bh.val();
                        }
                    } else {
                        if self.srcc.val().get_bit(0) {
                            self.low.next = self.acc.q.val().get_bits::<16>(0);
                            self.midw.next = self.acc.q.val().get_bits::<16>(16);
                            self.hiw.next = self.acc.q.val().get_bits::<16>(32);
                        } else {
                            self.low.next = self.immv.val().get_bits::<16>(0);
                            self.midw.next = self.immv.val().get_bits::<16>(16);
                            self.hiw.next = self.immh.val();
                        }
                    }
                }
            }
        }
        self.sv.next = (bit_cast::<48, 16>(self.hiw.val()) << 32) | (bit_cast::<48, 16>(self.midw.val()) << 16) | bit_cast::<48, 16>(self.low.val());
        // Addresses: the read's and the write's (pointer or immediate), the Djnz counter.
        self.raddr.next = self.immv.val().get_bits::<16>(0);
        self.waddr.next = self.immv.val().get_bits::<16>(0);
        for i in 0..6 {
            if self.rsel.val() == self.pidx[i].val() {
                self.raddr.next = self.ptr[i].q.val();
            }
            if self.dstc.val().get_bits::<3>(0) == self.pidx[i].val() {
                self.waddr.next = self.ptr[i].q.val();
            }
        }
        self.ncur.next = 0.into();
        self.n0v.next = 0.into();
        for i in 0..3 {
            if self.ccode.val() == self.nidx[i].val() {
                self.ncur.next = self.cnt[i].q.val();
            }
            if self.dec_dot[i].val() {
                self.n0v.next = self.cnt[i].q.val();
            }
        }
        // P0, P1, P2 (DOT's addresses), taken in a loop: rust-hdl indexes vectors reliably
        // only by a plain loop variable.
        self.p0v.next = 0.into();
        self.p1v.next = 0.into();
        self.p2v.next = 0.into();
        self.p3v.next = 0.into();
        for i in 0..6 {
            if self.is_p0[i].val() {
                self.p0v.next = self.ptr[i].q.val();
            }
            if self.inc_ss[i].val() {
                self.p1v.next = self.ptr[i].q.val();
            }
            if self.is_p2[i].val() {
                self.p2v.next = self.ptr[i].q.val();
            }
            if self.is_p3[i].val() {
                self.p3v.next = self.ptr[i].q.val();
            }
        }
        // The final cycle of the micro-op: DOT once its reads are issued and its last product
        // is added (this cycle), MUL, RSR and EXP2 in their second cycle, RECIP and RSQRT in
        // their third, all others at once.
        // Kind 3 (Row) reads as WS, starts from 0 and reloads N0 and P1 at its end.
        self.dk_ws.next = (self.dstc.val().get_bits::<2>(0) == 0) | (self.dstc.val().get_bits::<2>(0) == 3);
        self.dk_sl.next = self.dstc.val().get_bits::<2>(0) == 2;
        self.dk_row.next = self.dstc.val().get_bits::<2>(0) == 3;
        self.drow0.next = self.run.q.val() & (self.aopc.val() == 14) & !self.dact.q.val() & self.dk_row.val();
        self.fin.next = true;
        if self.aopc.val() == 14 {
            self.fin.next = self.dact.q.val() & (self.n0v.val() == 0) & !self.dv1.q.val();
        }
        if (self.aopc.val() == 6) | (self.aopc.val() == 7) | (self.aopc.val() == 9) {
            self.fin.next = self.xw.q.val();
        }
        if (self.aopc.val() == 10) | (self.aopc.val() == 11) {
            self.fin.next = self.xc.q.val();
        }
        self.exec.next = self.run.q.val() & self.fin.val();
        // A row's first cycle (its requant read, A cleared) and its last (N0, P1 reloaded).
        self.drowe.next = self.exec.val() & (self.aopc.val() == 14) & self.dk_row.val();
        self.dread.next = self.run.q.val() & (self.aopc.val() == 14) & (self.n0v.val() != 0);
        // Branch conditions on the state at the start of the cycle.
        self.b48.next = bit_cast::<48, 32>(self.breg.q.val());
        if self.breg.q.val().get_bit(31) {
            self.b48.next = bit_cast::<48, 32>(self.breg.q.val()) | self.hi32.val();
        }
        self.cond.next = (self.acc.q.val() ^ self.sign48.val()) > (self.b48.val() ^ self.sign48.val());
        if self.ccode.val() == 1 {
            self.cond.next = (self.sd48.val() ^ self.sign48.val()) > (self.acc.q.val() ^ self.sign48.val());
        }
        if self.ccode.val() == 2 {
            self.cond.next = self.flags.val().get_bit(0);
        }
        if self.ccode.val() == 3 {
            self.cond.next = self.flags.val().get_bit(1);
        }
        if self.ccode.val() == 4 {
            self.cond.next = !self.flags.val().get_bit(0);
        }
        if self.ccode.val() == 5 {
            self.cond.next = !self.flags.val().get_bit(1);
        }
        if self.ccode.val() == 6 {
            self.cond.next = self.op_tempk.val() == 0;
        }
        if self.ccode.val() == 7 {
            self.cond.next = self.flags.val().get_bit(0) | self.flags.val().get_bit(1);
        }
        self.jump.next = (self.ctlc.val() == 1) | ((self.ctlc.val() == 2) & (self.ncur.val() != 1)) | ((self.ctlc.val() == 3) & self.cond.val());
        // Memory ports.
        self.s_ren.next = (self.exec.val() & (self.rmem.val() == 1)) | self.dread.val();
        self.s_raddr.next = self.raddr.val();
        self.w_en.next = (self.exec.val() & (self.rmem.val() == 2)) | (self.dread.val() & self.dk_ws.val());
        self.w_addr.next = self.raddr.val();
        self.q_en.next = self.exec.val() & (self.rmem.val() == 3);
        self.q_addr.next = self.raddr.val();
        if self.drow0.val() {
            self.q_en.next = true;
            self.q_addr.next = self.p3v.val();
        }
        self.l_ren.next = (self.exec.val() & (self.rmem.val() == 4)) | (self.dread.val() & self.dk_sl.val());
        self.l_raddr.next = self.raddr.val();
        if self.dread.val() {
            self.s_raddr.next = self.p1v.val();
            self.w_addr.next = self.p0v.val();
            self.l_raddr.next = self.p2v.val();
        }
        self.vs.d.next = self.s_ren.val();
        self.s_we.next = self.exec.val() & (self.aopc.val() == 15);
        self.s_waddr.next = self.waddr.val();
        self.s_wdata.next = self.acc.q.val().get_bits::<16>(0);
        self.l_we.next = self.exec.val() & (self.aopc.val() == 16);
        self.l_waddr.next = self.waddr.val();
        self.l_wdata.next = self.acc.q.val().get_bits::<32>(0);
        // Function units (combinational but RECIP / RSQRT, which take A one cycle earlier).
        self.mulq.a.next = self.acc.q.val().get_bits::<32>(0);
        self.mulq.b.next = self.svr.q.val().get_bits::<16>(0);
        self.rsr.x.next = self.acc.q.val();
        self.rsr.s.next = self.svr.q.val().get_bits::<8>(0);
        // EXP2: A clamped to 16 bits and registered in its first cycle, the table and its
        // rounding shift into A in the second (the clamp, the table in logic cells and the
        // rounding carry chain in one cycle were, beside RSR's, the HX8K core's critical path).
        self.expi.d.next = self.acc.q.val().get_bits::<16>(0);
        if self.acc.q.val().get_bits::<32>(16) != 0 {
            self.expi.d.next = 0xffff.into();
        }
        self.exp.d.next = self.expi.q.val();
        self.rec.x.next = self.acc.q.val().get_bits::<32>(0);
        self.rsq.x.next = self.acc.q.val();
        // RECIP / RSQRT: the interpolated mantissa registered in the second cycle, A takes it in
        // the third (the interpolation's multiply and subtract into A were the compact core's
        // HX8K critical path; docs/lpu.md, "fmax for the HX8K"); A, and so the units' stage 1,
        // hold meanwhile.
        self.mnt.d.next = self.rec.mant.val();
        if self.aopc.val().get_bit(0) {
            self.mnt.d.next = self.rsq.mant.val();
        }
        self.x1.next = self.acc.q.val().get_bits::<32>(0) ^ (self.acc.q.val().get_bits::<32>(0) << 13);
        self.x2.next = self.x1.val() ^ (self.x1.val() >> 17);
        self.x3.next = self.x2.val() ^ (self.x2.val() << 5);
        // DOT: reads while N0 > 0, the product of each answer registered, then added.
        self.dx.next = self.sd.val();
        if self.dk_ws.val() {
            self.dx.next = self.wd16.val();
        }
        self.dy.next = self.sd.val();
        if self.dk_sl.val() {
            self.dy.next = self.ld.val().get_bits::<16>(0);
        }
        self.dmul.next = signed_cast(self.dx.val()) * signed_cast(self.dy.val());
        self.dv1.d.next = self.dread.val();
        self.dv2.d.next = self.dv1.q.val();
        if self.dv1.q.val() {
            self.dprod.d.next = unsigned_cast(self.dmul.val());
        }
        // A row starts from 0: A is cleared in the DOT's first cycle, two before its first add.
        if self.drow0.val() {
            self.acc.d.next = 0.into();
        }
        if self.dv2.q.val() {
            self.acc.d.next = self.acc.q.val() + bit_cast::<48, 32>(self.dprod.q.val());
            if self.dprod.q.val().get_bit(31) {
                self.acc.d.next = self.acc.q.val() + (bit_cast::<48, 32>(self.dprod.q.val()) | self.hi32.val());
            }
        }
        if self.run.q.val() & (self.aopc.val() == 14) {
            self.dact.d.next = !self.fin.val();
        }
        if self.run.q.val() & ((self.aopc.val() == 6) | (self.aopc.val() == 7) | (self.aopc.val() == 9)) {
            self.xw.d.next = !self.xw.q.val();
        }
        // RECIP / RSQRT count three cycles: xw high from the second, xc in the third.
        if self.run.q.val() & ((self.aopc.val() == 10) | (self.aopc.val() == 11)) {
            self.xw.d.next = true;
            self.xc.d.next = self.xw.q.val();
            if self.xc.q.val() {
                self.xw.d.next = false;
                self.xc.d.next = false;
            }
        }
        // MUL and RSR take the source operand registered in their first cycle (svr) and write A
        // in their second: the source selection and the multiplier or the shifter in one cycle
        // were the compact core's iCE40 critical path.
        self.svr.d.next = self.sv.val();
        // Pointers and counters: one adder each (at most one change per cycle: the micro-op
        // checks refuse a pointer incremented twice or changed by the action and the read).
        for i in 0..6 {
            self.pstep[i].next = 1.into();
            if (self.aopc.val() == 5) & (self.dstc.val().get_bits::<3>(0) == self.pidx[i].val()) {
                self.pstep[i].next = self.sv.val().get_bits::<16>(0);
            }
            if (self.exec.val() & (self.aopc.val() == 5) & (self.dstc.val().get_bits::<3>(0) == self.pidx[i].val()))
                | (self.exec.val() & (self.rmem.val() != 0) & self.rinc.val() & (self.rsel.val() == self.pidx[i].val()))
                | (self.exec.val() & ((self.aopc.val() == 15) | (self.aopc.val() == 16)) & self.dstc.val().get_bit(3) & (self.dstc.val().get_bits::<3>(0) == self.pidx[i].val()))
                | (self.drow0.val() & self.is_p3[i].val())
                | (self.dread.val() & ((self.dk_ws.val() & self.inc_ws[i].val()) | (!self.dk_ws.val() & !self.dk_sl.val() & self.inc_ss[i].val()) | (self.dk_sl.val() & self.inc_sl[i].val())))
            {
                self.ptr[i].d.next = self.ptr[i].q.val() + self.pstep[i].val();
            }
            if self.exec.val() & (self.aopc.val() == 1) & (self.dstc.val() == self.pset[i].val()) {
                self.ptr[i].d.next = self.sv.val().get_bits::<16>(0);
            }
            if self.drowe.val() & self.inc_ss[i].val() {
                self.ptr[i].d.next = self.op_a.val();
            }
        }
        for i in 0..3 {
            if (self.exec.val() & (self.ctlc.val() == 2) & (self.ccode.val() == self.nidx[i].val())) | (self.dread.val() & self.dec_dot[i].val()) {
                self.cnt[i].d.next = self.cnt[i].q.val() - 1;
            }
            if self.exec.val() & (self.aopc.val() == 1) & (self.dstc.val() == self.nset[i].val()) {
                self.cnt[i].d.next = self.sv.val().get_bits::<16>(0);
            }
            if self.drowe.val() & self.dec_dot[i].val() {
                self.cnt[i].d.next = self.op_chunks.val();
            }
        }
        // The action. The other destinations of SET, and Sh of RECIP / RSQRT:
        if self.exec.val() & (self.aopc.val() == 1) {
            if self.dstc.val() == 1 {
                self.breg.d.next = self.sv.val().get_bits::<32>(0);
            }
            if self.dstc.val() == 2 {
                self.shr.d.next = self.sv.val().get_bits::<8>(0);
            }
            if self.dstc.val() == 12 {
                self.tokr.d.next = self.sv.val().get_bits::<8>(0);
            }
            if self.dstc.val() == 13 {
                self.rng.d.next = self.sv.val().get_bits::<32>(0);
            }
        }
        if self.exec.val() & (self.aopc.val() == 10) {
            self.shr.d.next = self.rec.sh.val();
        }
        if self.exec.val() & (self.aopc.val() == 11) {
            self.shr.d.next = self.rsq.sh.val();
        }
        // ADD, SUB, RSUB: one adder, A + sv, A + ~sv + 1, ~A + sv + 1.
        self.ax.next = self.acc.q.val();
        if self.aopc.val() == 4 {
            self.ax.next = !self.acc.q.val();
        }
        self.bx.next = self.sv.val();
        if self.aopc.val() == 3 {
            self.bx.next = !self.sv.val();
        }
        self.cin.next = 0.into();
        if (self.aopc.val() == 3) | (self.aopc.val() == 4) {
            self.cin.next = 1.into();
        }
        self.sum.next = self.ax.val() + self.bx.val() + self.cin.val();
        self.rsv.next = self.rsr.y.val();
        if self.dstc.val().get_bit(0) {
            self.rsv.next = bit_cast::<48, 16>(self.rsr.sat.val());
            if self.rsr.sat.val().get_bit(15) {
                self.rsv.next = bit_cast::<48, 16>(self.rsr.sat.val()) | self.hi16.val();
            }
        }
        self.reluv.next = self.acc.q.val();
        if self.acc.q.val().get_bit(47) {
            self.reluv.next = 0.into();
        }
        // A's new value by action code: a balanced tree on the 5 code bits.
        if self.aopc.val().get_bit(4) {
            self.res.next = self.acc.q.val();
        } else {
            if self.aopc.val().get_bit(3) {
                if self.aopc.val().get_bit(2) {
                    if self.aopc.val().get_bit(1) {
                        self.res.next = self.acc.q.val();
                    } else {
                        if self.aopc.val().get_bit(0) {
                            self.res.next = (bit_cast::<48, 16>(self.sv.val().get_bits::<16>(0)) << 16) | bit_cast::<48, 16>(self.acc.q.val().get_bits::<16>(0));
                        } else {
                            self.res.next = bit_cast::<48, 32>(self.x3.val());
                        }
                    }
                } else {
                    if self.aopc.val().get_bit(1) {
                        self.res.next = bit_cast::<48, 16>(self.mnt.q.val());
                    } else {
                        if self.aopc.val().get_bit(0) {
                            self.res.next = bit_cast::<48, 16>(self.exp.e.val());
                        } else {
                            self.res.next = self.reluv.val();
                        }
                    }
                }
            } else {
                if self.aopc.val().get_bit(2) {
                    if self.aopc.val().get_bit(1) {
                        if self.aopc.val().get_bit(0) {
                            self.res.next = self.rsv.val();
                        } else {
                            self.res.next = self.mulq.p.val();
                        }
                    } else {
                        if self.aopc.val().get_bit(0) {
                            self.res.next = self.acc.q.val();
                        } else {
                            self.res.next = self.sum.val();
                        }
                    }
                } else {
                    if self.aopc.val().get_bit(1) {
                        if self.aopc.val().get_bit(0) {
                            self.res.next = self.sum.val();
                        } else {
                            self.res.next = self.sum.val();
                        }
                    } else {
                        if self.aopc.val().get_bit(0) {
                            self.res.next = self.sv.val();
                        } else {
                            self.res.next = self.acc.q.val();
                        }
                    }
                }
            }
        }
        self.wa.next = (self.aopc.val() >= 2) & (self.aopc.val() <= 13) & (self.aopc.val() != 5);
        if (self.aopc.val() == 1) & (self.dstc.val() == 0) {
            self.wa.next = true;
        }
        if self.exec.val() & self.wa.val() {
            self.acc.d.next = self.res.val();
        }
        if self.seed_load.val() {
            self.rng.d.next = self.seed.val();
        }
        // Control.
        self.done.next = self.exec.val() & (self.ctlc.val() == 4);
        self.uaddr.next = self.entry.val();
        if self.run.q.val() {
            self.uaddr.next = self.pc.q.val();
            if self.exec.val() {
                self.uaddr.next = self.pc.q.val() + 1;
                if self.jump.val() {
                    self.uaddr.next = self.target.val();
                }
            }
        }
        self.pc.d.next = self.uaddr.val();
        if self.done.val() {
            self.run.d.next = false;
        }
        if !self.run.q.val() & self.start.val() {
            self.run.d.next = true;
        }
        if self.reset.val() {
            self.run.d.next = false;
            self.dact.d.next = false;
            self.xw.d.next = false;
            self.xc.d.next = false;
            self.dv1.d.next = false;
            self.dv2.d.next = false;
            self.vs.d.next = false;
        }
        self.busy.next = self.run.q.val();
        self.token.next = self.tokr.q.val();
        self.state.next = self.rng.q.val();
    }
}

/// The Verilog of the engine as module `name` (deduplicated, with its arithmetic leaves).
pub fn verilog(name: &str) -> crate::Result<crate::rtl::emit::Emitted> {
    let mut e = MicroEngine::default();
    crate::rtl::emit::emit_block(&mut e, name)
}

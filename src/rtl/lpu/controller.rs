//! The processing unit's controller: the token loop around the per-token program.
//!
//! ```text
//!              +-----------------------------------------------+
//!  cmd_* ----->| Idle -> NameStart -> StepStart [-> prompt]     |--> pc -> program ROM -> instr
//!  prompt_tok >|   -> Fetch -> Decode -> Exec -> Wait (per      |--> op_* fields, tok, pos
//!  out_ready ->|      instruction, one unit at a time) -> END   |--> *_start pulses
//!  *_done ---->|   -> StepEnd -> EmitTok -> AfterTok -> ...     |--> out_valid, out_byte
//!  smp_token ->|   -> Done (gen_done, status)                   |--> gen_done, st_*, core_busy
//!              +-----------------------------------------------+
//! ```
//!
//! Contract:
//! 1. `cmd_start` (a one-cycle pulse while idle) latches nothing: the `cmd_*` inputs must be
//!    held until `gen_done`. In the next cycle `core_busy` is high, `seed_load` has been pulsed
//!    (the sampler loads `cmd_seed`) and the counters are cleared.
//! 2. Names: each starts with an `attn_clear` pulse, `pos = 0`, `tok = BOS`. Step `pos` feeds
//!    `tok`; for `1 <= pos <= cmd_prompt_len` the token is read from the prompt
//!    (`prompt_idx = pos - 1`, `prompt_tok` the cycle after) and its character emitted.
//! 3. Per step the program runs from address 0: the instruction at `pc` is valid on `instr`
//!    the cycle after `pc` is presented; its unit gets a one-cycle `*_start` pulse with the
//!    `op_*` fields held until the unit's one-cycle `*_done`; then the next instruction. While
//!    a unit runs (and in the cycle of its start) `pc` shows the next address (prefetch), so
//!    the next instruction is on `instr` in the cycle of `*_done` and is latched then; its
//!    unit starts in the cycle after `*_done`: 1 control cycle per instruction.
//!    SAMPLE is skipped while `pos < cmd_prompt_len` (forced steps draw no random number);
//!    END ends the step.
//! 4. After a sampled step the token (`smp_token`) is emitted (`\n` for BOS); the name ends on
//!    BOS or after `block` steps (then `\n` is emitted). In tokens mode generation stops as soon
//!    as `cmd_count` tokens have been sampled; in names mode after `cmd_count` names.
//! 5. A character is offered on `out_valid`/`out_byte` and taken in a cycle with `out_ready`;
//!    each cycle with `out_valid && !out_ready` counts in `st_stall`. With `cmd_quiet` nothing
//!    is offered.
//! 6. `gen_done` pulses once at the end; `st_tokens` (steps), `st_names`, `st_cycles` (cycles
//!    from the `cmd_start` cycle to the `gen_done` cycle) and `st_stall` hold until the next
//!    `cmd_start`. `core_busy` is high from the cycle after `cmd_start` to the `gen_done` cycle.
//! 7. `dbg_op` names the class of the current cycle: the opcode (1..6) while an instruction's
//!    unit runs, 7 while a character waits for `out_ready`, 8 for control, 15 idle.
//! 8. `reset` (synchronous) returns to idle.
//! 9. Tiles (docs/lpu.md, "Tiles and the network-on-chip"): SEND (opcode 9) and RECV (10) start
//!    the network interface (`send_start`/`recv_start`, done on `ni_done`); `dbg_op` shows 9 or
//!    10 while it runs. A received packet header (`rx_hdr`) sets `pos` to `rx_pos`, a received
//!    token (`rx_tok_valid`) sets `tok` to `rx_tok`. With `follower` high (every tile but the
//!    host tile) the controller runs no token loop: out of reset it runs the program from
//!    address 0, and END starts it again; `attn_clear` pulses with a header of position 0.
//!    With `follower` low and no SEND/RECV in the program it behaves exactly as 1..8 say.
//! 10. Batched core (docs/lpu.md, "Batched mode"): a `*_start` (or `send_start`/`recv_start`)
//!    is a request; in a cycle where `hold` is high it was not granted, the controller stays in
//!    Exec and repeats it the next cycle (`dbg_op` 11), `op_*` unchanged. With `hold` tied low
//!    (every core but a batched one) each request is a start, as 3 says.

use rust_hdl::prelude::*;

#[derive(Copy, Clone, PartialEq, Eq, Debug, LogicState)]
pub enum CtlState {
    Idle,
    NameStart,
    StepStart,
    PromptGet,
    EmitPrompt,
    Fetch,
    Decode,
    Exec,
    Wait,
    StepEnd,
    EmitTok,
    AfterTok,
    EmitNl,
    Done,
}

#[derive(Clone, Debug, Default, LogicBlock)]
pub struct Controller {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub cmd_start: Signal<In, Bit>,
    pub cmd_count: Signal<In, Bits<16>>,
    pub cmd_names: Signal<In, Bit>,
    pub cmd_quiet: Signal<In, Bit>,
    pub cmd_prompt_len: Signal<In, Bits<8>>,
    pub prompt_tok: Signal<In, Bits<8>>,
    pub prompt_idx: Signal<Out, Bits<8>>,
    pub out_ready: Signal<In, Bit>,
    pub out_valid: Signal<Out, Bit>,
    pub out_byte: Signal<Out, Bits<8>>,
    pub gen_done: Signal<Out, Bit>,
    pub core_busy: Signal<Out, Bit>,
    pub st_tokens: Signal<Out, Bits<32>>,
    pub st_names: Signal<Out, Bits<16>>,
    pub st_cycles: Signal<Out, Bits<48>>,
    pub st_stall: Signal<Out, Bits<48>>,
    /// BOS token id (configuration constant).
    pub bos: Signal<In, Bits<8>>,
    /// block_size (configuration constant).
    pub block: Signal<In, Bits<8>>,
    /// Program ROM: address out, instruction in the cycle after.
    pub pc: Signal<Out, Bits<8>>,
    pub instr: Signal<In, Bits<64>>,
    /// Character ROM: `chr_tok` out, its ASCII `chr` in (combinational).
    pub chr_tok: Signal<Out, Bits<8>>,
    pub chr: Signal<In, Bits<8>>,
    pub op_flags: Signal<Out, Bits<4>>,
    pub op_aux: Signal<Out, Bits<8>>,
    pub op_a: Signal<Out, Bits<16>>,
    pub op_b: Signal<Out, Bits<16>>,
    pub op_c: Signal<Out, Bits<16>>,
    pub op_d: Signal<Out, Bits<16>>,
    pub tok: Signal<Out, Bits<8>>,
    pub pos: Signal<Out, Bits<8>>,
    pub embed_start: Signal<Out, Bit>,
    pub norm_start: Signal<Out, Bit>,
    pub mv_start: Signal<Out, Bit>,
    pub attn_start: Signal<Out, Bit>,
    pub smp_start: Signal<Out, Bit>,
    pub embed_done: Signal<In, Bit>,
    pub norm_done: Signal<In, Bit>,
    pub mv_done: Signal<In, Bit>,
    pub attn_done: Signal<In, Bit>,
    pub smp_done: Signal<In, Bit>,
    pub smp_token: Signal<In, Bits<8>>,
    pub seed_load: Signal<Out, Bit>,
    pub attn_clear: Signal<Out, Bit>,
    pub dbg_op: Signal<Out, Bits<4>>,
    pub follower: Signal<In, Bit>,
    pub send_start: Signal<Out, Bit>,
    pub recv_start: Signal<Out, Bit>,
    pub ni_done: Signal<In, Bit>,
    pub rx_hdr: Signal<In, Bit>,
    pub rx_pos: Signal<In, Bits<8>>,
    pub rx_tok_valid: Signal<In, Bit>,
    pub rx_tok: Signal<In, Bits<8>>,
    /// Batched core: the unit this cycle's `*_start` asks for is not granted (another
    /// sequence's instruction holds it); the controller stays in Exec, repeating the request.
    pub hold: Signal<In, Bit>,
    state: DFF<CtlState>,
    pcr: DFF<Bits<8>>,
    ir: DFF<Bits<64>>,
    tokr: DFF<Bits<8>>,
    posr: DFF<Bits<8>>,
    steps: DFF<Bits<32>>,
    names: DFF<Bits<16>>,
    sampled: DFF<Bits<16>>,
    cycles: DFF<Bits<48>>,
    stall: DFF<Bits<48>>,
    busy: DFF<Bit>,
    op: Signal<Local, Bits<4>>,
    unit_done: Signal<Local, Bit>,
    /// `pos < cmd_prompt_len`, registered: `pos` changes at least two cycles before the
    /// instruction and the step end that read it, so the comparison need not be in series with
    /// the units' start pulses (the 4x4 core's ECP5 critical path at `ccfd031` went from `pos`
    /// through this comparison and `smp_start` into the Sampler).
    forced: DFF<Bit>,
    finished: Signal<Local, Bit>,
}

impl Logic for Controller {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, pcr, ir, tokr, posr, steps, names, sampled, cycles, stall, busy, forced);
        self.op.next = self.ir.q.val().get_bits::<4>(60);
        self.op_flags.next = self.ir.q.val().get_bits::<4>(56);
        self.op_aux.next = self.ir.q.val().get_bits::<8>(48);
        self.op_a.next = bit_cast::<16, 12>(self.ir.q.val().get_bits::<12>(36));
        self.op_b.next = bit_cast::<16, 12>(self.ir.q.val().get_bits::<12>(24));
        self.op_c.next = bit_cast::<16, 12>(self.ir.q.val().get_bits::<12>(12));
        self.op_d.next = bit_cast::<16, 12>(self.ir.q.val().get_bits::<12>(0));
        self.tok.next = self.tokr.q.val();
        self.pos.next = self.posr.q.val();
        self.chr_tok.next = self.tokr.q.val();
        self.pc.next = self.pcr.q.val();
        if (self.state.q.val() == CtlState::Exec) | (self.state.q.val() == CtlState::Wait) {
            self.pc.next = self.pcr.q.val() + 1;
        }
        self.prompt_idx.next = self.posr.q.val() - 1;
        self.forced.d.next = self.posr.q.val() < self.cmd_prompt_len.val();
        self.finished.next = (self.cmd_names.val() & (self.names.q.val() == self.cmd_count.val()))
            | (!self.cmd_names.val() & (self.sampled.q.val() == self.cmd_count.val()));
        self.unit_done.next = false;
        if self.op.val() == 1 {
            self.unit_done.next = self.embed_done.val();
        }
        if self.op.val() == 2 {
            self.unit_done.next = self.norm_done.val();
        }
        if self.op.val() == 3 {
            self.unit_done.next = self.mv_done.val();
        }
        if self.op.val() == 5 {
            self.unit_done.next = self.attn_done.val();
        }
        if self.op.val() == 6 {
            self.unit_done.next = self.smp_done.val();
        }
        if (self.op.val() == 9) | (self.op.val() == 10) {
            self.unit_done.next = self.ni_done.val();
        }
        self.st_tokens.next = self.steps.q.val();
        self.st_names.next = self.names.q.val();
        self.st_cycles.next = self.cycles.q.val();
        self.st_stall.next = self.stall.q.val();
        self.core_busy.next = self.busy.q.val();
        self.embed_start.next = false;
        self.norm_start.next = false;
        self.mv_start.next = false;
        self.attn_start.next = false;
        self.smp_start.next = false;
        self.send_start.next = false;
        self.recv_start.next = false;
        self.seed_load.next = false;
        self.attn_clear.next = false;
        self.gen_done.next = false;
        self.out_valid.next = false;
        self.out_byte.next = self.chr.val();
        self.dbg_op.next = 8.into();
        if self.busy.q.val() {
            self.cycles.d.next = self.cycles.q.val() + 1;
        }
        match self.state.q.val() {
            CtlState::Idle => {
                self.dbg_op.next = 15.into();
                if self.follower.val() {
                    self.pcr.d.next = 0.into();
                    self.state.d.next = CtlState::Fetch;
                } else if self.cmd_start.val() {
                    self.busy.d.next = true;
                    self.cycles.d.next = 1.into();
                    self.stall.d.next = 0.into();
                    self.steps.d.next = 0.into();
                    self.names.d.next = 0.into();
                    self.sampled.d.next = 0.into();
                    self.seed_load.next = true;
                    self.state.d.next = CtlState::NameStart;
                }
            }
            CtlState::NameStart => {
                if self.finished.val() {
                    self.state.d.next = CtlState::Done;
                } else {
                    self.attn_clear.next = true;
                    self.posr.d.next = 0.into();
                    self.tokr.d.next = self.bos.val();
                    self.state.d.next = CtlState::StepStart;
                }
            }
            CtlState::StepStart => {
                self.pcr.d.next = 0.into();
                if (self.posr.q.val() != 0) & (self.posr.q.val() <= self.cmd_prompt_len.val()) {
                    self.state.d.next = CtlState::PromptGet;
                } else {
                    self.state.d.next = CtlState::Fetch;
                }
            }
            CtlState::PromptGet => {
                self.tokr.d.next = self.prompt_tok.val();
                self.state.d.next = CtlState::EmitPrompt;
            }
            CtlState::EmitPrompt => {
                if self.cmd_quiet.val() {
                    self.state.d.next = CtlState::Fetch;
                } else {
                    self.out_valid.next = true;
                    if self.out_ready.val() {
                        self.state.d.next = CtlState::Fetch;
                    } else {
                        self.dbg_op.next = 7.into();
                        self.stall.d.next = self.stall.q.val() + 1;
                    }
                }
            }
            CtlState::Fetch => {
                self.state.d.next = CtlState::Decode;
            }
            CtlState::Decode => {
                self.ir.d.next = self.instr.val();
                self.state.d.next = CtlState::Exec;
            }
            CtlState::Exec => {
                self.dbg_op.next = self.op.val();
                if (self.op.val() == 0) & self.follower.val() {
                    self.dbg_op.next = 8.into();
                    self.pcr.d.next = 0.into();
                    self.state.d.next = CtlState::Fetch;
                } else if self.op.val() == 0 {
                    self.dbg_op.next = 8.into();
                    self.state.d.next = CtlState::StepEnd;
                } else if (self.op.val() == 6) & self.forced.q.val() {
                    self.dbg_op.next = 8.into();
                    self.pcr.d.next = self.pcr.q.val() + 1;
                    self.state.d.next = CtlState::Fetch;
                } else {
                    self.embed_start.next = self.op.val() == 1;
                    self.norm_start.next = self.op.val() == 2;
                    self.mv_start.next = self.op.val() == 3;
                    self.attn_start.next = self.op.val() == 5;
                    self.smp_start.next = self.op.val() == 6;
                    self.send_start.next = self.op.val() == 9;
                    self.recv_start.next = self.op.val() == 10;
                    if self.hold.val() {
                        self.dbg_op.next = 11.into();
                    } else {
                        self.state.d.next = CtlState::Wait;
                    }
                }
            }
            CtlState::Wait => {
                self.dbg_op.next = self.op.val();
                if self.unit_done.val() {
                    self.ir.d.next = self.instr.val();
                    self.pcr.d.next = self.pcr.q.val() + 1;
                    self.state.d.next = CtlState::Exec;
                }
            }
            CtlState::StepEnd => {
                self.steps.d.next = self.steps.q.val() + 1;
                if self.forced.q.val() {
                    self.posr.d.next = self.posr.q.val() + 1;
                    self.state.d.next = CtlState::StepStart;
                } else {
                    self.tokr.d.next = self.smp_token.val();
                    self.sampled.d.next = self.sampled.q.val() + 1;
                    self.state.d.next = CtlState::EmitTok;
                }
            }
            CtlState::EmitTok => {
                if self.cmd_quiet.val() {
                    self.state.d.next = CtlState::AfterTok;
                } else {
                    self.out_valid.next = true;
                    if self.out_ready.val() {
                        self.state.d.next = CtlState::AfterTok;
                    } else {
                        self.dbg_op.next = 7.into();
                        self.stall.d.next = self.stall.q.val() + 1;
                    }
                }
            }
            CtlState::AfterTok => {
                if self.tokr.q.val() == self.bos.val() {
                    self.names.d.next = self.names.q.val() + 1;
                }
                if !self.cmd_names.val() & (self.sampled.q.val() == self.cmd_count.val()) {
                    self.state.d.next = CtlState::Done;
                } else if self.tokr.q.val() == self.bos.val() {
                    self.state.d.next = CtlState::NameStart;
                } else if (self.posr.q.val() + 1) == self.block.val() {
                    self.state.d.next = CtlState::EmitNl;
                } else {
                    self.posr.d.next = self.posr.q.val() + 1;
                    self.state.d.next = CtlState::StepStart;
                }
            }
            CtlState::EmitNl => {
                self.out_byte.next = 10.into();
                if self.cmd_quiet.val() {
                    self.names.d.next = self.names.q.val() + 1;
                    self.state.d.next = CtlState::NameStart;
                } else {
                    self.out_valid.next = true;
                    if self.out_ready.val() {
                        self.names.d.next = self.names.q.val() + 1;
                        self.state.d.next = CtlState::NameStart;
                    } else {
                        self.dbg_op.next = 7.into();
                        self.stall.d.next = self.stall.q.val() + 1;
                    }
                }
            }
            CtlState::Done => {
                self.gen_done.next = true;
                self.busy.d.next = false;
                self.cycles.d.next = self.cycles.q.val();
                self.state.d.next = CtlState::Idle;
            }
        }
        if self.rx_hdr.val() {
            self.posr.d.next = self.rx_pos.val();
            if self.follower.val() & (self.rx_pos.val() == 0) {
                self.attn_clear.next = true;
            }
        }
        if self.rx_tok_valid.val() {
            self.tokr.d.next = self.rx_tok.val();
        }
        if self.reset.val() {
            self.state.d.next = CtlState::Idle;
            self.busy.d.next = false;
            self.cycles.d.next = 0.into();
            self.stall.d.next = 0.into();
            self.steps.d.next = 0.into();
            self.names.d.next = 0.into();
            self.sampled.d.next = 0.into();
            self.pcr.d.next = 0.into();
            self.ir.d.next = 0.into();
            self.tokr.d.next = 0.into();
            self.posr.d.next = 0.into();
        }
    }
}

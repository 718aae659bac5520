//! The compact processing unit core `llmpu_core_r1c1_compact` ([`crate::lpu::Engine::Compact`]): the single core's controller,
//! program, tensor table, character ROM, weight and requant stores and scratchpad, with the
//! compact engine ([`super::engine`]) in place of the matrix unit, the vector leaves and the
//! attention unit. Its ports are the single core's ([`crate::rtl::lpu::top::ports`]), so the
//! host link, the system wrapper and the Verilator driver ([`crate::sim::lpu`]) work unchanged.
//!
//! ```text
//!  cmd_*, out_*, st_* <-> controller -- *_start --> entry select --> engine <-> micro-op ROM
//!                            ^  op_*, tok, pos, tentry ----------------->|  <-> local RAM
//!                            +-- *_done (the unit that started) <--------+  <-> scratchpad
//!                                                                       <-- weight, requant stores
//! ```
//!
//! Contract: the controller's (docs/lpu.md, "Controller"): each unit start begins the routine
//! of its instruction ([`super::code::Entries`]) with the controller's operands, the tensor
//! table entry of `op_aux` and the command's temperature; the engine's `done` is the started
//! unit's done; the command's seed is loaded into the engine's xorshift32 state by `seed_load`;
//! the engine's token is the Sampler's. The key/value cache is overwritten position by
//! position, so `attn_clear` needs no action.

use super::code::{assemble, Microcode};
use super::isa::encode;
use crate::lpu::Compiled;
use crate::rtl::emit::{block_verilog, dedup, Emitted};
use crate::rtl::lpu::top::{bits_for, module_header, ports, rom_module, rq_module, spad_module, word_hex};
use crate::{Error, Result};
use std::fmt::Write;

/// The compact core's module names.
pub struct CompactNames {
    pub top: String,
    pub ctl: String,
    pub prog: String,
    pub ttab: String,
    pub chars: String,
    pub wrom: String,
    pub rqrom: String,
    pub spad: String,
    pub engine: String,
    pub urom: String,
    pub lram: String,
}

impl CompactNames {
    pub fn new(c: &Compiled) -> Self {
        let t = c.cfg.top_name();
        let n = |s: &str| format!("{t}_{s}");
        CompactNames { ctl: n("ctl"), prog: n("prog"), ttab: n("ttab"), chars: n("chars"), wrom: n("wrom"), rqrom: n("rqrom"), spad: n("spad"), engine: n("eng"), urom: n("urom"), lram: n("lram"), top: t }
    }
}

/// The local RAM: 32-bit words, one read port (answers the cycle after `ren`, the word before a
/// write in the same cycle) and one write port.
pub fn lram_module(name: &str, depth: usize) -> String {
    let ab = bits_for(depth);
    format!(
        "module {name}(input wire clock, input wire ren, input wire [{a}:0] raddr, output reg [31:0] rdata, input wire we, input wire [{a}:0] waddr, input wire [31:0] wdata);\nreg [31:0] mem [0:{d}];\nalways @(posedge clock) begin\n    if (we) mem[waddr] <= wdata;\n    if (ren) rdata <= mem[raddr];\nend\nendmodule\n",
        a = ab - 1,
        d = depth - 1
    )
}

/// The micro-op ROM image: one 68-bit word per micro-op, as hex.
pub fn urom_words(code: &Microcode) -> Result<Vec<String>> {
    code.ops
        .iter()
        .enumerate()
        .map(|(i, u)| encode(u).map(|w| format!("{w:017x}")).map_err(|e| Error::invalid("micro-op", format!("{i} {u:?}"), format!("allowed: an encodable micro-op ({e})"))))
        .collect()
}

/// The whole compact core of `c` in one file (deduplicated), top module [`CompactNames::top`].
pub fn core_verilog(c: &Compiled) -> Result<Emitted> {
    let code = assemble(c)?;
    let n = CompactNames::new(c);
    let mut raw = block_verilog(&mut crate::rtl::lpu::controller::Controller::default(), &n.ctl)?;
    raw += &block_verilog(&mut super::engine::MicroEngine::default(), &n.engine)?;
    let mut e = dedup(&raw, &[n.ctl.as_str(), n.engine.as_str()])?;
    let prog: Vec<String> = c.encoded().iter().map(|w| format!("{w:016x}")).collect();
    let ttab: Vec<String> = c.table.iter().map(|w| format!("{w:016x}")).collect();
    let chars: Vec<String> = c.chars.iter().map(|b| format!("{b:02x}")).collect();
    let words: Vec<String> = c.image.words.iter().map(|w| word_hex(w)).collect();
    let rq: Vec<u64> = c.image.rq.iter().map(|&w| w as u64).collect();
    let mut mems = String::new();
    mems += &rom_module(&n.prog, 64, &prog, true);
    mems += &rom_module(&n.ttab, 64, &ttab, false);
    mems += &rom_module(&n.chars, 8, &chars, false);
    mems += &rom_module(&n.wrom, 8, &words, true);
    mems += &rq_module(&n.rqrom, 1, &rq);
    mems += &spad_module(&n.spad, 1, 1, c.layout.size);
    mems += &rom_module(&n.urom, 68, &urom_words(&code)?, true);
    mems += &lram_module(&n.lram, code.local.depth);
    e.push_module(n.prog.clone(), &mems);
    e.modules.extend([n.ttab.clone(), n.chars.clone(), n.wrom.clone(), n.rqrom.clone(), n.spad.clone(), n.urom.clone(), n.lram.clone()]);
    e.push_module(n.top.clone(), &top_verilog(c, &n, &code));
    Ok(e.with_header(&n.top))
}

fn top_verilog(c: &Compiled, n: &CompactNames, code: &Microcode) -> String {
    let m = c.cfg.model;
    let en = &code.entries;
    let pab = bits_for(c.program.len());
    let mut s = String::new();
    let _ = writeln!(s, "// The compact processing unit core: {m:?} on the microcoded engine, generated by llmpu.");
    s += "/* verilator lint_off UNUSED */\n/* verilator lint_off WIDTH */\n";
    s += &module_header(&n.top, &ports());
    s += "
// controller
wire [7:0] pc, chr_tok, chr, tok, pos, op_aux;
wire [63:0] instr;
wire [3:0] op_flags;
wire [15:0] op_a, op_b, op_c, op_d;
wire embed_start, norm_start, mv_start, attn_start, smp_start;
wire embed_done, norm_done, mv_done, attn_done, smp_done;
wire seed_load, attn_clear;
wire [7:0] smp_token;
";
    let _ = writeln!(
        s,
        "{ctl} ctl(.clock(clock), .reset(reset), .cmd_start(cmd_start), .cmd_count(cmd_count), .cmd_names(cmd_names), .cmd_quiet(cmd_quiet), .cmd_prompt_len(cmd_prompt_len), .prompt_tok(prompt_tok), .prompt_idx(prompt_idx), .out_ready(out_ready), .out_valid(out_valid), .out_byte(out_byte), .gen_done(gen_done), .core_busy(core_busy), .st_tokens(st_tokens), .st_names(st_names), .st_cycles(st_cycles), .st_stall(st_stall), .bos(8'd{bos}), .block(8'd{block}), .pc(pc), .instr(instr), .chr_tok(chr_tok), .chr(chr), .op_flags(op_flags), .op_aux(op_aux), .op_a(op_a), .op_b(op_b), .op_c(op_c), .op_d(op_d), .tok(tok), .pos(pos), .embed_start(embed_start), .norm_start(norm_start), .mv_start(mv_start), .attn_start(attn_start), .smp_start(smp_start), .embed_done(embed_done), .norm_done(norm_done), .mv_done(mv_done), .attn_done(attn_done), .smp_done(smp_done), .smp_token(smp_token), .seed_load(seed_load), .attn_clear(attn_clear), .dbg_op(dbg_op), .follower(1'b0), .send_start(), .recv_start(), .ni_done(1'b0), .rx_hdr(1'b0), .rx_pos(8'd0), .rx_tok_valid(1'b0), .rx_tok(8'd0), .hold(1'b0));",
        ctl = n.ctl,
        bos = m.bos(),
        block = m.block_size
    );
    let _ = writeln!(s, "{} prog(.clock(clock), .en(1'b1), .addr(pc[{}:0]), .data(instr));", n.prog, pab - 1);
    let _ = writeln!(s, "{} chars(.addr(chr_tok[{}:0]), .data(chr));", n.chars, bits_for(c.chars.len()) - 1);
    let _ = writeln!(s, "wire [63:0] tentry;\n{} ttab(.addr(op_aux[{}:0]), .data(tentry));", n.ttab, bits_for(c.table.len()) - 1);
    let _ = writeln!(
        s,
        "
// the engine runs the routine of the unit the controller started; its done is that unit's
wire eng_start = embed_start | norm_start | mv_start | attn_start | smp_start;
wire [8:0] eng_entry = embed_start ? 9'd{e} : norm_start ? 9'd{nm} : mv_start ? 9'd{mv} : attn_start ? 9'd{at} : 9'd{sm};
reg [2:0] eng_op;
initial eng_op = 3'd0;
always @(posedge clock) if (eng_start) eng_op <= embed_start ? 3'd1 : norm_start ? 3'd2 : mv_start ? 3'd3 : attn_start ? 3'd5 : 3'd6;
wire eng_done;
assign embed_done = eng_done & (eng_op == 3'd1);
assign norm_done = eng_done & (eng_op == 3'd2);
assign mv_done = eng_done & (eng_op == 3'd3);
assign attn_done = eng_done & (eng_op == 3'd5);
assign smp_done = eng_done & (eng_op == 3'd6);
wire [8:0] uaddr;
wire [67:0] uword;
{urom} urom(.clock(clock), .en(1'b1), .addr(uaddr[{ua}:0]), .data(uword));
wire s_ren, s_we, w_en, q_en, l_ren, l_we;
wire [15:0] s_raddr, s_waddr, s_wdata, s_rdata, w_addr, q_addr, l_raddr, l_waddr;
wire [7:0] w_data;
wire [23:0] q_data;
wire [31:0] l_rdata, l_wdata;
{spad} spad(.clock(clock), .a_ren(s_ren), .a_raddr(s_raddr), .a_rdata(s_rdata), .a_word(), .s_en(1'b0), .s_addr(16'd0), .s_data(), .a_we(s_we), .a_waddr(s_waddr), .a_wdata(s_wdata), .k_we(1'b0), .k_wm(1'b1), .k_waddr(16'd0), .k_wdata(16'd0));
{wrom} wrom(.clock(clock), .en(w_en), .addr(w_addr[{wa}:0]), .data(w_data));
{rqrom} rqrom(.clock(clock), .en(q_en), .addr(q_addr[{qa}:0]), .data(q_data));
{lram} lram(.clock(clock), .ren(l_ren), .raddr(l_raddr[{la}:0]), .rdata(l_rdata), .we(l_we), .waddr(l_waddr[{la}:0]), .wdata(l_wdata));
{eng} eng(.clock(clock), .reset(reset), .start(eng_start), .entry(eng_entry), .uaddr(uaddr), .uword(uword), .flags(op_flags), .op_a(op_a), .op_b(op_b), .op_c(op_c), .op_d(op_d), .op_aux({{8'd0, op_aux}}), .op_tok({{8'd0, tok}}), .op_pos({{8'd0, pos}}), .op_tempk(cmd_temp_k), .op_wbase(tentry[15:0]), .op_rqbase(tentry[31:16]), .op_rows(tentry[47:32]), .op_chunks(tentry[63:48]), .seed_load(seed_load), .seed(cmd_seed), .busy(), .done(eng_done), .token(smp_token), .state(), .s_ren(s_ren), .s_raddr(s_raddr), .s_rdata(s_rdata), .s_we(s_we), .s_waddr(s_waddr), .s_wdata(s_wdata), .w_en(w_en), .w_addr(w_addr), .w_data(w_data), .q_en(q_en), .q_addr(q_addr), .q_data(q_data), .l_ren(l_ren), .l_raddr(l_raddr), .l_rdata(l_rdata), .l_we(l_we), .l_waddr(l_waddr), .l_wdata(l_wdata));
endmodule
/* verilator lint_on WIDTH */
/* verilator lint_on UNUSED */",
        e = en.embed,
        nm = en.norm,
        mv = en.matvec,
        at = en.attn,
        sm = en.sample,
        urom = n.urom,
        ua = bits_for(code.ops.len()) - 1,
        spad = n.spad,
        wrom = n.wrom,
        wa = bits_for(c.image.words.len()) - 1,
        rqrom = n.rqrom,
        qa = bits_for(c.image.rq.len()) - 1,
        lram = n.lram,
        la = bits_for(code.local.depth) - 1,
        eng = n.engine
    );
    s
}

//! The generated memories and the structural core top `llmpu_core_rRcC`: controller, program
//! ROM, tensor table, character ROM, weight and requant store, matrix unit, vector leaves
//! (embed, norm, sampler), attention adapter and the attention unit (one cache per layer), scratchpad.
//! Only wiring and ROM contents are generated here; every block with logic is a rust-hdl block.
//!
//! ```text
//!   cmd_*, prompt_tok, out_ready                      out_*, gen_done, st_*, core_busy, dbg_op
//!            |                                                   ^
//!            v                                                   |
//!   +--------------------+  pc   +---------+                     |
//!   |    controller      |------>| program |--instr--+           |
//!   | (token loop, FSM)  |<------+---------+         |           |
//!   +--------------------+                           |           |
//!     | start/done, op_*, tok, pos                   |           |
//!     v                                              |           |
//!   embed  norm  matvec  sampler  attn adapter -> attention unit (a cache per layer)
//!     |      |      |     |      |          |
//!     +------+------+-----+------+----------+--> scratchpad (C banks)   weight store (R*C bytes/word)
//! ```
//!
//! The units run one at a time (contract v1): each memory port is an AND-OR mux of the units'
//! requests, valid because an idle unit drives its enables low. Norm and the sampler watch the
//! scratchpad's write port (`sn_*`, cleared by every unit's start): a NORM or SAMPLE with the
//! `pre` flag takes its sum of squares or maximum from the previous instruction's writes.

use crate::lpu::compiler::Compiled;
use crate::manifest::Port;
use std::fmt::Write;

/// Bits to address `n` words (at least 1).
pub fn bits_for(n: usize) -> usize {
    (usize::BITS - n.saturating_sub(1).leading_zeros()).max(1) as usize
}

/// A read-only memory module: `data` is `words[addr]` registered on `clock` when `en`
/// (`registered`), or combinational (`registered = false`, no clock or enable ports).
/// Words are given as hex strings of `width` bits.
pub fn rom_module(name: &str, width: usize, words: &[String], registered: bool) -> String {
    let ab = bits_for(words.len());
    let mut s = String::new();
    let last = words.len().max(1) - 1;
    if registered {
        let _ = writeln!(s, "module {name}(input wire clock, input wire en, input wire [{}:0] addr, output reg [{}:0] data);", ab - 1, width - 1);
        let _ = writeln!(s, "reg [{}:0] mem [0:{last}];", width - 1);
        s += "initial begin\n";
        for (i, w) in words.iter().enumerate() {
            let _ = writeln!(s, "    mem[{i}] = {width}'h{w};");
        }
        s += "end\n";
        s += "always @(posedge clock) begin\n    if (en) data <= mem[addr];\nend\n";
    } else {
        let _ = writeln!(s, "module {name}(input wire [{}:0] addr, output reg [{}:0] data);", ab - 1, width - 1);
        s += "always @(*) begin\n    case (addr)\n";
        for (i, w) in words.iter().enumerate() {
            let _ = writeln!(s, "        {ab}'d{i}: data = {width}'h{w};");
        }
        let _ = writeln!(s, "        default: data = {width}'h0;\n    endcase\nend");
    }
    s += "endmodule\n";
    s
}

/// Address bits of [`rq_module`] for `n` words read `w` at a time.
pub fn rq_addr_bits(w: usize, n: usize) -> usize {
    if w == 1 {
        bits_for(n)
    } else {
        bits_for(n).max(w.trailing_zeros() as usize + 2)
    }
}

/// The requant memory of a matrix unit with a wide mode ([`crate::rtl::lpu::matvec`], `w > 1`):
/// `words` (24-bit) in `w` banks, word `i` in bank `i % w` at `i / w`, and one read port that
/// answers `en`, `addr` the cycle after with words `addr .. addr + w - 1` side by side (word
/// `addr + j` at bits `[24j +: 24]`) for any `addr`: bank `b` reads its word `addr / w + (b <
/// addr % w)` and the lanes are rotated by the registered `addr % w`. A reader of one word
/// takes bits 23..0. Words past the end read as 0. With `w = 1` it is [`rom_module`].
pub fn rq_module(name: &str, w: usize, words: &[u64]) -> String {
    let ab = rq_addr_bits(w, words.len());
    let hex: Vec<String> = words.iter().map(|v| format!("{v:06x}")).collect();
    if w == 1 {
        return rom_module(name, 24, &hex, true);
    }
    let lg = w.trailing_zeros() as usize;
    let depth = words.len().div_ceil(w) + 1;
    let mut s = String::from("/* verilator lint_off UNUSED */\n");
    let _ = writeln!(s, "module {name}(input wire clock, input wire en, input wire [{}:0] addr, output wire [{}:0] data);", ab - 1, 24 * w - 1);
    let _ = writeln!(s, "wire [{}:0] lo = addr[{}:0];\nreg [{}:0] lo_q;\nalways @(posedge clock) if (en) lo_q <= lo;", lg - 1, lg - 1, lg - 1);
    for b in 0..w {
        let _ = writeln!(s, "reg [23:0] m{b} [0:{}];\nreg [23:0] d{b};", depth - 1);
        s += "initial begin\n";
        for i in 0..depth {
            let v = words.get(i * w + b).copied().unwrap_or(0);
            let _ = writeln!(s, "    m{b}[{i}] = 24'h{v:06x};");
        }
        s += "end\n";
        let _ = writeln!(
            s,
            "wire [{h1}:0] a{b} = addr[{a1}:{lg}] + {{{{{z}{{1'b0}}}}, (lo > {lg}'d{b})}};\nalways @(posedge clock) if (en) d{b} <= m{b}[a{b}];",
            a1 = ab - 1,
            h1 = ab - lg - 1,
            z = ab - lg - 1
        );
    }
    // The rotation as a case over lo_q (an expression like `>> (lo_q * 24)` became a multiplier
    // on the ECP5 critical path).
    let _ = writeln!(s, "reg [{}:0] rot;\nalways @(*) begin\n    case (lo_q)", 24 * w - 1);
    for lo in 0..w {
        let cat: Vec<String> = (0..w).rev().map(|j| format!("d{}", (lo + j) % w)).collect();
        let _ = writeln!(s, "        {lg}'d{lo}: rot = {{{}}};", cat.join(", "));
    }
    let _ = writeln!(s, "        default: rot = {{{}{{24'h0}}}};\n    endcase\nend\nassign data = rot;", w);
    s += "endmodule\n/* verilator lint_on UNUSED */\n";
    s
}

/// The scratchpad: C banks of 16-bit words (element `a` in bank `a % C`, word `a / C`), an
/// element read port (`a_ren`, `a_raddr` -> `a_rdata` the cycle after; `a_word` is the whole
/// word holding that element, every bank read at the same word), a word read port for the
/// matrix unit (`s_en`, `s_addr` -> `s_data` the cycle after, bank c at `[16c +: 16]`), an
/// element write port and a chunk write port of `k` elements (`k` divides C; `k_we`,
/// `k_waddr` a multiple of `k`, element `k_waddr + j` from `k_wdata[16j +: 16]` where bit `j`
/// of the lane mask `k_wm` is set; the two write
/// ports are never used in the same cycle). The two read ports are independent: an
/// accumulating matrix product reads its destination elements while it reads the next tile's
/// `x` words. A read sees every write of an earlier cycle and not that of its own cycle. For
/// fmax the write is registered (per bank: enable, word, data) and reaches the memory one cycle
/// after its port cycle; in that cycle a read of the same word of that bank takes the registered
/// data instead of the memory's (forwarding), so readers see what they saw before. No reset;
/// contents undefined until written.
pub fn spad_module(name: &str, c: usize, k: usize, words: usize) -> String {
    let lg = c.trailing_zeros() as usize;
    let lgk = k.trailing_zeros() as usize;
    let ab = bits_for(words);
    let mut s = String::new();
    let _ = writeln!(s, "/* verilator lint_off UNUSED */");
    let _ = writeln!(
        s,
        "module {name}(input wire clock, input wire a_ren, input wire [15:0] a_raddr, output wire [15:0] a_rdata, output wire [{cw}:0] a_word, input wire s_en, input wire [15:0] s_addr, output wire [{cw}:0] s_data, input wire a_we, input wire [15:0] a_waddr, input wire [15:0] a_wdata, input wire k_we, input wire [{kw}:0] k_wm, input wire [15:0] k_waddr, input wire [{cw}:0] k_wdata);",
        cw = c * 16 - 1,
        kw = k - 1
    );
    let word = |a: &str| if lg == 0 { format!("{a}[{}:0]", ab - 1) } else { format!("{a}[{}:{lg}]", lg + ab - 1) };
    for b in 0..c {
        let sel = if lg == 0 { "1'b1".to_string() } else { format!("(a_waddr[{}:0] == {lg}'d{b})", lg - 1) };
        let ksel = if lgk == lg { "1'b1".to_string() } else { format!("(k_waddr[{}:{lgk}] == {}'d{})", lg - 1, lg - lgk, b >> lgk) };
        let _ = writeln!(s, "reg [15:0] mem{b} [0:{}];\nreg [15:0] rm{b};\nreg [15:0] ra{b};", words - 1);
        let _ = writeln!(
            s,
            "wire we{b} = (a_we && {sel}) || (k_we && {ksel} && k_wm[{kl}]);\nwire [{a1}:0] wa{b} = a_we ? {wa} : {wk};\nwire [15:0] wd{b} = a_we ? a_wdata : k_wdata[{lane}:{lane0}];",
            a1 = ab - 1,
            wa = word("a_waddr"),
            wk = word("k_waddr"),
            lane = (b % k) * 16 + 15,
            lane0 = (b % k) * 16,
            kl = b % k
        );
        // The write registered (pw, pa, pd), the memory written one cycle later; a read of the
        // pending word in that cycle takes pd instead (fs / fe, fd), so readers see each write
        // from the cycle after its port cycle, as without the register.
        let _ = writeln!(
            s,
            "reg pw{b};\nreg [{a1}:0] pa{b};\nreg [15:0] pd{b};\nreg fs{b};\nreg fe{b};\nreg [15:0] fd{b};\ninitial pw{b} = 1'b0;",
            a1 = ab - 1
        );
        let _ = writeln!(
            s,
            "always @(posedge clock) begin\n    pw{b} <= we{b};\n    pa{b} <= wa{b};\n    pd{b} <= wd{b};\n    if (pw{b}) mem{b}[pa{b}] <= pd{b};\n    rm{b} <= mem{b}[{sa}];\n    ra{b} <= mem{b}[{ra}];\n    fs{b} <= pw{b} && (pa{b} == {sa});\n    fe{b} <= pw{b} && (pa{b} == {ra});\n    fd{b} <= pd{b};\nend",
            sa = format!("s_addr[{}:0]", ab - 1),
            ra = word("a_raddr")
        );
        let _ = writeln!(s, "wire [15:0] rd{b} = fs{b} ? fd{b} : rm{b};\nwire [15:0] re{b} = fe{b} ? fd{b} : ra{b};");
    }
    let cat: Vec<String> = (0..c).rev().map(|b| format!("rd{b}")).collect();
    let _ = writeln!(s, "assign s_data = {{{}}};", cat.join(", "));
    let cat: Vec<String> = (0..c).rev().map(|b| format!("re{b}")).collect();
    let _ = writeln!(s, "assign a_word = {{{}}};", cat.join(", "));
    if lg == 0 {
        s += "assign a_rdata = re0;\n";
    } else {
        let _ = writeln!(s, "reg [{}:0] sel;\nalways @(posedge clock) sel <= a_raddr[{}:0];", lg - 1, lg - 1);
        s += "reg [15:0] rsel;\nalways @(*) begin\n    case (sel)\n";
        for b in 0..c {
            let _ = writeln!(s, "        {lg}'d{b}: rsel = re{b};");
        }
        s += "        default: rsel = 16'h0;\n    endcase\nend\nassign a_rdata = rsel;\n";
    }
    s += "endmodule\n/* verilator lint_on UNUSED */\n";
    s
}


/// Hex digits of a weight word (lane `R*C-1` first).
pub fn word_hex(bytes: &[i8]) -> String {
    bytes.iter().rev().map(|b| format!("{:02x}", *b as u8)).collect()
}

/// The module names of the core's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    pub top: String,
    pub ctl: String,
    pub prog: String,
    pub ttab: String,
    pub chars: String,
    pub wrom: String,
    pub rqrom: String,
    pub spad: String,
    pub adapter: String,
    pub attention: String,
    pub matvec: String,
    pub embed: String,
    pub norm: String,
    pub sampler: String,
    /// The network interface (tiles only).
    pub netif: String,
}

impl Names {
    pub fn new(c: &Compiled, attention: &str, matvec: &str, embed: &str, norm: &str, sampler: &str) -> Self {
        let t = c.cfg.top_name();
        Names {
            ctl: format!("{t}_ctl"),
            prog: format!("{t}_prog"),
            ttab: format!("{t}_ttab"),
            chars: format!("{t}_chars"),
            wrom: format!("{t}_wrom"),
            rqrom: format!("{t}_rqrom"),
            spad: format!("{t}_spad"),
            adapter: format!("{t}_attn_ad"),
            attention: attention.into(),
            matvec: matvec.into(),
            embed: embed.into(),
            norm: norm.into(),
            sampler: sampler.into(),
            netif: format!("{t}_ni"),
            top: t,
        }
    }
}

/// The ROM modules of a compiled model: program, tensor table, characters, weights, requants.
pub fn rom_modules(c: &Compiled, n: &Names) -> String {
    let rc8 = c.cfg.rows * c.cfg.cols * 8;
    let prog: Vec<String> = c.encoded().iter().map(|w| format!("{w:016x}")).collect();
    let ttab: Vec<String> = c.table.iter().map(|w| format!("{w:016x}")).collect();
    let chars: Vec<String> = c.chars.iter().map(|b| format!("{b:02x}")).collect();
    let words: Vec<String> = c.image.words.iter().map(|w| word_hex(w)).collect();
    let mut s = String::new();
    s += &rom_module(&n.prog, 64, &prog, true);
    s += &rom_module(&n.ttab, 64, &ttab, false);
    s += &rom_module(&n.chars, 8, &chars, false);
    s += &rom_module(&n.wrom, rc8, &words, true);
    let rq: Vec<u64> = c.image.rq.iter().map(|&w| w as u64).collect();
    s += &rq_module(&n.rqrom, c.cfg.mv_write(), &rq);
    s += &spad_module(&n.spad, c.cfg.cols, c.cfg.spad_chunk(), c.layout.size / c.cfg.cols);
    s
}

/// The core's top-level ports: the host link's core side (contract) plus `dbg_op`.
pub fn ports() -> Vec<Port> {
    vec![
        Port::input("clock", 1, "clock; everything changes on its rising edge"),
        Port::input("reset", 1, "synchronous, active high"),
        Port::input("cmd_start", 1, "one-cycle pulse: start a generation (ignored while core_busy)"),
        Port::input("cmd_seed", 32, "xorshift32 state, non-zero; held until gen_done"),
        Port::input("cmd_temp_k", 16, "Temperature::k (0 = greedy); held until gen_done"),
        Port::input("cmd_count", 16, "names or tokens to generate; held until gen_done"),
        Port::input("cmd_names", 1, "1: cmd_count counts names, 0: sampled tokens"),
        Port::input("cmd_quiet", 1, "1: emit no characters (count-only)"),
        Port::input("cmd_prompt_len", 8, "prompt tokens (fewer than block_size)"),
        Port::output("prompt_idx", 8, "prompt index the core reads"),
        Port::input("prompt_tok", 8, "prompt token at prompt_idx, the cycle after"),
        Port::output("out_valid", 1, "a character is offered on out_byte"),
        Port::output("out_byte", 8, "ASCII character (BOS and name ends are \\n)"),
        Port::input("out_ready", 1, "the host link takes the character this cycle; the core stalls while low"),
        Port::output("gen_done", 1, "one-cycle pulse at the end of the generation"),
        Port::output("st_tokens", 32, "forward passes run (forced prompt steps included); held from gen_done"),
        Port::output("st_names", 16, "names completed; held from gen_done"),
        Port::output("st_cycles", 48, "cycles from the cmd_start cycle to the gen_done cycle; held from gen_done"),
        Port::output("st_stall", 48, "cycles the core waited on out_ready; held from gen_done"),
        Port::output("core_busy", 1, "high from the cycle after cmd_start to gen_done"),
        Port::output("dbg_op", 4, "class of this cycle: opcode 1..6 while its unit runs, 7 output stall, 8 control, 15 idle"),
    ]
}

/// Attention configuration of a compiled model: head_dim, heads, context = block_size, lanes.
/// In a batched core the unit is shared by the sequences
/// ([`crate::rtl::attention::AttentionConfig::with_contexts`]).
pub fn attention_config(c: &Compiled) -> crate::Result<crate::rtl::attention::AttentionConfig> {
    let m = c.cfg.model;
    let a = crate::rtl::attention::AttentionConfig::try_from(crate::rtl::attention::config::AttentionParams {
        head_dim: m.head_dim() as u32,
        heads: m.n_head as u32,
        context: m.block_size as u32,
        lanes: c.cfg.lanes as u32,
        q_frac: c.consts.q_frac,
        k_frac: c.consts.k_frac,
        layers: m.n_layer as u32,
        elements_per_cycle: c.cfg.attention_elements as u32,
    })?;
    if c.cfg.batch > 1 {
        a.with_contexts(c.cfg.batch as u32)
    } else {
        Ok(a)
    }
}

/// The AND-OR muxes of the scratchpad's element ports over the units (and the network
/// interface `ni` of a tile).
/// Embed and Norm write through the element port only with `vec_elem` (else through the chunk
/// port).
fn spad_mux(netif: bool, vec_elem: bool) -> String {
    let mut rd = vec!["ad", "nm", "sm", "mv"];
    let mut wr = if vec_elem { vec!["nm", "em", "mv"] } else { vec!["mv"] };
    if netif {
        rd.push("ni");
        wr.push("ni");
    }
    let list = |v: &[&str], sig: &str| v.iter().map(|u| format!("{u}_{sig}")).collect::<Vec<_>>().join(", ");
    let or = |v: &[&str], en: &str| v.iter().map(|u| format!("{u}_{en}")).collect::<Vec<_>>().join(" | ");
    let mux = |v: &[&str], en: &str, sig: &str| v.iter().map(|u| format!("({u}_{en} ? {u}_{sig} : 16'd0)")).collect::<Vec<_>>().join(" | ");
    let mut s = String::new();
    let _ = writeln!(s, "wire {};\nwire [15:0] {};", list(&rd, "ren"), list(&rd, "raddr"));
    let _ = writeln!(s, "wire {};\nwire [15:0] {};\nwire [15:0] {};", list(&wr, "we"), list(&wr, "waddr"), list(&wr, "wdata"));
    let _ = writeln!(s, "wire sp_ren = {};\nwire [15:0] sp_raddr = {};", or(&rd, "ren"), mux(&rd, "ren", "raddr"));
    let _ = writeln!(s, "wire sp_we = {};\nwire [15:0] sp_waddr = {};", or(&wr, "we"), mux(&wr, "we", "waddr"));
    let _ = writeln!(s, "wire [15:0] sp_wdata = {};", mux(&wr, "we", "wdata"));
    s
}

/// What makes a core a tile of the mesh: its mesh coordinates and whether it follows (every
/// tile but the host tile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TilePlace {
    pub x: usize,
    pub y: usize,
    pub follower: bool,
}

/// The tile's extra ports: its mesh node's local port (32-bit flits).
pub fn tile_ports() -> Vec<Port> {
    vec![
        Port::output("inj_valid", 1, "a flit is offered to the mesh"),
        Port::output("inj_data", 32, "the offered flit"),
        Port::output("inj_last", 1, "the offered flit ends its packet"),
        Port::input("inj_ready", 1, "the mesh takes the flit"),
        Port::input("ej_valid", 1, "the mesh offers a flit"),
        Port::input("ej_data", 32, "the offered flit"),
        Port::input("ej_last", 1, "the offered flit ends its packet"),
        Port::output("ej_ready", 1, "the tile takes the flit"),
    ]
}

/// `module NAME(ports);` and the port declarations.
pub(crate) fn module_header(name: &str, ps: &[Port]) -> String {
    let names: Vec<&str> = ps.iter().map(|p| p.name.as_str()).collect();
    let mut s = format!("module {name}({});\n", names.join(", "));
    for p in ps {
        let dir = if p.direction == crate::manifest::Direction::Input { "input" } else { "output" };
        let w = if p.width == 1 { String::new() } else { format!("[{}:0] ", p.width - 1) };
        let _ = writeln!(s, "    {dir} wire {w}{};", p.name);
    }
    s
}

/// Widths and counts both core tops derive from a compiled model and its attention unit.
pub(crate) struct Dims {
    /// Bits of an attention beat: lanes x head_dim x 16.
    pub aw: usize,
    /// Bits of the attention unit's group fields.
    pub gb: usize,
    /// Rows the matrix unit writes per cycle (`LpuConfig::mv_write`).
    pub mw: usize,
    /// Address bits of the program ROM, the tensor table and the character ROM.
    pub pab: usize,
    pub tab: usize,
    pub cab: usize,
    /// Elements the attention adapter moves per cycle, the chunk port's width.
    pub kch: usize,
    /// Elements Embed and Norm move per cycle.
    pub nk: usize,
}

impl Dims {
    pub(crate) fn new(c: &Compiled, ac: &crate::rtl::attention::AttentionConfig) -> Self {
        Dims {
            aw: (ac.lanes * ac.head_dim * 16) as usize,
            gb: ac.group_bits() as usize,
            mw: c.cfg.mv_write(),
            pab: bits_for(c.program.len()),
            tab: bits_for(c.table.len()),
            cab: bits_for(c.cfg.model.vocab),
            kch: c.cfg.spad_chunk(),
            nk: c.cfg.vector_chunk(),
        }
    }
}

/// The weight and requant store of a core top with the AND-OR multiplexers of its two readers,
/// Embed and the matrix unit (never at the same time: in the batched core they are one unit
/// group), and Embed's byte select.
pub(crate) fn store_section(c: &Compiled, n: &Names) -> String {
    let (cfg, mw, nk) = (&c.cfg, c.cfg.mv_write(), c.cfg.vector_chunk());
    format!(
        "\n// weight and requant store\nwire mv_wen, em_wen, mv_rqen, em_rqen;\nwire [15:0] mv_waddr_w, em_waddr_w, mv_rqaddr, em_rqaddr;\nwire [7:0] em_wlane;\nwire w_en = mv_wen | em_wen;\nwire [15:0] w_addr = (mv_wen ? mv_waddr_w : 16'd0) | (em_wen ? em_waddr_w : 16'd0);\nwire [{rw}:0] w_data;\nwire rq_en = mv_rqen | em_rqen;\nwire [15:0] rq_addr = (mv_rqen ? mv_rqaddr : 16'd0) | (em_rqen ? em_rqaddr : 16'd0);\nwire [{rqw}:0] rq_data;\n{wrom} wrom(.clock(clock), .en(w_en), .addr(w_addr[{wab}:0]), .data(w_data));\n{rqrom} rqrom(.clock(clock), .en(rq_en), .addr(rq_addr[{rqab}:0]), .data(rq_data));\nreg [7:0] em_lane_q;\nalways @(posedge clock) if (em_wen) em_lane_q <= em_wlane;\nwire [{ebw}:0] em_wbyte = w_data[em_lane_q * 8 +: {eb}];\n",
        rw = cfg.rows * cfg.cols * 8 - 1,
        rqw = 24 * mw - 1,
        wrom = n.wrom,
        rqrom = n.rqrom,
        wab = bits_for(c.map.depth) - 1,
        rqab = rq_addr_bits(mw, c.map.rq_depth) - 1,
        eb = 8 * nk,
        ebw = 8 * nk - 1
    )
}

/// The Embed instance of a core top; its operands are the wires `{p}tok`, `{p}pos`, `{p}op_a`
/// (`p` = "" in the single core: the controller's; "rom_" in the batched core: the owner's).
pub(crate) fn embed_instance(c: &Compiled, n: &Names, p: &str) -> String {
    let (cfg, m) = (&c.cfg, c.cfg.model);
    let (wte, wpe) = (&c.map.tensors[0], &c.map.tensors[1]);
    format!(
        "{} embed(.clock(clock), .reset(reset), .start(embed_start), .busy(), .done(embed_done), .tok({p}tok), .pos({p}pos), .len(16'd{e}), .dst({p}op_a), .wte_base(16'd{wb}), .wpe_base(16'd{pb}), .chunks(16'd{ch}), .wte_rq(16'd{wr}), .wpe_rq(16'd{pr}), .lg_r(4'd{lr}), .lg_c(4'd{lc}), .w_en(em_wen), .w_addr(em_waddr_w), .w_lane(em_wlane), .w_byte(em_wbyte), .rq_en(em_rqen), .rq_addr(em_rqaddr), .rq_data(rq_data[23:0]), .a_we(em_we), .a_waddr(em_waddr), .a_wdata(em_wdata));\n",
        n.embed,
        e = m.n_embd,
        wb = wte.base,
        pb = wpe.base,
        ch = wte.chunks,
        wr = wte.rq_base,
        pr = wpe.rq_base,
        lr = cfg.lg_r(),
        lc = cfg.lg_c()
    )
}

/// The Norm instance (and its `nsel` wire) of a core top: operands `{p}op_flags`, `{p}op_a`,
/// `{p}op_b`; `pre`, the snoop connections and the read data as given.
pub(crate) fn norm_instance(c: &Compiled, n: &Names, p: &str, pre: &str, snoop: &str, rdata: &str) -> String {
    let m = c.cfg.model;
    let [ne, nl] = c.consts.norm;
    format!(
        "wire nsel = {p}op_flags[0];\n{} norm(.clock(clock), .reset(reset), .start(norm_start), .busy(), .done(norm_done), .src({p}op_a), .dst({p}op_b), .len(16'd{e}), .eps_term(nsel ? 32'd{le} : 32'd{ee}), .gain(nsel ? 16'd{lg} : 16'd{eg}), .gain_shift(nsel ? 8'd{ls} : 8'd{es}), .out_frac(nsel ? 8'd{lo} : 8'd{eo}), .pre({pre}), {snoop}, .a_ren(nm_ren), .a_raddr(nm_raddr), .a_rdata({rdata}), .a_we(nm_we), .a_waddr(nm_waddr), .a_wdata(nm_wdata));\n",
        n.norm,
        e = m.n_embd,
        le = nl.eps_term,
        ee = ne.eps_term,
        lg = nl.gain,
        eg = ne.gain,
        ls = nl.gain_shift,
        es = ne.gain_shift,
        lo = nl.out_frac,
        eo = ne.out_frac
    )
}

/// The matrix unit instance of a core top: operands `{p}op_a`, `{p}op_b`, `{p}op_flags` and the
/// tensor table's `tentry`; the word port's data `s_data`, the element port's `rdata` (with the
/// wide mode's further rows from the chunk data `kdata`); `tags` connects `tag`, `ready`,
/// `rtag` and `wtag` (the batched core overlaps products of different sequences).
pub(crate) fn matvec_instance(c: &Compiled, n: &Names, p: &str, s_data: &str, kdata: &str, rdata: &str, tags: &str) -> String {
    let mw = c.cfg.mv_write();
    format!(
        "{} matvec(.clock(clock), .reset(reset), .start(mv_start), {tags}, .busy(), .done(mv_done), .w_base(tentry[15:0]), .rq_base(tentry[31:16]), .rows(tentry[47:32]), .chunks(tentry[63:48]), .src({p}op_a), .dst({p}op_b), .relu({p}op_flags[0]), .acc({p}op_flags[1]), .wide({wide}), .w_en(mv_wen), .w_addr(mv_waddr_w), .w_data(w_data), .rq_en(mv_rqen), .rq_addr(mv_rqaddr), .rq_data(rq_data), .s_en(mv_sen), .s_addr(mv_saddr), .s_data({s_data}), .a_we(mv_we), .k_we(mv_kwe), .k_wm(mv_kwm), .a_waddr(mv_waddr), .a_wdata(mv_wdata_w), .a_ren(mv_ren), .a_raddr(mv_raddr), .a_rdata({mrd}));\nassign mv_wdata = mv_wdata_w[15:0];\n",
        n.matvec,
        wide = if mw > 1 { format!("{p}op_flags[2]") } else { "1'b0".to_string() },
        mrd = if mw > 1 { format!("{{{kdata}[{}:16], {rdata}}}", 16 * mw - 1) } else { rdata.to_string() }
    )
}

/// The structural core top.
pub fn top_verilog(c: &Compiled, n: &Names) -> crate::Result<String> {
    top_verilog_tile(c, n, None)
}

/// The structural core top; with `tile`, a tile of the mesh: the core plus its network
/// interface and the local port of its mesh node ([`tile_ports`]).
pub fn top_verilog_tile(c: &Compiled, n: &Names, tile: Option<TilePlace>) -> crate::Result<String> {
    let (cfg, m, ac) = (&c.cfg, c.cfg.model, attention_config(c)?);
    let (r, cc) = (cfg.rows, cfg.cols);
    let Dims { aw, gb, mw, pab, tab, cab, kch, nk } = Dims::new(c, &ac);
    let mut s = String::new();
    let _ = writeln!(s, "// The processing unit core: {m:?} on a {r}x{cc} matrix unit, generated by llmpu.");
    s += "/* verilator lint_off UNUSED */\n/* verilator lint_off WIDTH */\n";
    let mut ps = ports();
    if tile.is_some() {
        ps.extend(tile_ports());
    }
    s += &module_header(&n.top, &ps);
    s += r#"
// controller
wire [7:0] pc, chr_tok, chr, tok, pos, op_aux, smp_token;
wire [63:0] instr;
wire [3:0] op_flags;
wire [15:0] op_a, op_b, op_c, op_d;
wire embed_start, norm_start, mv_start, attn_start, smp_start;
wire embed_done, norm_done, mv_done, attn_done, smp_done;
wire seed_load, attn_clear;
// Norm and the sampler snoop the scratchpad's writes since the last start of a unit.
wire unit_start = embed_start | norm_start | mv_start | attn_start | smp_start;
"#;
    let _ = writeln!(
        s,
        "{ctl} ctl(.clock(clock), .reset(reset), .cmd_start(cmd_start), .cmd_count(cmd_count), .cmd_names(cmd_names), .cmd_quiet(cmd_quiet), .cmd_prompt_len(cmd_prompt_len), .prompt_tok(prompt_tok), .prompt_idx(prompt_idx), .out_ready(out_ready), .out_valid(out_valid), .out_byte(out_byte), .gen_done(gen_done), .core_busy(core_busy), .st_tokens(st_tokens), .st_names(st_names), .st_cycles(st_cycles), .st_stall(st_stall), .bos(8'd{bos}), .block(8'd{block}), .pc(pc), .instr(instr), .chr_tok(chr_tok), .chr(chr), .op_flags(op_flags), .op_aux(op_aux), .op_a(op_a), .op_b(op_b), .op_c(op_c), .op_d(op_d), .tok(tok), .pos(pos), .embed_start(embed_start), .norm_start(norm_start), .mv_start(mv_start), .attn_start(attn_start), .smp_start(smp_start), .embed_done(embed_done), .norm_done(norm_done), .mv_done(mv_done), .attn_done(attn_done), .smp_done(smp_done), .smp_token(smp_token), .seed_load(seed_load), .attn_clear(attn_clear), .dbg_op(dbg_op), {noc});",
        ctl = n.ctl,
        bos = m.bos(),
        block = m.block_size,
        noc = if tile.is_some() {
            ".follower(follower), .send_start(send_start), .recv_start(recv_start), .ni_done(ni_done), .rx_hdr(rx_hdr), .rx_pos(rx_pos), .rx_tok_valid(rx_tok_valid), .rx_tok(rx_tok), .hold(1'b0)"
        } else {
            ".follower(1'b0), .send_start(), .recv_start(), .ni_done(1'b0), .rx_hdr(1'b0), .rx_pos(8'd0), .rx_tok_valid(1'b0), .rx_tok(8'd0), .hold(1'b0)"
        }
    );
    let _ = writeln!(s, "{} prog(.clock(clock), .en(1'b1), .addr(pc[{}:0]), .data(instr));", n.prog, pab - 1);
    let _ = writeln!(s, "{} chars(.addr(chr_tok[{}:0]), .data(chr));", n.chars, cab - 1);
    let _ = writeln!(s, "wire [63:0] tentry;\n{} ttab(.addr(op_aux[{}:0]), .data(tentry));", n.ttab, tab - 1);
    // Memories and their AND-OR muxes.
    let _ = writeln!(
        s,
        r#"
// scratchpad ports
{spad_mux}wire [15:0] sp_rdata;
wire mv_sen, ad_bren;
wire [15:0] mv_saddr, ad_braddr;
wire sp_sen = mv_sen | ad_bren;
wire [15:0] sp_saddr = (mv_sen ? mv_saddr : 16'd0) | (ad_bren ? (ad_braddr >> {lgc}) : 16'd0);
wire [{cw}:0] sp_sdata;
wire [{cw}:0] sp_aword;
// chunks of {k} element(s) (the attention adapter's, Embed's and Norm's): read on port a from the
// element port's word at the address's lane a cycle later, on port b (adapter) from the word
// port; written through the chunk port
wire ad_we;
wire [15:0] ad_waddr;
wire [{aw1}:0] ad_wdata;
{nmk}wire mv_kwe;
wire [{mw1}:0] mv_kwm;
wire [{mww}:0] mv_wdata_w;
wire k_we = {kwe};
// the lane mask: the matrix unit's last wide write holds the rows left; the others write all lanes
wire [{kc1}:0] k_wm = mv_kwe ? {{{kr}{{mv_kwm}}}} : {{{k}{{1'b1}}}};
wire [15:0] k_waddr = {kwa};
wire [{cw}:0] k_wdata = {kwd};
{spad} spad(.clock(clock), .a_ren(sp_ren), .a_raddr(sp_raddr), .a_rdata(sp_rdata), .a_word(sp_aword), .s_en(sp_sen), .s_addr(sp_saddr), .s_data(sp_sdata), .a_we(sp_we), .a_waddr(sp_waddr), .a_wdata(sp_wdata), .k_we(k_we), .k_wm(k_wm), .k_waddr(k_waddr), .k_wdata(k_wdata));
{lanes}wire [{cw}:0] sp_ash = {ash};
wire [{cw}:0] ad_bsh = {bsh};
wire [{kw1}:0] sp_kdata = sp_ash[{kw1}:0];
wire [{aw1}:0] ad_adata = sp_kdata;
wire [{aw1}:0] ad_bdata = ad_bsh[{kw1}:0];
{store}"#,
        cw = cc * 16 - 1,
        lgc = cc.trailing_zeros(),
        k = kch,
        kw1 = 16 * kch - 1,
        aw1 = aw - 1,
        // A chunk narrower than the word is cut at its address's lane, registered with the read.
        lanes = if kch == cc {
            String::new()
        } else {
            format!("reg [7:0] sp_alane_q, ad_blane_q;\nalways @(posedge clock) if (sp_ren) sp_alane_q <= sp_raddr[7:0] & 8'd{};\nalways @(posedge clock) if (ad_bren) ad_blane_q <= ad_braddr[7:0] & 8'd{};\n", cc - 1, cc - 1)
        },
        ash = if kch == cc { "sp_aword" } else { "sp_aword >> (sp_alane_q * 16)" },
        nmk = if nk > 1 { format!("wire nm_we, em_we;\nwire [15:0] nm_waddr, em_waddr;\nwire [{}:0] nm_wdata, em_wdata;\n", 16 * nk - 1) } else { String::new() },
        kwe = if nk > 1 { "ad_we | nm_we | em_we | mv_kwe" } else { "ad_we" },
        kwa = if nk > 1 { "(ad_we ? ad_waddr : 16'd0) | (nm_we ? nm_waddr : 16'd0) | (em_we ? em_waddr : 16'd0) | (mv_kwe ? mv_waddr : 16'd0)" } else { "ad_waddr" },
        kwd = if nk > 1 { "(ad_we ? ad_wdata[KW1:0] : 0) | (nm_we ? nm_wdata : 0) | (em_we ? em_wdata : 0) | (mv_kwe ? mv_wdata_w : 0)".replace("KW1", &(16 * kch - 1).to_string()) } else { format!("ad_wdata[{}:0]", 16 * kch - 1) },
        mww = 16 * mw - 1,
        mw1 = mw - 1,
        kc1 = kch - 1,
        kr = kch / mw,
        bsh = if kch == cc { "sp_sdata" } else { "sp_sdata >> (ad_blane_q * 16)" },
        spad_mux = spad_mux(tile.is_some(), nk == 1),
        spad = n.spad,
        store = store_section(c, n),
    );
    // Units.
    s += &embed_instance(c, n, "");
    let snoop = format!(
        ".sn_clear(unit_start), .sn_we(sp_we), .sn_data(sp_wdata), .sk_we({}), .sk_wm({}), .sk_data({})",
        if nk > 1 { "k_we" } else { "1'b0" },
        if nk > 1 { if nk == 16 { "k_wm[15:0]".to_string() } else { format!("{{{}'d0, k_wm[{}:0]}}", 16 - nk, nk - 1) } } else { "16'd0".to_string() },
        if nk > 1 { format!("k_wdata[{}:0]", 16 * nk - 1) } else { "16'd0".to_string() }
    );
    s += &norm_instance(c, n, "", "op_flags[1]", &snoop, if nk > 1 { "sp_kdata" } else { "sp_rdata" });
    s += &matvec_instance(c, n, "", "sp_sdata", "sp_kdata", "sp_rdata", ".tag(2'd0), .ready(), .rtag(), .wtag()");
    let sl = cfg.sampler_lanes();
    assert!(sl == 1 || sl == kch, "the Sampler's lanes ({sl}) are the chunk port's ({kch}) when more than 1");
    let _ = writeln!(
        s,
        "{} sampler(.clock(clock), .reset(reset), .start(smp_start), .busy(), .done(smp_done), .src(op_a), .len(op_b), .logit_frac(8'd{lf}), .temp_k(cmd_temp_k), .seed_load(seed_load), .seed(cmd_seed), .pre(op_flags[1]), .sn_clear(unit_start), .sn_we(sp_we), .sn_addr(sp_waddr), .sn_data(sp_wdata), .sk_we({skwe}), .sk_wm({skwm}), .sk_addr({ska}), .sk_data({skd}), .token(smp_token), .a_ren(sm_ren), .a_raddr(sm_raddr), .a_rdata({srd}));",
        n.sampler,
        lf = c.consts.logit_frac,
        srd = if sl > 1 { format!("{{sp_kdata[{}:16], sp_rdata}}", 16 * sl - 1) } else { "sp_rdata".to_string() },
        // The chunk snoop (K > 1 lanes, the chunk port's width then): every chunk write with its
        // lane mask (the matrix unit's wide lm_head writes the logits through it).
        skwe = if sl > 1 { "k_we" } else { "1'b0" },
        skwm = if sl > 1 { if sl == 16 { "k_wm".to_string() } else { format!("{{{}'d0, k_wm}}", 16 - sl) } } else { "16'd0".to_string() },
        ska = if sl > 1 { "k_waddr" } else { "16'd0" },
        skd = if sl > 1 { format!("k_wdata[{}:0]", 16 * sl - 1) } else { "16'd0".to_string() }
    );
    // Attention: adapter and the unit (kv_layer = q_layer = the instruction's layer).
    let _ = writeln!(
        s,
        r#"
wire ad_kv_valid, ad_kv_last, ad_q_valid;
wire [7:0] ad_kv_group, ad_q_group;
wire [{aw1}:0] ad_kv_k, ad_kv_v, ad_q_in;
reg ad_kv_ready, ad_q_ready, ad_att_valid;
reg [{aw1}:0] ad_att_out;
{adn} adapter(.clock(clock), .reset(reset), .start(attn_start), .busy(), .done(attn_done), .q_base(op_a), .k_base(op_b), .v_base(op_c), .dst(op_d), .ld(16'd{ld}), .groups(8'd{g}), .kstep(16'd{kch}), .ksh(16'd{ksh}), .ktop(16'd{ktop}), .a_ren(ad_ren), .a_raddr(ad_raddr), .a_rdata(ad_adata), .b_ren(ad_bren), .b_raddr(ad_braddr), .b_rdata(ad_bdata), .a_we(ad_we), .a_waddr(ad_waddr), .a_wdata(ad_wdata), .kv_valid(ad_kv_valid), .kv_ready(ad_kv_ready), .kv_last(ad_kv_last), .kv_group(ad_kv_group), .kv_k(ad_kv_k), .kv_v(ad_kv_v), .q_valid(ad_q_valid), .q_ready(ad_q_ready), .q_group(ad_q_group), .q_in(ad_q_in), .att_valid(ad_att_valid), .att_out(ad_att_out));"#,
        aw1 = aw - 1,
        adn = n.adapter,
        ld = ac.lanes * ac.head_dim,
        g = ac.heads / ac.lanes,
        ksh = 16 * kch,
        ktop = aw - 16 * kch
    );
    let yb = ac.layer_bits() as usize;
    let _ = writeln!(
        s,
        "wire [{gb1}:0] at_out_group;\nwire [{aw1}:0] at_out;\nwire at_kv_ready, at_q_ready, at_out_valid;\n{an} att(.clock(clock), .reset(reset), .clear(attn_clear), .kv_valid(ad_kv_valid), .kv_ready(at_kv_ready), .kv_last(ad_kv_last), .kv_group(ad_kv_group[{gb1}:0]), .kv_layer(op_aux[{yb1}:0]), .kv_k(ad_kv_k), .kv_v(ad_kv_v), .q_valid(ad_q_valid), .q_ready(at_q_ready), .q_group(ad_q_group[{gb1}:0]), .q_layer(op_aux[{yb1}:0]), .q_in(ad_q_in), .out_valid(at_out_valid), .out_group(at_out_group), .out(at_out), .cache_len());",
        gb1 = gb - 1,
        aw1 = aw - 1,
        yb1 = yb - 1,
        an = n.attention
    );
    s += "always @(*) begin\n    ad_kv_ready = at_kv_ready; ad_q_ready = at_q_ready; ad_att_valid = at_out_valid; ad_att_out = at_out;\nend\n";
    if let Some(t) = tile {
        let _ = writeln!(
            s,
            "\n// network interface\nwire send_start, recv_start, ni_done, rx_hdr, rx_tok_valid;\nwire [7:0] rx_pos, rx_tok;\nwire follower = 1'b{f};\n{ni} ni(.clock(clock), .reset(reset), .send_start(send_start), .recv_start(recv_start), .kind(op_flags[0]), .dst_xy(op_aux), .my_xy(8'd{xy}), .addr(op_a), .len(op_b), .tok(tok), .pos(pos), .done(ni_done), .rx_hdr(rx_hdr), .rx_pos(rx_pos), .rx_tok_valid(rx_tok_valid), .rx_tok(rx_tok), .a_ren(ni_ren), .a_raddr(ni_raddr), .a_rdata(sp_rdata), .a_we(ni_we), .a_waddr(ni_waddr), .a_wdata(ni_wdata), .inj_valid(inj_valid), .inj_data(inj_data), .inj_last(inj_last), .inj_ready(inj_ready), .ej_valid(ej_valid), .ej_data(ej_data), .ej_last(ej_last), .ej_ready(ej_ready));",
            f = t.follower as u8,
            ni = n.netif,
            xy = t.x | t.y << 4
        );
    }
    s += "endmodule\n/* verilator lint_on WIDTH */\n/* verilator lint_on UNUSED */\n";
    Ok(s)
}

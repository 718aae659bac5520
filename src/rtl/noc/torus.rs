//! The torus router: Hoplite's topology and switch shape (a unidirectional W x H torus, three
//! inputs, two outputs), with buffers and valid/ready links instead of deflection, so delivery is
//! lossless and in order.
//!
//! ```text
//!                 n_in (from the router to the north, travelling south)
//!                   |
//!   w_in  --> [W FIFO]--+--------------------> E mux (2:1) --> e_out (to the east)
//!   (from the west)     |              +------>
//!   l_in  --> [L FIFO]--+--------------+
//!   (injection)         +--------------------> S mux (3:1) --> s_out (to the south)
//!                 [N FIFO]-------------------->              `-> j_out (ejection, same data)
//! ```
//!
//! Contract of the router (B data bits per flit, D flits of buffer per input, D >= 2):
//! 1. Packets are single flits (the head of docs/noc.md with `len` = 0). Routing is
//!    dimension-ordered: east along the row's ring until `dst_x = my_x`, then south along the
//!    column's ring until `dst_y = my_y`, then out of the ejection port. A flit on the north input
//!    never goes east.
//! 2. Links are valid/ready plus `room2` (the receiving FIFO has two free slots). A flit that
//!    enters a ring (injected, or turning from the row's ring into the column's) needs `room2` of
//!    the buffer it enters; a flit that stays on its ring needs only `ready` (bubble flow control:
//!    every ring keeps at least one free slot, so the rings cannot deadlock).
//! 3. `e_out_valid` / `s_out_valid` are raised only when the receiver can take the flit, so every
//!    offered flit moves on that edge. The ejection port is valid/ready: `j_out_valid` never
//!    depends on `j_out_ready`, and an offered flit is held until taken.
//! 4. The east output arbitrates between the local and west inputs, the south/ejection output
//!    among all three, round-robin among the inputs whose flit may move (the one granted last has
//!    the lowest priority next). A flit that enters a ring waits for a two-slot bubble; while
//!    traffic that stays on the ring keeps the receiver from ever having two free slots, the
//!    entering flit waits (as Hoplite's injection waits for a free ring slot).
//! 5. A flit spends one cycle per router at zero load: written into a FIFO on one edge, it can
//!    leave on the next.
//! 6. A flit injected with a destination outside the torus (`dst_x > max_x` or `dst_y > max_y`)
//!    is dropped at the local input instead of circling its ring for ever.
//! 7. The ejection port shares the south multiplexer: a cycle ejects a flit or forwards one south,
//!    not both.

use rust_hdl::prelude::*;
use std::fmt::Write;

/// One torus input: a D-flit FIFO (front always in slot 0) and the route of its front flit.
///
/// 1. `in_ready` = not full, `in_room2` = at least two slots free (registers only).
/// 2. `f_data` shows the oldest flit (valid when a route bit is set); it leaves on an edge where
///    `pop` is high.
/// 3. `go_e`, `go_s`, `go_j` are the one-hot route of the front flit (all low when empty):
///    east if `east_ok` and `dst_x != my_x`, else south if `dst_y != my_y`, else ejection.
/// 4. With `check` high, a front flit whose destination is outside the torus (`dst_x > max_x`
///    or `dst_y > max_y`) requests nothing and is popped (dropped) by the input itself.
#[derive(LogicBlock)]
pub struct TorusInput<const B: usize, const D: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub in_valid: Signal<In, Bit>,
    pub in_data: Signal<In, Bits<B>>,
    pub in_ready: Signal<Out, Bit>,
    pub in_room2: Signal<Out, Bit>,
    pub my_x: Signal<In, Bits<3>>,
    pub my_y: Signal<In, Bits<3>>,
    pub max_x: Signal<In, Bits<3>>,
    pub max_y: Signal<In, Bits<3>>,
    pub east_ok: Signal<In, Bit>,
    pub check: Signal<In, Bit>,
    pub pop: Signal<In, Bit>,
    pub f_data: Signal<Out, Bits<B>>,
    pub go_e: Signal<Out, Bit>,
    pub go_s: Signal<Out, Bit>,
    pub go_j: Signal<Out, Bit>,
    slot: Vec<DFF<Bits<B>>>,
    vld: DFF<Bits<D>>,
    two: Constant<Bits<D>>,
    take: Signal<Local, Bit>,
    push: Signal<Local, Bit>,
    bad: Signal<Local, Bit>,
    live: Signal<Local, Bit>,
    kept: Signal<Local, Bits<D>>,
    wsel: Signal<Local, Bits<D>>,
    front: Signal<Local, Bits<B>>,
    dx: Signal<Local, Bits<3>>,
    dy: Signal<Local, Bits<3>>,
    xne: Signal<Local, Bit>,
    yne: Signal<Local, Bit>,
}

impl<const B: usize, const D: usize> Default for TorusInput<B, D> {
    fn default() -> Self {
        assert!(B >= 16 && (2..=8).contains(&D), "TorusInput<{B},{D}> is not a supported size");
        Self {
            clock: Default::default(),
            reset: Default::default(),
            in_valid: Default::default(),
            in_data: Default::default(),
            in_ready: Default::default(),
            in_room2: Default::default(),
            my_x: Default::default(),
            my_y: Default::default(),
            max_x: Default::default(),
            max_y: Default::default(),
            east_ok: Default::default(),
            check: Default::default(),
            pop: Default::default(),
            f_data: Default::default(),
            go_e: Default::default(),
            go_s: Default::default(),
            go_j: Default::default(),
            slot: (0..D).map(|_| Default::default()).collect(),
            vld: Default::default(),
            // Slot D-2 in use: fewer than two slots free (the occupancy is a thermometer code).
            two: Constant::new((1u64 << (D - 2)).to_bits()),
            take: Default::default(),
            push: Default::default(),
            bad: Default::default(),
            live: Default::default(),
            kept: Default::default(),
            wsel: Default::default(),
            front: Default::default(),
            dx: Default::default(),
            dy: Default::default(),
            xne: Default::default(),
            yne: Default::default(),
        }
    }
}

impl<const B: usize, const D: usize> Logic for TorusInput<B, D> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, vld);
        for k in 0..D {
            self.slot[k].clock.next = self.clock.val();
            self.slot[k].d.next = self.slot[k].q.val();
        }
        self.front.next = self.slot[0].q.val();
        self.f_data.next = self.front.val();
        self.in_ready.next = !self.vld.q.val().all();
        self.in_room2.next = !(self.vld.q.val() & self.two.val()).any();
        // Route of the front flit.
        self.dx.next = self.front.val().get_bits::<3>(0);
        self.dy.next = self.front.val().get_bits::<3>(3);
        self.xne.next = self.dx.val() != self.my_x.val();
        self.yne.next = self.dy.val() != self.my_y.val();
        self.bad.next = self.check.val() & ((self.dx.val() > self.max_x.val()) | (self.dy.val() > self.max_y.val()));
        self.live.next = self.vld.q.val().get_bit(0) & !self.bad.val();
        self.go_e.next = self.live.val() & self.xne.val() & self.east_ok.val();
        self.go_s.next = self.live.val() & !(self.xne.val() & self.east_ok.val()) & self.yne.val();
        self.go_j.next = self.live.val() & !(self.xne.val() & self.east_ok.val()) & !self.yne.val();
        // Shift towards the front on a pop; a push writes the first free slot after the shift.
        self.take.next = (self.pop.val() | self.bad.val()) & self.vld.q.val().get_bit(0);
        self.push.next = self.in_valid.val() & !self.vld.q.val().all();
        self.kept.next = self.vld.q.val();
        if self.take.val() {
            self.kept.next = self.vld.q.val() >> 1;
            for k in 0..(D - 1) {
                self.slot[k].d.next = self.slot[k + 1].q.val();
            }
        }
        self.wsel.next = 0.into();
        if self.push.val() {
            self.wsel.next = !self.kept.val() & ((self.kept.val() << 1) | 1u64);
        }
        for k in 0..D {
            if self.wsel.val().get_bit(k) {
                self.slot[k].d.next = self.in_data.val();
            }
        }
        self.vld.d.next = self.kept.val() | self.wsel.val();
        if self.reset.val() {
            self.vld.d.next = 0.into();
        }
    }
}

/// The torus router's switch: the east output (2:1) and the shared south/ejection output (3:1),
/// their round-robin arbiters and the pops. Inputs are numbered 0 = local, 1 = west, 2 = north.
///
/// 1. East: the local flit may go if `e_room2` (it enters the row's ring), the west flit if
///    `e_ready` (it stays on it). When both may, the one not granted last wins (`pe`).
///    `e_valid` means the flit moves on this edge.
/// 2. South/ejection: a flit that wants ejection may always be granted; one that wants south may
///    if `s_room2` (local and west: it enters the column's ring) or `s_ready` (north: it stays).
///    Round-robin over the one-hot last grant (`owner`): the first candidate above it, wrapping.
///    A granted ejection that is not taken (`j_ready` low) keeps the grant (`jhold`), so the
///    offered flit does not change while it waits.
/// 3. `pops` has the bit of every input whose flit moves on this edge.
#[derive(LogicBlock)]
pub struct TorusSwitch<const B: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub want_e: Signal<In, Bits<2>>,
    pub want_s: Signal<In, Bits<3>>,
    pub want_j: Signal<In, Bits<3>>,
    pub d0: Signal<In, Bits<B>>,
    pub d1: Signal<In, Bits<B>>,
    pub d2: Signal<In, Bits<B>>,
    pub e_ready: Signal<In, Bit>,
    pub e_room2: Signal<In, Bit>,
    pub s_ready: Signal<In, Bit>,
    pub s_room2: Signal<In, Bit>,
    pub j_ready: Signal<In, Bit>,
    pub e_valid: Signal<Out, Bit>,
    pub e_data: Signal<Out, Bits<B>>,
    pub s_valid: Signal<Out, Bit>,
    pub j_valid: Signal<Out, Bit>,
    pub s_data: Signal<Out, Bits<B>>,
    pub pops: Signal<Out, Bits<3>>,
    pe: DFF<Bit>,
    owner: DFF<Bits<3>>,
    jhold: DFF<Bit>,
    ce0: Signal<Local, Bit>,
    ce1: Signal<Local, Bit>,
    ge0: Signal<Local, Bit>,
    ge1: Signal<Local, Bit>,
    ok_s: Signal<Local, Bits<3>>,
    ok_n: Signal<Local, Bits<3>>,
    cand: Signal<Local, Bits<3>>,
    above: Signal<Local, Bits<3>>,
    masked: Signal<Local, Bits<3>>,
    pick: Signal<Local, Bits<3>>,
    grant: Signal<Local, Bits<3>>,
    moves: Signal<Local, Bits<3>>,
    x0: Signal<Local, Bits<B>>,
    x1: Signal<Local, Bits<B>>,
    x2: Signal<Local, Bits<B>>,
}

impl<const B: usize> Default for TorusSwitch<B> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            want_e: Default::default(),
            want_s: Default::default(),
            want_j: Default::default(),
            d0: Default::default(),
            d1: Default::default(),
            d2: Default::default(),
            e_ready: Default::default(),
            e_room2: Default::default(),
            s_ready: Default::default(),
            s_room2: Default::default(),
            j_ready: Default::default(),
            e_valid: Default::default(),
            e_data: Default::default(),
            s_valid: Default::default(),
            j_valid: Default::default(),
            s_data: Default::default(),
            pops: Default::default(),
            pe: Default::default(),
            owner: Default::default(),
            jhold: Default::default(),
            ce0: Default::default(),
            ce1: Default::default(),
            ge0: Default::default(),
            ge1: Default::default(),
            ok_s: Default::default(),
            ok_n: Default::default(),
            cand: Default::default(),
            above: Default::default(),
            masked: Default::default(),
            pick: Default::default(),
            grant: Default::default(),
            moves: Default::default(),
            x0: Default::default(),
            x1: Default::default(),
            x2: Default::default(),
        }
    }
}

impl<const B: usize> Logic for TorusSwitch<B> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, pe, owner, jhold);
        // East: local (enters the ring) against west (stays on it).
        self.ce0.next = self.want_e.val().get_bit(0) & self.e_room2.val();
        self.ce1.next = self.want_e.val().get_bit(1) & self.e_ready.val();
        self.ge0.next = self.ce0.val() & (self.pe.q.val() | !self.ce1.val());
        self.ge1.next = self.ce1.val() & !self.ge0.val();
        self.e_valid.next = self.ge0.val() | self.ge1.val();
        self.e_data.next = self.d1.val();
        if self.ge0.val() {
            self.e_data.next = self.d0.val();
        }
        if self.e_valid.val() {
            self.pe.d.next = self.ge1.val();
        }
        // South and ejection: candidates, round robin above the last grant.
        // Entering flits (local, west) need two free slots, the north flit one.
        self.ok_s.next = 0.into();
        if self.s_room2.val() {
            self.ok_s.next = 3.into();
        }
        self.ok_n.next = 0.into();
        if self.s_ready.val() {
            self.ok_n.next = 4.into();
        }
        self.cand.next = (self.want_s.val() & (self.ok_s.val() | self.ok_n.val())) | self.want_j.val();
        self.above.next = (self.owner.q.val() << 1) | (self.owner.q.val() << 2);
        self.masked.next = self.cand.val() & self.above.val();
        self.pick.next = self.cand.val();
        if self.masked.val().any() {
            self.pick.next = self.masked.val();
        }
        self.grant.next = self.pick.val() & !((self.pick.val() << 1) | (self.pick.val() << 2));
        if self.jhold.q.val() {
            self.grant.next = self.owner.q.val();
        }
        if self.grant.val().any() {
            self.owner.d.next = self.grant.val();
        }
        self.s_valid.next = (self.grant.val() & self.want_s.val()).any();
        self.j_valid.next = (self.grant.val() & self.want_j.val()).any();
        self.jhold.d.next = self.j_valid.val() & !self.j_ready.val();
        self.moves.next = self.grant.val() & self.want_s.val();
        if self.j_ready.val() {
            self.moves.next = self.grant.val() & (self.want_s.val() | self.want_j.val());
        }
        self.pops.next = self.moves.val();
        if self.ge0.val() {
            self.pops.next = self.moves.val() | 1u64;
        }
        if self.ge1.val() {
            self.pops.next = self.moves.val() | 2u64;
        }
        self.x0.next = 0.into();
        if self.grant.val().get_bit(0) {
            self.x0.next = self.d0.val();
        }
        self.x1.next = 0.into();
        if self.grant.val().get_bit(1) {
            self.x1.next = self.d1.val();
        }
        self.x2.next = 0.into();
        if self.grant.val().get_bit(2) {
            self.x2.next = self.d2.val();
        }
        self.s_data.next = self.x0.val() | self.x1.val() | self.x2.val();
        if self.reset.val() {
            self.pe.d.next = false;
            self.owner.d.next = 0.into();
            self.jhold.d.next = false;
        }
    }
}

/// Module names of the torus router's leaves.
pub struct TorusNames {
    pub input: String,
    pub switch: String,
    pub router: String,
}

/// The router's ports in declaration order: (name, direction is input, width in bits or 0 for
/// the flit width).
pub const ROUTER_PORTS: [(&str, bool, u32); 28] = [
    ("clock", true, 1),
    ("reset", true, 1),
    ("my_x", true, 3),
    ("my_y", true, 3),
    ("max_x", true, 3),
    ("max_y", true, 3),
    ("l_in_valid", true, 1),
    ("l_in_data", true, 0),
    ("l_in_ready", false, 1),
    ("w_in_valid", true, 1),
    ("w_in_data", true, 0),
    ("w_in_ready", false, 1),
    ("w_in_room2", false, 1),
    ("n_in_valid", true, 1),
    ("n_in_data", true, 0),
    ("n_in_ready", false, 1),
    ("n_in_room2", false, 1),
    ("e_out_valid", false, 1),
    ("e_out_data", false, 0),
    ("e_out_ready", true, 1),
    ("e_out_room2", true, 1),
    ("s_out_valid", false, 1),
    ("s_out_data", false, 0),
    ("s_out_ready", true, 1),
    ("s_out_room2", true, 1),
    ("j_out_valid", false, 1),
    ("j_out_data", false, 0),
    ("j_out_ready", true, 1),
];

/// The structural torus router: three inputs and the switch.
pub fn router_verilog(b: u32, names: &TorusNames) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "// Torus router, {b}-bit single-flit packets, bubble flow control (structural; leaf logic from rust-hdl).");
    let list: Vec<&str> = ROUTER_PORTS.iter().map(|p| p.0).collect();
    let _ = writeln!(s, "module {}({});", names.router, list.join(", "));
    for (name, input, w) in ROUTER_PORTS {
        let w = if w == 0 { b } else { w };
        let dir = if input { "input" } else { "output" };
        if w == 1 {
            let _ = writeln!(s, "    {dir} wire {name};");
        } else {
            let _ = writeln!(s, "    {dir} wire [{}:0] {name};", w - 1);
        }
    }
    s.push_str("    // The local input's room2 is not needed (injection waits for ready only).\n    /* verilator lint_off UNUSED */\n");
    s.push_str("    wire l_room2;\n    /* verilator lint_on UNUSED */\n");
    for p in ["l", "w", "n"] {
        let _ = writeln!(s, "    wire {p}_e, {p}_s, {p}_j;\n    wire [{}:0] {p}_fd;", b - 1);
    }
    // pops depends on the inputs' routes, which do not depend on pops; Verilator sees a loop only
    // because each leaf is one always block (UNOPTFLAT is about its scheduling, not a real loop).
    s.push_str("    /* verilator lint_off UNOPTFLAT */\n    wire [2:0] pops;\n    /* verilator lint_on UNOPTFLAT */\n");
    for (i, p) in ["l", "w", "n"].iter().enumerate() {
        let (east_ok, check) = match *p {
            "l" => (1, 1),
            "w" => (1, 0),
            _ => (0, 0),
        };
        let room2 = if *p == "l" { "l_room2".to_string() } else { format!("{p}_in_room2") };
        let _ = writeln!(
            s,
            "    {} i_{p}(.clock(clock), .reset(reset), .in_valid({p}_in_valid), .in_data({p}_in_data), .in_ready({p}_in_ready), .in_room2({room2}), .my_x(my_x), .my_y(my_y), .max_x(max_x), .max_y(max_y), .east_ok(1'b{east_ok}), .check(1'b{check}), .pop(pops[{i}]), .f_data({p}_fd), .go_e({p}_e), .go_s({p}_s), .go_j({p}_j));",
            names.input
        );
    }
    s.push_str("    // The north input never goes east (its go_e is constant 0).\n    /* verilator lint_off UNUSED */\n    wire unused_n_e = n_e;\n    /* verilator lint_on UNUSED */\n");
    let _ = writeln!(
        s,
        "    {} sw(.clock(clock), .reset(reset), .want_e({{w_e, l_e}}), .want_s({{n_s, w_s, l_s}}), .want_j({{n_j, w_j, l_j}}), .d0(l_fd), .d1(w_fd), .d2(n_fd), .e_ready(e_out_ready), .e_room2(e_out_room2), .s_ready(s_out_ready), .s_room2(s_out_room2), .j_ready(j_out_ready), .e_valid(e_out_valid), .e_data(e_out_data), .s_valid(s_out_valid), .j_valid(j_out_valid), .s_data(s_out_data), .pops(pops));",
        names.switch
    );
    let _ = writeln!(s, "    assign j_out_data = s_out_data;");
    let _ = writeln!(s, "endmodule // {}", names.router);
    s
}

/// The W x H torus top: one router per node, each east output to the next router of its row
/// (the last to the first), each south output to the next router of its column, and the same
/// packed injection/ejection buses as the mesh (`inj_last` is not read; `ej_last` is always 1).
pub fn torus_verilog(cfg: &super::NocConfig, router: &str) -> String {
    let (w, h, b) = (cfg.width, cfg.height, cfg.flit_bits);
    let name = cfg.top_name();
    let ports = super::mesh::ports(cfg);
    let mut s = String::new();
    let _ = writeln!(s, "// {w} x {h} unidirectional torus of {router}, {b}-bit single-flit packets (inj_last is not read), generated by llmpu. Contract: docs/noc.md.");
    s.push_str(&super::mesh::module_head(&name, &ports, &["inj_last"]));
    s.push_str("    // Links: e_<signal>_<n> is router n's east output, s_<signal>_<n> its south output.\n");
    for n in 0..cfg.nodes() {
        let _ = writeln!(s, "    wire e_v_{n}, e_r_{n}, e_r2_{n}, s_v_{n}, s_r_{n}, s_r2_{n};\n    wire [{}:0] e_d_{n}, s_d_{n};", b - 1);
    }
    let _ = writeln!(s, "    assign ej_last = {{{}{{1'b1}}}};", cfg.nodes());
    for y in 0..h {
        for x in 0..w {
            let n = cfg.node(x, y);
            let west = cfg.node((x + w - 1) % w, y);
            let north = cfg.node(x, (y + h - 1) % h);
            let (lo, hi) = (n * b, n * b + b - 1);
            let _ = writeln!(
                s,
                "    {router} r_{x}_{y}(.clock(clock), .reset(reset), .my_x(3'd{x}), .my_y(3'd{y}), .max_x(3'd{}), .max_y(3'd{}),\n        .l_in_valid(inj_valid[{n}]), .l_in_data(inj_data[{hi}:{lo}]), .l_in_ready(inj_ready[{n}]),\n        .w_in_valid(e_v_{west}), .w_in_data(e_d_{west}), .w_in_ready(e_r_{west}), .w_in_room2(e_r2_{west}),\n        .n_in_valid(s_v_{north}), .n_in_data(s_d_{north}), .n_in_ready(s_r_{north}), .n_in_room2(s_r2_{north}),\n        .e_out_valid(e_v_{n}), .e_out_data(e_d_{n}), .e_out_ready(e_r_{n}), .e_out_room2(e_r2_{n}),\n        .s_out_valid(s_v_{n}), .s_out_data(s_d_{n}), .s_out_ready(s_r_{n}), .s_out_room2(s_r2_{n}),\n        .j_out_valid(ej_valid[{n}]), .j_out_data(ej_data[{hi}:{lo}]), .j_out_ready(ej_ready[{n}]));",
                w - 1,
                h - 1
            );
        }
    }
    let _ = writeln!(s, "endmodule // {name}");
    s
}

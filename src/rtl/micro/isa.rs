//! The micro-instructions of the compact engine ([`super`]): what one cycle of the engine does,
//! as data. A micro-op has three independent fields, all taking effect in the same cycle:
//!
//! * an **action** ([`Act`]) on the registers, or a write to a memory;
//! * at most one **read** ([`Rd`]) of a memory, whose data register holds the word from the next
//!   cycle on (until the next read of that memory);
//! * a **control** ([`Ctl`]): next, jump, counted loop, conditional branch or done.
//!
//! Every field reads the state as it was at the start of the cycle (registers, data registers,
//! pointers); the action's result, the read's data, the pointer increments and the next program
//! counter all take effect at the end of it. One micro-op has one immediate (`Src::Imm`, an
//! immediate read or write address); [`Uop::check`] refuses two.

/// A 16-bit pointer register `P0..P5` (addresses of the memories).
pub const POINTERS: usize = 6;
/// Loop counters `N0..N2` (`N0` is also the count of [`Act::Dot`]).
pub const COUNTERS: usize = 3;

/// The engine's memories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mem {
    /// The core's scratchpad (16-bit elements): data register `SD`.
    S,
    /// The weight store (one signed byte per word at 1x1): `WD`.
    W,
    /// The requant store (`mult` bits 15..0, `shift` 21..16): `QD`.
    Q,
    /// The engine's local RAM (32-bit words: the key / value cache and temporaries): `LD`.
    L,
}

/// A memory address: a pointer register (optionally incremented after use) or the immediate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addr {
    P(u8, bool),
    Imm(u16),
}

/// A read: `mem[addr]` into the memory's data register (visible from the next cycle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rd {
    pub mem: Mem,
    pub addr: Addr,
}

/// An operand field of the controller's instruction and its tensor-table entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    A,
    B,
    C,
    D,
    Aux,
    Tok,
    Pos,
    TempK,
    WBase,
    RqBase,
    Rows,
    Chunks,
}

/// A source operand (sign-extended to the 48-bit datapath unless said otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Src {
    Imm(i32),
    A,
    B,
    /// The shift register (unsigned 8 bits).
    Sh,
    /// A pointer (unsigned 16 bits).
    P(u8),
    /// The scratchpad data register (signed 16).
    Sd,
    /// The weight data register (signed 8).
    Wd,
    /// The requant data register's `mult` (unsigned 16) and `shift` (unsigned 6).
    QdMult,
    QdShift,
    /// The local data register: the whole word (signed 32), its low / high half (signed 16).
    Ld,
    LdLo,
    LdHi,
    /// An operand of the running instruction (unsigned 16).
    Op(Field),
    /// The xorshift32 state (unsigned 32).
    Rng,
}

/// Where [`Act::Set`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dst {
    A,
    B,
    /// Low 8 bits.
    Sh,
    /// Low 16 bits.
    P(u8),
    /// Low 16 bits.
    N(u8),
    /// The sampled token (low 8 bits).
    Tok,
    /// The xorshift32 state (low 32 bits).
    Rng,
}

/// The products a [`Act::Dot`] sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DotKind {
    /// `W[P0++] * S[P1++]` (weight byte times activation: a matrix row).
    WS,
    /// `S[P1++]^2` (a sum of squares).
    SS,
    /// `S[P1++] * L[P2++].lo` (query times cached key).
    SL,
    /// A matrix row: `W[P0++] * S[P1++]` summed from 0 (the value of `A` is not added), the
    /// row's requant word read in its first cycle (`Q[P3++]`, in QD from the next cycle on);
    /// after it `N0` is the Chunks operand and `P1` the A operand again, ready for the next row.
    Row,
}

/// The action of a micro-op (`A` 48-bit two's complement, wrapping; `B` 32-bit, read
/// sign-extended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Nop,
    Set(Dst, Src),
    /// `A = A + src`, `A = A - src`, `A = src - A`.
    Add(Src),
    Sub(Src),
    RSub(Src),
    /// `P[i] = P[i] + src` (16 bits, wrapping).
    AddP(u8, Src),
    /// `A = A[31:0] (signed) * src[15:0] (unsigned)`: the one multiplier of the datapath (two
    /// 16 x 16 products, [`crate::rtl::arith::MulQ`]). Two cycles.
    Mul(Src),
    /// `A = rshift_round(A, src)` (`src` in 0..=47), then `sat_i16` with `sat`. Two cycles.
    Rsr(Src, bool),
    /// `A = max(A, 0)`.
    Relu,
    /// `A = exp2_neg(min(A, 65535))` (`A >= 0`). Two cycles.
    Exp2,
    /// `(A, Sh) = recip(A)` (`A` in 1..2^32; the mantissa and the shift). Three cycles.
    Recip,
    /// `(A, Sh) = rsqrt(A)` (`A` in 1..2^48). Three cycles.
    Rsqrt,
    /// `A = xorshift32(A[31:0])` (one step: shifts 13, 17, 5).
    Xs,
    /// `A = src[15:0] << 16 | A[15:0]` (a key and its value in one local word).
    PackHi(Src),
    /// `A = A + sum of N0 products` ([`DotKind`]); `N0` cycles of reads, then two for the
    /// product and the add: `N0 + 2` cycles in all. Leaves `N0 = 0` (but [`DotKind::Row`]) and
    /// the data registers holding the last words read. No read field beside it.
    Dot(DotKind),
    /// `S[addr] = A[15:0]`.
    Ws(Addr),
    /// `L[addr] = A[31:0]`.
    Wl(Addr),
}

/// A branch condition, on the state at the start of the cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond {
    /// `A > B` (signed).
    AGtB,
    /// `SD > A` (signed).
    SdGtA,
    /// Bit `k` of the instruction's flags is set / clear.
    Flag(u8),
    NotFlag(u8),
    /// The temperature operand is 0 (greedy sampling).
    Greedy,
    /// Bit 0 or bit 1 of the flags is set.
    AnyFlag,
}

/// A label of the microcode (resolved by the assembler).
pub type Label = &'static str;

/// What follows a micro-op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctl<L = usize> {
    Next,
    Jmp(L),
    /// `N[i] -= 1`, then jump while it is not 0.
    Djnz(u8, L),
    Br(Cond, L),
    /// The instruction is done (its `done` is high in this cycle); the engine idles.
    Done,
}

/// One micro-op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uop<L = usize> {
    pub act: Act,
    pub rd: Option<Rd>,
    pub ctl: Ctl<L>,
}

impl<L> Uop<L> {
    /// The immediates this micro-op uses (at most one is allowed).
    fn imms(&self) -> usize {
        let src_imm = |s: &Src| matches!(s, Src::Imm(_)) as usize;
        let addr_imm = |a: &Addr| matches!(a, Addr::Imm(_)) as usize;
        let act = match &self.act {
            Act::Set(_, s) | Act::Add(s) | Act::Sub(s) | Act::RSub(s) | Act::AddP(_, s) | Act::Mul(s) | Act::Rsr(s, _) | Act::PackHi(s) => src_imm(s),
            Act::Ws(a) | Act::Wl(a) => addr_imm(a),
            _ => 0,
        };
        act + self.rd.as_ref().map_or(0, |r| addr_imm(&r.addr))
    }

    /// Refuses what the hardware cannot do in one cycle: two immediates, a read beside a
    /// [`Act::Dot`], a register number out of range.
    pub fn check(&self) -> Result<(), String> {
        if self.imms() > 1 {
            return Err("two immediates".into());
        }
        if matches!(self.act, Act::Dot(_)) && self.rd.is_some() {
            return Err("a read beside DOT".into());
        }
        let p_ok = |p: u8| (p as usize) < POINTERS;
        let bad_src = |s: &Src| matches!(s, Src::P(p) if !p_ok(*p));
        let ok = match &self.act {
            Act::Set(Dst::P(p), s) => p_ok(*p) && !bad_src(s),
            Act::Set(Dst::N(n), s) => (*n as usize) < COUNTERS && !bad_src(s),
            Act::Set(_, s) | Act::Add(s) | Act::Sub(s) | Act::RSub(s) | Act::Mul(s) | Act::Rsr(s, _) | Act::PackHi(s) => !bad_src(s),
            Act::AddP(p, s) => p_ok(*p) && !bad_src(s),
            Act::Ws(Addr::P(p, _)) | Act::Wl(Addr::P(p, _)) => p_ok(*p),
            _ => true,
        } && self.rd.as_ref().is_none_or(|r| !matches!(r.addr, Addr::P(p, _) if !p_ok(p)))
            && match &self.ctl {
                Ctl::Djnz(n, _) => (*n as usize) < COUNTERS,
                _ => true,
            };
        if !ok {
            return Err("register out of range".into());
        }
        // A pointer incremented by the read and changed by the action in the same cycle.
        if let (Some(Rd { addr: Addr::P(p, true), .. }), Act::AddP(q, _) | Act::Set(Dst::P(q), _)) = (&self.rd, &self.act) {
            if p == q {
                return Err(format!("P{p} changed twice"));
            }
        }
        if let (Some(Rd { addr: Addr::P(p, true), .. }), Act::Ws(Addr::P(q, true)) | Act::Wl(Addr::P(q, true))) = (&self.rd, &self.act) {
            if p == q {
                return Err(format!("P{p} incremented twice"));
            }
        }
        Ok(())
    }
}

/// The micro-op word's fields (bit offset, width), least significant first; the engine
/// ([`super::engine`]) decodes these and [`encode`] writes them.
pub mod field {
    pub const AOP: (usize, usize) = (0, 5);
    /// Set: the destination; AddP: the pointer; Dot: the kind; Rsr: bit 0 = saturate; Ws, Wl:
    /// the address (bits 2..0: pointer 0..5 or 7 = immediate; bit 3: increment the pointer).
    pub const DST: (usize, usize) = (5, 4);
    pub const SRC: (usize, usize) = (9, 5);
    /// 0 none, 1 S, 2 W, 3 Q, 4 L.
    pub const RMEM: (usize, usize) = (14, 3);
    /// Pointer 0..5 or 7 = immediate.
    pub const RSEL: (usize, usize) = (17, 3);
    pub const RINC: (usize, usize) = (20, 1);
    /// 0 next, 1 jump, 2 djnz, 3 branch, 4 done.
    pub const CTL: (usize, usize) = (21, 3);
    /// Djnz: the counter; Br: the condition ([`super::cond_code`]).
    pub const CC: (usize, usize) = (24, 3);
    pub const TARGET: (usize, usize) = (27, 9);
    /// Signed 32 bits (an immediate operand or an immediate address).
    pub const IMM: (usize, usize) = (36, 32);
    /// The word's width.
    pub const WIDTH: usize = 68;
}

/// Action codes (field `AOP`).
pub mod aop {
    pub const NOP: u8 = 0;
    pub const SET: u8 = 1;
    pub const ADD: u8 = 2;
    pub const SUB: u8 = 3;
    pub const RSUB: u8 = 4;
    pub const ADDP: u8 = 5;
    pub const MUL: u8 = 6;
    pub const RSR: u8 = 7;
    pub const RELU: u8 = 8;
    pub const EXP2: u8 = 9;
    pub const RECIP: u8 = 10;
    pub const RSQRT: u8 = 11;
    pub const XS: u8 = 12;
    pub const PACKHI: u8 = 13;
    pub const DOT: u8 = 14;
    pub const WS: u8 = 15;
    pub const WL: u8 = 16;
}

/// Source codes (field `SRC`): 0 immediate, 1 A, 2 B, 3 Sh, 4..=9 P0..P5, 10 SD, 11 WD,
/// 12 QD mult, 13 QD shift, 14 LD, 15 LD low, 16 LD high, 17 rng, 18.. the operand fields in
/// [`Field`] order.
pub fn src_code(s: Src) -> u8 {
    match s {
        Src::Imm(_) => 0,
        Src::A => 1,
        Src::B => 2,
        Src::Sh => 3,
        Src::P(i) => 4 + i,
        Src::Sd => 10,
        Src::Wd => 11,
        Src::QdMult => 12,
        Src::QdShift => 13,
        Src::Ld => 14,
        Src::LdLo => 15,
        Src::LdHi => 16,
        Src::Rng => 17,
        Src::Op(f) => 18 + f as u8,
    }
}

/// Destination codes (field `DST` of Set): 0 A, 1 B, 2 Sh, 3..=8 P0..P5, 9..=11 N0..N2,
/// 12 token, 13 rng.
pub fn dst_code(d: Dst) -> u8 {
    match d {
        Dst::A => 0,
        Dst::B => 1,
        Dst::Sh => 2,
        Dst::P(i) => 3 + i,
        Dst::N(i) => 9 + i,
        Dst::Tok => 12,
        Dst::Rng => 13,
    }
}

/// Condition codes (field `CC` of Br): 0 A > B, 1 SD > A, 2 flag 0, 3 flag 1, 4 not flag 0,
/// 5 not flag 1, 6 greedy, 7 flag 0 or flag 1.
pub fn cond_code(c: Cond) -> Result<u8, String> {
    Ok(match c {
        Cond::AGtB => 0,
        Cond::SdGtA => 1,
        Cond::Flag(k @ 0..=1) => 2 + k,
        Cond::NotFlag(k @ 0..=1) => 4 + k,
        Cond::Greedy => 6,
        Cond::AnyFlag => 7,
        other => return Err(format!("condition {other:?}")),
    })
}

/// The micro-op word of `u` (see [`field`]).
pub fn encode(u: &Uop) -> Result<u128, String> {
    u.check()?;
    let mut w = 0u128;
    let mut imm: Option<i64> = None;
    let put = |w: &mut u128, (off, width): (usize, usize), v: u64| {
        debug_assert!(width == 64 || v < 1 << width);
        *w |= (v as u128) << off;
    };
    let src = |w: &mut u128, s: Src, imm: &mut Option<i64>| {
        if let Src::Imm(v) = s {
            *imm = Some(v as i64);
        }
        put(w, field::SRC, src_code(s) as u64);
    };
    let addr = |a: Addr, imm: &mut Option<i64>| -> u64 {
        match a {
            Addr::P(i, inc) => i as u64 | (inc as u64) << 3,
            Addr::Imm(v) => {
                *imm = Some(v as i64);
                7
            }
        }
    };
    let (code, dst) = match u.act {
        Act::Nop => (aop::NOP, 0),
        Act::Set(d, s) => {
            src(&mut w, s, &mut imm);
            (aop::SET, dst_code(d))
        }
        Act::Add(s) | Act::Sub(s) | Act::RSub(s) | Act::Mul(s) | Act::PackHi(s) => {
            src(&mut w, s, &mut imm);
            let c = match u.act {
                Act::Add(_) => aop::ADD,
                Act::Sub(_) => aop::SUB,
                Act::RSub(_) => aop::RSUB,
                Act::Mul(_) => aop::MUL,
                _ => aop::PACKHI,
            };
            (c, 0)
        }
        Act::AddP(i, s) => {
            src(&mut w, s, &mut imm);
            (aop::ADDP, i)
        }
        Act::Rsr(s, sat) => {
            src(&mut w, s, &mut imm);
            (aop::RSR, sat as u8)
        }
        Act::Relu => (aop::RELU, 0),
        Act::Exp2 => (aop::EXP2, 0),
        Act::Recip => (aop::RECIP, 0),
        Act::Rsqrt => (aop::RSQRT, 0),
        Act::Xs => (aop::XS, 0),
        Act::Dot(k) => (aop::DOT, k as u8),
        Act::Ws(a) => (aop::WS, addr(a, &mut imm) as u8),
        Act::Wl(a) => (aop::WL, addr(a, &mut imm) as u8),
    };
    put(&mut w, field::AOP, code as u64);
    put(&mut w, field::DST, dst as u64);
    if let Some(r) = u.rd {
        let m = match r.mem {
            Mem::S => 1,
            Mem::W => 2,
            Mem::Q => 3,
            Mem::L => 4,
        };
        put(&mut w, field::RMEM, m);
        let a = addr(r.addr, &mut imm);
        put(&mut w, field::RSEL, a & 7);
        put(&mut w, field::RINC, a >> 3);
    }
    let (ctl, cc, target) = match u.ctl {
        Ctl::Next => (0, 0, 0),
        Ctl::Jmp(t) => (1, 0, t),
        Ctl::Djnz(n, t) => (2, n, t),
        Ctl::Br(c, t) => (3, cond_code(c)?, t),
        Ctl::Done => (4, 0, 0),
    };
    if target >= 1 << field::TARGET.1 {
        return Err(format!("jump target {target} past the {}-bit field", field::TARGET.1));
    }
    put(&mut w, field::CTL, ctl);
    put(&mut w, field::CC, cc as u64);
    put(&mut w, field::TARGET, target as u64);
    if let Some(v) = imm {
        if v < i32::MIN as i64 || v > i32::MAX as i64 {
            return Err(format!("immediate {v}"));
        }
        put(&mut w, field::IMM, v as u32 as u64);
    }
    Ok(w)
}

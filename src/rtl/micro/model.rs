//! The bit-exact, cycle-exact model of the compact engine ([`super`]): it runs the microcode
//! ([`super::code`]) micro-op by micro-op with the semantics of [`super::isa`], over the
//! core's memories ([`Memories`]) and its own local RAM. Every rule is [`crate::numeric`]'s.

use super::code::Microcode;
use super::isa::{Act, Addr, Cond, Ctl, DotKind, Dst, Field, Mem, Rd, Src, Uop, COUNTERS, POINTERS};
use crate::numeric::{exp2_neg, recip, rshift_round, rsqrt, sat_i16, XorShift32};

/// The core's memories as the engine sees them (each read answers in the next cycle; the
/// model reads at once and keeps the word in the data register).
pub trait Memories {
    fn spad(&self, addr: usize) -> i16;
    fn set_spad(&mut self, addr: usize, v: i16);
    /// The weight byte of store word `addr`.
    fn weight(&self, addr: usize) -> i8;
    /// The 24-bit requant word `addr`.
    fn rq(&self, addr: usize) -> u32;
}

/// The operands of the running instruction ([`Field`] order) and its flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Operands {
    pub fields: [u16; 12],
    pub flags: u8,
}

impl Operands {
    pub fn get(&self, f: Field) -> u16 {
        self.fields[f as usize]
    }
}

/// The engine's registers and local RAM. Registers keep their values between instructions, as
/// in hardware.
#[derive(Debug, Clone)]
pub struct Engine {
    pub a: i64,
    pub b: i64,
    pub sh: u8,
    pub p: [u16; POINTERS],
    pub n: [u16; COUNTERS],
    pub sd: i16,
    pub wd: i8,
    pub qd: u32,
    pub ld: u32,
    pub tok: u8,
    pub rng: u32,
    pub local: Vec<u32>,
    /// Cycles run since construction.
    pub cycles: u64,
}

/// A word a read fetched, for its data register.
enum Word {
    S(i16),
    W(i8),
    Q(u32),
    L(u32),
}

/// Wraps to the 48-bit datapath (two's complement).
fn w48(x: i64) -> i64 {
    (x << 16) >> 16
}

impl Engine {
    pub fn new(local_words: usize) -> Self {
        Engine { a: 0, b: 0, sh: 0, p: [0; POINTERS], n: [0; COUNTERS], sd: 0, wd: 0, qd: 0, ld: 0, tok: 0, rng: 0, local: vec![0; local_words], cycles: 0 }
    }

    fn src(&self, s: Src, o: &Operands) -> i64 {
        match s {
            Src::Imm(v) => v as i64,
            Src::A => self.a,
            Src::B => self.b,
            Src::Sh => self.sh as i64,
            Src::P(i) => self.p[i as usize] as i64,
            Src::Sd => self.sd as i64,
            Src::Wd => self.wd as i64,
            Src::QdMult => (self.qd & 0xffff) as i64,
            Src::QdShift => (self.qd >> 16 & 63) as i64,
            Src::Ld => self.ld as i32 as i64,
            Src::LdLo => self.ld as u16 as i16 as i64,
            Src::LdHi => (self.ld >> 16) as u16 as i16 as i64,
            Src::Op(f) => o.get(f) as i64,
            Src::Rng => self.rng as i64,
        }
    }

    fn addr(&self, a: Addr) -> usize {
        match a {
            Addr::P(i, _) => self.p[i as usize] as usize,
            Addr::Imm(v) => v as usize,
        }
    }

    fn local_at(&self, at: usize) -> Result<usize, String> {
        if at < self.local.len() {
            Ok(at)
        } else {
            Err(format!("local address {at} past {}", self.local.len()))
        }
    }

    fn cond(&self, c: Cond, o: &Operands) -> bool {
        match c {
            Cond::AGtB => self.a > self.b,
            Cond::SdGtA => self.sd as i64 > self.a,
            Cond::Flag(k) => o.flags >> k & 1 == 1,
            Cond::NotFlag(k) => o.flags >> k & 1 == 0,
            Cond::Greedy => o.get(Field::TempK) == 0,
            Cond::AnyFlag => o.flags & 3 != 0,
        }
    }

    /// Runs the routine at `entry` to its done; returns its cycles (the cycle of `done`
    /// included). Errors name the micro-op that left the datapath's ranges.
    pub fn run(&mut self, code: &Microcode, entry: usize, o: &Operands, mem: &mut impl Memories) -> Result<u64, String> {
        let mut pc = entry;
        let start = self.cycles;
        loop {
            let u = *code.ops.get(pc).ok_or_else(|| format!("micro pc {pc} past the code"))?;
            let done = self.step(&u, o, mem).map_err(|e| format!("micro-op {pc} {u:?}: {e}"))?;
            pc = match u.ctl {
                Ctl::Done => return Ok(self.cycles - start),
                _ => done.unwrap_or(pc + 1),
            };
            if self.cycles - start > 10_000_000 {
                return Err(format!("routine at {entry} runs past 10,000,000 cycles"));
            }
        }
    }

    /// One micro-op; returns the jump target if the control jumps.
    fn step(&mut self, u: &Uop, o: &Operands, mem: &mut impl Memories) -> Result<Option<usize>, String> {
        // Start-of-cycle state: the control's decision and the read's address.
        let target = match u.ctl {
            Ctl::Next | Ctl::Done => None,
            Ctl::Jmp(t) => Some(t),
            Ctl::Br(c, t) => self.cond(c, o).then_some(t),
            Ctl::Djnz(i, t) => {
                let n = &mut self.n[i as usize];
                *n = n.wrapping_sub(1);
                (*n != 0).then_some(t)
            }
        };
        // The read sees the memories as they were before this cycle's write.
        let rd = match u.rd {
            None => None,
            Some(r) => {
                let at = self.addr(r.addr);
                Some(match r.mem {
                    Mem::S => Word::S(mem.spad(at)),
                    Mem::W => Word::W(mem.weight(at)),
                    Mem::Q => Word::Q(mem.rq(at)),
                    Mem::L => Word::L(self.local[self.local_at(at)?]),
                })
            }
        };
        let mut cycles = 1;
        let a = self.a;
        match u.act {
            Act::Nop => {}
            Act::Set(d, s) => {
                let v = self.src(s, o);
                match d {
                    Dst::A => self.a = w48(v),
                    Dst::B => self.b = v as i32 as i64,
                    Dst::Sh => self.sh = v as u8,
                    Dst::P(i) => self.p[i as usize] = v as u16,
                    Dst::N(i) => self.n[i as usize] = v as u16,
                    Dst::Tok => self.tok = v as u8,
                    Dst::Rng => self.rng = v as u32,
                }
            }
            Act::Add(s) => self.a = w48(a + self.src(s, o)),
            Act::Sub(s) => self.a = w48(a - self.src(s, o)),
            Act::RSub(s) => self.a = w48(self.src(s, o) - a),
            Act::AddP(i, s) => self.p[i as usize] = self.p[i as usize].wrapping_add(self.src(s, o) as u16),
            Act::Mul(s) => {
                self.a = (a as i32 as i64) * (self.src(s, o) & 0xffff);
                cycles = 2;
            }
            Act::Rsr(s, sat) => {
                let sh = self.src(s, o);
                if !(0..=47).contains(&sh) {
                    return Err(format!("rounding shift by {sh}"));
                }
                let y = rshift_round(a, sh as u32);
                self.a = if sat { sat_i16(y) as i64 } else { y };
                cycles = 2;
            }
            Act::Relu => self.a = a.max(0),
            Act::Exp2 => {
                if a < 0 {
                    return Err(format!("exp2 of {a}"));
                }
                self.a = exp2_neg(a.min(0xffff) as u32) as i64;
                cycles = 2;
            }
            Act::Recip | Act::Rsqrt => {
                let lim = if u.act == Act::Recip { 1i64 << 32 } else { 1i64 << 47 };
                if !(1..lim).contains(&a) {
                    return Err(format!("{:?} of {a}", u.act));
                }
                let (m, s) = if u.act == Act::Recip { recip(a as u64) } else { rsqrt(a as u64) };
                self.a = m as i64;
                self.sh = s as u8;
                cycles = 3;
            }
            Act::Xs => {
                let mut x = XorShift32(a as u32);
                self.a = x.next_u32() as i64;
            }
            Act::PackHi(s) => self.a = ((self.src(s, o) & 0xffff) << 16) | (a & 0xffff),
            Act::Dot(k) => {
                let n = self.n[0] as usize;
                let mut acc = a;
                if k == DotKind::Row {
                    acc = 0;
                    self.qd = mem.rq(self.p[3] as usize);
                    self.p[3] = self.p[3].wrapping_add(1);
                }
                for _ in 0..n {
                    let prod = match k {
                        DotKind::WS | DotKind::Row => {
                            self.wd = mem.weight(self.p[0] as usize);
                            self.p[0] = self.p[0].wrapping_add(1);
                            self.sd = mem.spad(self.p[1] as usize);
                            self.p[1] = self.p[1].wrapping_add(1);
                            self.wd as i64 * self.sd as i64
                        }
                        DotKind::SS => {
                            self.sd = mem.spad(self.p[1] as usize);
                            self.p[1] = self.p[1].wrapping_add(1);
                            self.sd as i64 * self.sd as i64
                        }
                        DotKind::SL => {
                            self.sd = mem.spad(self.p[1] as usize);
                            self.p[1] = self.p[1].wrapping_add(1);
                            self.ld = self.local[self.local_at(self.p[2] as usize)?];
                            self.p[2] = self.p[2].wrapping_add(1);
                            self.sd as i64 * (self.ld as u16 as i16 as i64)
                        }
                    };
                    acc = w48(acc + prod);
                }
                self.a = acc;
                self.n[0] = 0;
                if k == DotKind::Row {
                    self.n[0] = o.get(Field::Chunks);
                    self.p[1] = o.get(Field::A);
                }
                cycles = n as u64 + 2;
            }
            Act::Ws(ad) => {
                mem.set_spad(self.addr(ad), a as u16 as i16);
                if let Addr::P(i, true) = ad {
                    self.p[i as usize] = self.p[i as usize].wrapping_add(1);
                }
            }
            Act::Wl(ad) => {
                let at = self.local_at(self.addr(ad))?;
                self.local[at] = a as u32;
                if let Addr::P(i, true) = ad {
                    self.p[i as usize] = self.p[i as usize].wrapping_add(1);
                }
            }
        }
        match rd {
            None => {}
            Some(Word::S(v)) => self.sd = v,
            Some(Word::W(v)) => self.wd = v,
            Some(Word::Q(v)) => self.qd = v,
            Some(Word::L(v)) => self.ld = v,
        }
        if let Some(Rd { addr: Addr::P(i, true), .. }) = u.rd {
            self.p[i as usize] = self.p[i as usize].wrapping_add(1);
        }
        self.cycles += cycles;
        Ok(target)
    }
}

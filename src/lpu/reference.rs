//! The generation semantics of the processing unit over [`Golden`]: what the core must emit
//! for a host command, character for character, with the status it must report. Every RTL test
//! compares with [`generate`].
//!
//! * A name: position 0, cache cleared; step `s` (0-based) feeds BOS (`s = 0`), prompt token
//!   `p_{s-1}` (`1 <= s <= m`) or the last sampled token. Steps `s < m` are forced (their logits
//!   are not sampled, no random number is drawn); from step `m` on the logits are sampled with
//!   [`numeric::sample`](crate::numeric::sample). A sampled BOS ends the name, so do
//!   `block_size` steps; a name's text ends with `\n` either way.
//! * The prompt's characters are emitted as each prompt token is fed; a sampled token emits its
//!   character (BOS emits `\n`); a name cut by `block_size` emits `\n` after its last character.
//! * `names` mode: `count` names. `tokens` mode: names back to back until `count` tokens have
//!   been sampled (a sampled BOS counts), then stop, possibly mid-name, no `\n` added.
//! * `quiet`: nothing is emitted; the status is the same.
//! * Status: `steps` = forward passes (forced ones included), `names` = names completed.

use crate::lpu::compiler::temperature;
use crate::model::{Golden, QuantModel};
use crate::numeric::{sample, XorShift32};
use crate::{Error, Result};

/// A host command (the core's `cmd_*` ports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenRequest {
    /// xorshift32 state, non-zero (`XorShift32::new(seed).0`).
    pub seed: u32,
    /// `Temperature::k`, 0 = greedy.
    pub temp_k: u16,
    pub count: u16,
    /// `true`: `count` names; `false`: `count` sampled tokens.
    pub names: bool,
    pub quiet: bool,
    /// Prompt token ids (each `< vocab - 1`), fewer than `block_size`.
    pub prompt: Vec<u8>,
}

/// What the core emits and reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Generation {
    /// The bytes on `out_byte` in order (empty when quiet).
    pub text: Vec<u8>,
    /// Every sampled token in order (forced prompt tokens not included).
    pub sampled: Vec<u8>,
    /// Forward passes run.
    pub steps: u32,
    /// Names completed.
    pub names: u16,
    /// The xorshift32 state at the end.
    pub rng: u32,
}

impl GenRequest {
    /// Checks the request against the model: the seed is non-zero, the prompt is short enough
    /// and holds only character tokens.
    pub fn check(&self, q: &QuantModel) -> Result<()> {
        if self.seed == 0 {
            return Err(Error::invalid("seed state", 0, "allowed: non-zero (use XorShift32::new(seed).0)"));
        }
        let c = q.cfg;
        if self.prompt.len() >= c.block_size {
            return Err(Error::invalid("prompt length", self.prompt.len(), format!("allowed: 0..{} (shorter than block_size)", c.block_size)));
        }
        if let Some(&t) = self.prompt.iter().find(|&&t| t as usize >= c.bos()) {
            return Err(Error::invalid("prompt token", t, format!("allowed: 0..{} (characters, not BOS)", c.bos())));
        }
        Ok(())
    }
}

/// Encodes a prompt string into token ids with the model's tokenizer.
pub fn encode_prompt(q: &QuantModel, prompt: &str) -> Result<Vec<u8>> {
    prompt
        .chars()
        .map(|ch| {
            q.tok
                .id(ch)
                .map(|i| i as u8)
                .ok_or_else(|| Error::invalid("prompt character", format!("{ch:?}"), format!("allowed: one of {:?}", q.tok.chars())))
        })
        .collect()
}

/// ASCII of token `t` (BOS is `\n`).
pub fn char_of(q: &QuantModel, t: usize) -> u8 {
    if t == q.cfg.bos() {
        b'\n'
    } else {
        q.tok.char(t).filter(|c| c.is_ascii()).map(|c| c as u8).unwrap_or(b'?')
    }
}

/// Runs `req` on the golden model.
pub fn generate(q: &QuantModel, req: &GenRequest) -> Result<Generation> {
    req.check(q)?;
    let c = q.cfg;
    let bos = c.bos();
    let m = req.prompt.len();
    let t = temperature(req.temp_k);
    let mut rng = XorShift32(req.seed);
    let mut g = Golden::new(q);
    let mut out = Generation::default();
    let emit = |out: &mut Generation, b: u8| {
        if !req.quiet {
            out.text.push(b)
        }
    };
    let count = req.count as usize;
    'names: loop {
        if req.names && out.names as usize >= count || !req.names && out.sampled.len() >= count {
            break;
        }
        g.reset();
        let mut tok = bos;
        let mut ended = false;
        for s in 0..c.block_size {
            if (1..=m).contains(&s) {
                tok = req.prompt[s - 1] as usize;
                emit(&mut out, char_of(q, tok));
            }
            let logits = g.step(tok)?;
            out.steps += 1;
            if s >= m {
                tok = sample(logits, q.fmt.logit, t, &mut rng);
                out.sampled.push(tok as u8);
                emit(&mut out, char_of(q, tok));
                if tok == bos {
                    out.names += 1;
                    ended = true;
                }
                if !req.names && out.sampled.len() >= count {
                    break 'names;
                }
                if ended {
                    break;
                }
            }
        }
        if !ended {
            emit(&mut out, b'\n');
            out.names += 1;
        }
    }
    out.rng = rng.0;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::model::ModelArgs;
    use crate::model::eval::sample_quant;
    use crate::numeric::Temperature;

    fn model() -> QuantModel {
        let f = ModelArgs { model: None, n_head: None }.load().unwrap();
        QuantModel::from_float(&f).unwrap()
    }

    #[test]
    fn names_mode_equals_sample_quant() {
        let q = model();
        for (seed, temp) in [(1u64, 0.5), (42, 1.0), (7, 0.0)] {
            let t = Temperature::try_from(temp).unwrap();
            let mut rng = XorShift32::new(seed);
            let req = GenRequest { seed: rng.0, temp_k: t.k, count: 20, names: true, quiet: false, prompt: vec![] };
            let got = generate(&q, &req).unwrap();
            let mut g = Golden::new(&q);
            let mut want = String::new();
            for _ in 0..20 {
                want += &sample_quant(&mut g, &q, t, &mut rng).unwrap();
                want.push('\n');
            }
            assert_eq!(String::from_utf8(got.text).unwrap(), want, "seed {seed} temperature {temp}");
            assert_eq!((got.names, got.rng), (20, rng.0));
        }
    }

    #[test]
    fn tokens_mode_stops_after_count_sampled_tokens() {
        let q = model();
        let req = GenRequest { seed: XorShift32::new(3).0, temp_k: Temperature::try_from(1.0).unwrap().k, count: 50, names: false, quiet: false, prompt: vec![] };
        let g = generate(&q, &req).unwrap();
        assert_eq!(g.sampled.len(), 50);
        // One byte per sampled token plus one `\n` per name cut by block_size.
        assert!(g.text.len() >= 50);
        assert_eq!(g.steps, 50);
        let quiet = generate(&q, &GenRequest { quiet: true, ..req.clone() }).unwrap();
        assert_eq!((quiet.text.len(), quiet.sampled, quiet.steps, quiet.names), (0, g.sampled, g.steps, g.names));
    }

    #[test]
    fn prompt_is_forced_and_emitted() {
        let q = model();
        let prompt = encode_prompt(&q, "em").unwrap();
        let req = GenRequest { seed: 5, temp_k: Temperature::try_from(0.5).unwrap().k, count: 3, names: true, quiet: false, prompt };
        let g = generate(&q, &req).unwrap();
        let text = String::from_utf8(g.text).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(text.lines().all(|l| l.starts_with("em")), "{text}");
        assert_eq!(g.steps as usize, g.sampled.len() + 3 * 2);
        assert_eq!(encode_prompt(&q, "A").unwrap_err().to_string(), "prompt character 'A' is not allowed (allowed: one of \"abcdefghijklmnopqrstuvwxyz\")");
        let long = GenRequest { prompt: vec![0; 16], ..req };
        assert_eq!(generate(&q, &long).unwrap_err().to_string(), "prompt length 16 is not allowed (allowed: 0..16 (shorter than block_size))");
    }
}

//! `llmpu train`, `llmpu eval`, `llmpu sample`: thin handlers over [`crate::model`].

use crate::model::eval::{encode_docs, nll_float, nll_quant, sample_float, sample_quant};
use crate::model::tokenizer::read_docs;
use crate::model::train::{train, TrainOptions};
use crate::model::{load_model, save_model, FloatRunner, Golden, ModelConfig, ModelParams, QuantModel};
use crate::numeric::{Temperature, XorShift32};
use clap::Args;
use std::path::PathBuf;

/// The default checkpoint, trained by `llmpu train` and committed.
pub const DEFAULT_MODEL: &str = "models/microgpt-names.json";

/// Which checkpoint to use (llmpu's own format or microgpt.py's state_dict JSON).
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// Checkpoint: llmpu JSON or microgpt.py state_dict JSON (detected from the content);
    /// default: the bundled models/microgpt-names.json
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Head count of a microgpt.py checkpoint (not visible in its shapes; default 4)
    #[arg(long)]
    pub n_head: Option<usize>,
}

impl ModelArgs {
    /// Loads the named checkpoint, or the one bundled into the binary when none is named.
    pub fn load(&self) -> crate::Result<crate::model::FloatModel> {
        match &self.model {
            Some(p) => load_model(p, self.n_head),
            None => crate::model::checkpoint::parse_model(DEFAULT_MODEL_JSON, std::path::Path::new(DEFAULT_MODEL), self.n_head),
        }
    }
}

/// The default checkpoint's text, bundled so the binary works from any folder.
pub const DEFAULT_MODEL_JSON: &str = include_str!("../../models/microgpt-names.json");

/// Model sizes for training (defaults: Karpathy's microgpt).
#[derive(Debug, Clone, Args)]
pub struct SizeArgs {
    /// Embedding width
    #[arg(long, default_value_t = 16)]
    pub n_embd: usize,
    /// Attention heads (must divide n-embd)
    #[arg(long = "heads", default_value_t = 4)]
    pub heads: usize,
    /// Transformer layers
    #[arg(long, default_value_t = 1)]
    pub n_layer: usize,
    /// Context length
    #[arg(long, default_value_t = 16)]
    pub block_size: usize,
    /// MLP hidden width
    #[arg(long, default_value_t = 64)]
    pub mlp_hidden: usize,
}

#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// Training text, one name per line
    #[arg(long)]
    pub data: PathBuf,
    /// Optimisation steps (microgpt.py: 1000; the default 10000 reaches NLL <= 2.37 with margin)
    #[arg(long, default_value_t = 10000)]
    pub steps: usize,
    /// Names per step (gradients averaged)
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Peak learning rate (decays linearly to 0)
    #[arg(long, default_value_t = 0.01)]
    pub lr: f32,
    /// Seed of the shuffle and the initial weights
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Where to write the checkpoint
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub size: SizeArgs,
}

#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Text to score, one name per line
    #[arg(long)]
    pub data: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct SampleArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// How many names
    #[arg(short = 'n', long = "count", default_value_t = 20)]
    pub count: usize,
    /// 0 = greedy; otherwise 0.1..=10
    #[arg(long, default_value_t = 0.5)]
    pub temperature: f64,
    /// Seed of the on-chip PRNG (xorshift32)
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Sample from the float model instead of the integer model
    #[arg(long)]
    pub float: bool,
}

pub fn run_train(a: TrainArgs) -> anyhow::Result<()> {
    let docs = read_docs(&a.data)?;
    let vocab = crate::model::Tokenizer::from_docs(&docs).vocab();
    let s = &a.size;
    let cfg = ModelConfig::try_from(ModelParams { vocab, n_embd: s.n_embd, n_head: s.heads, n_layer: s.n_layer, block_size: s.block_size, mlp_hidden: s.mlp_hidden })?;
    let opts = TrainOptions::new(a.steps, a.batch, a.lr, a.seed)?;
    println!("training {} parameters on {} names from {}: {} steps x {} names, seed {}", cfg.num_params(), docs.len(), a.data.display(), opts.steps, opts.batch, opts.seed);
    let start = std::time::Instant::now();
    let every = (opts.steps / 10).max(1);
    let m = train(cfg, &docs, opts, every, |p| println!("step {:>7} | loss {:.4} | {:.0} steps/s", p.step, p.loss, p.steps_per_s))?;
    let secs = start.elapsed().as_secs_f64();
    let enc = encode_docs(&m.tok, &docs)?;
    let f = nll_float(&m, &enc);
    println!("trained in {secs:.2} s; mean NLL over {} ({} tokens): {:.4}", a.data.display(), f.tokens, f.mean);
    save_model(&m, Some(&opts), &a.out)?;
    println!("wrote {}", a.out.display());
    Ok(())
}

pub fn run_eval(a: EvalArgs) -> anyhow::Result<()> {
    let m = a.model.load()?;
    let q = QuantModel::from_float(&m)?;
    let docs = read_docs(&a.data)?;
    let enc = encode_docs(&m.tok, &docs)?;
    let f = nll_float(&m, &enc);
    let i = nll_quant(&q, &enc)?;
    println!("{} names, {} tokens from {}", f.docs, f.tokens, a.data.display());
    println!("float  mean NLL {:.4}", f.mean);
    println!("int8   mean NLL {:.4} (quantized - float = {:+.4})", i.mean, i.mean - f.mean);
    Ok(())
}

pub fn run_sample(a: SampleArgs) -> anyhow::Result<()> {
    let m = a.model.load()?;
    let t = Temperature::try_from(a.temperature)?;
    crate::error::check_range("count", a.count, 1, 1_000_000)?;
    let mut rng = XorShift32::new(a.seed);
    if a.float {
        let mut r = FloatRunner::new(m.cfg);
        for _ in 0..a.count {
            println!("{}", sample_float(&mut r, &m, t, &mut rng));
        }
    } else {
        let q = QuantModel::from_float(&m)?;
        let mut g = Golden::new(&q);
        for _ in 0..a.count {
            println!("{}", sample_quant(&mut g, &q, t, &mut rng)?);
        }
    }
    Ok(())
}

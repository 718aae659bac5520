//! Checkpoints: llmpu's format round-trips, microgpt.py state_dicts import with the config
//! inferred from shapes, and malformed files are rejected with messages naming key and shapes.

use llmpu::model::checkpoint::{model_json, parse_model, state_dict_json};
use llmpu::model::float::FloatModel;
use llmpu::model::{ModelConfig, ModelParams, Tokenizer};
use serde_json::{json, Value};
use std::path::Path;

fn rows(r: usize, c: usize, base: f64) -> Value {
    Value::Array((0..r).map(|i| Value::Array((0..c).map(|j| json!(base + (i * c + j) as f64 * 0.001)).collect())).collect())
}

/// A hand-made state_dict: vocab 5 (a-d + BOS), n_embd 8, 2 layers, block 3, MLP 6.
fn state_dict() -> Value {
    let mut o = serde_json::Map::new();
    o.insert("wte".into(), rows(5, 8, 0.1));
    o.insert("wpe".into(), rows(3, 8, 0.2));
    o.insert("lm_head".into(), rows(5, 8, -0.3));
    for l in 0..2 {
        for (k, r, c) in [("attn_wq", 8, 8), ("attn_wk", 8, 8), ("attn_wv", 8, 8), ("attn_wo", 8, 8), ("mlp_fc1", 6, 8), ("mlp_fc2", 8, 6)] {
            o.insert(format!("layer{l}.{k}"), rows(r, c, l as f64 + 0.5));
        }
    }
    Value::Object(o)
}

fn err(v: &Value) -> String {
    parse_model(&v.to_string(), Path::new("sd.json"), None).unwrap_err().to_string()
}

#[test]
fn imports_a_hand_made_state_dict() {
    let m = parse_model(&state_dict().to_string(), Path::new("sd.json"), None).unwrap();
    assert_eq!(m.cfg.params(), ModelParams { vocab: 5, n_embd: 8, n_head: 4, n_layer: 2, block_size: 3, mlp_hidden: 6 });
    assert_eq!(m.tok.chars(), "abcd");
    // Row = output feature: wpe[1][2] is element 1*8+2 of the flat row-major tensor.
    assert_eq!(m.w(1)[10], (0.2f64 + 10.0 * 0.001) as f32);
    let fc2 = m.slots.iter().position(|s| s.name == "layer1.mlp_fc2").unwrap();
    assert_eq!((m.slots[fc2].rows, m.slots[fc2].cols), (8, 6));
    assert_eq!(m.w(fc2)[7], (1.5f64 + 0.007) as f32);
    // The head count can be given.
    let m2 = parse_model(&state_dict().to_string(), Path::new("sd.json"), Some(2)).unwrap();
    assert_eq!(m2.cfg.n_head, 2);
    // Re-exporting gives the same state_dict back.
    let again = parse_model(&state_dict_json(&m), Path::new("x"), None).unwrap();
    assert_eq!(again, m);
}

#[test]
fn llmpu_format_round_trips() {
    let cfg = ModelConfig::try_from(ModelParams { vocab: 4, n_embd: 4, n_head: 2, n_layer: 1, block_size: 2, mlp_hidden: 3 }).unwrap();
    let mut m = FloatModel::zeros(cfg, Tokenizer::from_chars("xyz").unwrap());
    for (i, p) in m.data.iter_mut().enumerate() {
        *p = (i as f32 * 0.37).sin() / 3.0;
    }
    let back = parse_model(&model_json(&m, None), Path::new("m.json"), None).unwrap();
    assert_eq!(back, m);
    assert_eq!(
        parse_model(&model_json(&m, None), Path::new("m.json"), Some(1)).unwrap_err().to_string(),
        "n_head 1 is not allowed (allowed: 2 (stored in m.json))"
    );
}

#[test]
fn rejects_malformed_state_dicts_naming_key_and_shape() {
    let mut v = state_dict();
    v.as_object_mut().unwrap().remove("layer1.attn_wk");
    assert_eq!(err(&v), "sd.json: missing key \"layer1.attn_wk\" (expected a 8x8 list of rows)");

    let mut v = state_dict();
    v["wpe"][2].as_array_mut().unwrap().pop();
    assert_eq!(err(&v), "sd.json: \"wpe\" is ragged: row 2 has 7 values, row 0 has 8");

    let mut v = state_dict();
    v["layer0.mlp_fc2"] = rows(8, 5, 0.0);
    assert_eq!(err(&v), "sd.json: \"layer0.mlp_fc2\" has shape 8x5, expected 8x6");

    let mut v = state_dict();
    v["lm_head"] = rows(4, 8, 0.0);
    assert_eq!(err(&v), "sd.json: \"lm_head\" has shape 4x8, expected 5x8");

    let mut v = state_dict();
    v["layer0.attn_wo"][1][3] = json!("x");
    assert_eq!(err(&v), "sd.json: \"layer0.attn_wo\" row 1 column 3 is \"x\", expected a finite number");

    let mut v = state_dict();
    v.as_object_mut().unwrap().insert("layer3.attn_wq".into(), rows(8, 8, 0.0));
    assert_eq!(
        err(&v),
        "sd.json: unexpected key \"layer3.attn_wq\" (a 2-layer state_dict has: wte, wpe, lm_head, layer{i}.attn_wq|attn_wk|attn_wv|attn_wo|mlp_fc1|mlp_fc2)"
    );

    let mut v = state_dict();
    v.as_object_mut().unwrap().remove("layer0.attn_wq");
    assert_eq!(err(&v), "sd.json: missing key \"layer0.attn_wq\" (expected a 8x8 list of rows)");

    let mut v = state_dict();
    v["wte"] = json!(3);
    assert_eq!(err(&v), "sd.json: \"wte\" is not a list of rows");

    assert_eq!(err(&json!({"w": 1})), "sd.json: neither an llmpu model (key \"format\") nor a microgpt.py state_dict (key \"wte\")");
    assert_eq!(err(&json!([1])), "sd.json: expected a JSON object (an llmpu model or a microgpt.py state_dict)");
    assert_eq!(
        parse_model("{", Path::new("sd.json"), None).unwrap_err().to_string(),
        "sd.json: not JSON: EOF while parsing an object at line 1 column 1"
    );
    assert_eq!(
        parse_model(&state_dict().to_string(), Path::new("sd.json"), Some(3)).unwrap_err().to_string(),
        "n_head 3 is not allowed (allowed: a divisor of n_embd 8)"
    );
}

#[test]
fn the_committed_default_model_loads() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/microgpt-names.json");
    let m = llmpu::model::load_model(&p, None).unwrap();
    assert_eq!(m.cfg, ModelConfig::microgpt());
    assert_eq!(m.data.len(), 4192);
}

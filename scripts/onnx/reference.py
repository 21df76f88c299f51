"""Reference outputs for the ONNX graphs, from code no one here wrote: PyTorch `transformers` loading the Hugging Face
checkpoint folder that `webgpu-weight-init init --out DIR/` writes for a config and seed, and Python `onnxruntime`
running the ONNX pack that `init --format onnx --out DIR/` writes for the same config and seed.

Writes test/output/onnx/fixtures/<name>.json per case: the config and seed, a batch of two prompts (the second
left-padded), PyTorch's logits for it (eager attention, f32), PyTorch's greedy continuation of the first prompt, the
SHA-256 of the pack's model.onnx_data, and what onnxruntime gave on the pack (max |logits diff|, greedy tokens).
The TypeScript tests compare onnxruntime-node, ONNX Runtime Web and transformers.js against these files and never
need Python.

Run from the repository root after `npm run build`:
    /work/venv/bin/python scripts/onnx/reference.py
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort
import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test", "output", "onnx", "fixtures")
CLI = os.path.join(ROOT, "bin", "webgpu-weight-init.js")

# Tiny configs covering the graph's branches: GPT-2; Llama with grouped-query attention (4 query heads on 2 key/value
# heads) and an untied head; Llama with a tied head, q/k/v/o and MLP biases, a head_dim that is not hidden/heads, and
# llama3 rotary scaling. initializer_range 0.3 (HF's default is 0.02): with weights that small the logits hardly depend on
# attention (scores near 0, softmax near uniform), and a wrong rotation or head pairing could stay within tolerance.
CASES = {
    "gpt2-tiny": {"model_type": "gpt2", "vocab_size": 300, "n_positions": 64, "n_embd": 32, "n_layer": 2, "n_head": 4, "initializer_range": 0.3},
    "llama-tiny-gqa": {
        "model_type": "llama",
        "vocab_size": 300,
        "hidden_size": 32,
        "intermediate_size": 48,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 64,
        "initializer_range": 0.3,
    },
    "llama-tiny-tied": {
        "model_type": "llama",
        "vocab_size": 320,
        "hidden_size": 32,
        "intermediate_size": 40,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 1,
        "head_dim": 12,
        "tie_word_embeddings": True,
        "attention_bias": True,
        "mlp_bias": True,
        "hidden_act": "gelu_pytorch_tanh",
        "rms_norm_eps": 1e-5,
        "max_position_embeddings": 64,
        "rope_theta": 500000.0,
        "initializer_range": 0.3,
        "rope_scaling": {
            "rope_type": "llama3",
            "factor": 8.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": 16,
        },
    },
}
SEED = 42
PROMPT = [5, 17, 200, 3, 42, 7]
PAD = 2  # the second prompt: PROMPT[PAD:] left-padded to the same length
NEW_TOKENS = 8


def cli(*args):
    subprocess.run(["node", CLI, *args, "--quiet"], check=True, stdout=subprocess.DEVNULL)


def batch():
    ids = np.array([PROMPT, [0] * PAD + PROMPT[PAD:]], dtype=np.int64)
    mask = np.array([[1] * len(PROMPT), [0] * PAD + [1] * (len(PROMPT) - PAD)], dtype=np.int64)
    # transformers' position ids for a padded batch: cumsum(mask) - 1, pads set to 1.
    pos = np.where(mask == 0, 1, np.cumsum(mask, axis=1) - 1).astype(np.int64)
    return ids, mask, pos


def ort_run(session, ids, mask, pos, past):
    feeds = {"input_ids": ids, "attention_mask": mask, "position_ids": pos, **past}
    names = [o.name for o in session.get_outputs()]
    out = dict(zip(names, session.run(None, feeds)))
    present = {n.replace("present", "past_key_values"): v for n, v in out.items() if n.startswith("present")}
    return out["logits"], present


def empty_past(session, batch_size):
    return {
        i.name: np.zeros((batch_size, i.shape[1], 0, i.shape[3]), dtype=np.float32)
        for i in session.get_inputs()
        if i.name.startswith("past_key_values")
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    ids, mask, pos = batch()
    for name, config in CASES.items():
        with tempfile.TemporaryDirectory() as tmp:
            cfg = os.path.join(tmp, "config.json")
            with open(cfg, "w") as f:
                json.dump(config, f)
            ckpt = os.path.join(tmp, "checkpoint") + "/"
            pack = os.path.join(tmp, "pack") + "/"
            cli("init", "--config", cfg, "--seed", str(SEED), "--out", ckpt)
            cli("init", "--config", cfg, "--seed", str(SEED), "--format", "onnx", "--out", pack)

            model = AutoModelForCausalLM.from_pretrained(ckpt, attn_implementation="eager", dtype=torch.float32).eval()
            with torch.no_grad():
                logits = model(
                    input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), position_ids=torch.tensor(pos)
                ).logits.numpy()
                model.generation_config.eos_token_id = None
                model.generation_config.pad_token_id = 0
                generated = model.generate(
                    torch.tensor([PROMPT]), max_new_tokens=NEW_TOKENS, do_sample=False, attention_mask=torch.ones(1, len(PROMPT), dtype=torch.long)
                )[0, len(PROMPT) :].tolist()

            session = ort.InferenceSession(os.path.join(pack, "onnx", "model.onnx"), providers=["CPUExecutionProvider"])
            ort_logits, _ = ort_run(session, ids, mask, pos, empty_past(session, 2))
            valid = mask.astype(bool)
            diff = float(np.abs(ort_logits - logits)[valid].max())
            # Greedy with the cache: the prompt once, then one token per run.
            tokens = []
            step_ids = np.array([PROMPT], dtype=np.int64)
            past = empty_past(session, 1)
            total = 0
            for _ in range(NEW_TOKENS):
                n = step_ids.shape[1]
                step_logits, past = ort_run(
                    session, step_ids, np.ones((1, total + n), np.int64), np.arange(total, total + n, dtype=np.int64)[None], past
                )
                total += n
                token = int(step_logits[0, -1].argmax())
                tokens.append(token)
                step_ids = np.array([[token]], dtype=np.int64)

            tokenizer = AutoTokenizer.from_pretrained(pack)
            text = "Hello, wörld! 123"
            encoded = tokenizer(text)["input_ids"]
            with open(os.path.join(pack, "onnx", "model.onnx_data"), "rb") as f:
                data_sha = hashlib.sha256(f.read()).hexdigest()
            eos = model.config.eos_token_id
            fixture = {
                "name": name,
                "config": config,
                "seed": SEED,
                "batch": {"input_ids": ids.tolist(), "attention_mask": mask.tolist(), "position_ids": pos.tolist()},
                "logits": {"shape": list(logits.shape), "data": [float(x) for x in logits.reshape(-1)]},
                "greedy": {"prompt": PROMPT, "tokens": generated, "eos_token_id": eos, "contains_eos": eos in generated},
                "onnx_data_sha256": data_sha,
                "tokenizer": {"text": text, "input_ids": encoded, "decoded": tokenizer.decode(encoded)},
                "onnxruntime": {"version": ort.__version__, "max_abs_diff_logits": diff, "greedy_tokens": tokens},
                "versions": {"transformers": transformers.__version__, "torch": torch.__version__, "python": sys.version.split()[0]},
            }
            with open(os.path.join(OUT, f"{name}.json"), "w") as f:
                json.dump(fixture, f, indent=1)
                f.write("\n")
            print(f"{name}: onnxruntime vs transformers max |diff| {diff:.3g}; greedy {generated} (ort {tokens}); tokenizer {encoded}")
            if diff > 1e-3 or tokens != generated or tokenizer.decode(encoded) != text:
                print(f"{name}: MISMATCH", file=sys.stderr)
                sys.exit(1)


if __name__ == "__main__":
    main()

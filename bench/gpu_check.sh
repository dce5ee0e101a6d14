#!/usr/bin/env bash
# The generative bench on a GPU machine without network (see bench/generate_vs_cli.py), with a random-weights
# model of a 7B (Llama-2) shape in bf16. Two steps:
#
#   1. On a machine with network, from the repo root:  bash bench/gpu_check.sh prepare
#      downloads the wheels the harness child lacks on a GPU image, for Python 3.12, into .whl/ (ignored by
#      git), so that they travel with the working tree.
#   2. On the GPU machine, from the repo root:         bash bench/gpu_check.sh
#      installs them into /tmp/site (unless lm-eval imports already), builds the model in /tmp and runs the
#      bench's harness-only mode on CUDA: the platform's harness child at BATCH and at 1 against the CLI at 1.
#
# Knobs (environment): SHAPE=7b|tiny (tiny: a CPU dry run of this script), BATCH=32, QUESTIONS=4 per task,
# MAX_GEN_TOKS=64 (random weights never stop before the cap), DEVICE=cuda.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

if [[ "${1:-}" == prepare ]]; then
  # What the harness child needs beyond a GPU image's torch, transformers, accelerate, pandas, pyarrow, scipy, ...
  # (the site itself, Django and Postgres, stays behind: the check runs the harness child alone).
  mkdir -p .whl
  "$PY" -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform any -d .whl $(grep -E '^(lm_eval|datasets|evaluate|dill|multiprocess|pytablewriter|DataProperty|mbstrdecoder|pathvalidate|tabledata|tcolorpy|typepy|chardet|pytz|more-itertools|PyYAML)==' requirements.txt)
  "$PY" -m pip wheel --quiet --no-deps -w .whl $(grep -E '^(sqlitedict|word2number)==' requirements.txt)
  du -sh .whl
  exit 0
fi

SHAPE=${SHAPE:-7b} BATCH=${BATCH:-32} QUESTIONS=${QUESTIONS:-4} MAX_GEN_TOKS=${MAX_GEN_TOKS:-64} DEVICE=${DEVICE:-cuda}
if ! "$PY" -c "import lm_eval" 2>/dev/null; then
  "$PY" -m pip install --quiet --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
  export PATH=/tmp/site/bin:$PATH
fi
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 DATA_DIR=${DATA_DIR:-/tmp/leaderboard-data}
MODEL_DIR=/tmp/bench-llama-$SHAPE

"$PY" - "$MODEL_DIR" "$SHAPE" <<'PYTHON'
"""A random-weights Llama of the shape asked for, with a byte-level BPE trained on the demo pack's text and
the tiny models' chat template, saved in bf16 (float32 for the tiny dry run)."""
import json, sys
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

out, shape = Path(sys.argv[1]), sys.argv[2]
if (out / "config.json").exists():
    sys.exit(0)
CHAT = ("{{ bos_token }}{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] | trim"
        " + eos_token + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}")
texts = [line for path in Path("evaluation/task_packs/demo_medical/data").rglob("*.jsonl")
         for line in path.read_text().splitlines()]
tok = Tokenizer(models.BPE())
tok.pre_tokenizer, tok.decoder = pre_tokenizers.ByteLevel(add_prefix_space=False), decoders.ByteLevel()
specials = ["<unk>", "<s>", "</s>", "<pad>"]
tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=16000 if shape == "7b" else 1000, special_tokens=specials,
                                                   initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>",
                               pad_token="<pad>", model_max_length=4096, chat_template=CHAT)
if shape == "7b":
    config, dtype, device = dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                                 num_attention_heads=32), torch.bfloat16, "cuda"
else:
    config, dtype, device = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                 num_attention_heads=4), torch.float32, "cpu"
torch.set_default_dtype(dtype)
with torch.device(device):
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(fast), max_position_embeddings=4096, bos_token_id=1,
                                         eos_token_id=2, pad_token_id=3, **config))
model.save_pretrained(out)
fast.save_pretrained(out)
print(f"{shape} model in {out}: {sum(p.numel() for p in model.parameters()):,} parameters")
PYTHON

PRECISION=$([[ $SHAPE == 7b ]] && echo bfloat16 || echo float32)
"$PY" bench/generate_vs_cli.py --harness-only --device "$DEVICE" --model-dir "$MODEL_DIR" --batch-size "$BATCH" \
  --questions "$QUESTIONS" --max-gen-toks "$MAX_GEN_TOKS" --precision "$PRECISION"

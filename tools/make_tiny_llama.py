# Copied from ../shared/wire-recordings/make_tiny_llama.py (the script that made the model behind those
# recordings), reformatted for ruff; the behaviour is unchanged. It makes a tiny random-weight Llama
# (2 layers, hidden size 256, a 1,000-token byte-level BPE vocabulary trained on the given text, a
# Llama-3-style chat template) in OUT_DIR, with transformers + tokenizers only: no download.
# Its replies are gibberish by design; what matters is the shape of the server's responses.
# Usage (with the vLLM venv's python, which has both): python tools/make_tiny_llama.py OUT_DIR TEXT_FILE
# ruff: noqa: S106  (the *_token arguments name tokenizer tokens, not passwords)
"""A tiny random-weight Llama model with a locally trained BPE tokenizer and a chat template."""

import json
import pathlib
import sys

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
text = pathlib.Path(sys.argv[2]).read_text()
lines = [line for line in text.splitlines() if line.strip()] * 3
special = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<unk>"]
tok = Tokenizer(models.BPE(unk_token="<unk>"))
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tok.decoder = decoders.ByteLevel()
tok.train_from_iterator(
    lines,
    trainers.BpeTrainer(vocab_size=1000, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()),
)
template = (
    "{{ bos_token }}{% for message in messages %}<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n"
    "{{ message['content'] }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)
fast = PreTrainedTokenizerFast(
    tokenizer_object=tok,
    bos_token="<|begin_of_text|>",
    eos_token="<|eot_id|>",
    unk_token="<unk>",
    pad_token="<|end_of_text|>",
)
fast.chat_template = template
fast.save_pretrained(out)
cfg_path = out / "tokenizer_config.json"
cfg = json.loads(cfg_path.read_text())
cfg["chat_template"] = template  # make sure it is in tokenizer_config.json itself
cfg_path.write_text(json.dumps(cfg, indent=2))
vocab = tok.get_vocab_size()
config = LlamaConfig(
    vocab_size=vocab,
    hidden_size=256,
    intermediate_size=512,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=4,
    max_position_embeddings=2048,
    bos_token_id=fast.bos_token_id,
    eos_token_id=fast.eos_token_id,
    pad_token_id=fast.pad_token_id,
    torch_dtype="float32",
    tie_word_embeddings=False,
)
torch.manual_seed(0)
model = LlamaForCausalLM(config)
model.save_pretrained(out, safe_serialization=True)
print("vocab", vocab, "files", sorted(p.name for p in out.iterdir()))

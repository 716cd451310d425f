"""Turn text into vectors. The offline default uses the static embeddings shipped in `wordllama`.

The `wordllama` wheel carries 256-dimensional token embeddings distilled from an LLM and their
tokenizer, so retrieval by meaning works with no download and no GPU. Its own loader looks for
the files in a cache folder and then tries the network; we load the packaged files directly.
Any other backend (for example an OpenAI-compatible `/embeddings` endpoint) only has to satisfy
the `Embedder` protocol.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

WORDLLAMA_WEIGHTS = "weights/l2_supercat_256.safetensors"
WORDLLAMA_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"


class Embedder(Protocol):
    """Anything that maps texts to L2-normalised float32 vectors of a fixed dimension."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Return one normalised row per text, shape (len(texts), dim)."""
        ...


class WordLlamaEmbedder:
    """Offline embeddings from the weights packaged inside the `wordllama` wheel."""

    name = "wordllama-l2-supercat-256"
    dim = 256

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Return one normalised 256-d vector per text (the model loads on first use)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = _load_wordllama().embed(list(texts), norm=True)
        return np.asarray(vectors, dtype=np.float32)


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


@lru_cache(maxsize=1)
def get_embedder() -> Embedder:
    """Return the process-wide default embedder."""
    return WordLlamaEmbedder()

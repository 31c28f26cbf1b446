"""Ready-made models built from nnkit's layers: :class:`CharTransformer`, a decoder-only language model."""

from __future__ import annotations

import numpy as np

from ._config import DTypeLike, RngLike, as_float_dtype, as_rng, check_int
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
      ``positions="learned"``, or the fixed :func:`sinusoidal_positions` with ``"sinusoidal"``;
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
        if positions not in ("learned", "sinusoidal"):
            raise ValueError(f"{where} expected positions 'learned' or 'sinusoidal', got {positions!r}")
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
        x = x + (self.pos_emb(np.arange(t)) if self.pos_emb is not None else self._codes[:t])
        self.save_for_backward(None)
        return self.head(self.encoder(x, is_causal=True))

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> None:
        _ = self.saved_tensors  # forward ran (and backward was not called twice)
        g = self.encoder.backward(self.head.backward(grad_output))
        self.tok_emb.backward(g)
        if self.pos_emb is not None:
            self.pos_emb.backward(g.sum(axis=0))  # the same positions in every sequence of the batch
        return None


__all__ = ["CharTransformer", "sinusoidal_positions"]

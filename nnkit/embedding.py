"""A lookup table of learned vectors: :class:`Embedding`, as ``torch.nn.Embedding``."""

from __future__ import annotations

import numpy as np

from ._config import DTypeLike, RngLike, as_float_dtype, as_rng, check_int
from .module import Module, Parameter


class Embedding(Module):
    """Row ``i`` of ``weight`` is the vector of token ``i``: ``y[..., :] = weight[x[...], :]``.

    Shapes: integer ``x`` of any shape ``(*)`` -> ``y (*, embedding_dim)``;
    ``weight (num_embeddings, embedding_dim)``. It is a :class:`~nnkit.Linear` layer without bias
    applied to one-hot vectors, ``y = onehot(x) @ weight``, computed as a lookup.

    Backward: ``dweight[i] += Σ_{positions p with x[p] = i} dy[p]``: an index that appears several
    times collects the gradient of each appearance. Backward returns ``None``: the indices are
    integers, and there is no gradient with respect to them (PyTorch gives none either).

    ``padding_idx`` (negative counts from the end, as in PyTorch) marks a padding token: its row
    starts at zero and gets no gradient, so it stays what it is. Initialization is PyTorch's:
    every entry ``~ N(0, 1)``, drawn from ``rng``. An index outside ``[0, num_embeddings)``, or a
    non-integer input, raises an error (PyTorch raises too); a negative index is not counted from
    the end.

    >>> import numpy as np
    >>> emb = Embedding(10, 3, padding_idx=0, rng=0)
    >>> y = emb(np.array([[1, 2, 0], [2, 2, 9]]))
    >>> y.shape, y.dtype, bool((y[0, 2] == 0).all())
    ((2, 3, 3), dtype('float32'), True)
    >>> emb.backward(np.ones((2, 3, 3), dtype=np.float32)) is None
    True
    >>> emb.weight.grad[[0, 1, 2]]  # row 2 was looked up three times; row 0 is padding
    array([[0., 0., 0.],
           [1., 1., 1.],
           [3., 3., 3.]], dtype=float32)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        *,
        rng: RngLike = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__()
        self.num_embeddings = check_int(num_embeddings, "num_embeddings", "Embedding", minimum=1)
        self.embedding_dim = check_int(embedding_dim, "embedding_dim", "Embedding", minimum=1)
        if padding_idx is not None:
            padding_idx = check_int(padding_idx, "padding_idx", "Embedding")
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding expected padding_idx in [-{num_embeddings}, {num_embeddings}) "
                    f"(within num_embeddings), got {padding_idx}"
                )
            padding_idx %= num_embeddings  # -1 is the last row, as in PyTorch
        self.padding_idx = padding_idx
        dt = as_float_dtype(dtype, "Embedding")
        self.weight = Parameter(as_rng(rng).standard_normal((num_embeddings, embedding_dim)).astype(dt))
        if padding_idx is not None:
            self.weight.data[padding_idx] = 0

    def _name(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text if self.padding_idx is None else f"{text}, padding_idx={self.padding_idx}"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.dtype.kind not in "iu":
            raise TypeError(f"{self._name()} expected integer indices, got dtype {x.dtype}")
        if x.size and (x.min() < 0 or x.max() >= self.num_embeddings):
            bad = x[(x < 0) | (x >= self.num_embeddings)].flat[0]
            raise IndexError(
                f"{self._name()} expected indices in [0, {self.num_embeddings}), got {bad} (input of shape {x.shape})"
            )
        x = x.astype(np.intp, copy=False)
        self.save_for_backward(x)
        return np.take(self.weight.data, x, axis=0)

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> None:
        (x,) = self.saved_tensors
        dy = np.asarray(grad_output)
        expected = (*x.shape, self.embedding_dim)
        if dy.shape != expected:
            raise ValueError(f"{self._name()}.backward expected grad_output of shape {expected}, got shape {dy.shape}")
        grad, d = self.weight.grad, self.embedding_dim
        kept = None if self.padding_idx is None else grad[self.padding_idx].copy()
        # One scatter-add over the flat gradient: element (i, j) of weight is flat position i·d + j.
        # (np.add.at on 1-D indices is 2-4x faster than on rows, and than np.bincount; measured.)
        dy = dy.astype(grad.dtype, copy=False)
        if grad.flags.c_contiguous:
            np.add.at(grad.reshape(-1), (x.reshape(-1, 1) * d + np.arange(d)).reshape(-1), dy.reshape(-1))
        else:  # a grad someone replaced by a strided view: reshape would copy it, so add by rows
            np.add.at(grad, x.reshape(-1), dy.reshape(-1, d))
        if kept is not None:
            grad[self.padding_idx] = kept  # the padding row gets no gradient
        return None

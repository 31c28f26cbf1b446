"""Activation functions as modules, each with its backward.

Every activation acts element-wise (softmax along ``dim``) and keeps the shape:
``x (*) -> y (*)``. The backward multiplies ``grad_output`` by the local derivative;
it never changes ``grad_output`` in place.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from .module import Module


class Sigmoid(Module):
    """``y = σ(x) = 1 / (1 + e^-x)``. Backward: ``dx = dy * y * (1 - y)``.

    >>> import numpy as np
    >>> Sigmoid()(np.array([0.0]))
    array([0.5])
    """

    def __init__(self) -> None:
        super().__init__()
        self._y: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = F.sigmoid(x)
        return self._y

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        y = self._cached(self._y)
        return grad_output * (y * (1 - y))


class Tanh(Module):
    """``y = tanh(x)``. Backward: ``dx = dy * (1 - y^2)``.

    >>> import numpy as np
    >>> Tanh()(np.array([0.0]))
    array([0.])
    """

    def __init__(self) -> None:
        super().__init__()
        self._y: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = F.tanh(x)
        return self._y

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        y = self._cached(self._y)
        return grad_output * (1 - y * y)


class ReLU(Module):
    """``y = max(0, x)``. Backward: ``dx = dy * [x > 0]`` (0 at the kink, as in PyTorch).

    >>> import numpy as np
    >>> ReLU()(np.array([-1.0, 2.0]))
    array([0., 2.])
    """

    def __init__(self) -> None:
        super().__init__()
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        self._mask = x > 0
        return F.relu(x)

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        return grad_output * self._cached(self._mask)


class LeakyReLU(Module):
    """``y = x`` for ``x > 0``, else ``negative_slope * x``.

    Backward: ``dx = dy`` where ``x > 0``, else ``negative_slope * dy``.

    >>> import numpy as np
    >>> LeakyReLU(0.1)(np.array([-1.0, 2.0]))
    array([-0.1,  2. ])
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)
        self._x: np.ndarray | None = None

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = np.asarray(x)
        return F.leaky_relu(self._x, self.negative_slope)

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        x = self._cached(self._x)
        return grad_output * F.leaky_relu_derivative(x, self.negative_slope)


class ELU(Module):
    """``y = x`` for ``x > 0``, else ``alpha (e^x - 1)``.

    Backward: ``dx = dy`` where ``x > 0``, else ``dy * alpha e^x`` (``= dy * (y + alpha)``).

    >>> import numpy as np
    >>> ELU()(np.array([0.0, 2.0]))
    array([0., 2.])
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = float(alpha)
        self._x: np.ndarray | None = None

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = np.asarray(x)
        return F.elu(self._x, self.alpha)

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        x = self._cached(self._x)
        return grad_output * F.elu_derivative(x, self.alpha)


class Softmax(Module):
    """``y_i = exp(x_i) / Σ_j exp(x_j)`` along ``dim`` (stable: the maximum is subtracted first).

    Backward: ``dx = y * (dy - Σ_j dy_j y_j)``, the Jacobian ``diag(y) - y yᵀ`` applied to ``dy``.
    For classification, feed logits to :class:`~nnkit.CrossEntropyLoss` instead,
    which fuses log-softmax and is more accurate.

    >>> import numpy as np
    >>> Softmax(dim=1)(np.array([[0.0, 0.0]]))
    array([[0.5, 0.5]])
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = int(dim)
        self._y: np.ndarray | None = None

    def extra_repr(self) -> str:
        return f"dim={self.dim}"

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = F.softmax(x, self.dim)
        return self._y

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        return F.softmax_backward(self._cached(self._y), grad_output, self.dim)

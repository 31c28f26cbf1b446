"""Activation functions as modules, each with its backward.

Every activation acts element-wise (softmax along ``dim``) and keeps the shape:
``x (*) -> y (*)``. Forward keeps what the backward needs with ``save_for_backward``
(the output, the input or a mask). The backward multiplies ``grad_output`` by the local
derivative; it never changes ``grad_output`` in place.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from ._config import check_int, check_real
from .module import Module


class Sigmoid(Module):
    """``y = σ(x) = 1 / (1 + e^-x)``. Backward: ``dx = dy * y * (1 - y)``.

    >>> import numpy as np
    >>> Sigmoid()(np.array([0.0]))
    array([0.5])
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = F.sigmoid(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        (y,) = self.saved_tensors
        return grad_output * (y * (1 - y))


class Tanh(Module):
    """``y = tanh(x)``. Backward: ``dx = dy * (1 - y^2)``.

    >>> import numpy as np
    >>> Tanh()(np.array([0.0]))
    array([0.])
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = F.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        (y,) = self.saved_tensors
        return grad_output * (1 - y * y)


class ReLU(Module):
    """``y = max(0, x)``. Backward: ``dx = dy * [x > 0]`` (0 at the kink, as in PyTorch).

    >>> import numpy as np
    >>> ReLU()(np.array([-1.0, 2.0]))
    array([0., 2.])
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = F.relu(x)
        self.save_for_backward(y > 0)  # the same mask as x > 0
        return y

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        (mask,) = self.saved_tensors
        return grad_output * mask


class LeakyReLU(Module):
    """``y = x`` for ``x > 0``, else ``negative_slope * x``.

    Backward: ``dx = dy`` where ``x > 0``, else ``negative_slope * dy``.

    >>> import numpy as np
    >>> LeakyReLU(0.1)(np.array([-1.0, 2.0]))
    array([-0.1,  2. ])
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_real(negative_slope, "negative_slope", "LeakyReLU")

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return F.leaky_relu(x, self.negative_slope)

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        (x,) = self.saved_tensors
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
        self.alpha = check_real(alpha, "alpha", "ELU")

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return F.elu(x, self.alpha)

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        (x,) = self.saved_tensors
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
        self.dim = check_int(dim, "dim", "Softmax")

    def extra_repr(self) -> str:
        return f"dim={self.dim}"

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = F.softmax(x, self.dim)
        self.save_for_backward(y)
        return y

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        (y,) = self.saved_tensors
        return F.softmax_backward(y, grad_output, self.dim)


class GELU(Module):
    """``y = x Φ(x)``, ``Φ`` the standard normal CDF; with ``approximate='tanh'``,
    ``y = ½ x (1 + tanh(√(2/π) (x + 0.044715 x³)))``.

    Backward: ``dx = dy * (Φ(x) + x φ(x))``, ``φ`` the standard normal density (for the tanh
    form, see :func:`~nnkit.functional.gelu_derivative`). Shapes: ``x (*) -> y (*)``.
    As ``torch.nn.GELU``, to rounding; the exact form is slower than the others, as
    NumPy has no erf (see :func:`~nnkit.functional.gelu`).

    >>> import numpy as np
    >>> GELU()(np.array([0.0, 1.0]))
    array([0.        , 0.84134475])
    >>> GELU(approximate="tanh")
    GELU(approximate='tanh')
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = F._gelu_approximate(approximate, "GELU")

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return F.gelu(x, self.approximate)

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        (x,) = self.saved_tensors
        return grad_output * F.gelu_derivative(x, self.approximate)


class SiLU(Module):
    """``y = x σ(x)`` (SiLU, also called swish). Backward: ``dx = dy * σ(x) (1 + x (1 - σ(x)))``.

    Shapes: ``x (*) -> y (*)``. As ``torch.nn.SiLU``.

    >>> import numpy as np
    >>> SiLU()(np.array([0.0, 1.0]))
    array([0.        , 0.73105858])
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return F.silu(x)

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        (x,) = self.saved_tensors
        return grad_output * F.silu_derivative(x)


class Softplus(Module):
    """``y = (1/β) log(1 + e^(βx))``, a smooth ReLU; ``y = x`` where ``βx > threshold``.

    Backward: ``dx = dy * σ(βx)``, and ``dx = dy`` where ``βx > threshold``.
    Shapes: ``x (*) -> y (*)``. As ``torch.nn.Softplus``, with ``beta > 0``
    (see :func:`~nnkit.functional.softplus`).

    >>> import numpy as np
    >>> Softplus()(np.array([0.0, 100.0]))
    array([  0.69314718, 100.        ])
    >>> Softplus(beta=2, threshold=10)
    Softplus(beta=2.0, threshold=10.0)
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = F._softplus_args(beta, threshold, "Softplus")

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return F.softplus(x, self.beta, self.threshold)

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        (x,) = self.saved_tensors
        return grad_output * F.softplus_derivative(x, self.beta, self.threshold)

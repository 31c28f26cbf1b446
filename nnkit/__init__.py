"""nnkit: a small, fast, vectorized NumPy neural-network framework with PyTorch's names.

The companion package of the textbook *How Neural Networks Learn*. Layers, activations,
losses and the core classes live at the top level; everything else in submodules:
``nnkit.functional``, ``nnkit.init``, ``nnkit.optim``, ``nnkit.gradcheck``,
``nnkit.data`` and ``nnkit.train``.

>>> import numpy as np, nnkit
>>> _ = nnkit.manual_seed(0)
>>> model = nnkit.Sequential(nnkit.Linear(2, 8), nnkit.Tanh(), nnkit.Linear(8, 2))
>>> logits = model(np.zeros((5, 2), dtype=np.float32))
>>> logits.shape, logits.dtype
((5, 2), dtype('float32'))
"""

from . import data, diagnostics, functional, gradcheck, init, models, optim, train
from ._config import get_default_dtype, manual_seed, set_default_dtype
from .activations import ELU, GELU, LeakyReLU, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh
from .attention import MultiheadAttention
from .clip import clip_grad_norm_, clip_grad_value_
from .conv import Conv1d, Conv2d
from .embedding import Embedding
from .layers import Dropout, Flatten, Linear
from .losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from .module import Module, Parameter, Sequential
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
from .recurrent import GRU, LSTM, RNN
from .serialization import load, save
from .transformer import TransformerEncoder, TransformerEncoderLayer

__version__ = "0.1.0"

__all__ = [
    "ELU",
    "GELU",
    "GRU",
    "LSTM",
    "RNN",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "MSELoss",
    "MaxPool1d",
    "MaxPool2d",
    "Module",
    "MultiheadAttention",
    "Parameter",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "clip_grad_norm_",
    "clip_grad_value_",
    "data",
    "diagnostics",
    "functional",
    "get_default_dtype",
    "gradcheck",
    "init",
    "load",
    "manual_seed",
    "models",
    "optim",
    "save",
    "set_default_dtype",
    "train",
]

"""``tinygan.nn.functional``: the same ops as ``tinygan.functional`` (PyTorch's import path)."""

from tinygan.functional import *  # noqa: F403
from tinygan.functional import __all__  # noqa: F401

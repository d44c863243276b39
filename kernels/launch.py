"""Launching the Numba-CUDA kernels: grid sizes, CuPy's stream, arrays of the caller's module.

The kernel wrappers in ``cuda_conv``, ``cuda_norm`` and ``cuda_activation`` take arrays and
return arrays of the same array module, so one wrapper serves two worlds:

- on a GPU, CuPy arrays: outputs are allocated with CuPy, the arrays are handed to Numba as
  views of the same GPU memory, and kernels run on CuPy's current stream, so they are ordered
  with the CuPy ops (GEMMs, elementwise math) around them without any synchronisation;
- under Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``, no GPU needed), NumPy arrays:
  the simulator runs the kernel body in Python threads, which is how CI tests the kernels.

Kernels loop over their elements with a grid-stride loop (``for i in range(start, n, step)``).
On a GPU the grid has one thread per element, so each thread does one iteration. The
simulator starts a Python thread per CUDA thread (about a millisecond each), so there the
grid is capped at a few small blocks and each thread walks many elements: same code, same
results, tests that finish in seconds.
"""

from __future__ import annotations

import functools
from typing import Any

import numba
from numba import cuda

SIMULATOR = bool(numba.config.ENABLE_CUDASIM)

# 256 threads per block is the usual sweet spot for memory-bound kernels. The simulator gets
# 2 blocks of 4 threads: still several blocks and threads, so indexing bugs show up.
THREADS_PER_BLOCK = 4 if SIMULATOR else 256
MAX_BLOCKS = 2 if SIMULATOR else 2**31 - 1  # the hardware limit of gridDim.x


def blocks_for(n: int) -> int:
    """Blocks of ``THREADS_PER_BLOCK`` threads to cover ``n`` elements (at least 1, at most ``MAX_BLOCKS``)."""
    return max(1, min(-(-n // THREADS_PER_BLOCK), MAX_BLOCKS))


@functools.cache
def _numba_stream(pointer: int) -> Any:
    # A Numba handle on a stream CuPy owns; cached because wrapping costs more than a launch.
    return cuda.external_stream(pointer)


def current_stream() -> Any:
    """The stream to launch on: CuPy's current stream on a GPU, the default one in the simulator."""
    if SIMULATOR:
        return 0
    import cupy

    return _numba_stream(cupy.cuda.get_current_stream().ptr)


def as_kernel_array(array: Any) -> Any:
    """What a kernel argument must be: a Numba view of a CuPy array's memory (``sync=False``:
    the kernel runs on the same stream, so waiting for that stream first would only stall the
    host), or the NumPy array itself in the simulator."""
    if hasattr(array, "__cuda_array_interface__"):
        return cuda.as_cuda_array(array, sync=False)
    return array


def launch(kernel: Any, n: int, *args: Any, threads: int | None = None, blocks: int | None = None) -> None:
    """Run ``kernel(*args)`` on the current stream with enough threads for ``n`` elements.

    ``threads``/``blocks`` override the 1-D sizing, e.g. for one block per channel.
    """
    if n == 0:
        return
    threads = threads or THREADS_PER_BLOCK
    blocks = blocks or blocks_for(n)
    kernel[blocks, threads, current_stream()](*(as_kernel_array(a) for a in args))

"""Keep freed memory for the next step: training allocates the same large tensors over and over.

glibc's malloc gives every block above a threshold (128 KB, rising with use) straight back to the operating system
when it is freed, so each step's activations and gradients (megabytes each) arrive as fresh pages: about 600 page
faults per step for three stacked CNNs, and zeroed pages the CPU has to write again. Raising the thresholds keeps that
memory in the process for reuse: the same numbers, 1.1-1.5x faster steps on CPU (benchmarks/README.md).
"""

import ctypes
import functools
import os
import platform

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3  # mallopt parameters, from glibc's malloc.h
SETTINGS = {
    M_MMAP_THRESHOLD: 32 * 2**20,  # the largest value glibc accepts: blocks up to 32 MB come from the heap
    M_TRIM_THRESHOLD: 512 * 2**20,  # keep up to 512 MB of freed heap before returning any to the system
    M_TOP_PAD: 64 * 2**20,  # grow the heap 64 MB at a time (fewer, larger steps)
}


@functools.cache
def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds once per process; True if they are set (Linux with glibc only).

    Left alone when the user chose for themselves (MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ set, or another
    allocator preloaded with LD_PRELOAD), and on other systems, whose allocators do not have this problem.
    """
    chosen = any(name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "LD_PRELOAD"))
    if chosen or platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL("libc.so.6")
    return all([libc.mallopt(parameter, value) == 1 for parameter, value in SETTINGS.items()])

"""The machine a benchmark ran on, for the ``"machine"`` entry of its JSON (shared by the scripts).

Run as ``python benchmarks/<script>.py``, a script finds this module beside it.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import torch


def machine(device: torch.device, **extra: Any) -> dict[str, Any]:
    """Device, versions, CPU model, core and thread counts (and the GPU's name on CUDA), then
    ``extra``: what a script adds for its own results."""
    info: dict[str, Any] = {
        "device": device.type,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": cpu_name(),
        "cpu_count": os.cpu_count(),
        "threads": torch.get_num_threads(),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info | extra


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else ``platform.processor()``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()

"""Shared test set-up: deterministic seeds, few CPU threads, CUDA marker."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

# Tiny models on a 2-core machine: one intra-op thread is faster than two fighting.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed_everything() -> None:
    random.seed(0)
    np.random.seed(0)  # noqa: NPY002 - tests may use the legacy global RNG
    torch.manual_seed(0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)

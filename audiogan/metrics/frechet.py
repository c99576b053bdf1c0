"""Fréchet distance between Gaussians fitted to embeddings (FID / FAD style), numerically stable."""

from __future__ import annotations

import numpy as np
import torch

ArrayLike = torch.Tensor | np.ndarray


def gaussian_statistics(embeddings: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and covariance of a set of embeddings, in float64.

    Args:
        embeddings: ``(n, dim)`` with ``n >= 2``.

    Returns:
        ``mu`` ``(dim,)`` and ``sigma`` ``(dim, dim)``, the unbiased (``n - 1``) covariance as in
        ``numpy.cov`` and the FID reference code.

    Raises:
        ValueError: If ``embeddings`` is not 2-d with at least two rows, or is not finite.
    """
    x = _as_float64(embeddings, "embeddings")
    if x.dim() != 2 or x.shape[0] < 2:
        raise ValueError(
            f"embeddings: expected shape (n >= 2, dim) (items, features), got {tuple(x.shape)}"
        )
    if not torch.isfinite(x).all():
        raise ValueError("embeddings: contains NaN or infinite values")
    mu = x.mean(dim=0)
    centred = x - mu
    sigma = centred.T @ centred / (x.shape[0] - 1)
    return mu, sigma


def frechet_distance(mu1: ArrayLike, sigma1: ArrayLike, mu2: ArrayLike, sigma2: ArrayLike) -> float:
    """Fréchet (2-Wasserstein) distance between two Gaussians, squared.

    ``d² = ||mu1 - mu2||² + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^½)`` (Dowson & Landau 1982; FID,
    Heusel et al. 2017). The trace of the matrix square root is computed stably as the sum of the
    square roots of the eigenvalues of the symmetric PSD matrix ``sigma1^½ sigma2 sigma1^½`` (which
    has the same eigenvalues as ``sigma1 sigma2``), in float64, with tiny negative eigenvalues from
    round-off clamped to 0. This needs no ``scipy.linalg.sqrtm`` and never returns complex values;
    singular covariances (fewer samples than dimensions) are fine.

    Args:
        mu1: ``(dim,)`` mean of the first Gaussian.
        sigma1: ``(dim, dim)`` its covariance (symmetric positive semi-definite).
        mu2: ``(dim,)`` mean of the second Gaussian.
        sigma2: ``(dim, dim)`` its covariance.

    Returns:
        The squared distance, ``>= 0`` (a round-off negative result is clamped to 0).

    Raises:
        ValueError: If the shapes do not match ``(dim,)``, ``(dim, dim)`` for one ``dim``.
    """
    m1 = _as_float64(mu1, "mu1")
    s1, m2, s2 = (
        _as_float64(value, name).to(m1.device)
        for value, name in ((sigma1, "sigma1"), (mu2, "mu2"), (sigma2, "sigma2"))
    )
    if m1.dim() != 1:
        raise ValueError(f"mu1: expected shape (dim,), got {tuple(m1.shape)}")
    dim = m1.shape[0]
    for name, value, shape in (
        ("sigma1", s1, (dim, dim)),
        ("mu2", m2, (dim,)),
        ("sigma2", s2, (dim, dim)),
    ):
        if tuple(value.shape) != shape:
            raise ValueError(
                f"{name}: expected shape {shape} (dim = {dim} from mu1), got {tuple(value.shape)}"
            )
    root1 = _psd_sqrt(s1)
    middle = root1 @ s2 @ root1
    eigenvalues = torch.linalg.eigvalsh((middle + middle.T) / 2)
    trace_sqrt = eigenvalues.clamp(min=0).sqrt().sum()
    distance = (m1 - m2).square().sum() + torch.trace(s1) + torch.trace(s2) - 2 * trace_sqrt
    return max(float(distance), 0.0)


def frechet_embedding_distance(real_embeddings: ArrayLike, fake_embeddings: ArrayLike) -> float:
    """Fréchet distance between Gaussians fitted to two sets of embeddings.

    With a classifier trained on the real data as the embedding network, this is the audio analogue
    of FID (as FAD uses VGGish embeddings).

    Args:
        real_embeddings: ``(n_real, dim)``, ``n_real >= 2``.
        fake_embeddings: ``(n_fake, dim)``, ``n_fake >= 2``.

    Returns:
        The squared Fréchet distance, ``>= 0``; about 0 for identical sets.
    """
    mu1, sigma1 = gaussian_statistics(real_embeddings)
    mu2, sigma2 = gaussian_statistics(fake_embeddings)
    if mu1.shape != mu2.shape:
        raise ValueError(
            f"fake_embeddings: expected dim {mu1.shape[0]} like real_embeddings, got {mu2.shape[0]}"
        )
    return frechet_distance(mu1, sigma1, mu2, sigma2.to(mu1.device))


def _psd_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    """Symmetric square root of a symmetric PSD matrix by eigen-decomposition (negatives clamped)."""
    eigenvalues, eigenvectors = torch.linalg.eigh((matrix + matrix.T) / 2)
    return (eigenvectors * eigenvalues.clamp(min=0).sqrt()) @ eigenvectors.T


def _as_float64(value: ArrayLike, name: str) -> torch.Tensor:
    """Convert a tensor or array to a float64 tensor (same device for tensors)."""
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.asarray(value, dtype=np.float64))
    if isinstance(value, torch.Tensor):
        return value.detach().to(torch.float64)
    raise ValueError(f"{name}: expected a torch.Tensor or numpy array, got {type(value).__name__}")

"""The operations behind the augmentation transforms, as pure functions of explicit arguments.

Each takes a batch and one parameter per sample (a shift, a band), so a transform's random draw
is separate from its application (:class:`~audiogan.augment.transform.Transform`). All are
differentiable with respect to ``x``: shifts are a ``gather`` and masks a ``masked_fill``, so
the gradient reaches every position that stays in the output (DiffAugment, Zhao et al. 2020).
"""

from __future__ import annotations

import torch

__all__ = ["band_mask", "shift_along", "uniform"]


def uniform(
    shape: tuple[int, ...], device: torch.device, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Draws from U[0, 1) in float32 on ``device``.

    Args:
        shape: The shape of the draws, e.g. ``(batch,)``.
        device: Where the result goes.
        generator: Draw from this generator (on its own device, then moved), or None for the
            global RNG of ``device`` (which a Trainer seeds and checkpoints).
    """
    if generator is None:
        return torch.rand(shape, device=device)
    return torch.rand(shape, generator=generator, device=generator.device).to(device)


def _per_sample(values: torch.Tensor, x: torch.Tensor, dim: int, length: int) -> torch.Tensor:
    """``(batch, length)`` values viewed to broadcast against ``x`` with ``length`` at ``dim``."""
    shape = [1] * x.ndim
    shape[0], shape[dim] = x.shape[0], length
    return values.view(shape)


def _check(x: torch.Tensor, values: torch.Tensor, dim: int, owner: str) -> int:
    """Check the per-sample ``values (batch,)`` against ``x``; return ``dim`` as a positive axis."""
    if x.ndim < 2:
        raise ValueError(f"{owner}: expected x of shape (batch, ...), got {tuple(x.shape)}")
    if values.shape != (x.shape[0],):
        raise ValueError(
            f"{owner}: expected one value per sample, shape ({x.shape[0]},), "
            f"got {tuple(values.shape)}"
        )
    if not -x.ndim < dim < x.ndim or dim % x.ndim == 0:
        raise ValueError(f"{owner}: dim {dim} is not a non-batch axis of shape {tuple(x.shape)}")
    return dim % x.ndim


def shift_along(
    x: torch.Tensor,
    shifts: torch.Tensor,
    dim: int,
    *,
    circular: bool = True,
    fill: float = 0.0,
) -> torch.Tensor:
    """Shift each sample of ``x`` along ``dim`` by its own whole number of positions.

    ``out[b, ..., t, ...] = x[b, ..., t - shifts[b], ...]``: a positive shift moves the content
    later (to higher indices). Circular shifts wrap around; otherwise the positions the content
    left hold ``fill`` and what moves past the end is dropped.

    Args:
        x: ``(batch, ...)``, e.g. ``(batch, channels, freq, frames)`` with ``dim=-1``.
        shifts: Integer shifts ``(batch,)`` (floats are truncated toward zero).
        dim: The axis to shift along (not the batch axis).
        circular: Wrap around (True) or fill (False).
        fill: The value of the emptied positions when not circular.

    Returns:
        A tensor of ``x``'s shape and dtype.

    Example:
        >>> shift_along(torch.arange(4.0).repeat(2, 1), torch.tensor([1, -1]), dim=1)
        tensor([[3., 0., 1., 2.],
                [1., 2., 3., 0.]])
        >>> shift_along(torch.arange(4.0)[None], torch.tensor([2]), dim=1, circular=False, fill=-1)
        tensor([[-1., -1.,  0.,  1.]])
    """
    dim = _check(x, shifts, dim, "shift_along")
    length = x.shape[dim]
    source = torch.arange(length, device=x.device) - shifts.to(x.device).long()[:, None]
    if circular:
        source = source.remainder(length)  # (batch, length), in [0, length)
    else:
        valid = (source >= 0) & (source < length)  # (batch, length)
        source = source.clamp(0, length - 1)
    index = _per_sample(source, x, dim, length).expand_as(x)
    out = x.gather(dim, index)
    if not circular:
        out = out.masked_fill(~_per_sample(valid, x, dim, length), fill)
    return out


def band_mask(
    x: torch.Tensor,
    starts: torch.Tensor,
    widths: torch.Tensor,
    dim: int,
    *,
    fill: float = 0.0,
) -> torch.Tensor:
    """Set a band ``[starts[b], starts[b] + widths[b])`` along ``dim`` of each sample to ``fill``.

    SpecAugment's time and frequency masks (Park et al. 2019), DiffAugment's cutout along one axis.
    A width of 0 leaves the sample as it is.

    Args:
        x: ``(batch, ...)``, e.g. ``(batch, channels, freq, frames)``.
        starts: First masked index of each sample ``(batch,)``.
        widths: Masked positions of each sample ``(batch,)`` (0: none).
        dim: The axis of the band (not the batch axis).
        fill: The value inside the band.

    Returns:
        A tensor of ``x``'s shape and dtype; its gradient is zero inside the bands.

    Example:
        >>> band_mask(torch.ones(1, 5), torch.tensor([1]), torch.tensor([2]), dim=1)
        tensor([[1., 0., 0., 1., 1.]])
    """
    dim = _check(x, starts, dim, "band_mask")
    _check(x, widths, dim, "band_mask")
    length = x.shape[dim]
    positions = torch.arange(length, device=x.device)
    starts = starts.to(x.device).long()[:, None]
    inside = (positions >= starts) & (positions < starts + widths.to(x.device).long()[:, None])
    return x.masked_fill(_per_sample(inside, x, dim, length), fill)

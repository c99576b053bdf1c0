"""Ports of the reference implementations the vocoder blocks are tested against.

Each class or function below restates the named file of the named repository (read with the
search tool), trimmed to the configuration under test and written with today's PyTorch
(``torch.nn.utils.parametrizations.weight_norm``, whose state-dict keys are audiogan's). They
are test fixtures, not library code.
"""

from __future__ import annotations

import math

import einops
import torch
from torch import nn


class VocosISTFT(nn.Module):
    """gemelo-ai/vocos ``spectral_ops.py`` ``ISTFT`` with ``padding="same"`` (the reference)."""

    def __init__(self, n_fft: int, hop_length: int, win_length: int) -> None:
        super().__init__()
        self.n_fft, self.hop_length, self.win_length = n_fft, hop_length, win_length
        self.register_buffer("window", torch.hann_window(win_length))

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        pad = (self.win_length - self.hop_length) // 2
        B, N, T = spec.shape
        ifft = torch.fft.irfft(spec, self.n_fft, dim=1, norm="backward")
        ifft = ifft * self.window[None, :, None]
        output_size = (T - 1) * self.hop_length + self.win_length
        y = torch.nn.functional.fold(
            ifft,
            output_size=(1, output_size),
            kernel_size=(1, self.win_length),
            stride=(1, self.hop_length),
        )[:, 0, 0, pad:-pad]
        window_sq = self.window.square().expand(1, T, -1).transpose(1, 2)
        window_envelope = torch.nn.functional.fold(
            window_sq,
            output_size=(1, output_size),
            kernel_size=(1, self.win_length),
            stride=(1, self.hop_length),
        ).squeeze()[pad:-pad]
        assert (window_envelope > 1e-11).all()
        return y / window_envelope


class VocosISTFTHead(nn.Module):
    """gemelo-ai/vocos ``heads.py`` ``ISTFTHead`` (input ``(B, L, H)``, output ``(B, T)``)."""

    def __init__(self, dim: int, n_fft: int, hop_length: int) -> None:
        super().__init__()
        self.out = torch.nn.Linear(dim, n_fft + 2)
        self.istft = VocosISTFT(n_fft, hop_length, n_fft)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.out(x).transpose(1, 2)
        mag, p = x.chunk(2, dim=1)
        mag = torch.exp(mag)
        mag = torch.clip(mag, max=1e2)
        S = mag * (torch.cos(p) + 1j * torch.sin(p))
        return self.istft(S)


class RefConvNeXtBlock(nn.Module):
    """gemelo-ai/vocos ``modules.py`` ``ConvNeXtBlock`` (no AdaLayerNorm)."""

    def __init__(self, dim: int, intermediate_dim: int, layer_scale_init_value: float) -> None:
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, intermediate_dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(intermediate_dim, dim)
        self.gamma = nn.Parameter(layer_scale_init_value * torch.ones(dim), requires_grad=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x
        x = self.dwconv(x)
        x = x.transpose(1, 2)
        x = self.norm(x)
        x = self.pwconv1(x)
        x = self.act(x)
        x = self.pwconv2(x)
        x = self.gamma * x
        x = x.transpose(1, 2)
        return residual + x


class RefVocos(nn.Module):
    """gemelo-ai/vocos ``VocosBackbone`` + ``ISTFTHead(padding="same")``, ``(B, C, L) -> (B, T)``."""

    def __init__(self, input_channels, dim, intermediate_dim, num_layers, n_fft, hop_length):
        super().__init__()
        self.embed = nn.Conv1d(input_channels, dim, kernel_size=7, padding=3)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.convnext = nn.ModuleList(
            [RefConvNeXtBlock(dim, intermediate_dim, 1 / num_layers) for _ in range(num_layers)]
        )
        self.final_layer_norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = VocosISTFTHead(dim, n_fft, hop_length)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x)
        x = self.norm(x.transpose(1, 2))
        x = x.transpose(1, 2)
        for conv_block in self.convnext:
            x = conv_block(x)
        x = self.final_layer_norm(x.transpose(1, 2))
        return self.head(x)


# --- rishikksh20/iSTFTNet-pytorch models.py: Generator, ResBlock1 ------------------------------

LRELU_SLOPE = 0.1


def _wn(module: nn.Module) -> nn.Module:
    return nn.utils.parametrizations.weight_norm(module)


def _init_weights(m: nn.Module, mean: float = 0.0, std: float = 0.01) -> None:
    if m.__class__.__name__.find("Conv") != -1:
        m.weight.data.normal_(mean, std)


class RefResBlock1(nn.Module):
    def __init__(self, channels: int, kernel_size: int = 3, dilation=(1, 3, 5)) -> None:
        super().__init__()
        self.convs1 = nn.ModuleList(
            _wn(
                nn.Conv1d(
                    channels,
                    channels,
                    kernel_size,
                    1,
                    dilation=d,
                    padding=d * (kernel_size - 1) // 2,
                )
            )
            for d in dilation
        )
        self.convs2 = nn.ModuleList(
            _wn(
                nn.Conv1d(
                    channels, channels, kernel_size, 1, dilation=1, padding=(kernel_size - 1) // 2
                )
            )
            for _ in dilation
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for c1, c2 in zip(self.convs1, self.convs2, strict=False):
            xt = torch.nn.functional.leaky_relu(x, LRELU_SLOPE)
            xt = c1(xt)
            xt = torch.nn.functional.leaky_relu(xt, LRELU_SLOPE)
            xt = c2(xt)
            x = xt + x
        return x


class RefISTFTNetGenerator(nn.Module):
    """The reference Generator up to ``conv_post``: returns ``(spec, phase)`` as it does."""

    def __init__(
        self,
        num_mels=80,
        upsample_rates=(8, 8),
        upsample_kernel_sizes=(16, 16),
        upsample_initial_channel=512,
        resblock_kernel_sizes=(3, 7, 11),
        resblock_dilation_sizes=((1, 3, 5), (1, 3, 5), (1, 3, 5)),
        gen_istft_n_fft=16,
    ) -> None:
        super().__init__()
        self.num_kernels = len(resblock_kernel_sizes)
        self.num_upsamples = len(upsample_rates)
        self.conv_pre = _wn(nn.Conv1d(num_mels, upsample_initial_channel, 7, 1, padding=3))
        self.ups = nn.ModuleList()
        for i, (u, k) in enumerate(zip(upsample_rates, upsample_kernel_sizes, strict=False)):
            self.ups.append(
                _wn(
                    nn.ConvTranspose1d(
                        upsample_initial_channel // (2**i),
                        upsample_initial_channel // (2 ** (i + 1)),
                        k,
                        u,
                        padding=(k - u) // 2,
                    )
                )
            )
        self.resblocks = nn.ModuleList()
        for i in range(len(self.ups)):
            ch = upsample_initial_channel // (2 ** (i + 1))
            for k, d in zip(resblock_kernel_sizes, resblock_dilation_sizes, strict=False):
                self.resblocks.append(RefResBlock1(ch, k, d))
        self.post_n_fft = gen_istft_n_fft
        self.conv_post = _wn(nn.Conv1d(ch, self.post_n_fft + 2, 7, 1, padding=3))
        self.reflection_pad = torch.nn.ReflectionPad1d((1, 0))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.conv_pre(x)
        for i in range(self.num_upsamples):
            x = torch.nn.functional.leaky_relu(x, LRELU_SLOPE)
            x = self.ups[i](x)
            xs = None
            for j in range(self.num_kernels):
                if xs is None:
                    xs = self.resblocks[i * self.num_kernels + j](x)
                else:
                    xs += self.resblocks[i * self.num_kernels + j](x)
            x = xs / self.num_kernels
        x = torch.nn.functional.leaky_relu(x)
        x = self.reflection_pad(x)
        x = self.conv_post(x)
        spec = torch.exp(x[:, : self.post_n_fft // 2 + 1, :])
        phase = torch.sin(x[:, self.post_n_fft // 2 + 1 :, :])
        return spec, phase


# --- NVIDIA/BigVGAN activations.py and alias_free_activation/torch/ ----------------------------


class RefSnake(nn.Module):
    def __init__(self, in_features, alpha=1.0, alpha_trainable=True, alpha_logscale=False):
        super().__init__()
        self.alpha_logscale = alpha_logscale
        if self.alpha_logscale:
            self.alpha = nn.Parameter(torch.zeros(in_features) * alpha)
        else:
            self.alpha = nn.Parameter(torch.ones(in_features) * alpha)
        self.alpha.requires_grad = alpha_trainable
        self.no_div_by_zero = 0.000000001

    def forward(self, x):
        alpha = self.alpha.unsqueeze(0).unsqueeze(-1)
        if self.alpha_logscale:
            alpha = torch.exp(alpha)
        return x + (1.0 / (alpha + self.no_div_by_zero)) * pow(torch.sin(x * alpha), 2)


class RefSnakeBeta(nn.Module):
    def __init__(self, in_features, alpha=1.0, alpha_trainable=True, alpha_logscale=False):
        super().__init__()
        self.alpha_logscale = alpha_logscale
        if self.alpha_logscale:
            self.alpha = nn.Parameter(torch.zeros(in_features) * alpha)
            self.beta = nn.Parameter(torch.zeros(in_features) * alpha)
        else:
            self.alpha = nn.Parameter(torch.ones(in_features) * alpha)
            self.beta = nn.Parameter(torch.ones(in_features) * alpha)
        self.no_div_by_zero = 0.000000001

    def forward(self, x):
        alpha = self.alpha.unsqueeze(0).unsqueeze(-1)
        beta = self.beta.unsqueeze(0).unsqueeze(-1)
        if self.alpha_logscale:
            alpha = torch.exp(alpha)
            beta = torch.exp(beta)
        return x + (1.0 / (beta + self.no_div_by_zero)) * pow(torch.sin(x * alpha), 2)


def ref_kaiser_sinc_filter1d(cutoff, half_width, kernel_size):
    even = kernel_size % 2 == 0
    half_size = kernel_size // 2
    delta_f = 4 * half_width
    A = 2.285 * (half_size - 1) * math.pi * delta_f + 7.95
    if A > 50.0:
        beta = 0.1102 * (A - 8.7)
    elif A >= 21.0:
        beta = 0.5842 * (A - 21) ** 0.4 + 0.07886 * (A - 21.0)
    else:
        beta = 0.0
    window = torch.kaiser_window(kernel_size, beta=beta, periodic=False)
    if even:
        time = torch.arange(-half_size, half_size) + 0.5
    else:
        time = torch.arange(kernel_size) - half_size
    filter_ = 2 * cutoff * window * torch.sinc(2 * cutoff * time)
    filter_ /= filter_.sum()
    return filter_.view(1, 1, kernel_size)


class RefLowPassFilter1d(nn.Module):
    def __init__(self, cutoff=0.5, half_width=0.6, stride=1, kernel_size=12):
        super().__init__()
        self.kernel_size = kernel_size
        self.even = kernel_size % 2 == 0
        self.pad_left = kernel_size // 2 - int(self.even)
        self.pad_right = kernel_size // 2
        self.stride = stride
        self.register_buffer("filter", ref_kaiser_sinc_filter1d(cutoff, half_width, kernel_size))

    def forward(self, x):
        _, C, _ = x.shape
        x = torch.nn.functional.pad(x, (self.pad_left, self.pad_right), mode="replicate")
        return torch.nn.functional.conv1d(
            x, self.filter.expand(C, -1, -1), stride=self.stride, groups=C
        )


class RefUpSample1d(nn.Module):
    def __init__(self, ratio=2, kernel_size=None):
        super().__init__()
        self.ratio = ratio
        self.kernel_size = int(6 * ratio // 2) * 2 if kernel_size is None else kernel_size
        self.stride = ratio
        self.pad = self.kernel_size // ratio - 1
        self.pad_left = self.pad * self.stride + (self.kernel_size - self.stride) // 2
        self.pad_right = self.pad * self.stride + (self.kernel_size - self.stride + 1) // 2
        self.register_buffer(
            "filter",
            ref_kaiser_sinc_filter1d(0.5 / ratio, 0.6 / ratio, self.kernel_size),
        )

    def forward(self, x):
        _, C, _ = x.shape
        x = torch.nn.functional.pad(x, (self.pad, self.pad), mode="replicate")
        x = self.ratio * torch.nn.functional.conv_transpose1d(
            x, self.filter.expand(C, -1, -1), stride=self.stride, groups=C
        )
        return x[..., self.pad_left : -self.pad_right]


class RefDownSample1d(nn.Module):
    def __init__(self, ratio=2, kernel_size=None):
        super().__init__()
        self.kernel_size = int(6 * ratio // 2) * 2 if kernel_size is None else kernel_size
        self.lowpass = RefLowPassFilter1d(0.5 / ratio, 0.6 / ratio, ratio, self.kernel_size)

    def forward(self, x):
        return self.lowpass(x)


class RefActivation1d(nn.Module):
    def __init__(
        self, activation, up_ratio=2, down_ratio=2, up_kernel_size=12, down_kernel_size=12
    ):
        super().__init__()
        self.act = activation
        self.upsample = RefUpSample1d(up_ratio, up_kernel_size)
        self.downsample = RefDownSample1d(down_ratio, down_kernel_size)

    def forward(self, x):
        return self.downsample(self.act(self.upsample(x)))


# --- gemelo-ai/vocos discriminators.py DiscriminatorR (DAC's MRD, one window) -----------------


class RefDiscriminatorR(nn.Module):
    def __init__(
        self,
        window_length: int,
        channels: int = 32,
        hop_factor: float = 0.25,
        bands=((0.0, 0.1), (0.1, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.0)),
    ):
        super().__init__()
        import torchaudio

        self.spec_fn = torchaudio.transforms.Spectrogram(
            n_fft=window_length,
            hop_length=int(window_length * hop_factor),
            win_length=window_length,
            power=None,
        )
        n_fft = window_length // 2 + 1
        self.bands = [(int(b[0] * n_fft), int(b[1] * n_fft)) for b in bands]

        def convs():
            return nn.ModuleList(
                [
                    _wn(nn.Conv2d(2, channels, (3, 9), (1, 1), padding=(1, 4))),
                    _wn(nn.Conv2d(channels, channels, (3, 9), (1, 2), padding=(1, 4))),
                    _wn(nn.Conv2d(channels, channels, (3, 9), (1, 2), padding=(1, 4))),
                    _wn(nn.Conv2d(channels, channels, (3, 9), (1, 2), padding=(1, 4))),
                    _wn(nn.Conv2d(channels, channels, (3, 3), (1, 1), padding=(1, 1))),
                ]
            )

        self.band_convs = nn.ModuleList([convs() for _ in range(len(self.bands))])
        self.conv_post = _wn(nn.Conv2d(channels, 1, (3, 3), (1, 1), padding=(1, 1)))

    def spectrogram(self, x):
        x = x - x.mean(dim=-1, keepdims=True)
        x = 0.8 * x / (x.abs().max(dim=-1, keepdim=True)[0] + 1e-9)
        x = self.spec_fn(x)
        x = torch.view_as_real(x)
        x = einops.rearrange(x, "b f t c -> b c t f")
        return [x[..., b[0] : b[1]] for b in self.bands]

    def forward(self, x):
        x_bands = self.spectrogram(x)
        fmap = []
        x = []
        for band, stack in zip(x_bands, self.band_convs, strict=False):
            for i, layer in enumerate(stack):
                band = layer(band)
                band = torch.nn.functional.leaky_relu(band, 0.1)
                if i > 0:
                    fmap.append(band)
            x.append(band)
        x = torch.cat(x, dim=-1)
        x = self.conv_post(x)
        fmap.append(x)
        return x, fmap


# --- facebookresearch/encodec msstftd.py DiscriminatorSTFT ------------------------------------


def _get_2d_padding(kernel_size, dilation=(1, 1)):
    return (((kernel_size[0] - 1) * dilation[0]) // 2, ((kernel_size[1] - 1) * dilation[1]) // 2)


class RefDiscriminatorSTFT(nn.Module):
    def __init__(
        self,
        filters: int,
        n_fft: int = 1024,
        hop_length: int = 256,
        win_length: int = 1024,
        max_filters: int = 1024,
        filters_scale: int = 1,
        kernel_size=(3, 9),
        dilations=(1, 2, 4),
        stride=(1, 2),
    ):
        super().__init__()
        import torchaudio

        self.activation = nn.LeakyReLU(negative_slope=0.2)
        self.spec_transform = torchaudio.transforms.Spectrogram(
            n_fft=n_fft,
            hop_length=hop_length,
            win_length=win_length,
            window_fn=torch.hann_window,
            normalized=True,
            center=False,
            pad_mode=None,
            power=None,
        )
        self.convs = nn.ModuleList()
        self.convs.append(
            nn.Conv2d(2, filters, kernel_size=kernel_size, padding=_get_2d_padding(kernel_size))
        )
        in_chs = min(filters_scale * filters, max_filters)
        for i, dilation in enumerate(dilations):
            out_chs = min((filters_scale ** (i + 1)) * filters, max_filters)
            self.convs.append(
                _wn(
                    nn.Conv2d(
                        in_chs,
                        out_chs,
                        kernel_size=kernel_size,
                        stride=stride,
                        dilation=(dilation, 1),
                        padding=_get_2d_padding(kernel_size, (dilation, 1)),
                    )
                )
            )
            in_chs = out_chs
        out_chs = min((filters_scale ** (len(dilations) + 1)) * filters, max_filters)
        k = (kernel_size[0], kernel_size[0])
        self.convs.append(
            _wn(nn.Conv2d(in_chs, out_chs, kernel_size=k, padding=_get_2d_padding(k)))
        )
        self.conv_post = _wn(nn.Conv2d(out_chs, 1, kernel_size=k, padding=_get_2d_padding(k)))

    def forward(self, x):
        fmap = []
        z = self.spec_transform(x)
        z = torch.cat([z.real, z.imag], dim=1)
        z = einops.rearrange(z, "b c w t -> b c t w")
        for layer in self.convs:
            z = layer(z)
            z = self.activation(z)
            fmap.append(z)
        z = self.conv_post(z)
        return z, fmap


# --- NVIDIA/BigVGAN loss.py MultiScaleMelSpectrogramLoss (DAC's MelSpectrogramLoss) -----------


class RefMultiScaleMelSpectrogramLoss(nn.Module):
    def __init__(
        self,
        sampling_rate: int,
        n_mels=(5, 10, 20, 40, 80, 160, 320),
        window_lengths=(32, 64, 128, 256, 512, 1024, 2048),
        clamp_eps: float = 1e-5,
        pow: float = 1.0,
    ):
        super().__init__()
        self.sampling_rate = sampling_rate
        self.n_mels = n_mels
        self.window_lengths = window_lengths
        self.clamp_eps = clamp_eps
        self.pow = pow

    def mel_spectrogram(self, wav, n_mels, window_length, hop_length):
        from librosa.filters import mel as librosa_mel_fn
        from scipy import signal

        B, C, T = wav.shape
        window = torch.from_numpy(signal.get_window("hann", window_length)).float()
        stft = torch.stft(
            wav.reshape(-1, T),
            n_fft=window_length,
            hop_length=hop_length,
            window=window,
            return_complex=True,
            center=True,
        )
        _, nf, nt = stft.shape
        stft = stft.reshape(B, C, nf, nt)
        magnitude = torch.abs(stft)
        nf = magnitude.shape[2]
        mel_basis = librosa_mel_fn(
            sr=self.sampling_rate, n_fft=2 * (nf - 1), n_mels=n_mels, fmin=0, fmax=None
        )
        mel_basis = torch.from_numpy(mel_basis)
        mel_spectrogram = magnitude.transpose(2, -1) @ mel_basis.T
        return mel_spectrogram.transpose(-1, 2)

    def forward(self, x, y):
        loss = 0.0
        for n_mels, w in zip(self.n_mels, self.window_lengths, strict=False):
            x_mels = self.mel_spectrogram(x, n_mels, w, w // 4)
            y_mels = self.mel_spectrogram(y, n_mels, w, w // 4)
            x_logmels = torch.log(x_mels.clamp(min=self.clamp_eps).pow(self.pow)) / torch.log(
                torch.tensor(10.0)
            )
            y_logmels = torch.log(y_mels.clamp(min=self.clamp_eps).pow(self.pow)) / torch.log(
                torch.tensor(10.0)
            )
            loss += torch.nn.functional.l1_loss(x_logmels, y_logmels)
        return loss

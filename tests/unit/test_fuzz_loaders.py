"""Hostile files: fuzzed loaders, a folder of broken files, per-file limits, non-UTF-8 text.

Every loader must either load a file or raise :class:`LoaderError` (which ingestion reports as a
per-file error); any other exception, or a hang, fails the test. The number of cases tried is
printed and appended to ``test-artifacts/reliability.json``.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.config import IngestLimits
from core.documents import LoadedDocument
from core.errors import LoaderError
from ingest.loaders import load_file
from tests.conftest import REPO_ROOT, make_settings, settings_env
from tests.integration.test_api import make_text_pdf
from tests.unit.test_reliability_helpers import record_figures, time_limit

# Examples per format (bounded; raise it locally for a deeper run).
FUZZ_EXAMPLES = int(os.environ.get("ZONEQA_FUZZ_EXAMPLES", "150"))
# No single file may take longer than this to load or fail (a hang is a bug).
PER_FILE_SECONDS = 20.0
LIMITS = IngestLimits()
CLI_TIMEOUT_SECONDS = 300

FUZZ_COUNTS: Counter[str] = Counter()
FUZZ_OUTCOMES: Counter[str] = Counter()

SEED_LINES = [
    "Free trade zone annual report",
    "The Quillon free zone was founded in 1987 and handles bonded warehousing.",
    "Its customs office clears goods within four hours of arrival.",
]
SEED_MARKDOWN = (
    b"# Zone report\n\nThe **Quillon** free zone was founded in 1987.\n\n"
    b"## Customs\n\n| Year | Goods |\n|---|---|\n| 2020 | 1,200 |\n\n- bonded\n- duty free\n\n"
    b"```\ncode block\n```\n> quoted [link](http://example.com) ![img](x.png)\n"
)
SEED_HTML = (
    b"<!doctype html><html><head><title>Zone report</title><script>alert(1)</script></head>"
    b"<body><nav>menu</nav><article><h1>Zone report</h1><p>The Quillon free zone was founded in "
    b"1987 and handles bonded warehousing for the estuary.</p><table><tr><th>Year</th><th>Goods</th>"
    b"</tr><tr><td>2020</td><td>1,200</td></tr></table></article><footer>foot</footer></body></html>"
)
SEED_TEXT = "\n".join(SEED_LINES).encode()


def pypdf_seed() -> bytes:
    """A small valid text PDF, rewritten by pypdf (so the fuzz mutates pypdf's own structure)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(make_text_pdf(SEED_LINES))))
    writer.add_metadata({"/Title": "Zone report"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


SEEDS = {".pdf": pypdf_seed(), ".md": SEED_MARKDOWN, ".html": SEED_HTML, ".txt": SEED_TEXT}


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with random byte flips, a cut, a spliced random run and/or a duplicated slice."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(0, 12))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(1, len(data)))]
    if draw(st.booleans()):
        position = draw(st.integers(0, len(data)))
        data[position:position] = draw(st.binary(min_size=1, max_size=64))
    if draw(st.booleans()) and len(data) > 2:
        start = draw(st.integers(0, len(data) - 2))
        end = draw(st.integers(start + 1, len(data)))
        data[end:end] = data[start:end] * draw(st.integers(1, 4))
    return bytes(data)


def hostile_bytes(suffix: str) -> st.SearchStrategy[bytes]:
    seed = SEEDS[suffix]
    random_bytes = st.binary(min_size=0, max_size=2048)
    header = {".pdf": b"%PDF-1.7\n", ".html": b"<html><body>", ".md": b"# ", ".txt": b""}[suffix]
    with_header = random_bytes.map(lambda tail: header + tail)
    random_text = st.text(max_size=500).map(lambda text: text.encode("utf-8", "surrogatepass"))
    return st.one_of(mutated(seed), random_bytes, with_header, random_text)


def load_or_loader_error(path: Path, data: bytes, suffix: str) -> None:
    """The contract: a document with text, or LoaderError. Anything else propagates (a failure)."""
    path.write_bytes(data)
    FUZZ_COUNTS[suffix] += 1
    try:
        with time_limit(PER_FILE_SECONDS, f"loading a fuzzed {suffix} file"):
            doc = load_file(path, limits=LIMITS)
    except LoaderError as error:
        assert str(error).startswith(path.name), error  # the reason names the file
        FUZZ_OUTCOMES["rejected"] += 1
        return
    assert isinstance(doc, LoadedDocument) and doc.text.strip()
    for block in doc.blocks:
        assert 0 <= block.start < block.end <= len(doc.text)
    FUZZ_OUTCOMES["loaded"] += 1


FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize("suffix", [".pdf", ".html", ".md", ".txt"])
def test_fuzzed_files_load_or_raise_loader_error(suffix: str, tmp_path: Path) -> None:
    target = tmp_path / f"fuzz{suffix}"
    before = FUZZ_COUNTS[suffix]

    @FUZZ_SETTINGS
    @given(data=hostile_bytes(suffix))
    def check(data: bytes) -> None:
        load_or_loader_error(target, data, suffix)

    check()
    assert FUZZ_COUNTS[suffix] - before >= min(FUZZ_EXAMPLES, 50)  # the fuzz really ran
    record_figures(f"fuzz{suffix}", {"cases": FUZZ_COUNTS[suffix] - before, "outcomes_so_far": dict(FUZZ_OUTCOMES)})


def test_seeds_are_valid_documents(tmp_path: Path) -> None:
    """The mutations start from files that load, so the fuzz explores near-valid inputs."""
    for suffix, data in SEEDS.items():
        path = tmp_path / f"seed{suffix}"
        path.write_bytes(data)
        assert "1987" in load_file(path, limits=LIMITS).text


def test_non_utf8_text_is_decoded(tmp_path: Path) -> None:
    """Legacy encodings load with a warning and the right characters (UTF-16 may be refused as binary)."""
    cases = {
        "cp1252.txt": ("Zone café — “bonded” goods at 5 €.", "cp1252", "café — “bonded” goods at 5 €"),
        "latin1.md": ("# Zona franca\n\nLa zona de Colón está en Panamá.", "latin-1", "Colón está en Panamá"),
        "gbk.txt": ("前海深港现代服务业合作区 free trade zone", "gbk", "前海深港现代服务业合作区"),
        "cp1251.txt": ("Свободная экономическая зона Калининград.", "cp1251", "Свободная экономическая зона"),
        "utf16.txt": ("The Qianhai zone in Shenzhen.", "utf-16", "The Qianhai zone in Shenzhen"),
    }
    for name, (text, encoding, expected) in cases.items():
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        try:
            doc = load_file(path, limits=LIMITS)
        except LoaderError as error:
            assert encoding == "utf-16" and name in str(error), error  # refused, with a reason
            continue
        assert expected in doc.text, (name, doc.text)
        assert any("not valid UTF-8" in warning for warning in doc.warnings), doc.warnings


def _five_page_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    page = PdfReader(io.BytesIO(make_text_pdf(SEED_LINES))).pages[0]
    for _ in range(5):
        writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.slow  # a `zoneqa ingest` subprocess (loads the embedding model)
def test_ingest_of_a_hostile_folder_reports_each_file_and_exits_1(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    good = "The Quillon free zone was founded in 1987 and handles bonded warehousing."
    (corpus / "good.txt").write_text(good)
    hostile = {
        "binary.txt": b"\x00\x01\x02 looks binary \x00",
        "garbage.pdf": os.urandom(4096),
        "truncated.pdf": pypdf_seed()[:300],
        "empty.md": b"",
        "script-only.html": b"<html><script>while(1){}</script><style>p{}</style></html>",
        "too-many-pages.pdf": _five_page_pdf(),  # over ZONEQA_LIMITS__MAX_PDF_PAGES=3
        "too-big.txt": b"bonded warehouse " * 700,  # ~12 KB, over ZONEQA_LIMITS__MAX_FILE_BYTES
        "too-many-chars.md": b"# Zones\n\n" + b"zone " * 1900,  # ~9.5 KB: under the bytes limit, over max_chars
    }
    for name, data in hostile.items():
        (corpus / name).write_bytes(data)
    settings_obj = make_settings(tmp_path / "data", corpus)
    env = settings_env(settings_obj)
    env.update(ZONEQA_LIMITS__MAX_PDF_PAGES="3", ZONEQA_LIMITS__MAX_FILE_BYTES="10000", ZONEQA_LIMITS__MAX_CHARS="5000")
    done = subprocess.run(
        [sys.executable, "-m", "zoneqa.cli", "ingest"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output
    for name in hostile:
        assert f"failed {name}" in " ".join(output.split()), (name, output)
    flat = " ".join(output.split())
    assert "pages, over the limit" in flat and "over the limit of 10,000 bytes" in flat
    assert "characters, over the limit" in flat or "passes 5,000 characters" in flat

    from index.store import ChromaStore

    store = ChromaStore.from_settings(settings_obj)
    assert [record.source for record in store.documents()] == ["good.txt"]  # the good one got in

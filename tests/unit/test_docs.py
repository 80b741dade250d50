"""The README tells the truth: its settings table matches the settings tree."""

from __future__ import annotations

import re

from core.config import REPO_ROOT, Settings, settings_reference
from ui.settings import UiSettings


def test_readme_lists_every_setting_with_its_default() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    table = readme.split("<!-- settings-table:start -->")[1].split("<!-- settings-table:end -->")[0]
    documented = {
        match.group(1): match.group(2)
        for match in re.finditer(r"^\| `(ZONEQA_[A-Z0-9_]+)` \| (?:`([^`]*)`)? ?\|", table, re.MULTILINE)
    }
    for env, default, _help in settings_reference(Settings, UiSettings):
        assert env in documented, f"{env} is missing from the README's configuration table"
        assert (documented[env] or "") == default, f"{env}: README says {documented[env]!r}, code says {default!r}"
    assert set(documented) == {env for env, _d, _h in settings_reference(Settings, UiSettings)}


def test_readme_names_the_two_setup_commands() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme

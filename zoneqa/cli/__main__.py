"""``python -m zoneqa.cli``: the same as the ``zoneqa`` command."""

from zoneqa.cli import app

app()

"""The chat page's own settings: where the API is, the key it sends, and the default number of sources.

Read from the same environment variables as the rest of ZoneQA (``ZONEQA_API_URL``,
``ZONEQA_API_KEY``, ``ZONEQA_RETRIEVAL__TOP_K``), so one ``.env`` configures everything; the UI
imports nothing of the server side.

Usage::

    settings = get_ui_settings()
    ApiClient(settings.api_url, settings.api_key)
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class UiRetrievalSettings(BaseModel):
    """The one retrieval setting the page shows: its default is the server's (``ZONEQA_RETRIEVAL__TOP_K``)."""

    top_k: int = Field(5, ge=1, le=20, description="Chunks returned per question.")


class UiSettings(BaseSettings):
    """Settings of the Streamlit page (env prefix ``ZONEQA_``)."""

    model_config = SettingsConfigDict(env_prefix="ZONEQA_", env_nested_delimiter="__", env_file=".env", extra="ignore")

    api_url: str = Field("http://127.0.0.1:8000", description="Where the UI finds the API.")
    api_key: str = Field("", description="Key the UI sends to the API.")
    ui_address: str = Field(
        "127.0.0.1", description="Interface the UI listens on (loopback by default; 0.0.0.0 = every interface)."
    )
    retrieval: UiRetrievalSettings = UiRetrievalSettings()


@lru_cache(maxsize=1)
def get_ui_settings() -> UiSettings:
    """The page's settings (cached; tests call ``get_ui_settings.cache_clear()``)."""
    return UiSettings()

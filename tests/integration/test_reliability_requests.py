"""Hostile requests not already covered by tests/integration/test_api.py.

test_api.py covers: ``../escape.txt``, ``.hidden.txt`` and ``a\\b.txt`` uploads (400), 413 for big
JSON, chunked and upload bodies, 415 for non-JSON bodies and unknown file types, 422 for malformed
JSON, 401/403. Here: more traversal names (absolute paths, NUL bytes, Windows paths) with a check
that nothing lands outside the uploads folder; constant-time key comparison; keys never logged;
CORS closed by default and open only for the configured origins.
"""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api import security
from api.main import create_app
from api.security import KeyRing
from api.testing import ApiServer
from core.config import Settings
from tests.conftest import make_settings, settings_env
from tests.unit.test_reliability_helpers import record_figures

READ_KEY = "rk-7f3a9c-SECRET-read-key-do-not-log"
ADMIN_KEY = "ak-51be02-SECRET-admin-key-do-not-log"
WRONG_KEY = "wk-000000-SECRET-wrong-key-do-not-log"
ORIGIN = "https://delegates.example.org"
TIMEOUT = httpx.Timeout(120.0)
# The multipart parser reduces these to their base name; the API reads the name as sent and refuses it.
WINDOWS_FULL_PATHS = ["C:\\Windows\\System32\\evil.txt"]
TRAVERSAL_NAMES = [
    "../../etc/passwd",
    "../../../../tmp/zoneqa-escape.txt",
    "/etc/passwd",
    "/tmp/zoneqa-absolute.txt",
    "evil\x00.txt",
    "report.txt\x00.pdf",
    "..\\..\\windows\\win.txt",
    *WINDOWS_FULL_PATHS,
    "uploads/../../escape.md",
    "..",
    "./.env",
]


@pytest.fixture(scope="module")
def keyed_settings(ingested_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(ingested_settings.data_dir, data_dir)
    return ingested_settings.model_copy(update={"data_dir": data_dir, "generator": "extractive"})


@pytest.fixture(scope="module")
def keyed_server(keyed_settings: Settings) -> Iterator[ApiServer]:
    env = settings_env(keyed_settings)
    env.update(
        ZONEQA_API_KEYS=READ_KEY,
        ZONEQA_ADMIN_KEYS=ADMIN_KEY,
        ZONEQA_API__RATE_LIMIT_PER_MINUTE="100000",
    )
    # debug, not trace: trace logs raw ASGI scopes (headers included) and is for local debugging only.
    with ApiServer(env, log_level="debug") as running:
        yield running


BOUNDARY = "zoneqa-hostile-boundary"
MULTIPART_HEADERS = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def raw_multipart(filename: str, content: bytes) -> bytes:
    """A multipart body with ``filename`` as raw bytes (httpx would percent-encode NUL and quotes)."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode("utf-8", "surrogateescape")
    return head + content + f"\r\n--{BOUNDARY}--\r\n".encode()


def files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*")} if folder.exists() else set()


def test_traversal_names_are_rejected_and_nothing_escapes(keyed_server: ApiServer, keyed_settings: Settings) -> None:
    root = keyed_settings.data_dir.parent
    before = files_under(root)
    outside = [Path("/tmp/zoneqa-escape.txt"), Path("/tmp/zoneqa-absolute.txt"), root / "escape.md"]
    statuses: dict[str, int] = {}
    with httpx.Client(base_url=keyed_server.url, timeout=TIMEOUT, headers={"X-API-Key": ADMIN_KEY}) as admin:
        for name in TRAVERSAL_NAMES:
            response = admin.post(
                "/documents", content=raw_multipart(name, b"The zone opened in 1999."), headers=MULTIPART_HEADERS
            )
            statuses[name] = response.status_code
            assert "Traceback" not in response.text and response.headers["X-Request-ID"]
            # An IE-style full path is refused too, not silently cut down to "evil.txt".
            assert response.status_code == 400, (name, response.status_code, response.text)
            assert "Invalid file name" in response.json()["detail"]
        listed = {doc["source"] for doc in admin.get("/documents").json()["documents"]}
    assert not {"passwd", "win.txt", "escape.md", ".env"} & listed
    assert all("/" not in source and "\\" not in source and "\x00" not in source for source in listed)
    escaped = {path for path in files_under(root) - before if not path.is_relative_to(keyed_settings.data_dir)}
    assert not escaped
    assert not any(path.exists() for path in outside)
    uploads = (
        {path.name for path in keyed_settings.uploads_dir.iterdir()} if keyed_settings.uploads_dir.exists() else set()
    )
    assert not uploads, uploads
    record_figures("hostile_upload_names", {"statuses": statuses})


def test_keys_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every configured key is compared with hmac.compare_digest, with no early exit on a match."""
    calls: list[tuple[bytes, bytes]] = []
    real = security.hmac.compare_digest

    def spy(left: Any, right: Any) -> bool:
        calls.append((left, right))
        return real(left, right)

    monkeypatch.setattr(security.hmac, "compare_digest", spy)
    ring = KeyRing(read_keys=["r1", "r2", "r3"], admin_keys=["a1", "a2"])
    for key, role in (("r1", "read"), ("a1", "admin"), ("nope", None), ("r3", "read")):
        calls.clear()
        assert ring.role(key) == role
        assert len(calls) == 5  # all five keys, whether the first one matched or none did
        assert {right for _left, right in calls} == {b"r1", b"r2", b"r3", b"a1", b"a2"}
    source = inspect.getsource(security)
    assert "compare_digest" in inspect.getsource(security._any_matches)
    assert "key ==" not in source and "== key" not in source and "in self._read" not in source


def test_keys_never_appear_in_logs_or_responses(keyed_server: ApiServer) -> None:
    bodies: list[str] = []
    for key in (READ_KEY, ADMIN_KEY, WRONG_KEY):
        with httpx.Client(base_url=keyed_server.url, timeout=TIMEOUT, headers={"X-API-Key": key}) as http:
            responses = [
                http.get("/readyz"),
                http.post("/ask", json={"question": "Which city hosted the 2016 G20 summit?"}),
                http.post("/search", json={"query": "negative list"}),
                http.post("/ask", json={"question": ""}),  # 422
                http.post("/ask", content=b"{oops", headers={"content-type": "application/json"}),
                http.get("/no-such-route"),
                http.get("/feedback/export"),
                http.post("/documents", files={"file": ("../x.txt", b"x")}),
            ]
            bodies.extend(response.text + str(dict(response.headers)) for response in responses)
            expected_ok = 401 if key == WRONG_KEY else 200
            assert responses[0].status_code == expected_ok
    log = keyed_server.log()
    assert "/ask" in log or "POST" in log, "the server logged nothing: the check below would be empty"
    for key in (READ_KEY, ADMIN_KEY, WRONG_KEY):
        assert key not in log, f"{key} leaked into the server log"
        assert "SECRET" not in log
        assert all(key not in body for body in bodies)


def _cors_client(tmp_path: Path, origins: str | None) -> TestClient:
    overrides: dict[str, Any] = {}
    if origins is not None:
        from core.config import ApiSettings

        overrides["api"] = ApiSettings(cors_origins=origins)  # type: ignore[arg-type]  # "a,b" is split
    settings = make_settings(tmp_path / "data", **overrides)
    return TestClient(create_app(settings))  # not entered: no lifespan, no models loaded


def _preflight(client: TestClient, origin: str) -> Any:
    return client.options(
        "/ask",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-api-key",
        },
    )


def test_cors_is_closed_by_default(tmp_path: Path) -> None:
    client = _cors_client(tmp_path, None)
    simple = client.get("/healthz", headers={"Origin": ORIGIN})
    assert simple.status_code == 200 and "access-control-allow-origin" not in simple.headers
    preflight = _preflight(client, ORIGIN)
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code >= 400


def test_cors_opens_only_for_configured_origins(tmp_path: Path) -> None:
    client = _cors_client(tmp_path, f"{ORIGIN},https://other.example.org")
    simple = client.get("/healthz", headers={"Origin": ORIGIN})
    assert simple.headers["access-control-allow-origin"] == ORIGIN
    preflight = _preflight(client, ORIGIN)
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "x-api-key" in preflight.headers["access-control-allow-headers"].lower()
    stranger = client.get("/healthz", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in stranger.headers
    assert _preflight(client, "https://evil.example.com").status_code == 400

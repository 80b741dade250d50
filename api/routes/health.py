"""``GET /healthz`` (process up), ``GET /readyz`` (index and generator loaded), ``GET /metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import CallerDep, StateDep
from api.errors import UNAUTHORIZED
from api.models import ErrorResponse, Health, Readiness

router = APIRouter(tags=["operations"])


@router.api_route(
    "/healthz",
    methods=["GET", "HEAD"],
    response_model=Health,
    summary="Liveness: the process is up (never needs a key; HEAD works too)",
)
def healthz() -> Health:
    return Health()


def _readiness(state: StateDep) -> Readiness:
    parts = state.pipelines.parts()
    catalog = parts.catalog
    catalog.heartbeat()
    return Readiness(
        documents=len(catalog.documents()), chunks=catalog.chunk_count(), generator=parts.pipeline.model_name
    )


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness: the index answers and the pipeline is loaded",
    responses={**UNAUTHORIZED, 503: {"model": ErrorResponse, "description": "Not ready; `detail` says why."}},
)
def readyz(caller: CallerDep, state: StateDep) -> Readiness:
    """503 (with `detail`) until the index answers; not rate limited, so probes work under load."""
    return _readiness(state)


@router.get(
    "/metrics",
    summary="Prometheus metrics of this process",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}, **UNAUTHORIZED},
)
def metrics(caller: CallerDep, state: StateDep) -> Response:
    return Response(state.metrics.render(), media_type=state.metrics.content_type)

"""``POST /search``: retrieval only, for integrators who run their own generator."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CatalogDep, JsonBody, KeyDep, PipelineDep, StateDep
from api.errors import JSON_BODY_ERRORS
from api.models import SearchHit, SearchRequest, SearchResponse
from api.routes.common import check_sources, guarded

router = APIRouter(tags=["search"])


@router.post(
    "/search",
    response_model=SearchResponse,
    summary="Retrieve the passages that best match a query",
    dependencies=[JsonBody],
    responses=JSON_BODY_ERRORS,
)
def search(
    body: SearchRequest, caller: KeyDep, state: StateDep, pipeline: PipelineDep, catalog: CatalogDep
) -> SearchResponse:
    """Hybrid BM25 + dense retrieval with neighbouring chunks merged; no generation, no refusal gate."""
    check_sources(catalog, body.sources)
    hits = guarded(
        state.pipelines, lambda: pipeline.searcher.search(body.query, top_k=body.top_k, sources=body.sources)
    )
    return SearchResponse(results=[SearchHit.of(hit) for hit in hits])

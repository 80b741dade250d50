"""Score fusion in ``rag.retriever``: reciprocal rank fusion and min-max weighted fusion.

Expected scores are computed by hand from the formulas, so a wrong rank base (0 vs 1), a
dropped ``k``, a missing normalisation or swapped weights shows up as a wrong number, not just
as a different order.
"""

from __future__ import annotations

import pytest

from rag.retriever import reciprocal_rank_fusion, weighted_score_fusion


def ranked(scores: dict[str, float]) -> list[str]:
    """Ids by descending score, ties by id (what the searcher sorts on, made deterministic)."""
    return sorted(scores, key=lambda key: (-scores[key], key))


# --- reciprocal rank fusion -------------------------------------------------------------------


def test_rrf_sums_one_over_k_plus_rank_with_ranks_from_one() -> None:
    """Each appearance adds 1 / (k + rank), rank 1 for the first item of a ranking."""
    scores = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a", "d"]], k=60)
    assert scores.keys() == {"a", "b", "c", "d"}
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert scores["b"] == pytest.approx(1 / 62)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert scores["d"] == pytest.approx(1 / 63)
    assert ranked(scores) == ["a", "c", "b", "d"]  # rank 1+2 beats rank 1+3


def test_rrf_default_k_is_60() -> None:
    """The default constant is the paper's k = 60."""
    assert reciprocal_rank_fusion([["only"]]) == {"only": pytest.approx(1 / 61)}


def test_rrf_uses_the_given_k() -> None:
    """A small k weights the top ranks heavily: k = 0 gives 1, 1/2, 1/3..."""
    scores = reciprocal_rank_fusion([["a", "b", "c"], ["b"]], k=0)
    assert scores == {"a": pytest.approx(1.0), "b": pytest.approx(0.5 + 1.0), "c": pytest.approx(1 / 3)}


def test_rrf_mirrored_rankings_tie() -> None:
    """An id first in one list and second in the other scores the same as its mirror image."""
    scores = reciprocal_rank_fusion([["a", "b"], ["b", "a"]], k=60)
    assert scores["a"] == pytest.approx(scores["b"])
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)


def test_rrf_id_in_both_lists_beats_an_id_in_one() -> None:
    """Agreement between retrievers is rewarded: second in both beats first in just one."""
    scores = reciprocal_rank_fusion([["solo", "both"], ["both"]], k=60)
    assert scores["both"] == pytest.approx(1 / 62 + 1 / 61)
    assert scores["solo"] == pytest.approx(1 / 61)
    assert scores["both"] > scores["solo"]


def test_rrf_id_in_only_one_list_gets_only_that_contribution() -> None:
    """Absent from a ranking means no contribution from it (not a penalty, not a default rank)."""
    scores = reciprocal_rank_fusion([["a", "b"], []], k=10)
    assert scores == {"a": pytest.approx(1 / 11), "b": pytest.approx(1 / 12)}


@pytest.mark.parametrize("rankings", [[], [[]], [[], []]])
def test_rrf_empty_inputs_give_no_scores(rankings: list[list[str]]) -> None:
    """No rankings or only empty ones: nothing to score."""
    assert reciprocal_rank_fusion(rankings) == {}


def test_rrf_accepts_tuples_and_single_ranking() -> None:
    """Any sequence of sequences works; one ranking keeps its own order."""
    scores = reciprocal_rank_fusion((("x", "y", "z"),), k=1)
    assert scores == {"x": pytest.approx(1 / 2), "y": pytest.approx(1 / 3), "z": pytest.approx(1 / 4)}
    assert ranked(scores) == ["x", "y", "z"]


# --- weighted score fusion --------------------------------------------------------------------

BM25 = {"a": 10.0, "b": 5.0, "c": 0.0}  # normalised: a 1.0, b 0.5, c 0.0
DENSE = {"a": 0.2, "b": 0.8, "d": 0.5}  # normalised: a 0.0, b 1.0, d 0.5


def test_weighted_fusion_mixes_min_max_normalised_scores() -> None:
    """With w = 0.5: ``0.5 * dense_norm + 0.5 * bm25_norm``, missing scores counting as 0."""
    scores = weighted_score_fusion(BM25, DENSE, dense_weight=0.5)
    assert scores.keys() == {"a", "b", "c", "d"}
    assert scores["a"] == pytest.approx(0.5 * 0.0 + 0.5 * 1.0)
    assert scores["b"] == pytest.approx(0.5 * 1.0 + 0.5 * 0.5)
    assert scores["c"] == pytest.approx(0.0)
    assert scores["d"] == pytest.approx(0.5 * 0.5)
    assert ranked(scores) == ["b", "a", "d", "c"]


def test_weighted_fusion_applies_dense_weight_to_dense_side() -> None:
    """An unequal weight shows which side it multiplies: w = 0.25 favours BM25, so a overtakes b."""
    scores = weighted_score_fusion(BM25, DENSE, dense_weight=0.25)
    assert scores["a"] == pytest.approx(0.25 * 0.0 + 0.75 * 1.0)
    assert scores["b"] == pytest.approx(0.25 * 1.0 + 0.75 * 0.5)
    assert scores["c"] == pytest.approx(0.0)
    assert scores["d"] == pytest.approx(0.25 * 0.5)
    assert ranked(scores) == ["a", "b", "d", "c"]


def test_dense_weight_zero_is_normalised_bm25_only() -> None:
    """w = 0 ignores dense scores entirely: dense-only ids get 0, the rest their BM25 share."""
    scores = weighted_score_fusion(BM25, DENSE, dense_weight=0.0)
    assert scores == {"a": pytest.approx(1.0), "b": pytest.approx(0.5), "c": pytest.approx(0.0), "d": 0.0}


def test_dense_weight_one_is_normalised_dense_only() -> None:
    """w = 1 ignores BM25 entirely: BM25-only ids get 0, the rest their dense share."""
    scores = weighted_score_fusion(BM25, DENSE, dense_weight=1.0)
    assert scores == {"a": pytest.approx(0.0), "b": pytest.approx(1.0), "c": 0.0, "d": pytest.approx(0.5)}


def test_normalisation_removes_the_scale_of_raw_scores() -> None:
    """BM25 scores in the tens and cosines below one count equally after min-max normalisation."""
    small = weighted_score_fusion({"a": 0.3, "b": 0.1}, {}, dense_weight=0.0)
    large = weighted_score_fusion({"a": 300.0, "b": 100.0}, {}, dense_weight=0.0)
    assert small == pytest.approx(large)
    assert small == {"a": pytest.approx(1.0), "b": pytest.approx(0.0)}


def test_normalisation_handles_negative_scores() -> None:
    """Min-max maps the lowest score to 0 even when it is negative (cosine can be)."""
    scores = weighted_score_fusion({}, {"a": -0.5, "b": 0.0, "c": 0.5}, dense_weight=1.0)
    assert scores == {"a": pytest.approx(0.0), "b": pytest.approx(0.5), "c": pytest.approx(1.0)}


def test_equal_scores_normalise_to_one_not_zero_division() -> None:
    """When every score of a list is equal (no spread), each normalises to 1.0."""
    scores = weighted_score_fusion({"a": 3.0, "b": 3.0}, {"a": 0.7}, dense_weight=0.4)
    # bm25_norm: a 1.0, b 1.0; dense_norm: a 1.0 (a single score has no spread either).
    assert scores["a"] == pytest.approx(0.4 * 1.0 + 0.6 * 1.0)
    assert scores["b"] == pytest.approx(0.6 * 1.0)


def test_single_candidate_per_side_counts_as_best() -> None:
    """One hit on each side: both normalise to 1.0, so a list of one is not wiped out to 0."""
    scores = weighted_score_fusion({"x": 0.01}, {"y": 0.02}, dense_weight=0.5)
    assert scores == {"x": pytest.approx(0.5), "y": pytest.approx(0.5)}


def test_weighted_fusion_one_side_empty() -> None:
    """Only one retriever answered: the other contributes nothing; the ids are that side's."""
    only_bm25 = weighted_score_fusion({"a": 2.0, "b": 1.0}, {}, dense_weight=0.3)
    assert only_bm25 == {"a": pytest.approx(0.7), "b": pytest.approx(0.0)}
    only_dense = weighted_score_fusion({}, {"a": 2.0, "b": 1.0}, dense_weight=0.3)
    assert only_dense == {"a": pytest.approx(0.3), "b": pytest.approx(0.0)}


def test_weighted_fusion_empty_inputs() -> None:
    """Nothing from either retriever: nothing fused."""
    assert weighted_score_fusion({}, {}, dense_weight=0.5) == {}


def test_weighted_fusion_does_not_modify_its_inputs() -> None:
    """The caller keeps using the raw scores (``bm25_score``/``dense_score`` on hits)."""
    bm25, dense = dict(BM25), dict(DENSE)
    weighted_score_fusion(bm25, dense, dense_weight=0.5)
    assert bm25 == BM25
    assert dense == DENSE

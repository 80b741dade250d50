"""Zone terms in either form: "FTZs" and "pilot free trade zones" are one term to search and overlap."""

from __future__ import annotations

import json
from pathlib import Path

from core.text.terms import content_terms, country_forms, one_term_each, spelled_out
from index.bm25 import BM25Index


def test_an_abbreviation_and_its_long_form_give_the_same_terms() -> None:
    assert one_term_each("pilot free trade zones and FTZs; free-trade zone") == "pilot ftz and ftz; ftz"
    assert content_terms("How many FTZs were set up?") == content_terms("How many free trade zones were set up?")
    assert content_terms("special economic zones") == content_terms("SEZs") == ["sez"]
    assert content_terms("the Belt and Road Initiative") == content_terms("the BRI")
    # "zone" alone, or other zones, stay themselves.
    assert content_terms("bonded zones") == ["bond", "zone"]


def test_a_side_of_a_flow_in_a_delegates_words_is_the_texts_term_for_it() -> None:
    assert "outflow" in content_terms("Where does China rank for outward investment?")
    assert "outflow" in content_terms("Outbound investment flows have been among the top three.")
    assert "inflow" in content_terms("China ranked second in attracting foreign investment.")
    assert "import" in content_terms("How much did the world spend on goods bought from abroad in 2001?")
    assert "export" in content_terms("How much did China sell to other countries?")
    assert "import" in content_terms("How did China's purchases of American goods move in 2022?")
    # The same words about something else stay themselves.
    assert "import" not in content_terms("The zone's purchases of land doubled.")
    assert "inflow" not in content_terms("The zones attract talent from abroad.")


def test_the_us_by_any_of_its_names_is_one_term() -> None:
    assert content_terms("imports from the U.S.") == content_terms("imports from the US") == ["import", "usa"]
    assert "usa" in content_terms("American goods") and "usa" in content_terms("the United States of America")
    assert "usa" not in content_terms("Let us compare.")  # the pronoun is not the country


def test_british_and_american_spellings_give_the_same_terms() -> None:
    assert content_terms("a national innovation centre programme") == content_terms(
        "a national innovation center program"
    )
    assert content_terms("trade liberalisation organisations") == content_terms("trade liberalization organizations")
    assert content_terms("the centre of the city") != content_terms("the heart of the city")


def test_a_demonym_leads_back_to_its_country() -> None:
    assert "egypt" in country_forms("Egyptian") and "egypt" in country_forms("Egyptians")
    assert "pakistan" in country_forms("Pakistani")
    assert "lanka" in country_forms("Lankan") and "vietnam" in country_forms("Vietnamese")
    assert "indonesia" in country_forms("Indonesian's") and "italy" in country_forms("Italian")
    assert country_forms("Jebel") == [] and country_forms("Ali") == []  # no demonym ending, no guess


def test_bm25_finds_a_passage_written_with_the_abbreviation_for_the_long_form() -> None:
    texts = [
        "In August 2016, it was decided to establish seven new FTZs in Liaoning and Zhejiang.",
        "In August 2016, the western region opened new logistics hubs.",
    ]
    index = BM25Index.build(["pei", "west"], texts, ["a.pdf", "b.txt"], version="v")
    assert index.search("How many new free trade zones were set up in August 2016?", k=1)[0][0] == "pei"


def test_an_index_saved_with_older_terms_counts_as_stale(tmp_path: Path) -> None:
    folder = tmp_path / "bm25"
    BM25Index.build(["a"], ["Seven new FTZs."], ["a.txt"], version="v1").save(folder)
    assert BM25Index.saved_version(folder) == "v1"
    meta_file = folder / "zoneqa_meta.json"
    meta = json.loads(meta_file.read_text())
    meta.pop("terms")  # as an index saved before terms were versioned
    meta_file.write_text(json.dumps(meta))
    assert BM25Index.saved_version(folder) is None  # so refresh_from_store rebuilds it


def test_abbreviations_are_spelled_out_for_the_embedding_model() -> None:
    spelled = "seven new free trade zones and the Hainan free trade zone"
    assert spelled_out("seven new FTZs and the Hainan FTZ") == spelled
    assert spelled_out("SEZs under the BRI") == "special economic zones under the Belt and Road Initiative"
    assert spelled_out("LIFTZ and ftz") == "LIFTZ and ftz"  # whole capitalised words only


def test_a_figure_in_digits_is_supported_by_the_same_number_in_words() -> None:
    from core.text.terms import spelled_numbers
    from rag.citations import numbers_supported

    assert spelled_numbers("seven new FTZs, forty-two cases, Twenty one") == {"7", "42", "21"}
    assert spelled_numbers("someone often wrote a tenth") == set()
    evidence = "In August 2016, it was decided to establish seven new FTZs in Liaoning and Zhejiang."
    assert numbers_supported("7 new FTZs were set up in August 2016.", evidence)
    assert not numbers_supported("8 new FTZs were set up in August 2016.", evidence)

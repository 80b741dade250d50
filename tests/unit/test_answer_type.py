"""``rag.answer_type``: a question that asks for a figure is not answered by a sentence without one."""

from __future__ import annotations

import pytest

from rag.answer_type import asks_for_quantity, states_quantity


@pytest.mark.parametrize(
    "question",
    [
        "How many hectares does the Djibouti zone cover?",
        "How much money did CAST put into the centre?",
        "What corporate income tax rate applies in Hainan?",
        "What was the budget of the training programme?",
        "What share of China's trade was done with FTA partners?",
        "By how much did exports fall?",
    ],
)
def test_questions_asking_for_a_figure(question: str) -> None:
    assert asks_for_quantity(question)


@pytest.mark.parametrize(
    "question",
    [
        "What did European delegates share at the Free Zone Congress?",  # "share", the verb
        "Which city hosted the 2016 G20 summit?",
        "Who chairs the World Free Zones Organization?",
        "Why did the number of new market entities fall?",
    ],
)
def test_questions_asking_for_something_else(question: str) -> None:
    assert not asks_for_quantity(question)


@pytest.mark.parametrize(
    ("answer", "stated"),
    [
        ("It covers 873 square kilometres [1].", True),
        ("China ranked second for four consecutive years [1].", True),
        ("覆盖面积为八百七十三平方公里。", True),
        ("The zone strengthens cooperation with Hainan [1].", False),
    ],
)
def test_a_figure_in_any_form_counts(answer: str, stated: bool) -> None:
    assert states_quantity(answer) is stated

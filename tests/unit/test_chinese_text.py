"""Chinese text in the index: Han runs become character bigrams, sentences end at 。！？；."""

from __future__ import annotations

from core.text.sentences import sentence_spans
from core.text.terms import content_terms, han_terms, has_han, tokenize
from index.bm25 import BM25Index


def test_han_runs_become_overlapping_bigrams_and_lone_characters_stay() -> None:
    assert han_terms("保税区") == ["保税", "税区"]
    assert han_terms("2024年，临海") == ["年", "临海"]
    assert han_terms("free trade zone") == []
    assert has_han("in 杭州") and not has_han("Hangzhou")


def test_mixed_text_keeps_english_stems_and_adds_han_terms() -> None:
    assert tokenize("Zones in 临海综保区") == ["zone", "临海", "海综", "综保", "保区"]
    assert content_terms("How many zones did 杭州 host?") == ["zone", "host", "杭州"]
    # English text is tokenized exactly as before: no Han, nothing added.
    assert content_terms("The 2016 G20 Summit in Hangzhou") == ["2016", "g20", "summit", "hangzhou"]


def test_chinese_sentences_split_without_spaces_and_keep_their_quotes() -> None:
    text = "临海综合保税区于2015年设立。进出口总额达351.2亿元；同比增长8.7％！“这是引语。”第四句？ Then English. Done."
    sentences = [text[a:b] for a, b in sentence_spans(text)]
    assert sentences == [
        "临海综合保税区于2015年设立。",
        "进出口总额达351.2亿元；",
        "同比增长8.7％！",
        "“这是引语。”",
        "第四句？",
        "Then English.",
        "Done.",
    ]


def test_bm25_finds_a_chinese_passage_for_a_chinese_question() -> None:
    texts = [
        "临海综合保税区2024年跨境电商订单达到2,380万单。",
        "The 2016 G20 Summit in Hangzhou adopted the G20 Global Investment Principles.",
        "保税物流中心的仓储面积为12万平方米。",
    ]
    index = BM25Index.build(["zh-1", "en-1", "zh-2"], texts, ["a.txt", "b.txt", "a.txt"], version="v")
    hits = index.search("跨境电商订单有多少？", k=2)
    assert hits and hits[0][0] == "zh-1"
    assert index.search("Hangzhou summit", k=1)[0][0] == "en-1"


def test_a_chinese_question_is_not_penalised_by_english_evidence_for_its_language() -> None:
    from rag.evidence import lexical_overlap

    question = content_terms("2016年G20峰会在哪个城市举行？")
    english = content_terms("The 2016 G20 Summit in Hangzhou adopted the principles.")
    chinese = content_terms("2016年G20峰会在杭州举行。")
    assert lexical_overlap(question, english) == 1.0  # 2016 and g20: the terms English text can hold
    assert 0.0 < lexical_overlap(question, chinese) < 1.0  # Chinese text: its bigrams count too
    assert lexical_overlap(content_terms("峰会"), english) == 0.0


class _Rewriter:
    """A fake generator whose LLM replies with fixed text (None: there is no LLM)."""

    name = "fake"
    chat_model = None
    support_judge = None

    def __init__(self, reply: str | None) -> None:
        self.reply = reply
        self.calls = 0

    def draft(self, question: str, evidence: object) -> object:
        raise AssertionError("not used")

    def rewrite(self, messages: object, *, max_tokens: int) -> str | None:
        self.calls += 1
        self.messages = messages
        return self.reply


def test_the_translation_is_told_the_english_of_the_questions_glossary_terms() -> None:
    from rag.language import question_in_english

    translator = _Rewriter("What is the planned area of the Lingang New Area?")
    question_in_english("临港新片区的规划面积有多大？", translator)  # type: ignore[arg-type]
    asked = translator.messages[-1]["content"]  # type: ignore[index]
    assert asked == "临港新片区的规划面积有多大？\nTerms: 临港 = Lingang; 新片区 = New Area"
    question_in_english("珠穆朗玛峰有多高？", translator)  # type: ignore[arg-type]
    assert translator.messages[-1]["content"] == "珠穆朗玛峰有多高？"  # type: ignore[index]  # no terms, no list


def test_a_chinese_question_is_searched_in_english_only_when_the_translation_is_trustworthy() -> None:
    from rag.language import question_in_english

    question = "2016年G20峰会在哪个城市举行？"
    good = _Rewriter("Which city hosted the 2016 G20 summit?")
    assert question_in_english(question, good) == "Which city hosted the 2016 G20 summit?"  # type: ignore[arg-type]
    for bad in (None, "", "2016年G20峰会在哪个城市举行？", "x " * 400):
        assert question_in_english(question, _Rewriter(bad)) == question, bad  # type: ignore[arg-type]
    # What a small model gets wrong is repaired: a lost number comes back, spelled numbers count.
    lost = _Rewriter("Which city hosted the G20 summit?")
    assert question_in_english(question, lost) == "Which city hosted the G20 summit? (2016)"  # type: ignore[arg-type]
    table = _Rewriter("What was the import value of world services trade in 2000?")
    assert question_in_english("表3世界服务贸易里，2000年的进口额是多少？", table) == (  # type: ignore[arg-type]
        "What was the import value of world services trade in 2000? (Table 3)"
    )
    spelled = _Rewriter("What are the six free trade zones set up in August?")
    assert question_in_english("8月设立的6个自贸试验区是哪些？", spelled) == spelled.reply  # type: ignore[arg-type]
    english = _Rewriter("unused")
    assert question_in_english("Which city hosted it?", english) == "Which city hosted it?"  # type: ignore[arg-type]
    assert english.calls == 0  # English questions cost no LLM call


def test_a_translation_keeps_the_questions_places_even_when_the_model_does_not() -> None:
    from rag.language import question_in_english

    left_in = _Rewriter("How long will it take to register a business in海南 by the end of 2019?")
    assert question_in_english("到2019年底，在海南注册开办一家企业要花多长时间？", left_in) == (  # type: ignore[arg-type]
        "How long will it take to register a business in Hainan by the end of 2019?"
    )
    swapped = _Rewriter("How many new enterprises were established in the Sichuan Free Trade Zone in 2024?")
    assert question_in_english("2024年陕西自贸试验区新设立了多少家企业？", swapped) == (  # type: ignore[arg-type]
        "How many new enterprises were established in the Sichuan Free Trade Zone in 2024? (Shaanxi)"
    )
    chinese = "在海南注册开办一家企业要花多长时间？"
    assert question_in_english(chinese, _Rewriter("在海南注册开办一家企业要花多长时间 how long")) == chinese  # type: ignore[arg-type]


class _Sequence(_Rewriter):
    """Replies with the next of its texts on each call."""

    def __init__(self, *replies: str) -> None:
        super().__init__(None)
        self.replies = list(replies)

    def rewrite(self, messages: object, *, max_tokens: int) -> str | None:
        self.calls += 1
        return self.replies.pop(0)


def test_an_answer_is_translated_sentence_by_sentence_and_keeps_its_markers_and_numbers() -> None:
    from rag.language import answer_in

    text = "The 2016 G20 Summit was held in Hangzhou [1]. It adopted 9 principles [2][3]."
    good = _Sequence("2016年G20峰会在杭州举行。", "峰会通过了9项原则")
    assert answer_in("zh", text, good) == "2016年G20峰会在杭州举行 [1]。峰会通过了9项原则 [2][3]。"  # type: ignore[arg-type]
    assert good.calls == 2
    assert answer_in("en", text, _Sequence()) is None  # type: ignore[arg-type]
    # A sentence whose translation lost a number is asked for once more, naming what to keep.
    retried = _Sequence("2016年峰会在杭州举行。", "2016年G20峰会在杭州举行。", "峰会通过了9项原则。")
    assert answer_in("zh", text, retried) == "2016年G20峰会在杭州举行 [1]。峰会通过了9项原则 [2][3]。"  # type: ignore[arg-type]
    assert retried.calls == 3
    broken = (
        ("2016年G20峰会在杭州举行。", "The summit adopted 9 principles.", "The summit adopted 9 principles."),
        ("2016年G20峰会在杭州举行。", "峰会通过了若干原则。", "峰会通过了若干原则。"),  # a number lost twice
        ("2016年峰会在杭州举行。", "2016年峰会在杭州举行。"),  # "G20" lost twice
    )
    # A number written in Chinese words is kept: 二十国集团 is G20, 九项 is 9.
    in_words = _Sequence("2016年二十国集团峰会在杭州举行。", "峰会通过了九项原则。")
    assert answer_in("zh", text, in_words) == "2016年二十国集团峰会在杭州举行 [1]。峰会通过了九项原则 [2][3]。"  # type: ignore[arg-type]
    for replies in broken:
        assert answer_in("zh", text, _Sequence(*replies)) is None, replies  # type: ignore[arg-type]


def test_a_chinese_question_is_read_as_asked_only_when_a_top_passage_is_chinese_and_about_it() -> None:
    from rag.language import found_in_its_own_language

    question = "临海综保区是哪一年正式封关运作的？"
    yearbook = "临海综保区于2016年3月获批设立，2017年11月通过国家验收并正式封关运作，规划面积3.85平方公里。"
    assert found_in_its_own_language(question, ["The 2016 G20 Summit in Hangzhou ...", yearbook])
    assert not found_in_its_own_language(question, ["The 2016 G20 Summit in Hangzhou facilitated the adoption."])
    # Chinese, but about something else: a few shared characters are not enough.
    assert not found_in_its_own_language("2016年G20峰会在哪个城市举行？", [yearbook])
    assert not found_in_its_own_language("Which year did it open?", [yearbook])


def test_a_translated_figure_keeps_its_magnitude() -> None:
    from rag.language import answer_in, with_chinese_magnitudes

    # 亿 is a hundred million: "74.43 trillion" as "74.43亿" keeps the digits and is wrong 10,000 times over.
    assert with_chinese_magnitudes("It was 74.43 trillion US dollars.", "为74.43亿美元") == "为74.43万亿美元"
    assert with_chinese_magnitudes("Exports: 19,550,439 million.", "出口19550439 亿美元") == "出口19550439百万美元"
    assert with_chinese_magnitudes("FDI of 222.52 billion yuan, 18.1%.", "外资222.52亿元，占18.1%") == (
        "外资222.52十亿元，占18.1%"
    )
    assert with_chinese_magnitudes("It took 5 minutes.", "需要5分钟") == "需要5分钟"
    text = "In 2015 the world economy was 74.43 trillion US dollars [1]."
    assert answer_in("zh", text, _Sequence("2015年世界经济总量为74.43亿美元。")) == (  # type: ignore[arg-type]
        "2015年世界经济总量为74.43万亿美元 [1]。"
    )


def test_only_names_the_asker_typed_count_as_unknown_in_a_translated_question() -> None:
    from rag.language import typed_by_the_asker

    question = "占国土面积还不到千分之一的21个自贸试验区，2021年外贸进出口做了多大规模？"
    # The translation wrote "0.01%" for 千分之一: its "0" is in "2021" as a substring, not as a number typed.
    assert typed_by_the_asker(["0", "01"], question) == []
    assert typed_by_the_asker(["2021"], question) == ["2021"]
    assert typed_by_the_asker(["ECO", "ECOS"], "北京工商大学和ECO科学基金会的培训") == ["ECO"]
    assert typed_by_the_asker(["Jebel Ali"], "Jebel Ali自由区有多大？") == ["Jebel Ali"]

"""End-to-end QA scoring: answer matching (text and CuratedTREC's regexes), abstention, latency,
and the CuratedTREC / WebQuestions loaders."""

from __future__ import annotations

import json

import pytest

from wenda.data.open_qa import load_curated_trec, load_webquestions, regex_match
from wenda.data.squad import DatasetFormatError, Question
from wenda.eval.qa import answer_in, evaluate_qa, is_correct
from wenda.types import AnswerHit, AskResult, Hit


def test_an_answer_in_a_passage_by_tokens_or_by_pattern_anywhere():
    assert answer_in("It flows through Paris.", ["paris"]) and not answer_in("Parisian cafés", ["Paris"])
    assert answer_in("It was in September 1998.", ["Sept?(ember)?"], regex=True)  # searched, not matched
    assert not answer_in("nothing here", ["([unclosed", "Sept"], regex=True)


def test_matching_follows_squad_normalisation_and_drqa_regexes():
    assert is_correct("the Seine", ["Seine"]) and not is_correct("Seine river", ["Seine"])
    assert is_correct("September 1998", ["Sept?(ember)?|Feb(ruary)?"], regex=True)
    assert not is_correct("in September", ["Sept?(ember)?"], regex=True)  # DrQA's re.match: from the start
    assert regex_match("SAUDI ARABIA", "Saudi Arabia") and not regex_match("x", "([unclosed")


class FakeQA:
    """Answers from a table; abstains on questions it marks so."""

    def __init__(self, table: dict[str, tuple[str, bool]]) -> None:
        self.table = table

    def ask_many(self, questions, passages=None, retriever=None, top=3):
        return [self.ask(q, passages, retriever, top) for q in questions]

    def ask(self, question, passages=None, retriever=None, top=3):
        text, abstain = self.table[question]
        hit = Hit(1, 1.0, 1, text, 1, "s", "t", 0, len(text), retriever or "bm25")
        answers = (AnswerHit(text, 0.5, hit, 0, len(text)),) if text else ()
        return AskResult(
            question, answers, (hit,), 0.9 if abstain else 0.1, abstain, {"retrieve": 1.0, "read": 3.0}
        )


def test_exact_match_with_and_without_abstention():
    questions = [
        Question(f"q{i}", f"q{i}", answers, "", "")
        for i, answers in enumerate([("Seine",), ("Paris",), ("Mars",), ("x",)])
    ]
    qa = FakeQA({"q0": ("The Seine", False), "q1": ("Paris", True), "q2": ("Venus", False), "q3": ("", True)})
    seen = []
    r = evaluate_qa(qa, questions, progress=seen.append)
    assert r["questions"] == 4 and seen == [1, 2, 3, 4]
    assert r["exact_match"] == 50.0  # Seine, and Paris though the reader would abstain
    assert r["exact_match_abstaining"] == 25.0 and r["abstained"] == 50.0
    assert set(r["latency_ms"]) == {"total", "retrieve", "read"} and r["latency_ms"]["read"]["p50"] == 3.0
    # each passage read is the answer given: "The Seine" and "Paris" hold their golds, the others not
    assert r["answer_in_passages"] == 50.0 and r["exact_match_when_found"] == 100.0
    batched = evaluate_qa(qa, questions, batch=3)
    assert {k: batched[k] for k in ("exact_match", "exact_match_abstaining", "abstained")} == {
        k: r[k] for k in ("exact_match", "exact_match_abstaining", "abstained")
    }


def test_loaders_read_the_formats_and_refuse_broken_files(tmp_path):
    trec = tmp_path / "curated.tsv"
    trec.write_text(
        "1\tfactoid\tWhen is Fashion week in NYC?\tSept?(ember)?|Feb(ruary)?\n\n2\tfactoid\tHow hot?\t5778\n"
    )
    questions = load_curated_trec(trec)
    assert [q.id for q in questions] == ["curated-trec/1", "curated-trec/2"] and questions[0].answers == (
        "Sept?(ember)?|Feb(ruary)?",
    )
    trec.write_text("1\tfactoid\tBroken?\t([unclosed\n")
    with pytest.raises(DatasetFormatError, match="does not compile"):
        load_curated_trec(trec)
    trec.write_text("1\tfactoid\tonly three fields\n")
    with pytest.raises(DatasetFormatError, match=":1:"):
        load_curated_trec(trec)
    web = tmp_path / "val.json"
    web.write_text(
        json.dumps([{"qId": "wqr1", "qText": "what money in bahamas?", "answers": ["Bahamian dollar"]}])
    )
    assert load_webquestions(web)[0].answers == ("Bahamian dollar",)
    web.write_text('{"not": "a list"}')
    with pytest.raises(DatasetFormatError):
        load_webquestions(web)


@pytest.mark.slow
def test_eval_qa_cli_on_real_questions(data_dir, tmp_path):
    pytest.importorskip("torch")
    from tests.cli.test_cli import wenda

    r = wenda(
        "eval", "qa", "--dataset", "webquestions", "--limit", "5", "--index", str(tmp_path / "idx"), "--json"
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    result = out["results"]["bm25"]
    assert result["questions"] == 5 and 0 <= result["exact_match"] <= 100
    assert out["settings"]["ask_passages"] == 10 and "ask_rank_prior" in out["settings"]
    assert out["settings"]["reader"] == "default" and out["settings"]["reader_precision"] == "fp32"

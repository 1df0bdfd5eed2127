"""NQ-open loading: rows, ids, and clear errors on malformed lines."""

from __future__ import annotations

import pytest

from wenda.data.nq_open import load_nq_open
from wenda.data.squad import DatasetFormatError


def test_rows_become_questions(tmp_path):
    path = tmp_path / "nq.jsonl"
    path.write_text(
        '{"question": "who wrote hamlet", "answer": ["Shakespeare", "William Shakespeare"]}\n\n'
        '{"question": "when was the moon landing", "answer": ["1969"]}\n',
        encoding="utf-8",
    )
    qs = load_nq_open(path)
    assert [q.id for q in qs] == ["nq-open/1", "nq-open/3"]  # ids are line numbers; blank lines skipped
    assert qs[0].answers == ("Shakespeare", "William Shakespeare") and qs[1].question == "when was the moon landing"


@pytest.mark.parametrize(
    "line", ['{"question": "q"}', "not json", '{"question": 3, "answer": ["a"]}', '{"question": "q", "answer": "a"}']
)
def test_malformed_rows_are_clear_errors(tmp_path, line):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"question": "ok", "answer": ["a"]}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(DatasetFormatError, match="bad.jsonl:2"):
        load_nq_open(path)

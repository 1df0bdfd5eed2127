"""`make demo`, the README's first set-up command: its recipe (read from the Makefile, less the install
step) run as written against examples/docs, into a temporary index."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _demo_recipe() -> list[str]:
    """The shell lines of the Makefile's ``demo`` target."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("demo:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def test_make_demo_indexes_searches_and_answers(tmp_path):
    index = tmp_path / "demo-index"
    outputs = []
    for line in _demo_recipe():
        argv = shlex.split(line.replace("$(PY)", shlex.quote(sys.executable)))
        argv = [str(index) if a == ".wenda-demo" else a for a in argv]
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{line}\n{done.stderr}"
        outputs.append(done)
    indexed, searched, asked = outputs
    assert "5 indexed, 0 unchanged, 0 failed" in indexed.stdout + indexed.stderr
    search_out, ask_out = searched.stdout, asked.stdout
    assert search_out.startswith("1.") and "rivers.md" in search_out.splitlines()[0]
    first = ask_out.splitlines()[0]
    assert first.startswith("1. Seine") and "rivers.md [24:29]" in first

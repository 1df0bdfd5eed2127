"""``wenda ask "question" --index DIR``: the best answers with their evidence; with no question, a
prompt loop (one question per line, until an empty line, ``exit`` or end of input)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.text import Text

from wenda.cli.app import app
from wenda.cli.common import IndexOpt, JsonOpt, require_ml, stdout_console
from wenda.types import AskResult

SHOWN_PASSAGES = 3  # passages printed when the reader abstains
CONTEXT = 150  # characters of the passage shown either side of an answer


def answer_text(result: AskResult) -> Text:
    """The result for a terminal: each answer with its probability, source and highlighted
    passage; when the reader abstains, a plain statement and the best passages instead."""
    out = Text()
    if result.abstained:
        out.append("The documents do not seem to contain an answer", style="bold")
        out.append(f" (P(no answer) {result.no_answer:.2f}).", style="dim")
        if result.answers:
            out.append(f" Best guess: {result.answers[0].text} ({result.answers[0].prob:.2f}).", style="dim")
        out.append("\nClosest passages:\n" if result.passages else "\nNo passage matches the question.\n")
        for h in result.passages[:SHOWN_PASSAGES]:
            out.append(f"{h.rank}. {h.title}  ", style="bold").append(
                f"{h.source} [{h.start}:{h.end}]\n", style="dim"
            )
            out.append(h.text.replace("\n", " ") + "\n")
        return out
    for i, a in enumerate(result.answers, 1):
        out.append(f"{i}. {a.text}", style="bold green").append(f"  {a.prob:.2f}", style="dim")
        out.append(f"  {a.hit.title}  {a.hit.source} [{a.doc_start}:{a.doc_end}]\n", style="dim")
        out.append(_excerpt(a.hit.text, a.start, a.end)).append("\n")
    return out


def _excerpt(text: str, start: int, end: int, context: int = CONTEXT) -> Text:
    """About ``context`` characters either side of ``text[start:end]``, cut at spaces, the answer
    highlighted."""
    begin = text.rfind(" ", 0, max(0, start - context)) + 1 if start > context else 0
    stop = text.find(" ", end + context)
    stop = len(text) if stop < 0 else stop
    out = Text("…" if begin else "")
    out.append(text[begin:start].replace("\n", " "))
    out.append(text[start:end].replace("\n", " "), style="bold yellow")
    out.append(text[end:stop].replace("\n", " ") + ("…" if stop < len(text) else ""))
    return out


@app.command("ask")
def ask_cmd(
    question: str = typer.Argument(None, help="the question; none: ask interactively"),
    index: Path = IndexOpt,
    retriever: str = typer.Option(None, "--retriever", "-r", help="default: hybrid when the index has a dense or binary retriever, else bm25"),
    reader: Path = typer.Option(None, "--reader", help="a trained reader directory, or a packaged reader: default, minilm (more accurate, slower)"),
    rerank: Path = typer.Option(None, "--rerank", help="a trained ranker directory: re-rank retrieved passages"),
    passages: int = typer.Option(None, "--passages", "-p", min=1, max=200, help="passages read (default: setting ask_passages, 10)"),
    top: int = typer.Option(3, "--top", min=1, max=50, help="answers shown"),
    as_json: bool = JsonOpt,
    speak: bool = typer.Option(False, "--speak", help="say the answer aloud (eSpeak NG; setting speech_backend)"),
    audio_out: Path = typer.Option(None, "--out", help="with --speak: write the spoken answer to this WAV file instead of playing it"),
) -> None:  # fmt: skip
    """Answer a question from the indexed documents, with the evidence."""
    require_ml()
    from wenda.api import Wenda

    with Wenda(index, reader, rerank) as qa:
        questions = [question] if question is not None else _prompted()
        out = stdout_console()
        for q in questions:
            result = qa.ask(q, passages, retriever, top)
            if as_json:
                typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
            else:
                out.print(answer_text(result))
            if speak:
                _speak(result, audio_out, qa.settings.speech_backend)


def _speak(result: AskResult, out: Path | None, backend: str) -> None:
    """Say the result aloud, or write the WAV to ``out`` (atomically)."""
    from wenda.fileio import atomic_write_bytes
    from wenda.speak import play, spoken_text, synthesize

    wav = synthesize(spoken_text(result), backend)
    if out is None:
        play(wav)
    else:
        atomic_write_bytes(out, wav)


def _prompted():
    """Questions typed at a prompt (on stderr, so that ``--json`` output stays clean), until an
    empty line, ``exit``/``quit`` or end of input."""
    while True:
        sys.stderr.write("question> ")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line.strip() or line.strip().lower() in ("exit", "quit"):
            return
        yield line.strip()

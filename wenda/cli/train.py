"""``wenda train ranker``: train a text-matching model on an answer-selection or passage-ranking dataset."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer

from wenda.cli.app import app, err
from wenda.cli.common import IndexOpt, JsonOpt, require_ml

train_app = typer.Typer(help="Train models.", no_args_is_help=True)
app.add_typer(train_app, name="train")


def parse_settings(pairs: list[str]) -> dict:
    """``["lr=0.01", "loss=hinge"]`` -> ``{"lr": 0.01, "loss": "hinge"}`` (values read as JSON when
    they parse, else as strings)."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"--set wants key=value, not {pair!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


_SUMMARY = ("model", "out", "best", "best_epoch", "epoch", "stopped", "seconds", "params")


def _run(train, selection: str, as_json: bool) -> None:
    """Run a training function, turning setting errors into usage errors, and print its summary.
    Progress (epochs, a step line each minute) is logged to stderr, for runs whose bars nobody sees."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        report = train()
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if as_json:
        typer.echo(
            json.dumps({k: report.get(k) for k in (*_SUMMARY, "dataset", "train_examples") if k in report})
        )
        return
    err.print(
        f"{report['model']}: best {selection} {report['config']['metric']} {report['best']:.4f} at epoch "
        f"{report['best_epoch']} of {report['epoch']} (stopped: {report['stopped']}; {report['seconds']:.0f} s; "
        f"{report['params']:,} parameters)"
    )
    typer.echo(report["out"])


@train_app.command("ranker")
def ranker_cmd(
    model: str = typer.Option(..., "--model", "-m", help="a registered ranker (knrm, drmm, arci, ...)"),
    dataset: str = typer.Option(
        "wikiqa",
        "--dataset",
        "-d",
        help="wikiqa, trecqa, or passages (passage ranking made from the reading sets)",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="model directory to write (resumes if interrupted)"),
    set_: list[str] = typer.Option(None, "--set", help="model or training setting, key=value (repeatable)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bars"),
    as_json: bool = JsonOpt,
) -> None:
    """Train on the dataset's train split, keep the epoch with the best dev MAP, save to --out."""
    require_ml()
    from wenda.train.ranking import train_ranker

    _run(
        lambda: train_ranker(model, dataset, out, parse_settings(set_ or []), progress=not quiet),
        "dev",
        as_json,
    )


@train_app.command("reader")
def reader_cmd(
    model: str = typer.Option(..., "--model", "-m", help="a registered reader (drqa, ...)"),
    out: Path = typer.Option(..., "--out", "-o", help="model directory to write (resumes if interrupted)"),
    set_: list[str] = typer.Option(None, "--set", help="model or training setting, key=value (repeatable)"),
    data: list[str] = typer.Option(
        None, "--data", help="training sets (default: all eight span-annotated sets)"
    ),
    init: Path = typer.Option(
        None, "--init", help="start from this saved reader (fine-tune) instead of a fresh one"
    ),
    teacher: Path = typer.Option(
        None, "--teacher", help="a saved reader to distill from (distill_weight, distill_temperature)"
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bars"),
    as_json: bool = JsonOpt,
) -> None:
    """Train on the span-annotated training sets, keep the epoch with the best held-out F1, save to --out."""
    require_ml()
    from wenda.train.reading import train_reader

    settings = parse_settings(set_ or [])
    _run(
        lambda: train_reader(
            model, out, settings, data or None, progress=not quiet, init=init, teacher=teacher
        ),
        "held-out",
        as_json,
    )


@train_app.command("retriever")
def retriever_cmd(
    model: str = typer.Option(
        ..., "--model", "-m", help="a registered encoder (dssm, cdssm, bilstm, cnn, ...)"
    ),
    out: Path = typer.Option(..., "--out", "-o", help="model directory to write (resumes if interrupted)"),
    self_supervised: str = typer.Option(
        None,
        "--self-supervised",
        help="ict (inverse cloze) or crop (random cropping), over the index's passages",
    ),
    supervised: bool = typer.Option(
        False, "--supervised", help="also train on the question-passage pairs of the reading training sets"
    ),
    index: Path = IndexOpt,
    set_: list[str] = typer.Option(None, "--set", help="model or training setting, key=value (repeatable)"),
    init: Path = typer.Option(
        None, "--init", help="start from this saved encoder (with --set bits=N: add a hash layer to it)"
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bars"),
    as_json: bool = JsonOpt,
) -> None:
    """Train a dual encoder (bits=N adds a BPR hash layer), keep the epoch with the best held-out MRR."""
    require_ml()
    from wenda.collection import Collection
    from wenda.train.retrieval import train_retriever

    if not self_supervised and not supervised:
        raise typer.BadParameter("say what to train on: --self-supervised ict|crop and/or --supervised")
    passages = None
    if self_supervised:
        with Collection.open(index) as collection:
            passages = collection.passage_texts()
    settings = parse_settings(set_ or [])
    _run(
        lambda: train_retriever(
            model, out, settings, passages, self_supervised, supervised, progress=not quiet, init=init
        ),
        "held-out",
        as_json,
    )

"""``wenda eval retrieval --dataset squad-open``: measure retrievers on a standard benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from wenda.cli.app import app, err
from wenda.cli.common import JsonOpt, PrecisionOpt, RayOpt, RayWorkersOpt, ray_target, require_ml
from wenda.config import settings

eval_app = typer.Typer(help="Evaluate on standard benchmarks.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("retrieval")
def retrieval_cmd(
    dataset: str = typer.Option(
        "squad-open", "--dataset", "-d", help="squad-open, nq-open, or the dev set held-out-open"
    ),
    retriever: list[str] = typer.Option(
        None,
        "--retriever",
        "-r",
        help="default: bm25 and tfidf (plus dense/binary and hybrid with --encoder)",
    ),
    encoder: Path = typer.Option(None, "--encoder", help="a trained encoder: also build and judge its index"),
    index: Path = typer.Option(None, "--index", "-i", help="where to build the benchmark's index"),
    limit: int = typer.Option(0, "--limit", min=0, help="evaluate only the first N questions (0: all)"),
    ray: str = RayOpt,
    ray_workers: int = RayWorkersOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Top-1/5/20/100 answer recall and MRR per retriever (DrQA's open-domain protocol); with
    --ray, the index is built and the questions searched on Ray."""
    from wenda.cli.index import learned_retrievers
    from wenda.eval.retrieval import BENCHMARKS, answer_recall, open_benchmark

    if dataset not in BENCHMARKS:
        raise typer.BadParameter(f"unknown dataset {dataset!r}; choose from {', '.join(BENCHMARKS)}")
    asked = list(retriever or ["bm25", "tfidf"])
    stored = [r for r in asked if r != "hybrid"]
    stored, params = learned_retrievers(stored, encoder, None, "flat")
    names = (
        list(dict.fromkeys([*asked, *stored])) if retriever else [*stored, *(["hybrid"] if encoder else [])]
    )
    index = index or settings().cache_dir / dataset
    target = ray_target(ray, ray_workers)
    col, questions = open_benchmark(dataset, index, retrievers=stored, params=params, ray=target)
    questions = questions[:limit] if limit else questions
    results = {}
    with col, Progress(console=err, transient=True) as bar:
        for name in names:
            task = bar.add_task(f"{dataset} {name}", total=len(questions))
            results[name] = answer_recall(
                col, questions, name, progress=lambda i, t=task: bar.update(t, completed=i), ray=target
            )
        passages = col.store.counts()["passages"]
    if as_json:
        typer.echo(json.dumps({"dataset": dataset, "passages": passages, "results": results}))
        return
    table = Table(title=f"{dataset}: {len(questions)} questions, {passages} passages")
    for col_name in ("retriever", "top-1", "top-5", "top-20", "top-100", "MRR", "ms p50", "ms p95"):
        table.add_column(col_name, justify="right")
    for name, r in results.items():
        table.add_row(
            name,
            *(f"{r[f'recall@{k}']:.1f}" for k in (1, 5, 20, 100)),
            f"{r['mrr']:.3f}",
            f"{r['ms_p50']:.2f}",
            f"{r['ms_p95']:.2f}",
        )
    Console().print(table)


@eval_app.command("ranker")
def ranker_cmd(
    model_dir: Path = typer.Argument(..., help="a trained ranker directory"),
    dataset: str = typer.Option(
        "wikiqa",
        "--dataset",
        "-d",
        help="wikiqa, trecqa or passages (made from the reading sets; test: SQuAD v1.1 dev)",
    ),
    split: str = typer.Option("test", "--split", help="test or dev"),
    as_json: bool = JsonOpt,
) -> None:
    """MAP, MRR, NDCG@3, NDCG@5 on the filtered (standard) and full judgments of a split."""
    require_ml()
    from wenda.eval.ranking import evaluate_scorer
    from wenda.rank.reranker import load_ranker
    from wenda.train.ranking import ranking_dataset

    try:
        data = ranking_dataset(dataset)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    ranker = load_ranker(model_dir)
    queries = data.load(split)
    results = {}
    for judged in ("filtered", "full"):
        qrels = data.qrels(split, filtered=judged == "filtered")
        results[judged] = {"queries": len(qrels), **evaluate_scorer(ranker, queries, qrels)}
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "model": str(model_dir),
                    "type": ranker.name,
                    "dataset": dataset,
                    "split": split,
                    "results": results,
                }
            )
        )
        return
    table = Table(title=f"{ranker.name} on {dataset} {split}")
    for col_name in ("judgments", "queries", "MAP", "MRR", "NDCG@3", "NDCG@5"):
        table.add_column(col_name, justify="right")
    for judged, r in results.items():
        table.add_row(judged, str(r["queries"]), *(f"{r[m]:.4f}" for m in ("map", "mrr", "ndcg@3", "ndcg@5")))
    Console().print(table)


READER_DATASETS = {
    "squad-v1.1-dev": "squad-dev/squad-v1.1-dev.json",
    "squad-v2.0-dev": "squad-dev/squad-v2.0-dev.json",
}


@eval_app.command("reader")
def reader_cmd(
    model_dir: Path = typer.Argument(
        None, help="a trained reader directory, or a packaged reader: default (the default), minilm"
    ),
    dataset: str = typer.Option("squad-v1.1-dev", "--dataset", "-d", help=", ".join(READER_DATASETS)),
    limit: int = typer.Option(
        0, "--limit", min=0, help="read only the first N questions (0: all; scored over those)"
    ),
    precision: str = PrecisionOpt,
    ray: str = RayOpt,
    ray_workers: int = RayWorkersOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Official SQuAD EM and F1 (v2.0: with the reader's stored no-answer threshold) of the best
    answer in each question's paragraph, and the expected calibration error of its probability."""
    require_ml()
    from wenda.data import load_squad, require
    from wenda.eval.reading import evaluate_reader, squad_questions
    from wenda.read.answer import load_reader

    if dataset not in READER_DATASETS:
        raise typer.BadParameter(f"unknown dataset {dataset!r}; choose from {', '.join(READER_DATASETS)}")
    reader = load_reader(model_dir, precision=precision)
    articles = load_squad(require(READER_DATASETS[dataset]))
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(dataset, total=len(squad_questions(articles, limit)))
        result = evaluate_reader(
            reader,
            articles,
            limit,
            lambda: bar.advance(task),
            ray=ray_target(ray, ray_workers),
            model_dir=model_dir,
        )
    if as_json:
        typer.echo(
            json.dumps(
                {"model": str(model_dir or "default"), "type": reader.name, "dataset": dataset, **result}
            )
        )
        return
    em, f1 = result.get("exact_match", result.get("exact")), result["f1"]
    Console().print(
        f"{reader.name} on {dataset}: {result['questions']} questions, EM {em:.2f}, F1 {f1:.2f}, "
        f"ECE {result['ece']:.3f} (T = {result['temperature']:.2f}; uncalibrated {result['ece_uncalibrated']:.3f})"
    )


# the settings an end-to-end figure depends on, reported beside it
_QA_SETTINGS = (
    "ask_passages",
    "ask_rank_prior",
    "ask_context",
    "hybrid_fusion",
    "hybrid_weight",
    "hybrid_tfidf",
    "hybrid_depth",
    "reader_precision",
)


@eval_app.command("qa")
def qa_cmd(
    dataset: str = typer.Option("squad-open", "--dataset", "-d", help="squad-open, nq-open, curated-trec or webquestions"),
    retriever: list[str] = typer.Option(None, "--retriever", "-r", help="configurations to compare (default: bm25, plus hybrid with --encoder)"),
    encoder: Path = typer.Option(None, "--encoder", help="a trained encoder: also build its index (for dense, binary, hybrid)"),
    reader: Path = typer.Option(None, "--reader", help="a trained reader directory, or a packaged reader: default, minilm (more accurate, slower)"),
    rerank: Path = typer.Option(None, "--rerank", help="a trained ranker: re-rank retrieved passages"),
    passages: int = typer.Option(None, "--passages", "-p", min=1, max=200, help="passages read (default: setting ask_passages)"),
    index: Path = typer.Option(None, "--index", "-i", help="where to build the benchmark's index"),
    limit: int = typer.Option(0, "--limit", min=0, help="evaluate only the first N questions (0: all)"),
    batch: int = typer.Option(1, "--batch", min=1, max=256, help="questions read together (faster; latency is then per batch)"),
    ray: str = RayOpt,
    ray_workers: int = RayWorkersOpt,
    as_json: bool = JsonOpt,
) -> None:  # fmt: skip
    """End-to-end QA: exact match of the top answer over the whole corpus, and per-stage latency."""
    require_ml()
    from wenda.api import Wenda
    from wenda.cli.index import learned_retrievers
    from wenda.eval.qa import REGEX_ANSWERS, evaluate_qa
    from wenda.eval.retrieval import BENCHMARKS, open_benchmark

    if dataset not in BENCHMARKS:
        raise typer.BadParameter(f"unknown dataset {dataset!r}; choose from {', '.join(BENCHMARKS)}")
    asked = list(retriever or ["bm25"])
    stored, params = learned_retrievers(
        ["bm25", *(r for r in asked if r not in ("bm25", "hybrid"))], encoder, None, "flat"
    )
    names = list(dict.fromkeys(asked + (["hybrid"] if encoder and not retriever else [])))
    index = index or settings().cache_dir / dataset
    target = ray_target(ray, ray_workers)
    col, questions = open_benchmark(dataset, index, retrievers=stored, params=params, ray=target)
    col.close()
    questions = questions[:limit] if limit else questions
    results = {}
    with Wenda(index, reader, rerank) as qa, Progress(console=err, transient=True) as bar:
        for name in names:
            task = bar.add_task(f"{dataset} {name}", total=len(questions))
            results[name] = evaluate_qa(
                qa,
                questions,
                name,
                passages,
                dataset in REGEX_ANSWERS,
                lambda i, t=task: bar.update(t, completed=i),
                batch,
                target,
            )
        used = {k: getattr(qa.settings, k) for k in _QA_SETTINGS} | {"reader": qa.reader_name}
    if as_json:
        typer.echo(
            json.dumps({"dataset": dataset, "reranked": bool(rerank), "settings": used, "results": results})
        )
        return
    table = Table(title=f"{dataset}: {len(questions)} questions, top answer over the corpus")
    columns = ("retriever", "EM", "EM (abstaining)", "abstained %", "answer in passages %", "total ms p50",
               "total ms p95")  # fmt: skip
    for col_name in columns:
        table.add_column(col_name, justify="right")
    for name, r in results.items():
        total = r["latency_ms"]["total"]
        table.add_row(name, f"{r['exact_match']:.1f}", f"{r['exact_match_abstaining']:.1f}", f"{r['abstained']:.1f}",
                      f"{r['answer_in_passages']:.1f}", f"{total['p50']:.0f}", f"{total['p95']:.0f}")  # fmt: skip
    Console().print(table)

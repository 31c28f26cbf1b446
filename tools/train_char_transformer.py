"""Train the character-level Transformers whose weights ship with nnkit (``nnkit.models.load_pretrained``).

Two tasks, each a :class:`nnkit.models.CharTransformer` trained with nnkit alone, on one BLAS thread:

- ``names``: the names of ``nnkit.data.load_names`` (inputs and targets from ``nnkit.data.encode_names``),
  a model of about 400,000 parameters, AdamW with a learning rate falling linearly to a tenth, a fixed number
  of epochs; the weights of the epoch with the lowest validation loss are kept;
- ``shakespeare``: ``nnkit.data.load_shakespeare``, random windows of ``block_size + 1`` characters from the
  training part, a fixed number of steps; validation on the non-overlapping windows of the validation part.

Run (each takes minutes; the chapter only loads the result)::

    .venv/bin/python tools/train_char_transformer.py names
    .venv/bin/python tools/train_char_transformer.py shakespeare

Each run writes ``nnkit/_data/<task>_transformer.npz`` (the state dict, stored as float16 to halve the file)
and ``nnkit/_data/<task>_transformer.json`` (the configuration, the vocabulary, the learning curve and the
final losses, computed with the float16 weights as shipped), and prints the two files' SHA-256 to paste into
``PRETRAINED`` in ``nnkit/models.py``. ``tests/test_models.py`` checks that the shipped weights give the
losses logged here.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import nnkit
from nnkit import data, optim
from nnkit.models import CharTransformer, language_model_loss

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "nnkit" / "_data"

CONFIGS = {
    "names": {
        "model": dict(d_model=128, nhead=4, num_layers=2, dim_feedforward=512, dropout=0.0),
        "block_size": 16,
        "batch_size": 128,
        "lr": 2e-3,
        "weight_decay": 0.01,
        "epochs": 10,
        "seed": 0,
    },
    "shakespeare": {
        "model": dict(d_model=128, nhead=4, num_layers=4, dim_feedforward=512, dropout=0.0),
        "block_size": 128,
        "batch_size": 32,
        "lr": 2e-3,
        "weight_decay": 0.01,
        "steps": 1200,
        "eval_every": 250,
        "seed": 0,
    },
}


def linear_decay(opt: optim.Optimizer, lr: float, done: float) -> None:
    """The learning rate at fraction ``done`` of the run: from ``lr`` down to ``lr / 10``, linearly."""
    opt.lr = lr * (1 - 0.9 * done)


def step(model: CharTransformer, loss_fn: nnkit.CrossEntropyLoss, opt: optim.Optimizer, x: np.ndarray,
         y: np.ndarray) -> float:  # fmt: skip
    opt.zero_grad()
    loss = loss_fn(model(x).reshape(-1, model.vocab_size), y.reshape(-1))
    model.backward(loss_fn.backward().reshape(*x.shape, model.vocab_size))
    nnkit.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return float(loss)


def train_names(cfg: dict) -> tuple[CharTransformer, dict]:
    train, validation, test = data.load_names()
    sets = {k: data.encode_names(v, cfg["block_size"]) for k, v in (("train", train), ("val", validation),
                                                                     ("test", test))}  # fmt: skip
    model = CharTransformer(len(data.NAMES_VOCAB), cfg["block_size"], **cfg["model"], rng=cfg["seed"])
    opt = optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    loss_fn = nnkit.CrossEntropyLoss(ignore_index=-100)
    rng = np.random.default_rng(cfg["seed"])
    X, Y = sets["train"]
    per_epoch = -(-len(X) // cfg["batch_size"])
    total, done, best, history = cfg["epochs"] * per_epoch, 0, (np.inf, None, 0), []
    start = time.perf_counter()
    for epoch in range(1, cfg["epochs"] + 1):
        for xb, yb in data.batches(X, Y, cfg["batch_size"], rng=rng):
            linear_decay(opt, cfg["lr"], done / total)
            step(model, loss_fn, opt, xb, yb)
            done += 1
        val = language_model_loss(model, *sets["val"])
        history.append({"epoch": epoch, "val_loss": val, "seconds": time.perf_counter() - start})
        print(f"epoch {epoch}: validation {val:.4f} nats/char ({time.perf_counter() - start:.0f} s)", flush=True)
        if val < best[0]:
            best = (val, {k: v.copy() for k, v in model.state_dict().items()}, epoch)
    model.load_state_dict(best[1])
    log = {"best_epoch": best[2], "history": history, "seconds": time.perf_counter() - start}
    return model, log | {"sets": sets}


def train_shakespeare(cfg: dict) -> tuple[CharTransformer, dict]:
    train, validation = data.load_shakespeare()
    vocab = "".join(sorted(set(train + validation)))
    lookup = {ch: i for i, ch in enumerate(vocab)}
    tr = np.array([lookup[ch] for ch in train], dtype=np.int64)
    va = np.array([lookup[ch] for ch in validation], dtype=np.int64)
    t = cfg["block_size"]
    chunks = (len(va) - 1) // t
    sets = {"val": (va[: chunks * t].reshape(chunks, t), va[1 : chunks * t + 1].reshape(chunks, t))}
    model = CharTransformer(len(vocab), t, **cfg["model"], rng=cfg["seed"])
    opt = optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    loss_fn = nnkit.CrossEntropyLoss()
    rng = np.random.default_rng(cfg["seed"])
    history, running, start = [], None, time.perf_counter()
    for i in range(cfg["steps"]):
        linear_decay(opt, cfg["lr"], i / cfg["steps"])
        at = rng.integers(0, len(tr) - t - 1, size=cfg["batch_size"])
        windows = tr[at[:, None] + np.arange(t + 1)]
        loss = step(model, loss_fn, opt, windows[:, :-1], windows[:, 1:])
        running = loss if running is None else 0.98 * running + 0.02 * loss
        if (i + 1) % cfg["eval_every"] == 0 or i + 1 == cfg["steps"]:
            val = language_model_loss(model, *sets["val"])
            seconds = time.perf_counter() - start
            history.append({"step": i + 1, "train_loss": running, "val_loss": val, "seconds": seconds})
            print(f"step {i + 1}: train ~{running:.3f}, validation {val:.4f} nats/char ({seconds:.0f} s)", flush=True)
    log = {"history": history, "seconds": time.perf_counter() - start, "vocab": vocab}
    return model, log | {"sets": sets}


def as_float16(model: CharTransformer) -> dict[str, np.ndarray]:
    return {k: v.astype(np.float16) for k, v in model.state_dict().items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=sorted(CONFIGS))
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder for the two files (default {OUT})")
    args = parser.parse_args(argv)
    cfg = CONFIGS[args.task]
    with threadpool_limits(limits=1, user_api="blas"):
        model, log = (train_names if args.task == "names" else train_shakespeare)(cfg)
        sets = log.pop("sets")
        shipped = as_float16(model)
        model.load_state_dict(shipped)  # the losses below are those of the weights as shipped
        losses = {f"{k}_loss": language_model_loss(model, *v) for k, v in sets.items()}
    vocab = log.pop("vocab", data.NAMES_VOCAB)
    record = {
        "task": args.task,
        "config": cfg,
        "vocab": vocab,
        "parameters": model.num_parameters(),
        **losses,
        **log,
        "nnkit": nnkit.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
    }
    buf = io.BytesIO()
    np.savez_compressed(buf, **shipped)
    weights = args.out / f"{args.task}_transformer.npz"
    weights.write_bytes(buf.getvalue())
    text = json.dumps(record, indent=1) + "\n"
    (args.out / f"{args.task}_transformer.json").write_text(text, encoding="utf-8")
    print(json.dumps({k: record[k] for k in ("parameters", *losses)}))
    print(f"{weights.name} sha256 {hashlib.sha256(weights.read_bytes()).hexdigest()}")
    print(f"{args.task}_transformer.json sha256 {hashlib.sha256(text.encode()).hexdigest()}")


if __name__ == "__main__":
    main()

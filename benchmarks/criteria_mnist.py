"""Benchmark of issue 4: the pruning criteria side by side on a small MNIST CNN.

On 10,000 MNIST digits (first 8,000 train, last 2,000 valid) the benchmark CNN (conv 32/64/128 3x3 with
batch norm, max-pool, global average pool, Linear 128->10; ~94k params) is trained with
`fit_one_cycle(epochs, 3e-3)`, bs 128, the same budget for every run:

  structured    PruneCallback(pruning_ratio=0.5, schedule=one_shot) removes 50 % of the channels of every
                coupled group halfway through training (the rest of training fine-tunes), with each criterion;
                Slim also with its sparsity regulariser (slim_regularizer(1e-4) during the whole fit).
  unstructured  SparsifyCallback(sparsity=0.9, granularity='weight', context='global', schedule=agp) with the
                unit-level criteria (l2_norm masks exactly like l1_norm at weight level, so it is left out).

References: the dense model and random pruning. Prints one Markdown table per part: validation accuracy,
parameters (non-zero ones for masking) and MACs per sample (torch-pruning's counter), and fit time.

Run from the repository root:
    python benchmarks/criteria_mnist.py [--epochs 3] [--part structured|unstructured|both] [--only l1_norm,apoz] [--no-dense]
About 20 fits of 3 epochs: 1-2 minutes each on a quiet 2-core CPU.
"""
from __future__ import annotations
import argparse, platform, sys, time, warnings
from pathlib import Path

import torch
import torch.nn as nn

warnings.filterwarnings('ignore')
from fastai.learner import Learner
from fastai.metrics import accuracy
from fastai.callback.schedule import fit_one_cycle  # noqa: F401  (patches Learner.fit_one_cycle)
from fastai.torch_core import set_seed

from fasterprune.core.criteria import random
from fasterprune.core.importance import (l1_norm, l2_norm, lamp, fpgm, slim, apoz, mean_activation, taylor_weight,
                                         taylor_activation, movement_score, wanda)
from fasterprune.sparse.callback import SparsifyCallback
from fasterprune.regularize.callback import slim_regularizer

from mnist import DEFAULT_DATA, load_mnist, make_dls, make_cnn
STRUCTURED = [random, l1_norm, l2_norm, fpgm, slim, 'slim+reg', apoz, mean_activation, taylor_weight,
              taylor_activation, movement_score, wanda, lamp]
UNSTRUCTURED = [random, l1_norm, lamp, taylor_weight, movement_score, wanda]


# ----------------------------------------------------------------------------------------------- measures
def macs_params(model: nn.Module) -> tuple[int, int]:
    import torch_pruning as tp
    was = model.training
    model.eval()
    with torch.no_grad(): macs, params = tp.utils.count_ops_and_params(model, torch.zeros(1, 1, 28, 28))
    model.train(was)
    return int(macs), int(params)

def nonzero_params(model: nn.Module) -> int:
    return sum(int((p != 0).sum()) for p in model.parameters())


# ----------------------------------------------------------------------------------------------- runs
def run(name: str, cbs, args, data) -> dict:
    set_seed(args.seed, reproducible=True)
    model = make_cnn()
    learn = Learner(make_dls(data, args.bs), model, loss_func=nn.CrossEntropyLoss(), metrics=accuracy)
    cbs = cbs() if callable(cbs) else cbs
    with learn.no_bar(), learn.no_logging():
        t0 = time.perf_counter()
        learn.fit_one_cycle(args.epochs, args.lr, cbs=cbs)
        t = time.perf_counter() - t0
    acc = float(learn.recorder.values[-1][2])
    macs, params = macs_params(learn.model)
    row = dict(name=name, acc=acc, params=params, nonzero=nonzero_params(learn.model), macs=macs, time=t)
    print(f"  {name:<22} acc {acc:.4f}  params {params:,}  non-zero {row['nonzero']:,}  MACs {macs:,}  {t:.0f}s",
          file=sys.stderr, flush=True)
    return row

def structured(args, data, crits, dense) -> list[dict]:
    from fasterprune.prune.callback import PruneCallback
    rows = [dense]
    for c in crits:
        name = c if isinstance(c, str) else c.name
        crit = slim if name == 'slim+reg' else c
        def cbs(crit=crit, name=name):
            cb = [PruneCallback(pruning_ratio=args.ratio, schedule='one_shot', criteria=crit, report_latency=False, verbose=False)]
            return cb + ([slim_regularizer(args.slim_lambda)] if name == 'slim+reg' else [])
        rows.append(run(name, cbs, args, data))
    return rows

def unstructured(args, data, crits, dense) -> list[dict]:
    rows = [dense]
    for c in crits:
        cbs = lambda c=c: [SparsifyCallback(sparsity=args.sparsity, granularity='weight', context='global',
                                            criteria=c, schedule='agp', verbose=False)]
        rows.append(run(c.name, cbs, args, data))
    return rows

def table(rows: list[dict], masked: bool) -> str:
    dense = rows[0]
    head = ('| criterion | accuracy | params | non-zero params | MACs | fit time |\n|---|---|---|---|---|---|' if masked else
            '| criterion | accuracy | params | MACs | fit time |\n|---|---|---|---|---|')
    lines = [head]
    for r in rows:
        p = f"{r['params']:,} ({r['params'] / dense['params']:.0%})"
        nz = f"{r['nonzero']:,} ({r['nonzero'] / dense['nonzero']:.0%})"
        m = f"{r['macs'] / 1e6:.2f} M ({r['macs'] / dense['macs']:.0%})"
        cells = [r['name'], f"{r['acc']:.4f}", p] + ([nz] if masked else []) + [m, f"{r['time']:.0f} s"]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--epochs', type=int, default=3)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--bs', type=int, default=128)
    ap.add_argument('--ratio', type=float, default=0.5, help='channels removed (structured)')
    ap.add_argument('--sparsity', type=float, default=0.9, help='weights masked (unstructured)')
    ap.add_argument('--slim-lambda', type=float, default=1e-4)
    ap.add_argument('--part', choices=['structured', 'unstructured', 'both'], default='both')
    ap.add_argument('--only', default=None, help='comma-separated criteria names')
    ap.add_argument('--no-dense', action='store_true', help='skip the dense reference fit (e.g. when splitting a run)')
    ap.add_argument('--seed', type=int, default=42)
    ap.add_argument('--data', type=Path, default=DEFAULT_DATA)
    args = ap.parse_args(argv)
    keep = None if args.only is None else set(args.only.split(','))
    pick = lambda cs: [c for c in cs if keep is None or (c if isinstance(c, str) else c.name) in keep]
    data = load_mnist(args.data)
    print(f"# Criteria on mnist10k: {args.epochs} epochs of fit_one_cycle(lr={args.lr}), bs {args.bs}, seed {args.seed}; "
          f"torch {torch.__version__}, {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads\n")
    if args.no_dense:   # sizes of the untrained model; accuracy not measured
        macs, params = macs_params(make_cnn())
        dense = dict(name='dense (not run)', acc=float('nan'), params=params, nonzero=params, macs=macs, time=0.)
    else: dense = run('dense', [], args, data)
    if args.part in ('structured', 'both'):
        rows = structured(args, data, pick(STRUCTURED), dense)
        print(f"## {args.ratio:.0%} of the channels removed (PruneCallback, one_shot at 50 % of training)\n")
        print(table(rows, masked=False) + '\n', flush=True)
    if args.part in ('unstructured', 'both'):
        rows = unstructured(args, data, pick(UNSTRUCTURED), dense)
        print(f"## {args.sparsity:.0%} unstructured sparsity (SparsifyCallback, global, agp)\n")
        print(table(rows, masked=True) + '\n', flush=True)

if __name__ == '__main__':
    main()

"""Benchmark of issue 3 (part 2): PruneCallback on a small MNIST CNN, against dense training.

On 10,000 MNIST digits (first 8,000 train, last 2,000 valid) the benchmark CNN (3 convs with batch
norm, 32/64/128 channels, 3x3, max-pool between convs, global average pool, Linear 128->10, 94,186
params) is trained with `fit_one_cycle(6, 3e-3)`, bs 128, Adam, once dense and once with
`PruneCallback(pruning_ratio=0.5, schedule=agp, context='local', criteria=large_final)`.
Prints validation accuracy, params, MACs (one sample) and the CPU inference latency (batch 256,
median of 20) of both models, and the speed-up.

Run from the repository root:  python benchmarks/prune_mnist.py [--end-epoch 4] [--seed 42] [--data PATH]
"""
from __future__ import annotations
import argparse, platform, time, warnings
from pathlib import Path

import torch
import torch.nn as nn

warnings.filterwarnings('ignore')
import fastai
from fastai.learner import Learner
from fastai.metrics import accuracy
from fastai.callback.schedule import fit_one_cycle  # noqa: F401
from fastai.torch_core import set_seed

import fasterprune
from fasterprune.all import large_final, agp
from fasterprune.prune.callback import PruneCallback
from fasterprune.core.budget import count_macs_params, measure_latency

from mnist import DEFAULT_DATA, load_mnist, make_dls, make_cnn


def fit(dls, args, cbs=None):
    set_seed(args.seed, reproducible=True)
    learn = Learner(dls, make_cnn(), loss_func=nn.CrossEntropyLoss(), metrics=accuracy)
    t = time.perf_counter()
    with learn.no_logging() if args.quiet else _null():
        learn.fit_one_cycle(args.epochs, args.lr, cbs=cbs)
    return learn, time.perf_counter() - t


class _null:
    def __enter__(self): return self
    def __exit__(self, *a): return False


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', type=Path, default=DEFAULT_DATA)
    ap.add_argument('--epochs', type=int, default=6)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--bs', type=int, default=128)
    ap.add_argument('--ratio', type=float, default=0.5)
    ap.add_argument('--end-epoch', type=float, default=4,
                    help='epoch where agp reaches the ratio (the rest fine-tunes the final shape); 0: end of training')
    ap.add_argument('--seed', type=int, default=42)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--quiet', action='store_true')
    args = ap.parse_args()
    if args.quiet:
        import fastprogress.fastprogress as fp
        fp.NO_BAR = True
    torch.set_num_threads(args.threads)
    print(f"python {platform.python_version()}, torch {torch.__version__}, fastai {fastai.__version__}, "
          f"fasterprune {fasterprune.__version__}, threads {torch.get_num_threads()}, seed {args.seed}")
    dls = make_dls(load_mnist(args.data), args.bs)
    xv = dls.valid.x[:256]

    dense, t_dense = fit(dls, args)
    end = {'end_epoch': args.end_epoch} if args.end_epoch else {}
    cb = PruneCallback(pruning_ratio=args.ratio, schedule=agp, context='local', criteria=large_final,
                       report_latency=False, verbose=not args.quiet, **end)
    pruned, t_pruned = fit(dls, args, cb)

    rows = []
    for name, learn, t in (('dense', dense, t_dense), ('pruned', pruned, t_pruned)):
        c = count_macs_params(learn.model, xv)
        acc = float(learn.validate()[1])
        lat = measure_latency(learn.model, xv, repeats=20)
        rows.append((name, acc, c['params'], c['macs'], lat, t))
    print(f"\nPruneCallback({args.ratio}, schedule=agp{f'(end_epoch={args.end_epoch:g})' if end else ''}), "
          f"fit_one_cycle({args.epochs}, {args.lr}), bs {args.bs}; pruning steps: "
          f"{[(h['epoch'], h['iter']) for h in cb.history]}")
    print(f"{'':8}{'accuracy':>10}{'params':>10}{'MACs':>13}{'latency ms':>12}{'fit s':>8}")
    for name, acc, p, m, lat, t in rows:
        print(f"{name:8}{acc:>10.4f}{p:>10,}{m:>13,}{1e3 * lat:>12.2f}{t:>8.1f}")
    (_, a0, p0, m0, l0, _), (_, a1, p1, m1, l1, _) = rows
    print(f"\nparams kept {p1 / p0:.1%}, MACs kept {m1 / m0:.1%}, CPU inference speed-up {l0 / l1:.2f}x "
          f"(batch 256, median of 20), accuracy {a1 - a0:+.4f}")
    print(cb.report)


if __name__ == '__main__':
    main()

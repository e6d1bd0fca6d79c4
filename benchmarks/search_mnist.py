"""Benchmark of issue 12: per-layer plans against one ratio for all layers, at the same MACs budget.

On 10,000 MNIST digits (first 8,000 train, last 2,000 valid) the benchmark CNN (3 convs with batch
norm, 32/64/128 channels, 94,186 params) is trained with `fit_one_cycle(epochs, lr)`. Then three
plans keep the same fraction of its MACs (`--macs`, default 30 %):

- uniform: `Pruner(model, x).prune(macs=...)`, one channel ratio for every layer;
- analysis: `analyse` (each layer alone at `--ratios`) and `Sensitivity.allocate(macs=...)`;
- search: `search_subnets(macs=..., n_subnets=...)`, the best candidate after adaptive BN.

Each pruned model has its batch norms re-estimated on the same `--calib-batches` training batches
(in order) and is validated ("adaptive BN": no training), then fine-tuned with the same
`fit_one_cycle(--ft-epochs, --ft-lr)` and the same seed, and validated again. Prints a table and
writes it to SEARCH.md (default: benchmarks/results/).

Run from the repository root:  python benchmarks/search_mnist.py [--quick] [--macs 0.3] [--n-subnets 30] [--out DIR]
"""
from __future__ import annotations
import argparse, platform, sys, time, warnings
from copy import deepcopy
from pathlib import Path

import torch
import torch.nn as nn

warnings.filterwarnings('ignore')
import fastai
from fastai.learner import Learner
from fastai.metrics import accuracy
from fastai.callback.schedule import fit_one_cycle  # noqa: F401
from fastai.torch_core import set_seed
import fastprogress.fastprogress as fp

import fasterprune
from fasterprune.analyze.evaluate import learner_evaluator
from fasterprune.analyze.sensitivity import analyse
from fasterprune.analyze.search import search_subnets
from fasterprune.core.budget import count_macs_params
from fasterprune.prune.pruner import Pruner, recalibrate_bn

from mnist import DEFAULT_DATA, load_mnist, make_dls, make_cnn

RESULTS = Path(__file__).resolve().parent / 'results'


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', type=Path, default=DEFAULT_DATA)
    ap.add_argument('--epochs', type=int, default=4, help='epochs to train the baseline')
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--bs', type=int, default=128)
    ap.add_argument('--macs', type=float, default=0.3, help='fraction of the MACs every plan keeps')
    ap.add_argument('--n-subnets', type=int, default=30)
    ap.add_argument('--ratios', type=float, nargs='+', default=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    ap.add_argument('--calib-batches', type=int, default=10)
    ap.add_argument('--ft-epochs', type=int, default=1)
    ap.add_argument('--ft-lr', type=float, default=1e-3)
    ap.add_argument('--seed', type=int, default=42)
    ap.add_argument('--ft-seeds', type=int, default=3, help='fine-tune each plan with this many seeds: mean and spread')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--out', type=Path, default=RESULTS)
    ap.add_argument('--quick', action='store_true', help='a smoke run: 2,000 training digits, 2 epochs, 4 subnets, 2 ratios')
    args = ap.parse_args(argv)
    if args.quick:
        args.epochs, args.lr, args.n_subnets, args.ratios, args.calib_batches, args.ft_epochs, args.ft_seeds = 2, 1e-2, 4, [0.4, 0.8], 2, 1, 1
    fp.NO_BAR = True
    torch.set_num_threads(args.threads)
    command = 'python benchmarks/search_mnist.py ' + ' '.join(sys.argv[1:] if argv is None else argv)
    header = (f"python {platform.python_version()}, torch {torch.__version__}, fastai {fastai.__version__}, "
              f"fasterprune {fasterprune.__version__}, threads {torch.get_num_threads()}, seed {args.seed}")
    print(header)
    t_start = time.perf_counter()
    xt, yt, xv, yv = load_mnist(args.data)
    if args.quick: xt, yt, xv, yv = xt[:2000], yt[:2000], xv[:500], yv[:500]
    dls = make_dls((xt, yt, xv, yv), args.bs)
    x = xt[:8]
    calib = [xt[i * args.bs:(i + 1) * args.bs] for i in range(args.calib_batches)]   # the same batches for every plan

    set_seed(args.seed, reproducible=True)
    learn = Learner(dls, make_cnn(), loss_func=nn.CrossEntropyLoss(), metrics=accuracy)
    with learn.no_logging(): learn.fit_one_cycle(args.epochs, args.lr)
    baseline, base_acc = learn.model, float(learn.validate()[1])
    base = count_macs_params(baseline, x)
    ev = learner_evaluator(learn)
    print(f"baseline: accuracy {base_acc:.4f}, {base['params']:,} params, {base['macs']:,} MACs")

    plans, times = {}, {}
    t = time.perf_counter()
    m = deepcopy(baseline); Pruner(m, x).prune(macs=args.macs)
    plans['uniform ratio'], times['uniform ratio'] = m, time.perf_counter() - t
    t = time.perf_counter()
    sens = analyse(baseline, x, ev, ratios=args.ratios, calibrate=calib, progress=False)
    m = deepcopy(baseline); Pruner(m, x, context=sens.allocate(macs=args.macs)).prune()
    plans['analysis allocation'], times['analysis allocation'] = m, time.perf_counter() - t
    t = time.perf_counter()
    res = search_subnets(baseline, x, ev, macs=args.macs, n_subnets=args.n_subnets, calibrate=calib, seed=args.seed,
                         progress=False)
    m = deepcopy(baseline); res.apply(m, example_inputs=x)
    name = f'one-step search (best of {args.n_subnets})'
    plans[name], times[name] = m, time.perf_counter() - t

    rows = []
    for name, m in plans.items():
        recalibrate_bn(m, calib)
        adaptive, tuned = ev(m), []
        for s in range(args.ft_seeds):                       # the same fine-tunings for every plan
            set_seed(args.seed + s, reproducible=True)
            ft = Learner(dls, deepcopy(m), loss_func=nn.CrossEntropyLoss(), metrics=accuracy)
            with ft.no_logging(): ft.fit_one_cycle(args.ft_epochs, args.ft_lr)
            tuned.append(float(ft.validate()[1]))
        c = count_macs_params(m, x)
        rows.append(dict(plan=name, macs=c['macs'] / base['macs'], params=c['params'] / base['params'], adaptive=adaptive,
                         tuned=sum(tuned) / len(tuned), spread=max(tuned) - min(tuned), seconds=times[name]))
    wall = time.perf_counter() - t_start

    table = ["| plan | MACs kept | params kept | accuracy, adaptive BN | accuracy, fine-tuned (mean) | max - min | plan time (s) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    table += [f"| {r['plan']} | {r['macs']:.2%} | {r['params']:.2%} | {r['adaptive']:.4f} | {r['tuned']:.4f} | {r['spread']:.4f} "
              f"| {r['seconds']:.1f} |" for r in rows]
    text = '\n'.join([
        "# Per-layer plans against one ratio, at the same MACs budget (issue 12)", "",
        f"Command: `{command}`", "", header, "",
        f"Benchmark CNN on mnist10k ({len(xt):,} train / {len(xv):,} valid digits), baseline `fit_one_cycle({args.epochs}, "
        f"{args.lr})`: accuracy {base_acc:.4f}, {base['macs']:,} MACs. Every plan keeps at most {args.macs:.0%} of the MACs. "
        f"\"Adaptive BN\": batch norm re-estimated on the same {args.calib_batches} training batches, no training. "
        f"\"Fine-tuned\": then `fit_one_cycle({args.ft_epochs}, {args.ft_lr})` with seeds {args.seed}..{args.seed + args.ft_seeds - 1}, "
        f"the same for every plan (mean, and max - min over the seeds). "
        f"Analysis ratios {args.ratios}; search seed {args.seed}.", "",
        *table, "", f"Wall time of the whole run: {wall:.0f} s.", ""])
    print('\n'.join(table)); print(f"wall time {wall:.0f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / 'SEARCH.md').write_text(text)
    return rows


if __name__ == '__main__':
    main()

"""Benchmark of issue 2: cost and quality of `SparsifyCallback` on a small MNIST CNN.

On 10,000 MNIST digits (first 8,000 train, last 2,000 valid) a 3-conv CNN with batch norm (~94k params)
is trained with `fit_one_cycle(6, 3e-3)`, bs 128, once dense and once with
`SparsifyCallback(sparsity=0.9, granularity='weight', context='global', criteria=large_final, schedule=agp)`.
Prints:
  (a) fit time with the callback / fit time without it (ratio of medians over alternating repeats; target <= 1.05)
  (b) validation accuracy, dense and sparse (target: sparse >= 0.964, what fasterai 0.4.1 reaches)
  (c) sparsity per layer and overall (must be exactly round(0.9 * conv weights))
  (d) bytes of extra memory per masked weight (masks + what the Sparsifier / its scorer / the callback hold)
and a one-line PASS/FAIL summary.

Run from the repository root:  python benchmarks/sparsify_mnist.py [--repeats 2] [--seed 42] [--data PATH]
"""
from __future__ import annotations
import argparse, contextlib, os, platform, statistics, sys, time, warnings
from pathlib import Path

import torch
import torch.nn as nn

warnings.filterwarnings('ignore', category=FutureWarning)
import fastai
from fastai.callback.core import Callback
from fastai.learner import Learner
from fastai.metrics import accuracy
from fastai.callback.schedule import fit_one_cycle  # noqa: F401  (patches Learner.fit_one_cycle)
from fastai.torch_core import set_seed

import fasterprune
from fasterprune.all import SparsifyCallback, large_final, agp
from mnist import DEFAULT_DATA, load_mnist, make_dls, make_cnn

TARGET_RATIO, TARGET_ACC = 1.05, 0.964


# ----------------------------------------------------------------------------------------------- memory probe
def _bytes(tensors) -> int:
    "Bytes of distinct tensor storages in `tensors`."
    seen, total = set(), 0
    for t in tensors:
        if not isinstance(t, torch.Tensor): continue
        key = (t.untyped_storage().data_ptr(), t.untyped_storage().nbytes())
        if key in seen: continue
        seen.add(key); total += t.untyped_storage().nbytes()
    return total


class MemoryProbe(Callback):
    "Runs right after SparsifyCallback: records what the callback keeps, at the start and the end of each epoch."
    order = SparsifyCallback.order + 1
    def __init__(self, cb: SparsifyCallback, base_buffers: int):
        self.cb, self.base_buffers, self.samples = cb, base_buffers, []

    def _sample(self, when):
        sp, cb = self.cb.sparsifier, self.cb
        held = list(sp.masks.values()) + list(getattr(sp.scorer, 'references', {}).values())
        held += [v for v in vars(sp.scorer).values() if isinstance(v, torch.Tensor)]
        held += list((cb._ticket or {}).values())
        extra_buffers = sum(b.untyped_storage().nbytes() for b in self.learn.model.buffers()) - self.base_buffers
        self.samples.append(dict(when=when, held=_bytes(held), extra_buffers=extra_buffers,
                                 references=_bytes(getattr(sp.scorer, 'references', {}).values()),
                                 masked=sum(int((~m).sum()) for m in sp.masks.values())))

    def before_fit(self):  self._sample('before_fit')
    def after_epoch(self): self._sample(f'end of epoch {self.epoch}')


# ----------------------------------------------------------------------------------------------- callback time
EVENTS = ('before_fit', 'before_epoch', 'before_train', 'before_batch', 'after_pred', 'after_loss', 'before_backward',
          'after_backward', 'before_step', 'after_step', 'after_batch', 'after_train', 'before_validate',
          'after_validate', 'after_epoch', 'after_fit')

def time_events(cb):
    "Wrap the event methods of `cb` (on the instance) to accumulate the wall time spent in each."
    cb.event_time, cb.event_calls = {}, {}
    for e in EVENTS:
        f = getattr(cb, e, None)
        if f is None or not callable(f): continue
        def wrapped(f=f, e=e):
            t0 = time.perf_counter()
            try: return f()
            finally:
                cb.event_time[e] = cb.event_time.get(e, 0.) + time.perf_counter() - t0
                cb.event_calls[e] = cb.event_calls.get(e, 0) + 1
        setattr(cb, e, wrapped)


# ----------------------------------------------------------------------------------------------- runs
def run(kind: str, args, data) -> dict:
    set_seed(args.seed, reproducible=True)
    model = make_cnn()
    dls = make_dls(data, args.bs)
    learn = Learner(dls, model, loss_func=nn.CrossEntropyLoss(), metrics=accuracy)
    cbs, cb, probe = [], None, None
    if kind == 'sparse':
        cb = SparsifyCallback(sparsity=args.sparsity, granularity='weight', context='global',
                              criteria=large_final, schedule=agp, verbose=args.verbose)
        base = sum(b.untyped_storage().nbytes() for b in model.buffers())
        probe = MemoryProbe(cb, base)
        cbs = [cb, probe]
    if cb is not None: time_events(cb)
    with learn.no_bar(), (learn.no_logging() if args.quiet else contextlib.nullcontext()):
        t0, c0 = time.perf_counter(), time.process_time()
        learn.fit_one_cycle(args.epochs, args.lr, cbs=cbs)
        t, c = time.perf_counter() - t0, time.process_time() - c0
    acc = float(learn.recorder.values[-1][2])
    accs = [float(v[2]) for v in learn.recorder.values]
    return dict(kind=kind, time=t, cpu=c, acc=acc, accs=accs, learn=learn, cb=cb, probe=probe)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', type=Path, default=DEFAULT_DATA, help='mnist10k.npz (keys x: uint8 Nx28x28, y)')
    p.add_argument('--repeats', type=int, default=2, help='alternating dense/sparse fits of each kind')
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--epochs', type=int, default=6)
    p.add_argument('--lr', type=float, default=3e-3)
    p.add_argument('--bs', type=int, default=128)
    p.add_argument('--sparsity', type=float, default=0.9)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--no-warmup', dest='warmup', action='store_false', help='skip the untimed 1-epoch warm-up fit')
    p.add_argument('--verbose', action='store_true', help="print the callback's per-epoch messages")
    p.add_argument('--quiet', action='store_true', help="don't print fastai's per-epoch table")
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    data = load_mnist(args.data)
    n_params = sum(p.numel() for p in make_cnn().parameters())
    print('=' * 78)
    print('fasterprune benchmark: sparsify_mnist (issue 2)')
    print(f'python {platform.python_version()}  torch {torch.__version__}  fastai {fastai.__version__}  '
          f'fasterprune {fasterprune.__version__}')
    print(f'machine: {platform.machine()} {platform.system()}, cpu_count={os.cpu_count()}, '
          f'torch threads={torch.get_num_threads()}, device=cpu')
    print(f'data: {args.data} (train {len(data[0])}, valid {len(data[2])})')
    print(f'model: 3-conv CNN 32/64/128 + BN, GAP, Linear 128->10: {n_params:,} params')
    print(f'settings: fit_one_cycle({args.epochs}, {args.lr}), bs {args.bs}, seed {args.seed}, '
          f'repeats {args.repeats}, sparsity {args.sparsity} (weight, global, large_final, agp)')
    print('=' * 78, flush=True)

    if args.warmup:  # one untimed epoch so that one-time costs (allocator, lazy init) hit no timed fit
        wa = argparse.Namespace(**{**vars(args), 'epochs': 1, 'quiet': True})
        run('dense', wa, data)

    runs = {'dense': [], 'sparse': []}
    for r in range(args.repeats):
        for kind in ('dense', 'sparse'):
            print(f'\n--- repeat {r + 1}/{args.repeats}: {kind} fit', flush=True)
            res = run(kind, args, data)
            runs[kind].append(res)
            print(f'{kind} fit time: {res["time"]:.2f} s, valid accuracy {res["acc"]:.4f}', flush=True)

    dense, sparse = runs['dense'], runs['sparse']
    td, ts = [r['time'] for r in dense], [r['time'] for r in sparse]
    ratio = statistics.median(ts) / statistics.median(td)
    acc_d, acc_s = dense[0]['acc'], sparse[0]['acc']   # same seed: every repeat gives the same model
    cb, probe = sparse[0]['cb'], sparse[0]['probe']

    print('\n' + '=' * 78)
    print('(a) fit time')
    print(f'    dense  fits (s): {", ".join(f"{t:.2f}" for t in td)}   median {statistics.median(td):.2f}')
    print(f'    sparse fits (s): {", ".join(f"{t:.2f}" for t in ts)}   median {statistics.median(ts):.2f}')
    print(f'    ratio sparse/dense (medians): {ratio:.3f}   (target <= {TARGET_RATIO}); '
          f'ratio of the fastest fits: {min(ts) / min(td):.3f}')
    cd, cs = [r['cpu'] for r in dense], [r['cpu'] for r in sparse]
    print(f'    process CPU time (s): dense {", ".join(f"{t:.1f}" for t in cd)}; sparse {", ".join(f"{t:.1f}" for t in cs)}'
          f'; ratio of medians {statistics.median(cs) / statistics.median(cd):.3f}')
    for i, r in enumerate(sparse):  # the callback's own cost, independent of the machine's noise
        ev = r['cb'].event_time
        tot = sum(ev.values())
        detail = ', '.join(f'{e} {1e3 * v:.0f} ms/{r["cb"].event_calls[e]}' for e, v in
                           sorted(ev.items(), key=lambda kv: -kv[1]) if v > 1e-4)
        print(f'    sparse fit {i + 1}: time inside SparsifyCallback events {tot:.2f} s = {tot / r["time"]:.2%} '
              f'of the fit ({detail})')

    print('(b) validation accuracy')
    print(f'    dense : {acc_d:.4f}   per epoch: {", ".join(f"{a:.4f}" for a in dense[0]["accs"])}')
    print(f'    sparse: {acc_s:.4f}   per epoch: {", ".join(f"{a:.4f}" for a in sparse[0]["accs"])}   '
          f'(target >= {TARGET_ACC})')
    if len(sparse) > 1 and len({r['acc'] for r in sparse}) > 1:
        print(f'    (sparse accuracies differ across repeats: {[r["acc"] for r in sparse]})')

    print('(c) sparsity')
    print('    sparsity at the end of each epoch: ' + ', '.join(f'{s:.2%}' for s in cb.history))
    print('\n'.join('    ' + l for l in str(cb.report).splitlines()))
    masks = cb.sparsifier.masks
    total = sum(m.numel() for m in masks.values())
    masked = sum(int((~m).sum()) for m in masks.values())
    expected = round(args.sparsity * total)
    zeros = cb.report.overall.zeros
    exact = masked == expected == zeros
    print(f'    masked conv weights {masked:,} / {total:,} = {masked / total:.6%}; zero weights {zeros:,}; '
          f'expected round({args.sparsity} * {total:,}) = {expected:,} -> {"exact" if exact else "NOT EXACT"}')

    print('(d) extra memory per masked weight')
    peak = max(probe.samples, key=lambda s: s['held'])
    for s in probe.samples:
        print(f"    {s['when']:<16} held by callback/sparsifier/scorer: {s['held']:>8,} B "
              f"(scorer references {s['references']:,} B), extra model buffers: {s['extra_buffers']:,} B, "
              f"masked {s['masked']:,}")
    mask_bytes = _bytes(masks.values())
    print(f'    masks: {len(masks)} bool buffers, {mask_bytes:,} B for {total:,} conv weights '
          f'({mask_bytes / total:.3f} B per conv weight)')
    per_masked = peak['held'] / masked
    print(f'    peak held {peak["held"]:,} B / {masked:,} masked weights = {per_masked:.3f} B per masked weight')

    ok_ratio, ok_acc = ratio <= TARGET_RATIO, acc_s >= TARGET_ACC
    print('=' * 78)
    print(f'{"PASS" if ok_ratio and ok_acc and exact else "FAIL"}: time ratio {ratio:.3f} '
          f'{"<=" if ok_ratio else ">"} {TARGET_RATIO} [{"ok" if ok_ratio else "FAIL"}], sparse acc {acc_s:.4f} '
          f'{">=" if ok_acc else "<"} {TARGET_ACC} [{"ok" if ok_acc else "FAIL"}] (dense {acc_d:.4f}), '
          f'sparsity {masked / total:.4%} {"exact" if exact else "NOT EXACT"}, {per_masked:.2f} B/masked weight')
    return 0 if ok_ratio and ok_acc and exact else 1


if __name__ == '__main__':
    sys.exit(main())

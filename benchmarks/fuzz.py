"""Fuzz suite of issue 11, long mode: random architectures, random channel masks, `Pruner.prune_masked`; random plans.

Each model is built from its seed alone (tests/fuzz_models.py, shared with the quick mode in tests/test_fuzz.py):
convolutions (plain, grouped, depthwise), batch / group / layer norms, residual additions, concatenations, Linear
heads after a pool or a flatten, nn.MultiheadAttention, a timm-style attention and MLPs. Random filters are masked
(Sparsifier at filter / row granularity, with couple_norms), then `Pruner.prune_masked` must give the masked
model's outputs (allclose), the widths the masks call for, and no mask left behind. A fresh copy of each model is
then pruned by `Pruner.prune` (a random context, a ratio of 50, 80 or 95 %): it must run, keep its output shape and
lose parameters.

Prints the count of models, passes, failures (with their seeds and architectures) and the time; writes FUZZ.md.

Run from the repository root:  python benchmarks/fuzz.py [--n 2000] [--seed 0] [--out benchmarks/results]
"""
from __future__ import annotations
import argparse, collections, platform, sys, time, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tests'))
import torch
from fastprogress.fastprogress import progress_bar
import torch_pruning
import fasterprune
from fuzz_models import run_case, FEATURES


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=2000, help='number of models (default 2000)')
    ap.add_argument('--seed', type=int, default=0, help='seed of the first model; model i has seed SEED + i')
    ap.add_argument('--out', type=Path, default=ROOT / 'benchmarks' / 'results', help='folder of FUZZ.md')
    args = ap.parse_args(argv)
    if args.n < 1: ap.error(f'--n must be a positive number of models, got {args.n}')
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        results = [run_case(s) for s in progress_bar(range(args.seed, args.seed + args.n), leave=False)]
    secs = time.perf_counter() - t0
    failed = [r for r in results if r.problems]
    pruned = sum(r.removed > 0 for r in results)
    seen = collections.Counter(f for r in results for f in r.features)
    cut = collections.Counter(f for r in results if r.removed for f in r.features)
    cmd = f'python benchmarks/fuzz.py --n {args.n} --seed {args.seed}'
    lines = [
        '# Fuzz: prune_masked and plans on random architectures (issue 11)', '',
        f'Command: `{cmd}` · fasterprune {fasterprune.__version__}, torch {torch.__version__}, '
        f'torch-pruning {torch_pruning.__version__}, Python {platform.python_version()}, 1 torch thread', '',
        '## Summary', '',
        f'- models: {args.n} (seeds {args.seed}..{args.seed + args.n - 1})',
        f'- passed: {args.n - len(failed)}',
        f'- failed: {len(failed)}' + (f" (seeds {', '.join(str(r.seed) for r in failed[:50])})" if failed else ''),
        f'- models that lost channels: {pruned} ({pruned / args.n:.0%})',
        f'- time: {secs:.1f} s ({1e3 * secs / args.n:.0f} ms per model)', '',
        '## Architectures', '', '| kind | models | of which lost channels |', '|---|---:|---:|',
        *[f'| {f} | {seen[f]} | {cut[f]} |' for f in FEATURES], '',
    ]
    if failed:
        lines += ['## Failures', '']
        lines += [f'- seed {r.seed}: {"; ".join(r.problems)[:500]}  \n  `{r.desc}`' for r in failed]
        lines.append('')
    report = '\n'.join(lines)
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / 'FUZZ.md').write_text(report)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

"""Fuzz suite of issue 11, long mode: random architectures, random channel masks, `Pruner.prune_masked`; random plans.

Each model is built from its seed alone (tests/fuzz_models.py, shared with the quick mode in tests/test_fuzz.py):
convolutions (plain, grouped, depthwise), batch / group / layer norms, residual additions, concatenations, Linear
heads after a pool or a flatten, nn.MultiheadAttention, a timm-style attention and MLPs. Random filters are masked
(Sparsifier at filter / row granularity, with couple_norms), then `Pruner.prune_masked` must give the masked
model's outputs (allclose), the widths the masks call for, and no mask left behind. A fresh copy of each model is
then pruned by `Pruner.prune` (a random context, a ratio of 50, 80 or 95 %): it must run, keep its output shape and
lose parameters.

With `--resume N`, each resumable driver (analyse, search_subnets, simulated_annealing, netadapt, amc, lottery_rounds;
tests/faults/interrupts.py) is also stopped N times by a KeyboardInterrupt from its evaluator at random calls (1 to 3
stops per run), resumed from its file, and compared with one uninterrupted run: the results must be equal and the
user's model unchanged by each stop. `--quick` runs 20 models and 1 resumed run per driver, in seconds.

Prints the count of models, passes, failures (with their seeds and architectures) and the time; writes FUZZ.md.

Run from the repository root:  python benchmarks/fuzz.py [--n 2000] [--seed 0] [--resume 0] [--quick] [--out benchmarks/results]
"""
from __future__ import annotations
import argparse, collections, platform, random, sys, time, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tests'))
import torch
from fastprogress.fastprogress import progress_bar
import torch_pruning
import fasterprune
from fuzz_models import run_case, FEATURES
from faults.interrupts import DRIVERS, full_run, interrupted_run, random_cuts


def resume_runs(n: int, seed: int) -> list[tuple[str, int, list[int], list[str]]]:
    "`(driver, calls of a full run, stops, problems)` for `n` interrupted and resumed runs of each driver."
    rng, out = random.Random(seed), []
    for name in DRIVERS:
        reference, calls = full_run(name)
        for _ in range(n):
            cuts = random_cuts(rng, calls, rng.randint(1, 3))
            try:
                result, problems = interrupted_run(name, cuts)
                if result != reference: problems = problems + ['ends elsewhere than an uninterrupted run']
            except Exception as e: problems = [f'{type(e).__name__}: {e}'[:300]]
            out.append((name, calls, cuts, problems))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=2000, help='number of models (default 2000)')
    ap.add_argument('--seed', type=int, default=0, help='seed of the first model; model i has seed SEED + i')
    ap.add_argument('--resume', type=int, default=0, help='interrupted and resumed runs of each resumable driver (default 0)')
    ap.add_argument('--quick', action='store_true', help='20 models and 1 resumed run per driver, in seconds')
    ap.add_argument('--out', type=Path, default=ROOT / 'benchmarks' / 'results', help='folder of FUZZ.md')
    args = ap.parse_args(argv)
    if args.quick: args.n, args.resume = 20, max(args.resume, 1)
    if args.n < 1: ap.error(f'--n must be a positive number of models, got {args.n}')
    if args.resume < 0: ap.error(f'--resume must be a number of runs >= 0, got {args.resume}')
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        results = [run_case(s) for s in progress_bar(range(args.seed, args.seed + args.n), leave=False)]
    secs = time.perf_counter() - t0
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        resumed = resume_runs(args.resume, args.seed) if args.resume else []
    resume_secs = time.perf_counter() - t1
    resume_failed = [r for r in resumed if r[3]]
    failed = [r for r in results if r.problems]
    pruned = sum(r.removed > 0 for r in results)
    seen = collections.Counter(f for r in results for f in r.features)
    cut = collections.Counter(f for r in results if r.removed for f in r.features)
    cmd = f'python benchmarks/fuzz.py --n {args.n} --seed {args.seed}' + (f' --resume {args.resume}' if args.resume else '')
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
    if resumed:
        lines += ['## Interrupted and resumed runs', '',
                  f'{args.resume} per driver, 1 to 3 stops each (a KeyboardInterrupt from the evaluator at a random call), '
                  f'compared with one uninterrupted run; {resume_secs:.1f} s.', '',
                  '| driver | evaluator calls of a run | runs | equal, model unchanged |', '|---|---:|---:|---:|']
        for name in DRIVERS:
            rows = [r for r in resumed if r[0] == name]
            lines.append(f'| {name} | {rows[0][1]} | {len(rows)} | {sum(not r[3] for r in rows)} |')
        lines.append('')
        lines += [f'- {r[0]} stopped at calls {r[2]}: {"; ".join(r[3])}' for r in resume_failed] + ([''] if resume_failed else [])
    if failed:
        lines += ['## Failures', '']
        lines += [f'- seed {r.seed}: {"; ".join(r.problems)[:500]}  \n  `{r.desc}`' for r in failed]
        lines.append('')
    report = '\n'.join(lines)
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / 'FUZZ.md').write_text(report)
    return 1 if failed or resume_failed else 0


if __name__ == '__main__':
    sys.exit(main())

"""Benchmark of issue 12: per-layer plans against one ratio for all layers, at the same MACs budget.

On 10,000 MNIST digits (first 8,000 train, last 2,000 valid) the benchmark CNN (3 convs with batch
norm, 32/64/128 channels, 94,186 params) is trained with `fit_one_cycle(epochs, lr)`. Then three
plans keep the same fraction of its MACs (`--macs`, default 30 %):

- uniform: `Pruner(model, x, round_to=1).prune(macs=...)`, one channel ratio for every layer (every plan here keeps
  exact channel counts, as when the results were measured: the CPU's default multiples leave this CNN few plans);
- analysis: `analyse` (each layer alone at `--ratios`) and `Sensitivity.allocate(macs=...)`;
- search: `search_subnets(macs=..., n_subnets=...)` with its default final choice: candidates (and the
  uniform plan) ranked by adaptive BN, then the best 3 of them (`--top`) and the uniform plan get a short
  fine-tune, the evaluator's (the recipe of the final one, `fit_one_cycle(--ft-epochs, --ft-lr)`, on the
  training digits outside the selection set; `--short-ft N`: on the first N of them), once from each of
  2 seeds (`--search-ft-seeds`), and the best by the mean score after it is kept, the uniform plan
  winning ties (EagleEye). The pick by adaptive BN alone is fine-tuned too, for comparison.

The analysis and the search choose with the last `--select` training digits (a selection set), which
the baseline is not trained on (`--no-unseen-select`: it is); the 2,000 validation digits report the
results and are never used to choose. Each pruned model has its batch norms re-estimated on the same
`--calib-batches` training batches (in order) and is validated ("adaptive BN": no training), then
fine-tuned on all 8,000 training digits with the same `fit_one_cycle(--ft-epochs, --ft-lr)` for each of
`--ft-seeds` seeds, and validated again. With `--runs N` all of it, the baseline included, is repeated
with the seeds `--seed`, `--seed + 1`, ..., and the summary compares the runs. Prints the tables and
writes them to SEARCH.md (default: benchmarks/results/). `--model rescnn` prunes the residual CNN of
benchmarks/mnist.py instead and writes SEARCH-rescnn.md.

Run from the repository root:  python benchmarks/search_mnist.py [--quick] [--runs 3] [--macs 0.3] [--n-subnets 30]
[--top 3] [--search-ft-seeds 2] [--ratios 0.2 0.4 0.6 0.8] [--ft-seeds 4] [--threads 1] [--out DIR]
"""
from __future__ import annotations
import argparse, math, statistics, time, warnings
from copy import deepcopy
from pathlib import Path

import torch.nn as nn

warnings.filterwarnings('ignore')
from fastai.data.core import DataLoaders
from fastai.learner import Learner
from fastai.metrics import accuracy

from fasterprune.analyze.sensitivity import analyse
from fasterprune.analyze.search import search_subnets
from fasterprune.core.budget import count_macs_params
from fasterprune.prune.pruner import Pruner

from mnist import TensorDL, add_setup_args, score_plan, setup

RESULTS = Path(__file__).resolve().parent / 'results'


def run(args, argv) -> dict:
    """One run at `args.seed`: the baseline trained, the plans made and each fine-tuned with `--ft-seeds` seeds.
    Returns the setup, the rows of the plans and the search's result."""
    st = setup('search_mnist.py', args, argv, fine_tune_epochs=args.ft_epochs, fine_tune_lr=args.ft_lr)
    xt, yt, x, calib, baseline, base, select = st.xt, st.yt, st.x, st.calib, st.baseline, st.base, st.select
    ev = st.choose                          # what plans choose by: held-out training digits, not the validation set
    short_ft = args.short_ft or len(xt) - args.select
    if not 0 < short_ft <= len(xt) - args.select:
        raise SystemExit(f"--short-ft must be between 1 and {len(xt) - args.select:,}: the selection digits stay out of it")
    own_fine_tune = args.short_ft is not None or not args.unseen_select   # else the evaluator's trains on just those digits

    def short_fine_tune(m):   # the search's short fine-tune: the final recipe on the digits outside the selection set.
        # The loaders are made here, after `search_subnets` has seeded torch, `random` and NumPy: each seed shuffles alike for every plan.
        short = DataLoaders(TensorDL(xt[:short_ft], yt[:short_ft], bs=args.bs, shuffle=True), select.valid)
        lrn = Learner(short, m, loss_func=nn.CrossEntropyLoss(), metrics=accuracy)
        with lrn.no_logging(): lrn.fit_one_cycle(args.ft_epochs, args.ft_lr)

    plans, times = {}, {}
    t = time.perf_counter()
    m = deepcopy(baseline); Pruner(m, x, round_to=1).prune(macs=args.macs)
    plans['uniform ratio'], times['uniform ratio'] = m, time.perf_counter() - t
    t = time.perf_counter()
    sens = analyse(baseline, x, ev, ratios=args.ratios, calibrate=calib, progress=False, round_to=1)
    m = deepcopy(baseline); Pruner(m, x, context=sens.allocate(macs=args.macs), round_to=1).prune()
    plans['analysis allocation'], times['analysis allocation'] = m, time.perf_counter() - t
    t = time.perf_counter()
    choice = {k: v for k, v in dict(fine_tune_top=args.top, fine_tune_seeds=args.search_ft_seeds).items() if v is not None}
    res = search_subnets(baseline, x, ev, macs=args.macs, n_subnets=args.n_subnets, calibrate=calib, seed=args.seed,
                         fine_tune=short_fine_tune if own_fine_tune else None, progress=False, round_to=1, **choice)
    m = deepcopy(baseline); res.apply(m, example_inputs=x)
    name = f'one-step search (best of {args.n_subnets})'
    plans[name], times[name] = m, time.perf_counter() - t
    by_bn = min([res.uniform, *res.subnets], key=lambda s: -s['score'])       # the pick of adaptive BN alone
    m = deepcopy(baseline); Pruner(m, x, context=by_bn['layers'], round_to=1).prune()
    plans['search by adaptive BN alone'], times['search by adaptive BN alone'] = m, 0.

    rows = []
    for name, m in plans.items():
        adaptive, tuned = score_plan(m, st, args)          # the same fine-tunings for every plan
        c = count_macs_params(m, x)
        rows.append(dict(plan=name, macs=c['macs'] / base['macs'], params=c['params'] / base['params'], adaptive=adaptive,
                         tuned=sum(tuned) / len(tuned), spread=max(tuned) - min(tuned), seeds=tuned, seconds=times[name],
                         layers={n: round(mod.out_channels) for n, mod in m.named_modules() if isinstance(mod, nn.Conv2d)}))
    return dict(st=st, rows=rows, res=res, by_bn=by_bn, short_ft=short_ft, seed=args.seed)


def report(r: dict, args, several: bool) -> tuple[list[str], str]:
    "The section of one run (table, plans, the search's shortlist) and its verdict line."
    st, rows, res, seed = r['st'], r['rows'], r['res'], r['seed']
    table = ["| plan | MACs kept | params kept | accuracy, adaptive BN | accuracy, fine-tuned (mean) | max - min | plan time (s) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    table += [f"| {r['plan']} | {r['macs']:.2%} | {r['params']:.2%} | {r['adaptive']:.4f} | {r['tuned']:.4f} | {r['spread']:.4f} "
              f"| {r['seconds']:.1f} |" for r in rows[:3]]
    print('\n'.join(table))
    details = [f"- {r['plan']}: conv widths {list(r['layers'].values())}, fine-tuned per seed "
               f"{', '.join(f'{a:.4f}' for a in r['seeds'])}" for r in rows]
    shortlist = [f"- {'uniform' if e is res.uniform else 'sampled'}, ratios {[round(v, 2) for v in e['layers'].values()]}: "
                 f"adaptive BN {e['score']:.4f}, short fine-tune {e['tuned']:.4f} "
                 f"({', '.join(f'{a:.4f}' for a in e['tuned_runs'])})" for e in res.ranked if e['tuned'] is not None]
    uni, search, alone = rows[0], rows[2], rows[3]
    gap = search['tuned'] - uni['tuned']
    clear = min(search['seeds']) > max(uni['seeds'])
    verdict = (f"- {f'Run with seed {seed}: a' if several else 'A'}t {args.macs:.0%} of the MACs, after the same "
               f"`fit_one_cycle({args.ft_epochs}, {args.ft_lr})` ({args.ft_seeds} seed{'s' if args.ft_seeds > 1 else ''}), "
               f"the one-step search reaches {search['tuned']:.4f} and the uniform ratio {uni['tuned']:.4f} ({gap:+.4f}): "
               + ("the search kept the uniform plan itself." if search['layers'] == uni['layers'] else
                  "every seed of the search is above every seed of the uniform ratio." if clear else
                  f"no better than the uniform ratio (max - min {search['spread']:.4f} and {uni['spread']:.4f})." if gap <= 0 else
                  f"not beyond the seed spread (max - min {search['spread']:.4f} and {uni['spread']:.4f})."))
    by_bn = r['by_bn']
    section = [*([f"## Run with seed {seed}", ""] if several else []),
               f"Baseline: accuracy {st.base_acc:.4f}, {st.base['macs']:,} MACs.", "", *table, "",
               f"Without the short fine-tune, the search would pick by adaptive BN alone ({'the uniform plan' if by_bn is res.uniform else 'a sampled plan'}, "
               f"{alone['macs']:.2%} of the MACs): {alone['adaptive']:.4f} after adaptive BN, {alone['tuned']:.4f} fine-tuned "
               f"(max - min {alone['spread']:.4f}).", "",
               *details, "", "The search's shortlist, best first (accuracy on the selection digits after the short fine-tune: mean, and per seed):", "",
               *shortlist, ""]
    return section, verdict


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_setup_args(ap, unseen_select=True)
    ap.add_argument('--runs', type=int, default=1, help='repeat everything (baseline included) with seeds --seed, --seed + 1, ...')
    ap.add_argument('--macs', type=float, default=0.3, help='fraction of the MACs every plan keeps')
    ap.add_argument('--n-subnets', type=int, default=30)
    ap.add_argument('--top', type=int, default=None, help="search: the candidates given a short fine-tune (default: search_subnets' own, 3)")
    ap.add_argument('--short-ft', type=int, default=None,
                    help='search: training digits of the short fine-tune (default: all but the last --select)')
    ap.add_argument('--search-ft-seeds', type=int, default=None,
                    help="search: short fine-tunes per candidate (seeds), ranked by the mean (default: search_subnets' own, 2)")
    ap.add_argument('--ratios', type=float, nargs='+', default=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    ap.add_argument('--out', type=Path, default=RESULTS)
    ap.add_argument('--quick', action='store_true', help="a smoke run on scikit-learn's digits (no data file needed): 2 epochs, 4 subnets, 2 ratios")
    args = ap.parse_args(argv)
    if args.quick:
        args.epochs, args.lr, args.n_subnets, args.ratios, args.calib_batches, args.ft_epochs, args.ft_seeds = 2, 1e-2, 4, [0.4, 0.8], 2, 1, 1
        args.top, args.short_ft, args.search_ft_seeds, args.select = 1, 256, 2, 500
    if args.runs < 1: raise SystemExit("--runs must be at least 1")
    t_start = time.perf_counter()
    runs = [run(argparse.Namespace(**{**vars(args), 'seed': args.seed + i}), argv) for i in range(args.runs)]
    several = len(runs) > 1
    sections, verdicts = zip(*[report(r, args, several) for r in runs])
    st = runs[0]['st']
    seeds = f"{args.seed}" if not several else f"{args.seed}..{args.seed + args.runs - 1}"
    summary = list(verdicts)
    if several:
        def compare(what: str, key: str, row: int) -> str:
            "One summary line: plan `row` minus the uniform ratio on `key`, per run, with the mean and its standard error."
            d = [r['rows'][row][key] - r['rows'][0][key] for r in runs]
            se = statistics.stdev(d) / math.sqrt(len(d))
            return (f"- {what} minus the uniform ratio: {', '.join(f'{g:+.4f}' for g in d)} (mean {statistics.mean(d):+.4f}, "
                    f"standard error {se:.4f}; ahead in {sum(g > 0 for g in d)}, below in {sum(g < 0 for g in d)} of {len(d)}).")
        summary += [f"- Over the {len(runs)} runs (seeds {seeds}):",
                    compare("Before fine-tuning (adaptive BN), the one-step search", 'adaptive', 2),
                    compare("Before fine-tuning, the search by adaptive BN alone", 'adaptive', 3),
                    compare("After the same fine-tunes, the one-step search", 'tuned', 2),
                    compare("After the same fine-tunes, the search by adaptive BN alone", 'tuned', 3)]
    else:
        alone = runs[0]['rows'][3]
        summary.append(f"- Search by adaptive BN alone, fine-tuned the same: {alone['tuned']:.4f} (max - min {alone['spread']:.4f}).")
    wall = time.perf_counter() - t_start
    xt, xv = st.xt, st.xv
    top, ft_seeds = runs[0]['res'].settings['fine_tune_top'], runs[0]['res'].settings['fine_tune_seeds']
    defaults = args.top is None and args.search_ft_seeds is None
    held = ("that the baseline was not trained on (it trains on the others)" if args.unseen_select else
            "(the baseline trained on them too)")
    text = '\n'.join([
        "# Per-layer plans against one ratio, at the same MACs budget (issue 12)", "",
        f"Command: `{st.command}`", "", st.header.replace(f'seed {args.seed}', f'seed {seeds}'), "",
        f"{st.model_name} on {st.data_name} ({len(xt):,} train / {len(xv):,} valid digits), baseline `fit_one_cycle({args.epochs}, "
        f"{args.lr})`{f', trained anew in each of {len(runs)} runs (seeds {seeds})' if several else ''}. Every plan keeps at most "
        f"{args.macs:.0%} of the MACs. The analysis and the search choose by accuracy on the last {args.select:,} training digits, "
        f"{held}; the validation digits below were never used to choose. "
        f"\"Adaptive BN\": batch norm re-estimated on the same {args.calib_batches} training batches, no training. "
        f"\"Fine-tuned\": then `fit_one_cycle({args.ft_epochs}, {args.ft_lr})` on all {len(xt):,} training digits with the run's "
        f"seed and the next {args.ft_seeds - 1}, the same for every plan (mean, and max - min over the seeds). "
        f"Analysis ratios {args.ratios}. Search: the run's seed, {args.n_subnets} sampled candidates and the uniform plan "
        f"scored after adaptive BN, then the best {top} and the uniform plan fine-tuned briefly (`fit_one_cycle({args.ft_epochs}, "
        f"{args.ft_lr})` on the first {runs[0]['short_ft']:,} training digits, once from each of {ft_seeds} seeds: "
        f"`fine_tune_top={top}, fine_tune_seeds={ft_seeds}`, {'the defaults' if defaults else 'not the defaults'}) and the best "
        f"by the mean accuracy after it kept, the uniform plan winning ties.", "",
        *[line for sec in sections for line in sec], "## Summary", "", *summary,
        "", f"Wall time of the whole run: {wall:.0f} s.", ""])
    print('\n'.join(summary)); print(f"wall time {wall:.0f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / ('SEARCH.md' if args.model == 'cnn' else f'SEARCH-{args.model}.md')).write_text(text)
    return runs


if __name__ == '__main__':
    main()

"""Benchmark of issue 13: automatic pruners against uniform pruning and the one-step search, at one MACs budget.

On 10,000 MNIST digits (first 8,000 train, last 2,000 valid) the benchmark CNN (benchmarks/mnist.py) is
trained once with `fit_one_cycle(epochs, lr)` on the first 6,000 training digits: the last `--select` (2,000) are held
out for the rows to choose by (the Learner evaluator's validation set; its fine-tune, ADMM and AutoCompress train on
the 6,000), so that no choice is made on digits the candidates were just trained on (`--no-unseen-select`: the
baseline and the rows' training use all 8,000, the selection digits included). Each row then turns a copy of that baseline into a model
that keeps at most `--macs` of its MACs (default 30 %), and is timed doing so. Every pruned model has its
batch norms re-estimated on the same `--calib-batches` training batches and is validated ("adaptive BN"),
then fine-tuned with the same `fit_one_cycle(--ft-epochs, --ft-lr)` for each of `--ft-seeds` seeds and
validated again. A row whose model misses the budget is reported as such, not dropped. With `--runs N` all of it,
the baseline included, is repeated with the seeds `--seed`, `--seed + 1`, ..., and the summary gives each row minus the
uniform ratio, run by run (mean, standard error, and the runs where it ends below).

The one-step search, simulated annealing and AMC run with their default final choice: the uniform plan and their 3
best plans by adaptive BN get the evaluator's fine-tune (`fit_one_cycle(--row-ft-epochs)`) from 2 seeds, the best
mean wins unless it beats the uniform plan by no more than the fine-tune's noise (`--quick`: 1 plan, 1 seed). Their time
to prune includes those fine-tunes.

Adding a row: write a function `(ctx: Context) -> nn.Module` that returns a pruned copy of `ctx.baseline`
(never the baseline itself) and decorate it with `@row('key', 'label shown in the table')`. `ctx` holds
the baseline, example inputs, the evaluator rows choose by (`learner_evaluator`: accuracy on the last `--select`
training digits, never the validation digits that report the table, and a `fine_tune` of `--row-ft-epochs` for
methods that fine-tune while they search), the calibration
batches, the budget, the seed and `quick`. `--methods key1 key2` runs a subset.

`--model rescnn` prunes the residual CNN of benchmarks/mnist.py instead and writes AUTO-rescnn.md.

Every row keeps exact channel counts (`round_to=1`, `EXACT`), as when AUTO.md was measured: the rows compare ways of
allocating one budget, and the CPU's default multiples (issue 24) leave this small CNN few plans near it.

Run from the repository root:  python benchmarks/auto_mnist.py [--quick] [--runs 1] [--macs 0.3] [--methods ...] [--out DIR]
"""
from __future__ import annotations
import argparse, math, statistics, time, warnings
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
import torch.nn as nn

warnings.filterwarnings('ignore')
from fastai.torch_core import set_seed

from fasterprune.analyze.evaluate import Evaluator
from fasterprune.analyze.sensitivity import analyse
from fasterprune.analyze.search import search_subnets, scale_to_budget
from fasterprune.prune.candidates import Candidates
from fasterprune.auto.admm import admm_prune
from fasterprune.auto.amc import amc
from fasterprune.auto.annealing import simulated_annealing, auto_compress
from fasterprune.auto.netadapt import netadapt
from fasterprune.core.budget import as_budget
from fasterprune.core.budget import count_macs_params
from fasterprune.prune.pruner import Pruner

from mnist import add_setup_args, score_plan, setup

RESULTS = Path(__file__).resolve().parent / 'results'


@dataclass
class Context:
    "What every row gets."
    baseline: nn.Module          # the trained model: copy it, never change it
    x: torch.Tensor              # example inputs
    evaluator: Evaluator         # evaluate(model) -> validation accuracy; fine_tune(model) -> a short fit
    calib: list                  # the batches every row re-estimates batch norm on
    macs: float                  # the fraction of the baseline's MACs a row may keep
    seed: int
    quick: bool
    train_dl: object = None      # the training batches, for methods that train (ADMM, AutoCompress)

    @property
    def final_choice(self) -> dict:
        "The drivers' final choice: their defaults (--quick: one plan and one seed beside the uniform plan)."
        return dict(fine_tune_top=1, fine_tune_seeds=1) if self.quick else {}


ROWS: dict[str, tuple[str, Callable[[Context], nn.Module]]] = {}

def row(key: str, label: str):
    "Register `f(ctx) -> pruned copy` as a row of the table."
    def register(f):
        ROWS[key] = (label, f)
        return f
    return register


EXACT = dict(round_to=1)    # exact channel counts in every row (see the docstring)

@row('uniform', 'uniform ratio')
def uniform(ctx: Context) -> nn.Module:
    m = deepcopy(ctx.baseline)
    Pruner(m, ctx.x, **EXACT).prune(macs=ctx.macs)
    return m

@row('analysis', 'sensitivity analysis + allocation')
def analysis(ctx: Context) -> nn.Module:
    ratios = [0.3, 0.6, 0.9] if ctx.quick else [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    sens = analyse(ctx.baseline, ctx.x, ctx.evaluator, ratios=ratios, calibrate=ctx.calib, progress=False, **EXACT)
    m = deepcopy(ctx.baseline)
    Pruner(m, ctx.x, context=sens.allocate(macs=ctx.macs), **EXACT).prune()
    return m

@row('search', 'one-step search (default final choice)')
def search(ctx: Context) -> nn.Module:
    res = search_subnets(ctx.baseline, ctx.x, ctx.evaluator, macs=ctx.macs, n_subnets=4 if ctx.quick else 30,
                         calibrate=ctx.calib, seed=ctx.seed, progress=False, **ctx.final_choice, **EXACT)
    print(f"  search: chose {'the uniform plan' if res.best is res.uniform else 'a sampled plan'}")
    m = deepcopy(ctx.baseline)
    res.apply(m, example_inputs=ctx.x)
    return m

@row('annealing', 'simulated annealing (default final choice)')
def annealing(ctx: Context) -> nn.Module:
    # 30 evaluations (the search row's count): T from 0.05 down to 0.0025 (accuracy units), cooling 0.9
    res = simulated_annealing(ctx.baseline, ctx.x, ctx.evaluator, macs=ctx.macs, calibrate=ctx.calib, seed=ctx.seed,
                              start_temperature=0.05, stop_temperature=0.02 if ctx.quick else 0.0025, cooling_rate=0.9,
                              progress=False, **ctx.final_choice, **EXACT)
    print(f"  annealing: chose the {'uniform plan' if res.best is res.uniform else 'state of step ' + str(res.best['step'])}")
    m = deepcopy(ctx.baseline)
    res.apply(m, example_inputs=ctx.x)
    return m

def _admm_settings(ctx: Context) -> dict:
    return dict(rho=1e-2, lr=1e-3, update_every=20)

@row('admm', 'uniform ratios, ADMM (channels) 2 epochs')
def admm(ctx: Context) -> nn.Module:
    m = deepcopy(ctx.baseline)
    cands = Candidates(m, ctx.x, **EXACT)
    budget = cands.bind(as_budget(macs=ctx.macs))
    ratios = cands.layer_ratios(scale_to_budget(cands, budget, dict.fromkeys(cands.layers, 1.)))
    a = admm_prune(m, ctx.train_dl, nn.CrossEntropyLoss(), ratios, 'filter', example_inputs=ctx.x,
                   epochs=1 if ctx.quick else 2, finetune_epochs=0, progress=False, **_admm_settings(ctx))
    print(f"  ADMM ||W - Z|| at each update: {[round(d, 3) for d in a.distances]}")
    return m

@row('autocompress', 'AutoCompress: 2 rounds of SA + ADMM + fine-tune')
def autocompress(ctx: Context) -> nn.Module:
    m = deepcopy(ctx.baseline)
    recs = auto_compress(m, ctx.x, ctx.evaluator, ctx.train_dl, nn.CrossEntropyLoss(), macs=ctx.macs, rounds=2,
                         admm_epochs=1, finetune_epochs=1, calibrate=ctx.calib, seed=ctx.seed,
                         stop_temperature=0.02 if ctx.quick else 0.01, progress=False, **_admm_settings(ctx))
    print("  rounds (target, reached):", [(round(r['target'], 4), round(r['fraction'], 4)) for r in recs])
    return m


@row('netadapt', 'NetAdapt (short-term fine-tune per candidate)')
def netadapt_row(ctx: Context) -> nn.Module:
    # steps of 15 % of the unpruned MACs; every candidate of an iteration gets the evaluator's fine_tune after adaptive BN
    # (--quick: steps of 35 %, adaptive BN only, to keep the smoke run short)
    run = netadapt(ctx.baseline, ctx.x, ctx.evaluator, macs=ctx.macs, step=0.35 if ctx.quick else 0.15,
                   fine_tune=None if ctx.quick else 'evaluator', calibrate=ctx.calib, progress=False, **EXACT)
    print(f"  NetAdapt: {len(run.rows) - 1} iterations, {run.evaluations} evaluations, {run.fine_tunes} fine-tunes")
    return run.model                                   # a pruned copy (short-term fine-tuned, except with --quick)


@row('amc', 'AMC: DDPG agent (default final choice)')
def amc_row(ctx: Context) -> nn.Module:
    # 60 episodes, 20 of them random warm-up (--quick: 6 and 2)
    run = amc(ctx.baseline, ctx.x, ctx.evaluator, macs=ctx.macs, episodes=6 if ctx.quick else 60, warmup=2 if ctx.quick else 20,
              calibrate=ctx.calib, seed=ctx.seed, progress=False, **ctx.final_choice, **EXACT)
    print(f"  AMC: chose the {'uniform plan' if run.best is run.uniform else 'plan of episode ' + str(run.best['episode'])}")
    m = deepcopy(ctx.baseline)
    run.apply(m, example_inputs=ctx.x)
    return m


def run_once(args, argv) -> tuple[list[dict], object]:
    "One run at `args.seed`: the baseline trained, every row made, timed and given the common fine-tunes."
    st = setup('auto_mnist.py', args, argv, fine_tune_epochs=args.row_ft_epochs)
    ctx = Context(st.baseline, st.x, st.choose, st.calib, args.macs, args.seed, args.quick, st.dls.train)
    rows = []
    for key in (args.methods or ROWS):
        label, make = ROWS[key]
        set_seed(args.seed, reproducible=True)
        t = time.perf_counter()
        m = make(ctx)
        seconds = time.perf_counter() - t
        adaptive, tuned = score_plan(m, st, args)          # the same fine-tunings for every row
        c = count_macs_params(m, st.x)
        r = dict(key=key, label=label, macs=c['macs'] / st.base['macs'], params=c['params'] / st.base['params'],
                 adaptive=adaptive, tuned=sum(tuned) / len(tuned), spread=max(tuned) - min(tuned), seeds=tuned, seconds=seconds)
        rows.append(r)
        print(f"{label}: MACs {r['macs']:.2%}, adaptive BN {adaptive:.4f}, fine-tuned {r['tuned']:.4f}, {seconds:.1f} s")
    return rows, st


def against_uniform(runs: list[list[dict]], key: str) -> str:
    "One summary line: row `key` minus the uniform ratio after the same fine-tunes, run by run, with the mean and where it ends below."
    d = [next(r for r in rows if r['key'] == key)['tuned'] - rows[0]['tuned'] for rows in runs]
    apart = sum(max(next(r for r in rows if r['key'] == key)['seeds']) < min(rows[0]['seeds']) for rows in runs)
    se = f", standard error {statistics.stdev(d) / math.sqrt(len(d)):.4f}" if len(d) > 1 else ''
    label = next(r for r in runs[0] if r['key'] == key)['label']
    return (f"- {label} minus the uniform ratio, after the same fine-tunes: {', '.join(f'{g:+.4f}' for g in d)} "
            f"(mean {statistics.mean(d):+.4f}{se}; below in {sum(g < 0 for g in d)} of {len(d)}, every seed below every seed "
            f"of the uniform ratio in {apart}).")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_setup_args(ap, ft_seeds=3, unseen_select=True)
    ap.add_argument('--macs', type=float, default=0.3, help='fraction of the MACs every row keeps')
    ap.add_argument('--methods', nargs='+', default=None, help='rows to run (default all)')
    ap.add_argument('--runs', type=int, default=1, help='repeat everything (baseline included) with seeds --seed, --seed + 1, ...')
    ap.add_argument('--row-ft-epochs', type=int, default=1,
                    help="length of the evaluator's fine_tune, for rows that fine-tune while they search (epochs)")
    ap.add_argument('--out', type=Path, default=RESULTS)
    ap.add_argument('--quick', action='store_true', help="a smoke run on scikit-learn's digits (no data file needed): 1 epoch, tiny searches")
    args = ap.parse_args(argv)
    unknown = set(args.methods or []) - set(ROWS)
    if unknown: ap.error(f"unknown methods {sorted(unknown)}; rows: {sorted(ROWS)}")
    if args.quick: args.epochs, args.lr, args.calib_batches, args.ft_seeds, args.select = 1, 1e-2, 2, 1, 500
    if args.runs < 1: ap.error("--runs must be at least 1")
    t_start = time.perf_counter()
    results = [run_once(argparse.Namespace(**{**vars(args), 'seed': args.seed + i}), argv) for i in range(args.runs)]
    wall = time.perf_counter() - t_start
    runs, st = [rows for rows, _ in results], results[0][1]
    several = args.runs > 1
    seeds = f"{args.seed}" if not several else f"{args.seed}..{args.seed + args.runs - 1}"
    xt, xv, base = st.xt, st.xv, st.base

    def table(rows: list[dict]) -> list[str]:
        lines = ["| method | MACs kept | params kept | accuracy, adaptive BN | accuracy, fine-tuned (mean) | max - min | time to prune (s) |",
                 "|---|---:|---:|---:|---:|---:|---:|"]
        return lines + [f"| {r['label']}{'' if r['macs'] <= args.macs + 1e-9 else ' (over budget)'} | {r['macs']:.2%} | {r['params']:.2%} "
                        f"| {r['adaptive']:.4f} | {r['tuned']:.4f} | {r['spread']:.4f} | {r['seconds']:.1f} |" for r in rows]
    sections = []
    for (rows, s), i in zip(results, range(args.runs)):
        if several: sections += [f"## Run with seed {args.seed + i}", "", f"Baseline: accuracy {s.base_acc:.4f}.", ""]
        sections += [*table(rows), ""]
    mean = lambda key, what: statistics.mean(next(r for r in rows if r['key'] == key)[what] for rows in runs)
    summary = [f"- Automatic pruners on the {st.model_name[0].lower() + st.model_name[1:]} ({st.data_name}), at most {args.macs:.0%} of the MACs, after the same "
               f"`fit_one_cycle({args.ft_epochs}, {args.ft_lr})` ({args.ft_seeds} seed{'s' if args.ft_seeds > 1 else ''})"
               f"{f', mean of {args.runs} runs (seeds {seeds})' if several else ''}: "
               + '; '.join(f"{r['label']} {mean(r['key'], 'tuned'):.4f} in {mean(r['key'], 'seconds'):.0f} s" for r in runs[0]) + '.']
    if runs[0][0]['key'] == 'uniform':
        summary += [against_uniform(runs, r['key']) for r in runs[0][1:]]
    held = ("which neither the baseline nor the rows' own training and fine-tunes use (they use the other "
            f"{len(xt) - args.select:,}; the common fine-tune below uses all {len(xt):,})" if args.unseen_select else
            "which the baseline and the rows' own fine-tunes also train on (--no-unseen-select)")
    ft_seeds = (f"the run's seed and the next {args.ft_seeds - 1}" if several else
                f"seeds {args.seed}..{args.seed + args.ft_seeds - 1}")
    text = '\n'.join([
        "# Automatic pruners at one MACs budget (issue 13)", "",
        f"Command: `{st.command}`", "", st.header.replace(f'seed {args.seed}', f'seed {seeds}'), "",
        f"{st.model_name} on {st.data_name} ({len(xt):,} train / {len(xv):,} valid digits), baseline `fit_one_cycle({args.epochs}, "
        f"{args.lr})`{f', trained anew in each of {args.runs} runs (seeds {seeds})' if several else f': accuracy {st.base_acc:.4f}'}, "
        f"{base['macs']:,} MACs. Every row keeps at most {args.macs:.0%} of the MACs "
        f"(a row over it is marked). Rows choose by accuracy on the last {args.select:,} training digits, {held}; the "
        f"validation digits only report. \"Adaptive BN\": batch norm re-estimated on the same {args.calib_batches} training "
        f"batches, no training. \"Fine-tuned\": then `fit_one_cycle({args.ft_epochs}, {args.ft_lr})` with "
        f"{ft_seeds}, "
        f"the same for every row (mean, and max - min over the seeds). "
        f"\"Time to prune\": the row's own work (searching, its own fine-tunings) before that common fine-tune; methods "
        f"that fine-tune while they search use the evaluator's `fine_tune`: `fit_one_cycle({args.row_ft_epochs})`; the one-step "
        f"search, simulated annealing and AMC end with their default final choice (the uniform plan and their best "
        f"{'1' if args.quick else '3'} by adaptive BN fine-tuned that way from {'1 seed' if args.quick else '2 seeds'}, the best "
        f"mean kept unless within the noise of that fine-tune of the uniform plan's, which then wins).", "",
        *sections, "## Summary", "", *summary, "", f"Wall time of the whole run: {wall:.0f} s.", ""])
    print('\n'.join(sections + summary)); print(f"wall time {wall:.0f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / ('AUTO.md' if args.model == 'cnn' else f'AUTO-{args.model}.md')).write_text(text)
    return runs


if __name__ == '__main__':
    main()

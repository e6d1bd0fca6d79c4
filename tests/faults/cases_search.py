"""Bad input to the analysis, search and iterative API (issue 12, fault matrix): evaluators that do not return a
finite number, ratios outside (0, 1), budgets that cannot be met, results of another model, bad `index` to `apply`.
Each call must raise exactly its error with a message naming the bad value and what is allowed, and leave the model
as it was (tests/faults/harness.py)."""
import tempfile
from pathlib import Path
import torch
from fasterprune.analyze.evaluate import Evaluator, learner_evaluator
from fasterprune.analyze.sensitivity import Sensitivity, analyse
from fasterprune.analyze.search import Subnets, search_subnets
from fasterprune.analyze.iterative import prune_iteratively
from fasterprune.data import small_cnn
from faults.harness import Fault

def _cnn():
    torch.manual_seed(0)
    return small_cnn(), torch.randn(4, 1, 8, 8)

def _one(m): return 1.

def _units(names=('0', '4', '8'), channels=(16, 32, 64)):
    return {n: dict(group=n + '>', layers=[n], channels=c, scores=[0.9, 0.5]) for n, c in zip(names, channels)}

def _analysis():
    "The model, its inputs and an analysis of it (made up scores)."
    m, x = _cnn()
    return m, (x, Sensitivity(1., [0.5, 0.9], _units()))

def _analysis_file_of_another_model():
    m, x = _cnn()
    path = Path(tempfile.mkdtemp()) / 'sens.json'
    analyse(small_cnn(widths=(8, 8, 8)), x, _one, ratios=[0.5], progress=False).save(path)
    return m, path

def _search():
    "The model, its inputs and a search of it with 2 sampled candidates (3 ranked with the uniform one)."
    m, x = _cnn()
    return m, (x, search_subnets(m, x, _one, macs=0.5, n_subnets=2, progress=False))

def _search_file_of_another_model():
    m, x = _cnn()
    path = Path(tempfile.mkdtemp()) / 'subnets.json'
    search_subnets(small_cnn(widths=(8, 8, 8)), x, _one, macs=0.5, n_subnets=1, progress=False).save(path)
    return m, path

def _nan_after(n):
    "An evaluator (that can fine-tune) returning 1.0 for `n` calls, then NaN."
    calls = []
    def evaluate(m): calls.append(1); return 1. if len(calls) <= n else float('nan')
    return Evaluator(evaluate, fine_tune=lambda m: None)

CASES = [
    # evaluators
    Fault('search-analyse-nan-score', _cnn, lambda m, x: analyse(m, x, lambda _: float('nan'), ratios=[0.5], progress=False),
          ValueError, r"returned nan: the score must be a finite number"),
    Fault('search-analyse-string-score', _cnn, lambda m, x: analyse(m, x, lambda _: 'good', ratios=[0.5], progress=False),
          TypeError, r"must return a number \(higher is better\), got 'good' \(str\)"),
    Fault('search-analyse-vector-score', _cnn, lambda m, x: analyse(m, x, lambda _: torch.ones(2), ratios=[0.5], progress=False),
          TypeError, r"must return one number, got a tensor of shape \(2,\)"),
    Fault('search-search-inf-score', _cnn, lambda m, x: search_subnets(m, x, lambda _: float('inf'), macs=0.5, n_subnets=1),
          ValueError, r"returned inf: the score must be a finite number"),
    Fault('search-search-bool-score', _cnn, lambda m, x: search_subnets(m, x, lambda _: True, macs=0.5, n_subnets=1),
          TypeError, r"got True \(bool\)"),
    Fault('search-evaluator-not-callable', _cnn, lambda m, x: analyse(m, x, 42, ratios=[0.5]),
          TypeError, r"evaluate must be a function model -> float, an Evaluator or a fastai Learner, got int"),
    Fault('search-iterative-nan-in-round-1', _cnn,
          lambda m, x: prune_iteratively(m, x, _nan_after(1), macs=0.5, verbose=False),
          ValueError, r"returned nan: the score must be a finite number"),
    Fault('search-learner-evaluator-epochs-0', lambda: (None, None), lambda m, _: learner_evaluator(object(), epochs=0),
          ValueError, r"epochs must be a positive integer, got 0", check_model=False),
    # ratios and settings
    Fault('search-analyse-ratio-1', _cnn, lambda m, x: analyse(m, x, _one, ratios=[0.5, 1.0]),
          ValueError, r"every ratio must be a fraction in \(0, 1\).*got 1\.0"),
    Fault('search-analyse-ratio-0', _cnn, lambda m, x: analyse(m, x, _one, ratios=[0]),
          ValueError, r"every ratio must be a fraction in \(0, 1\).*got 0"),
    Fault('search-analyse-no-ratios', _cnn, lambda m, x: analyse(m, x, _one, ratios=[]),
          ValueError, r"ratios must be a non-empty list of fractions in \(0, 1\), got \[\]"),
    Fault('search-analyse-by-channel', _cnn, lambda m, x: analyse(m, x, _one, by='channel'),
          ValueError, r"by must be 'group' or 'layer', got 'channel'"),
    Fault('search-search-max-ratio-1', _cnn, lambda m, x: search_subnets(m, x, _one, macs=0.5, max_ratio=1.0),
          ValueError, r"max_ratio must be a fraction in \[0, 1\).*got 1\.0"),
    Fault('search-search-n-subnets-0', _cnn, lambda m, x: search_subnets(m, x, _one, macs=0.5, n_subnets=0),
          ValueError, r"n_subnets must be an integer >= 1, got 0"),
    Fault('search-search-fine-tune-top-without-fine-tune', _cnn,
          lambda m, x: search_subnets(m, x, _one, macs=0.5, n_subnets=1, fine_tune_top=1),
          ValueError, r"fine_tune_top needs a fine-tune: pass fine_tune=, or an evaluator that can fine-tune"),
    Fault('search-search-fine-tune-not-callable', _cnn,
          lambda m, x: search_subnets(m, x, _one, macs=0.5, n_subnets=1, fine_tune_top=1, fine_tune=3),
          TypeError, r"fine_tune must be a function model -> None, got 3"),
    Fault('search-iterative-step-above-1', _cnn,
          lambda m, x: prune_iteratively(m, x, Evaluator(_one, lambda _: None), macs=0.5, step=1.5),
          ValueError, r"step must be a fraction in \(0, 1\), got 1\.5"),
    Fault('search-iterative-cannot-fine-tune', _cnn, lambda m, x: prune_iteratively(m, x, _one, macs=0.5),
          ValueError, r"prune_iteratively fine-tunes every round: give an evaluator with fine_tune"),
    # budgets
    Fault('search-search-no-budget', _cnn, lambda m, x: search_subnets(m, x, _one, n_subnets=1),
          ValueError, r"give the budget to search at: macs= or params="),
    Fault('search-search-budget-unreachable', _cnn, lambda m, x: search_subnets(m, x, _one, macs=0.01, n_subnets=1),
          ValueError, r"cannot keep only 1\.00% of the macs with at most 90% of each group's channels removed"),
    Fault('search-allocate-budget-unreachable', _analysis, lambda m, c: c[1].allocate(macs=0.01, model=m, example_inputs=c[0]),
          ValueError, r"cannot keep only 1\.00% of the macs with the analysed ratios \(at most 0\.9 per layer\)"),
    Fault('search-allocate-budget-and-max-drop', _analysis,
          lambda m, c: c[1].allocate(macs=0.5, max_drop=0.1, model=m, example_inputs=c[0]),
          ValueError, r"give one of macs=, params= .* or max_drop="),
    Fault('search-allocate-negative-max-drop', _analysis, lambda m, c: c[1].allocate(max_drop=-0.1),
          ValueError, r"max_drop must be a non-negative number .*got -0\.1"),
    # results of another model, or of other layers
    Fault('search-analysis-file-of-another-model', _analysis_file_of_another_model, lambda m, p: Sensitivity.load(p, m),
          ValueError, r"the analysis in .*sens\.json was made for another architecture"),
    Fault('search-subnets-file-of-another-model', _search_file_of_another_model, lambda m, p: Subnets.load(p, m),
          ValueError, r"the search in .*subnets\.json was made for another architecture"),
    Fault('search-analysis-of-other-layers', _analysis,
          lambda m, c: search_subnets(m, c[0], _one, macs=0.5, n_subnets=1,
                                      analysis=Sensitivity(1., [0.5, 0.9], _units(('0', '4'), (16, 32))), progress=False),
          ValueError, r"not analysed \['8'\], not searched \[\]"),
    Fault('search-not-a-file', _cnn, lambda m, x: Sensitivity.load(Path(tempfile.mkdtemp()) / 'none.json', m),
          ValueError, r"cannot read a sensitivity analysis from .*none\.json"),
    # apply
    Fault('search-apply-index-too-large', _search, lambda m, c: c[1].apply(m, index=3, example_inputs=c[0]),
          IndexError, r"index must be an integer below the 3 scored candidates, got 3"),
    Fault('search-apply-index-bool', _search, lambda m, c: c[1].apply(m, index=True, example_inputs=c[0]),
          IndexError, r"index must be an integer below the 3 scored candidates, got True"),
    Fault('search-apply-index-float', _search, lambda m, c: c[1].apply(m, index=0.0, example_inputs=c[0]),
          IndexError, r"got 0\.0"),
    Fault('search-apply-without-inputs', _search, lambda m, c: c[1].apply(m),
          ValueError, r"pass example_inputs= \(a batch the model accepts\)"),
    Fault('search-apply-to-another-model', _search,
          lambda m, c: c[1].apply(small_cnn(widths=(8, 8, 8)), example_inputs=c[0]),
          ValueError, r"the search was made for another architecture", check_model=False),
]

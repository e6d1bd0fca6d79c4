"NetAdapt and its latency lookup table (issue 13): bad budgets, steps, evaluators, tables and saved runs."
import tempfile
from pathlib import Path
import torch
import torch.nn as nn
from fasterprune.analyze.evaluate import Evaluator
from fasterprune.auto.netadapt import LatencyTable, latency_table, netadapt
from faults.harness import Fault

def _cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))

X = torch.randn(4, 1, 8, 8)
TUNES = Evaluator(lambda m: 1., fine_tune=lambda m: None)   # scores everything 1, fine-tunes nothing
SCORES = Evaluator(lambda m: float(sum(p.numel() for p in m.parameters())))   # no fine_tune

def _plain(): return _cnn(), None
def _table(model): return latency_table(model, X, fractions=(0.5, 1.), repeats=1, warmup=0, progress=False)
def _with_table(): return _cnn(), _table(_cnn())
def _with_other_table():
    other = _cnn(); other[3] = nn.Conv2d(8, 6, 3, padding=1); other[4] = nn.BatchNorm2d(6); other[8] = nn.Linear(6, 4)
    return _cnn(), _table(other)
def _with_run():
    model, path = _cnn(), Path(tempfile.mkdtemp()) / 'run.json'
    run = netadapt(model, X, SCORES, macs=0.5, step=0.3, fine_tune=None, path=path, progress=False)
    return model, (run, path)

def _na(evaluate=TUNES, **kw): return lambda m, _: netadapt(m, X, evaluate, progress=False, **kw)

CASES = [
    Fault('netadapt-no-budget', _plain, _na(), ValueError, r"give the budget to reach: latency=, macs= or params="),
    Fault('netadapt-two-budgets', _plain, _na(macs=0.5, params=0.5), ValueError, r"give one budget, not 2"),
    Fault('netadapt-zero-macs', _plain, _na(macs=0), ValueError, r"macs is the fraction of MACs to keep, in \(0, 1\]; got 0"),
    Fault('netadapt-unreachable-budget', _plain, _na(macs=0.001), ValueError,
          r"cannot keep only 0\.10% of the macs: with one channel left in every group the model keeps \d"),
    Fault('netadapt-step-above-one', _plain, _na(macs=0.5, step=1.5), ValueError, r"step must be a fraction in \(0, 1\).*got 1\.5"),
    Fault('netadapt-step-bool', _plain, _na(macs=0.5, step=True), ValueError, r"step must be a fraction in \(0, 1\).*got True"),
    Fault('netadapt-decay-zero', _plain, _na(macs=0.5, decay=0), ValueError, r"decay must be in \(0, 1\] \(1: a constant step\), got 0"),
    Fault('netadapt-max-iterations-zero', _plain, _na(macs=0.5, max_iterations=0), ValueError,
          r"max_iterations must be a positive integer, got 0"),
    Fault('netadapt-evaluator-cannot-fine-tune', _plain, _na(macs=0.5, evaluate=SCORES), ValueError,
          r"the evaluator cannot fine-tune: .*fine_tune=None"),
    Fault('netadapt-fine-tune-string', _plain, _na(macs=0.5, fine_tune='yes'), TypeError,
          r"fine_tune must be 'evaluator', None or a function model -> None, got 'yes'"),
    Fault('netadapt-evaluator-string', _plain, _na(macs=0.5, evaluate='accuracy', fine_tune=None), TypeError,
          r"evaluate must be a function model -> float.*got str"),
    Fault('netadapt-evaluator-nan', _plain, _na(macs=0.5, evaluate=lambda m: float('nan'), fine_tune=None), ValueError,
          r"returned nan: the score must be a finite number"),
    Fault('netadapt-unknown-criteria', _plain, _na(macs=0.5, criteria='largest'), ValueError, r"largest.*large_final"),
    Fault('netadapt-table-with-macs', _with_table, lambda m, t: netadapt(m, X, TUNES, macs=0.5, table=t), ValueError,
          r"table= is the latency lookup table: give it with latency=, not with a macs budget"),
    Fault('netadapt-table-of-other-model', _with_other_table, lambda m, t: netadapt(m, X, TUNES, latency=0.5, table=t),
          ValueError, r"latency table was made for another architecture \(signature \w+, this model: \w+\)"),
    Fault('netadapt-table-other-batch', _with_table, lambda m, t: netadapt(m, X[:2], TUNES, latency=0.5, table=t), ValueError,
          r"measured for inputs of shape \(4, 1, 8, 8\), not \(2, 1, 8, 8\)"),
    Fault('netadapt-table-other-device', _with_table,
          lambda m, t: netadapt(m, X, TUNES, latency=0.5, table=LatencyTable.from_dict({**t.to_dict(), 'tag': {**t.tag, 'device_name': 'NVIDIA H200'}})),
          ValueError, r"measured on 'NVIDIA H200', this model's device is '.+'"),
    Fault('latency-table-zero-fraction', _plain, lambda m, _: latency_table(m, X, fractions=(0, 1)), ValueError,
          r"fractions must be channel fractions in \(0, 1\], got \(0, 1\)"),
    Fault('latency-table-zero-repeats', _plain, lambda m, _: latency_table(m, X, repeats=0), ValueError,
          r"repeats must be an integer >= 1, got 0"),
    Fault('latency-table-load-not-a-table', _plain,
          lambda m, _: LatencyTable.load(Path(tempfile.mkdtemp()) / 'missing.json', m, X), ValueError,
          r"cannot read a latency table from .*missing\.json"),
    Fault('netadapt-resume-other-settings', _with_run,
          lambda m, c: netadapt(m, X, SCORES, macs=0.6, step=0.3, fine_tune=None, path=c[1]), ValueError,
          r"holds a NetAdapt run with other settings \(budget\.keep: 0\.5 -> 0\.6\)"),
    Fault('netadapt-apply-to-other-model', _with_run, lambda m, c: c[0].apply(nn.Sequential(nn.Linear(2, 2))), ValueError,
          r"NetAdapt run was made for another architecture"),
]

"""Interrupted runs of the resumable drivers (issue 26): each run of `analyse`, `search_subnets`, `simulated_annealing`,
`netadapt`, `amc` and `lottery_rounds` with a file (`path=`; the lottery's is a folder) is stopped by a KeyboardInterrupt raised from
its evaluator after k calls, resumed from its file (possibly stopped again), and must end exactly where one uninterrupted
run ends, with the user's model as it was after each stop. Tiny models and an evaluator that is a pure function of the
weights (no training), so a run takes well under a second; used by tests/test_fuzz.py (quick) and benchmarks/fuzz.py."""
from __future__ import annotations
import json, random, shutil, tempfile
from pathlib import Path
import torch
import torch.nn as nn
from fasterprune.analyze.evaluate import Evaluator
from fasterprune.analyze.sensitivity import analyse
from fasterprune.analyze.search import search_subnets
from fasterprune.auto.annealing import simulated_annealing
from fasterprune.auto.netadapt import netadapt
from fasterprune.auto.amc import amc
from fasterprune.auto.lottery import lottery_rounds
from fasterprune.data import small_cnn
from faults.harness import model_state, assert_same

X = torch.randn(4, 1, 8, 8, generator=torch.Generator().manual_seed(0))

def tiny_cnn(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return small_cnn(widths=(8, 8, 8))

def score(m: nn.Module) -> float:
    "A pure function of the weights (the drivers' choices depend on it, so equal runs must agree on every score)."
    return round(float(sum(p.detach().double().abs().sum() * (i + 1) for i, p in enumerate(m.parameters()))), 9)

@torch.no_grad()
def shrink(m: nn.Module) -> None:
    "A deterministic stand-in for training: every weight moves."
    for i, p in enumerate(m.parameters()): p.mul_(0.9).add_(0.01 * (i + 1))

class Stop:
    "Counts the evaluator's calls (evaluations and fine-tunes); raises KeyboardInterrupt at call `at` (None: never)."
    def __init__(self, at: int | None = None): self.at, self.calls = at, 0
    def tick(self):
        self.calls += 1
        if self.at is not None and self.calls >= self.at: raise KeyboardInterrupt(f'stopped at call {self.calls}')
    def evaluator(self) -> Evaluator:
        def evaluate(m): self.tick(); return score(m)
        def fine_tune(m): self.tick(); shrink(m)
        return Evaluator(evaluate, fine_tune=fine_tune, name='score')

def _rows(rows): return json.loads(json.dumps(rows))

def _portable(outcome, folder: Path):
    "`outcome` as plain data, the run's folder named '<folder>' (the files a run names are where it was told to write)."
    return json.loads(json.dumps(outcome).replace(str(folder), '<folder>'))

# name -> (run(model, evaluator, where, resuming) -> result, outcome(result, model) -> what must be equal)
DRIVERS = {
    'analyse': (lambda m, ev, f, again: analyse(m, X, ev, ratios=[0.25, 0.5, 0.75], path=f / 'run.json', progress=False),
                lambda r, m: r.to_dict()),
    'search_subnets': (lambda m, ev, f, again: search_subnets(m, X, ev, macs=0.5, n_subnets=2, fine_tune_top=0,
                                                              path=f / 'run.json', progress=False),
                       lambda r, m: r.to_dict()),
    'simulated_annealing': (lambda m, ev, f, again: simulated_annealing(m, X, ev, macs=0.5, start_temperature=1.,
                                                                        stop_temperature=0.2, cooling_rate=0.7, fine_tune_top=0,
                                                                        path=f / 'run.json', progress=False),
                            lambda r, m: r.to_dict()),
    'netadapt': (lambda m, ev, f, again: netadapt(m, X, ev, macs=0.5, step=0.2, fine_tune=None, path=f / 'run.json', progress=False),
                 lambda r, m: {'rows': _rows(r.rows), 'model': {k: v.tolist() for k, v in r.model.state_dict().items()}}),
    'amc': (lambda m, ev, f, again: amc(m, X, ev, macs=0.5, episodes=5, warmup=2, updates=2, batch_size=4, fine_tune_top=0,
                                        path=f / 'amc.pth', progress=False),
            lambda r, m: _rows({'rows': r.rows, 'uniform': r.uniform})),
    'lottery_rounds': (lambda m, ev, f, again: lottery_rounds(m, ev, 0.75, 3, path=f / 'lottery', resume=again, progress=False),
                       lambda r, m: {'rows': _rows(r.rows), 'model': {k: v.tolist() for k, v in m.state_dict().items()}}),
}

def full_run(name: str) -> tuple[object, int]:
    "The outcome of one uninterrupted run, and how many evaluator calls it made."
    run, outcome = DRIVERS[name]
    folder, stop, model = Path(tempfile.mkdtemp(prefix='resume_fuzz_')), Stop(), tiny_cnn()
    try: return _portable(outcome(run(model, stop.evaluator(), folder, False), model), folder), stop.calls
    finally: shutil.rmtree(folder, ignore_errors=True)

def interrupted_run(name: str, cuts: list[int]) -> tuple[object, list[str]]:
    """The outcome of a run stopped at evaluator call `cuts[0]`, resumed and stopped at call `cuts[1]` of the resumed run...,
    then resumed to its end (each resume with a fresh model object of the same weights), and the problems seen: a stop that
    did not stop, or a model changed by a stop."""
    run, outcome = DRIVERS[name]
    folder, problems, again = Path(tempfile.mkdtemp(prefix='resume_fuzz_')), [], False
    try:
        for at in cuts:
            model = tiny_cnn(); before = model_state(model)
            try:
                run(model, Stop(at).evaluator(), folder, again)
                problems.append(f'not stopped at call {at}')
            except KeyboardInterrupt: pass
            try: assert_same(before, model_state(model), f'{name} stopped at call {at}')
            except AssertionError as e: problems.append(str(e))
            again = True
        model = tiny_cnn()
        return _portable(outcome(run(model, Stop().evaluator(), folder, again), model), folder), problems
    finally: shutil.rmtree(folder, ignore_errors=True)

def random_cuts(rng: random.Random, calls: int, n_stops: int) -> list[int]:
    "`n_stops` stop points: the first within the run's calls, the next ones within what is left (at least call 1)."
    cuts, left = [], calls
    for _ in range(n_stops):
        if left <= 1: break
        at = rng.randint(1, left - 1)
        cuts.append(at); left -= at - 1
    return cuts

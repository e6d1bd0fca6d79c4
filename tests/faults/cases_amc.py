"Bad settings of AMC (auto.amc, issue 26): refused before any work, the model unchanged."
import torch
from fasterprune.analyze.evaluate import Evaluator
from fasterprune.auto.amc import amc
from fasterprune.data import small_cnn
from faults.harness import Fault

X = torch.randn(4, 1, 8, 8)
ONE = Evaluator(lambda m: 1., fine_tune=lambda m: None)

def _cnn():
    torch.manual_seed(0)
    return small_cnn(widths=(8, 8, 8)), None

def _amc(**kw): return lambda m, _: amc(m, X, ONE, macs=0.5, updates=1, progress=False, fine_tune_top=0, **kw)

CASES = [   # all warm-up: the agent would never act nor learn, a random search said nowhere
    Fault('amc-warmup-equals-episodes', _cnn, _amc(episodes=4, warmup=4),
          ValueError, r"warmup \(4\) must be below episodes \(4\): the first 4 episodes take random actions and the agent learns only after them"),
    Fault('amc-warmup-default-above-episodes', _cnn, _amc(episodes=10),
          ValueError, r"warmup \(20\) must be below episodes \(10\).*give more episodes or a shorter warmup"),
]

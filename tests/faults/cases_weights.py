"""Resuming a run with other weights of the same architecture (issue 26): the file of `analyse`, `search_subnets`,
`simulated_annealing`, `netadapt` and `amc` records a fingerprint of the weights its scores were measured on; a resume
with a model of the same architecture but other weights (trained further, another seed) is refused, naming the file and
both fingerprints, instead of mixing the file's scores with new ones. The file is left as it was."""
import re, tempfile
from pathlib import Path
import torch
from fasterprune.analyze.evaluate import Evaluator
from fasterprune.analyze.sensitivity import analyse
from fasterprune.analyze.search import search_subnets
from fasterprune.auto.annealing import simulated_annealing
from fasterprune.auto.netadapt import netadapt
from fasterprune.auto.amc import amc
from fasterprune.data import small_cnn
from faults.harness import Fault

_TMP = Path(tempfile.mkdtemp(prefix='faults_weights_'))
X = torch.randn(4, 1, 8, 8)
ONE = Evaluator(lambda m: 1., fine_tune=lambda m: None)

def _cnn(seed: int = 0):
    torch.manual_seed(seed)
    return small_cnn(widths=(8, 8, 8))

RUNS = {   # file -> the run, given the model and the path: run once on the weights of seed 0, resumed on those of seed 1
    'sens.json': lambda m, f: analyse(m, X, ONE, ratios=[0.25, 0.5], path=f, progress=False),
    'subnets.json': lambda m, f: search_subnets(m, X, ONE, macs=0.5, n_subnets=1, fine_tune_top=0, path=f, progress=False),
    'anneal.json': lambda m, f: simulated_annealing(m, X, ONE, macs=0.5, start_temperature=1., stop_temperature=0.5,
                                                    fine_tune_top=0, path=f, progress=False),
    'anneal_sparse.json': lambda m, f: simulated_annealing(m, None, ONE, sparsity=0.5, start_temperature=1., stop_temperature=0.5,
                                                           fine_tune_top=0, path=f, progress=False),
    'netadapt.json': lambda m, f: netadapt(m, X, ONE, macs=0.7, step=0.3, fine_tune=None, path=f, progress=False),
    'amc.pth': lambda m, f: amc(m, X, ONE, macs=0.5, episodes=3, warmup=2, updates=1, fine_tune_top=0, path=f, progress=False),
}
WHAT = {'sens.json': 'an analysis', 'subnets.json': 'a search', 'anneal.json': 'an annealing', 'anneal_sparse.json': 'an annealing',
        'netadapt.json': 'a NetAdapt run', 'amc.pth': 'an AMC run'}

def _file(name: str) -> Path:
    f = _TMP / name
    if not f.exists(): RUNS[name](_cnn(0), f)
    return f

def _other():
    "make: a model of the same architecture with other weights."
    return _cnn(1), None

def _resume(name: str):
    def act(m, _):
        f = _file(name); before = f.read_bytes()
        try: RUNS[name](m, f)
        finally: assert f.read_bytes() == before, f'{f} was changed by the refused resume'
    return act

CASES = [Fault(f'weights-resume-{name.split(".")[0].replace("_", "-")}-other-weights', _other, _resume(name), ValueError,
               rf"{re.escape(name)} holds {WHAT[name]} of other weights of this architecture \(weights fingerprint "
               rf"[0-9a-f]{{16}}, this model: [0-9a-f]{{16}}\): its scores do not hold for this model; use another path, or delete the file to redo it")
         for name in RUNS]

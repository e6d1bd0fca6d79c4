"""PruneCallback with fastai's SaveModelCallback (issue 26): at the last prune the tracker's best is reset, so only epochs
at the final target compete for the reload; a reload of an earlier checkpoint all the same (a comp that prefers it) gives
back a model with more channels than asked: never in silence (the warning, raised here as an error)."""
import tempfile, warnings
from pathlib import Path
import torch
from fastai.callback.tracker import SaveModelCallback
from fastai.learner import Learner
from fastai.metrics import accuracy
from fasterprune.all import PruneCallback, digits_dls, small_cnn, one_shot
from faults.harness import Fault

def _learner():
    torch.manual_seed(0)
    learn = Learner(digits_dls(bs=64), small_cnn(widths=(8, 8, 8)), metrics=accuracy, path=Path(tempfile.mkdtemp(prefix='faults_ckpt_')))
    return learn.model, learn

def _first_epoch_best():
    "A comp for SaveModelCallback that finds epoch 0 (before the prune) best, and no other."
    calls = iter(range(1000))
    return lambda value, best: next(calls) == 0

def _fit_strict(m, learn):
    with warnings.catch_warnings():
        warnings.simplefilter('error', UserWarning)
        learn.fit(2, 1e-2, cbs=[PruneCallback(0.5, schedule=one_shot, report_latency=False, verbose=False),
                                SaveModelCallback(monitor='accuracy', comp=_first_epoch_best(), fname='best')])

CASES = [
    Fault('checkpoint-savemodel-reloads-before-target', _learner, _fit_strict, UserWarning,
          r"SaveModelCallback reloads a checkpoint saved before the model reached its target \(with 0 of its 3 pruning steps\): "
          r"the model you get back has more channels than asked", check_model=False),
]

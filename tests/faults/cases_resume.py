"""Fits, checkpoints and resumes (issue 11): loading what cannot be loaded, resuming what cannot be resumed,
and a fit that fails in the middle. Every case leaves the model exactly as it was (no partial load, no mask,
no hook of a data-driven criterion)."""
import tempfile
from pathlib import Path
import torch
import torch.nn as nn
from fastai.callback.core import Callback
from fastai.learner import Learner
from fasterprune.data import small_cnn, digits_dls
from fasterprune.prune.pruner import Pruner, save_pruned, load_pruned
from fasterprune.prune.callback import PruneCallback
from fasterprune.sparse.sparsifier import Sparsifier, attach_masks
from faults.harness import Fault

X = torch.randn(4, 3, 16, 16)
_TMP = Path(tempfile.mkdtemp(prefix='faults_resume_'))

def _cnn(widths=(16, 32, 64)):
    torch.manual_seed(0)
    return small_cnn(3, 10, widths)

def _fresh():
    "A fresh model (what load_pruned expects)."
    return _cnn(), None

def _file(name: str, write) -> Path:
    "A file written once per session by `write(path)`."
    f = _TMP / name
    if not f.exists(): write(f)
    return f

def _pruned_ckpt(f):
    m = _cnn(); Pruner(m, X).prune(0.5); save_pruned(m, f)

def _masked_ckpt(f):
    m = _cnn(); Pruner(m, X).prune(0.5); Sparsifier(m, 'weight').prune(0.5); save_pruned(m, f)

def _edited(name: str, edit):
    "A copy of the pruned checkpoint changed by `edit(ckpt)`."
    def write(f):
        ck = torch.load(_file('pruned.pth', _pruned_ckpt)); edit(ck); torch.save(ck, f)
    return _file(name, write)

def _set(d, k, v): d[k] = v

def _truncated(f):
    data = _file('pruned.pth', _pruned_ckpt).read_bytes(); f.write_bytes(data[:len(data) // 2])

def _load(name, write=None, **kw):
    return lambda m, _: load_pruned(m, _file(name, write) if write else _TMP / name, **kw)

def _state(m): return {k: v.clone() for k, v in m.state_dict().items()}

def _pruned_model():
    m = _cnn(); Pruner(m, X).prune(0.5)
    return m, None

def _plan_without_base():
    m = _cnn(); Pruner(m, X).prune(0.5)
    del m._fasterprune_plan['base']            # a plan written before plans recorded their cost
    return m, None

def _masked_sd():
    m = _cnn(); Sparsifier(m, 'weight').prune(0.5)
    return _state(m)

def _misfit_masks(m, _):
    sd = _masked_sd(); sd['8.weight_mask'] = torch.ones(64, 3, 3, 3, dtype=torch.bool)   # '0' and '4' fit, '8' does not
    return attach_masks(m, sd)

# --- fits that fail: a learner on the digits, its model the one checked
class _FailAtStart(Callback):
    "Fails before the first training batch runs (nothing has trained: the model must be as it was)."
    order = 90
    def before_batch(self):
        if self.training: raise RuntimeError('boom: a failure in the middle of fit')

def _learner():
    torch.manual_seed(0)
    learn = Learner(digits_dls(), small_cnn())
    return learn.model, learn

def _learner_without_base():
    model, learn = _learner()
    Pruner(model, torch.randn(2, 1, 8, 8)).prune(0.25)
    del model._fasterprune_plan['base']
    return model, learn

def _fit(cb, *more):
    return lambda m, learn: learn.fit(1, 1e-2, cbs=[cb(), *more])

CASES = [
    # load_pruned: files it cannot read, or that are not its own
    Fault('resume-load-missing-file', _fresh, _load('nowhere.pth'), FileNotFoundError, r"no checkpoint file at .*nowhere\.pth"),
    Fault('resume-load-garbage-file', _fresh, _load('garbage.pth', lambda f: f.write_bytes(b'garbage')),
          ValueError, r"garbage\.pth cannot be read as a PyTorch checkpoint"),
    Fault('resume-load-empty-file', _fresh, _load('empty.pth', lambda f: f.write_bytes(b'')),
          ValueError, r"empty\.pth cannot be read as a PyTorch checkpoint"),
    Fault('resume-load-truncated-file', _fresh, _load('truncated.pth', _truncated),
          ValueError, r"truncated\.pth cannot be read as a PyTorch checkpoint \(truncated"),
    Fault('resume-load-learn-save-file', _fresh,
          _load('learn_save.pth', lambda f: torch.save({'model': _cnn().state_dict(), 'opt': {}}, f)),
          ValueError, r"not a checkpoint of save_pruned \(a dict with 'plan' and 'state_dict'\), it holds a dict with keys \['model', 'opt'\]"),
    Fault('resume-load-bare-state-dict', _fresh, _load('bare.pth', lambda f: torch.save(_cnn().state_dict(), f)),
          ValueError, r"not a checkpoint of save_pruned .*it holds a dict with keys \['0\.weight'"),
    Fault('resume-load-tensor-file', _fresh, _load('tensor.pth', lambda f: torch.save(torch.ones(3), f)),
          ValueError, r"not a checkpoint of save_pruned .*it holds a Tensor"),
    Fault('resume-load-malformed-plan', _fresh, lambda m, _: load_pruned(m, _edited('bad_plan.pth', lambda c: _set(c, 'plan', 'steps'))),
          ValueError, r"bad_plan\.pth: its plan or state dict is malformed \(plan: str"),
    Fault('resume-load-no-example-inputs', _fresh,
          lambda m, _: load_pruned(m, _edited('no_x.pth', lambda c: _set(c['plan'], 'example_inputs', None))),
          ValueError, r"no example inputs: pass example_inputs"),
    # load_pruned: checkpoints that do not fit; the replayed plan is undone
    Fault('resume-load-weight-misfit', _fresh,
          lambda m, _: load_pruned(m, _edited('misfit.pth', lambda c: _set(c['state_dict'], '4.weight', torch.zeros(3, 3)))),
          ValueError, r"does not fit this model after replaying its plan \(shapes of \['4\.weight'\]"),
    Fault('resume-load-missing-key', _fresh,
          lambda m, _: load_pruned(m, _edited('missing.pth', lambda c: c['state_dict'].pop('13.bias'))),
          ValueError, r"does not fit this model after replaying its plan .*missing \['13\.bias'\]"),
    Fault('resume-load-unknown-step', _fresh,
          lambda m, _: load_pruned(m, _edited('bad_step.pth', lambda c: c['plan']['steps'].append({'layer': 'nope', 'out': True, 'idxs': [0]}))),
          ValueError, r"'nope', which is not in the model"),
    Fault('resume-load-other-widths', lambda: (_cnn((8, 16, 32)), None),
          _load('plain.pth', lambda f: save_pruned(_cnn(), f)),
          ValueError, r"does not fit this model \(shapes of \['0\.weight'"),
    Fault('resume-load-masks-other-model', lambda: (nn.Sequential(nn.Conv2d(3, 16, 3)), None),
          _load('masked_plain.pth', lambda f: (lambda m: (Sparsifier(m, 'weight').prune(0.5), save_pruned(m, f)))(_cnn())),
          ValueError, r"does not fit this model .*unexpected \['1\.bias'"),
    Fault('resume-load-masked-into-pruned', _pruned_model, _load('masked.pth', _masked_ckpt),
          ValueError, r"already pruned: load into a freshly built model"),
    Fault('resume-load-into-pruned', _pruned_model, _load('pruned.pth', _pruned_ckpt),
          ValueError, r"already pruned: load into a freshly built model"),
    # attach_masks: only state dicts (or the checkpoints holding one), and all or nothing
    Fault('resume-attach-masks-list', _fresh, lambda m, _: attach_masks(m, [_masked_sd()]),
          TypeError, r"expected a state dict \(names -> tensors\) .*got a list"),
    Fault('resume-attach-masks-model-only', _fresh, lambda m, _: attach_masks(m, {'model': _masked_sd()}),
          TypeError, r"got a dict with keys \['model'\]"),
    Fault('resume-attach-masks-int-keys', _fresh, lambda m, _: attach_masks(m, {0: torch.ones(1)}),
          TypeError, r"expected a state dict \(names -> tensors\).*got a dict with keys \['0'\]"),
    Fault('resume-attach-masks-misfit', _fresh, _misfit_masks,
          ValueError, r"checkpoint mask '8\.weight_mask' does not fit the model \(no layer '8' with a weight of shape \(64, 3, 3, 3\)\)"),
    Fault('resume-attach-masks-learn-save-misfit', lambda: (nn.Sequential(nn.Conv2d(3, 4, 3)), None),
          lambda m, _: attach_masks(m, {'model': _masked_sd(), 'opt': {}}),
          ValueError, r"checkpoint mask '0\.weight_mask' does not fit the model \(no layer '0' with a weight of shape \(16, 3, 3, 3\)\)"),
    # resuming: what the plan cannot tell
    Fault('resume-pruner-plan-without-base', _plan_without_base, lambda m, _: Pruner(m, X, resume=True),
          ValueError, r"resume=True: the model's plan does not record what the model cost before it was pruned"),
    Fault('resume-pruner-latency-after-prune', _pruned_model, lambda m, _: Pruner(m, X, resume=True).prune(latency=0.5),
          ValueError, r"latency budget is a fraction of the latency at the start, which was not measured before the model was pruned"),
    Fault('resume-callback-budget-without-base', _learner_without_base, _fit(lambda: PruneCallback(params=0.5, verbose=False)),
          ValueError, r"resume=True: the model's plan does not record what the model cost"),
    # a fit that fails: no hook of a data-driven criterion stays on the model
    Fault('resume-fit-error-wanda-no-hooks', _learner,
          _fit(lambda: PruneCallback(0.5, criteria='wanda', report_latency=False, verbose=False), _FailAtStart()),
          RuntimeError, r"boom"),
    Fault('resume-fit-error-taylor-no-hooks', _learner,
          _fit(lambda: PruneCallback(0.5, criteria='taylor_activation', report_latency=False, verbose=False), _FailAtStart()),
          RuntimeError, r"boom"),
]

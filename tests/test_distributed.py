"""Both callbacks and both engines under DistributedDataParallel: 2 gloo processes on the CPU, each training on its
own batches (`distributed_worker.py`, started as `torchrun --nproc_per_node 2` would). Every rank must end with
bitwise the same masks, weights and architecture, and data-driven decisions must be those a single process takes
from the ranks' statistics put together."""
import math, socket, subprocess, sys
import pytest, torch
from conftest import ROOT
from fasterprune.all import *

pytestmark = pytest.mark.xdist_group('distributed')   # one worker runs the processes once for every test here
WORKER, TIMEOUT = ROOT / 'tests' / 'distributed_worker.py', 240

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]

@pytest.fixture(scope='module')
def ranks(tmp_path_factory):
    "What each of the 2 ranks saved: `[rank 0's, rank 1's]`."
    out, port = tmp_path_factory.mktemp('ddp'), _free_port()
    procs = [subprocess.Popen([sys.executable, str(WORKER), str(r), '2', str(port), str(out)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for r in range(2)]
    try: logs = [p.communicate(timeout=TIMEOUT)[0] for p in procs]
    except subprocess.TimeoutExpired:
        for p in procs: p.kill()
        pytest.fail(f'the 2 ranks did not finish within {TIMEOUT} s: a rank waits for another (a hang)')
    for r, (p, log) in enumerate(zip(procs, logs)):
        assert p.returncode == 0, f'rank {r} failed:\n{log[-4000:]}'
    return [torch.load(out / f'rank{r}.pt', weights_only=False) for r in range(2)]

def assert_same(a, b, what):
    "`a` and `b` are bitwise equal (tensors, or dicts / lists of them)."
    if isinstance(a, dict):
        assert a.keys() == b.keys(), f'{what}: keys differ'
        for k in a: assert_same(a[k], b[k], f'{what}[{k!r}]')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f'{what}: lengths differ'
        for i, (x, y) in enumerate(zip(a, b)): assert_same(x, y, f'{what}[{i}]')
    elif isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b), f'{what} differs between the ranks'
    else: assert a == b, f'{what}: {a!r} != {b!r}'

def model_of(weights: dict):
    "A fresh copy of the worker's model with `weights` (rank 0's)."
    m = small_cnn(1, 10, (8, 16, 16))
    m.load_state_dict({k: v for k, v in weights.items() if not k.endswith(MASK)})
    return m

def _masks(state): return {k: v for k, v in state.items() if k.endswith(MASK)}

@pytest.mark.parametrize('run', ['weight', 'data', 'random', 'structure'])
def test_callbacks_leave_every_rank_with_the_same_model(ranks, run):
    r0, r1 = (r[run] for r in ranks)
    assert_same(r0['state'], r1['state'], f'{run}: the state_dict (weights, masks, batch-norm statistics)')
    assert_same(r0['opt_state'], r1['opt_state'], f'{run}: the optimizer state')
    for r in (r0, r1):
        assert r['wrapped'] and r['params_ok'] and math.isfinite(r['loss'])
    assert r0['loss'] != r1['loss']                       # the ranks did train on different batches

def test_sparsify_callback_targets(ranks):
    masks = {k: 1 - v.float().mean().item() for k, v in _masks(ranks[0]['weight']['state']).items()}
    units = {k: v.numel() for k, v in _masks(ranks[0]['weight']['state']).items()}
    assert round(sum(masks[k] * units[k] for k in units)) == round(0.8 * sum(units.values()))   # global: 80 % in all
    data = _masks(ranks[0]['data']['state'])             # named 'module.0' and '4': both are the layers 0 and 4
    assert sorted(data) == ['0.weight_mask', '4.weight_mask']
    for v in data.values(): assert v.flatten(1).all(1).float().mean().item() == 0.5 and (v.flatten(1).all(1) | ~v.flatten(1).any(1)).all()
    for k, v in _masks(ranks[0]['random']['state']).items(): assert v.float().mean().item() == 0.5, k

def test_prune_callback_rebuilt_a_smaller_model(ranks):
    state = ranks[0]['structure']['state']
    dense = small_cnn(1, 10, (8, 16, 16)).state_dict()
    assert sum(v.numel() for k, v in state.items() if 'weight' in k) < sum(v.numel() for k, v in dense.items() if 'weight' in k)
    assert state['13.weight'].shape[0] == 10             # the output layer keeps its classes

def test_sparsifier_scores_the_mean_of_the_ranks_statistics(ranks):
    r0, r1 = (r['engine_sparsifier'] for r in ranks)
    assert_same(r0['synced'], r1['synced'], 'the synced wanda statistics')
    assert_same(r0['masks'], r1['masks'], 'the masks')
    mean = {n: (r0['local'][n] + r1['local'][n]) / 2 for n in r0['local']}
    assert any(not torch.equal(r0['local'][n], r1['local'][n]) for n in mean)   # the ranks' own statistics differed
    assert_same(r0['synced'], mean, 'the synced statistics vs. the mean of the ranks')
    sp = Sparsifier(model := model_of(r0['weights']), 'weight', 'global', criteria=wanda)    # one process, same statistics
    sp.scorer.stats, sp.scorer.counts = mean, {n: 3 for n in mean}
    sp.prune(0.7)
    assert_same(sp.masks, r0['masks'], 'the masks of one process vs. those of the ranks')

def test_pruner_applies_the_plan_of_the_mean_statistics(ranks):
    r0, r1 = (r['engine_pruner'] for r in ranks)
    assert r0['plan'] == r1['plan'] and r0['plan']
    params = lambda s: {k: v for k, v in s.items() if 'running' not in k and 'num_batches' not in k}
    assert_same(params(r0['state']), params(r1['state']), 'the pruned weights')
    mean = {n: (r0['local'][n] + r1['local'][n]) / 2 for n in r0['local']}
    pr = Pruner(model_of(r0['weights']), torch.zeros(8, 1, 8, 8), criteria=mean_activation, context='global')
    pr.scorer.stats, pr.scorer.counts = mean, {n: 3 for n in mean}
    assert pr.plan(0.5)[1] == r0['plan']

def test_errors_are_raised_on_every_rank(ranks):
    e0, e1 = ranks[0]['errors'], ranks[1]['errors']
    assert e0 == e1 and all(e and 'has no statistics' in e for e in e0)

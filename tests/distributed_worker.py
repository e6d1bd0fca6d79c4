"""One process of the 2-process gloo run of `test_distributed.py` (what `torchrun --nproc_per_node 2` would start).

Usage: python distributed_worker.py RANK WORLD_SIZE PORT OUT_DIR
Each rank trains on its own batches (its own shuffle of the digits) and saves what the test compares to OUT_DIR/rank{RANK}.pt.
"""
import os, sys, warnings
os.environ.setdefault('OMP_NUM_THREADS', '1')
warnings.filterwarnings('ignore')
import torch, torch.nn as nn, torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
import fastprogress.fastprogress as fp
fp.NO_BAR = True
from fastai.learner import Learner
from fastai.losses import CrossEntropyLossFlat
from fastai.optimizer import Adam, SGD
from fastai.torch_core import set_seed
from fasterprune.all import *
from fasterprune.data import digits_tensors

def batches(rank, n, bs=32):
    "`n` batches of this rank's own samples."
    (x, y), _ = digits_tensors()
    idx = torch.randperm(len(x), generator=torch.Generator().manual_seed(100 + rank))[:n * bs]
    return [(x[i], y[i]) for i in idx.split(bs)]

def model():
    torch.manual_seed(0)   # DDP broadcasts rank 0's weights anyway
    return small_cnn(1, 10, (8, 16, 16))

def inner_state(m):
    return {k: v.detach().clone() for k, v in unwrap_model(m).state_dict().items()}

def engine_sparsifier(rank):
    "Sparsifier with wanda: each rank's statistics, the statistics every rank scores, the masks."
    ddp = DDP(model())
    sp = Sparsifier(ddp, 'weight', 'global', criteria=wanda)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
    for x, y in batches(rank, 3):
        nn.functional.cross_entropy(ddp(x), y).backward()
        sp.after_backward(); opt.step(); opt.zero_grad(); sp.apply_masks()
    local, weights = {n: s.clone() for n, s in sp.scorer.stats.items()}, inner_state(ddp)
    sp.prune(0.7)
    return dict(local=local, weights=weights, synced={n: s.clone() for n, s in sp.scorer.stats.items()},
                masks={n: m.clone() for n, m in sp.masks.items()})

def engine_pruner(rank):
    "Pruner with mean_activation: each rank's statistics and the plan every rank applies."
    ddp = DDP(model())
    x0 = batches(0, 1)[0][0][:8]
    pr = Pruner(ddp, x0, criteria=mean_activation, context='global')
    with torch.enable_grad():
        for x, _ in batches(rank, 3): ddp(x)
    local, weights = {n: s.clone() for n, s in pr.scorer.stats.items()}, inner_state(ddp)
    step = pr.prune(0.5)
    return dict(local=local, weights=weights, plan=step.plan, state=inner_state(ddp))

def errors(rank):
    "A prune before any statistics fails on every rank alike, and no rank waits for another."
    out = []
    for make in (lambda m: Sparsifier(m, criteria=apoz).prune(0.5),
                 lambda m: Pruner(m, batches(0, 1)[0][0][:8], criteria=apoz).prune(0.5)):
        try: make(DDP(model())); out.append(None)
        except Exception as e: out.append(f'{type(e).__name__}: {e}')
    return out

def fit(rank, cb, epochs=1, opt_func=SGD):
    "A Learner on a DDP-wrapped model, each rank on its own shuffle of the data."
    set_seed(100 + rank)
    dls = digits_dls(bs=64)
    learn = Learner(dls, DDP(model()), loss_func=CrossEntropyLossFlat(), opt_func=opt_func, lr=0.05)
    with learn.no_logging(): learn.fit(epochs, cbs=cb)
    opt_state = [{k: v.clone() for k, v in st.items() if isinstance(v, torch.Tensor)}
                 for p in learn.model.parameters() for st in [learn.opt.state.get(p, {})]]
    return dict(state=inner_state(learn.model), loss=float(learn.recorder.losses[-1]),
                wrapped=isinstance(learn.model, DDP), opt_state=opt_state,
                params_ok=all(a is b for a, b in zip(learn.model.parameters(), learn.opt.all_params(with_grad=False).itemgot(0))))

def main(rank, world, port, out):
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=world)
    try:
        res = dict(
            engine_sparsifier=engine_sparsifier(rank),
            engine_pruner=engine_pruner(rank),
            errors=errors(rank),
            weight=fit(rank, SparsifyCallback(0.8, context='global', criteria=large_final, verbose=False)),
            data=fit(rank, SparsifyCallback(granularity='filter', context={'module.0': 0.5, '4': 0.5}, criteria=apoz,
                                            verbose=False)),
            random=fit(rank, SparsifyCallback(0.5, criteria='random', schedule=one_shot, verbose=False)),
            structure=fit(rank, PruneCallback(0.5, context='global', criteria=taylor_activation, report_latency=False,
                                              verbose=False), epochs=2, opt_func=Adam))
        torch.save(res, os.path.join(out, f'rank{rank}.pt'))
    finally: dist.destroy_process_group()

if __name__ == '__main__':
    rank, world, port, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    main(rank, world, port, out)

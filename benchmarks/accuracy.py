"""Accuracy against the peers: fasterprune's defaults and its distillation recipe beside fasterai 0.4.1,
torch.nn.utils.prune and Torch-Pruning's own recipe, on models nobody tuned the defaults for.

Every run trains from the same initial weights and batches for a seed (`set_seed(seed)` before the model and the
loaders), `fit_one_cycle(epochs, lr)`, bs 128, fastai's Adam, on mnist10k (8,000 train / 2,000 valid). Models:

cnn        the benchmark CNN of the other MNIST scripts (3 convs 32/64/128 with batch norm, 94,186 params)
rescnn     a small residual CNN: stem conv 32 + max-pool, a residual block of 32, a strided conv to 64, a residual
           block of 64, average pool, Linear (the model of the issue that found the default's loss)
resnet18   torchvision resnet18 (weights=None, 10 classes), the digits padded to 32 px and given 3 channels

Unstructured (every conv and Linear weight, global magnitude, agp from 20 % of training, 90/95/98 %):
  dense        no pruning (also the starting point of the rows `tuned` and `kd`)
  fasterprune  SparsifyCallback with its default settings
  fasterai     fasterai 0.4.1's SparsifyCallback (pip install -e ".[bench]"; skipped if missing)
  torch        torch.nn.utils.prune.global_unstructured(L1) at every batch where the count grows, same agp
Structured (40 % of the MACs kept):
  fasterprune  PruneCallback(macs=0.4) with its default settings
  fasterai     fasterai 0.4.1's PruneCallback at the channel ratio that keeps 40 % of the MACs
  tp           Torch-Pruning's recipe: half the epochs dense, MetaPruner (group magnitude, global) in 5 iterative
               steps to 40 % of the MACs, the other half fine-tuning
The recipe, from the dense model of the seed (unstructured, 95 and 98 % by default, `--recipe-targets`):
  tuned        the trained dense model sparsified by SparsifyCallback with agp from the first batch to 3/4 of
               the fit (start_epoch=0, end_epoch=0.75 * epochs), the last quarter at the target
  kd           the same with KnowledgeDistillationCallback's defaults (teacher: the dense model as the fit starts)
  kds          (not run by default) from the initial weights with the default schedule, taught by the dense model

Each run is one process (one torch thread, `--jobs` at once); rows are appended to a JSON file as they finish, so a
second run continues where the last stopped (`--fresh` starts over). The table (mean and range over the seeds) goes
to `benchmarks/results/ACCURACY.md`.

Run from the repository root:
  python benchmarks/accuracy.py                         # everything: several hours on 2 cores
  python benchmarks/accuracy.py --models rescnn --targets 0.98 --methods fasterprune torch
  python benchmarks/accuracy.py --quick                 # scikit-learn's digits, tiny: the test suite runs it
"""
from __future__ import annotations
import argparse, contextlib, copy, datetime, io, json, multiprocessing as mp, os, platform, statistics, sys, time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
warnings.filterwarnings('ignore')

import torch
import torch.nn as nn
import torch.nn.functional as F

UNSTRUCTURED = ('dense', 'fasterprune', 'fasterai', 'torch', 'tuned', 'kd', 'kds')
STRUCTURED = ('fasterprune', 'fasterai', 'tp')
FROM_DENSE = ('tuned', 'kd')   # start from the dense model of the seed (trained first), instead of its initial weights
DEFAULT_METHODS = ('dense', 'fasterprune', 'fasterai', 'torch', 'tp', 'tuned', 'kd')

def recipe(epochs: int) -> dict:
    "The schedule of the rows `tuned` and `kd`: agp from the first batch, the target reached at 3/4 of the fit."
    return dict(start_epoch=0, end_epoch=0.75 * epochs)
MODELS = ('cnn', 'rescnn', 'resnet18')


# ------------------------------------------------------------------------------------------------ models and data
def make_model(name: str) -> nn.Module:
    from mnist import make_cnn, make_res_cnn   # the models of the other MNIST scripts
    if name == 'cnn': return make_cnn()
    if name == 'rescnn': return make_res_cnn()
    if name == 'resnet18':
        from torchvision.models import resnet18
        return resnet18(weights=None, num_classes=10)
    raise ValueError(f"unknown model {name!r}; allowed: {', '.join(MODELS)}")


def load_data(args, model: str):
    "`(xt, yt, xv, yv)`: mnist10k (or, with --quick, scikit-learn's digits at 16 px), shaped for `model`."
    if args.quick:
        from fasterprune.data import digits_tensors
        (xt, yt), (xv, yv) = digits_tensors(size=16)
        mean, std = xt.mean(), xt.std()
        xt, xv = (xt - mean) / std, (xv - mean) / std
    else:
        from mnist import load_mnist
        if not Path(args.data).exists():
            sys.exit(f"{args.data} not found: put mnist10k.npz there (10,000 MNIST digits: x uint8 10000x28x28, y labels) "
                     f"or pass --data; --quick runs on scikit-learn's digits instead")
        xt, yt, xv, yv = load_mnist(args.data)
    if model == 'resnet18':   # 32 px, 3 channels, as torchvision's models take them
        pad = lambda x: F.pad(x, [(32 - x.shape[-1]) // 2] * 4).expand(-1, 3, -1, -1).contiguous()
        xt, xv = pad(xt), pad(xv)
    return xt, yt, xv, yv


def learner(data, model: nn.Module, bs: int):
    from fastai.learner import Learner
    from fastai.metrics import accuracy
    from mnist import make_dls
    return Learner(make_dls(data, bs), model, loss_func=nn.CrossEntropyLoss(), metrics=accuracy)


def prunable(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


# ------------------------------------------------------------------------------------------------ the peers
class TorchPruneCallback:
    "torch.nn.utils.prune.global_unstructured(L1) at every training batch where the schedule's count of weights grows."
    @staticmethod
    def make(target: float, every: int = 1, fresh: bool = False):
        import torch.nn.utils.prune as torch_prune
        from fastai.callback.core import Callback
        from fasterprune.core.schedule import agp

        class _TorchPrune(Callback):
            order = 70
            def before_fit(self):
                self.params = [(m, 'weight') for m in prunable(self.learn.model)]
                self.total, self.done = sum(m.weight.numel() for m, _ in self.params), 0
            def before_batch(self):
                if not self.training: return
                pos = (self.epoch + (self.iter + 1) / self.n_iter) / self.n_epoch      # where this batch ends
                n = round(agp(target, pos) * self.total)
                i = self.epoch * self.n_iter + self.iter
                cut = (i + 1) % every == 0 or self.iter == self.n_iter - 1 or n == round(target * self.total)
                if n > self.done and cut:   # a count: how many more of the remaining weights go
                    # torch ranks `module.weight`, which its hook last computed in the forward pass before the optimizer
                    # step (one step stale); `fresh` ranks the current weights, as fasterprune does
                    scores = {(m, w): getattr(m, w + '_orig', getattr(m, w)) * getattr(m, w + '_mask', 1.) for m, w in self.params} if fresh else None
                    torch_prune.global_unstructured(self.params, pruning_method=torch_prune.L1Unstructured, amount=n - self.done,
                                                    importance_scores=scores)
                    self.done = n
            def after_fit(self):
                for m, name in self.params: torch_prune.remove(m, name)
        return _TorchPrune()


def macs_of(model: nn.Module, x) -> int:
    from fasterprune.core.budget import count_macs_params
    return count_macs_params(model, x)['macs']


def ratio_for_macs(model: nn.Module, x, keep: float) -> float:
    "The global channel ratio at which fasterprune's Pruner (magnitude, global) keeps `keep` of the MACs (for fasterai)."
    from fasterprune.prune.pruner import Pruner
    m = copy.deepcopy(model)
    return float(Pruner(m, x, context='global', round_to=None).prune(macs=keep).ratio)


def tp_recipe(learn, x, keep: float, epochs: int, lr: float) -> None:
    "Torch-Pruning's own recipe: train dense, prune to `keep` of the MACs in 5 global group-magnitude steps, fine-tune."
    import torch_pruning as tp
    model = learn.model
    dense_epochs = epochs // 2
    quiet_fit(learn, dense_epochs, lr)
    base = macs_of(model, x)
    ignored = [m for m in model.modules() if isinstance(m, nn.Linear)]
    def pruner(ratio, m):
        return tp.pruner.MetaPruner(m, x, importance=tp.importance.GroupMagnitudeImportance(p=2), global_pruning=True,
                                    pruning_ratio=ratio, iterative_steps=5, ignored_layers=[l for l in m.modules() if l in ignored or isinstance(l, nn.Linear)])
    lo, hi = 0.0, 0.95                       # the ratio whose 5 steps end at `keep` of the MACs, on copies
    for _ in range(12):
        mid = (lo + hi) / 2
        m = copy.deepcopy(model)
        p = pruner(mid, m)
        for _ in range(5): p.step()
        if macs_of(m, x) / base > keep: lo = mid
        else: hi = mid
    p = pruner(hi, model)
    for _ in range(5): p.step()
    learn.opt = None                         # a new optimizer for the pruned parameters
    quiet_fit(learn, epochs - dense_epochs, lr)


# ------------------------------------------------------------------------------------------------ one run
def quiet_fit(learn, epochs, lr, cbs=None):
    import fastai.callback.schedule  # noqa: F401  (Learner.fit_one_cycle)
    import fastai.callback.progress  # noqa: F401  (Learner.no_bar)
    with learn.no_bar(), learn.no_logging(), contextlib.redirect_stdout(io.StringIO()):
        learn.fit_one_cycle(epochs, lr, cbs=cbs)


def run_one(job: dict, args_dict: dict) -> dict:
    "Train one (model, kind, method, target, seed) and return its row."
    args = argparse.Namespace(**args_dict)
    torch.set_num_threads(args.threads)
    from fastai.torch_core import set_seed
    import fasterprune.all as fp
    model_name, kind, method, target, seed = job['model'], job['kind'], job['method'], job['target'], job['seed']
    data = load_data(args, model_name)
    set_seed(seed, reproducible=True)
    model = make_model(model_name)
    learn = learner(data, model, args.bs)
    x = data[0][:2]
    layer_type = (nn.Conv2d, nn.Linear)
    cbs, t0 = [], time.perf_counter()
    if method in FROM_DENSE: model.load_state_dict(torch.load(dense_path(args, model_name, seed), weights_only=True))
    if kind == 'unstructured':
        if method in ('fasterprune', 'kds') + FROM_DENSE:
            options = {**(recipe(args.epochs) if method in FROM_DENSE else {}), **args.sparsify_options}
            cbs = [fp.SparsifyCallback(sparsity=target, granularity='weight', context='global', criteria=fp.large_final,
                                       schedule=fp.agp, layer_type=layer_type, verbose=False, **options)]
        elif method == 'fasterai':
            import fasterai.sparse.all as fa
            cbs = [fa.SparsifyCallback(sparsity=target, granularity='weight', context='global', criteria=fa.large_final,
                                       schedule=fa.agp, layer_type=layer_type)]
        elif method == 'torch': cbs = [TorchPruneCallback.make(target, args.torch_every)]
    else:
        if method in ('fasterprune', 'kds') + FROM_DENSE:
            cbs = [fp.PruneCallback(macs=target, verbose=False, report_latency=False, **args.prune_options)]
        elif method == 'fasterai':
            import fasterai.prune.all as fa
            ratio = ratio_for_macs(model, x, target)
            cbs = [fa.PruneCallback(pruning_ratio=ratio, schedule=fa.agp, context='global', criteria=fa.large_final,
                                    example_inputs=x[:1])]
    if method == 'kd': cbs.append(fp.KnowledgeDistillationCallback(verbose=False, **args.kd_options))   # teacher: the model as the fit starts
    if method == 'kds':   # from the initial weights, taught by the dense model of the seed
        teacher = make_model(model_name)
        teacher.load_state_dict(torch.load(dense_path(args, model_name, seed), weights_only=True))
        cbs.append(fp.KnowledgeDistillationCallback(teacher, verbose=False, **args.kd_options))
    if kind == 'structured' and method == 'tp': tp_recipe(learn, x, target, args.epochs, args.lr)
    else: quiet_fit(learn, args.epochs, args.lr, cbs)
    secs = time.perf_counter() - t0
    with learn.no_bar(), learn.no_logging(): acc = float(learn.validate()[1])
    m = learn.model
    ws = [mod.weight for mod in prunable(m)]
    row = dict(job, accuracy=acc, seconds=round(secs, 1),
               sparsity=sum(int((w == 0).sum()) for w in ws) / sum(w.numel() for w in ws),
               params=sum(p.numel() for p in m.parameters()))
    if kind == 'structured': row['macs_kept'] = macs_of(m, x) / macs_of(make_model(model_name), x)
    if method == 'dense':
        Path(dense_path(args, model_name, seed)).parent.mkdir(parents=True, exist_ok=True)
        torch.save(m.state_dict(), dense_path(args, model_name, seed))
    return row


def dense_path(args, model: str, seed: int) -> str:
    return str(Path(args.work) / f'dense-{model}-{seed}{"-quick" if args.quick else ""}.pth')


def _worker(item):
    job, args_dict = item
    try: return run_one(job, args_dict)
    except Exception as e:
        import traceback
        return dict(job, error=f'{type(e).__name__}: {e}', trace=traceback.format_exc()[-2000:])


# ------------------------------------------------------------------------------------------------ the table
def key(row) -> tuple: return (row['model'], row['kind'], row['method'], row['target'], row['seed'])


def summarize(rows: list[dict]) -> dict:
    "{(model, kind, method, target): (mean, lo, hi, n)} of the accuracies."
    groups = {}
    for r in rows:
        if 'accuracy' in r: groups.setdefault(key(r)[:4], []).append(r['accuracy'])
    return {k: (statistics.mean(v), min(v), max(v), len(v)) for k, v in groups.items()}


def fmt(s, n_seeds: int = 0) -> str:
    "mean (min–max), and how many seeds where other than `n_seeds` (fewer finished, or more were run for that cell)."
    if s is None: return '–'
    mean, lo, hi, n = s
    return (f'{mean:.4f} ({lo:.4f}–{hi:.4f})' if n > 1 else f'{mean:.4f}') + (f' [{n} seed{"s" * (n > 1)}]' if n_seeds and n != n_seeds else '')


def markdown(rows: list[dict], args, header: str) -> str:
    s = summarize(rows)
    lines = ['# Accuracy against the peers', '',
             f'`{args.command}`, {datetime.date.today()}. {header}', '',
             f"{'scikit-learn digits at 16 px (a smoke run)' if args.quick else 'mnist10k (8,000 train, 2,000 valid)'}, "
             f'`fit_one_cycle({args.epochs}, {args.lr})`, bs {args.bs}, fastai Adam, '
             f'seeds {args.seeds}: validation accuracy, mean (min–max) over the seeds. Every method starts from the same '
             'initial weights and sees the same batches for a seed.', '',
             'fasterprune, fasterai, torch: from the initial weights, agp from 20 % of training to its end (`SparsifyCallback` '
             'with default settings). tuned (the recipe): from the dense model of the seed, agp from the first batch to 3/4 '
             'of the fit (`start_epoch=0, end_epoch=0.75 * epochs`), then a quarter at the target; kd: the same with '
             "`KnowledgeDistillationCallback()`'s defaults (the teacher: the dense model as the fit starts, T=2, weight 0.5). "
             'Methods in detail: the docstring of `benchmarks/accuracy.py`.', '']
    summary = []
    for model in args.models:
        if 'unstructured' in args.kinds:
            lines += [f'## {model}: unstructured (global magnitude, agp, conv + Linear weights)', '',
                      '| target | ' + ' | '.join(m for m in UNSTRUCTURED if m != 'dense' and m in args.methods) + ' |',
                      '|---|' + '---|' * len([m for m in UNSTRUCTURED if m != 'dense' and m in args.methods])]
            dense = s.get((model, 'unstructured', 'dense', 0.0))
            for t in args.targets:
                cells = [fmt(s.get((model, 'unstructured', m, t)), len(args.seeds)) for m in UNSTRUCTURED if m != 'dense' and m in args.methods]
                lines.append(f'| {t:.0%} | ' + ' | '.join(cells) + ' |')
                peers = [s[(model, 'unstructured', m, t)][0] for m in ('fasterai', 'torch') if (model, 'unstructured', m, t) in s]
                ours = s.get((model, 'unstructured', 'fasterprune', t))
                recipe_rows = [f'{name} {s[(model, "unstructured", m, t)][0]:.4f}' for m, name in
                               (('tuned', 'recipe'), ('kd', 'recipe with distillation')) if (model, 'unstructured', m, t) in s]
                if peers and ours:
                    summary.append(f'- {model}, {t:.0%} unstructured: fasterprune default {ours[0]:.4f}, '
                                   + ''.join(f'{r}, ' for r in recipe_rows)
                                   + f'best peer {max(peers):.4f}' + (f' (dense {dense[0]:.4f}).' if dense else '.'))
            lines += ['', f'Dense: {fmt(dense, len(args.seeds))}.', '']
        if 'structured' in args.kinds:
            ms = [m for m in STRUCTURED if m in args.methods]
            lines += [f'## {model}: structured, {args.macs:.0%} of the MACs kept', '',
                      '| ' + ' | '.join(ms) + ' |', '|' + '---|' * len(ms),
                      '| ' + ' | '.join(fmt(s.get((model, 'structured', m, args.macs)), len(args.seeds)) for m in ms) + ' |', '']
            kept = {m: [r['macs_kept'] for r in rows if r.get('macs_kept') and key(r)[:3] == (model, 'structured', m)] for m in ms}
            lines += ['MACs kept: ' + ', '.join(f'{m} {statistics.mean(v):.3f}' for m, v in kept.items() if v) + '.', '']
    errors = [r for r in rows if 'error' in r]
    if errors:
        lines += ['## Failed runs', ''] + [f'- {key(r)}: {r["error"]}' for r in errors] + ['']
    secs = {}
    for r in rows:
        if 'seconds' in r: secs.setdefault((r['model'], r['method']), []).append(r['seconds'])
    lines += ['## Time per fit (s, median)', '', ', '.join(f'{m}/{meth} {statistics.median(v):.0f}' for (m, meth), v in secs.items()), '']
    cost = [f'{m} {statistics.median(secs[m, "kd"]) / statistics.median(secs[m, "tuned"]):.2f}x'
            for m in args.models if (m, 'kd') in secs and (m, 'tuned') in secs]
    if cost: lines += ['Distillation costs a forward pass of the teacher at every training batch: time per fit with it / '
                       'without it (kd / tuned): ' + ', '.join(cost) + '.', '']
    return '\n'.join(['# Accuracy against the peers', '', '## Summary', ''] + summary + [''] + lines[2:]) + '\n'


# ------------------------------------------------------------------------------------------------ main
def jobs_of(args) -> list[dict]:
    out = []
    for model in args.models:
        for seed in args.seeds:
            if 'dense' in args.methods or set(FROM_DENSE + ('kds',)) & set(args.methods):
                out.append(dict(model=model, kind='unstructured', method='dense', target=0.0, seed=seed))
            if 'unstructured' in args.kinds:
                out += [dict(model=model, kind='unstructured', method=m, target=t, seed=seed)
                        for t in args.targets for m in UNSTRUCTURED if m != 'dense' and m in args.methods
                        and (m not in FROM_DENSE or t in args.recipe_targets)]
            if 'structured' in args.kinds:
                out += [dict(model=model, kind='structured', method=m, target=args.macs, seed=seed)
                        for m in STRUCTURED if m in args.methods]
    return out


def main(argv=None):
    from mnist import DEFAULT_DATA
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--models', nargs='+', default=list(MODELS), choices=MODELS)
    p.add_argument('--kinds', nargs='+', default=['unstructured', 'structured'], choices=['unstructured', 'structured'])
    p.add_argument('--methods', nargs='+', default=list(DEFAULT_METHODS), choices=sorted(set(UNSTRUCTURED + STRUCTURED)))
    p.add_argument('--targets', type=float, nargs='+', default=[0.9, 0.95, 0.98])
    p.add_argument('--recipe-targets', type=float, nargs='+', default=[0.95, 0.98], help='targets of the rows tuned and kd')
    p.add_argument('--macs', type=float, default=0.4)
    p.add_argument('--seeds', type=int, nargs='+', default=[42, 0, 1])
    p.add_argument('--epochs', type=int, default=4)
    p.add_argument('--lr', type=float, default=3e-3)
    p.add_argument('--bs', type=int, default=128)
    p.add_argument('--jobs', type=int, default=2)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--data', default=str(DEFAULT_DATA))
    p.add_argument('--sparsify', default='{}', help='JSON of extra SparsifyCallback options, e.g. \'{"every": 15}\'')
    p.add_argument('--torch-every', type=int, default=1, help='torch.nn.utils.prune: cut every n batches (and at epoch ends)')
    p.add_argument('--kd', default='{}', help='JSON of extra KnowledgeDistillationCallback options')
    p.add_argument('--prune', default='{}', help='JSON of extra PruneCallback options (structured rows), e.g. \'{"round_to": 16}\'')
    p.add_argument('--out', default=str(HERE / 'results'), help='folder of ACCURACY.md and accuracy.json')
    p.add_argument('--name', default='ACCURACY', help='file name of the results (without extension)')
    p.add_argument('--work', default=None, help='folder for the dense teachers (default: <out>/.accuracy-work)')
    p.add_argument('--fresh', action='store_true', help='start over instead of continuing the JSON file')
    p.add_argument('--quick', action='store_true', help="scikit-learn's digits, small: a smoke run of the script")
    p.add_argument('--report', action='store_true', help='only write the tables from the JSON file (runs nothing)')
    args = p.parse_args(argv)
    args.command = 'python benchmarks/accuracy.py ' + ' '.join(a for a in (sys.argv[1:] if argv is None else argv) if a != '--report')
    args.sparsify_options, args.kd_options, args.prune_options = json.loads(args.sparsify), json.loads(args.kd), json.loads(args.prune)
    if args.quick:
        args.models, args.seeds, args.targets, args.recipe_targets, args.epochs, args.bs, args.jobs = \
            ['rescnn'], args.seeds[:1], [0.9], [0.9], 2, 64, 1
    args.work = args.work or str(Path(args.out) / '.accuracy-work')
    import fastai, fasterprune
    try: import fasterai; fa_version = fasterai.__version__
    except ImportError:
        fa_version = None
        args.methods = [m for m in args.methods if m != 'fasterai']
    from gpu import cpu_description
    header = (f"{cpu_description()}, {os.cpu_count()} CPUs; python {platform.python_version()}, "
              f"torch {torch.__version__}, fastai {fastai.__version__}, fasterprune {fasterprune.__version__}, "
              f"fasterai {fa_version or 'not installed'}, {args.threads} torch thread(s) per run, {args.jobs} runs at once")
    print(header, flush=True)
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    store = out / f'{args.name.lower()}.json'
    rows = [] if args.fresh or not store.exists() else json.loads(store.read_text())
    done = {key(r) for r in rows if 'accuracy' in r}
    rows = [r for r in rows if 'accuracy' in r]
    todo = [] if args.report else [j for j in jobs_of(args) if key(j) not in done]
    dense_first = [j for j in todo if j['method'] == 'dense'] + [j for j in todo if j['method'] != 'dense']
    print(f'{len(todo)} runs to do ({len(done)} done before)', flush=True)
    args_dict = {k: v for k, v in vars(args).items()}
    ctx = mp.get_context('spawn')
    def record(row):
        rows.append(row)
        store.write_text(json.dumps(rows, indent=1))
        what = f"{row['accuracy']:.4f} in {row['seconds']:.0f} s" if 'accuracy' in row else row['error']
        print(f"{row['model']:<9} {row['kind']:<12} {row['method']:<11} {row['target']:<5} seed {row['seed']:<3} {what}", flush=True)
    dense = [j for j in dense_first if j['method'] == 'dense']
    rest = [j for j in dense_first if j['method'] != 'dense']
    with ctx.Pool(args.jobs, maxtasksperchild=1) as pool:
        for batch in (dense, rest):   # the teachers first
            for row in pool.imap_unordered(_worker, [(j, args_dict) for j in batch]): record(row)
    text = markdown([r for r in rows if key(r)[0] in args.models], args, header)
    (out / f'{args.name}.md').write_text(text)
    print(text)
    return 1 if any('error' in r for r in rows) else 0


if __name__ == '__main__':
    sys.exit(main())

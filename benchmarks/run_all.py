"""Every comparison with the peers, in one run: writes benchmarks/results/RESULTS.md, plots and raw JSON.

Peers: fasterai 0.4.1 (`pip install -e ".[bench]"`; skipped with a note if missing), `torch.nn.utils.prune`
(ships with torch) and torch-pruning (a dependency of fasterprune). Three parts:

unstructured  The benchmark CNN on mnist10k, fit_one_cycle(6, 3e-3), bs 128, pruned to 50/80/90/95/98 %
              of the conv weights (global, magnitude, agp from 20 % of training): fasterprune's and fasterai's
              SparsifyCallback, and torch.nn.utils.prune.global_unstructured(L1) called by a small callback at
              the same points with the same counts. Accuracy, sparsity reached, fit time against dense
              training in the same process, and the extra bytes per prunable weight held while training.
cnn           Structural pruning of the trained CNN at 30/50/70 % of the channels: one-shot with torch-pruning
              and with fasterprune's Pruner, each followed by the same fine-tuning; and PruneCallback pruning
              while training for the same total number of epochs. Accuracy, params, MACs.
models        torchvision resnet18, mobilenet_v2 and densenet121 (weights=None) at 30/50/70 % of the channels
              (local, L1 magnitude, classifier kept): params, MACs, time to prune and CPU latency, for
              fasterprune's Pruner and for torch-pruning used directly.

The training parts run one process per seed (`--jobs`, one torch thread each by default); the model part runs
afterwards alone so that latency is measured on a quiet machine.

Run from the repository root:  python benchmarks/run_all.py            (about 25 minutes on 2 cores)
                               python benchmarks/run_all.py --quick    (a smoke run; writes to a temp dir)
"""
from __future__ import annotations
import argparse, contextlib, copy, datetime, io, itertools, json, multiprocessing as mp, os, platform, statistics, sys
import tempfile, time, warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
warnings.filterwarnings('ignore')

import torch
import torch.nn as nn
import torch.nn.utils.prune as torch_prune
import torch_pruning as tp
import torchvision
from torchvision.models import resnet18, mobilenet_v2, densenet121
import fastai
from fastai.callback.core import Callback
from fastai.learner import Learner
from fastai.metrics import accuracy
from fastai.callback.schedule import fit_one_cycle  # noqa: F401  (patches Learner.fit_one_cycle)
from fastai.torch_core import set_seed

import fasterprune
import fasterprune.all as fp
from mnist import DEFAULT_DATA, load_mnist, make_dls, make_cnn

try:
    import fasterai
    import fasterai.sparse.all as fa
except ImportError:
    fasterai = fa = None

SPARSE_LIBS = ('fasterprune', 'fasterai', 'torch.nn.utils.prune')
PRUNE_LIBS = ('torch-pruning', 'fasterprune')
MODELS = {'resnet18': resnet18, 'mobilenet_v2': mobilenet_v2, 'densenet121': densenet121}   # classifier: the last Linear


# ------------------------------------------------------------------------------------------------ helpers
def held_bytes(*roots) -> int:
    "Bytes of the distinct tensor storages reachable from `roots` (modules, callbacks, dicts...), Learners excluded."
    seen, visited, total = set(), set(), 0
    def walk(o, depth):
        nonlocal total
        if isinstance(o, torch.Tensor):
            s = o.untyped_storage()
            if s.data_ptr() not in seen: seen.add(s.data_ptr()); total += s.nbytes()
            return
        if depth > 5 or id(o) in visited or isinstance(o, (Learner, str, int, float, type)): return
        visited.add(id(o))
        if isinstance(o, nn.Module):
            for m in o.modules():
                for v in itertools.chain(m._parameters.values(), m._buffers.values(), vars(m).values()): walk(v, depth + 1)
        elif isinstance(o, dict): [walk(v, depth + 1) for v in o.values()]
        elif isinstance(o, (list, tuple, set)): [walk(v, depth + 1) for v in o]
        elif hasattr(o, '__dict__') and type(o).__module__.split('.')[0] in ('fasterprune', 'fasterai', '__main__', '__mp_main__'):
            for k, v in vars(o).items():
                if k not in ('learn', 'dls'): walk(v, depth + 1)
    for r in roots: walk(r, 0)
    return total


def conv_weights(model) -> list[torch.Tensor]:
    "The effective conv weights (after torch.nn.utils.prune's forward hook, if any)."
    return [m.weight for m in model.modules() if isinstance(m, nn.Conv2d)]


class MemoryProbe(Callback):
    "Peak bytes held by the model and the pruning callback, sampled before fit and after every epoch."
    order = 99
    def __init__(self, cb): self.cb, self.peak = cb, 0
    def _sample(self): self.peak = max(self.peak, held_bytes(self.learn.model, self.cb))
    def before_fit(self): self._sample()
    def after_epoch(self): self._sample()


class TorchPruneCallback(Callback):
    "torch.nn.utils.prune's global L1 pruning at the points and counts where fasterprune's SparsifyCallback prunes."
    order = 70
    def __init__(self, sparsity: float, schedule=fp.agp): self.sparsity, self.schedule, self.done = sparsity, schedule, 0
    def before_fit(self):
        self.params = [(m, 'weight') for m in self.learn.model.modules() if isinstance(m, nn.Conv2d)]
        self.total = sum(m.weight.numel() for m, _ in self.params)
    def before_batch(self):
        if not self.training: return
        pos = (self.epoch + (self.iter + 1) / self.n_iter) / self.n_epoch        # where this batch ends
        n = round(self.schedule(self.sparsity, pos) * self.total)
        if n > self.done:   # amount as a count: how many more of the remaining weights to prune
            torch_prune.global_unstructured(self.params, pruning_method=torch_prune.L1Unstructured, amount=n - self.done)
            self.done = n


def sparsify_callback(lib: str, sparsity: float):
    if lib == 'fasterprune':
        return fp.SparsifyCallback(sparsity=sparsity, granularity='weight', context='global', criteria=fp.large_final,
                                   schedule=fp.agp, verbose=False)
    if lib == 'fasterai':
        return fa.SparsifyCallback(sparsity=sparsity, granularity='weight', context='global', criteria=fa.large_final,
                                   schedule=fa.agp)
    return TorchPruneCallback(sparsity)


def learner(data, model, bs):
    return Learner(make_dls(data, bs), model, loss_func=nn.CrossEntropyLoss(), metrics=accuracy)


def quiet_fit(learn, epochs, lr, cbs=None):
    "fit_one_cycle without bars, tables or the callbacks' prints; returns the wall time."
    with learn.no_bar(), learn.no_logging(), contextlib.redirect_stdout(io.StringIO()):
        t = time.perf_counter()
        learn.fit_one_cycle(epochs, lr, cbs=cbs)
        return time.perf_counter() - t


def valid_acc(learn) -> float:
    with learn.no_bar(), learn.no_logging(): return float(learn.validate()[1])


# ------------------------------------------------------------------------------------------------ unstructured
def unstructured(seed: int, o: dict) -> list[dict]:
    "One fit per library and sparsity, each sparsity between two dense fits, all with `seed`, in this process."
    torch.set_num_threads(o['threads'])
    data = load_mnist(o['data'])
    n_conv = sum(m.weight.numel() for m in make_cnn().modules() if isinstance(m, nn.Conv2d))
    quiet_fit(learner(data, make_cnn(), o['bs']), 1, o['lr'])   # untimed warm-up
    rows = []
    def run(lib, sparsity):
        set_seed(seed, reproducible=True)
        model = make_cnn()
        learn = learner(data, model, o['bs'])
        base = held_bytes(model)
        cb = None if lib == 'dense' else sparsify_callback(lib, sparsity)
        probe = MemoryProbe(cb)
        t = quiet_fit(learn, o['epochs'], o['lr'], [probe] + ([cb] if cb else []))
        zeros = sum(int((w == 0).sum()) for w in conv_weights(model))
        rows.append(dict(part='unstructured', seed=seed, lib=lib, sparsity=sparsity, acc=valid_acc(learn), time=t,
                         reached=zeros / n_conv, bytes_per_weight=(probe.peak - base) / n_conv))
        print(f'  seed {seed} {lib:<22} {sparsity:>5.0%}  acc {rows[-1]["acc"]:.4f}  {t:5.1f} s', flush=True)
    libs = list(o['sparse_libs'])
    run('dense', 0.)
    for k, s in enumerate(o['sparsities']):   # each sparsity between two dense fits: the machine may drift
        for lib in libs[k % len(libs):] + libs[:k % len(libs)]: run(lib, s)
        before = rows[-len(libs) - 1]['time']
        run('dense', 0.)
        for r in rows[-len(libs) - 1:-1]: r['dense_time'] = (before + rows[-1]['time']) / 2
    return rows


# ------------------------------------------------------------------------------------------------ cnn (structural)
def prune_with(lib: str, model, x, ratio: float) -> float:
    "Remove `ratio` of the channels of every group (local, L1 magnitude, last layer kept); returns the time taken."
    t = time.perf_counter()
    if lib == 'torch-pruning':
        last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
        tp.pruner.MagnitudePruner(model, x, importance=tp.importance.MagnitudeImportance(p=1), pruning_ratio=ratio,
                                  ignored_layers=[last]).step()
    else:
        fp.Pruner(model, x, fp.large_final, 'local', round_to=1).prune(ratio)   # exact counts, as torch-pruning
    return time.perf_counter() - t


def cnn(seed: int, o: dict) -> list[dict]:
    "Train the CNN; prune it one-shot with each library and fine-tune; and prune while training with PruneCallback."
    torch.set_num_threads(o['threads'])
    data = load_mnist(o['data'])
    x = data[0][:1]
    set_seed(seed, reproducible=True)
    learn = learner(data, make_cnn(), o['bs'])
    quiet_fit(learn, o['dense_epochs'], o['lr'])
    trained = copy.deepcopy(learn.model.state_dict())
    rows = [dict(part='cnn', seed=seed, lib='dense', method='dense', ratio=0., acc=valid_acc(learn),
                 **fp.count_macs_params(learn.model, x))]
    for ratio in o['ratios']:
        for lib in PRUNE_LIBS:
            model = make_cnn(); model.load_state_dict(trained); model.eval()
            t = prune_with(lib, model, x, ratio)
            set_seed(seed, reproducible=True)        # before the DataLoaders: they draw their shuffling seed when made
            learn = learner(data, model, o['bs'])
            acc0 = valid_acc(learn)
            quiet_fit(learn, o['ft_epochs'], o['ft_lr'])
            rows.append(dict(part='cnn', seed=seed, lib=lib, method='one-shot + fine-tune', ratio=ratio,
                             acc_pruned=acc0, acc=valid_acc(learn), prune_time=t, **fp.count_macs_params(model, x)))
        set_seed(seed, reproducible=True)
        learn = learner(data, make_cnn(), o['bs'])
        cb = fp.PruneCallback(ratio, schedule=fp.agp, end_epoch=o['dense_epochs'], report_latency=False, verbose=False)
        quiet_fit(learn, o['dense_epochs'] + o['ft_epochs'], o['lr'], cb)
        rows.append(dict(part='cnn', seed=seed, lib='fasterprune', method='PruneCallback while training', ratio=ratio,
                         acc=valid_acc(learn), **fp.count_macs_params(learn.model, x)))
        print(f'  seed {seed} cnn {100 * ratio:.0f} %: ' + ', '.join(f'{r["lib"]} {r["method"]} {r["acc"]:.4f}' for r in rows[-3:]),
              flush=True)
    return rows


# ------------------------------------------------------------------------------------------------ models (structural)
def widths(model): return [m.out_channels for m in model.modules() if isinstance(m, nn.Conv2d)]


def compare_widths(dense: list[int], shapes: dict, ratio: float) -> str:
    "'same', or how the conv widths differ: torch-pruning keeps int(n * (1 - ratio)) channels, fasterprune removes round(n * ratio)."
    t, f = shapes['torch-pruning'], shapes['fasterprune']
    diff = [(n, a, b) for n, a, b in zip(dense, t, f) if a != b]
    if not diff: return 'same'
    if all(a == int(n * (1 - ratio)) and b == n - round(n * ratio) for n, a, b in diff):
        return f'rounding: {len(diff)} of {len(dense)} convs keep 1 channel more'
    return f'DIFFERENT in {len(diff)} of {len(dense)} convs'


def models(o: dict) -> list[dict]:
    torch.set_num_threads(o['threads'])
    s = o['image_size']
    x, xb = torch.randn(1, 3, s, s), torch.randn(o['latency_batch'], 3, s, s)
    rows = []
    for name in o['models']:
        ctor = MODELS[name]
        dense = ctor(weights=None).eval()
        c = fp.count_macs_params(dense, x)
        lat_dense = fp.measure_latency(dense, xb, o['latency_repeats'])
        rows.append(dict(part='models', model=name, lib='dense', ratio=0., latency=lat_dense, **c))
        def pruned(lib, ratio):
            "A fresh model pruned by `lib`, and the time that took."
            torch.manual_seed(0)
            model = ctor(weights=None).eval()
            return model, prune_with(lib, model, x, ratio)
        for lib in PRUNE_LIBS: pruned(lib, o['ratios'][0])    # warm-up: first-call costs hit no timed prune
        for k, ratio in enumerate(o['ratios']):
            shapes = {}
            for lib in (PRUNE_LIBS if k % 2 == 0 else PRUNE_LIBS[::-1]):   # take turns going first
                times = []
                for _ in range(o['prune_repeats']):
                    model, t = pruned(lib, ratio); times.append(t)
                shapes[lib] = widths(model)
                rows.append(dict(part='models', model=name, lib=lib, ratio=ratio, prune_time=min(times),
                                 latency=fp.measure_latency(model, xb, o['latency_repeats']),
                                 **fp.count_macs_params(model, x)))
            rows[-1]['architecture'] = rows[-2]['architecture'] = compare_widths(widths(dense), shapes, ratio)
            print(f'  {name} {100 * ratio:.0f} %: ' + ', '.join(f'{r["lib"]} {r["params"]:,} params {r["prune_time"]:.2f} s'
                                                      for r in rows[-2:]), flush=True)
    return rows


# ------------------------------------------------------------------------------------------------ report
def _mean(v): return statistics.fmean(v) if v else float('nan')
def _acc(v): return f'{_mean(v):.4f}' + (f' ({min(v):.4f}–{max(v):.4f})' if len(v) > 1 else '')


def environment(o: dict) -> dict:
    cpu = next((l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines()
                if l.startswith('model name')), platform.processor()) if Path('/proc/cpuinfo').exists() else platform.processor()
    return dict(date=datetime.datetime.now().strftime('%Y-%m-%d %H:%M'), command=' '.join(['python'] + sys.argv),
                python=platform.python_version(), torch=torch.__version__, torchvision=torchvision.__version__,
                fastai=fastai.__version__, fasterprune=fasterprune.__version__, torch_pruning=tp.__version__,
                fasterai=getattr(fasterai, '__version__', 'not installed'),
                machine=f'{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores, no GPU used',
                threads=o['threads'], jobs=o['jobs'], seeds=o['seeds'])


def unstructured_table(rows, o) -> tuple[list[str], dict]:
    dense = {seed: [r for r in rows if r['seed'] == seed and r['lib'] == 'dense'] for seed in o['seeds']}
    libs = list(o['sparse_libs'])
    out = ['| sparsity | ' + ' | '.join(f'{l} accuracy' for l in libs) + ' |',
           '|---|' + '---|' * len(libs)]
    d_acc = [r['acc'] for rs in dense.values() for r in rs[:1]]
    out.append('| 0 % (dense) | ' + ' | '.join(_acc(d_acc) for _ in libs) + ' |')
    summary = {'dense': _mean(d_acc)}
    for s in o['sparsities']:
        cells = []
        for l in libs:
            accs = [r['acc'] for r in rows if r['lib'] == l and r['sparsity'] == s]
            cells.append(_acc(accs)); summary[(l, s)] = _mean(accs)
        out.append(f'| {100 * s:.0f} % | ' + ' | '.join(cells) + ' |')
    out += ['', '| library | fit time / dense fit time (median over sparsities and seeds) | fit-time ratio per sparsity '
            '(mean over seeds) | sparsity reached (all runs) | extra bytes per prunable weight while training |',
            '|---|---|---|---|---|']
    for l in libs:
        rs = [r for r in rows if r['lib'] == l]
        ratios = [r['time'] / r['dense_time'] for r in rs]
        per_s = ', '.join(f'{_mean([r["time"] / r["dense_time"] for r in rs if r["sparsity"] == s]):.2f}'
                          for s in o['sparsities'])
        exact = all(abs(r['reached'] - r['sparsity']) < 1e-4 for r in rs)
        reached = 'target ±0.01 %' if exact else ', '.join(f'{r["reached"]:.2%}' for r in rs)
        bpw = statistics.median(r['bytes_per_weight'] for r in rs)
        out.append(f'| {l} | {statistics.median(ratios):.3f} | {per_s} | {reached} | {bpw:.2f} |')
        summary[(l, 'time')], summary[(l, 'bytes')] = statistics.median(ratios), bpw
    return out, summary


def cnn_table(rows, o) -> list[str]:
    out = ['| channels removed | method | params | MACs | accuracy right after pruning | accuracy at the end |',
           '|---|---|---|---|---|---|']
    d = [r for r in rows if r['lib'] == 'dense']
    out.append(f'| 0 % | dense ({o["dense_epochs"]} epochs) | {d[0]["params"]:,} | {d[0]["macs"]:,} | | '
               f'{_acc([r["acc"] for r in d])} |')
    for ratio in o['ratios']:
        for lib, method in [(l, 'one-shot + fine-tune') for l in PRUNE_LIBS] + [('fasterprune', 'PruneCallback while training')]:
            rs = [r for r in rows if r['lib'] == lib and r['method'] == method and r['ratio'] == ratio]
            label = (f'{lib}: one-shot, then {o["ft_epochs"]} epochs fine-tuning' if 'one-shot' in method else
                     f'fasterprune: PruneCallback (agp to epoch {o["dense_epochs"]}) in {o["dense_epochs"] + o["ft_epochs"]} epochs')
            before = _acc([r['acc_pruned'] for r in rs]) if 'acc_pruned' in rs[0] else ''
            out.append(f'| {100 * ratio:.0f} % | {label} | {rs[0]["params"]:,} | {rs[0]["macs"]:,} | {before} | '
                       f'{_acc([r["acc"] for r in rs])} |')
    return out


def models_table(rows, o) -> tuple[list[str], dict]:
    out = ['| model | channels removed | params | MACs | latency pruned / dense | time to prune: torch-pruning | '
           'time to prune: fasterprune | architecture against torch-pruning |', '|---|---|---|---|---|---|---|---|']
    summary = {}
    for name in o['models']:
        d = next(r for r in rows if r['model'] == name and r['lib'] == 'dense')
        out.append(f'| {name} | 0 % | {d["params"]:,} | {d["macs"]:,} | 1 ({1e3 * d["latency"]:.1f} ms) | | | |')
        for ratio in o['ratios']:
            t, f = (next(r for r in rows if r['model'] == name and r['lib'] == l and r['ratio'] == ratio) for l in PRUNE_LIBS)
            same = f['architecture']
            if same != 'same': same += f' (torch-pruning: {t["params"]:,} params, {t["macs"]:,} MACs)'
            lat = f'{f["latency"] / d["latency"]:.3f} (torch-pruning: {t["latency"] / d["latency"]:.3f})'
            out.append(f'| {name} | {100 * ratio:.0f} % | {f["params"]:,} | {f["macs"]:,} | {lat} | {t["prune_time"]:.2f} s | '
                       f'{f["prune_time"]:.2f} s | {same} |')
            summary[(name, ratio)] = dict(params=f['params'] / d['params'], macs=f['macs'] / d['macs'],
                                          latency=f['latency'] / d['latency'], t_tp=t['prune_time'], t_fp=f['prune_time'],
                                          same=f['architecture'])
    return out, summary


def plots(rows, o, out: Path) -> list[str]:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    files = []
    un = [r for r in rows if r['part'] == 'unstructured']
    if un:
        fig, ax = plt.subplots(figsize=(6, 4))
        for lib, mk in zip(o['sparse_libs'], 'o^s'):
            ax.plot([s * 100 for s in o['sparsities']],
                    [_mean([r['acc'] for r in un if r['lib'] == lib and r['sparsity'] == s]) for s in o['sparsities']],
                    marker=mk, label=lib)
        ax.axhline(_mean([r['acc'] for r in un if r['lib'] == 'dense']), color='gray', ls='--', label='dense')
        ax.set(xlabel='conv weights removed (%)', ylabel='validation accuracy',
               title='Unstructured sparsity, CNN on MNIST (mean over seeds)')
        ax.legend(); ax.grid(alpha=.3); fig.tight_layout()
        fig.savefig(out / 'unstructured.png', dpi=110); plt.close(fig); files.append('unstructured.png')
    ms = [r for r in rows if r['part'] == 'models']
    if ms:
        fig, axs = plt.subplots(1, 2, figsize=(10, 4))
        for i, name in enumerate(o['models']):
            c = f'C{i}'
            d = next(r for r in ms if r['model'] == name and r['lib'] == 'dense')
            f = [next(r for r in ms if r['model'] == name and r['lib'] == 'fasterprune' and r['ratio'] == q) for q in o['ratios']]
            xs = [0] + [q * 100 for q in o['ratios']]
            axs[0].plot(xs, [1] + [r['macs'] / d['macs'] for r in f], color=c, marker='o', label=f'{name} MACs')
            axs[0].plot(xs, [1] + [r['latency'] / d['latency'] for r in f], color=c, marker='x', ls=':', label=f'{name} latency')
            axs[1].plot([q * 100 for q in o['ratios']], [r['prune_time'] for r in f], color=c, marker='o', label=f'{name} fasterprune')
            t = [next(r for r in ms if r['model'] == name and r['lib'] == 'torch-pruning' and r['ratio'] == q) for q in o['ratios']]
            axs[1].plot([q * 100 for q in o['ratios']], [r['prune_time'] for r in t], color=c, marker='x', ls=':',
                        label=f'{name} torch-pruning')
        axs[0].set(xlabel='channels removed (%)', ylabel='pruned / dense', title='MACs and CPU latency')
        axs[1].set(xlabel='channels removed (%)', ylabel='seconds', title='Time to prune')
        for a in axs: a.legend(fontsize=7); a.grid(alpha=.3)
        fig.tight_layout(); fig.savefig(out / 'structural.png', dpi=110); plt.close(fig); files.append('structural.png')
    return files


def write_report(rows, env, o, out: Path) -> Path:
    head = ['# Benchmark results', '', f'Made by `{env["command"]}` on {env["date"]}. Do not edit: run the command again.', '']
    lines = ['## Setting', '', '| | |', '|---|---|'] + \
            [f'| {k} | {v} |' for k, v in env.items() if k not in ('date', 'command')] + ['']
    un = [r for r in rows if r['part'] == 'unstructured']
    summary = []
    if un:
        table, s = unstructured_table(un, o)
        lines += ['## Unstructured sparsity: fasterprune, fasterai and torch.nn.utils.prune', '',
                  f'The benchmark CNN (94,186 params, 92,448 in convs) on mnist10k (8,000 train, 2,000 valid), '
                  f'`fit_one_cycle({o["epochs"]}, {o["lr"]})`, bs {o["bs"]}, seeds {o["seeds"]}; the conv weights pruned '
                  'globally by magnitude, gradually (agp from 20 % of training to its end). fasterprune and fasterai '
                  'use their `SparsifyCallback`; torch.nn.utils.prune is `global_unstructured(L1Unstructured)` called '
                  'by a small callback at the same points with the same counts. Accuracy at the end (mean, then the '
                  'range over seeds). The fit-time ratio divides each fit\'s time by the mean of the two dense fits '
                  'made just before and just after its sparsity level in the same process (the libraries take turns '
                  'going first). Extra memory: bytes of every tensor the model and the callback '
                  'hold beyond the dense model, at its peak over the epochs, per prunable weight '
                  '(optimizer state excluded: the same for all).', ''] + table + ['', '![](unstructured.png)', '']
        if 0.9 in o['sparsities']:
            summary.append(f'- Unstructured, 90 % of the CNN\'s conv weights (mean of seeds {o["seeds"]}): accuracy '
                           + ', '.join(f'{l} {s[(l, 0.9)]:.4f}' for l in o['sparse_libs']) + f' (dense {s["dense"]:.4f}); '
                           'fit time / dense: ' + ', '.join(f'{l} {s[(l, "time")]:.2f}' for l in o['sparse_libs'])
                           + '; extra bytes per weight: ' + ', '.join(f'{l} {s[(l, "bytes")]:.2f}' for l in o['sparse_libs']) + '.')
    cn = [r for r in rows if r['part'] == 'cnn']
    if cn:
        lines += ['## Structural pruning of the CNN: accuracy after the same fine-tuning', '',
                  f'The CNN trained densely for {o["dense_epochs"]} epochs (`fit_one_cycle`, lr {o["lr"]}), then '
                  f'{"/".join(f"{100 * q:.0f}" for q in o["ratios"])} % of the channels of every group removed in one shot '
                  '(local, L1 magnitude, last layer kept) by torch-pruning and by fasterprune\'s `Pruner`, each followed '
                  f'by the same `fit_one_cycle({o["ft_epochs"]}, {o["ft_lr"]})`. Beside them, `PruneCallback` removes '
                  f'the same ratio gradually while training from scratch for the same {o["dense_epochs"] + o["ft_epochs"]} '
                  'epochs. MACs for one 28×28 digit. The one-shot rows keep the same number of channels but not '
                  'the same channels: torch-pruning\'s `MagnitudeImportance` averages the L1 norms over every layer '
                  'of a group (the conv, its batch norm and the next conv\'s input weights), fasterprune\'s '
                  '`large_final` scores the conv\'s filters (`consumers=True` adds the layers that read them).', ''] + cnn_table(cn, o) + ['']
    ms = [r for r in rows if r['part'] == 'models']
    if ms:
        table, s = models_table(ms, o)
        lines += ['## Structural pruning of torchvision models: fasterprune and torch-pruning', '',
                  f'`weights=None`, input 3×{o["image_size"]}×{o["image_size"]}, the given ratio of the channels of '
                  'every coupled group removed (local, L1 magnitude, the classifier kept). Params and MACs for one '
                  f'image; latency: median of {o["latency_repeats"]} CPU forward passes of a batch of '
                  f'{o["latency_batch"]}; time to prune: building the dependency graph and pruning, the fastest of '
                  f'{o["prune_repeats"]} runs on fresh models after one untimed run of each library (which goes first '
                  'alternates). '
                  'Architecture: whether both libraries kept the same number of channels in every conv; where they differ '
                  'it is by rounding (torch-pruning keeps int(n × (1 − ratio)) channels of n, fasterprune removes '
                  'round(n × ratio)).', ''] + table + \
                 ['', '![](structural.png)', '']
        for name in o['models']:
            if (name, 0.5) in s:
                v = s[(name, 0.5)]
                summary.append(f'- Structural, {name} with 50 % of the channels removed: params {v["params"]:.1%}, '
                               f'MACs {v["macs"]:.1%}, CPU latency {v["latency"]:.1%} of dense; time to prune '
                               f'{v["t_fp"]:.2f} s (torch-pruning directly: {v["t_tp"]:.2f} s); '
                               f'architecture against torch-pruning: {v["same"]}.')
    plots(rows, o, out)
    (out / 'RESULTS.md').write_text('\n'.join(head + (['## Summary', ''] + summary + [''] if summary else []) + lines))
    (out / 'results.json').write_text(json.dumps(dict(environment=env, options={k: str(v) if isinstance(v, Path) else v
                                                                                 for k, v in o.items()}, rows=rows), indent=1))
    return out / 'RESULTS.md'


# ------------------------------------------------------------------------------------------------ main
def _task(args):
    kind, seed, o = args
    return unstructured(seed, o) if kind == 'unstructured' else cnn(seed, o)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', type=Path, default=DEFAULT_DATA, help='mnist10k.npz (keys x: uint8 Nx28x28, y)')
    ap.add_argument('--out', type=Path, default=None, help='output directory (default benchmarks/results)')
    ap.add_argument('--parts', nargs='+', default=['unstructured', 'cnn', 'models'], choices=['unstructured', 'cnn', 'models'])
    ap.add_argument('--seeds', type=int, nargs='+', default=[42, 0])
    ap.add_argument('--jobs', type=int, default=min(2, os.cpu_count() or 1), help='processes for the training parts')
    ap.add_argument('--threads', type=int, default=1, help='torch threads per process')
    ap.add_argument('--quick', action='store_true', help='1 epoch, fewer points: checks the script, not the libraries')
    a = ap.parse_args(argv)
    if not a.data.exists() and set(a.parts) & {'unstructured', 'cnn'}:
        ap.error(f'{a.data} not found: pass --data, or run only --parts models')
    o = dict(data=a.data, seeds=a.seeds, threads=a.threads, jobs=a.jobs, bs=128, lr=3e-3, epochs=6,
             sparsities=[0.5, 0.8, 0.9, 0.95, 0.98], dense_epochs=4, ft_epochs=2, ft_lr=1e-3, ratios=[0.3, 0.5, 0.7],
             models=list(MODELS), image_size=64, latency_batch=16, latency_repeats=20, prune_repeats=3,
             sparse_libs=[l for l in SPARSE_LIBS if l != 'fasterai' or fa is not None])
    if a.quick:
        o.update(epochs=1, sparsities=[0.5, 0.9], dense_epochs=1, ft_epochs=1, ratios=[0.5], models=['resnet18'],
                 latency_repeats=3, prune_repeats=1)
    out = a.out or (Path(tempfile.mkdtemp(prefix='fasterprune-bench-')) if a.quick else HERE / 'results')
    out.mkdir(parents=True, exist_ok=True)
    env = environment(o)
    print('\n'.join(f'{k}: {v}' for k, v in env.items()), flush=True)
    if fa is None: print('fasterai is not installed (pip install -e ".[bench]"): its column is left out')

    t0, rows = time.perf_counter(), []
    tasks = [(k, seed, o) for k in ('unstructured', 'cnn') if k in a.parts for seed in a.seeds]
    if tasks:
        print(f'training parts: {len(tasks)} tasks on {a.jobs} processes', flush=True)
        if a.jobs > 1:
            with mp.get_context('spawn').Pool(a.jobs) as pool:
                for r in pool.imap_unordered(_task, tasks): rows += r
        else:
            for t in tasks: rows += _task(t)
    if 'models' in a.parts:
        print('torchvision models (alone on the machine)', flush=True)
        rows += models(o)
    env['wall time'] = f'{(time.perf_counter() - t0) / 60:.1f} min'
    report = write_report(rows, env, o, out)
    print(f'\nwrote {report}\n')
    print(report.read_text())


if __name__ == '__main__':
    main()

"""Speed where users train: selection, masking, fit overhead and pruned latency, on the device at hand.

One command measures what issue 10 asks for and writes a Markdown table (benchmarks/results/SPEED-<device>.md):

selection  One global `Sparsifier.prune` to 90 % of the dense weights (weight granularity, magnitude) on
           torchvision resnet18's conv weights (11.2 M) and on a stack of Linear(4096) layers (`--big`
           weights: 1 B on a GPU), against one `kthvalue` (CPU) / `topk` (CUDA) over all |w| and
           `torch.nn.utils.prune.global_unstructured`, in the same process. Median of `--repeats`, and the
           peak extra bytes per weight during the prune (CUDA: allocator peak; CPU: peak RSS of a fresh process
           after a warm-up prune of a tiny model, with glibc's mmap threshold fixed so that freed blocks leave the
           RSS at once; the least of three).
masking    A training step (forward, backward, SGD) of a 100 M-weight Linear(4096) stack at bs 128 (16 on the
           CPU), with and without `mask_grads` + `apply_masks` at 90 % sparsity.
fit        `SparsifyCallback(0.9, 'weight', 'global', large_final, agp)` on resnet18 (10 classes, images held in
           device memory: 64 px, bs 256 on a GPU; 32 px, bs 64 on the CPU), 32 batches an epoch, 3 epochs after a
           warm-up fit; against a plain fit, the same callback with `mask_grads=True` (the default skips masking
           gradients for fastai's Adam) and fasterai 0.4.1's callback (if installed), fits interleaved.
latency    Forward latency (bs 256 on a GPU in bf16 autocast and channels_last; bs 16 in fp32 on the CPU) of
           resnet18, resnet50 and mobilenet_v2 (ImageNet shape, head kept) pruned by `Pruner` to 30/50/70 % of the
           channels, with `round_to=None` (exact ratios), `round_to=8` and the default, against the dense model.
semistructured  2:4 masks on a stack of Linear layers (width 4096, 8 layers; 512 with --quick) in float16, converted
           by `to_semi_structured` (torch.sparse semi-structured tensors): forward latency at 4096 tokens (256 with
           --quick) against the dense float16 model, and the largest difference. CUDA only: on the CPU the part
           says it was skipped (the 2:4 kernels need sparse tensor cores).

A run of some parts (`--parts masking`) updates those parts of the last results file in `--out`.
`--quick` runs every part at small sizes (no resnet18 in the selection part) in well under a minute; a test runs
it so that the script cannot rot.
Run from the repository root:   python benchmarks/gpu.py [--quick] [--parts selection masking fit latency semistructured]
"""
from __future__ import annotations
import argparse, contextlib, copy, datetime, json, os, platform, statistics, subprocess, sys, tempfile, time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
warnings.filterwarnings('ignore')

import torch
import torch.nn as nn
import torch.nn.utils.prune as torch_prune
import torchvision
from torchvision.models import resnet18, resnet50, mobilenet_v2

import fasterprune
from fasterprune.sparse.sparsifier import Sparsifier
from fasterprune.prune.pruner import Pruner
from fasterprune.core.budget import count_macs_params

PARTS = ('selection', 'masking', 'fit', 'latency', 'semistructured')


# ------------------------------------------------------------------------------------------------ helpers
def sync(device):
    if device.type == 'cuda': torch.cuda.synchronize(device)

def timed(fn, device, repeats: int, warmup: int = 1, setup=None) -> float:
    "Median seconds of `fn()` (device work included), each run after an untimed `setup()` if given."
    for _ in range(warmup): setup and setup(); fn()
    times = []
    for _ in range(repeats):
        if setup: setup()
        sync(device); t = time.perf_counter(); fn(); sync(device); times.append(time.perf_counter() - t)
    return statistics.median(times)

def linear_stack(n_weights: int, width: int = 4096, device='cpu') -> nn.Sequential:
    "Linear(width, width) layers (no bias) holding about `n_weights` weights."
    n = max(1, round(n_weights / width ** 2))
    return nn.Sequential(*[nn.Linear(width, width, bias=False) for _ in range(n)]).to(device)

def conv_weights(model) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, nn.Conv2d)]


# ------------------------------------------------------------------------------------------------ selection
def peak_bytes_cpu(spec: str) -> float:
    "Peak extra RSS per weight of one global prune, measured in a fresh process (`spec`: 'resnet18' or a weight count)."
    code = f"""
import sys, torch, torch.nn as nn
sys.path.insert(0, {str(HERE)!r})
from gpu import linear_stack
from torchvision.models import resnet18
from fasterprune.sparse.sparsifier import Sparsifier
torch.set_num_threads(1)
spec = {spec!r}
if spec == 'resnet18': model, types = resnet18(), nn.Conv2d
else: model, types = linear_stack(int(spec), width=512 if int(spec) < 10**7 else 4096), nn.Linear
small = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(8, 8, 3)) if spec == 'resnet18' else linear_stack(2 * 64 * 64, width=64)
Sparsifier(small, 'weight', 'global', layer_types=types).prune(0.9)   # loads the code a prune runs: its pages are not data
sp = Sparsifier(model, 'weight', 'global', layer_types=types)
n = sum(m.weight.numel() for m in sp.layers.values())
def status(key): return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith(key + ':'))
open('/proc/self/clear_refs', 'w').write('5')        # resets the peak (VmHWM) to the current RSS
before = status('VmRSS')
sp.prune(0.9)
print((status('VmHWM') - before) * 1024 / n)
"""
    # a fixed mmap threshold: glibc then returns every freed large block at once, so the RSS follows the live memory
    env = {**os.environ, 'MALLOC_MMAP_THRESHOLD_': '65536'}
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env)
    if out.returncode: raise RuntimeError(out.stderr)
    return float(out.stdout.strip().splitlines()[-1])

def bench_selection(device, big: int, repeats: int, quick: bool) -> list[dict]:
    rows = []
    for name in ([] if quick else ['resnet18']) + [f'linear stack {big / 1e6:.0f} M']:
        if name == 'resnet18': model, types = resnet18().to(device), nn.Conv2d
        else: model, types = linear_stack(big, width=512 if quick else 4096, device=device), nn.Linear
        layers = [m for m in model.modules() if isinstance(m, types)]
        n = sum(m.weight.numel() for m in layers)
        sp = Sparsifier(model, 'weight', 'global', layer_types=types)
        dense = [m.weight.detach().clone() for m in layers]
        def restore():                                # each prune starts from the dense weights, as a first prune does
            with torch.no_grad():
                for m, w in zip(layers, dense): m.weight.copy_(w)
        fresh = lambda: sp.prune(0.9, keep_removed=False)
        t_prune = timed(fresh, device, repeats, setup=restore)
        restore(); del dense
        k = round(0.9 * n)
        if device.type == 'cuda':
            flat = torch.cat([m.weight.detach().abs().flatten() for m in layers])
            t_ref = timed(lambda: flat.topk(n - k, largest=True, sorted=False), device, repeats); ref = 'topk'
        else:
            flat = torch.cat([m.weight.detach().abs().flatten() for m in layers])
            t_ref = timed(lambda: flat.kthvalue(k), device, repeats); ref = 'kthvalue'
        del flat
        peak = None
        if device.type == 'cuda':
            torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats(); base = torch.cuda.memory_allocated()
            fresh(); torch.cuda.synchronize()
            peak = (torch.cuda.max_memory_allocated() - base) / n
        else: peak = min(peak_bytes_cpu('resnet18' if name == 'resnet18' else str(big)) for _ in range(1 if quick else 3))
        sp.bake()
        params = [(m, 'weight') for m in layers]
        def torch_global():
            torch_prune.global_unstructured(params, pruning_method=torch_prune.L1Unstructured, amount=0.9)
            for m in layers: torch_prune.remove(m, 'weight')
        t_torch = timed(torch_global, device, max(1, repeats // 2))
        rows.append(dict(model=name, weights=n, prune_s=t_prune, ref=ref, ref_s=t_ref, ratio_to_ref=t_prune / t_ref,
                         torch_prune_s=t_torch, peak_bytes_per_weight=peak))
        print(f"selection {name}: {n:,} weights, prune {1e3 * t_prune:.1f} ms = {t_prune / t_ref:.2f}x one {ref} "
              f"({1e3 * t_ref:.1f} ms); torch global_unstructured {1e3 * t_torch:.1f} ms; "
              f"peak extra {'-' if peak is None else f'{peak:.2f}'} B/weight", flush=True)
        del model, sp, layers, params
        if device.type == 'cuda': torch.cuda.empty_cache()
    return rows


# ------------------------------------------------------------------------------------------------ masking
def bench_masking(device, n_weights: int, bs: int, repeats: int, width: int) -> dict:
    torch.manual_seed(0)
    model = linear_stack(n_weights, width, device)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    x = torch.randn(bs, width, device=device)
    sp = Sparsifier(model, 'weight', 'global', layer_types=nn.Linear)
    sp.prune(0.9)
    def step(masked: bool):
        opt.zero_grad(set_to_none=True)
        model(x).square().mean().backward()
        if masked: sp.mask_grads()
        opt.step()
        if masked: sp.apply_masks()
    plain, masked = [], []
    for _ in range(repeats):        # interleaved: drifts of the machine hit both alike
        plain.append(timed(lambda: step(False), device, 1, warmup=0))
        masked.append(timed(lambda: step(True), device, 1, warmup=0))
    t_masks = timed(lambda: (sp.mask_grads(), sp.apply_masks()), device, repeats)
    p, m = statistics.median(plain), statistics.median(masked)
    n = sum(l.weight.numel() for l in sp.layers.values())
    print(f"masking: {n:,} weights, bs {bs}: step {1e3 * p:.1f} ms, with masks {1e3 * m:.1f} ms (x{m / p:.3f}); "
          f"mask_grads + apply_masks alone {1e3 * t_masks:.1f} ms", flush=True)
    return dict(weights=n, batch=bs, step_s=p, masked_step_s=m, ratio=m / p, masks_s=t_masks)


def cpu_description() -> str:
    "The CPU's name, family and model, and the vector instructions torch uses: two hosts that both say 'AMD EPYC' fitted resnet18 5x apart."
    info = {}
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            k, _, v = line.partition(':')
            info.setdefault(k.strip(), v.strip())
    except OSError: pass
    name = info.get('model name') or platform.processor() or platform.machine()
    fm = f"family {info['cpu family']} model {info['model']}, " if 'cpu family' in info and 'model' in info else ''
    return f"{name} ({fm}{torch.backends.cpu.get_cpu_capability()})"

# ------------------------------------------------------------------------------------------------ fit
def bench_fit(device, size: int, bs: int, n_batches: int, epochs: int, repeats: int) -> dict:
    from fastai.data.core import DataLoaders
    from fastai.learner import Learner
    import fastai.callback.progress                  # Learner.no_bar (fasterai imported it; it may be absent)
    from fastai.torch_core import set_seed
    sys.path.insert(0, str(HERE))
    from mnist import TensorDL
    from fasterprune.sparse.callback import SparsifyCallback
    from fasterprune.sparse.sparsifier import Sparsifier
    try: import fasterai.sparse.all as fa
    except ImportError: fa = None
    n = bs * n_batches
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, size, size, generator=g).to(device)
    y = torch.randint(0, 10, (n,), generator=g).to(device)
    dls = DataLoaders(TensorDL(x, y, bs=bs, shuffle=True), TensorDL(x[:bs], y[:bs], bs=bs), device=device)
    def fit(lib, profile: dict | None = None):
        set_seed(0)
        model = resnet18(num_classes=10).to(device)
        if device.type == 'cuda': model = model.to(memory_format=torch.channels_last)
        learn = Learner(dls, model, loss_func=nn.CrossEntropyLoss())
        cbs = []
        if lib.startswith('fasterprune'):
            cbs = [SparsifyCallback(sparsity=0.9, granularity='weight', context='global', schedule='agp', verbose=False,
                                    mask_grads=True if lib == 'fasterprune_masked' else None)]
        if lib == 'fasterai': cbs = [fa.SparsifyCallback(sparsity=90, granularity='weight', context='global',
                                                         criteria=fa.large_final, schedule=fa.agp)]
        ctx = torch.autocast('cuda', dtype=torch.bfloat16) if device.type == 'cuda' else contextlib.nullcontext()
        unwrap = timing(Sparsifier, ('prune', 'after_backward', 'apply_masks'), profile, device) if profile is not None else None
        try:
            with learn.no_bar(), learn.no_logging(), ctx, contextlib.redirect_stdout(open(os.devnull, 'w')):
                sync(device); t = time.perf_counter(); learn.fit(epochs, 1e-3, cbs=cbs); sync(device)
        finally:
            if unwrap: unwrap()
        return time.perf_counter() - t
    libs = ['plain', 'fasterprune', 'fasterprune_masked'] + (['fasterai'] if fa is not None else [])
    for lib in libs: fit(lib)                 # warm-up of every path
    times = {lib: [] for lib in libs}
    for _ in range(repeats):
        for lib in libs: times[lib].append(fit(lib))
    parts, steps = {}, epochs * n_batches
    fit('fasterprune', parts)                 # one more, untimed: its cuts and masks timed apart
    parts = dict(cuts=parts['prune calls'], cut_ms=1e3 * parts['prune'] / parts['prune calls'],
                 masks_ms_per_step=1e3 * (parts['after_backward'] + parts['apply_masks']) / steps)
    print(f"fit parts (one more fit): {parts['cuts']} cuts of {parts['cut_ms']:.1f} ms; masks {parts['masks_ms_per_step']:.2f} ms "
          f"a step ({steps} steps; gradients not masked with Adam)", flush=True)
    med = {lib: statistics.median(v) for lib, v in times.items()}
    best = {lib: min(v) for lib, v in times.items()}   # a shared machine's slow spells only add time: the fastest fits agree best
    res = dict(size=size, batch=bs, batches=n_batches, epochs=epochs, plain_s=med['plain'],
               **{f'{lib}_ratio': med[lib] / med['plain'] for lib in libs if lib != 'plain'},
               **{f'{lib}_fastest_ratio': best[lib] / best['plain'] for lib in libs if lib != 'plain'},
               times={lib: [round(t, 3) for t in v] for lib, v in times.items()}, **parts, **zero_moments(device))
    print('fit: ' + ', '.join(f"{lib} {med[lib]:.2f} s" + (f" (x{med[lib] / med['plain']:.3f})" if lib != 'plain' else '')
                              for lib in libs) + ('' if fa is not None else '; fasterai not installed'), flush=True)
    return res

def timing(cls, names, totals: dict, device):
    "Wrap the methods `names` of `cls` to add their time and calls to `totals`; returns what unwraps them."
    original = {n: cls.__dict__[n] for n in names}
    def wrapped(n, f):
        def run(*args, **kwargs):
            sync(device); t = time.perf_counter(); out = f(*args, **kwargs); sync(device)
            totals[n] = totals.get(n, 0.) + time.perf_counter() - t
            totals[n + ' calls'] = totals.get(n + ' calls', 0) + 1
            return out
        return run
    for n, f in original.items(): setattr(cls, n, wrapped(n, f))
    return lambda: [setattr(cls, n, f) for n, f in original.items()]

def zero_moments(device, repeats: int = 9) -> dict:
    """What masked gradients cost the optimizer: fastai's Adam step on resnet18 when 90 % of the conv gradients (and so
    their moments) are zero, against one with dense gradients; and `sqrt` of zeros against `sqrt` of ones (11 M)."""
    from fastai.optimizer import Adam
    def setup(masked: bool):
        model = resnet18(num_classes=10).to(device)
        convs = {id(m.weight) for m in conv_weights(model)}
        params = [p for p in model.parameters()]
        for p in params:
            p.grad = torch.randn_like(p) * 1e-3
            if masked and id(p) in convs: p.grad *= torch.rand_like(p) > 0.9
        return Adam(params, 1e-3)
    opts = {masked: setup(masked) for masked in (False, True)}
    steps = {masked: timed(opts[masked].step, device, repeats) for masked in (False, True)}
    x = {v: torch.full((11_000_000,), v, device=device) for v in (0., 1.)}
    out = torch.empty_like(x[0.])
    roots = {v: timed(lambda v=v: torch.sqrt(x[v], out=out), device, repeats) for v in (1., 0.)}
    print(f"optimizer: fastai Adam step with 90 % of the conv gradients zero {1e3 * steps[True]:.1f} ms, dense "
          f"{1e3 * steps[False]:.1f} ms (x{steps[True] / steps[False]:.2f}); sqrt of zeros x{roots[0.] / roots[1.]:.2f} "
          f"sqrt of ones", flush=True)
    return dict(adam_masked_ratio=steps[True] / steps[False], sqrt_zero_ratio=roots[0.] / roots[1.])


# ------------------------------------------------------------------------------------------------ latency
def bench_latency(device, models: list[str], ratios: list[float], size: int, bs: int, repeats: int) -> list[dict]:
    from fasterprune.core.budget import measure_latency
    builders = {'resnet18': resnet18, 'resnet50': resnet50, 'mobilenet_v2': mobilenet_v2}
    cuda = device.type == 'cuda'
    x = torch.randn(bs, 3, size, size, device=device)
    def latency(model):
        model = model.eval()
        if cuda: model, xs = model.to(memory_format=torch.channels_last), x.to(memory_format=torch.channels_last)
        else: xs = x
        ctx = torch.autocast('cuda', dtype=torch.bfloat16) if cuda else contextlib.nullcontext()
        with ctx: return measure_latency(model, xs, repeats=repeats, warmup=3)
    rows = []
    for name in models:
        torch.manual_seed(0)
        dense = builders[name]().to(device)
        t_dense = latency(dense)
        head = [m for m in dense.modules() if isinstance(m, nn.Linear)][-1]
        for r in ratios:
            for round_to in (None, 8, 'default'):
                model = copy.deepcopy(dense)
                opts = {} if round_to == 'default' else dict(round_to=round_to)
                last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
                Pruner(model, x[:1], ignore=[last], **opts).prune(r)
                macs = count_macs_params(model, x[:1])['macs'] / count_macs_params(dense, x[:1])['macs']
                t = latency(model)
                rows.append(dict(model=name, ratio=r, round_to=str(round_to), macs=macs, latency_s=t, dense_s=t_dense,
                                 speedup=t_dense / t))
                print(f"latency {name} {r:.0%} round_to={round_to}: MACs {macs:.1%}, {1e3 * t:.2f} ms vs dense "
                      f"{1e3 * t_dense:.2f} ms ({t_dense / t:.2f}x)", flush=True)
                del model
        del dense, head
    return rows


def bench_semistructured(device, width: int, depth: int, tokens: int, repeats: int) -> dict:
    "Forward latency of a 2:4-masked Linear stack in float16, dense and as semi-structured sparse tensors (CUDA only)."
    if device.type != 'cuda': return {'skipped': 'needs a CUDA GPU (2:4 sparse tensor cores)'}
    from fasterprune.core.budget import measure_latency
    from fasterprune.core.granularity import NM
    from fasterprune.deploy import baked_copy, to_semi_structured
    torch.manual_seed(0)
    model = nn.Sequential(*[nn.Linear(width, width) for _ in range(depth)]).to(device)
    Sparsifier(model, NM(2, 4), 'local', layer_types=nn.Linear).prune(0.5)
    dense = baked_copy(model).half()
    sparse = to_semi_structured(dense)
    x = torch.randn(tokens, width, device=device, dtype=torch.half)
    with torch.no_grad(): diff = float((sparse(x) - dense(x)).abs().max())
    t_dense, t_sparse = [], []
    for _ in range(3):                                           # interleaved
        t_dense.append(measure_latency(dense, x, repeats=repeats)); t_sparse.append(measure_latency(sparse, x, repeats=repeats))
    r = dict(width=width, depth=depth, tokens=tokens, dense_s=statistics.median(t_dense), sparse_s=statistics.median(t_sparse),
             max_diff=diff)
    r['speedup'] = r['dense_s'] / r['sparse_s']
    print(f"semistructured {depth} x Linear({width}) fp16, {tokens} tokens: dense {1e3 * r['dense_s']:.3f} ms, 2:4 sparse "
          f"{1e3 * r['sparse_s']:.3f} ms ({r['speedup']:.2f}x), max |diff| {diff:.3g}", flush=True)
    return r


# ------------------------------------------------------------------------------------------------ report
FIT_LABELS = {'fasterprune_ratio': 'fasterprune', 'fasterprune_masked_ratio': 'fasterprune with mask_grads=True',
              'fasterai_ratio': 'fasterai'}

def summary(res: dict) -> list[str]:
    "One line per part, the figures the README quotes."
    where, lines = res['header']['device'], []
    for r in res.get('selection', []):
        peak = '' if r['peak_bytes_per_weight'] is None else f"; peak extra memory {r['peak_bytes_per_weight']:.2f} bytes per weight"
        lines.append(f"- Selection on {where}, {r['model']} ({r['weights']:,} weights), one global prune to 90 %: "
                     f"{1e3 * r['prune_s']:.1f} ms, {r['ratio_to_ref']:.2f}x one {r['ref']} over all |w|{peak}.")
    if 'masking' in res:
        r = res['masking']
        lines.append(f"- Masking on {where}, {r['weights']:,} weights at 90 %, bs {r['batch']}: a training step with "
                     f"`mask_grads` + `apply_masks` takes {r['ratio']:.3f}x one without.")
    if 'fit' in res:
        r = res['fit']
        peers = ', '.join(f"{FIT_LABELS[k]} {v:.3f}x" + (f" ({r[k[:-6] + '_fastest_ratio']:.3f}x)" if k[:-6] + '_fastest_ratio' in r else '')
                          for k, v in r.items() if k in FIT_LABELS)
        lines.append(f"- Fit on {where}, resnet18 at {r['size']} px, SparsifyCallback(0.9, global, agp) against a plain fit "
                     f"(medians{'; fastest of each in brackets' if 'fasterprune_fastest_ratio' in r else ''}): {peers}.")
        if 'cuts' in r:
            lines.append(f"- In one more such fit, timed by parts: {r['cuts']} cuts of {r['cut_ms']:.1f} ms each; "
                         f"`after_backward` + `apply_masks` {r['masks_ms_per_step']:.2f} ms a step on average.")
        if 'adam_masked_ratio' in r:
            lines.append(f"- Optimizer on {where}: fastai's Adam step with 90 % of resnet18's conv gradients masked to zero (their "
                         f"moments zero) takes {r['adam_masked_ratio']:.2f}x one with dense gradients; `sqrt` of zeros takes "
                         f"{r['sqrt_zero_ratio']:.2f}x `sqrt` of ones.")
    for r in res.get('latency', []):
        if r['round_to'] == 'default' and r['ratio'] == 0.3:
            lines.append(f"- Latency on {where}, {r['model']} with 30 % of its channels removed (default rounding): "
                         f"{r['speedup']:.2f}x faster than dense, {r['macs']:.1%} of its MACs.")
    r = res.get('semistructured')
    if r and 'skipped' not in r:
        lines.append(f"- 2:4 sparsity on {where}: {r['depth']} x Linear({r['width']}) in float16 at {r['tokens']} tokens, "
                     f"semi-structured sparse weights run {r['speedup']:.2f}x the dense model's speed.")
    return lines

def markdown(res: dict) -> str:
    h = res['header']
    lines = [f"# Speed on {h['device']}", '',
             f"`{h['command']}`, {h['date']}. {h['machine']}; python {h['python']}, torch {h['torch']}, "
             f"torchvision {h['torchvision']}, fasterprune {h['fasterprune']}, threads {h['threads']}."
             + (' Updated: ' + '; '.join(f"{part} by {run}" for part, run in h['part_runs'].items()) + '.'
                if h.get('part_runs') else ''), '',
             '## Summary', '', *summary(res), '']
    if 'selection' in res:
        lines += ['## Selection: one global prune to 90 % (weight granularity, magnitude)', '',
                  '| weights | fasterprune | reference | fasterprune / reference | torch global_unstructured | peak extra bytes / weight |',
                  '|---|---|---|---|---|---|']
        for r in res['selection']:
            peak = '—' if r['peak_bytes_per_weight'] is None else f"{r['peak_bytes_per_weight']:.2f}"
            lines.append(f"| {r['model']}: {r['weights']:,} | {1e3 * r['prune_s']:.1f} ms | {r['ref']} {1e3 * r['ref_s']:.1f} ms "
                         f"| {r['ratio_to_ref']:.2f} | {1e3 * r['torch_prune_s']:.1f} ms | {peak} |")
        lines.append('')
    if 'masking' in res:
        r = res['masking']
        lines += ['## Masking: one training step with and without the masks (90 %)', '',
                  '| weights | batch | step | with masks | ratio | masks alone |', '|---|---|---|---|---|---|',
                  f"| {r['weights']:,} | {r['batch']} | {1e3 * r['step_s']:.1f} ms | {1e3 * r['masked_step_s']:.1f} ms "
                  f"| {r['ratio']:.3f} | {1e3 * r['masks_s']:.1f} ms |", '']
    if 'fit' in res:
        r = res['fit']
        lines += ['## Fit: SparsifyCallback(0.9, global, agp) against a plain fit', '',
                  f"resnet18, {r['size']} px, bs {r['batch']}, {r['batches']} batches an epoch, {r['epochs']} epochs, "
                  f"interleaved fits. Plain fit {r['plain_s']:.2f} s (median).", '',
                  '| callback | fit time / plain (medians) | fastest / fastest | fits (s) |', '|---|---|---|---|']
        lines += [f"| {FIT_LABELS[k]} | {v:.3f} | {r.get(k[:-6] + '_fastest_ratio', float('nan')):.3f} "
                  f"| {', '.join(f'{t:.2f}' for t in r.get('times', {}).get(k[:-6], []))} |" for k, v in r.items() if k in FIT_LABELS]
        if 'times' in r: lines.append(f"| plain | 1 | 1 | {', '.join(f'{t:.2f}' for t in r['times']['plain'])} |")
        lines.append('')
    if 'latency' in res:
        lines += ['## Latency of structurally pruned models', '',
                  '| model | channels removed | round_to | MACs | latency | dense | speed-up |', '|---|---|---|---|---|---|---|']
        lines += [f"| {r['model']} | {r['ratio']:.0%} | {r['round_to']} | {r['macs']:.1%} | {1e3 * r['latency_s']:.2f} ms "
                  f"| {1e3 * r['dense_s']:.2f} ms | {r['speedup']:.2f}x |" for r in res['latency']]
        lines.append('')
    if 'semistructured' in res:
        r = res['semistructured']
        lines += ['## 2:4 semi-structured sparsity (to_semi_structured)', '']
        lines += ([f"Skipped: {r['skipped']}.", ''] if 'skipped' in r else
                  ['| layers | tokens | dense fp16 | 2:4 sparse | speed-up | max diff |', '|---|---|---|---|---|---|',
                   f"| {r['depth']} x Linear({r['width']}) | {r['tokens']} | {1e3 * r['dense_s']:.3f} ms | {1e3 * r['sparse_s']:.3f} ms "
                   f"| {r['speedup']:.2f}x | {r['max_diff']:.3g} |", ''])
    return '\n'.join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--quick', action='store_true', help='small sizes: a smoke run of the script itself')
    ap.add_argument('--parts', nargs='+', choices=PARTS, default=list(PARTS))
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--out', default=None, help='folder for the Markdown and JSON results (default: benchmarks/results; '
                                                 'with --quick a temporary folder)')
    ap.add_argument('--threads', type=int, default=None)
    args = ap.parse_args(argv)
    if args.threads: torch.set_num_threads(args.threads)
    device, quick = torch.device(args.device), args.quick
    cuda = device.type == 'cuda'
    out = Path(args.out) if args.out else (Path(tempfile.mkdtemp()) if quick else HERE / 'results')
    out.mkdir(parents=True, exist_ok=True)
    gpu_name = torch.cuda.get_device_name(device) if cuda else None
    res = {'header': dict(command='python benchmarks/gpu.py ' + ' '.join(argv if argv is not None else sys.argv[1:]),
                          date=datetime.date.today().isoformat(), device=gpu_name or 'CPU',
                          machine=f"{gpu_name + ' on ' if gpu_name else ''}{cpu_description()}, {os.cpu_count()} CPUs",
                          python=platform.python_version(), torch=torch.__version__, torchvision=torchvision.__version__,
                          fasterprune=fasterprune.__version__, threads=torch.get_num_threads())}
    print(res['header'], flush=True)
    t0 = time.perf_counter()
    if 'selection' in args.parts:
        big = 2_000_000 if quick else (1_000_000_000 if cuda else 200_000_000)
        res['selection'] = bench_selection(device, big, repeats=2 if quick else 5, quick=quick)
    if 'masking' in args.parts:
        res['masking'] = bench_masking(device, n_weights=1_000_000 if quick else 100_000_000, bs=16 if quick else 128,
                                       repeats=2 if quick else 10, width=512 if quick else 4096)
    if 'fit' in args.parts:
        res['fit'] = (bench_fit(device, size=16, bs=16, n_batches=4, epochs=1, repeats=1) if quick else
                      bench_fit(device, size=64 if cuda else 32, bs=256 if cuda else 64, n_batches=32, epochs=3,
                                repeats=3 if cuda else 5))
    if 'latency' in args.parts:
        res['latency'] = (bench_latency(device, ['resnet18'], [0.3], size=32, bs=2, repeats=2) if quick else
                          bench_latency(device, ['resnet18', 'resnet50', 'mobilenet_v2'], [0.3, 0.5, 0.7],
                                        size=224, bs=256 if cuda else 16, repeats=20 if cuda else 5))
    if 'semistructured' in args.parts:
        res['semistructured'] = (bench_semistructured(device, width=512, depth=2, tokens=256, repeats=3) if quick else
                                 bench_semistructured(device, width=4096, depth=8, tokens=4096, repeats=20))
    res['header']['wall_s'] = round(time.perf_counter() - t0, 1)
    name = f"SPEED-{'gpu' if cuda else 'cpu'}"
    old, wall = out / f'{name}.json', res['header']['wall_s']
    if set(args.parts) != set(PARTS) and old.exists():   # a run of some parts updates those parts of the last full run
        kept = json.loads(old.read_text())
        kept.update({k: v for k, v in res.items() if k != 'header'})
        runs = kept['header'].setdefault('part_runs', {})
        runs.update({part: f"`{res['header']['command']}` ({res['header']['date']}, {wall} s)" for part in args.parts})
        res = kept
    (out / f'{name}.md').write_text(markdown(res) + f"\nWall time of the full run: {res['header']['wall_s']} s.\n")
    (out / f'{name}.json').write_text(json.dumps(res, indent=1))
    print(f"wrote {out / (name + '.md')} in {wall} s")
    return res


if __name__ == '__main__':
    main()

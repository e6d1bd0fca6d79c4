"""Deployment benchmark (issue 24): is a pruned model faster where it will run?

Each model is built with `weights=None`, `num_classes=10` (torchvision, or timm for convnext_atto), input 3x64x64, and
pruned with the DEFAULT settings to half of its MACs: `Pruner(model, x).prune(macs=0.5)`. Per model:

- MACs and parameters kept (pruned / dense), the `round_to` the default chose, the time to prune;
- latency pruned / dense in eager PyTorch, `torch.compile` (inductor) and ONNX Runtime (CPUExecutionProvider), at
  batch 1 and 8, torch and ORT intra-op threads = `--threads` (2). The two models take turns in blocks of `--block`
  runs (`--rounds` rounds), so that a load on the machine falls on both; the ratio is of the medians of all runs;
- the ONNX files of both written by `export_onnx` (dynamic batch, checked in ONNX Runtime against PyTorch): sizes and
  the largest difference of the check.

The ONNX Runtime sessions run the files `export_onnx` wrote, with threads that do not spin after a run (spinning
threads of one session take the cores from the other while the two take turns: on the 2-core machine a dense
mobilenet_v3_small at batch 8 took 42 ms beside a spinning session and 2.2 ms without); `torch.compile` compiles
the library's `baked_copy`. The timing loop is here because the two models must take turns. Each model runs in its own process (`--timeout`); rows are kept in
DEPLOY.json next to DEPLOY.md after each model, and a second run skips the models already there (`--fresh`).
The target (issue 24): ONNX Runtime latency ratio <= 1.4 x the MAC ratio for every model at batch 1 and 8, <= 1.25 x
on average, and never above 1 (slower than dense).

`--round-to 1 4 8 16` measures each model with those multiples instead of the default: the measurement behind
`fasterprune.core.budget.CHANNEL_MULTIPLES` (what `round_to='auto'` picks on a CPU), shown in the pruner chapter;
`auto` among them is the default (`--round-to auto 16`: both, each judged against the target on its own).

Run from the repository root:  python benchmarks/deploy.py [--quick] [--models NAME ...] [--runtimes ...] [--round-to K ...]
                               [--jobs N] [--out DIR]
"""
from __future__ import annotations
import argparse, copy, datetime, json, os, platform, statistics, subprocess, sys, tempfile, time, warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / 'results'
MODELS = ['resnet18', 'mobilenet_v3_small', 'efficientnet_b0', 'regnet_x_400mf', 'convnext_atto']
QUICK = ['tiny_mobile']
RUNTIMES = ('eager', 'compile', 'onnxruntime')
BATCHES = (1, 8)
MACS, TARGET_EACH, TARGET_MEAN = 0.5, 1.4, 1.25


def build(name: str):
    "`(model, example input)`: the model in eval mode with 10 classes, and one 64x64 image (32x32 for the quick model)."
    import torch, torch.nn as nn
    if name == 'tiny_mobile':       # a depthwise-separable CNN for --quick: two inverted residual blocks, seconds to prune
        def block(c, e): return nn.Sequential(nn.Conv2d(c, e, 1), nn.BatchNorm2d(e), nn.ReLU(),
                                              nn.Conv2d(e, e, 3, padding=1, groups=e), nn.BatchNorm2d(e), nn.ReLU(),
                                              nn.Conv2d(e, c, 1), nn.BatchNorm2d(c))
        m = nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1), nn.BatchNorm2d(32), nn.ReLU(), block(32, 96), block(32, 96),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
        return m.eval(), torch.randn(1, 3, 32, 32)
    if name.startswith('convnext'):
        import timm
        m = timm.create_model(name, pretrained=False, num_classes=10)
    else:
        import torchvision
        m = torchvision.models.get_model(name, weights=None, num_classes=10)
    return m.eval(), torch.randn(1, 3, 64, 64)


def interleaved(run_dense, run_pruned, rounds: int, block: int) -> dict:
    "Median seconds of each runner, the two taking turns in blocks of `block` runs (one untimed run before each block)."
    times = {'dense': [], 'pruned': []}
    for i in range(rounds):
        for key, run in (('dense', run_dense), ('pruned', run_pruned))[::1 if i % 2 == 0 else -1]:
            run()
            for _ in range(block):
                t = time.perf_counter(); run(); times[key].append(time.perf_counter() - t)
    d, p = statistics.median(times['dense']), statistics.median(times['pruned'])
    return {'dense_ms': 1e3 * d, 'pruned_ms': 1e3 * p, 'ratio': p / d, 'runs': len(times['dense'])}


def runner(model, x, runtime: str, threads: int, onnx_file: Path):
    """A function of no arguments running `model` on `x` in `runtime`: eager, `torch.compile` of the library's
    `baked_copy`, or an ONNX Runtime session of `onnx_file` (written by `export_onnx`) whose threads do not spin
    after a run: spinning threads of one session would take the cores from the other while the two take turns."""
    import torch, onnxruntime as ort
    from fasterprune.deploy import baked_copy
    if runtime == 'onnxruntime':
        opts = ort.SessionOptions(); opts.intra_op_num_threads = threads
        opts.add_session_config_entry('session.intra_op.allow_spinning', '0')
        session = ort.InferenceSession(str(onnx_file), opts, providers=['CPUExecutionProvider'])
        feed = {session.get_inputs()[0].name: x.numpy()}
        return lambda: session.run(None, feed)
    m = torch.compile(baked_copy(model), dynamic=False) if runtime == 'compile' else model
    def run():
        with torch.no_grad(): m(x)
    return run


def measure(job: str, o: dict) -> dict:
    "One row of the table: prune the model of `job` ('name' or 'name@round_to') with the defaults, time both models in every runtime, export both."
    name, _, rt = job.partition('@')
    import torch
    warnings.filterwarnings('ignore')
    torch.set_num_threads(o['threads']); torch.manual_seed(0)
    from fasterprune.all import Pruner, count_macs_params
    from fasterprune.deploy import export_onnx
    dense, x = build(name)
    pruned = copy.deepcopy(dense)
    t = time.perf_counter(); pr = Pruner(pruned, x, **({'round_to': int(rt)} if rt else {})); pr.prune(macs=MACS)
    t_prune = time.perf_counter() - t
    before, after = count_macs_params(dense, x), count_macs_params(pruned, x)
    row = dict(model=job, round_to=pr.round_to or 1, macs=after['macs'] / before['macs'],
               params=after['params'] / before['params'], prune_s=t_prune, latency={})
    with tempfile.TemporaryDirectory() as tmp:
        files = {k: Path(tmp) / f'{k}.onnx' for k in ('dense', 'pruned')}
        exports = {k: export_onnx(m, x, files[k]) for k, m in (('dense', dense), ('pruned', pruned))}
        row['onnx'] = {k: {'bytes': e.size, 'max_diff': e.max_diff, 'batches': list(e.batch_sizes)} for k, e in exports.items()}
        for runtime in o['runtimes']:
            for bs in BATCHES:
                xb = x.expand(bs, *x.shape[1:]).contiguous()
                t = time.perf_counter()
                r = interleaved(runner(dense, xb, runtime, o['threads'], files['dense']),
                                runner(pruned, xb, runtime, o['threads'], files['pruned']), o['rounds'], o['block'])
                r['seconds'] = time.perf_counter() - t
                row['latency'][f'{runtime} b{bs}'] = r
                print(f'  {name} {runtime} batch {bs}: {r["dense_ms"]:.2f} -> {r["pruned_ms"]:.2f} ms ({r["ratio"]:.3f})', flush=True)
    return row


def environment(o: dict, argv) -> dict:
    import torch, onnxruntime, fasterprune
    cpu = next((l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines()
                if l.startswith('model name')), platform.processor()) if Path('/proc/cpuinfo').exists() else platform.processor()
    return {'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
            'command': 'python benchmarks/deploy.py ' + ' '.join(argv),
            'machine': f'{cpu}, {os.cpu_count()} cores, {torch.backends.cpu.get_cpu_capability()} (torch), {platform.system()}',
            'versions': f'Python {platform.python_version()}, torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, '
                        f'fasterprune {fasterprune.__version__}',
            'threads': o['threads'], 'models at once': o['jobs'], 'timing': f'{o["rounds"]} rounds of {o["block"]} runs per model and batch, models taking turns'}


def write_report(rows: list[dict], env: dict, out: Path) -> Path:
    lat = lambda r, k: f'{r["latency"][k]["ratio"]:.2f}' if k in r['latency'] else '-'
    keys = [f'{rt} b{bs}' for rt in RUNTIMES for bs in BATCHES]
    lines = ['# Deployment: pruned / dense latency where the model runs', '',
             f'Made by `{env["command"]}` on {env["date"]}. Do not edit: run the command again.', '',
             '| | |', '|---|---|'] + [f'| {k} | {v} |' for k, v in env.items() if k not in ('date', 'command', 'load')] + [
             f'| load average (1 min) at start / end | {env.get("load", "-")} |', '',
             f'Each model: `weights=None`, 10 classes, one 3x64x64 image, pruned with the default settings to '
             f'{MACS:.0%} of its MACs (`Pruner(model, x).prune(macs={MACS})`). Ratios are pruned / dense (median of all '
             'runs, the two models taking turns); ONNX sizes are those of the files `export_onnx` wrote (dynamic '
             'batch), checked in ONNX Runtime against PyTorch (largest difference).', ''] + (
             [f'**The machine was loaded** (load average {env["load"]} on {os.cpu_count()} cores, shared with other work): '
              'the two models of a row took turns, so the load fell on both, but the ratios are noisier than on a quiet '
              'machine.', ''] if 'load' in env and max(map(float, env['load'].split(' / '))) > (os.cpu_count() or 1) else []) + [
             '| model | round_to | MACs | params | ' + ' | '.join(keys) + ' | ORT / MACs (worst) | ONNX MB dense → pruned | export check |',
             '|' + '---|' * (4 + len(keys) + 3)]
    worst = []
    for r in rows:
        if 'error' in r:
            lines.append(f'| {r["model"]} | failed: {r["error"]} |'); continue
        ort = [r['latency'][k]['ratio'] for k in (f'onnxruntime b{bs}' for bs in BATCHES) if k in r['latency']]
        w = max(ort) / r['macs'] if ort else None
        if w is not None: worst.append((r['model'], w, max(ort)))
        on = r['onnx']
        lines.append(f'| {r["model"]} | {r["round_to"]} | {r["macs"]:.3f} | {r["params"]:.3f} | '
                     + ' | '.join(lat(r, k) for k in keys)
                     + f' | {"-" if w is None else f"{w:.2f}"} | {on["dense"]["bytes"] / 1e6:.2f} → {on["pruned"]["bytes"] / 1e6:.2f}'
                     f' | ok, max diff {max(on[k]["max_diff"] for k in on):.1e} |')
    for setting in dict.fromkeys(m.partition('@')[2] for m, _, _ in worst):   # the defaults, then each --round-to
        part = [(m, w, s) for m, w, s in worst if m.partition('@')[2] == setting]
        mean = statistics.mean(w for _, w, _ in part)
        each = all(w <= TARGET_EACH for _, w, _ in part)
        never_slower = all(s <= 1 for _, _, s in part)
        lines += ['', f'Target (issue 24), {f"round_to={setting}" if setting else "default settings"}: ONNX Runtime ratio ≤ '
                  f'{TARGET_EACH} × the MAC ratio for every model at batch 1 and 8: **{"met" if each else "not met"}** (worst: '
                  + ', '.join(f'{m.partition("@")[0]} {w:.2f}' for m, w, _ in part)
                  + f'); ≤ {TARGET_MEAN} × on average: **{"met" if mean <= TARGET_MEAN else "not met"}** ({mean:.2f}); '
                  f'never slower than dense: **{"met" if never_slower else "not met"}**.']
    (out / 'DEPLOY.md').write_text('\n'.join(lines) + '\n')
    return out / 'DEPLOY.md'


def _round_to(text: str) -> int | None:
    "A `--round-to` value: a positive integer, or 'auto' (the default, None)."
    if text == 'auto': return None
    if not text.isdigit() or int(text) < 1: raise argparse.ArgumentTypeError(f"a positive integer or 'auto', got {text!r}")
    return int(text)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--models', nargs='+', default=None, help=f'models to run (default: {" ".join(MODELS)})')
    ap.add_argument('--runtimes', nargs='+', default=list(RUNTIMES), choices=RUNTIMES)
    ap.add_argument('--threads', type=int, default=2, help='intra-op threads of torch and ONNX Runtime')
    ap.add_argument('--rounds', type=int, default=6, help='turns each model takes per runtime and batch')
    ap.add_argument('--block', type=int, default=10, help='timed runs per turn')
    ap.add_argument('--timeout', type=float, default=1800, help='seconds for one model')
    ap.add_argument('--round-to', type=_round_to, nargs='+', default=None,
                    help="measure with these round_to instead of the default (rows 'model@round_to'; 'auto': the default's "
                         "rows): how CHANNEL_MULTIPLES is chosen")
    ap.add_argument('--jobs', type=int, default=1, help='models measured at the same time (each in its own process; '
                    'the two models of a row still take turns, so a load falls on both)')
    ap.add_argument('--quick', action='store_true', help='one tiny model, eager and ONNX Runtime, few runs: checks the script')
    ap.add_argument('--fresh', action='store_true', help='measure again the models already in DEPLOY.json')
    ap.add_argument('--out', type=Path, default=None, help='output directory (default benchmarks/results)')
    ap.add_argument('--one', help=argparse.SUPPRESS)   # internal: measure one model, print its row as JSON
    a = ap.parse_args(argv)
    o = dict(threads=a.threads, rounds=a.rounds, block=a.block, runtimes=a.runtimes, jobs=a.jobs)
    if a.quick: o.update(rounds=2, block=3, runtimes=[r for r in a.runtimes if r != 'compile'])
    if a.one:
        print('ROW ' + json.dumps(measure(a.one, o)), flush=True); return
    models = [f'{m}@{r}' if r else m for m in (a.models or (QUICK if a.quick else MODELS)) for r in (a.round_to or [None])]
    out = a.out or RESULTS
    out.mkdir(parents=True, exist_ok=True)
    store = out / 'DEPLOY.json'
    old = {} if a.fresh or not store.exists() else json.loads(store.read_text())
    rows = {r['model']: r for r in old.get('rows', [])}
    todo = [m for m in models if m not in rows or 'error' in rows[m]]
    env = environment(o, argv) if todo or 'environment' not in old else old['environment']   # nothing to run: the report of the run that measured
    load0 = os.getloadavg()[0]
    for name in sorted(set(models) - set(todo)): print(f'{name}: already in {store}, skipped')
    def one(name: str) -> tuple[str, dict, str]:
        cmd = [sys.executable, __file__, '--one', name, '--threads', str(o['threads']), '--rounds', str(o['rounds']),
               '--block', str(o['block']), '--runtimes', *o['runtimes']]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout,
                                 env={**os.environ, 'OMP_NUM_THREADS': str(o['threads'])})
        except subprocess.TimeoutExpired: return name, {'model': name, 'error': f'timed out after {a.timeout:.0f} s'}, ''
        line = next((l for l in res.stdout.splitlines() if l.startswith('ROW ')), None)
        text = ''.join(l + '\n' for l in res.stdout.splitlines() if not l.startswith('ROW '))
        return name, (json.loads(line[4:]) if line else
                      {'model': name, 'error': (res.stderr.strip().splitlines() or ['no output'])[-1][:200]}), text
    with ThreadPoolExecutor(a.jobs) as pool:            # each model in its own process; rows kept as they come
        for done in as_completed([pool.submit(one, m) for m in todo]):
            name, rows[name], text = done.result()
            print(f'{name}:\n{text}', end='', flush=True)
            store.write_text(json.dumps({'environment': env, 'rows': list(rows.values())}, indent=1))
    if todo: env['load'] = f'{load0:.1f} / {os.getloadavg()[0]:.1f}'
    store.write_text(json.dumps({'environment': env, 'rows': list(rows.values())}, indent=1))
    order = sorted(rows, key=lambda m: ((MODELS + QUICK).index(m.split('@')[0]) if m.split('@')[0] in MODELS + QUICK else 99, m))
    print(write_report([rows[m] for m in order], env, out).read_text())
    if any('error' in rows[m] for m in models): sys.exit(1)


if __name__ == '__main__':
    main()

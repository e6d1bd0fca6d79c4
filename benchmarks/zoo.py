"""The torchvision zoo of torch-pruning's example, pruned by torch-pruning and by fasterprune (issue 11).

The models are those of torch-pruning's `examples/torchvision_models/torchvision_pruning.py` (75 it
prunes, and the 8 it lists as failures: RAFT, Swin, ShuffleNet), all built with `weights=None` (nothing is
downloaded), with that example's inputs, model options and ignored layers (the classifier with 1000
outputs, the detection heads). Both tools remove 30 % of the channels of every group (local), scored by
the L1 norm of the filters:

- torch-pruning: `MetaPruner(model, x, MagnitudeImportance(p=1), pruning_ratio=0.3, ignored_layers=...)`,
  ViT heads as `num_heads`, `step()`, then `model.hidden_dim` set like its example does;
- fasterprune: `Pruner(model, x, 'large_final', 'local', ignore=..., round_to=1).prune(0.3)` (exact channel counts, as
  torch-pruning's default keeps: the comparison is of the same cut; fasterprune's own default rounds to multiples).

Each (model, tool) runs in its own process with a time limit (`--timeout`), so a hang or a crash is
one failed row. A model is "ok" when the pruning call returned and the pruned model ran the inputs.
Results are written after every model to ZOO.md and ZOO.json (default: benchmarks/results/), and a
second run skips the models already there (`--fresh` to start over), so a long run can be resumed.

Run from the repository root:  python benchmarks/zoo.py [--quick] [--only NAME ...] [--timeout S] [--out DIR]

`--source timm` (issue 25) takes timm's models instead (`timm.list_models()`, or `--only` / `--match PATTERN`),
built with `pretrained=False` and 10 classes, on small inputs (`--side`, 64 px by default), each model in its own
process with all its measurements, resumable like the torchvision zoo (ZOO-timm.md / ZOO-timm.json):

- torch-pruning 1.6: `MetaPruner(..., pruning_ratio=0.3)` (L1, local, the classifier ignored, timm attention
  heads as `num_heads`), `step()`: ok when the pruned model runs and its outputs are finite;
- fasterprune ratio: `Pruner(model, x, round_to=1).prune(0.3)`, ok the same way (exact counts, as torch-pruning);
- fasterprune budget: `Pruner(model, x, round_to=1).prune(macs=0.5)`: the MACs kept (counted again on the pruned model),
  the channel ratio it found and the time of both calls (tracing included);
- fasterprune budget unchecked: the same with `verify=False` (the equivalence check each prune makes by default), timed;
- torch-pruning at that ratio: `MetaPruner` made and stepped at the ratio fasterprune found, timed the same way,
  so the two times compare the same cut. The timed parts run `--repeats` times (3) on fresh copies: the shortest counts.

`python benchmarks/zoo.py --source timm --quick` runs 3 small models at 32 px (under a minute);
`python benchmarks/zoo.py --source timm --sample --timeout 300` the 55 small models of TIMM_SAMPLE at 64 px (an hour);
`python benchmarks/zoo.py --source timm --timeout 300 --only resnet34 --rerun` measures resnet34 again, its row replaced in the table;
`python benchmarks/zoo.py --source timm --timeout 600` all of timm's models (about 1,400; days on 2 cores, resumable).
"""
from __future__ import annotations
import argparse, json, os, platform, subprocess, sys, time, warnings
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / 'results'
RATIO = 0.3

DETECTION = ['ssdlite320_mobilenet_v3_large', 'ssd300_vgg16', 'fasterrcnn_resnet50_fpn', 'fasterrcnn_resnet50_fpn_v2',
             'fasterrcnn_mobilenet_v3_large_320_fpn', 'fasterrcnn_mobilenet_v3_large_fpn', 'fcos_resnet50_fpn',
             'keypointrcnn_resnet50_fpn']
CLASSIFICATION = [
    'alexnet', 'vit_b_16', 'vit_b_32', 'vit_l_16', 'vit_l_32', 'vit_h_14',
    'convnext_tiny', 'convnext_small', 'convnext_base', 'convnext_large',
    'densenet121', 'densenet169', 'densenet201', 'densenet161',
    *[f'efficientnet_b{i}' for i in range(8)], 'efficientnet_v2_s', 'efficientnet_v2_m', 'efficientnet_v2_l',
    'googlenet', 'inception_v3', 'mnasnet0_5', 'mnasnet0_75', 'mnasnet1_0', 'mnasnet1_3',
    'mobilenet_v2', 'mobilenet_v3_large', 'mobilenet_v3_small',
    *[f'regnet_y_{s}' for s in ('400mf', '800mf', '1_6gf', '3_2gf', '8gf', '16gf', '32gf', '128gf')],
    'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'resnext50_32x4d', 'resnext101_32x8d',
    'wide_resnet50_2', 'wide_resnet101_2']
SEGMENTATION = ['fcn_resnet50', 'fcn_resnet101', 'deeplabv3_resnet50', 'deeplabv3_resnet101',
                'deeplabv3_mobilenet_v3_large', 'lraspp_mobilenet_v3_large']
VGG = ['squeezenet1_0', 'squeezenet1_1', 'vgg11', 'vgg13', 'vgg16', 'vgg19', 'vgg11_bn', 'vgg13_bn', 'vgg16_bn', 'vgg19_bn']
PRUNED_BY_TP = DETECTION + CLASSIFICATION + SEGMENTATION + VGG            # the 75 its example prunes
FAILING_IN_TP = ['raft_large', 'swin_t', 'swin_s', 'swin_b',
                 'shufflenet_v2_x0_5', 'shufflenet_v2_x1_0', 'shufflenet_v2_x1_5', 'shufflenet_v2_x2_0']
QUICK = ['resnet18', 'mobilenet_v3_small', 'ssdlite320_mobilenet_v3_large']
TIMM_QUICK = ['resnet10t', 'mobilenetv3_small_050', 'ghostnet_050']
TIMM_SAMPLE = '''resnet10t resnet14t resnet18 resnet18d resnet26 resnet34 resnet50 resnext26ts regnetx_002 regnetx_004 regnety_002
regnety_004 mobilenetv2_035 mobilenetv2_050 mobilenetv2_100 mobilenetv3_small_050 mobilenetv3_small_075 mobilenetv3_small_100
mobilenetv3_large_075 mobilenetv3_large_100 tf_mobilenetv3_small_075 mnasnet_050 mnasnet_100 spnasnet_100 fbnetc_100
efficientnet_b0 efficientnet_lite0 tinynet_e tinynet_d lcnet_050 lcnet_100 ghostnet_050 ghostnet_100 ghostnetv2_100
hardcorenas_a mixnet_s semnasnet_050 dla34 densenet121 convnext_atto convnext_femto edgenext_xx_small mobilevit_xxs
vit_tiny_patch16_224 deit_tiny_patch16_224 efficientvit_b0 rexnet_100 mobileone_s0 fastvit_t8 hgnetv2_b0 ese_vovnet19b_slim
selecsls42b dla46_c repvgg_a0 cspresnet50'''.split()   # 55 small models of many families: an hour on 2 cores
BUDGET = 0.5                                     # the MACs kept by the timm zoo's budget


def build(name: str, quick: bool):
    "`(model, inputs for torch-pruning, inputs for fasterprune, ignored modules, output transform)` as in torch-pruning's example."
    import torch, torch.nn as nn, torchvision
    kw = {'weights': None}
    if 'googlenet' in name or 'inception' in name: kw['aux_logits'] = False
    if 'fcn' in name or 'deeplabv3' in name: kw['aux_loss'] = None
    if 'rcnn' in name or 'fcos' in name: kw.update(weights_backbone=None, trainable_backbone_layers=5)
    if 'ssd' in name or 'lraspp' in name or 'deeplabv3' in name or 'fcn' in name: kw['weights_backbone'] = None
    model = torchvision.models.get_model(name, **kw).eval()
    side = 64 if quick else (299 if 'inception' in name else 224)
    if 'raft' in name:
        x = {'image1': torch.randn(1, 3, side, side), 'image2': torch.randn(1, 3, side, side)}
        tp_x, fp_x = x, x
    elif 'fasterrcnn' in name:
        imgs = [torch.rand(3, 300, 400), torch.rand(3, 500, 400)]
        tp_x, fp_x = imgs, (imgs,)                    # fasterprune passes a tuple as the model's arguments
    else:
        tp_x = fp_x = torch.randn(1, 3, side, side)
    ignored = [m for m in model.modules() if isinstance(m, nn.Linear) and m.out_features == 1000]
    if 'ssd' in name: ignored.append(model.head)
    if name == 'raft_large': ignored += [model.corr_block, model.update_block, model.mask_predictor]
    if 'fasterrcnn' in name: ignored += [model.rpn.head.cls_logits, model.rpn.head.bbox_pred, model.backbone.fpn, model.roi_heads]
    if name == 'fcos_resnet50_fpn':
        ignored += [model.head.classification_head.cls_logits, model.head.regression_head.bbox_reg,
                    model.head.regression_head.bbox_ctrness]
    if name == 'keypointrcnn_resnet50_fpn':
        ignored += [model.rpn.head.cls_logits, model.backbone.fpn.layer_blocks, model.rpn.head.bbox_pred,
                    model.roi_heads.box_head, model.roi_heads.box_predictor, model.roi_heads.keypoint_predictor]
    out = (lambda y: y['out']) if ('fcn' in name or 'deeplabv3' in name) else None
    return model, tp_x, fp_x, ignored, out


def run_one(name: str, tool: str, quick: bool) -> dict:
    "Prune one model with one tool; the row of the table."
    import torch, torch_pruning as tp
    from torchvision.models.vision_transformer import VisionTransformer
    warnings.filterwarnings('ignore')
    torch.manual_seed(0)
    model, tp_x, fp_x, ignored, _ = build(name, quick)
    before = sum(p.numel() for p in model.parameters())
    t = time.perf_counter()
    if tool == 'tp':
        for p in model.parameters(): p.requires_grad_(True)
        heads = {m: m.num_heads for m in model.modules() if isinstance(m, torch.nn.MultiheadAttention)}
        pruner = tp.pruner.MetaPruner(model, tp_x, importance=tp.importance.MagnitudeImportance(p=1), pruning_ratio=RATIO,
                                      global_pruning=False, ignored_layers=ignored, num_heads=heads)
        pruner.step()
        if isinstance(model, VisionTransformer): model.hidden_dim = model.conv_proj.out_channels
        with torch.no_grad(): model(**tp_x) if isinstance(tp_x, dict) else model(tp_x)
    else:
        from fasterprune.prune.pruner import Pruner
        from fasterprune.core.batch import call_model
        Pruner(model, fp_x, 'large_final', 'local', ignore=ignored, round_to=1).prune(RATIO)
        with torch.no_grad(): call_model(model, fp_x)
    return {'params_before': before, 'params_after': sum(p.numel() for p in model.parameters()),
            'seconds': round(time.perf_counter() - t, 1)}


def build_timm(name: str, side: int):
    "`(model, inputs)`: the timm model with 10 classes, no pretrained weights, sized for `side`-pixel inputs where it takes a size."
    import torch, timm
    try: model = timm.create_model(name, pretrained=False, num_classes=10, img_size=side)
    except TypeError: model = timm.create_model(name, pretrained=False, num_classes=10)
    return model.eval(), torch.randn(1, 3, side, side)

def _tp_timm(model, x, ratio: float) -> None:
    "torch-pruning's MetaPruner at `ratio` (L1, local), the classifier ignored and timm attention heads declared, one step."
    import torch, torch_pruning as tp
    for p in model.parameters(): p.requires_grad_(True)
    head = model.get_classifier() if hasattr(model, 'get_classifier') else None
    heads = {m.qkv: m.num_heads for m in model.modules()
             if isinstance(getattr(m, 'qkv', None), torch.nn.Linear) and isinstance(getattr(m, 'num_heads', None), int)}
    tp.pruner.MetaPruner(model, x, importance=tp.importance.MagnitudeImportance(p=1), pruning_ratio=ratio,
                         global_pruning=False, ignored_layers=[head] if isinstance(head, torch.nn.Module) else [],
                         num_heads=heads).step()

def _finite(model, x) -> bool:
    import torch
    with torch.no_grad(): y = model(x)
    return bool(torch.isfinite(y).all())

def run_timm(name: str, side: int, repeats: int = 3):
    """Every measurement of one timm model, each printed as one JSON line as soon as it is done (a timeout keeps the rest).
    The budget and torch-pruning at the ratio it found are timed `repeats` times each, on fresh copies: the shortest."""
    import copy, torch
    from fasterprune.prune.pruner import Pruner
    from fasterprune.core.budget import count_macs_params
    warnings.filterwarnings('ignore')
    torch.manual_seed(0)
    dense, x = build_timm(name, side)
    row = {'params_before': sum(p.numel() for p in dense.parameters()), 'macs_before': count_macs_params(dense, x)['macs']}
    def part(key, prune, repeats=1, after=None):
        "`prune(model)` on `repeats` fresh copies, timed alone: the first copy's result (checked after the timing), the shortest time."
        times, first = [], None
        try:
            for _ in range(repeats):
                model = copy.deepcopy(dense)
                t = time.perf_counter()
                try: out = prune(model)
                finally: times.append(time.perf_counter() - t)      # a failure's time too
                if first is None: first = model, out or {}
            model, out = first
            row[key] = {'ok': _finite(model, x), 'seconds': round(min(times), 3), **out, **(after(model) if after else {})}
            if not row[key]['ok']: row[key]['error'] = 'outputs not finite'
        except Exception as e:
            row[key] = {'ok': False, 'seconds': round(sum(times), 3),
                        'error': f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]}
        print(json.dumps(row), flush=True)
    part('fp', lambda m: Pruner(m, x, round_to=1).prune(RATIO) and None)   # fasterprune first: torch-pruning hangs on some (rexnet_100)
    kept = lambda m: {'macs_kept': count_macs_params(m, x)['macs'] / row['macs_before']}
    part('fp_macs', lambda m: {'ratio': round(float(Pruner(m, x, round_to=1).prune(macs=BUDGET).ratio), 4)}, repeats, kept)
    part('fp_macs_unchecked', lambda m: Pruner(m, x, round_to=1, verify=False).prune(macs=BUDGET) and None, repeats)
    part('tp', lambda m: _tp_timm(m, x, RATIO))
    if row['fp_macs']['ok']: part('tp_at_ratio', lambda m: _tp_timm(m, x, row['fp_macs']['ratio']), repeats)


def run_isolated(name: str, tool: str, quick: bool, timeout: float, max_gb: float) -> dict:
    "`run_one` in its own process: a hang or a crash is a failed row, not a failed benchmark."
    cmd = [sys.executable, __file__, '--worker', name, tool, '--max-gb', str(max_gb)] + (['--quick'] if quick else [])
    t = time.perf_counter()
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {'ok': False, 'error': f'no result after {timeout:.0f} s', 'seconds': round(time.perf_counter() - t, 1)}
    lines = [l for l in res.stdout.splitlines() if l.startswith('{')]
    if res.returncode == 0 and lines: return {'ok': True, **json.loads(lines[-1])}
    err = [l for l in (res.stdout + res.stderr).strip().splitlines() if l.strip()]
    return {'ok': False, 'error': (err[-1] if err else f'exit code {res.returncode}')[:300],
            'seconds': round(time.perf_counter() - t, 1)}


def run_timm_isolated(name: str, side: int, timeout: float, max_gb: float, repeats: int = 3) -> dict:
    "`run_timm` in its own process; the parts done before a crash or a timeout are kept, the rest marked failed."
    cmd = [sys.executable, __file__, '--source', 'timm', '--side', str(side), '--worker', name, 'timm', '--max-gb', str(max_gb),
           '--repeats', str(repeats)]
    t = time.perf_counter()
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        out, why = res.stdout, None
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or '')
        why = f'no result after {timeout:.0f} s'
    lines = [l for l in out.splitlines() if l.startswith('{')]
    row = json.loads(lines[-1]) if lines else {}
    if why is None and res.returncode != 0:
        err = [l for l in (res.stdout + res.stderr).strip().splitlines() if l.strip() and not l.startswith('{')]
        why = (err[-1] if err else f'exit code {res.returncode}')[:300]
    for key in TIMM_PARTS:
        if key not in row and (key != 'tp_at_ratio' or row.get('fp_macs', {}).get('ok', True)):
            row[key] = {'ok': False, 'error': why or 'not run', 'seconds': round(time.perf_counter() - t, 1)}
    return row

TIMM_PARTS = ('tp', 'fp', 'fp_macs', 'fp_macs_unchecked', 'tp_at_ratio')

def timm_table(rows: dict, names: list[str]) -> str:
    out = ['| model | params | MACs | torch-pruning 30 % | fasterprune 30 % | macs=0.5: MACs kept | ratio | fasterprune s | '
           'torch-pruning s at that ratio | fp / tp | fp / tp without the check |', '|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|']
    status = lambda r: 'ok' if r.get('ok') else f"failed: {r.get('error', '').replace('|', '/')[:100]}"
    for n in names:
        if n not in rows: continue
        r = rows[n]
        b, t = r.get('fp_macs', {}), r.get('tp_at_ratio', {})
        kept = f"{b['macs_kept']:.4f}" if b.get('ok') else status(b)
        ratio = f"{b['ratio']:.3f}" if b.get('ok') else ''
        u = r.get('fp_macs_unchecked', {})
        if b.get('ok') and t.get('ok'):
            unchecked = f"{u['seconds'] / t['seconds']:.2f}" if u.get('ok') else ''
            times = f"{b['seconds']} | {t['seconds']} | {b['seconds'] / t['seconds']:.2f} | {unchecked}"
        else: times = f"{b.get('seconds', '')} | {status(t) if b.get('ok') else ''} | | "
        out.append(f"| {n} | {_p(r.get('params_before'))} | {_p(r.get('macs_before'))} | {status(r.get('tp', {}))} | "
                   f"{status(r.get('fp', {}))} | {kept} | {ratio} | {times} |")
    return '\n'.join(out)

def timm_summary(rows: dict) -> str:
    ok = lambda n, k: rows[n].get(k, {}).get('ok', False)
    tp_ok = [n for n in rows if ok(n, 'tp')]
    fp_ok, budget_ok = [n for n in tp_ok if ok(n, 'fp')], [n for n in tp_ok if ok(n, 'fp_macs')]
    near = [n for n in budget_ok if 0.99 * BUDGET <= rows[n]['fp_macs']['macs_kept'] <= BUDGET + 1e-9]
    timed = [n for n in rows if ok(n, 'fp_macs') and ok(n, 'tp_at_ratio')]
    ratios = sorted(rows[n]['fp_macs']['seconds'] / rows[n]['tp_at_ratio']['seconds'] for n in timed)
    unchecked = sorted(rows[n]['fp_macs_unchecked']['seconds'] / rows[n]['tp_at_ratio']['seconds'] for n in timed
                       if ok(n, 'fp_macs_unchecked'))
    lines = [f"{len(rows)} models run; torch-pruning prunes {len(tp_ok)} at 30 %. Of those, fasterprune prunes {len(fp_ok)} "
             f"with the ratio and {len(budget_ok)} with macs={BUDGET} ({len(near)} within 1 % below the budget: "
             f"MACs kept in [{0.99 * BUDGET:.3f}, {BUDGET}]).",
             f"All models: fasterprune ratio ok {sum(ok(n, 'fp') for n in rows)}, budget ok {sum(ok(n, 'fp_macs') for n in rows)}."]
    if ratios:
        lines.append(f"Time of the budget (Pruner + prune(macs={BUDGET})) / torch-pruning at the ratio found, {len(ratios)} models: "
                     f"median {ratios[len(ratios) // 2]:.2f}, max {ratios[-1]:.2f} ({sum(r <= 2 for r in ratios)} at most 2x).")
    if unchecked:
        lines.append(f"The same without the equivalence check (verify=False), {len(unchecked)} models: median "
                     f"{unchecked[len(unchecked) // 2]:.2f}, max {unchecked[-1]:.2f} ({sum(r <= 2 for r in unchecked)} at most 2x).")
    for what, names in (('Pruned by torch-pruning, not by fasterprune (ratio)', [n for n in tp_ok if not ok(n, 'fp')]),
                        ('Pruned by torch-pruning, not by fasterprune (budget)', [n for n in tp_ok if not ok(n, 'fp_macs')]),
                        ('Budget off by more than 1 %', [n for n in budget_ok if n not in near]),
                        ('Pruned by fasterprune, not by torch-pruning', [n for n in rows if ok(n, 'fp') and not ok(n, 'tp')])):
        if names: lines.append(f"{what}: {', '.join(names)}.")
    return '\n'.join(lines)


def _p(n) -> str: return f'{n / 1e6:.2f}M' if n else ''

def table(rows: dict, names: list[str]) -> str:
    head = ('| model | params | torch-pruning after | fasterprune after | torch-pruning | fasterprune | tp s | fp s |\n'
            '|---|---:|---:|---:|---|---|---:|---:|')
    out = [head]
    for n in names:
        if n not in rows: continue
        a, b = rows[n]['tp'], rows[n]['fp']
        status = lambda r: 'ok' if r['ok'] else f"failed: {r['error'].replace('|', '/')[:120]}"
        out.append(f"| {n} | {_p(a.get('params_before') or b.get('params_before'))} | {_p(a.get('params_after'))} | "
                   f"{_p(b.get('params_after'))} | {status(a)} | {status(b)} | {a['seconds']} | {b['seconds']} |")
    return '\n'.join(out)

def summary(rows: dict) -> str:
    tp_ok = [n for n, r in rows.items() if r['tp']['ok']]
    fp_ok = [n for n in tp_ok if rows[n]['fp']['ok']]
    same = [n for n in fp_ok if rows[n]['fp']['params_after'] == rows[n]['tp']['params_after']]
    lines = [f"fasterprune prunes {len(fp_ok)} of the {len(tp_ok)} models torch-pruning prunes "
             f"({len(same)} to the same parameter count); {len(rows)} models run."]
    missed = [n for n in tp_ok if n not in fp_ok]
    if missed: lines.append(f"Pruned by torch-pruning, not by fasterprune: {', '.join(missed)}.")
    extra = [n for n, r in rows.items() if r['fp']['ok'] and not r['tp']['ok']]
    if extra: lines.append(f"Pruned by fasterprune, not by torch-pruning: {', '.join(extra)}.")
    return '\n'.join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--quick', action='store_true', help=f"only {', '.join(QUICK)}, on 64x64 inputs")
    ap.add_argument('--only', nargs='+', help='these models only')
    ap.add_argument('--timeout', type=float, default=1800, help='seconds per model and tool')
    ap.add_argument('--out', type=Path, default=RESULTS)
    ap.add_argument('--max-gb', type=float, default=12, help='address space of one model and tool, in GiB')
    ap.add_argument('--fresh', action='store_true', help='ignore the results of an earlier run')
    ap.add_argument('--source', choices=('torchvision', 'timm'), default='torchvision', help="the models' library")
    ap.add_argument('--side', type=int, help='timm: input side in pixels (default 64, 32 with --quick)')
    ap.add_argument('--match', help="timm: only the models timm.list_models(PATTERN) names, e.g. 'resnet*'")
    ap.add_argument('--sample', action='store_true', help=f'timm: the {len(TIMM_SAMPLE)} small models of TIMM_SAMPLE')
    ap.add_argument('--repeats', type=int, default=3, help='timm: time the budget and torch-pruning at its ratio this many times each: the shortest')
    ap.add_argument('--rerun', action='store_true', help='timm: measure the --only models again, replacing their rows (the others stay)')
    ap.add_argument('--worker', nargs=2, metavar=('MODEL', 'TOOL'), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        import resource
        cap = int(a.max_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))          # a model too large for the machine fails alone
        if a.source == 'timm': run_timm(a.worker[0], a.side, a.repeats); return
        print(json.dumps(run_one(*a.worker, a.quick))); return
    if a.source == 'timm': return main_timm(a, argv)
    names = a.only or (QUICK if a.quick else PRUNED_BY_TP + FAILING_IN_TP)
    a.out.mkdir(parents=True, exist_ok=True)
    js = a.out / 'ZOO.json'
    rows = {} if a.fresh or a.quick or not js.exists() else json.loads(js.read_text())['rows']
    import torch, torchvision, fasterprune
    from importlib.metadata import version
    header = (f"# The torchvision zoo: torch-pruning {version('torch-pruning')} and fasterprune {fasterprune.__version__}\n\n"
              f"torch {torch.__version__}, torchvision {torchvision.__version__}, python {platform.python_version()}, "
              f"{os.cpu_count()} CPUs, {'64x64 inputs (quick)' if a.quick else 'the example inputs'}; ratio {RATIO}, local, L1; "
              f"timeout {a.timeout:.0f} s per model and tool.\n`python benchmarks/zoo.py {' '.join(argv if argv is not None else sys.argv[1:])}`\n")
    for n in names:
        if n in rows: continue
        rows[n] = {tool: run_isolated(n, tool, a.quick, a.timeout, a.max_gb) for tool in ('tp', 'fp')}
        print(table(rows, [n]).splitlines()[-1], flush=True)
        order = [m for m in PRUNED_BY_TP + FAILING_IN_TP if m in rows] + [m for m in rows if m not in PRUNED_BY_TP + FAILING_IN_TP]
        (a.out / 'ZOO.md').write_text(f"{header}\n## Summary\n\n{summary(rows)}\n\n## Models\n\n{table(rows, order)}\n")
        js.write_text(json.dumps({'rows': rows}, indent=1))
    print(summary(rows))


def main_timm(a, argv) -> None:
    "The timm zoo: one process per model, the report rewritten after each."
    import torch, timm, torch_pruning, fasterprune
    side = a.side or (32 if a.quick else 64)
    names = a.only or (TIMM_QUICK if a.quick else TIMM_SAMPLE if a.sample else timm.list_models(a.match or ''))
    a.out.mkdir(parents=True, exist_ok=True)
    js, md = a.out / 'ZOO-timm.json', a.out / 'ZOO-timm.md'
    rows = {} if a.fresh or a.quick or not js.exists() else json.loads(js.read_text())['rows']
    if a.rerun and not a.only: raise SystemExit('--rerun measures the models named by --only again; name them')
    command = f"`python benchmarks/zoo.py {' '.join(argv if argv is not None else sys.argv[1:])}`"
    if rows and md.exists():                       # rows of earlier runs stay: so do the commands that measured them
        earlier = [l for l in md.read_text().splitlines() if l.startswith('`python benchmarks/zoo.py')]
        command = ', then '.join(dict.fromkeys([*(c for l in earlier for c in l.split(', then ')), command]))
    header = (f"# The timm zoo: torch-pruning {torch_pruning.__version__} and fasterprune {fasterprune.__version__}\n\n"
              f"timm {timm.__version__}, torch {torch.__version__}, python {platform.python_version()}, {os.cpu_count()} CPUs, "
              f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; pretrained=False, 10 classes, {side}x{side} inputs, "
              f"batch 1; ratio {RATIO} (local, L1) and macs={BUDGET}; timeout {a.timeout:.0f} s per model.\n"
              f"{command}\n\n"
              f"Times are wall-clock seconds of making the pruner and pruning (tracing included), the shortest of "
              f"{a.repeats} runs on fresh copies (rows measured before 2026-12-08: of one run, with a forward pass), on a shared "
              f"machine: compare them within a row. fasterprune checks each prune (the pruned model must equal the original "
              f"with the removed channels masked: `verify=True`, its default); the last column times it without.\n")
    def write():
        md.write_text(f"{header}\n## Summary\n\n{timm_summary(rows)}\n\n## Models\n\n{timm_table(rows, list(rows))}\n")
        js.write_text(json.dumps({'rows': rows}, indent=1))
    for n in names:
        if n in rows and not a.rerun: continue          # a row re-measured keeps its place in the table
        rows[n] = run_timm_isolated(n, side, a.timeout, a.max_gb, a.repeats)
        print(timm_table(rows, [n]).splitlines()[-1], flush=True)
        write()
    write()                                        # also a run with nothing left to measure: the report in today's words
    print(timm_summary(rows))


if __name__ == '__main__':
    main()

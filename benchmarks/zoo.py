"""The torchvision zoo of torch-pruning's example, pruned by torch-pruning and by fasterprune (issue 11).

The models are those of torch-pruning's `examples/torchvision_models/torchvision_pruning.py` (75 it
prunes, and the 8 it lists as failures: RAFT, Swin, ShuffleNet), all built with `weights=None` (nothing is
downloaded), with that example's inputs, model options and ignored layers (the classifier with 1000
outputs, the detection heads). Both tools remove 30 % of the channels of every group (local), scored by
the L1 norm of the filters:

- torch-pruning: `MetaPruner(model, x, MagnitudeImportance(p=1), pruning_ratio=0.3, ignored_layers=...)`,
  ViT heads as `num_heads`, `step()`, then `model.hidden_dim` set like its example does;
- fasterprune: `Pruner(model, x, 'large_final', 'local', ignore=...).prune(0.3)`.

Each (model, tool) runs in its own process with a time limit (`--timeout`), so a hang or a crash is
one failed row. A model is "ok" when the pruning call returned and the pruned model ran the inputs.
Results are written after every model to ZOO.md and ZOO.json (default: benchmarks/results/), and a
second run skips the models already there (`--fresh` to start over), so a long run can be resumed.

Run from the repository root:  python benchmarks/zoo.py [--quick] [--only NAME ...] [--timeout S] [--out DIR]
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
        Pruner(model, fp_x, 'large_final', 'local', ignore=ignored).prune(RATIO)
        with torch.no_grad(): call_model(model, fp_x)
    return {'params_before': before, 'params_after': sum(p.numel() for p in model.parameters()),
            'seconds': round(time.perf_counter() - t, 1)}


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
    ap.add_argument('--worker', nargs=2, metavar=('MODEL', 'TOOL'), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        import resource
        cap = int(a.max_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))          # a model too large for the machine fails alone
        print(json.dumps(run_one(*a.worker, a.quick))); return
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


if __name__ == '__main__':
    main()

"""Isomorphic against plain global ranking (issue 27), on timm's ConvNeXt and ViT.

In global context every unit competes with every other; groups of different structure score on
different scales, so a ratio can fall almost entirely on one kind of group. Isomorphic ranking
(Torch-Pruning >= 1.5, Fang et al., ECCV 2024; `Pruner(..., context='global', isomorphic=True)`) ranks
each class of groups of the same structure on its own, each class losing the ratio. For each model and
each ranking, at the same channel ratio (L1 norm of the filters, `large_final`; exact channel counts,
`round_to=None`, as Torch-Pruning's default), this reports:

- the MACs and parameters kept (one 32x32 sample), and the time of the prune;
- the widths per block: the stream (ConvNeXt: each stage's channels; ViT: the embedding dim) and the
  MLP hidden width of every block;
- without `--quick`: top-1 accuracy on scikit-learn's digits at 32x32 (3 channels): the model trained
  from scratch for `--epochs`, then pruned each way from the same weights and fine-tuned for
  `--tune` epochs (one seed; a small-data check that the pruned models still learn, not a ranking of
  the two methods).

Models: `convnext_atto` and `vit_tiny_patch16_224` (patch 4 at 32x32: 64 tokens), built with
`pretrained=False` (nothing is downloaded). timm 1.0.31's attention reshapes by `attn_dim`, which
fasterprune does not update yet (issue 25), so the ViT's `qkv` layers are left alone (`ignore=`): the
attention keeps its width, the embedding dim and the MLPs are pruned.

Run from the repository root:  python benchmarks/isomorphic.py [--quick] [--ratio R] [--epochs N] [--tune N] [--out DIR]
`--quick` (seconds): convnext_atto only, no training, printed only. Otherwise the table is written to
ISOMORPHIC.md and ISOMORPHIC.json in `--out` (default: benchmarks/results/).
"""
from __future__ import annotations
import argparse, copy, json, os, platform, sys, time, warnings
from pathlib import Path

os.environ.setdefault('OMP_NUM_THREADS', '1')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
RESULTS = Path(__file__).resolve().parent / 'results'

import torch
import torch.nn as nn


def make(name: str) -> tuple[nn.Module, dict]:
    "The timm model `name` for 10 classes at 32x32, and the Pruner options it needs."
    import timm
    if name.startswith('vit'):
        m = timm.create_model(name, pretrained=False, num_classes=10, img_size=32, patch_size=4)
        return m, {'ignore': [f'blocks.{i}.attn.qkv' for i in range(len(m.blocks))]}
    return timm.create_model(name, pretrained=False, num_classes=10), {}


def widths(m: nn.Module) -> dict:
    "The stream's widths and each block's MLP hidden width."
    hidden = lambda b: b.mlp.fc1.weight.shape[0]          # a Linear, or a 1x1 conv (convnext_atto's conv_mlp)
    if hasattr(m, 'stages'):    # ConvNeXt
        return {'stream': [s.blocks[0].conv_dw.out_channels for s in m.stages],
                'mlp': [hidden(b) for s in m.stages for b in s.blocks]}
    return {'stream': [m.pos_embed.shape[-1]], 'mlp': [hidden(b) for b in m.blocks]}


def fit(model: nn.Module, dls, epochs: int, lr: float) -> float:
    "Train `model` on `dls` for `epochs` (one cycle, AdamW) and return the validation accuracy."
    from fastai.learner import Learner
    from fastai.metrics import accuracy
    import fastai.callback.schedule  # noqa: F401  (fit_one_cycle)
    learn = Learner(dls, model, metrics=accuracy)
    with learn.no_bar(), learn.no_logging():
        learn.fit_one_cycle(epochs, lr)
        return float(learn.validate()[1])


def run(name: str, ratio: float, epochs: int, tune: int, lr: float) -> list[dict]:
    from fasterprune.prune.pruner import Pruner
    from fasterprune.core.budget import count_macs_params
    torch.manual_seed(0)
    model, opts = make(name)
    x = torch.randn(1, 3, 32, 32)
    dls = None
    if epochs:
        from fasterprune.data import digits_dls
        dls = digits_dls(size=32, channels=3)
        base_acc = fit(model, dls, epochs, lr)
    base = count_macs_params(model, x)
    rows = [{'model': name, 'ranking': 'unpruned', 'ratio': 0., 'macs': 1., 'params': 1., 'time_s': 0.,
             **widths(model), **({'acc': base_acc} if epochs else {})}]
    for iso in (False, True):
        m = copy.deepcopy(model)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            t = time.perf_counter()
            Pruner(m, x, context='global', isomorphic=iso, round_to=None, **opts).prune(ratio)
            dt = time.perf_counter() - t
        c = count_macs_params(m, x)
        row = {'model': name, 'ranking': 'isomorphic' if iso else 'global', 'ratio': ratio,
               'macs': c['macs'] / base['macs'], 'params': c['params'] / base['params'], 'time_s': dt, **widths(m)}
        if epochs: row['acc'] = fit(m, dls, tune, lr / 3) if tune else None
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    acc = any('acc' in r for r in rows)
    head = '| model | ranking | MACs kept | params kept | prune s | stream | MLP hidden per block |' + (' top-1 |' if acc else '')
    lines = [head, '|' + '---|' * (head.count('|') - 1)]
    for r in rows:
        line = (f"| {r['model']} | {r['ranking']} | {r['macs']:.1%} | {r['params']:.1%} | {r['time_s']:.1f} | "
                f"{' '.join(map(str, r['stream']))} | {' '.join(map(str, r['mlp']))} |")
        if acc: line += f" {r['acc']:.4f} |" if r.get('acc') is not None else ' |'
        lines.append(line)
    return '\n'.join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--quick', action='store_true', help='convnext_atto only, no training, printed only (seconds)')
    ap.add_argument('--ratio', type=float, default=0.5, help='the channel ratio removed (default 0.5)')
    ap.add_argument('--epochs', type=int, default=3, help='epochs of training before pruning (default 3)')
    ap.add_argument('--tune', type=int, default=1, help='epochs of fine-tuning after pruning (default 1)')
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--out', type=Path, default=RESULTS)
    a = ap.parse_args(argv)
    if not 0 < a.ratio < 1: ap.error(f'--ratio must be in (0, 1), got {a.ratio}')
    if a.epochs < 0 or a.tune < 0: ap.error('--epochs and --tune must be >= 0')
    torch.set_num_threads(int(os.environ['OMP_NUM_THREADS']))
    names = ['convnext_atto'] if a.quick else ['convnext_atto', 'vit_tiny_patch16_224']
    rows = []
    for n in names:
        rows += run(n, a.ratio, 0 if a.quick else a.epochs, a.tune, a.lr)
        print(table(rows), flush=True)
    if a.quick: return rows
    a.out.mkdir(parents=True, exist_ok=True)
    what = (f"Channel ratio {a.ratio} removed in global context, ranked plainly or by isomorphic class; timm "
            f"models at 32x32 (pretrained=False); accuracy on digits at 32x32: {a.epochs} epochs from scratch, then "
            f"{a.tune} of fine-tuning after the prune (one seed). {platform.processor() or platform.machine()}, "
            f"torch {torch.__version__}, {os.environ['OMP_NUM_THREADS']} thread(s).")
    untrained = [r['model'] for r in rows if r['ranking'] == 'unpruned' and r.get('acc', 1) < 0.5]
    if untrained: what += (f" {', '.join(untrained)} did not learn the digits in {a.epochs} epochs from scratch (top-1 below "
                           f"50 %): its accuracy column says nothing about the rankings.")
    (a.out / 'ISOMORPHIC.md').write_text(f"# Isomorphic against plain global ranking\n\n{what}\n\n"
                                         f"Run: `python benchmarks/isomorphic.py`\n\n{table(rows)}\n")
    (a.out / 'ISOMORPHIC.json').write_text(json.dumps(rows, indent=1))
    return rows


if __name__ == '__main__':
    main()

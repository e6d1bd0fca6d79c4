"""Benchmark of issue 3 (part 1): fasterprune's Pruner against torch-pruning used directly.

torchvision resnet18 (weights=None), example input 1x3x64x64, 50 % of the channels of every group
(local), fc left alone, magnitude criterion. Prints:
  - params and MACs before/after for both (they must be equal: same groups, same channel counts);
  - the time to prune (building the dependency graph + pruning) for both;
  - the CPU latency of the pruned and the dense model (batch 32, 64x64, median of 20) and its ratio,
    beside the ratio of MACs.

Run from the repository root:  python benchmarks/prune_resnet18.py [--threads 2] [--repeats 20]
"""
from __future__ import annotations
import argparse, platform, time, warnings

import torch
import torch.nn as nn
import torch_pruning as tp
import torchvision
from torchvision.models import resnet18

warnings.filterwarnings('ignore')
import fasterprune
from fasterprune.prune.pruner import Pruner
from fasterprune.core.criteria import large_final
from fasterprune.core.budget import count_macs_params, measure_latency


def widths(model):
    return [m.out_channels for m in model.modules() if isinstance(m, nn.Conv2d)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--ratio', type=float, default=0.5)
    ap.add_argument('--repeats', type=int, default=20, help='latency: median of this many forward passes')
    ap.add_argument('--batch', type=int, default=32, help='latency batch size')
    ap.add_argument('--threads', type=int, default=None)
    args = ap.parse_args()
    if args.threads: torch.set_num_threads(args.threads)
    print(f"python {platform.python_version()}, torch {torch.__version__}, torchvision {torchvision.__version__}, "
          f"torch-pruning {tp.__version__}, fasterprune {fasterprune.__version__}, threads {torch.get_num_threads()}")
    x = torch.randn(1, 3, 64, 64)

    # torch-pruning directly: MagnitudePruner (BasePruner) with L1 magnitude, local, fc ignored
    torch.manual_seed(0)
    ref = resnet18(weights=None)
    dense = count_macs_params(ref, x)
    t = time.perf_counter()
    p = tp.pruner.MagnitudePruner(ref, x, importance=tp.importance.MagnitudeImportance(p=1),
                                  pruning_ratio=args.ratio, ignored_layers=[ref.fc])
    p.step()
    t_tp = time.perf_counter() - t
    after_tp = count_macs_params(ref, x)

    # fasterprune: Pruner with large_final (|w|), local; fc is found as the output layer
    torch.manual_seed(0)
    model = resnet18(weights=None)
    t = time.perf_counter()
    pr = Pruner(model, x, large_final, 'local', round_to=1)   # exact counts: the cut torch-pruning makes
    t_build = time.perf_counter() - t
    t = time.perf_counter()
    pr.prune(args.ratio)
    t_prune = time.perf_counter() - t
    after = count_macs_params(model, x)

    print(f"\n{'':28}{'params':>14}{'MACs':>16}")
    print(f"{'dense':28}{dense['params']:>14,}{dense['macs']:>16,}")
    print(f"{'torch-pruning directly':28}{after_tp['params']:>14,}{after_tp['macs']:>16,}")
    print(f"{'fasterprune Pruner':28}{after['params']:>14,}{after['macs']:>16,}")
    same = after == after_tp and widths(model) == widths(ref)
    print(f"equal params, MACs and channel counts: {same}")
    print(f"output layer left alone: {list(pr.output_layers)}, fc: {model.fc}")
    print(f"\ntime to prune: torch-pruning {t_tp:.2f} s (graph + step); fasterprune {t_build + t_prune:.2f} s "
          f"(Pruner(...) {t_build:.2f} s: graph, groups, initial MACs count; prune() {t_prune:.2f} s)")

    xb = torch.randn(args.batch, 3, 64, 64)
    lat_dense = measure_latency(resnet18(weights=None), xb, args.repeats)
    lat_pruned = measure_latency(model, xb, args.repeats)
    print(f"\nCPU latency, batch {args.batch} at 64x64, median of {args.repeats}: dense {1e3 * lat_dense:.1f} ms, "
          f"pruned {1e3 * lat_pruned:.1f} ms")
    print(f"latency ratio pruned/dense: {lat_pruned / lat_dense:.3f}   MAC ratio: {after['macs'] / dense['macs']:.3f}   "
          f"params ratio: {after['params'] / dense['params']:.3f}")
    print('PASS' if same else 'FAIL')


if __name__ == '__main__':
    main()

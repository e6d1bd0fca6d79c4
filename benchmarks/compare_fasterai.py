"""fasterprune against fasterai 0.4.1 on the issue-2 setting: same data, model, seed and schedule.

The benchmark CNN on mnist10k, `fit_one_cycle(6, 3e-3)`, bs 128, 90 % global weight sparsity with
large_final and agp, for each library's `SparsifyCallback`; prints the validation accuracy per epoch.
fasterai is an optional peer: `pip install fasterai==0.4.1`.

Run from the repository root:  python benchmarks/compare_fasterai.py [--seeds 42 0] [--threads 1]
"""
import argparse, warnings
import torch
import torch.nn as nn
warnings.filterwarnings('ignore')
from fastai.learner import Learner
from fastai.metrics import accuracy
from fastai.torch_core import set_seed
from fastai.callback.schedule import fit_one_cycle  # noqa: F401  (patches Learner.fit_one_cycle)
import fasterprune.all as fp
from mnist import DEFAULT_DATA, load_mnist, make_dls, make_cnn


def callback(lib: str):
    if lib == 'fasterai':
        import fasterai.sparse.all as fa
        return fa.SparsifyCallback(sparsity=0.9, granularity='weight', context='global', criteria=fa.large_final,
                                   schedule=fa.agp)
    return fp.SparsifyCallback(sparsity=0.9, granularity='weight', context='global', criteria=fp.large_final,
                               schedule=fp.agp, verbose=False)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', default=DEFAULT_DATA)
    p.add_argument('--seeds', type=int, nargs='+', default=[42, 0])
    p.add_argument('--threads', type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    data = load_mnist(args.data)
    print(f'torch threads {args.threads}; accuracy at the end of each epoch')
    for seed in args.seeds:
        for lib in ('fasterprune', 'fasterai'):
            set_seed(seed, reproducible=True)
            learn = Learner(make_dls(data), make_cnn(), loss_func=nn.CrossEntropyLoss(), metrics=accuracy)
            with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(6, 3e-3, cbs=callback(lib))
            accs = [float(v[2]) for v in learn.recorder.values]
            print(f'seed {seed:>3}  {lib:<12} final {accs[-1]:.4f}   per epoch {", ".join(f"{a:.4f}" for a in accs)}',
                  flush=True)


if __name__ == '__main__':
    main()

"""What the MNIST benchmarks share: the data, the benchmark CNN and a residual CNN.

The full runs read mnist10k.npz, which does not ship with the repository: put it at ../shared/data/mnist10k.npz
(a folder `shared/data` beside the checkout) or pass `--data PATH`; without it they stop with that message. The
quick modes (`--quick`, run by the test suite) need no file: they train on scikit-learn's digits at 16 px
(`load_quick_digits`), which install with scikit-learn, so a fresh clone passes its tests.

mnist10k: 10,000 MNIST digits (keys `x`: uint8 10000x28x28, `y`: labels); the first 8,000 train, the last 2,000
validate; scaled to [0, 1] and normalised with the training mean and std. The CNN: three 3x3 convs
(32/64/128 channels, no bias) each with batch norm and ReLU, max-pool after the first two, global
average pool, Linear 128->10: 94,186 parameters. The residual CNN (`--model rescnn` of the per-layer-plan benchmarks):
a stem conv of 32 and max-pool, a residual block of 32, a strided conv to 64, a residual block of 64, average pool, Linear.
"""
import argparse
from pathlib import Path
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from fastai.data.core import DataLoaders
from fastai.data.load import DataLoader

DEFAULT_DATA = Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'mnist10k.npz'


class TensorDL(DataLoader):
    "A fastai DataLoader that slices whole batches out of in-memory tensors (no per-item work)."
    def __init__(self, x, y, **kwargs):
        self.x, self.y = x, y
        super().__init__(dataset=range(len(x)), num_workers=0, **kwargs)
    def create_item(self, i): return i
    def create_batch(self, idxs):
        idx = torch.as_tensor(idxs)
        return self.x[idx], self.y[idx]
    def retain(self, res, b): return res


MISSING_DATA = ("{path} not found. The full benchmarks train on mnist10k.npz (10,000 MNIST digits: keys x, uint8 "
                "10000x28x28, and y, the labels), which does not ship with the repository: put it at " + str(DEFAULT_DATA) +
                " (shared/data beside the checkout) or pass --data PATH. --quick needs no file: it runs on scikit-learn's digits.")


def load_mnist(path: Path = DEFAULT_DATA, n_train: int = 8000):
    "`(x_train, y_train, x_valid, y_valid)`, normalised with the training statistics; a missing file stops with `MISSING_DATA`."
    if not Path(path).exists(): raise SystemExit(MISSING_DATA.format(path=path))
    d = np.load(path)
    x = torch.tensor(d['x'], dtype=torch.float32)[:, None] / 255.   # N x 1 x 28 x 28, in [0, 1]
    y = torch.tensor(d['y'], dtype=torch.long)
    xt, yt, xv, yv = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    mean, std = xt.mean(), xt.std()
    return ((xt - mean) / std).contiguous(), yt, ((xv - mean) / std).contiguous(), yv


def load_quick_digits(size: int = 16):
    """`(x_train, y_train, x_valid, y_valid)` of the quick modes: scikit-learn's 1,797 digits (no download, no file
    beside the checkout) at `size`×`size` px, 1,438 train / 359 valid, normalised with the training statistics."""
    from fasterprune.data import digits_tensors
    (xt, yt), (xv, yv) = digits_tensors(size=size)
    mean, std = xt.mean(), xt.std()
    return ((xt - mean) / std).contiguous(), yt, ((xv - mean) / std).contiguous(), yv


def make_dls(data, bs: int = 128) -> DataLoaders:
    "fastai DataLoaders over the tensors of `load_mnist`."
    xt, yt, xv, yv = data
    return DataLoaders(TensorDL(xt, yt, bs=bs, shuffle=True), TensorDL(xv, yv, bs=bs, shuffle=False))


def block(c_in, c_out, pool):
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()] + \
           ([nn.MaxPool2d(2)] if pool else [])


def make_cnn() -> nn.Sequential:
    "The benchmark CNN (94,186 parameters)."
    return nn.Sequential(*block(1, 32, True), *block(32, 64, True), *block(64, 128, False),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))


class ResBlock(nn.Module):
    "conv-bn-relu-conv-bn added to the input, then relu."
    def __init__(self, c: int):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.conv2, self.bn2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
    def forward(self, x):
        return F.relu(x + self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))


def make_res_cnn() -> nn.Sequential:
    "The residual CNN: stem 32 + max-pool, residual block 32, strided conv to 64, residual block 64, pool, Linear."
    conv_bn = lambda c_in, c_out, stride=1: [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(c_out),
                                             nn.ReLU()]
    return nn.Sequential(*conv_bn(1, 32), nn.MaxPool2d(2), ResBlock(32), *conv_bn(32, 64, stride=2), ResBlock(64),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


MODELS = {'cnn': (make_cnn, 'Benchmark CNN'), 'rescnn': (make_res_cnn, 'Residual CNN')}   # --model: the maker and the name in reports


def add_setup_args(ap, select: int = 2000, unseen_select: bool = False, ft_seeds: int = 4) -> None:
    "The options every per-layer-plan benchmark shares: data, baseline training, calibration, the common fine-tune (`score_plan`), seeds, threads."
    ap.add_argument('--data', type=Path, default=DEFAULT_DATA)
    ap.add_argument('--model', choices=list(MODELS), default='cnn', help='the network pruned: the benchmark CNN or the residual CNN')
    ap.add_argument('--epochs', type=int, default=4, help='epochs to train the baseline')
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--bs', type=int, default=128)
    ap.add_argument('--calib-batches', type=int, default=10)
    ap.add_argument('--select', type=int, default=select, help='the last training digits that plans are chosen on')
    ap.add_argument('--unseen-select', action=argparse.BooleanOptionalAction, default=unseen_select,
                    help='train the baseline without the --select digits, so that plans are chosen on digits it never saw '
                         '(the common fine-tunes still use all training digits)')
    ap.add_argument('--ft-epochs', type=int, default=1)
    ap.add_argument('--ft-lr', type=float, default=1e-3)
    ap.add_argument('--ft-seeds', type=int, default=ft_seeds, help='fine-tune each plan with this many seeds: mean and spread')
    ap.add_argument('--seed', type=int, default=42)
    ap.add_argument('--threads', type=int, default=2)


def setup(script: str, args, argv, fine_tune_epochs: int = 1, fine_tune_lr: float | None = None):
    """Threads, the header and command line, the data (`--quick`: scikit-learn's digits, `load_quick_digits`), the baseline trained once with
    `fit_one_cycle(epochs, lr)` (the same for a seed, run after run), the calibration batches, and two evaluators:
    `choose` (accuracy on the last `--select` training digits, what plans are chosen by; its `fine_tune` is
    `fit_one_cycle(fine_tune_epochs, fine_tune_lr)` on the digits the baseline trained on) and `report` (the validation
    digits, never used to choose)."""
    from types import SimpleNamespace
    import platform, sys, time
    import fastai, fasterprune
    import fastprogress.fastprogress as fp
    from fastai.learner import Learner
    from fastai.metrics import accuracy
    import fastai.callback.schedule  # noqa: F401  (Learner.fit_one_cycle)
    from fastai.torch_core import set_seed
    from fasterprune.analyze.evaluate import learner_evaluator
    from fasterprune.core.budget import count_macs_params
    fp.NO_BAR = True
    torch.set_num_threads(args.threads)
    s = SimpleNamespace(t_start=time.perf_counter())
    s.command = f'python benchmarks/{script} ' + ' '.join(sys.argv[1:] if argv is None else argv)
    s.header = (f"python {platform.python_version()}, torch {torch.__version__}, fastai {fastai.__version__}, "
                f"fasterprune {fasterprune.__version__}, threads {torch.get_num_threads()}, seed {args.seed}")
    print(s.header)
    if args.quick: (xt, yt, xv, yv), s.data_name = load_quick_digits(), "scikit-learn's digits at 16 px, a smoke run"
    else: (xt, yt, xv, yv), s.data_name = load_mnist(args.data), 'mnist10k'
    s.xt, s.yt, s.xv, s.yv = xt, yt, xv, yv
    set_seed(args.seed, reproducible=True)     # before the loaders: their shuffling draws its seed from `random` when they are made
    n_fit = len(xt) - args.select if args.unseen_select else len(xt)      # the digits the baseline trains on
    s.dls = make_dls((xt[:n_fit], yt[:n_fit], xv, yv), args.bs)
    s.x = xt[:8]
    s.calib = [xt[i * args.bs:(i + 1) * args.bs] for i in range(args.calib_batches)]   # the same batches for every plan
    make_model, s.model_name = MODELS[args.model]
    s.learn = Learner(s.dls, make_model(), loss_func=nn.CrossEntropyLoss(), metrics=accuracy)
    with s.learn.no_logging(): s.learn.fit_one_cycle(args.epochs, args.lr)
    s.baseline, s.base_acc = s.learn.model, float(s.learn.validate()[1])
    s.base = count_macs_params(s.baseline, s.x)
    s.select = DataLoaders(s.dls.train, TensorDL(xt[-args.select:], yt[-args.select:], bs=args.bs, shuffle=False))
    s.choose = learner_evaluator(Learner(s.select, s.baseline, loss_func=nn.CrossEntropyLoss(), metrics=accuracy),
                                 epochs=fine_tune_epochs, lr=fine_tune_lr)
    s.report = learner_evaluator(s.learn)
    print(f"baseline: accuracy {s.base_acc:.4f}, {s.base['params']:,} params, {s.base['macs']:,} MACs")
    return s


def score_plan(m: nn.Module, st, args) -> tuple[float, list[float]]:
    """`m`'s validation accuracy after batch norm is re-estimated on the calibration batches ("adaptive BN"), and after
    the same `fit_one_cycle(ft_epochs, ft_lr)` of a copy for each of `ft_seeds` seeds (the loaders are made after the
    seed is set, so that it decides their shuffling too)."""
    from copy import deepcopy
    from fastai.learner import Learner
    from fastai.metrics import accuracy
    from fastai.torch_core import set_seed
    from fasterprune.prune.pruner import recalibrate_bn
    recalibrate_bn(m, st.calib)
    adaptive, tuned = st.report(m), []
    for s in range(args.ft_seeds):
        set_seed(args.seed + s, reproducible=True)
        ft = Learner(make_dls((st.xt, st.yt, st.xv, st.yv), args.bs), deepcopy(m), loss_func=nn.CrossEntropyLoss(),
                     metrics=accuracy)
        with ft.no_logging(): ft.fit_one_cycle(args.ft_epochs, args.ft_lr)
        tuned.append(float(ft.validate()[1]))
    return adaptive, tuned

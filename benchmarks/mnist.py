"""What the MNIST benchmarks share: the data (../shared/data/mnist10k.npz) and the benchmark CNN.

10,000 MNIST digits (keys `x`: uint8 10000x28x28, `y`: labels); the first 8,000 train, the last 2,000
validate; scaled to [0, 1] and normalised with the training mean and std. The CNN: three 3x3 convs
(32/64/128 channels, no bias) each with batch norm and ReLU, max-pool after the first two, global
average pool, Linear 128->10: 94,186 parameters.
"""
from pathlib import Path
import numpy as np
import torch
import torch.nn as nn
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


def load_mnist(path: Path = DEFAULT_DATA, n_train: int = 8000):
    "`(x_train, y_train, x_valid, y_valid)`, normalised with the training statistics."
    d = np.load(path)
    x = torch.tensor(d['x'], dtype=torch.float32)[:, None] / 255.   # N x 1 x 28 x 28, in [0, 1]
    y = torch.tensor(d['y'], dtype=torch.long)
    xt, yt, xv, yv = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
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

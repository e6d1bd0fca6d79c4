"""The small offline data and models (fasterprune.data, issue 26): a batch size, a validation share or a width that cannot
make a loader or a layer is a ValueError naming it and what is allowed, not a deep fastai traceback or a zero-channel
layer."""
import torch.nn as nn
from fasterprune.data import digits_dls, digits_tensors, small_cnn
from faults.harness import Fault

def _none(): return nn.Identity(), None

def _data(name, call, match):
    return Fault(f'data-{name}', _none, lambda m, _: call(), ValueError, match, check_model=False)

CASES = [
    _data('dls-bs-zero', lambda: digits_dls(bs=0), r"^bs must be a positive integer, got 0$"),
    _data('dls-bs-negative', lambda: digits_dls(bs=-8), r"^bs must be a positive integer, got -8$"),
    _data('dls-bs-float', lambda: digits_dls(bs=32.5), r"^bs must be a positive integer, got 32\.5$"),
    _data('dls-bs-above-data', lambda: digits_dls(bs=2000),
          r"^bs=2000 is more than the 1438 training images \(valid_pct=0\.2\): the training set would have no full batch; give bs <= 1438$"),
    _data('dls-valid-pct-above-one', lambda: digits_dls(valid_pct=1.5),
          r"^valid_pct must be the share of the 1797 images held out for validation, a number in \[0, 1\), got 1\.5$"),
    _data('dls-valid-pct-one', lambda: digits_dls(valid_pct=1), r"valid_pct must be .* in \[0, 1\), got 1$"),
    _data('dls-valid-pct-negative', lambda: digits_dls(valid_pct=-0.2), r"valid_pct must be .* got -0\.2$"),
    _data('dls-valid-pct-string', lambda: digits_dls(valid_pct='20%'), r"valid_pct must be .* got '20%'$"),
    _data('dls-size-zero', lambda: digits_dls(size=0), r"^size must be a positive integer, got 0$"),
    _data('tensors-channels-zero', lambda: digits_tensors(channels=0), r"^channels must be a positive integer, got 0$"),
    _data('cnn-zero-width', lambda: small_cnn(widths=(8, 0)), r"^widths\[1\] \(the channels of block 1\) must be a positive integer, got 0$"),
    _data('cnn-negative-width', lambda: small_cnn(widths=(-4,)), r"^widths\[0\] \(the channels of block 0\) must be a positive integer, got -4$"),
    _data('cnn-no-widths', lambda: small_cnn(widths=()), r"^widths must be a non-empty list or tuple of channel counts, one per block, got \(\)$"),
    _data('cnn-width-int', lambda: small_cnn(widths=16), r"^widths must be a non-empty list or tuple .* got 16$"),
    _data('cnn-zero-classes', lambda: small_cnn(n_classes=0), r"^n_classes must be a positive integer, got 0$"),
    _data('cnn-zero-in-channels', lambda: small_cnn(in_channels=0), r"^in_channels must be a positive integer, got 0$"),
]

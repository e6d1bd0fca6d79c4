"Models the dependency graph cannot trace, example inputs the model cannot run, and options naming what is not there."
import torch
import torch.nn as nn
from torchvision.models.shufflenetv2 import InvertedResidual
from fasterprune.all import Pruner
from fasterprune.core.budget import count_macs_params
from faults.harness import Fault


def _cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 16, 3, padding=1),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 4)), torch.randn(2, 3, 8, 8)

def _shuffled():   # two ShuffleNet blocks in a row: torch-pruning's reshape analysis divides by zero
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 1), InvertedResidual(8, 16, 2), InvertedResidual(16, 16, 1),
                         InvertedResidual(16, 16, 1), nn.Conv2d(16, 4, 1)), torch.randn(1, 3, 16, 16)

def _vit():
    from torchvision.models import VisionTransformer
    torch.manual_seed(0)
    return VisionTransformer(image_size=32, patch_size=8, num_layers=1, num_heads=2, hidden_dim=16, mlp_dim=32,
                             num_classes=5), torch.randn(2, 3, 32, 32)

_ran = "pass inputs the model accepts"

CASES = [
    Fault('structures-untraceable-channel-shuffle', _shuffled, lambda m, x: Pruner(m, x), ValueError,
          r"torch-pruning .* could not build the dependency graph of Sequential at a reshape op after '1\.branch1\.3'.*"
          r"ZeroDivisionError.*does not support this structure"),
    Fault('structures-inputs-wrong-channels', _cnn, lambda m, x: Pruner(m, torch.randn(2, 4, 8, 8)), ValueError,
          rf"Sequential failed on the example inputs in module '0'.*expected input\[2, 4, 8, 8\] to have 3 channels.*{_ran}"),
    Fault('structures-inputs-wrong-rank', _cnn, lambda m, x: Pruner(m, torch.randn(5)), ValueError,
          rf"in module '0'.*got input of size: \[5\].*{_ran}"),
    Fault('structures-inputs-none', _cnn, lambda m, x: Pruner(m, None), ValueError,
          rf"(?s)failed on the example inputs in module '0'.*got \(NoneType.*{_ran}"),
    Fault('structures-inputs-string', _cnn, lambda m, x: Pruner(m, 'images'), ValueError,
          rf"(?s)failed on the example inputs in module '0'.*got \(str.*{_ran}"),
    Fault('structures-inputs-integer-dtype', _cnn, lambda m, x: Pruner(m, x.long()), ValueError,
          rf"in module '0'.*Input type \(long int\) and bias type \(float\).*{_ran}"),
    Fault('structures-inputs-dict-unknown-keyword', _cnn, lambda m, x: Pruner(m, {'inp': x}), ValueError,
          rf"unexpected keyword argument 'inp'.*{_ran}"),
    Fault('structures-forward-fn-fails', _cnn, lambda m, x: Pruner(m, x, forward_fn=lambda model, b: model(b['img'])),
          ValueError, r"forward_fn\(model, example_inputs\) failed while tracing Sequential.*it must run the model"),
    Fault('structures-forward-fn-not-callable', _cnn, lambda m, x: Pruner(m, x, forward_fn='model'), TypeError,
          r"forward_fn must be a function forward_fn\(model, inputs\) or None, got 'model'"),
    Fault('structures-ignore-missing-name', _cnn, lambda m, x: Pruner(m, x, ignore='head'), ValueError,
          r"ignored layer 'head' matches no layer of the model \(layers are named like '0', '1'"),
    Fault('structures-ignore-foreign-module', _cnn, lambda m, x: Pruner(m, x, ignore=nn.Conv2d(3, 3, 1)), ValueError,
          r"ignored layer 'Conv2d' matches no layer of the model"),
    Fault('structures-ignore-not-a-name', _cnn, lambda m, x: Pruner(m, x, ignore=[3]), TypeError,
          r"layers are named by strings \(names or patterns\) or modules, got int"),
    Fault('structures-ignore-everything', _cnn, lambda m, x: Pruner(m, x, ignore=['0', '3']), ValueError,
          r"no coupled group can be pruned: every group contains an ignored layer"),
    Fault('structures-num-heads-missing-module', _cnn, lambda m, x: Pruner(m, x, num_heads={'attn': 2}), ValueError,
          r"num_heads names 'attn', which is not a module of the model"),
    Fault('structures-layer-types-lstm', _cnn, lambda m, x: Pruner(m, x, layer_types=nn.LSTM), TypeError,
          r"layer_types holds LSTM, which fasterprune cannot prune.*supported: Linear, Conv1d"),
    Fault('structures-vit-macs-unreachable', _vit, lambda m, x: Pruner(m, x).prune(macs=1e-4), ValueError,
          r"cannot keep only 0\.01% of the macs: even the largest ratio keeps"),
]

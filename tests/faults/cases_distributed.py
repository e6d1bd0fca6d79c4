"""The torch.distributed helpers outside a process group (issue 26): what would fail inside one (something other than
tensors, a src that is not a rank, an object that cannot be pickled, a decision that is not a function) fails in one
process too, with a clear error, instead of passing here and failing deep in torch.distributed on a cluster."""
import torch
import torch.nn as nn
from fasterprune.core.distributed import all_reduce_sum, broadcast_tensors, broadcast_object, rank0_decides, rewrap
from faults.harness import Fault

def _none(): return nn.Identity(), None

def _case(name, call, error, match):
    return Fault(f'distributed-{name}', _none, lambda m, _: call(), error, match, check_model=False)

TS = {'a': torch.ones(2)}

CASES = [
    _case('all-reduce-tensor', lambda: all_reduce_sum(torch.ones(2)), TypeError,
          r"^all_reduce_sum takes a dict or a list of tensors \(changed in place on every rank\), got a Tensor$"),
    _case('all-reduce-list-of-floats', lambda: all_reduce_sum([1., 2.]), TypeError, r"^all_reduce_sum takes .* got a list holding a float$"),
    _case('broadcast-tensors-dict-of-lists', lambda: broadcast_tensors({'a': [1, 2]}), TypeError,
          r"^broadcast_tensors takes .* got a dict holding a list$"),
    _case('broadcast-tensors-src-1', lambda: broadcast_tensors(TS, src=1), ValueError,
          r"^src must be the rank to copy from, an integer in \[0, 1\) \(outside a process group, only rank 0\), got 1$"),
    _case('broadcast-object-src-negative', lambda: broadcast_object([1], src=-1), ValueError, r"^src must be the rank .* got -1$"),
    _case('broadcast-object-src-string', lambda: broadcast_object([1], src='0'), ValueError, r"^src must be the rank .* got '0'$"),
    _case('broadcast-object-unpicklable', lambda: broadcast_object(lambda: 0), TypeError,
          r"^broadcast_object sends a picklable object to every rank; this function cannot be pickled \("),
    _case('rank0-decides-not-callable', lambda: rank0_decides(42), TypeError, r"^rank0_decides takes a function of no arguments, got int$"),
    _case('rewrap-not-a-model', lambda: rewrap({'weight': torch.ones(1)}), TypeError, r"^rewrap takes a model \(an nn\.Module\), got dict$"),
]

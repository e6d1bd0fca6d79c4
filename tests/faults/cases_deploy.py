"""Bad input to deployment (issue 24): `export_onnx` / `export_pt2`, `measure_latency(runtime=)`, `compressed_size` and
`to_semi_structured` refuse it with an error naming the bad value and what to do, before a file is written, and leave
the model (its masks too) exactly as it was. A failed export check is `ExportMismatch`, the file kept."""
import tempfile
import warnings
from pathlib import Path
import torch
import torch.nn as nn
from fasterprune.core.budget import measure_latency
from fasterprune.data import small_cnn
from fasterprune.deploy import export_onnx, export_pt2, compressed_size, to_semi_structured, ExportMismatch
from fasterprune.sparse.sparsifier import Sparsifier
from faults.harness import Fault

X = torch.randn(2, 1, 8, 8)

def _cnn():
    tmp = Path(tempfile.mkdtemp(prefix='faults_deploy_'))
    (tmp / 'taken.onnx').write_text('mine')
    return small_cnn(), tmp

def _masked():
    m, tmp = _cnn()
    Sparsifier(m, 'weight', 'global').prune(0.7)
    return m, tmp

class _Spectrum(nn.Module):
    def forward(self, x): return torch.fft.rfft(x).abs()

class _Gate(nn.Module):
    def forward(self, x): return x * 2 if x.sum() > 0 else -x

class _BatchMean(nn.Module):   # the batch size read as a Python number: the trace keeps it
    def forward(self, x): return x - x.sum(0) / int(x.shape[0])

def _with(*layers):
    def make():
        _, tmp = _cnn()
        return nn.Sequential(nn.Conv2d(1, 4, 3), *layers), tmp
    return make

def _nothing_written(case):
    "The case, and then: no file but the one that was there (left as it was), no temporary file."
    act = case.act
    def checked(m, tmp):
        try: act(m, tmp)
        finally:
            assert sorted(p.name for p in tmp.iterdir()) == ['taken.onnx'] and (tmp / 'taken.onnx').read_text() == 'mine'
    case.act = checked
    return case

def _quiet(f):
    def run(m, tmp):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            return f(m, tmp)
    return run

def _kept_for_inspection(m, tmp):
    try: _quiet(lambda m, tmp: export_onnx(m, X, tmp / 'centred.onnx'))(m, tmp)
    finally: assert (tmp / 'centred.onnx').stat().st_size > 0

CASES = [_nothing_written(c) for c in (
    Fault('deploy-onnx-missing-folder', _cnn, lambda m, tmp: export_onnx(m, X, tmp / 'nowhere' / 'm.onnx'),
          FileNotFoundError, r"its folder '.*nowhere' does not exist; create the folder first"),
    Fault('deploy-onnx-existing-file', _cnn, lambda m, tmp: export_onnx(m, X, tmp / 'taken.onnx'),
          FileExistsError, r"taken\.onnx' exists; pass overwrite=True to replace it"),
    Fault('deploy-pt2-path-is-a-folder', _cnn, lambda m, tmp: export_pt2(m, X, tmp),
          IsADirectoryError, r"is a folder; give the path of the file to write"),
    Fault('deploy-onnx-inputs-refused', _masked, lambda m, tmp: export_onnx(m, torch.randn(2, 3, 8, 8), tmp / 'm.onnx'),
          ValueError, r"Sequential failed on the example inputs in module '0' while exporting it to ONNX \(RuntimeError"),
    Fault('deploy-pt2-inputs-refused', _masked, lambda m, tmp: export_pt2(m, torch.randn(2, 3, 8, 8), tmp / 'm.pt2'),
          ValueError, r"in module '0' while exporting it with torch\.export"),
    Fault('deploy-onnx-input-not-a-tensor', _cnn, lambda m, tmp: export_onnx(m, (X, 3), tmp / 'm.onnx'),
          TypeError, r"tensor inputs; input 1 is a int"),
    Fault('deploy-onnx-negative-atol', _cnn, lambda m, tmp: export_onnx(m, X, tmp / 'm.onnx', atol=-1e-4),
          ValueError, r"^atol must be a finite number >= 0, got -0\.0001$"),
    Fault('deploy-pt2-nan-rtol', _cnn, lambda m, tmp: export_pt2(m, X, tmp / 'm.pt2', rtol=float('nan')),
          ValueError, r"^rtol must be a finite number >= 0, got nan$"),
    Fault('deploy-onnx-opset-out-of-range', _cnn, lambda m, tmp: export_onnx(m, X, tmp / 'm.onnx', opset=3),
          ValueError, r"opset must be None \(torch's default, \d+\) or an int in \[7, \d+\], got 3"),
    Fault('deploy-onnx-not-a-model', _cnn, lambda m, tmp: export_onnx(m.state_dict(), X, tmp / 'm.onnx'),
          TypeError, r"expected an nn\.Module to export, got OrderedDict"),
    Fault('deploy-onnx-unsupported-op', _with(_Spectrum()), lambda m, tmp: export_onnx(m, X, tmp / 'm.onnx'),
          ValueError, r"Exporting the operator 'aten::fft_rfft' .* \(it runs in module '1'\); replace it in that module"),
    Fault('deploy-pt2-value-branch', _with(_Gate()), lambda m, tmp: export_pt2(m, X, tmp / 'm.pt2'),
          ValueError, r"cannot be exported to a torch\.export program, in module '1' .*torch\.where or torch\.cond"),
    Fault('deploy-latency-unknown-runtime', _cnn, lambda m, tmp: measure_latency(m, X, runtime='tensorrt'),
          ValueError, r"^unknown runtime 'tensorrt'; allowed: 'eager', 'onnxruntime', 'compile'$"),
    Fault('deploy-latency-ort-inputs-refused', _masked, lambda m, tmp: measure_latency(m, torch.randn(2, 3, 8, 8), runtime='onnxruntime'),
          ValueError, r"in module '0' while timing it \(RuntimeError"),
    Fault('deploy-latency-ort-unsupported-op', _with(_Spectrum()), lambda m, tmp: measure_latency(m, X, runtime='onnxruntime'),
          ValueError, r"cannot be exported to ONNX: Exporting the operator 'aten::fft_rfft' .* \(it runs in module '1'\)"),
    Fault('deploy-compressed-size-missing-file', _cnn, lambda m, tmp: compressed_size(tmp / 'missing.pt'),
          FileNotFoundError, r"missing\.pt' is not a file; give a model or the path of a file", check_model=False),
    Fault('deploy-semistructured-on-cpu', _masked, lambda m, tmp: to_semi_structured(m),
          ValueError, r"needs the model on a CUDA GPU in float16 or bfloat16 .* it is on cpu in torch\.float32"),
)] + [
    Fault('deploy-onnx-check-fails-file-kept', _with(_BatchMean()), _kept_for_inspection,
          ExportMismatch, r"ONNX Runtime on a batch of 2: output 0 differs from PyTorch at index .* the file is kept for inspection"),
]

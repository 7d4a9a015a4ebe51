"""Dynamic int8 quantisation of a trained translation model for CPU decoding, with PyTorch's own tools.

`quantize_int8(model)` returns a copy whose weights are int8 (`torch.ao.quantization.quantize_dynamic`): every
Linear (the output projection, attention, the decoder's input layer, the encoder -> decoder bridge) per output
channel, the encoder's GRUs, and the decoder's per-step GRU cells (`torch.ao.nn.quantized.dynamic.GRUCell`, built
from the decoder GRU's own weights). Activations stay float and are quantised on the fly for each matmul (dynamic
quantisation: no calibration data). The copy decodes only (decode.py); training and the teacher-forced loss need
the float model. The float model is left untouched.
"""

import copy
import warnings

import torch
from torch import nn
from torch.ao.nn.quantized.dynamic import GRUCell as Int8GRUCell
from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig, quantize_dynamic

from wordbridge.errors import ConfigError


def _decoder_cells(rnn: nn.GRU) -> nn.ModuleList:
    """One int8 GRUCell per layer of `rnn`, holding that layer's weights (the decoder steps through its layers)."""
    cells = []
    for k in range(rnn.num_layers):
        cell = nn.GRUCell(rnn.input_size if k == 0 else rnn.hidden_size, rnn.hidden_size)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).copy_(getattr(rnn, f"{name}_l{k}"))
        cell.qconfig = default_dynamic_qconfig
        cells.append(Int8GRUCell.from_float(cell))
    return nn.ModuleList(cells)


def int8_supported(model: nn.Module) -> bool:
    """Whether quantize_int8 takes this model: the GRU seq2seq (a Transformer goes through CTranslate2's int8)."""
    return isinstance(getattr(getattr(model, "decoder", None), "rnn", None), nn.GRU)


def quantize_int8(model: nn.Module) -> nn.Module:
    """An int8 copy of a float Seq2Seq (eval mode, CPU) for decoding; ConfigError where int8 cannot run."""
    if not int8_supported(model):
        raise ConfigError("--int8 quantises the GRU model; export a Transformer with `wordbridge export RUN "
                          "--format ctranslate2 --quantization int8` and decode with --engine ctranslate2.")
    if any(p.device.type != "cpu" for p in model.parameters()):
        raise ConfigError("int8 decoding runs on the CPU only; load the model with device cpu (--device cpu).")
    if not torch.backends.quantized.supported_engines or torch.backends.quantized.engine == "none":
        raise ConfigError("int8 decoding is not available: this PyTorch build has no quantized CPU engine.")
    spec: dict = {nn.Linear: per_channel_dynamic_qconfig}
    for name, module in model.named_modules():
        if isinstance(module, nn.GRU) and name.startswith("encoder."):
            spec[name] = default_dynamic_qconfig  # called as whole-sequence modules: the dynamic int8 GRU
    with warnings.catch_warnings():
        # torch 2.13 marks eager-mode quantisation as deprecated in favour of torchao (not installed here); the API
        # is still PyTorch's own and works: keep its warnings out of the CLI's output
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        qmodel = quantize_dynamic(copy.deepcopy(model).eval(), spec, dtype=torch.qint8)
        decoder = qmodel.decoder
        decoder.step_cells = _decoder_cells(decoder.rnn)
    return qmodel

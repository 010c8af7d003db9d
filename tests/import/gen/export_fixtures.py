#!/usr/bin/python3
"""Exports the ONNX fixtures tweedie-import is tested on, with PyTorch's own
outputs for fixed inputs (Debian's python3-torch; not run by CI, whose tests
read the committed files).

  mlp.onnx     a small noise-conditional MLP in plain PyTorch (sinusoidal
               time embedding, SiLU, Linear), as a diffusers user writes one
  mlp.inputs.npy / mlp.timesteps.npy / mlp.outputs.npy
               fixed inputs and what PyTorch computes from them (float32)

usage: python3 tests/import/gen/export_fixtures.py [OUT_DIR]   (default: tests/import/Inputs)
"""
import math
import os
import sys

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

OPSET = 17


def timestep_embedding(t, dim, max_period=10000.0, shift=0.0):
    """diffusers' get_timestep_embedding (flip_sin_to_cos=False)."""
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(half, dtype=torch.float32) / (half - shift)
    args = t[:, None].float() * torch.exp(exponent)[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=-1)


class MLP(nn.Module):
    def __init__(self, dim=2, hidden=64, temb=32):
        super().__init__()
        self.temb = temb
        self.time_proj = nn.Linear(temb, hidden)
        self.inp = nn.Linear(dim, hidden)
        self.hidden = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, dim)

    def forward(self, sample, timestep):
        e = self.time_proj(timestep_embedding(timestep, self.temb, shift=1.0))
        h = F.silu(self.inp(sample) + e)
        h = F.silu(self.hidden(h))
        return self.out(h)


def export(model, name, example, out_dir, inputs):
    model.eval()
    path = os.path.join(out_dir, name + ".onnx")
    torch.onnx.export(model, example, path, input_names=["sample", "timestep"],
                      output_names=["out"], opset_version=OPSET,
                      dynamic_axes={"sample": {0: "batch"}, "timestep": {0: "batch"},
                                    "out": {0: "batch"}})
    with torch.no_grad():
        out = model(*inputs)
    np.save(os.path.join(out_dir, name + ".inputs.npy"), inputs[0].numpy().astype(np.float32))
    np.save(os.path.join(out_dir, name + ".timesteps.npy"), inputs[1].numpy().astype(np.float32))
    np.save(os.path.join(out_dir, name + ".outputs.npy"), out.numpy().astype(np.float32))


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "Inputs")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    mlp = MLP()
    x = torch.randn(5, 2)
    t = torch.tensor([0.0, 3.0, 250.0, 611.5, 999.0])
    export(mlp, "mlp", (torch.randn(2, 2), torch.tensor([1.0, 2.0])), out_dir, (x, t))


if __name__ == "__main__":
    main()

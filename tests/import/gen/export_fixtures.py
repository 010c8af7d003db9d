#!/usr/bin/python3
"""Exports the ONNX fixtures tweedie-import is tested on, with PyTorch's own
outputs for fixed inputs (Debian's python3-torch; not run by CI, whose tests
read the committed files).

  mlp.onnx     a small noise-conditional MLP in plain PyTorch (sinusoidal
               time embedding, SiLU, GELU, Linear), as a diffusers user writes one
  mha.onnx     tokens [B, 8, 16] with a time embedding added, a LayerNorm, and
               two-head self-attention split by view and transpose
  unet.onnx    a small diffusers-style U-Net in plain PyTorch: ResNet blocks with
               group norm, SiLU and time projections, single-head attention,
               strided-conv down and nearest up sampling, a skip concatenation,
               average pooling, a flipped (cos first) sinusoidal time MLP
  NAME.inputs.npy / NAME.timesteps.npy / NAME.outputs.npy
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
        h = F.gelu(self.hidden(h))
        return self.out(h)


def flipped_timestep_embedding(t, dim):
    """diffusers' UNet2DModel default: flip_sin_to_cos=True, freq_shift=0."""
    e = timestep_embedding(t, dim)
    half = dim // 2
    return torch.cat([e[:, half:], e[:, :half]], dim=-1)


class ResnetBlock(nn.Module):
    """diffusers' ResnetBlock2D: GroupNorm, SiLU, conv, + time projection, again, + shortcut."""

    def __init__(self, cin, cout, temb, groups=8):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + (self.shortcut(x) if self.shortcut is not None else x)


class AttentionBlock(nn.Module):
    """Single-head self-attention over the pixels, as diffusers' Attention with one head."""

    def __init__(self, channels, groups=8):
        super().__init__()
        self.group_norm = nn.GroupNorm(groups, channels, eps=1e-5)
        self.to_q = nn.Linear(channels, channels)
        self.to_k = nn.Linear(channels, channels)
        self.to_v = nn.Linear(channels, channels)
        self.to_out = nn.Linear(channels, channels)

    def forward(self, x):
        b, c, h, w = x.shape
        y = self.group_norm(x).view(b, c, h * w).transpose(1, 2)
        q, k, v = self.to_q(y), self.to_k(y), self.to_v(y)
        scores = torch.bmm(q, k.transpose(1, 2)) * (1.0 / math.sqrt(c))
        y = torch.bmm(scores.softmax(dim=-1), v)
        y = self.to_out(y).transpose(1, 2).reshape(b, c, h, w)
        return x + y


class MultiHeadAttention(nn.Module):
    """Tokens with a time embedding added, a LayerNorm, then self-attention with two
    heads split by view/transpose (plain PyTorch, as a transformer block writes it)."""

    def __init__(self, channels=16, heads=2):
        super().__init__()
        self.heads = heads
        self.time_proj = nn.Linear(channels, channels)
        self.norm = nn.LayerNorm(channels)
        self.to_q = nn.Linear(channels, channels)
        self.to_k = nn.Linear(channels, channels)
        self.to_v = nn.Linear(channels, channels)
        self.to_out = nn.Linear(channels, channels)

    def forward(self, sample, timestep):
        b, n, c = sample.shape
        d = c // self.heads
        x = self.norm(sample + self.time_proj(timestep_embedding(timestep, c))[:, None, :])
        q = self.to_q(x).view(b, n, self.heads, d).transpose(1, 2)
        k = self.to_k(x).view(b, n, self.heads, d).transpose(1, 2)
        v = self.to_v(x).view(b, n, self.heads, d).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d)
        y = torch.matmul(scores.softmax(dim=-1), v).transpose(1, 2).reshape(b, n, c)
        return sample + self.to_out(y)


class UNet(nn.Module):
    """A diffusers-style U-Net: conv_in, a ResNet block, a strided-conv downsample, a
    ResNet block with attention, nearest upsampling, a skip concatenation, conv_out."""

    def __init__(self, channels=16, temb=32):
        super().__init__()
        self.temb = temb
        self.time_linear_1 = nn.Linear(temb, 2 * temb)
        self.time_linear_2 = nn.Linear(2 * temb, 2 * temb)
        self.conv_in = nn.Conv2d(1, channels, 3, padding=1)
        self.down_res = ResnetBlock(channels, channels, 2 * temb)
        self.down = nn.Conv2d(channels, channels, 3, stride=2, padding=1)
        self.mid_res = ResnetBlock(channels, 2 * channels, 2 * temb)
        self.mid_attn = AttentionBlock(2 * channels)
        self.up_conv = nn.Conv2d(2 * channels, channels, 3, padding=1)
        self.up_res = ResnetBlock(2 * channels, channels, 2 * temb)
        self.pool_res = nn.Conv2d(channels, channels, 1)
        self.norm_out = nn.GroupNorm(8, channels, eps=1e-5)
        self.conv_out = nn.Conv2d(channels, 1, 3, padding=1)

    def forward(self, sample, timestep):
        e = flipped_timestep_embedding(timestep, self.temb)
        e = self.time_linear_2(F.silu(self.time_linear_1(e)))
        h0 = self.conv_in(sample)
        h1 = self.down_res(h0, e)
        h = self.mid_attn(self.mid_res(self.down(h1), e))
        h = self.up_conv(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.up_res(torch.cat([h, h1], dim=1), e)
        # Average pooling and back up: the export's AveragePool and Resize.
        h = h + F.interpolate(self.pool_res(F.avg_pool2d(h, 2)), scale_factor=2.0, mode="nearest")
        return self.conv_out(F.silu(self.norm_out(h)))


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
    torch.manual_seed(2)
    mha = MultiHeadAttention()
    x = torch.randn(3, 8, 16)
    t = torch.tensor([5.0, 300.0, 990.0])
    export(mha, "mha", (torch.randn(2, 8, 16), torch.tensor([1.0, 2.0])), out_dir, (x, t))
    torch.manual_seed(1)
    unet = UNet()
    x = torch.randn(3, 1, 16, 16)
    t = torch.tensor([0.0, 421.0, 999.0])
    export(unet, "unet", (torch.randn(2, 1, 16, 16), torch.tensor([1.0, 2.0])), out_dir, (x, t))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Runs diffusers' own schedulers on the MLP fixture (tests/import/Inputs/mlp.onnx,
rebuilt here in PyTorch from export_fixtures.py) from fixed starting noise, and
writes what they sample, with each scheduler's scheduler_config.json: the
reference tests/tools/diffusers-parity.test holds Tweedie's samplers to.

  parity/noise.npy              the starting noise [64, 2] (standard normal)
  parity/CASE.json              the scheduler's config, as diffusers saves it
  parity/CASE.samples.npy       diffusers' samples from that noise, 10 steps

Needs diffusers from PyPI (not run by CI, whose tests read the committed
files); with Debian's python3-torch 1.13:
  python3 -m venv --system-site-packages /tmp/dvenv
  /tmp/dvenv/bin/pip install diffusers==0.27.2 'huggingface_hub<0.26'
  /tmp/dvenv/bin/python tests/import/gen/export_scheduler_parity.py [OUT_DIR]
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from export_fixtures import MLP  # noqa: E402

import diffusers  # noqa: E402

STEPS = 10
# Stable Diffusion 1.x's scheduler settings (its PNDM config, which the
# other schedulers inherit through from_config), with v prediction as in 2.x.
SD = dict(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012,
          steps_offset=1, timestep_spacing="leading")

CASES = {
    # diffusers' defaults: leading spacing, clip_sample, set_alpha_to_one.
    "ddim_default": (diffusers.DDIMScheduler, {}),
    "ddim_sd": (diffusers.DDIMScheduler,
                dict(SD, clip_sample=False, set_alpha_to_one=False,
                     prediction_type="v_prediction")),
    "euler_default": (diffusers.EulerDiscreteScheduler, {}),
    "euler_sd": (diffusers.EulerDiscreteScheduler, SD),
    "dpm_default": (diffusers.DPMSolverMultistepScheduler, {}),
    "dpm_trailing": (diffusers.DPMSolverMultistepScheduler, dict(timestep_spacing="trailing")),
    "dpm_sd": (diffusers.DPMSolverMultistepScheduler, SD),
}


@torch.no_grad()
def sample(net, scheduler, noise):
    scheduler.set_timesteps(STEPS)
    x = noise * scheduler.init_noise_sigma
    for t in scheduler.timesteps:
        model_input = scheduler.scale_model_input(x, t)
        out = net(model_input, t.float().expand(x.shape[0]))
        x = scheduler.step(out, t, x).prev_sample
    return x


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "Inputs", "parity")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)  # as export_fixtures.py builds the fixture
    net = MLP().eval()
    fixture = os.path.join(os.path.dirname(__file__), "..", "Inputs")
    x = torch.from_numpy(np.load(os.path.join(fixture, "mlp.inputs.npy")))
    t = torch.from_numpy(np.load(os.path.join(fixture, "mlp.timesteps.npy")))
    expected = np.load(os.path.join(fixture, "mlp.outputs.npy"))
    assert np.allclose(net(x, t).detach().numpy(), expected, atol=1e-6), \
        "the rebuilt MLP is not the fixture's"

    noise = torch.randn(64, 2, generator=torch.Generator().manual_seed(7))
    np.save(os.path.join(out_dir, "noise.npy"), noise.numpy().astype(np.float32))
    for name, (cls, settings) in CASES.items():
        scheduler = cls(**settings)
        samples = sample(net, scheduler, noise)
        np.save(os.path.join(out_dir, name + ".samples.npy"),
                samples.numpy().astype(np.float32))
        # As save_config writes scheduler_config.json (-Infinity and all).
        with open(os.path.join(out_dir, name + ".json"), "w") as f:
            f.write(scheduler.to_json_string())
        print(f"{name}: timesteps {scheduler.timesteps.tolist()}, "
              f"|x| max {samples.abs().max().item():.3f}")


if __name__ == "__main__":
    main()

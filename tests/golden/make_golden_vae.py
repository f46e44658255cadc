#!/usr/bin/python3
"""Writes PyTorch reference VAE training runs for Strata's end-to-end tests: tests/golden/e2e/vae.bin.

Run by hand with Debian's python3-torch (the suite itself never needs torch):
    /usr/bin/python3 tests/golden/make_golden_vae.py

A small MLP VAE in float64 starts from recorded weights and takes 5 Adam steps on one fixed batch in [0, 1].
The reparameterisation noise eps of every step is recorded, so the C++ side (nn::VAE::forward_vae(x, eps))
sees the same z; every step's total loss, reconstruction term and KL term and the final state_dict are
recorded. The model (state_dict keys as nn::VAE's: "encoder.0.weight", ..., "decoder.2.bias"):

  encoder  Linear(12, 16), ReLU, Linear(16, 2 * 3)    -> [mu | logvar], latent_dim 3
  decoder  Linear(3, 16), ReLU, Linear(16, 12), Sigmoid

A step: zero_grad(set_to_none), h = encoder(x), mu, logvar = h[:, :3], h[:, 3:], z = mu + exp(logvar / 2) * eps,
recon = decoder(z), loss = R + beta * KL with R the reconstruction loss summed over each example and averaged
over the batch (BCE on probabilities, or squared error) and KL = -1/2 sum(1 + logvar - mu^2 - exp(logvar)) / N;
backward; Adam step. Cases: "bce" beta 1, "bce_beta" beta 0.25, "mse" beta 1; all start from the same
weights.

Format (little-endian), read by tests/e2e/vae_e2e_test.cpp:
  "STRATAVA" u32 version=1, u32 latent_dim, u32 n_entries, n_entries x (str key, tensor) (initial state_dict),
  tensor x, u32 n_cases, per case:
    str name, str recon_kind, f64 beta, f64 lr, u32 n_steps,
    n_steps x (tensor eps (N, latent_dim), f64 total, f64 recon, f64 kl),
    n_entries x tensor (the state_dict after the last step, same order)
  str: u32 length + bytes; tensor: as make_golden.pack_tensor.
"""
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_golden import pack_tensor  # noqa: E402

STEPS = 5
BATCH = 8
D_IN, HIDDEN, LATENT = 12, 16, 3
LR = 0.01
CASES = [("bce", "bce", 1.0), ("bce_beta", "bce", 0.25), ("mse", "mse", 1.0)]


def pstr(s):
    return struct.pack("<I", len(s)) + s.encode()


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(D_IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 2 * LATENT))
        self.decoder = nn.Sequential(nn.Linear(LATENT, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, D_IN), nn.Sigmoid())

    def forward(self, x, eps):
        h = self.encoder(x)
        mu, logvar = h[:, :LATENT], h[:, LATENT:]
        z = mu + torch.exp(0.5 * logvar) * eps
        return self.decoder(z), mu, logvar


def losses(recon, x, mu, logvar, kind, beta):
    n = x.shape[0]
    if kind == "bce":
        r = F.binary_cross_entropy(recon, x, reduction="sum") / n
    else:
        r = F.mse_loss(recon, x, reduction="sum") / n
    kl = -0.5 * torch.sum(1 + logvar - mu * mu - torch.exp(logvar)) / n
    return r + beta * kl, r, kl


def main():
    torch.set_num_threads(1)
    torch.manual_seed(2027)
    model = VAE().double()
    init = {k: v.detach().clone() for k, v in model.state_dict().items()}
    gen = torch.Generator().manual_seed(7)
    x = torch.rand(BATCH, D_IN, generator=gen, dtype=torch.float64)
    eps = [torch.randn(BATCH, LATENT, generator=gen, dtype=torch.float64) for _ in range(STEPS)]

    data = b"STRATAVA" + struct.pack("<II", 1, LATENT) + struct.pack("<I", len(init))
    data += b"".join(pstr(k) + pack_tensor(v) for k, v in init.items())
    data += pack_tensor(x) + struct.pack("<I", len(CASES))
    for name, kind, beta in CASES:
        model.load_state_dict(init)
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=LR, foreach=False)
        data += pstr(name) + pstr(kind) + struct.pack("<dd", beta, LR) + struct.pack("<I", STEPS)
        first = last = None
        for step in range(STEPS):
            opt.zero_grad(set_to_none=True)
            recon, mu, logvar = model(x, eps[step])
            total, r, kl = losses(recon, x, mu, logvar, kind, beta)
            total.backward()
            opt.step()
            data += pack_tensor(eps[step]) + struct.pack("<ddd", total.item(), r.item(), kl.item())
            first = total.item() if first is None else first
            last = total.item()
        data += b"".join(pack_tensor(v) for v in model.state_dict().values())
        print(f"{name}: loss {first:.6f} -> {last:.6f}")
    os.makedirs(os.path.join(HERE, "e2e"), exist_ok=True)
    path = os.path.join(HERE, "e2e", "vae.bin")
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)
    print(f"{path}: {len(CASES)} cases of {STEPS} steps, {len(data)} bytes")


if __name__ == "__main__":
    main()

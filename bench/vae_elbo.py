#!/usr/bin/python3
"""The PyTorch twin of examples/vae/config.json: train the same VAE and report its test ELBO.

Model (as PyTorch's examples/vae): encoder 784-400-ReLU-40 read as [mu | logvar], decoder
20-400-ReLU-784-Sigmoid. Loss per batch = BCE summed over pixels / batch size + KL summed over
latents / batch size (both per image, like strata::nn::vae_loss). Adam 1e-3, batch 128, 10 epochs,
pixels in [0, 1], Fashion-MNIST from the IDX .gz files.

Test numbers are the per-image loss, recon and KL, computed twice:
  - z = mu (decoder fed the posterior mean; what Strata's eval mode does), and
  - z sampled from q(z|x) once per image (the usual single-sample ELBO estimate).

Run:  /usr/bin/python3 bench/vae_elbo.py [--epochs 10] [--threads 2] [--seed 0] [--json out.json]
"""
import argparse
import gzip
import json
import os
import platform
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack(">I", raw[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(DATA, f"{prefix}-images-idx3-ubyte.gz"))
    return torch.from_numpy(x.astype(np.float32) / 255.0).reshape(-1, 784)


class VAE(nn.Module):
    def __init__(self, latent=20, hidden=400):
        super().__init__()
        self.latent = latent
        self.enc = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent))
        self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 784), nn.Sigmoid())

    def forward(self, x, sample=True):
        h = self.enc(x)
        mu, logvar = h[:, :self.latent], h[:, self.latent:]
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if sample else mu
        return self.dec(z), mu, logvar


def terms(recon, x, mu, logvar):
    n = x.shape[0]
    bce = F.binary_cross_entropy(recon, x, reduction="sum") / n
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / n
    return bce, kl


def evaluate(model, x_test, batch, sample):
    model.eval()
    tot = {"loss": 0.0, "recon": 0.0, "kl": 0.0}
    with torch.no_grad():
        for i in range(0, x_test.shape[0], batch):
            x = x_test[i:i + batch]
            r, mu, lv = model(x, sample=sample)
            bce, kl = terms(r, x, mu, lv)
            n = x.shape[0]  # weighted by batch size, as strata's evaluate_task
            tot["recon"] += bce.item() * n
            tot["kl"] += kl.item() * n
            tot["loss"] += (bce + kl).item() * n
    return {k: v / x_test.shape[0] for k, v in tot.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x_train, x_test = load("train"), load("test")
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    epochs = []
    t0 = time.time()
    for ep in range(1, a.epochs + 1):
        model.train()
        perm = torch.randperm(x_train.shape[0])
        s = {"loss": 0.0, "recon": 0.0, "kl": 0.0}
        nb = 0
        for i in range(0, x_train.shape[0], a.batch):
            x = x_train[perm[i:i + a.batch]]
            r, mu, lv = model(x)
            bce, kl = terms(r, x, mu, lv)
            loss = bce + kl
            opt.zero_grad()
            loss.backward()
            opt.step()
            s["loss"] += loss.item()
            s["recon"] += bce.item()
            s["kl"] += kl.item()
            nb += 1
        row = {"epoch": ep, **{k: v / nb for k, v in s.items()}, "seconds": time.time() - t0}
        epochs.append(row)
        print(f"epoch {ep:2d}  loss {row['loss']:.2f}  recon {row['recon']:.2f}  kl {row['kl']:.2f}  "
              f"({row['seconds']:.0f} s)", flush=True)
    wall = time.time() - t0
    test_mu = evaluate(model, x_test, a.batch, sample=False)
    torch.manual_seed(a.seed + 1)
    test_sampled = evaluate(model, x_test, a.batch, sample=True)
    out = {
        "torch": torch.__version__, "threads": a.threads, "cpu": platform.processor() or platform.machine(),
        "epochs": epochs, "train_seconds": wall, "test_z_mu": test_mu, "test_z_sampled": test_sampled,
    }
    print(f"test (z = mu)      loss {test_mu['loss']:.2f}  recon {test_mu['recon']:.2f}  kl {test_mu['kl']:.2f}")
    print(f"test (z sampled)   loss {test_sampled['loss']:.2f}  recon {test_sampled['recon']:.2f}  "
          f"kl {test_sampled['kl']:.2f}")
    print(f"train time {wall:.0f} s on {a.threads} thread(s), torch {torch.__version__}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes train.csv and test.csv for the regression example: Friedman's problem #1 (Friedman 1991,
"Multivariate adaptive regression splines"), a standard synthetic regression benchmark:

    x1..x10 ~ U(0, 1) (x6..x10 are noise the model must learn to ignore)
    y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5 + e,   e ~ N(0, 1)

The best possible test MSE is the noise variance, 1.0. Only the Python standard library is used, with a
fixed seed, so the committed files are reproducible:  python3 examples/regression/make_data.py
"""
import math
import os
import random


def rows(rng, n):
    for _ in range(n):
        x = [rng.random() for _ in range(10)]
        y = (10 * math.sin(math.pi * x[0] * x[1]) + 20 * (x[2] - 0.5) ** 2 + 10 * x[3] + 5 * x[4]
             + rng.gauss(0.0, 1.0))
        yield x + [y]


def write(path, data):
    with open(path, "w") as f:
        f.write(",".join([f"x{i}" for i in range(1, 11)] + ["y"]) + "\n")
        for r in data:
            f.write(",".join(f"{v:.5f}" for v in r) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    rng = random.Random(20260)
    write(os.path.join(here, "train.csv"), rows(rng, 2000))
    write(os.path.join(here, "test.csv"), rows(rng, 500))


if __name__ == "__main__":
    main()

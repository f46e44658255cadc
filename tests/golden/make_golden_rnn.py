#!/usr/bin/python3
"""Writes PyTorch reference data for Strata's recurrent layers: tests/golden/nn/rnn.bin.

Run by hand with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_golden_rnn.py

Same record format as make_golden_nn.py (reader: tests/ops/golden_io.h). Every record is one forward and one
backward of L = sum(output * g) + sum(h_n * g_h) [+ sum(c_n * g_c)]; its output is the layer's output, its
grad_output is g, and its inputs are, in this order:
  RNN, GRU:   x, h0, parameters (named_parameters order), h_n, g_h
  LSTM:       x, h0, c0, parameters, h_n, c_n, g_h, g_c
  RNNCell, GRUCell: x, h, parameters, (nothing more: the output is h')
  LSTMCell:   x, h, c, parameters, c', g_c          (output h')
  embedding*: indices, weight
with the gradients of x, the states and the parameters (none for the trailing entries and for indices).
"""

import torch
import torch.nn as nn

from make_golden_nn import record, write

GEN = torch.Generator().manual_seed(4321)


def randn(*shape):
    return torch.randn(shape, generator=GEN)


def layer(name, module, x, num_states):
    """A full sequence layer with random initial states (num_states 1 for RNN/GRU, 2 for LSTM)."""
    D = 2 if module.bidirectional else 1
    batch = x.shape[0] if module.batch_first else x.shape[1]
    states = [randn(module.num_layers * D, batch, module.hidden_size).requires_grad_(True) for _ in range(num_states)]
    x = x.clone().requires_grad_(True)
    params = list(module.parameters())
    out, hn = module(x, states[0] if num_states == 1 else tuple(states))
    finals = [hn] if num_states == 1 else list(hn)
    g = randn(*out.shape)
    gf = [randn(*f.shape) for f in finals]
    loss = (out * g).sum() + sum((f * gi).sum() for f, gi in zip(finals, gf))
    grads = torch.autograd.grad(loss, [x] + states + params)
    inputs = [x] + states + params + finals + gf
    return record(name, inputs, out, g, list(grads) + [None] * (2 * len(finals)))


def cell(name, module, x, lstm):
    states = [randn(x.shape[0], module.hidden_size).requires_grad_(True) for _ in range(2 if lstm else 1)]
    x = x.clone().requires_grad_(True)
    params = list(module.parameters())
    if lstm:
        h, c = module(x, tuple(states))
    else:
        h, c = module(x, states[0]), None
    g = randn(*h.shape)
    loss = (h * g).sum()
    extra = []
    if lstm:
        gc = randn(*c.shape)
        loss = loss + (c * gc).sum()
        extra = [c, gc]
    grads = torch.autograd.grad(loss, [x] + states + params)
    return record(name, [x] + states + params + extra, h, g, list(grads) + [None] * len(extra))


def embedding(name, num, dim, padding_idx, idx):
    e = nn.Embedding(num, dim, padding_idx=padding_idx)
    out = e(idx)
    g = randn(*out.shape)
    (gw,) = torch.autograd.grad(out, [e.weight], g)
    return record(name, [idx, e.weight], out, g, [None, gw])


def main():
    torch.set_num_threads(1)
    torch.manual_seed(99)
    recs = []
    recs.append(layer("rnn_tanh", nn.RNN(4, 5), randn(3, 2, 4), 1))
    recs.append(layer("rnn_relu", nn.RNN(3, 4, nonlinearity="relu"), randn(4, 2, 3), 1))
    recs.append(layer("rnn_tanh.bi2", nn.RNN(3, 4, num_layers=2, bidirectional=True), randn(4, 3, 3), 1))
    recs.append(layer("lstm", nn.LSTM(4, 5), randn(3, 2, 4), 2))
    recs.append(layer("lstm.no_bias", nn.LSTM(3, 4, bias=False), randn(3, 2, 3), 2))
    recs.append(layer("lstm.bi2.batch_first",
                      nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True), randn(2, 5, 3), 2))
    recs.append(layer("lstm.2layer", nn.LSTM(4, 6, num_layers=2), randn(5, 3, 4), 2))
    recs.append(layer("gru", nn.GRU(4, 5), randn(3, 2, 4), 1))
    recs.append(layer("gru.bi2", nn.GRU(3, 4, num_layers=2, bidirectional=True), randn(4, 3, 3), 1))
    recs.append(layer("gru.2layer.batch_first", nn.GRU(4, 3, num_layers=2, batch_first=True), randn(2, 5, 4), 1))
    recs.append(cell("rnncell", nn.RNNCell(4, 5), randn(3, 4), False))
    recs.append(cell("rnncell.relu", nn.RNNCell(4, 5, nonlinearity="relu"), randn(3, 4), False))
    recs.append(cell("lstmcell", nn.LSTMCell(4, 5), randn(3, 4), True))
    recs.append(cell("grucell", nn.GRUCell(4, 5), randn(3, 4), False))
    recs.append(embedding("embedding.padding", 7, 3, 2, torch.tensor([[1, 2, 6], [2, 2, 0]])))
    recs.append(embedding("embedding.repeat", 5, 4, None, torch.tensor([3, 0, 3, 3])))
    write("rnn.bin", recs)


if __name__ == "__main__":
    main()

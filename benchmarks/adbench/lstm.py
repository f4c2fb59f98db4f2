"""ADBench's LSTM objective: a stack of LSTM layers predicting a text, bit by bit, over a sequence.

Formulas after ADBench (src/python/modules/PyTorch/lstm_objective.py), including its normalizer
log(sum(exp(ypred)) + 2) (Python's ``sum(..., 2)`` there; the C++ reference has the same 2). Inputs after
data/lstm/gen_data.py: state, main and extra parameters uniform on [0, 1), the sequence a text's characters
as rows of bits.
"""

import numpy as np

WRT = (0, 1)
SIZES = {"small": (2, 8), "medium": (2, 128)}  # (layers, characters)
TEXT = "The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. " * 8


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_model(weight, bias, hidden, cell, inp):
    gates = np.concatenate((inp, hidden, inp, hidden)) * weight + bias
    hsize = hidden.shape[0]
    forget = sigmoid(gates[0:hsize])
    ingate = sigmoid(gates[hsize : 2 * hsize])
    outgate = sigmoid(gates[2 * hsize : 3 * hsize])
    change = np.tanh(gates[3 * hsize :])
    cell = cell * forget + ingate * change
    hidden = outgate * np.tanh(cell)
    return hidden, cell


def predict(w, w2, s, x):
    s2 = s.copy()
    x = x * w2[0]
    for i in range(0, len(s), 2):
        s2[i], s2[i + 1] = lstm_model(w[i], w[i + 1], s[i], s[i + 1], x)
        x = s2[i]
    return x * w2[1] + w2[2], s2


def objective(main_params, extra_params, state, sequence):
    total = 0.0
    count = 0
    inp = sequence[0]
    all_states = [state]
    for t in range(len(sequence) - 1):
        ypred, new_state = predict(main_params, extra_params, all_states[t], inp)
        all_states.append(new_state)
        ynorm = ypred - np.log(np.sum(np.exp(ypred)) + 2)
        ygold = sequence[t + 1]
        total += np.sum(ygold * ynorm)
        count += ygold.shape[0]
        inp = ygold
    return -total / count


def inputs(size, rng):
    layers, characters = SIZES[size]
    text = TEXT[:characters]
    bits = max(ord(c) for c in text).bit_length()
    sequence = np.array([[float(b) for b in format(ord(c), f"0{bits}b")] for c in text])
    state = rng.random((2 * layers, bits))
    main_params = rng.random((2 * layers, 4 * bits))
    extra_params = rng.random((3, bits))
    return main_params, extra_params, state, sequence

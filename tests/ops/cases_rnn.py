"""Op cases for LSTM, GRU and RNN.

Plain cases take their expected values from torch.nn.LSTM / GRU / RNN, with the weights
re-ordered from ONNX gate order (LSTM i,o,f,c; GRU z,r,h) to torch's (i,f,g,o; r,z,n).
What torch cannot express (peepholes, clip, input_forget, sequence_lens, GRU with
linear_before_reset=0, a lone reverse direction) uses the numpy loops below, which
follow the ONNX equations and are checked against torch where both apply."""
import numpy as np
import torch

from opcase import Case

rng = np.random.default_rng(2024)


def r(*shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---- numpy references (layout 0, float64) ----

def np_lstm(X, W, R, B, seq, h0, c0, P, direction, clip=None, input_forget=0):
    S, Bt, _ = X.shape
    D, H = W.shape[0], R.shape[2]
    Y = np.zeros((S, D, Bt, H))
    Yh, Yc = np.zeros((D, Bt, H)), np.zeros((D, Bt, H))
    cl = (lambda v: np.clip(v, -clip, clip)) if clip else (lambda v: v)
    for d in range(D):
        rev = direction == "reverse" or d == 1
        Wi, Wo, Wf, Wc = np.split(W[d], 4)
        Ri, Ro, Rf, Rc = np.split(R[d], 4)
        b = B[d] if B is not None else np.zeros(8 * H)
        bi, bo, bf, bc = np.split(b[:4 * H] + b[4 * H:], 4)
        pi, po, pf = np.split(P[d], 3) if P is not None else (0, 0, 0)
        for n in range(Bt):
            h = h0[d, n].copy() if h0 is not None else np.zeros(H)
            c = c0[d, n].copy() if c0 is not None else np.zeros(H)
            L = seq[n] if seq is not None else S
            for k in range(L):
                t = L - 1 - k if rev else k
                x = X[t, n]
                i = sigmoid(cl(Wi @ x + Ri @ h + pi * c + bi))
                f = 1 - i if input_forget else sigmoid(cl(Wf @ x + Rf @ h + pf * c + bf))
                c = f * c + i * np.tanh(cl(Wc @ x + Rc @ h + bc))
                o = sigmoid(cl(Wo @ x + Ro @ h + po * c + bo))
                h = o * np.tanh(c)
                Y[t, d, n] = h
            Yh[d, n], Yc[d, n] = h, c
    return Y, Yh, Yc


def np_gru(X, W, R, B, seq, h0, direction, clip=None, lbr=0):
    S, Bt, _ = X.shape
    D, H = W.shape[0], R.shape[2]
    Y, Yh = np.zeros((S, D, Bt, H)), np.zeros((D, Bt, H))
    cl = (lambda v: np.clip(v, -clip, clip)) if clip else (lambda v: v)
    for d in range(D):
        rev = direction == "reverse" or d == 1
        Wz, Wr, Wh = np.split(W[d], 3)
        Rz, Rr, Rh = np.split(R[d], 3)
        b = B[d] if B is not None else np.zeros(6 * H)
        wbz, wbr, wbh = np.split(b[:3 * H], 3)
        rbz, rbr, rbh = np.split(b[3 * H:], 3)
        for n in range(Bt):
            h = h0[d, n].copy() if h0 is not None else np.zeros(H)
            L = seq[n] if seq is not None else S
            for k in range(L):
                t = L - 1 - k if rev else k
                x = X[t, n]
                z = sigmoid(cl(Wz @ x + Rz @ h + wbz + rbz))
                rr = sigmoid(cl(Wr @ x + Rr @ h + wbr + rbr))
                if lbr:
                    hc = np.tanh(cl(Wh @ x + rr * (Rh @ h + rbh) + wbh))
                else:
                    hc = np.tanh(cl(Wh @ x + Rh @ (rr * h) + rbh + wbh))
                h = (1 - z) * hc + z * h
                Y[t, d, n] = h
            Yh[d, n] = h
    return Y, Yh


# ---- torch references ----

def onnx_to_torch(w, order):
    blocks = np.split(w, len(order), axis=0)
    return np.concatenate([blocks[i] for i in order], axis=0)


def torch_rnn(kind, X, W, R, B, h0, c0, bidir):
    """Y [S, D, B, H], Y_h, Y_c from torch with ONNX weights (layout 0)."""
    S, Bt, I = X.shape
    D, H = W.shape[0], R.shape[2]
    order = {"LSTM": [0, 2, 3, 1], "GRU": [1, 0, 2], "RNN": [0]}[kind]
    cls = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "RNN": torch.nn.RNN}[kind]
    m = cls(I, H, bias=B is not None, bidirectional=bidir).double()
    g = len(order)
    with torch.no_grad():
        for d in range(D):
            sfx = "_reverse" if d else ""
            getattr(m, "weight_ih_l0" + sfx).copy_(torch.from_numpy(onnx_to_torch(W[d], order)))
            getattr(m, "weight_hh_l0" + sfx).copy_(torch.from_numpy(onnx_to_torch(R[d], order)))
            if B is not None:
                getattr(m, "bias_ih_l0" + sfx).copy_(
                    torch.from_numpy(onnx_to_torch(B[d][:g * H], order)))
                getattr(m, "bias_hh_l0" + sfx).copy_(
                    torch.from_numpy(onnx_to_torch(B[d][g * H:], order)))
        x = torch.from_numpy(X.astype(np.float64))
        h = torch.zeros(D, Bt, H, dtype=torch.float64) if h0 is None else torch.from_numpy(h0)
        if kind == "LSTM":
            c = torch.zeros(D, Bt, H, dtype=torch.float64) if c0 is None else torch.from_numpy(c0)
            y, (yh, yc) = m(x, (h, c))
            yc = yc.numpy()
        else:
            y, yh = m(x, h)
            yc = None
    y = y.numpy().reshape(S, Bt, D, H).transpose(0, 2, 1, 3)
    return y, yh.numpy(), yc


def f64(x):
    return None if x is None else x.astype(np.float64)


def to_layout1(y, yh, yc):
    """[S, D, B, H] -> [B, S, D, H]; [D, B, H] -> [B, D, H]."""
    return (y.transpose(2, 0, 1, 3), yh.transpose(1, 0, 2),
            None if yc is None else yc.transpose(1, 0, 2))


def make_case(name, kind, X, W, R, B=None, seq=None, h0=None, c0=None, P=None, attrs=None,
              n_out=None, layout=0, dtype=np.float32, atol=1e-5, rtol=1e-5):
    attrs = dict(attrs or {})
    attrs["hidden_size"] = R.shape[2]
    direction = attrs.get("direction", "forward")
    clip = attrs.get("clip")
    torch_ok = seq is None and P is None and clip is None and not attrs.get("input_forget") \
        and direction != "reverse" and (kind != "GRU" or attrs.get("linear_before_reset"))
    Xd, Wd, Rd, Bd, h0d, c0d, Pd = (f64(v.astype(dtype)) if v is not None else None
                                     for v in (X, W, R, B, h0, c0, P))
    if kind == "LSTM":
        want = np_lstm(Xd, Wd, Rd, Bd, seq, h0d, c0d, Pd, direction, clip,
                       attrs.get("input_forget", 0))
    elif kind == "GRU":
        want = np_gru(Xd, Wd, Rd, Bd, seq, h0d, direction, clip,
                      attrs.get("linear_before_reset", 0)) + (None,)
    else:
        want = np_gru_like_rnn(Xd, Wd, Rd, Bd, seq, h0d, direction)
    if torch_ok:
        ref = torch_rnn(kind, Xd, Wd, Rd, Bd, h0d, c0d, direction == "bidirectional")
        for a, b in zip(want, ref):
            if a is not None:
                assert np.allclose(a, b, atol=1e-9), f"{name}: numpy reference disagrees with torch"
        want = ref
    if layout:
        attrs["layout"] = 1
        want = to_layout1(*want)
        X = X.transpose(1, 0, 2)
        h0 = None if h0 is None else h0.transpose(1, 0, 2)
        c0 = None if c0 is None else c0.transpose(1, 0, 2)
    inputs = [X, W, R, B, seq, h0]
    if kind == "LSTM":
        inputs += [c0, P]
    while inputs and inputs[-1] is None:
        inputs.pop()
    inputs = [None if v is None else (v if v.dtype == np.int32 else
                                      np.ascontiguousarray(v).astype(dtype)) for v in inputs]
    outs = [np.ascontiguousarray(w).astype(dtype) for w in want if w is not None]
    if n_out:
        outs = outs[:n_out]
    return Case(name, kind, inputs, outs, attrs=attrs, atol=atol, rtol=rtol)


def np_gru_like_rnn(X, W, R, B, seq, h0, direction):
    S, Bt, _ = X.shape
    D, H = W.shape[0], R.shape[2]
    Y, Yh = np.zeros((S, D, Bt, H)), np.zeros((D, Bt, H))
    for d in range(D):
        rev = direction == "reverse" or d == 1
        b = B[d][:H] + B[d][H:] if B is not None else 0
        for n in range(Bt):
            h = h0[d, n].copy() if h0 is not None else np.zeros(H)
            L = seq[n] if seq is not None else S
            for k in range(L):
                t = L - 1 - k if rev else k
                h = np.tanh(W[d] @ X[t, n] + R[d] @ h + b)
                Y[t, d, n] = h
            Yh[d, n] = h
    return Y, Yh, None


def weights(g, D, H, I, bias=True):
    return r(D, g * H, I), r(D, g * H, H), (r(D, 2 * g * H) if bias else None)


def lstm_cases():
    out = []
    S, Bt, I, H = 5, 3, 7, 6
    W, R, B = weights(4, 1, H, I)
    X = r(S, Bt, I, scale=1.0)
    h0, c0 = r(1, Bt, H), r(1, Bt, H)
    out.append(make_case("lstm_forward", "LSTM", X, W, R, B, h0=h0, c0=c0))
    out.append(make_case("lstm_no_bias_no_state", "LSTM", X, W, R))
    out.append(make_case("lstm_y_only", "LSTM", X, W, R, B, h0=h0, c0=c0, n_out=1))
    W2, R2, B2 = weights(4, 2, H, I)
    h02, c02 = r(2, Bt, H), r(2, Bt, H)
    out.append(make_case("lstm_bidirectional", "LSTM", X, W2, R2, B2, h0=h02, c0=c02,
                         attrs={"direction": "bidirectional"}))
    out.append(make_case("lstm_bidirectional_layout1", "LSTM", X, W2, R2, B2, h0=h02, c0=c02,
                         attrs={"direction": "bidirectional"}, layout=1))
    out.append(make_case("lstm_reverse", "LSTM", X, W, R, B, h0=h0, c0=c0,
                         attrs={"direction": "reverse"}))
    P2 = r(2, 3 * H)
    out.append(make_case("lstm_peepholes", "LSTM", X, W2, R2, B2, h0=h02, c0=c02, P=P2,
                         attrs={"direction": "bidirectional"}))
    out.append(make_case("lstm_clip_input_forget", "LSTM", X * 4, W, R, B, h0=h0, c0=c0,
                         attrs={"clip": 0.7, "input_forget": 1}))
    seq = np.array([5, 2, 0], dtype=np.int32)
    out.append(make_case("lstm_sequence_lens", "LSTM", X, W2, R2, B2, seq=seq, h0=h02, c0=c02,
                         attrs={"direction": "bidirectional"}))
    # Silero VAD: one step of a 128-wide LSTM with carried state
    Ws, Rs, Bs = weights(4, 1, 128, 128)
    out.append(make_case("lstm_silero_step", "LSTM", r(1, 1, 128), Ws, Rs, Bs,
                         h0=r(1, 1, 128), c0=r(1, 1, 128), atol=1e-5, rtol=1e-4))
    out.append(make_case("lstm_long_batch", "LSTM", r(17, 4, 33), *weights(4, 1, 20, 33),
                         h0=r(1, 4, 20), c0=r(1, 4, 20), atol=1e-5, rtol=1e-4))
    out.append(make_case("lstm_f16", "LSTM", X, W2, R2, B2, h0=h02, c0=c02,
                         attrs={"direction": "bidirectional"}, dtype=np.float16,
                         atol=5e-3, rtol=5e-3))
    return out


def gru_cases():
    out = []
    S, Bt, I, H = 4, 2, 5, 6
    X = r(S, Bt, I, scale=1.0)
    W, R, B = weights(3, 1, H, I)
    W2, R2, B2 = weights(3, 2, H, I)
    h0, h02 = r(1, Bt, H), r(2, Bt, H)
    lbr = {"linear_before_reset": 1}
    out.append(make_case("gru_forward_lbr", "GRU", X, W, R, B, h0=h0, attrs=lbr))
    out.append(make_case("gru_forward", "GRU", X, W, R, B, h0=h0))
    out.append(make_case("gru_no_bias", "GRU", X, W, R))
    out.append(make_case("gru_bidirectional_lbr", "GRU", X, W2, R2, B2, h0=h02,
                         attrs={"direction": "bidirectional", **lbr}))
    out.append(make_case("gru_bidirectional", "GRU", X, W2, R2, B2, h0=h02,
                         attrs={"direction": "bidirectional"}, layout=1))
    out.append(make_case("gru_reverse_clip", "GRU", X * 3, W, R, B, h0=h0,
                         attrs={"direction": "reverse", "clip": 0.5}))
    out.append(make_case("gru_sequence_lens", "GRU", X, W2, R2, B2, h0=h02,
                         seq=np.array([3, 1], dtype=np.int32),
                         attrs={"direction": "bidirectional", **lbr}))
    out.append(make_case("gru_y_only", "GRU", X, W, R, B, attrs=lbr, n_out=1))
    return out


def rnn_cases():
    out = []
    X = r(4, 2, 5, scale=1.0)
    W, R, B = weights(1, 2, 6, 5)
    out.append(make_case("rnn_bidirectional", "RNN", X, W, R, B, h0=r(2, 2, 6),
                         attrs={"direction": "bidirectional"}))
    W1, R1, B1 = weights(1, 1, 6, 5)
    out.append(make_case("rnn_reverse_seq", "RNN", X, W1, R1, B1,
                         seq=np.array([2, 4], dtype=np.int32), attrs={"direction": "reverse"}))
    return out


def cases():
    return lstm_cases() + gru_cases() + rnn_cases()

# Expected values of run-lower-paged-attention.mlir: numpy, float64, from
# the same inputs as the test (printed here as MLIR constants). Attention
# over each sequence's own contiguous keys, independent of any pool or block
# table.
import numpy as np

rng = np.random.default_rng(1)
B, Hq, Hkv, D, BS = 2, 2, 1, 4, 4
S_PREFILL = 5
new_tokens = [5, 3]              # sequence 1 is left-padded by two rows
table = [[5, 2, 7], [6, 0, 3]]   # shuffled, non-contiguous blocks
scale = 0.5

q1 = rng.uniform(-1, 1, (B, Hq, S_PREFILL, D)).astype(np.float32)
k1 = rng.uniform(-1, 1, (B, Hkv, S_PREFILL, D)).astype(np.float32)
v1 = rng.uniform(-1, 1, (B, Hkv, S_PREFILL, D)).astype(np.float32)
q2 = rng.uniform(-1, 1, (B, Hq, 1, D)).astype(np.float32)
k2 = rng.uniform(-1, 1, (B, Hkv, 1, D)).astype(np.float32)
v2 = rng.uniform(-1, 1, (B, Hkv, 1, D)).astype(np.float32)


def slots(lengths, start, s):
    out = np.full((B, s), -1, np.int32)
    for b in range(B):
        for t in range(s - lengths[b], s):
            p = start[b] + t - (s - lengths[b])
            out[b, t] = table[b][p // BS] * BS + p % BS
    return out


def attention(q, keys, values, n, causal):
    # keys/values: per sequence, its n contiguous tokens [Hkv, n, D].
    s_q = q.shape[1]
    out = np.zeros(q.shape, np.float64)
    for h in range(Hq):
        g = h // (Hq // Hkv)
        for i in range(s_q):
            pos = n - s_q + i
            if pos < 0:
                continue  # a padding row: zero
            last = pos if causal else n - 1
            k = keys[g, : last + 1].astype(np.float64)
            s = scale * k @ q[h, i].astype(np.float64)
            p = np.exp(s - s.max())
            out[h, i] = (p / p.sum()) @ values[g, : last + 1].astype(np.float64)
    return out


def fmt(a):
    return "dense<" + np.array2string(a, separator=", ", floatmode="unique",
                                      threshold=10**6).replace("\n", "") + ">"


def check(x):
    if abs(x) < 1e-3:
        return "{{-?[0-9.e+-]+}}" if x != 0 else "0"
    t = "%.3f" % (np.trunc(x * 1000) / 1000)
    frac = abs(x * 1000) % 1
    assert 0.002 < frac < 0.998, "too close to a third-decimal boundary: %r" % x
    return t + "{{[0-9]*}}"


for name, a in [("Q1", q1), ("K1", k1), ("V1", v1),
                ("Q2", q2), ("K2", k2), ("V2", v2)]:
    print(name, fmt(a))
print("SLOTS1", slots(new_tokens, [0, 0], S_PREFILL).tolist())
print("SLOTS2", slots([1, 1], new_tokens, 1).tolist())

keys = [k1[b][:, S_PREFILL - new_tokens[b]:] for b in range(B)]
values = [v1[b][:, S_PREFILL - new_tokens[b]:] for b in range(B)]
results = []
for causal in (True, False):
    results.append(np.stack([
        attention(q1[b], keys[b], values[b], new_tokens[b], causal)
        for b in range(B)]))
keys2 = [np.concatenate([keys[b], k2[b]], axis=1) for b in range(B)]
values2 = [np.concatenate([values[b], v2[b]], axis=1) for b in range(B)]
results.append(np.stack([
    attention(q2[b], keys2[b], values2[b], new_tokens[b] + 1, True)
    for b in range(B)]))
for r in results:
    print("// CHECK: data =")
    for row in r.reshape(-1, D):
        print("// CHECK-NEXT: " + ", ".join(check(x) for x in row))

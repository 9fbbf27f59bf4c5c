import numpy as np
rng = np.random.default_rng(3)
B,Hq,Hkv,Sq,Skv,D = 1,2,1,3,5,4
q = rng.uniform(-1,1,(B,Hq,Sq,D)).astype(np.float32)
k = rng.uniform(-1,1,(B,Hkv,Skv,D)).astype(np.float32)
v = rng.uniform(-1,1,(B,Hkv,Skv,D)).astype(np.float32)
mask = np.zeros((1,1,1,Skv),np.float32); mask[0,0,0,1] = -1e9  # padding: key 1 hidden
scale = 0.5
def attn(causal, use_mask):
    out = np.zeros((B,Hq,Sq,D),np.float64)
    for h in range(Hq):
        g = h // (Hq//Hkv)
        s = scale * q[0,h].astype(np.float64) @ k[0,g].T.astype(np.float64)
        if use_mask: s = s + mask[0,0]
        if causal:
            for i in range(Sq):
                for j in range(Skv):
                    if j > i + (Skv-Sq): s[i,j] = -np.inf
        s = s - s.max(axis=1, keepdims=True)
        p = np.exp(s); p /= p.sum(axis=1, keepdims=True)
        out[0,h] = p @ v[0,g]
    return out
def fmt(a):
    return "dense<" + np.array2string(a, separator=", ", floatmode="unique", threshold=10**6).replace("\n","") + ">"
print("Q", fmt(q)); print("K", fmt(k)); print("V", fmt(v)); print("M", fmt(mask))
for c,m in [(True,True),(False,False)]:
    o = attn(c,m)
    print("causal",c,"mask",m)
    for h in range(Hq):
        for i in range(Sq):
            print("  ", " ".join("%.9f"%x for x in o[0,h,i]))

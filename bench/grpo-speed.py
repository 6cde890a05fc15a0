"""The GRPO benchmark's model in PyTorch (nanoGPT style), timed like bench/grpo-speed.ts times tsrl's.

4 layers, d 64, 4 heads, MLP 256, GELU (tanh), learned positions, tied LM head, vocabulary 14,
context 16. Prints one JSON line: training tokens/s (forward+backward, and with the AdamW step) at
batch 64 x 16, and KV-cache sampling tokens/s for 256 prompts x 6 new tokens (10-token prompts;
and 32 prompts x groups of 8; and 16 prompts).
Benchmark only: run by bench/grpo-speed.ts when python3 has torch; never in tests.
Usage: python3 bench/grpo-speed.py [threads] [wall|cpu]   (cpu: process CPU time instead of wall time)
"""
import json, math, sys, time
clock = time.process_time if len(sys.argv) > 2 and sys.argv[2] == "cpu" else time.perf_counter
import torch
import torch.nn as nn
import torch.nn.functional as F

V, CTX, LAYERS, D, HEADS, MLP = 14, 16, 4, 64, 4, 256


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv, self.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.fc, self.fcproj = nn.Linear(D, MLP), nn.Linear(MLP, D)
        self.register_buffer("mask", torch.tril(torch.ones(CTX, CTX)).view(1, 1, CTX, CTX))

    def attend(self, x, cache=None):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(D, dim=2)
        q, k, v = (t.view(B, T, HEADS, C // HEADS).transpose(1, 2) for t in (q, k, v))
        if cache is not None:  # (keys, values, length): append and attend over everything so far
            keys, values, n = cache
            keys[:, :, n:n + T], values[:, :, n:n + T] = k, v
            k, v = keys[:, :, :n + T], values[:, :, :n + T]
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
        S = k.size(2)
        att = att.masked_fill(self.mask[:, :, S - T:S, :S] == 0, float("-inf"))
        y = F.softmax(att, dim=-1) @ v
        return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))

    def forward(self, x, cache=None):
        x = x + self.attend(self.ln1(x), cache)
        return x + self.fcproj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, D), nn.Embedding(CTX, D)
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.lnf = nn.LayerNorm(D)

    def forward(self, idx, caches=None, start=0):
        T = idx.size(1)
        x = self.wte(idx) + self.wpe(torch.arange(start, start + T))
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else (*caches[i], start))
        return self.lnf(x) @ self.wte.weight.t()


def train_speed(model, steps=30, B=64, T=16):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randint(0, V, (B, T))
    y = torch.randint(0, V, (B, T))
    def step(with_opt):
        loss = F.cross_entropy(model(x).view(-1, V), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if with_opt:
            opt.step()
    for _ in range(5):
        step(True)
    out = {}
    for name, with_opt in (("train_fwd_bwd_tokens_per_s", False), ("train_tokens_per_s", True)):
        t0 = clock()
        for _ in range(steps):
            step(with_opt)
        out[name] = steps * B * T / (clock() - t0)
    return out


@torch.no_grad()
def sample_speed(model, rows=256, prompt=10, new=6, reps=3, group=1):
    g = torch.Generator().manual_seed(0)
    idx = torch.randint(0, V, (rows // group, prompt), generator=g).repeat_interleave(group, 0)
    def run():
        caches = [(torch.zeros(rows, HEADS, CTX, D // HEADS), torch.zeros(rows, HEADS, CTX, D // HEADS)) for _ in range(LAYERS)]
        logits = model(idx, caches, 0)[:, -1]
        for i in range(new):
            tok = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=g)
            if i < new - 1:
                logits = model(tok, caches, prompt + i)[:, -1]
    run()
    best = float("inf")
    for _ in range(5):  # the best of several rounds, as bench/grpo-speed.ts times tsrl
        t0 = clock()
        for _ in range(reps):
            run()
        best = min(best, (clock() - t0) / reps)
    return rows * new / best


if __name__ == "__main__":
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = GPT()
    result = {"torch": torch.__version__, "threads": threads, "params": sum(p.numel() for p in model.parameters())}
    result.update(train_speed(model))
    result["sample_tokens_per_s"] = sample_speed(model)
    result["sample_grouped_tokens_per_s"] = sample_speed(model, group=8)  # 32 prompts x 8, every row computed
    result["sample_16_tokens_per_s"] = sample_speed(model, rows=16, reps=20)
    print(json.dumps(result))

"""Session 28, lane O: famous training programs, round 2 (nn/optim). Short versions of programs
people copy from famous repos and tutorials, each training a few steps on small random data with
a fixed seed (Ember's generator draws PyTorch's numbers, so both libraries start from the same
weights) and printing losses, metrics and samples: nanoGPT's model (causal self-attention by hand
and through SDPA, weight tying, AdamW groups with a weight-decay split, gradient clipping, cosine
LR with warmup, ``generate`` with temperature, top-k and ``multinomial``) and its training loop
(GradScaler, gradient accumulation, checkpoint round trip, ``crop_block_size``); minGPT; char-
RNNs (LSTM sampling, the names tutorials); WGAN with weight clipping, spectral norm and
gradient penalty and a conv VAE (DCGAN, the MLP VAE and word_language_model are in the s26
generative and s21 e2e files); the Annotated Transformer's label smoothing (KLDivLoss) and
Noam schedule (LambdaLR); neural style transfer (Gram matrices, LBFGS on the image, float64); DQN
with a replay buffer (gather, smooth_l1_loss, soft and hard target updates); REINFORCE and actor-
critic; seq2seq with Bahdanau attention; a tabular MLP with early stopping and
``no_grad``/``inference_mode`` evaluation; LR schedules (warmup+cosine, SequentialLR, OneCycleLR,
warm restarts, CyclicLR, ...); pytorch/examples (MNIST with Adadelta+StepLR, ImageNet top-k
accuracy meters, triplet and contrastive losses, fast-style blocks); LBFGS variants (strong
Wolfe, short history) and ``kl_div`` variants; optimizer options (fused, foreach, tensor lr),
EMA/SWA; edge cases of ``multinomial``, ``topk`` and gradient clipping; optimizer, scheduler and
sampling reprs; a DQN replay buffer batched from NumPy arrays. Plus oracle tests of ``tensor``
data holding 0-d NumPy arrays (their dtype counts; first in a sequence they have no len()) and of
PyTorch's warning for a list of NumPy arrays, also given with an explicit dtype and through the
legacy constructors. Each program text, written against PyTorch, prints the same under PyTorch
and, rewritten, under Ember (printed at the precision such programs print, above float32 matmul
summation-order noise)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from _programs import same_printed

import ember
from ember.ops import creation

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
pytest.importorskip("ember.nn")
pytest.importorskip("ember.optim")
pytest.importorskip("ember.vision")

PROGRAMS: dict[str, str] = {}

PROGRAMS["nanogpt_model_by_hand_and_sdpa"] = r"""
import math
import torch
import torch.nn as nn
from torch.nn import functional as F
import inspect

torch.manual_seed(1337)

class LayerNorm(nn.Module):
    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None
    def forward(self, input):
        return F.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-5)

class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, block_size, bias, flash):
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=bias)
        self.c_proj = nn.Linear(n_embd, n_embd, bias=bias)
        self.attn_dropout = nn.Dropout(0.0)
        self.resid_dropout = nn.Dropout(0.0)
        self.n_head = n_head
        self.n_embd = n_embd
        self.flash = flash
        if not self.flash:
            self.register_buffer("bias", torch.tril(torch.ones(block_size, block_size)).view(1, 1, block_size, block_size))
    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        if self.flash:
            y = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:,:,:T,:T] == 0, float('-inf'))
            att = F.softmax(att, dim=-1)
            att = self.attn_dropout(att)
            y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        y = self.resid_dropout(self.c_proj(y))
        return y

class MLP(nn.Module):
    def __init__(self, n_embd, bias):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd, bias=bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * n_embd, n_embd, bias=bias)
        self.dropout = nn.Dropout(0.0)
    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))

class Block(nn.Module):
    def __init__(self, n_embd, n_head, block_size, bias, flash):
        super().__init__()
        self.ln_1 = LayerNorm(n_embd, bias=bias)
        self.attn = CausalSelfAttention(n_embd, n_head, block_size, bias, flash)
        self.ln_2 = LayerNorm(n_embd, bias=bias)
        self.mlp = MLP(n_embd, bias)
    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x

class GPT(nn.Module):
    def __init__(self, vocab_size=17, block_size=8, n_layer=2, n_head=2, n_embd=16, bias=True, flash=False):
        super().__init__()
        self.block_size = block_size
        self.n_layer = n_layer
        self.transformer = nn.ModuleDict(dict(
            wte = nn.Embedding(vocab_size, n_embd),
            wpe = nn.Embedding(block_size, n_embd),
            drop = nn.Dropout(0.0),
            h = nn.ModuleList([Block(n_embd, n_head, block_size, bias, flash) for _ in range(n_layer)]),
            ln_f = LayerNorm(n_embd, bias=bias),
        ))
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        for pn, p in self.named_parameters():
            if pn.endswith('c_proj.weight'):
                torch.nn.init.normal_(p, mean=0.0, std=0.02/math.sqrt(2 * n_layer))
        print("number of parameters: %.2fK" % (self.get_num_params()/1e3,))
    def get_num_params(self, non_embedding=True):
        n_params = sum(p.numel() for p in self.parameters())
        if non_embedding:
            n_params -= self.transformer.wpe.weight.numel()
        return n_params
    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
    def forward(self, idx, targets=None):
        device = idx.device
        b, t = idx.size()
        assert t <= self.block_size, f"Cannot forward sequence of length {t}, block size is only {self.block_size}"
        pos = torch.arange(0, t, dtype=torch.long, device=device)
        tok_emb = self.transformer.wte(idx)
        pos_emb = self.transformer.wpe(pos)
        x = self.transformer.drop(tok_emb + pos_emb)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        if targets is not None:
            logits = self.lm_head(x)
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        else:
            logits = self.lm_head(x[:, [-1], :])
            loss = None
        return logits, loss
    def configure_optimizers(self, weight_decay, learning_rate, betas, device_type):
        param_dict = {pn: p for pn, p in self.named_parameters()}
        param_dict = {pn: p for pn, p in param_dict.items() if p.requires_grad}
        decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
        nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
        optim_groups = [
            {'params': decay_params, 'weight_decay': weight_decay},
            {'params': nodecay_params, 'weight_decay': 0.0}
        ]
        num_decay_params = sum(p.numel() for p in decay_params)
        num_nodecay_params = sum(p.numel() for p in nodecay_params)
        print(f"num decayed parameter tensors: {len(decay_params)}, with {num_decay_params:,} parameters")
        print(f"num non-decayed parameter tensors: {len(nodecay_params)}, with {num_nodecay_params:,} parameters")
        fused_available = 'fused' in inspect.signature(torch.optim.AdamW).parameters
        use_fused = fused_available and device_type == 'cuda'
        extra_args = dict(fused=True) if use_fused else dict()
        optimizer = torch.optim.AdamW(optim_groups, lr=learning_rate, betas=betas, **extra_args)
        print(f"using fused AdamW: {use_fused}")
        return optimizer
    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
        for _ in range(max_new_tokens):
            idx_cond = idx if idx.size(1) <= self.block_size else idx[:, -self.block_size:]
            logits, _ = self(idx_cond)
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits[logits < v[:, [-1]]] = -float('Inf')
            probs = F.softmax(logits, dim=-1)
            idx_next = torch.multinomial(probs, num_samples=1)
            idx = torch.cat((idx, idx_next), dim=1)
        return idx

for flash in (False, True):
    torch.manual_seed(1337)
    model = GPT(flash=flash)
    print(model.lm_head.weight is model.transformer.wte.weight)
    print(len(list(model.parameters())), len(model.state_dict()))
    optimizer = model.configure_optimizers(0.1, 6e-4, (0.9, 0.95), 'cpu')
    print([ (len(g['params']), g['weight_decay'], g['lr'], g['betas']) for g in optimizer.param_groups])
    learning_rate, warmup_iters, lr_decay_iters, min_lr = 6e-3, 2, 8, 6e-4
    def get_lr(it):
        if it < warmup_iters:
            return learning_rate * (it + 1) / (warmup_iters + 1)
        if it > lr_decay_iters:
            return min_lr
        decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
        assert 0 <= decay_ratio <= 1
        coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
        return min_lr + coeff * (learning_rate - min_lr)
    data = torch.randint(17, (200,))
    def get_batch():
        ix = torch.randint(len(data) - 8, (4,))
        x = torch.stack([data[i:i+8] for i in ix])
        y = torch.stack([data[i+1:i+1+8] for i in ix])
        return x, y
    for it in range(10):
        lr = get_lr(it)
        for param_group in optimizer.param_groups:
            param_group['lr'] = lr
        X, Y = get_batch()
        logits, loss = model(X, Y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        print(f"iter {it}: loss {loss.item():.4f}, lr {lr:.6f}, norm {norm:.4f}")
    model.eval()
    @torch.no_grad()
    def estimate_loss():
        out = {}
        losses = torch.zeros(3)
        for k in range(3):
            X, Y = get_batch()
            logits, loss = model(X, Y)
            losses[k] = loss.item()
        out['val'] = losses.mean()
        return out
    print(estimate_loss())
    x = torch.zeros((1, 1), dtype=torch.long)
    y = model.generate(x, 10, temperature=0.8, top_k=5)
    print(y[0].tolist())
    print(model.generate(torch.tensor([[1, 2, 3]]), 8, temperature=1.0).tolist())
    print(optimizer.state_dict()['state'][0]['step'], optimizer.state_dict()['param_groups'][1])
"""

PROGRAMS["mingpt_sort_demo"] = r"""
import math
import torch
import torch.nn as nn
from torch.nn import functional as F

class NewGELU(nn.Module):
    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))

class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, block_size):
        super().__init__()
        assert n_embd % n_head == 0
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.attn_dropout = nn.Dropout(0.1)
        self.resid_dropout = nn.Dropout(0.1)
        self.register_buffer("bias", torch.tril(torch.ones(block_size, block_size)).view(1, 1, block_size, block_size))
        self.n_head = n_head
        self.n_embd = n_embd
    def forward(self, x):
        B, T, C = x.size()
        q, k ,v  = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:,:,:T,:T] == 0, float('-inf'))
        att = F.softmax(att, dim=-1)
        att = self.attn_dropout(att)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        y = self.resid_dropout(self.c_proj(y))
        return y

class Block(nn.Module):
    def __init__(self, n_embd, n_head, block_size):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, block_size)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = nn.ModuleDict(dict(
            c_fc    = nn.Linear(n_embd, 4 * n_embd),
            c_proj  = nn.Linear(4 * n_embd, n_embd),
            act     = NewGELU(),
            dropout = nn.Dropout(0.1),
        ))
        m = self.mlp
        self.mlpf = lambda x: m.dropout(m.c_proj(m.act(m.c_fc(x))))
    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlpf(self.ln_2(x))
        return x

class GPT(nn.Module):
    def __init__(self, vocab_size=11, block_size=7, n_layer=2, n_head=4, n_embd=16):
        super().__init__()
        self.block_size = block_size
        self.transformer = nn.ModuleDict(dict(
            wte = nn.Embedding(vocab_size, n_embd),
            wpe = nn.Embedding(block_size, n_embd),
            drop = nn.Dropout(0.1),
            h = nn.ModuleList([Block(n_embd, n_head, block_size) for _ in range(n_layer)]),
            ln_f = nn.LayerNorm(n_embd),
        ))
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.apply(self._init_weights)
        for pn, p in self.named_parameters():
            if pn.endswith('c_proj.weight'):
                torch.nn.init.normal_(p, mean=0.0, std=0.02/math.sqrt(2 * n_layer))
        n_params = sum(p.numel() for p in self.transformer.parameters())
        print("number of parameters: %.2fM" % (n_params/1e6,))
    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
        elif isinstance(module, nn.LayerNorm):
            torch.nn.init.zeros_(module.bias)
            torch.nn.init.ones_(module.weight)
    def configure_optimizers(self, weight_decay=0.1, learning_rate=5e-4, betas=(0.9, 0.95)):
        decay = set()
        no_decay = set()
        whitelist_weight_modules = (torch.nn.Linear, )
        blacklist_weight_modules = (torch.nn.LayerNorm, torch.nn.Embedding)
        for mn, m in self.named_modules():
            for pn, p in m.named_parameters():
                fpn = '%s.%s' % (mn, pn) if mn else pn
                if pn.endswith('bias'):
                    no_decay.add(fpn)
                elif pn.endswith('weight') and isinstance(m, whitelist_weight_modules):
                    decay.add(fpn)
                elif pn.endswith('weight') and isinstance(m, blacklist_weight_modules):
                    no_decay.add(fpn)
        param_dict = {pn: p for pn, p in self.named_parameters()}
        inter_params = decay & no_decay
        union_params = decay | no_decay
        assert len(inter_params) == 0
        assert len(param_dict.keys() - union_params) == 0
        optim_groups = [
            {"params": [param_dict[pn] for pn in sorted(list(decay))], "weight_decay": weight_decay},
            {"params": [param_dict[pn] for pn in sorted(list(no_decay))], "weight_decay": 0.0},
        ]
        print(sorted(no_decay))
        optimizer = torch.optim.AdamW(optim_groups, lr=learning_rate, betas=betas)
        return optimizer
    def forward(self, idx, targets=None):
        device = idx.device
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long, device=device).unsqueeze(0)
        tok_emb = self.transformer.wte(idx)
        pos_emb = self.transformer.wpe(pos)
        x = self.transformer.drop(tok_emb + pos_emb)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss
    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, do_sample=False, top_k=None):
        for _ in range(max_new_tokens):
            idx_cond = idx if idx.size(1) <= self.block_size else idx[:, -self.block_size:]
            logits, _ = self(idx_cond)
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, top_k)
                logits[logits < v[:, [-1]]] = -float('Inf')
            probs = F.softmax(logits, dim=-1)
            if do_sample:
                idx_next = torch.multinomial(probs, num_samples=1)
            else:
                _, idx_next = torch.topk(probs, k=1, dim=-1)
            idx = torch.cat((idx, idx_next), dim=1)
        return idx

torch.manual_seed(3407)
model = GPT()
opt = model.configure_optimizers()
print(opt)
# sort task: like minGPT's demo
def make_batch(n):
    inp = torch.randint(3, size=(n, 4), dtype=torch.long)
    sol = torch.sort(inp, dim=1)[0]
    cat = torch.cat((inp, sol), dim=1)
    x = cat[:, :-1].clone()
    y = cat[:, 1:].clone()
    y[:, :4-1] = -1
    return x, y
model.train()
for it in range(8):
    x, y = make_batch(8)
    logits, loss = model(x, y)
    model.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    print(f"iter_dt {it}; iter {it}: train loss {loss.item():.5f}")
model.eval()
inp = torch.tensor([[0, 0, 2, 1]], dtype=torch.long)
with torch.no_grad():
    cat = model.generate(inp, 4, do_sample=False)
print(cat)
cat2 = model.generate(inp, 4, do_sample=True, top_k=3, temperature=0.7)
print(cat2, cat2.dtype)
print(model.transformer.h[0].attn.bias.shape, model.transformer.h[0].attn.bias.dtype)
print(sum(p.numel() for p in model.parameters()))
"""

PROGRAMS["char_rnn_lstm_sampling"] = r"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(42)
text = "hello world, this is a tiny char rnn corpus. hello again!"
chars = sorted(list(set(text)))
vocab_size = len(chars)
stoi = {ch: i for i, ch in enumerate(chars)}
itos = {i: ch for i, ch in enumerate(chars)}
encode = lambda s: [stoi[c] for c in s]
decode = lambda l: ''.join([itos[i] for i in l])
data = torch.tensor(encode(text), dtype=torch.long)
print(vocab_size, data.shape, data.dtype, data[:10])

class CharRNN(nn.Module):
    def __init__(self, vocab, hidden=24, layers=2, dropout=0.0):
        super().__init__()
        self.hidden = hidden
        self.layers = layers
        self.embed = nn.Embedding(vocab, 12)
        self.lstm = nn.LSTM(12, hidden, layers, dropout=dropout, batch_first=True)
        self.fc = nn.Linear(hidden, vocab)
    def forward(self, x, h):
        x = self.embed(x)
        out, h = self.lstm(x, h)
        out = out.contiguous().view(-1, self.hidden)
        return self.fc(out), h
    def init_hidden(self, bsz):
        weight = next(self.parameters()).data
        return (weight.new(self.layers, bsz, self.hidden).zero_(),
                weight.new(self.layers, bsz, self.hidden).zero_())

model = CharRNN(vocab_size)
print(model)
opt = torch.optim.Adam(model.parameters(), lr=0.01)
criterion = nn.CrossEntropyLoss()
seq_len, bsz = 10, 3
for step in range(12):
    ix = torch.randint(len(data) - seq_len - 1, (bsz,))
    x = torch.stack([data[i:i+seq_len] for i in ix])
    y = torch.stack([data[i+1:i+1+seq_len] for i in ix])
    h = model.init_hidden(bsz)
    h = tuple([each.data for each in h])
    model.zero_grad()
    out, h = model(x, h)
    loss = criterion(out, y.view(bsz * seq_len).long())
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 5)
    opt.step()
    print(f"step {step} loss {loss.item():.4f} perplexity {torch.exp(loss).item():.3f}")

def sample(model, size, prime='he', top_k=None, temperature=1.0):
    model.eval()
    chars_ = [ch for ch in prime]
    h = model.init_hidden(1)
    with torch.no_grad():
        for ch in prime:
            x = torch.tensor([[stoi[ch]]])
            out, h = model(x, h)
        for ii in range(size):
            p = F.softmax(out / temperature, dim=1).data
            if top_k is None:
                nxt = torch.multinomial(p, 1)[0]
            else:
                p, top_ch = p.topk(top_k)
                top_ch = top_ch.numpy().squeeze()
                p = p.numpy().squeeze()
                idx = torch.multinomial(torch.from_numpy(p), 1).item()
                nxt = torch.tensor([int(top_ch[idx])])
            chars_.append(itos[nxt.item()])
            out, h = model(nxt.view(1, 1), h)
    return ''.join(chars_)

print(repr(sample(model, 15)))
print(repr(sample(model, 15, top_k=4, temperature=0.8)))
# Karpathy's min-char-rnn style: hidden state carried over with detach
h = model.init_hidden(1)
model.train()
for step in range(3):
    x = data[step*8:(step+1)*8].view(1, -1)
    y = data[step*8+1:(step+1)*8+1]
    h = tuple(t.detach() for t in h)
    out, h = model(x, h)
    loss = F.cross_entropy(out, y)
    opt.zero_grad(); loss.backward(); opt.step()
    print(step, round(loss.item(), 5), h[0].shape, h[1].requires_grad)
# GRU variant with nn.RNN-style multinomial on logits
gru = nn.GRU(5, 7, batch_first=True)
lin = nn.Linear(7, 5)
xs = torch.randn(2, 4, 5)
o, hn = gru(xs)
probs = F.softmax(lin(o[:, -1]), -1)
print(torch.multinomial(probs, 3, replacement=True), torch.multinomial(probs, 3))
print(torch.multinomial(torch.tensor([0.1, 0.0, 0.9]), 5, replacement=True))
"""

PROGRAMS["annotated_transformer_label_smoothing_noam"] = r"""
import copy, math
import torch
import torch.nn as nn
from torch.nn.functional import log_softmax, pad
from torch.optim.lr_scheduler import LambdaLR

torch.manual_seed(0)
def clones(module, N):
    return nn.ModuleList([copy.deepcopy(module) for _ in range(N)])
class LayerNorm(nn.Module):
    def __init__(self, features, eps=1e-6):
        super(LayerNorm, self).__init__()
        self.a_2 = nn.Parameter(torch.ones(features))
        self.b_2 = nn.Parameter(torch.zeros(features))
        self.eps = eps
    def forward(self, x):
        mean = x.mean(-1, keepdim=True)
        std = x.std(-1, keepdim=True)
        return self.a_2 * (x - mean) / (std + self.eps) + self.b_2
class SublayerConnection(nn.Module):
    def __init__(self, size, dropout):
        super(SublayerConnection, self).__init__()
        self.norm = LayerNorm(size)
        self.dropout = nn.Dropout(dropout)
    def forward(self, x, sublayer):
        return x + self.dropout(sublayer(self.norm(x)))
def attention(query, key, value, mask=None, dropout=None):
    d_k = query.size(-1)
    scores = torch.matmul(query, key.transpose(-2, -1)) / math.sqrt(d_k)
    if mask is not None:
        scores = scores.masked_fill(mask == 0, -1e9)
    p_attn = scores.softmax(dim=-1)
    if dropout is not None:
        p_attn = dropout(p_attn)
    return torch.matmul(p_attn, value), p_attn
class MultiHeadedAttention(nn.Module):
    def __init__(self, h, d_model, dropout=0.1):
        super(MultiHeadedAttention, self).__init__()
        assert d_model % h == 0
        self.d_k = d_model // h
        self.h = h
        self.linears = clones(nn.Linear(d_model, d_model), 4)
        self.attn = None
        self.dropout = nn.Dropout(p=dropout)
    def forward(self, query, key, value, mask=None):
        if mask is not None:
            mask = mask.unsqueeze(1)
        nbatches = query.size(0)
        query, key, value = [
            lin(x).view(nbatches, -1, self.h, self.d_k).transpose(1, 2)
            for lin, x in zip(self.linears, (query, key, value))
        ]
        x, self.attn = attention(query, key, value, mask=mask, dropout=self.dropout)
        x = (x.transpose(1, 2).contiguous().view(nbatches, -1, self.h * self.d_k))
        del query
        del key
        del value
        return self.linears[-1](x)
class PositionwiseFeedForward(nn.Module):
    def __init__(self, d_model, d_ff, dropout=0.1):
        super(PositionwiseFeedForward, self).__init__()
        self.w_1 = nn.Linear(d_model, d_ff)
        self.w_2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)
    def forward(self, x):
        return self.w_2(self.dropout(self.w_1(x).relu()))
class Embeddings(nn.Module):
    def __init__(self, d_model, vocab):
        super(Embeddings, self).__init__()
        self.lut = nn.Embedding(vocab, d_model)
        self.d_model = d_model
    def forward(self, x):
        return self.lut(x) * math.sqrt(self.d_model)
class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout, max_len=5000):
        super(PositionalEncoding, self).__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * -(math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0)
        self.register_buffer("pe", pe)
    def forward(self, x):
        x = x + self.pe[:, : x.size(1)].requires_grad_(False)
        return self.dropout(x)
def subsequent_mask(size):
    attn_shape = (1, size, size)
    subsequent_mask = torch.triu(torch.ones(attn_shape), diagonal=1).type(torch.uint8)
    return subsequent_mask == 0
print(subsequent_mask(4))
class EncoderLayer(nn.Module):
    def __init__(self, size, self_attn, feed_forward, dropout):
        super(EncoderLayer, self).__init__()
        self.self_attn = self_attn
        self.feed_forward = feed_forward
        self.sublayer = clones(SublayerConnection(size, dropout), 2)
        self.size = size
    def forward(self, x, mask):
        x = self.sublayer[0](x, lambda x: self.self_attn(x, x, x, mask))
        return self.sublayer[1](x, self.feed_forward)
class Generator(nn.Module):
    def __init__(self, d_model, vocab):
        super(Generator, self).__init__()
        self.proj = nn.Linear(d_model, vocab)
    def forward(self, x):
        return log_softmax(self.proj(x), dim=-1)
class LabelSmoothing(nn.Module):
    def __init__(self, size, padding_idx, smoothing=0.0):
        super(LabelSmoothing, self).__init__()
        self.criterion = nn.KLDivLoss(reduction="sum")
        self.padding_idx = padding_idx
        self.confidence = 1.0 - smoothing
        self.smoothing = smoothing
        self.size = size
        self.true_dist = None
    def forward(self, x, target):
        assert x.size(1) == self.size
        true_dist = x.data.clone()
        true_dist.fill_(self.smoothing / (self.size - 2))
        true_dist.scatter_(1, target.data.unsqueeze(1), self.confidence)
        true_dist[:, self.padding_idx] = 0
        mask = torch.nonzero(target.data == self.padding_idx)
        if mask.dim() > 0:
            true_dist.index_fill_(0, mask.squeeze(), 0.0)
        self.true_dist = true_dist
        return self.criterion(x, true_dist.clone().detach())
crit = LabelSmoothing(5, 0, 0.4)
predict = torch.FloatTensor([[0, 0.2, 0.7, 0.1, 0], [0, 0.2, 0.7, 0.1, 0], [0, 0.2, 0.7, 0.1, 0], [0, 0.2, 0.7, 0.1, 0], [0, 0.2, 0.7, 0.1, 0]])
print(crit(x=predict.log(), target=torch.LongTensor([2, 1, 0, 3, 3])))
print(crit.true_dist)
def loss(x, crit):
    d = x + 3 * 1
    predict = torch.FloatTensor([[0, x / d, 1 / d, 1 / d, 1 / d]])
    return crit(predict.log(), torch.LongTensor([1])).data
crit = LabelSmoothing(5, 0, 0.1)
print([round(loss(x, crit).item(), 5) for x in range(1, 10)])
def rate(step, model_size, factor, warmup):
    if step == 0:
        step = 1
    return factor * (model_size ** (-0.5) * min(step ** (-0.5), step * warmup ** (-1.5)))
d_model, vocab, N = 16, 11, 2
c = copy.deepcopy
attn = MultiHeadedAttention(4, d_model, 0.0)
ff = PositionwiseFeedForward(d_model, 32, 0.0)
position = PositionalEncoding(d_model, 0.0)
layers = clones(EncoderLayer(d_model, c(attn), c(ff), 0.0), N)
norm = LayerNorm(d_model)
embed = nn.Sequential(Embeddings(d_model, vocab), c(position))
gen = Generator(d_model, vocab)
model = nn.ModuleList([embed, layers, norm, gen])
for p in model.parameters():
    if p.dim() > 1:
        nn.init.xavier_uniform_(p)
optimizer = torch.optim.Adam(model.parameters(), lr=0.5, betas=(0.9, 0.98), eps=1e-9)
lr_scheduler = LambdaLR(optimizer=optimizer, lr_lambda=lambda step: rate(step, d_model, factor=1.0, warmup=3))
criterion = LabelSmoothing(size=vocab, padding_idx=0, smoothing=0.1)
for i in range(8):
    data = torch.randint(1, vocab, size=(4, 6))
    data[:, 0] = 1
    src = data.requires_grad_(False).clone().detach()
    src_mask = (src != 0).unsqueeze(-2)
    x = embed(src)
    for layer in layers:
        x = layer(x, src_mask)
    out = gen(norm(x))
    tgt = data.flip(1)
    tgt[0, -2:] = 0
    ntokens = (tgt != 0).data.sum()
    l = criterion(out.contiguous().view(-1, out.size(-1)), tgt.contiguous().view(-1)) / ntokens
    l.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    lr_scheduler.step()
    lr = optimizer.param_groups[0]["lr"]
    print(("Epoch Step: %6d | Loss: %6.2f | Tokens / Sec: %7.1f | Learning Rate: %6.1e") % (i, l, ntokens, lr), ntokens)
print(lr_scheduler.get_last_lr(), lr_scheduler.state_dict()['last_epoch'])
print(layers[0].self_attn.attn.shape, layers[0].self_attn.attn[0, 0, 0].argmax())
print(position.pe[0, :3, :4])
"""

PROGRAMS["neural_style_transfer_lbfgs"] = r"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import copy

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
device = torch.device("cpu")
torch.set_default_device(device)
imsize = 16
content_img = torch.rand(1, 3, imsize, imsize)
style_img = torch.rand(1, 3, imsize, imsize)
assert style_img.size() == content_img.size(), "we need to import style and content images of the same size"

class ContentLoss(nn.Module):
    def __init__(self, target,):
        super(ContentLoss, self).__init__()
        self.target = target.detach()
    def forward(self, input):
        self.loss = F.mse_loss(input, self.target)
        return input

def gram_matrix(input):
    a, b, c, d = input.size()
    features = input.view(a * b, c * d)
    G = torch.mm(features, features.t())
    return G.div(a * b * c * d)

class StyleLoss(nn.Module):
    def __init__(self, target_feature):
        super(StyleLoss, self).__init__()
        self.target = gram_matrix(target_feature).detach()
    def forward(self, input):
        G = gram_matrix(input)
        self.loss = F.mse_loss(G, self.target)
        return input

cnn = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
    nn.MaxPool2d(2), nn.Conv2d(8, 12, 3, padding=1), nn.ReLU(), nn.Conv2d(12, 12, 3, padding=1), nn.ReLU(),
).eval()
cnn_normalization_mean = torch.tensor([0.485, 0.456, 0.406])
cnn_normalization_std = torch.tensor([0.229, 0.224, 0.225])

class Normalization(nn.Module):
    def __init__(self, mean, std):
        super(Normalization, self).__init__()
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)
    def forward(self, img):
        return (img - self.mean) / self.std

content_layers_default = ['conv_4']
style_layers_default = ['conv_1', 'conv_2', 'conv_3', 'conv_4']

def get_style_model_and_losses(cnn, normalization_mean, normalization_std, style_img, content_img,
                               content_layers=content_layers_default, style_layers=style_layers_default):
    normalization = Normalization(normalization_mean, normalization_std)
    content_losses = []
    style_losses = []
    model = nn.Sequential(normalization)
    i = 0
    for layer in cnn.children():
        if isinstance(layer, nn.Conv2d):
            i += 1
            name = 'conv_{}'.format(i)
        elif isinstance(layer, nn.ReLU):
            name = 'relu_{}'.format(i)
            layer = nn.ReLU(inplace=False)
        elif isinstance(layer, nn.MaxPool2d):
            name = 'pool_{}'.format(i)
        elif isinstance(layer, nn.BatchNorm2d):
            name = 'bn_{}'.format(i)
        else:
            raise RuntimeError('Unrecognized layer: {}'.format(layer.__class__.__name__))
        model.add_module(name, layer)
        if name in content_layers:
            target = model(content_img).detach()
            content_loss = ContentLoss(target)
            model.add_module("content_loss_{}".format(i), content_loss)
            content_losses.append(content_loss)
        if name in style_layers:
            target_feature = model(style_img).detach()
            style_loss = StyleLoss(target_feature)
            model.add_module("style_loss_{}".format(i), style_loss)
            style_losses.append(style_loss)
    for i in range(len(model) - 1, -1, -1):
        if isinstance(model[i], ContentLoss) or isinstance(model[i], StyleLoss):
            break
    model = model[:(i + 1)]
    return model, style_losses, content_losses

input_img = content_img.clone()
def get_input_optimizer(input_img):
    optimizer = optim.LBFGS([input_img])
    return optimizer

def run_style_transfer(cnn, normalization_mean, normalization_std,
                       content_img, style_img, input_img, num_steps=12,
                       style_weight=1000000, content_weight=1):
    print('Building the style transfer model..')
    model, style_losses, content_losses = get_style_model_and_losses(cnn,
        normalization_mean, normalization_std, style_img, content_img)
    print(model)
    input_img.requires_grad_(True)
    model.eval()
    model.requires_grad_(False)
    optimizer = get_input_optimizer(input_img)
    print('Optimizing..')
    run = [0]
    while run[0] <= num_steps:
        def closure():
            with torch.no_grad():
                input_img.clamp_(0, 1)
            optimizer.zero_grad()
            model(input_img)
            style_score = 0
            content_score = 0
            for sl in style_losses:
                style_score += sl.loss
            for cl in content_losses:
                content_score += cl.loss
            style_score *= style_weight
            content_score *= content_weight
            loss = style_score + content_score
            loss.backward()
            run[0] += 1
            if run[0] % 5 == 0:
                print("run {}:".format(run))
                print('Style Loss : {:4f} Content Loss: {:4f}'.format(
                    style_score.item(), content_score.item()))
                print()
            return style_score + content_score
        optimizer.step(closure)
    with torch.no_grad():
        input_img.clamp_(0, 1)
    return input_img

output = run_style_transfer(cnn, cnn_normalization_mean, cnn_normalization_std,
                            content_img, style_img, input_img)
print(output.shape, output.requires_grad, output[0, 0, 0, :4])
print(sorted(k for k in get_input_optimizer(output).state_dict()['param_groups'][0]))
torch.set_default_dtype(torch.float32)
torch.set_default_device(None)
print(torch.get_default_device(), torch.tensor([1.0]).dtype)
"""

PROGRAMS["dqn_replay_buffer"] = r"""
import math, random
from collections import namedtuple, deque
from itertools import count
import torch
import torch.nn as nn
import torch.optim as optim
import torch.nn.functional as F

random.seed(0)
torch.manual_seed(0)
device = torch.device("cpu")
Transition = namedtuple('Transition', ('state', 'action', 'next_state', 'reward'))
class ReplayMemory(object):
    def __init__(self, capacity):
        self.memory = deque([], maxlen=capacity)
    def push(self, *args):
        self.memory.append(Transition(*args))
    def sample(self, batch_size):
        return random.sample(self.memory, batch_size)
    def __len__(self):
        return len(self.memory)
class DQN(nn.Module):
    def __init__(self, n_observations, n_actions):
        super(DQN, self).__init__()
        self.layer1 = nn.Linear(n_observations, 32)
        self.layer2 = nn.Linear(32, 32)
        self.layer3 = nn.Linear(32, n_actions)
    def forward(self, x):
        x = F.relu(self.layer1(x))
        x = F.relu(self.layer2(x))
        return self.layer3(x)
BATCH_SIZE = 8
GAMMA = 0.99
EPS_START = 0.9
EPS_END = 0.05
EPS_DECAY = 1000
TAU = 0.005
LR = 1e-4
n_actions = 2
n_observations = 4
policy_net = DQN(n_observations, n_actions).to(device)
target_net = DQN(n_observations, n_actions).to(device)
target_net.load_state_dict(policy_net.state_dict())
optimizer = optim.AdamW(policy_net.parameters(), lr=LR, amsgrad=True)
memory = ReplayMemory(10000)
steps_done = 0
def select_action(state):
    global steps_done
    sample = random.random()
    eps_threshold = EPS_END + (EPS_START - EPS_END) * math.exp(-1. * steps_done / EPS_DECAY)
    steps_done += 1
    if sample > eps_threshold:
        with torch.no_grad():
            return policy_net(state).max(1).indices.view(1, 1)
    else:
        return torch.tensor([[random.randrange(n_actions)]], device=device, dtype=torch.long)
def optimize_model():
    if len(memory) < BATCH_SIZE:
        return None
    transitions = memory.sample(BATCH_SIZE)
    batch = Transition(*zip(*transitions))
    non_final_mask = torch.tensor(tuple(map(lambda s: s is not None, batch.next_state)), device=device, dtype=torch.bool)
    non_final_next_states = torch.cat([s for s in batch.next_state if s is not None])
    state_batch = torch.cat(batch.state)
    action_batch = torch.cat(batch.action)
    reward_batch = torch.cat(batch.reward)
    state_action_values = policy_net(state_batch).gather(1, action_batch)
    next_state_values = torch.zeros(BATCH_SIZE, device=device)
    with torch.no_grad():
        next_state_values[non_final_mask] = target_net(non_final_next_states).max(1).values
    expected_state_action_values = (next_state_values * GAMMA) + reward_batch
    criterion = nn.SmoothL1Loss()
    loss = criterion(state_action_values, expected_state_action_values.unsqueeze(1))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
    optimizer.step()
    return loss
# fake environment: random dynamics
def env_step(state, action):
    nxt = state + 0.1 * (action.item() * 2 - 1) + 0.05 * torch.randn(4)
    reward = float(nxt.abs().sum() < 2.0)
    terminated = bool(nxt.abs().max() > 1.5)
    return nxt.numpy(), reward, terminated
for i_episode in range(3):
    state = torch.rand(4) - 0.5
    state = torch.tensor(state.tolist(), dtype=torch.float32, device=device).unsqueeze(0)
    for t in count():
        action = select_action(state)
        observation, reward, terminated = env_step(state[0], action)
        reward = torch.tensor([reward], device=device)
        done = terminated or t >= 9
        if terminated:
            next_state = None
        else:
            next_state = torch.tensor(observation, dtype=torch.float32, device=device).unsqueeze(0)
        memory.push(state, action, next_state, reward)
        state = next_state
        loss = optimize_model()
        target_net_state_dict = target_net.state_dict()
        policy_net_state_dict = policy_net.state_dict()
        for key in policy_net_state_dict:
            target_net_state_dict[key] = policy_net_state_dict[key]*TAU + target_net_state_dict[key]*(1-TAU)
        target_net.load_state_dict(target_net_state_dict)
        if loss is not None:
            print(i_episode, t, action.item(), f"{loss.item():.6f}", loss.grad_fn)
        if done:
            print('episode', i_episode, 'duration', t + 1)
            break
print(target_net.layer3.bias, policy_net.layer3.bias)
print(optimizer.state_dict()['state'][5].keys())
# classic DQN with hard target update and F.smooth_l1_loss + Huber
target_net.load_state_dict(policy_net.state_dict())
target_net.eval()
s = torch.randn(6, 4); a = torch.randint(2, (6, 1)); r = torch.randn(6); s2 = torch.randn(6, 4); d = torch.tensor([0, 0, 1, 0, 1, 0], dtype=torch.float32)
q = policy_net(s).gather(1, a).squeeze(1)
with torch.no_grad():
    q2 = target_net(s2).max(dim=1)[0]
y = r + GAMMA * q2 * (1 - d)
print(F.smooth_l1_loss(q, y), F.smooth_l1_loss(q, y, beta=0.5, reduction='sum'), F.huber_loss(q, y, delta=0.5))
print(policy_net(s).argmax(dim=1), policy_net(s).max(1))
"""

PROGRAMS["tabular_mlp_early_stopping"] = r"""
import copy
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import TensorDataset, DataLoader, random_split

torch.manual_seed(7)
np.random.seed(7)
X = np.random.randn(120, 6).astype(np.float32)
w = np.random.randn(6, 1).astype(np.float32)
y = (X @ w + 0.3 * np.random.randn(120, 1) > 0).astype(np.float32)
mean, std = X[:80].mean(0), X[:80].std(0)
X = (X - mean) / std
ds = TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
train_ds, val_ds, test_ds = random_split(ds, [80, 20, 20], generator=torch.Generator().manual_seed(42))
print(len(train_ds), len(val_ds), train_ds.indices[:5])
train_loader = DataLoader(train_ds, batch_size=16, shuffle=True)
val_loader = DataLoader(val_ds, batch_size=32)
test_loader = DataLoader(test_ds, batch_size=32)
model = nn.Sequential(
    nn.Linear(6, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2),
    nn.Linear(32, 16), nn.ReLU(), nn.Dropout(0.2),
    nn.Linear(16, 1),
)
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='min', factor=0.5, patience=1)
best_loss = float('inf')
best_state = None
patience, bad_epochs = 3, 0
for epoch in range(30):
    model.train()
    running = 0.0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        logits = model(xb)
        loss = criterion(logits, yb)
        loss.backward()
        optimizer.step()
        running += loss.item() * xb.size(0)
    train_loss = running / len(train_loader.dataset)
    model.eval()
    val_loss, correct, total = 0.0, 0, 0
    with torch.no_grad():
        for xb, yb in val_loader:
            logits = model(xb)
            val_loss += criterion(logits, yb).item() * xb.size(0)
            preds = (torch.sigmoid(logits) > 0.5).float()
            correct += (preds == yb).sum().item()
            total += yb.size(0)
    val_loss /= total
    scheduler.step(val_loss)
    print(f"Epoch {epoch+1:02d} | train {train_loss:.4f} | val {val_loss:.4f} | acc {correct/total:.3f} | lr {optimizer.param_groups[0]['lr']:.2e}")
    if val_loss < best_loss - 1e-4:
        best_loss = val_loss
        best_state = copy.deepcopy(model.state_dict())
        bad_epochs = 0
    else:
        bad_epochs += 1
        if bad_epochs >= patience:
            print(f"Early stopping at epoch {epoch+1}")
            break
model.load_state_dict(best_state)
model.eval()
with torch.no_grad():
    all_p, all_y = [], []
    for xb, yb in test_loader:
        all_p.append(torch.sigmoid(model(xb)))
        all_y.append(yb)
    p = torch.cat(all_p); yt = torch.cat(all_y)
    acc = ((p > 0.5) == yt.bool()).float().mean()
    tp = ((p > 0.5) & yt.bool()).sum(); fp = ((p > 0.5) & ~yt.bool()).sum()
    print(f"test acc {acc.item():.3f}", tp, fp, p.requires_grad, p.shape)
print(scheduler.state_dict()['num_bad_epochs'], scheduler.get_last_lr())
print(model[1].running_var[:3], model[1].num_batches_tracked)
# multiclass tabular with CrossEntropy + label smoothing + accuracy via argmax
torch.manual_seed(0)
Xm = torch.randn(60, 5); ym = torch.randint(0, 3, (60,))
net = nn.Sequential(nn.Linear(5, 16), nn.SiLU(), nn.Linear(16, 3))
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
ce = nn.CrossEntropyLoss(label_smoothing=0.1)
for ep in range(5):
    perm = torch.randperm(60)
    for i in range(0, 60, 20):
        idx = perm[i:i+20]
        opt.zero_grad(); l = ce(net(Xm[idx]), ym[idx]); l.backward(); opt.step()
    sched.step()
    with torch.inference_mode():
        out = net(Xm)
        print(ep, round(l.item(), 5), (out.argmax(1) == ym).float().mean().item(), sched.get_last_lr(), out.is_inference())
"""

PROGRAMS["nanogpt_train_loop_checkpoint"] = r"""
import os, math, time, io, pickle
from contextlib import nullcontext
import numpy as np
import torch
import torch.nn as nn
from torch.nn import functional as F

torch.manual_seed(1337)
torch.backends.cuda.matmul.allow_tf32 = True
torch.backends.cudnn.allow_tf32 = True
device = 'cpu'
device_type = 'cuda' if 'cuda' in device else 'cpu'
dtype = 'bfloat16' if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else 'float16'
ptdtype = {'float32': torch.float32, 'bfloat16': torch.bfloat16, 'float16': torch.float16}[dtype]
ctx = nullcontext() if device_type == 'cpu' else torch.amp.autocast(device_type=device_type, dtype=ptdtype)
print(dtype, ptdtype)
arr = np.random.RandomState(0).randint(0, 13, size=300).astype(np.uint16)
block_size, batch_size = 8, 4
def get_batch(split):
    data = arr
    ix = torch.randint(len(data) - block_size, (batch_size,))
    x = torch.stack([torch.from_numpy((data[i:i+block_size]).astype(np.int64)) for i in ix])
    y = torch.stack([torch.from_numpy((data[i+1:i+1+block_size]).astype(np.int64)) for i in ix])
    if device_type == 'cuda':
        x, y = x.pin_memory().to(device, non_blocking=True), y.pin_memory().to(device, non_blocking=True)
    else:
        x, y = x.to(device), y.to(device)
    return x, y
class Tiny(nn.Module):
    def __init__(self, vocab=13, n_embd=16):
        super().__init__()
        self.config = dict(vocab=vocab, n_embd=n_embd, block_size=block_size)
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.attn = nn.MultiheadAttention(n_embd, 2, batch_first=True, bias=False)
        self.ln = nn.LayerNorm(n_embd, bias=False)
        self.head = nn.Linear(n_embd, vocab, bias=False)
        self.wte.weight = self.head.weight
    def forward(self, idx, targets=None):
        t = idx.size(1)
        x = self.wte(idx) + self.wpe(torch.arange(t, device=idx.device))
        mask = nn.Transformer.generate_square_subsequent_mask(t)
        a, w = self.attn(x, x, x, attn_mask=mask, need_weights=False, is_causal=True)
        x = self.ln(x + a)
        logits = self.head(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1) if targets is not None else None
        return logits, loss
    def crop_block_size(self, bs):
        self.wpe.weight = nn.Parameter(self.wpe.weight[:bs])
model = Tiny()
model.to(device)
scaler = torch.amp.GradScaler('cuda', enabled=(dtype == 'float16' and device_type == 'cuda'))
print(scaler.is_enabled(), scaler.get_scale())
optimizer = torch.optim.AdamW([
    {'params': [p for p in model.parameters() if p.dim() >= 2], 'weight_decay': 0.1},
    {'params': [p for p in model.parameters() if p.dim() < 2], 'weight_decay': 0.0}], lr=1e-3, betas=(0.9, 0.95))
print(optimizer)
gradient_accumulation_steps = 2
X, Y = get_batch('train')
t0 = time.time()
local_iter_num = 0
for iter_num in range(6):
    for micro_step in range(gradient_accumulation_steps):
        with ctx:
            logits, loss = model(X, Y)
            loss = loss / gradient_accumulation_steps
        X, Y = get_batch('train')
        scaler.scale(loss).backward()
    if 1.0 != 0.0:
        scaler.unscale_(optimizer)
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(optimizer)
    scaler.update()
    optimizer.zero_grad(set_to_none=True)
    lossf = loss.item() * gradient_accumulation_steps
    print(f"iter {iter_num}: loss {lossf:.4f} gn {gn.item():.4f}")
checkpoint = {
    'model': model.state_dict(),
    'optimizer': optimizer.state_dict(),
    'model_args': model.config,
    'iter_num': 6,
    'best_val_loss': torch.tensor(1.5),
    'config': {'lr': 1e-3},
}
buf = io.BytesIO()
torch.save(checkpoint, buf)
buf.seek(0)
ck = torch.load(buf, map_location=device)
state_dict = ck['model']
unwanted_prefix = '_orig_mod.'
for k, v in list(state_dict.items()):
    if k.startswith(unwanted_prefix):
        state_dict[k[len(unwanted_prefix):]] = state_dict.pop(k)
m2 = Tiny(**{k: v for k, v in ck['model_args'].items() if k != 'block_size'})
print(m2.load_state_dict(state_dict))
opt2 = torch.optim.AdamW(m2.parameters(), lr=1e-3)
opt2 = torch.optim.AdamW([
    {'params': [p for p in m2.parameters() if p.dim() >= 2], 'weight_decay': 0.1},
    {'params': [p for p in m2.parameters() if p.dim() < 2], 'weight_decay': 0.0}], lr=1e-3, betas=(0.9, 0.95))
opt2.load_state_dict(ck['optimizer'])
print(ck['iter_num'], ck['best_val_loss'], ck['model_args'])
print(list(state_dict.keys()))
print(opt2.state_dict()['state'][0]['exp_avg_sq'].sum() == optimizer.state_dict()['state'][0]['exp_avg_sq'].sum())
m2.crop_block_size(4)
print(m2.wpe.weight.shape, m2.wpe.weight.requires_grad, m2.wpe.weight.is_leaf)
m2.eval()
with torch.no_grad():
    with ctx:
        idx = torch.tensor([[1, 2]])
        for _ in range(5):
            logits, _ = m2(idx[:, -4:])
            logits = logits[:, -1, :] / 0.9
            v, _ = torch.topk(logits, min(200, logits.size(-1)))
            logits[logits < v[:, [-1]]] = -float('Inf')
            probs = F.softmax(logits, dim=-1)
            idx = torch.cat((idx, torch.multinomial(probs, num_samples=1)), dim=1)
print(idx.tolist())
flops_promised = 312e12
N = sum(p.numel() for p in model.parameters())
print(N, f"{(6*N + 12*1*2*16*8) * 8 / flops_promised:.3e}")
"""

PROGRAMS["sampling_and_clipping_edges"] = r"""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
def tryit(f):
    try:
        r = f()
        print(r)
    except Exception as e:
        print(type(e).__name__, e)
p = torch.tensor([[0.2, 0.3, 0.5], [0.0, 0.0, 1.0]])
tryit(lambda: torch.multinomial(p, 2))
tryit(lambda: torch.multinomial(p, 4))
tryit(lambda: torch.multinomial(torch.tensor([0.0, 0.0]), 1))
tryit(lambda: torch.multinomial(torch.tensor([-0.1, 1.0]), 1))
tryit(lambda: torch.multinomial(torch.tensor([float('nan'), 1.0]), 1))
tryit(lambda: torch.multinomial(torch.tensor([float('inf'), 1.0]), 1))
tryit(lambda: torch.multinomial(torch.tensor([1, 2]), 1))
tryit(lambda: torch.multinomial(torch.ones(2, 2, 2), 1))
tryit(lambda: torch.multinomial(torch.ones(3), 0))
tryit(lambda: torch.multinomial(torch.ones(3, dtype=torch.float64), 2, replacement=True).dtype)
g = torch.Generator().manual_seed(5)
tryit(lambda: torch.multinomial(torch.ones(2, 5), 3, generator=g))
tryit(lambda: torch.multinomial(torch.ones(2, 5), 3, True, generator=g))
out = torch.empty(2, 3, dtype=torch.long)
tryit(lambda: torch.multinomial(torch.ones(2, 5), 3, out=out))
tryit(lambda: torch.ones(2, 5).multinomial(2))
tryit(lambda: torch.multinomial(torch.tensor([1e-30, 1e-30]), 1))
tryit(lambda: torch.multinomial(torch.tensor([0.5, 0.5], dtype=torch.float16), 6, replacement=True))
tryit(lambda: torch.multinomial(torch.tensor([0.5, 0.5], dtype=torch.bfloat16), 6, replacement=True))
tryit(lambda: torch.topk(torch.tensor([1., 3., 3., 2.]), 2))
tryit(lambda: torch.topk(torch.tensor([1., 3., 3., 2.]), 5))
tryit(lambda: torch.topk(torch.tensor([[1., 3., 3., 2.]]), 2, largest=False, sorted=True))
tryit(lambda: torch.topk(torch.tensor([1., float('nan'), 3., 2.]), 2))
x = torch.randn(3, 5)
logits = x.clone()
v, _ = torch.topk(logits, 2)
logits[logits < v[:, [-1]]] = -float('Inf')
print(logits, F.softmax(logits, -1))
# top-p
sorted_logits, sorted_indices = torch.sort(x, descending=True)
cumulative_probs = torch.cumsum(F.softmax(sorted_logits, dim=-1), dim=-1)
sorted_indices_to_remove = cumulative_probs > 0.7
sorted_indices_to_remove[..., 1:] = sorted_indices_to_remove[..., :-1].clone()
sorted_indices_to_remove[..., 0] = 0
indices_to_remove = sorted_indices_to_remove.scatter(1, sorted_indices, sorted_indices_to_remove)
print(x.masked_fill(indices_to_remove, -float('inf')))
tryit(lambda: torch.distributions.Categorical(logits=x).sample((2,)))
tryit(lambda: torch.distributions.Categorical(probs=F.softmax(x, -1)).entropy())
ps = nn.utils.parameters_to_vector
m = nn.Linear(3, 2)
m(torch.randn(4, 3)).sum().backward()
tryit(lambda: nn.utils.clip_grad_norm_(m.parameters(), 0.1, norm_type='inf'))
tryit(lambda: nn.utils.clip_grad_norm_(m.parameters(), 0.1, norm_type=1.0, foreach=True))
tryit(lambda: nn.utils.clip_grad_norm_([], 0.1))
tryit(lambda: nn.utils.clip_grad_norm_(m.weight, 0.1))
tryit(lambda: nn.utils.get_total_norm([p.grad for p in m.parameters()]))
tryit(lambda: nn.utils.clip_grads_with_norm_(m.parameters(), 0.1, torch.tensor(2.0)))
m.weight.grad[0, 0] = float('nan')
tryit(lambda: nn.utils.clip_grad_norm_(m.parameters(), 0.1, error_if_nonfinite=True))
tryit(lambda: nn.utils.clip_grad_norm_(m.parameters(), 0.1))
tryit(lambda: m.weight.grad)
tryit(lambda: nn.utils.clip_grad_value_(m.parameters(), 0.01))
tryit(lambda: m.bias.grad)
"""

PROGRAMS["warmup_cosine_and_other_schedules"] = r"""
import math, warnings
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import LambdaLR, SequentialLR, LinearLR, CosineAnnealingLR, OneCycleLR, CosineAnnealingWarmRestarts, ChainedScheduler, ExponentialLR, PolynomialLR, ConstantLR, MultiStepLR, CyclicLR
warnings.simplefilter("always")
import sys
def show(w):
    for x in w: print("W", x.category.__name__, str(x.message)[:120])
torch.manual_seed(0)
m = nn.Linear(4, 2)
def mk(**kw):
    return torch.optim.AdamW(m.parameters(), lr=1e-3, **kw)
def get_cosine_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps, num_cycles=0.5, last_epoch=-1):
    def lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        progress = float(current_step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))
    return LambdaLR(optimizer, lr_lambda, last_epoch)
scheds = [
    lambda o: get_cosine_schedule_with_warmup(o, 3, 10),
    lambda o: SequentialLR(o, [LinearLR(o, start_factor=0.01, total_iters=3), CosineAnnealingLR(o, T_max=7, eta_min=1e-5)], milestones=[3]),
    lambda o: OneCycleLR(o, max_lr=0.01, total_steps=10),
    lambda o: OneCycleLR(o, max_lr=[0.01], epochs=2, steps_per_epoch=5, anneal_strategy='linear', three_phase=True),
    lambda o: CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-6),
    lambda o: ChainedScheduler([ConstantLR(o, factor=0.5, total_iters=2), ExponentialLR(o, gamma=0.9)]),
    lambda o: PolynomialLR(o, total_iters=6, power=2.0),
    lambda o: MultiStepLR(o, milestones=[2, 5], gamma=0.1),
    lambda o: CyclicLR(o, base_lr=1e-4, max_lr=1e-2, step_size_up=2, cycle_momentum=False),
]
for mkS in scheds:
    opt = mk()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        s = mkS(opt)
        lrs = []
        for i in range(10):
            m(torch.randn(3, 4)).sum().backward()
            opt.step(); opt.zero_grad()
            s.step()
            lrs.append(round(s.get_last_lr()[0], 10))
    print(type(s).__name__, lrs)
    show(w)
    sd = s.state_dict()
    print(sorted(k for k in sd if k != 'lr_lambdas'), sd.get('last_epoch'), sd.get('_step_count'))
    print(opt.param_groups[0].get('initial_lr'), sorted(opt.param_groups[0].keys()))
# warning: scheduler step before optimizer step
opt = mk()
s = CosineAnnealingLR(opt, 4)
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    s.step()
    s.step(3)
show(w)
print(s.get_last_lr())
opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
s = CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2)
for i in range(5):
    opt.step(); s.step()
    print(opt.param_groups[0]['lr'], opt.param_groups[0]['momentum'])
print(OneCycleLR(torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9), max_lr=1.0, total_steps=5).optimizer.param_groups[0]['momentum'])
try:
    o = OneCycleLR(mk(), max_lr=0.01, total_steps=2)
    for i in range(4):
        o.optimizer.step(); o.step()
except Exception as e:
    print(type(e).__name__, e)
"""

PROGRAMS["wgan_spectral_norm_conv_vae"] = r"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.autograd as autograd
torch.manual_seed(0)
class G(nn.Module):
    def __init__(self):
        super().__init__()
        def block(in_feat, out_feat, normalize=True):
            layers = [nn.Linear(in_feat, out_feat)]
            if normalize:
                layers.append(nn.BatchNorm1d(out_feat, 0.8))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            return layers
        self.model = nn.Sequential(*block(6, 16, normalize=False), *block(16, 32), nn.Linear(32, 12), nn.Tanh())
    def forward(self, z):
        return self.model(z).view(z.size(0), 1, 3, 4)
class D(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(nn.utils.spectral_norm(nn.Linear(12, 16)), nn.LeakyReLU(0.2, inplace=True), nn.Linear(16, 1))
    def forward(self, img):
        return self.model(img.view(img.size(0), -1))
g, d = G(), D()
print(g, d)
print(g.model[3])
optimizer_G = torch.optim.RMSprop(g.parameters(), lr=5e-4)
optimizer_D = torch.optim.RMSprop(d.parameters(), lr=5e-4)
real = torch.rand(8, 1, 3, 4)
for i in range(4):
    optimizer_D.zero_grad()
    z = torch.randn(8, 6)
    fake_imgs = g(z).detach()
    loss_D = -torch.mean(d(real)) + torch.mean(d(fake_imgs))
    loss_D.backward()
    optimizer_D.step()
    for p in d.parameters():
        p.data.clamp_(-0.01, 0.01)
    if i % 2 == 0:
        optimizer_G.zero_grad()
        gen_imgs = g(z)
        loss_G = -torch.mean(d(gen_imgs))
        loss_G.backward()
        optimizer_G.step()
        print("[D loss: %f] [G loss: %f]" % (loss_D.item(), loss_G.item()))
print(sorted(d.model[0].state_dict().keys()))
print([n for n, _ in d.named_parameters()])
# WGAN-GP gradient penalty
def compute_gradient_penalty(D, real_samples, fake_samples):
    alpha = torch.rand(real_samples.size(0), 1, 1, 1)
    interpolates = (alpha * real_samples + ((1 - alpha) * fake_samples)).requires_grad_(True)
    d_interpolates = D(interpolates)
    fake = torch.ones(real_samples.shape[0], 1, requires_grad=False)
    gradients = autograd.grad(outputs=d_interpolates, inputs=interpolates, grad_outputs=fake, create_graph=True, retain_graph=True, only_inputs=True)[0]
    gradients = gradients.view(gradients.size(0), -1)
    return ((gradients.norm(2, dim=1) - 1) ** 2).mean()
d2 = nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
opt = torch.optim.Adam(d2.parameters(), lr=1e-4, betas=(0.0, 0.9))
for i in range(3):
    opt.zero_grad()
    fake = g(torch.randn(8, 6)).detach()
    gp = compute_gradient_penalty(d2, real, fake)
    l = -d2(real).mean() + d2(fake).mean() + 10 * gp
    l.backward()
    opt.step()
    print(i, f"{l.item():.6f}", f"{gp.item():.6f}")
# conv VAE with ConvTranspose2d output_padding
class ConvVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten())
        self.mu = nn.Linear(8 * 2 * 2, 3); self.lv = nn.Linear(8 * 2 * 2, 3)
        self.dec_in = nn.Linear(3, 8 * 2 * 2)
        self.dec = nn.Sequential(nn.Unflatten(1, (8, 2, 2)), nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                                 nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())
    def forward(self, x):
        h = self.enc(x); mu, lv = self.mu(h), self.lv(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * lv)
        return self.dec(self.dec_in(z)), mu, lv
vae = ConvVAE()
print(vae)
o = torch.optim.Adam(vae.parameters(), 1e-3)
x = torch.rand(4, 1, 8, 8)
for i in range(3):
    r, mu, lv = vae(x)
    rec = F.mse_loss(r, x, reduction='sum') / x.size(0)
    kl = torch.mean(-0.5 * torch.sum(1 + lv - mu ** 2 - lv.exp(), dim=1), dim=0)
    beta = min(1.0, i / 2)
    loss = rec + beta * kl
    o.zero_grad(); loss.backward(); o.step()
    print(i, f"{rec.item():.5f} {kl.item():.5f} {beta}", r.shape)
"""

PROGRAMS["char_rnn_names_tutorials"] = r"""
import string, random, math
import torch
import torch.nn as nn
torch.manual_seed(0)
random.seed(0)
all_letters = string.ascii_letters + " .,;'-"
n_letters = len(all_letters) + 1
category_lines = {'A': ['Abel', 'Adams', 'Allen'], 'B': ['Bauer', 'Becker', 'Braun'], 'C': ['Chen', 'Cheng', 'Chou']}
all_categories = list(category_lines)
n_categories = len(all_categories)
def letterToIndex(letter):
    return all_letters.find(letter)
def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor
print(lineToTensor('Jones').size())
class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)
    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.i2o(combined)
        output = self.softmax(output)
        return output, hidden
    def initHidden(self):
        return torch.zeros(1, self.hidden_size)
n_hidden = 32
rnn = RNN(n_letters, n_hidden, n_categories)
def categoryFromOutput(output):
    top_n, top_i = output.topk(1)
    category_i = top_i[0].item()
    return all_categories[category_i], category_i
def randomChoice(l):
    return l[random.randint(0, len(l) - 1)]
def randomTrainingExample():
    category = randomChoice(all_categories)
    line = randomChoice(category_lines[category])
    category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
    line_tensor = lineToTensor(line)
    return category, line, category_tensor, line_tensor
criterion = nn.NLLLoss()
learning_rate = 0.005
def train(category_tensor, line_tensor):
    hidden = rnn.initHidden()
    rnn.zero_grad()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    loss = criterion(output, category_tensor)
    loss.backward()
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)
    return output, loss.item()
for it in range(1, 11):
    category, line, category_tensor, line_tensor = randomTrainingExample()
    output, loss = train(category_tensor, line_tensor)
    guess, guess_i = categoryFromOutput(output)
    correct = '✓' if guess == category else '✗ (%s)' % category
    print('%d %d%% %.4f %s / %s %s' % (it, it / 10 * 100, loss, line, guess, correct))
confusion = torch.zeros(n_categories, n_categories)
for i in range(6):
    category, line, category_tensor, line_tensor = randomTrainingExample()
    hidden = rnn.initHidden()
    for j in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[j], hidden)
    confusion[all_categories.index(category)][categoryFromOutput(output)[1]] += 1
for i in range(n_categories):
    confusion[i] = confusion[i] / confusion[i].sum()
print(confusion)
def predict(input_line, n_predictions=2):
    print('\n> %s' % input_line)
    with torch.no_grad():
        hidden = rnn.initHidden()
        for j in range(lineToTensor(input_line).size()[0]):
            output, hidden = rnn(lineToTensor(input_line)[j], hidden)
        topv, topi = output.topk(n_predictions, 1, True)
        for i in range(n_predictions):
            value = topv[0][i].item()
            category_index = topi[0][i].item()
            print('(%.2f) %s' % (value, all_categories[category_index]))
predict('Dovesky')
# Generating names
class GenRNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(n_categories + input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(n_categories + input_size + hidden_size, output_size)
        self.o2o = nn.Linear(hidden_size + output_size, output_size)
        self.dropout = nn.Dropout(0.1)
        self.softmax = nn.LogSoftmax(dim=1)
    def forward(self, category, input, hidden):
        input_combined = torch.cat((category, input, hidden), 1)
        hidden = self.i2h(input_combined)
        output = self.i2o(input_combined)
        output_combined = torch.cat((hidden, output), 1)
        output = self.o2o(output_combined)
        output = self.dropout(output)
        output = self.softmax(output)
        return output, hidden
    def initHidden(self):
        return torch.zeros(1, self.hidden_size)
def categoryTensor(category):
    li = all_categories.index(category)
    tensor = torch.zeros(1, n_categories)
    tensor[0][li] = 1
    return tensor
def inputTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li in range(len(line)):
        tensor[li][0][all_letters.find(line[li])] = 1
    return tensor
def targetTensor(line):
    letter_indexes = [all_letters.find(line[li]) for li in range(1, len(line))]
    letter_indexes.append(n_letters - 1)
    return torch.LongTensor(letter_indexes)
g = GenRNN(n_letters, 24, n_letters)
for it in range(5):
    category = randomChoice(all_categories); line = randomChoice(category_lines[category])
    category_tensor, input_line_tensor, target_line_tensor = categoryTensor(category), inputTensor(line), targetTensor(line)
    target_line_tensor.unsqueeze_(-1)
    hidden = g.initHidden()
    g.zero_grad()
    loss = torch.Tensor([0])
    for i in range(input_line_tensor.size(0)):
        output, hidden = g(category_tensor, input_line_tensor[i], hidden)
        l = criterion(output, target_line_tensor[i])
        loss += l
    loss.backward()
    for p in g.parameters():
        p.data.add_(p.grad.data, alpha=-0.0005)
    print(it, output.shape, f'{loss.item() / input_line_tensor.size(0):.4f}', loss, loss.grad_fn)
def sample(category, start_letter='A', max_length=6):
    with torch.no_grad():
        category_tensor = categoryTensor(category)
        input = inputTensor(start_letter)
        hidden = g.initHidden()
        output_name = start_letter
        for i in range(max_length):
            output, hidden = g(category_tensor, input[0], hidden)
            topv, topi = output.topk(1)
            topi = topi[0][0]
            if topi == n_letters - 1:
                break
            else:
                letter = all_letters[topi]
                output_name += letter
            input = inputTensor(letter)
        return output_name
g.eval()
print(sample('A', 'R'), sample('B', 'C'))
"""

PROGRAMS["reinforce_and_actor_critic"] = r"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical
from collections import namedtuple
torch.manual_seed(543)
class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(4, 32)
        self.dropout = nn.Dropout(p=0.6)
        self.affine2 = nn.Linear(32, 2)
        self.saved_log_probs = []
        self.rewards = []
    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)
policy = Policy()
optimizer = optim.Adam(policy.parameters(), lr=1e-2)
eps = np.finfo(np.float32).eps.item()
print(eps)
def select_action(state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()
def finish_episode(gamma=0.99):
    R = 0
    policy_loss = []
    returns = []
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    return policy_loss
rs = np.random.RandomState(0)
running_reward = 10
for i_episode in range(4):
    state, ep_reward = rs.randn(4), 0
    for t in range(1, 8):
        action = select_action(state)
        state = state + 0.1 * (2 * action - 1) + 0.01 * rs.randn(4)
        reward = float(abs(state).sum() < 3)
        policy.rewards.append(reward)
        ep_reward += reward
    running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
    pl = finish_episode()
    print('Episode {}\tLast reward: {:.2f}\tAverage reward: {:.2f}\tloss {:.5f}'.format(i_episode, ep_reward, running_reward, pl.item()))
# actor critic
SavedAction = namedtuple('SavedAction', ['log_prob', 'value'])
class AC(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(4, 32)
        self.action_head = nn.Linear(32, 2)
        self.value_head = nn.Linear(32, 1)
        self.saved_actions = []
        self.rewards = []
    def forward(self, x):
        x = F.relu(self.affine1(x))
        return F.softmax(self.action_head(x), dim=-1), self.value_head(x)
model = AC()
opt = optim.Adam(model.parameters(), lr=3e-2)
for ep in range(3):
    state = rs.randn(4)
    for t in range(6):
        s = torch.from_numpy(state).float()
        probs, state_value = model(s)
        m = Categorical(probs)
        action = m.sample()
        model.saved_actions.append(SavedAction(m.log_prob(action), state_value))
        state = state + 0.1 * (2 * action.item() - 1)
        model.rewards.append(float(abs(state).sum() < 3))
    R = 0
    saved_actions = model.saved_actions
    policy_losses = []
    value_losses = []
    returns = []
    for r in model.rewards[::-1]:
        R = r + 0.99 * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for (log_prob, value), R in zip(saved_actions, returns):
        advantage = R - value.item()
        policy_losses.append(-log_prob * advantage)
        value_losses.append(F.smooth_l1_loss(value, torch.tensor([R])))
    opt.zero_grad()
    loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()
    loss.backward()
    opt.step()
    print(ep, f"{loss.item():.5f}", returns.dtype, m.entropy(), m.probs)
    del model.rewards[:]
    del model.saved_actions[:]
"""

PROGRAMS["seq2seq_bahdanau_attention"] = r"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim
torch.manual_seed(0)
SOS_token, EOS_token, MAX_LENGTH = 0, 1, 6
class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size, dropout_p=0.1):
        super(EncoderRNN, self).__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout_p)
    def forward(self, input):
        embedded = self.dropout(self.embedding(input))
        output, hidden = self.gru(embedded)
        return output, hidden
class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size):
        super(BahdanauAttention, self).__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)
    def forward(self, query, keys):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
        scores = scores.squeeze(2).unsqueeze(1)
        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights, keys)
        return context, weights
class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size, dropout_p=0.1):
        super(AttnDecoderRNN, self).__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.dropout = nn.Dropout(dropout_p)
    def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
        batch_size = encoder_outputs.size(0)
        decoder_input = torch.empty(batch_size, 1, dtype=torch.long).fill_(SOS_token)
        decoder_hidden = encoder_hidden
        decoder_outputs = []
        attentions = []
        for i in range(MAX_LENGTH):
            decoder_output, decoder_hidden, attn_weights = self.forward_step(decoder_input, decoder_hidden, encoder_outputs)
            decoder_outputs.append(decoder_output)
            attentions.append(attn_weights)
            if target_tensor is not None:
                decoder_input = target_tensor[:, i].unsqueeze(1)
            else:
                _, topi = decoder_output.topk(1)
                decoder_input = topi.squeeze(-1).detach()
        decoder_outputs = torch.cat(decoder_outputs, dim=1)
        decoder_outputs = F.log_softmax(decoder_outputs, dim=-1)
        attentions = torch.cat(attentions, dim=1)
        return decoder_outputs, decoder_hidden, attentions
    def forward_step(self, input, hidden, encoder_outputs):
        embedded = self.dropout(self.embedding(input))
        query = hidden.permute(1, 0, 2)
        context, attn_weights = self.attention(query, encoder_outputs)
        input_gru = torch.cat((embedded, context), dim=2)
        output, hidden = self.gru(input_gru, hidden)
        output = self.out(output)
        return output, hidden, attn_weights
hidden_size, n_in, n_out = 16, 10, 9
encoder = EncoderRNN(n_in, hidden_size)
decoder = AttnDecoderRNN(hidden_size, n_out)
inp = torch.randint(2, n_in, (4, MAX_LENGTH))
tgt = torch.randint(2, n_out, (4, MAX_LENGTH))
tgt[:, -1] = EOS_token
ds = torch.utils.data.TensorDataset(inp, tgt)
dl = torch.utils.data.DataLoader(ds, sampler=torch.utils.data.RandomSampler(ds), batch_size=2)
encoder_optimizer = optim.Adam(encoder.parameters(), lr=0.01)
decoder_optimizer = optim.Adam(decoder.parameters(), lr=0.01)
criterion = nn.NLLLoss()
for epoch in range(3):
    total_loss = 0
    for input_tensor, target_tensor in dl:
        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()
        encoder_outputs, encoder_hidden = encoder(input_tensor)
        decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, target_tensor)
        loss = criterion(decoder_outputs.view(-1, decoder_outputs.size(-1)), target_tensor.view(-1))
        loss.backward()
        encoder_optimizer.step()
        decoder_optimizer.step()
        total_loss += loss.item()
    print('epoch %d loss %.4f' % (epoch, total_loss / len(dl)))
encoder.eval(); decoder.eval()
with torch.no_grad():
    encoder_outputs, encoder_hidden = encoder(inp[:1])
    decoder_outputs, decoder_hidden, decoder_attn = decoder(encoder_outputs, encoder_hidden)
    _, topi = decoder_outputs.topk(1)
    decoded_ids = topi.squeeze()
    print(decoded_ids, decoder_attn.shape, decoder_attn[0, 0])
    words = []
    for idx in decoded_ids:
        if idx.item() == EOS_token:
            words.append('<EOS>')
            break
        words.append(str(idx.item()))
    print(words)
"""

PROGRAMS["sampling_and_optimizer_reprs"] = r"""
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
x = torch.randn(2, 5)
print(torch.topk(x, 2))
print(x.max(1))
print(x.sort(descending=True))
l = x.clone(); l[l < 0] = -float('inf')
print(l, F.softmax(l, -1))
print(torch.tensor([[-float('inf'), 1e-8, 3.0]]), torch.tensor([1e10, -float('inf')]))
print(torch.tensor([float('nan'), 1.5, -float('inf')]))
print(torch.multinomial(F.softmax(x, -1), 2))
m = nn.Linear(2, 3)
opt = torch.optim.AdamW([{'params': [m.weight], 'weight_decay': 0.1}, {'params': [m.bias], 'weight_decay': 0.0}], lr=3e-4, betas=(0.9, 0.95), eps=1e-8)
print(opt)
print(torch.optim.LBFGS([m.weight], line_search_fn='strong_wolfe'))
print(torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True))
print(torch.optim.RMSprop(m.parameters(), lr=0.00025, alpha=0.95, eps=0.01))
print(opt.param_groups[1])
m(torch.randn(4, 2)).sum().backward(); opt.step()
print(opt.state_dict())
print(opt.state[m.weight])
s = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.5 ** e)
print(s.state_dict())
s2 = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)
print({k: v for k, v in s2.state_dict().items() if k != 'anneal_func'})
torch.set_printoptions(precision=2, sci_mode=False)
print(torch.randn(3, 3) * 1000, torch.tensor([1e-5, 1.0]))
torch.set_printoptions(profile='default')
print(torch.randn(2, 2) * 1e-5)
print(torch.zeros(3, dtype=torch.long).new_ones(2, 2), torch.empty(0, 3), torch.tensor([], dtype=torch.long))
print(torch.tensor(2.5, requires_grad=True) * 2)
h = torch.zeros(1, 1).fill_(3).type_as(torch.tensor([[1]]))
print(h, h.dtype, torch.ones(1, 1).type_as(torch.tensor([1])).fill_(torch.tensor(7)))
print(nn.utils.parameters_to_vector(m.parameters()).shape)
print(torch.nn.utils.clip_grad_norm_(m.parameters(), 0.5))
print(torch.tensor([1, 2, 3]).float().std(), torch.tensor([[True, False]]), torch.arange(6).view(2, 3).bool())
"""

PROGRAMS["optimizer_variants_ema_swa"] = r"""
import copy
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, SWALR, get_ema_multi_avg_fn, update_bn
torch.manual_seed(0)
def model():
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
X = torch.randn(16, 4); Y = torch.randint(2, (16,))
for kw in [dict(fused=True), dict(foreach=False), dict(lr=torch.tensor(0.01)), dict(amsgrad=True, maximize=True), dict(capturable=False, differentiable=False)]:
    m = model()
    try:
        opt = torch.optim.AdamW(m.parameters(), **({'lr': 0.01} | kw))
    except Exception as e:
        print(type(e).__name__, e); continue
    for i in range(3):
        opt.zero_grad(); loss = F.cross_entropy(m(X), Y); loss.backward(); opt.step()
    print(kw, f"{loss.item():.5f}", type(opt.param_groups[0]['lr']).__name__, opt.state[m[0].weight]['step'])
for kw in [dict(fused=True), dict(lr=torch.tensor(0.01), momentum=0.9)]:
    m = model()
    opt = torch.optim.SGD(m.parameters(), **({'lr': 0.01} | kw))
    for i in range(3):
        opt.zero_grad(); loss = F.cross_entropy(m(X), Y); loss.backward(); opt.step()
    print(kw, f"{loss.item():.6f}")
m = model()
ema = AveragedModel(m, multi_avg_fn=get_ema_multi_avg_fn(0.9))
swa = AveragedModel(m)
opt = torch.optim.SGD(m.parameters(), lr=0.1)
sched = SWALR(opt, swa_lr=0.05, anneal_epochs=2)
for i in range(4):
    opt.zero_grad(); F.cross_entropy(m(X), Y).backward(); opt.step()
    ema.update_parameters(m); swa.update_parameters(m); sched.step()
    print(i, sched.get_last_lr(), ema.n_averaged, swa.module[0].bias[:3])
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X), batch_size=8)
update_bn(loader, swa)
print(swa.module[1].running_mean[:3], swa.module[1].momentum, list(ema.state_dict().keys())[:3])
# ema by hand
ema_m = copy.deepcopy(m)
for p in ema_m.parameters():
    p.requires_grad_(False)
with torch.no_grad():
    for e, p in zip(ema_m.parameters(), m.parameters()):
        e.mul_(0.99).add_(p.detach(), alpha=0.01)
    for e, p in zip(ema_m.state_dict().values(), m.state_dict().values()):
        if e.dtype.is_floating_point:
            e.lerp_(p, 0.5)
print(ema_m[0].bias[:3], ema_m[1].running_var[:3])
print(torch.as_tensor(np.array([[1, 2], [3, 4]]), dtype=torch.float32), torch.as_tensor([np.float32(1.5), 2]))
states = [np.random.RandomState(0).randn(3).astype(np.float32) for _ in range(2)]
print(torch.from_numpy(np.array(states)).dtype, torch.FloatTensor(np.array(states)).shape, torch.tensor(np.stack(states)).dtype)
print(torch.tensor([np.float64(0.5), 1.0]).dtype, torch.tensor(np.array(1.0)).dtype, torch.tensor([True, np.bool_(False)]).dtype)
"""

PROGRAMS["pytorch_examples_mnist_imagenet_triplet_fast_style"] = r"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
torch.manual_seed(1)
class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 8, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(8 * 4 * 4, 16)
        self.fc2 = nn.Linear(16, 10)
    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)
model = Net()
optimizer = optim.Adadelta(model.parameters(), lr=1.0)
scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
ds = torch.utils.data.TensorDataset(torch.randn(24, 1, 12, 12), torch.randint(10, (24,)))
train_loader = torch.utils.data.DataLoader(ds, batch_size=8, shuffle=True)
test_loader = torch.utils.data.DataLoader(ds, batch_size=12)
for epoch in range(1, 3):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.4f}'.format(epoch, batch_idx * len(data), len(train_loader.dataset), 100. * batch_idx / len(train_loader), loss.item()))
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(test_loss, correct, len(test_loader.dataset), 100. * correct / len(test_loader.dataset)))
    scheduler.step()
class AverageMeter(object):
    def __init__(self, name, fmt=':f'):
        self.name = name; self.fmt = fmt; self.reset()
    def reset(self):
        self.val = 0; self.avg = 0; self.sum = 0; self.count = 0
    def update(self, val, n=1):
        self.val = val; self.sum += val * n; self.count += n; self.avg = self.sum / self.count
    def __str__(self):
        fmtstr = '{name} {val' + self.fmt + '} ({avg' + self.fmt + '})'
        return fmtstr.format(**self.__dict__)
def accuracy(output, target, topk=(1,)):
    with torch.no_grad():
        maxk = max(topk)
        batch_size = target.size(0)
        _, pred = output.topk(maxk, 1, True, True)
        pred = pred.t()
        correct = pred.eq(target.view(1, -1).expand_as(pred))
        res = []
        for k in topk:
            correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
            res.append(correct_k.mul_(100.0 / batch_size))
        return res
top1 = AverageMeter('Acc@1', ':6.2f'); top5 = AverageMeter('Acc@5', ':6.2f')
for data, target in test_loader:
    acc1, acc5 = accuracy(model(data), target, topk=(1, 5))
    top1.update(acc1[0], data.size(0)); top5.update(acc5[0], data.size(0))
    print(top1, top5, acc1)
# siamese / triplet
emb = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 4))
opt = optim.SGD(emb.parameters(), lr=0.05, momentum=0.9)
tl = nn.TripletMarginLoss(margin=1.0, p=2)
for i in range(3):
    a, p, n = torch.randn(5, 6), torch.randn(5, 6), torch.randn(5, 6)
    l = tl(emb(a), emb(p), emb(n))
    d = F.pairwise_distance(emb(a), emb(p))
    label = torch.randint(2, (5,)).float()
    contrastive = torch.mean((1 - label) * torch.pow(d, 2) + label * torch.pow(torch.clamp(2.0 - d, min=0.0), 2))
    (l + contrastive).backward(); opt.step(); opt.zero_grad()
    print(i, f"{l.item():.4f} {contrastive.item():.4f}", F.cosine_similarity(emb(a), emb(p)).shape)
# fast neural style blocks
class ConvLayer(nn.Module):
    def __init__(self, i, o, k, s):
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(k // 2)
        self.conv2d = nn.Conv2d(i, o, k, s)
    def forward(self, x):
        return self.conv2d(self.reflection_pad(x))
class UpsampleConvLayer(nn.Module):
    def __init__(self, i, o, k, s, upsample=None):
        super().__init__()
        self.upsample = upsample
        self.reflection_pad = nn.ReflectionPad2d(k // 2)
        self.conv2d = nn.Conv2d(i, o, k, s)
    def forward(self, x):
        if self.upsample:
            x = F.interpolate(x, mode='nearest', scale_factor=self.upsample)
        return self.conv2d(self.reflection_pad(x))
net = nn.Sequential(ConvLayer(3, 4, 3, 1), nn.InstanceNorm2d(4, affine=True), nn.ReLU(), ConvLayer(4, 8, 3, 2), nn.InstanceNorm2d(8, affine=True), nn.ReLU(),
                    UpsampleConvLayer(8, 4, 3, 1, upsample=2), nn.InstanceNorm2d(4, affine=True), nn.ReLU(), ConvLayer(4, 3, 3, 1))
print(net)
o = optim.Adam(net.parameters(), 1e-3)
x = torch.rand(2, 3, 8, 8)
for i in range(3):
    y = net(x)
    gm = lambda f: (lambda b, ch, h, w: f.view(b, ch, w * h).bmm(f.view(b, ch, w * h).transpose(1, 2)) / (ch * h * w))(*f.size())
    loss = F.mse_loss(y, x) + 1e2 * F.mse_loss(gm(y), gm(x.flip(0)))
    o.zero_grad(); loss.backward(); o.step()
    print(i, f"{loss.item():.4f}", y.shape)
"""

PROGRAMS["lbfgs_gram_matrix_and_kl_div_variants"] = r"""
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
target = torch.rand(1, 3, 6, 6)
for kw in [dict(), dict(line_search_fn='strong_wolfe'), dict(lr=0.5, max_iter=5, history_size=3), dict(line_search_fn='strong_wolfe', max_iter=4, tolerance_change=1e-12)]:
    img = torch.rand(1, 3, 6, 6, requires_grad=True)
    opt = torch.optim.LBFGS([img], **kw)
    evals = [0]
    def closure():
        opt.zero_grad()
        f = img.view(3, -1)
        G = f @ f.t() / f.numel()
        ft = target.view(3, -1)
        loss = F.mse_loss(G, ft @ ft.t() / ft.numel()) * 1e3 + F.mse_loss(img, target)
        loss.backward()
        evals[0] += 1
        return loss
    for step in range(3):
        l = opt.step(closure)
        print(kw, step, f"{l.item():.10f}", evals[0], opt.state[img]['n_iter'], opt.state[img]['func_evals'])
    st = opt.state_dict()['state'][0]
    print(sorted(st.keys()), len(st['old_dirs']), f"{st['t']:.8f}" if torch.is_tensor(st['t']) is False else st['t'])
torch.set_default_dtype(torch.float32)
lp = torch.randn(4, 5).log_softmax(-1); lt = torch.randn(4, 5).log_softmax(-1)
print(F.kl_div(lp, lt, reduction='batchmean', log_target=True), F.kl_div(lp, lt.exp(), reduction='sum'), nn.KLDivLoss(reduction='none', log_target=True)(lp, lt)[0])
t = torch.zeros(4, 5); t[:, 0] = 0.0
print(F.kl_div(lp, t, reduction='sum'), F.kl_div(lp, torch.tensor(0.5), reduction='mean'))
"""

PROGRAMS["dqn_replay_buffer_numpy_batches"] = r"""
import random
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from collections import deque
random.seed(0); np.random.seed(0); torch.manual_seed(0)
class ReplayBuffer:
    def __init__(self, capacity):
        self.buffer = deque(maxlen=capacity)
    def push(self, state, action, reward, next_state, done):
        self.buffer.append((state, action, reward, next_state, done))
    def sample(self, batch_size):
        state, action, reward, next_state, done = zip(*random.sample(self.buffer, batch_size))
        return np.array(state), action, reward, np.array(next_state), done
    def __len__(self):
        return len(self.buffer)
buf = ReplayBuffer(100)
for i in range(20):
    s = np.random.randn(4)
    buf.push(s, np.random.randint(2), float(np.random.rand()), s + 0.1, i % 7 == 0)
q = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
tq = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
tq.load_state_dict(q.state_dict())
opt = torch.optim.Adam(q.parameters(), lr=1e-3)
for step in range(4):
    state, action, reward, next_state, done = buf.sample(6)
    state = torch.FloatTensor(state)
    next_state = torch.FloatTensor(next_state)
    action = torch.LongTensor(action)
    reward = torch.FloatTensor(reward)
    done = torch.FloatTensor(done)
    q_values = q(state)
    next_q_values = tq(next_state)
    q_value = q_values.gather(1, action.unsqueeze(1)).squeeze(1)
    next_q_value = next_q_values.max(1)[0]
    expected_q_value = reward + 0.99 * next_q_value * (1 - done)
    loss = (q_value - expected_q_value.detach()).pow(2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    print(step, f"{loss.item():.5f}", state.dtype, action.dtype, done)
batch = random.sample(buf.buffer, 4)
states = [b[0] for b in batch]
t = torch.tensor(states, dtype=torch.float32)
print(t.shape, t.dtype)
t2 = torch.tensor([b[2] for b in batch]); print(t2.dtype)
t3 = torch.tensor([b[4] for b in batch]); print(t3.dtype, t3)
t4 = torch.as_tensor(np.array([b[1] for b in batch])); print(t4.dtype)
t5 = torch.tensor(np.array(states)).float(); print(t5.dtype)
t6 = torch.from_numpy(np.vstack(states)).float().to('cpu'); print(t6.shape)
t7 = torch.tensor(states[0]); print(t7.dtype)
x = torch.zeros(3)
print(x.new_tensor(x).shape)
print(torch.tensor(torch.ones(2)).dtype)
print(torch.Tensor(states).dtype, torch.Tensor([1, 2]).dtype)
print(torch.tensor([np.int64(1), 2]).dtype, torch.tensor(np.float32(2.5)).dtype)
rewards = [0.5, np.asarray(1.0), np.float32(2.0)]
print(torch.tensor(rewards), torch.tensor([[1.0, 2.0], [np.asarray(3.0), 4]]))
for data in ([np.asarray(1.5), np.asarray(2.0)], [[np.asarray(1.5)]], [np.asarray(1, dtype=np.int32), 2]):
    try:
        print(torch.tensor(data))
    except TypeError as e:
        print("TypeError", e)
# epsilon-greedy with tensor state
eps = 0.3
st = torch.tensor(np.random.randn(4), dtype=torch.float32).unsqueeze(0)
for i in range(5):
    if random.random() > eps:
        a = q(st).argmax().item()
    else:
        a = random.randrange(2)
    print(i, a, type(a).__name__)
"""


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program_prints_the_same(name: str) -> None:
    same_printed(PROGRAMS[name])


ZERO_D_DATA = ["[np.float64(1.0), np.array(2.0)]", "[1, np.array(2.0)]", "[np.array(1.0), 2.0]",
               "[np.array(2.0)]", "[[np.array(2.0)]]", "[[1.0], [np.array(2.0)]]",
               "[1, np.array(2.0, dtype=np.float32)]", "[1.5, np.array(2, dtype=np.int16)]",
               "[np.array(1, dtype=np.int32), np.array(2)]", "[1, np.array(2)]",
               "[[1.0, 2.0], [np.array(2.0), 1]]"]


@pytest.mark.parametrize("dtype", [None, "float32"])
@pytest.mark.parametrize("data", ZERO_D_DATA)
def test_tensor_of_zero_dim_numpy_arrays(data: str, dtype: str | None) -> None:
    def make(lib):
        kw = {} if dtype is None else {"dtype": getattr(lib, dtype)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = lib.tensor(eval(data), **kw)  # noqa: S307 (the test's own literals)
        return str(t.dtype).split(".")[-1], t.tolist()

    try:
        want = make(torch)
    except TypeError as e:
        with pytest.raises(TypeError) as ee:
            make(ember)
        assert str(ee.value) == str(e)
        return
    assert make(ember) == want


def _torch_list_warning() -> str:
    code = "\n".join(["import warnings, numpy as np, torch",
                      "with warnings.catch_warnings(record=True) as w:",
                      "    warnings.simplefilter('always')",
                      "    torch.tensor([np.zeros(2)], dtype=torch.float32)",
                      "print(str(w[0].message))"])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.mark.parametrize("call", [
    lambda L: L.tensor([np.zeros(2), np.ones(2)]),
    lambda L: L.tensor([np.zeros(2), np.ones(2)], dtype=L.float32),
    lambda L: L.tensor([[1.0, 2.0], np.zeros(2)], dtype=L.float64),
    lambda L: L.tensor([1, np.array(2.0)]),
    lambda L: L.as_tensor([np.zeros(2)]),
    lambda L: L.FloatTensor([np.zeros(2)]),
    lambda L: L.Tensor([np.zeros(2)]),
    lambda L: L.zeros(1).new_tensor([np.zeros(2)]),
])
def test_list_of_numpy_arrays_warns_once_at_the_callers_line(call) -> None:
    want = _torch_list_warning()
    creation._warned.discard("list")  # the warning is given once per program
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        call(ember)
        call(ember)
    assert [str(x.message) for x in w] == [want]
    assert w[0].category is UserWarning and w[0].filename == __file__

"""Graph neural network programs built from ember.nn against PyTorch: GraphSAGE, GIN, multi-head
GAT and GCN node classification with edge-index message passing; run with torch and with ember,
each must print the same text (losses, outputs, gradients, models, state_dict keys)."""

from __future__ import annotations

import pytest
from _programs import same_printed

pytest.importorskip("ember.nn")
torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore")




SAGE = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
class SAGE(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.l = nn.Linear(i, o)
        self.r = nn.Linear(i, o, bias=False)
    def forward(self, x, ei):
        s, d = ei
        agg = torch.zeros(x.size(0), x.size(1)).index_add_(0, d, x[s])
        cnt = torch.bincount(d, minlength=x.size(0)).clamp(min=1).unsqueeze(1)
        return self.l(agg / cnt) + self.r(x)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = SAGE(4, 8)
        self.c2 = SAGE(8, 3)
    def forward(self, x, ei):
        x = F.relu(self.c1(x, ei))
        x = F.dropout(x, 0.5, self.training)
        return self.c2(x, ei)
N = 10
x = torch.randn(N, 4)
ei = torch.randint(0, N, (2, 30))
y = torch.randint(0, 3, (N,))
train_mask = torch.zeros(N, dtype=torch.bool)
train_mask[:6] = True
model = Net()
print(model)
opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
for ep in range(5):
    model.train()
    opt.zero_grad()
    out = model(x, ei)
    loss = F.cross_entropy(out[train_mask], y[train_mask])
    loss.backward()
    opt.step()
    model.eval()
    pred = model(x, ei).argmax(dim=1)
    acc = (pred[~train_mask] == y[~train_mask]).float().mean()
    print(f"epoch {ep} loss {loss.item():.4f} acc {acc:.4f}")
print(list(model.state_dict().keys()))
'''

GIN = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
class GIN(nn.Module):
    def __init__(self, i, h):
        super().__init__()
        self.eps = nn.Parameter(torch.zeros(1))
        self.mlp = nn.Sequential(nn.Linear(i, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Linear(h, h))
    def forward(self, x, ei):
        agg = torch.zeros_like(x).index_add_(0, ei[1], x[ei[0]])
        return self.mlp((1 + self.eps) * x + agg)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([GIN(3, 8), GIN(8, 8)])
        self.head = nn.Linear(8, 2)
    def forward(self, x, ei, batch, B):
        for c in self.convs:
            x = F.relu(c(x, ei))
        g = torch.zeros(B, x.size(1)).index_add(0, batch, x)
        return self.head(g)
net = Net()
print(net)
x = torch.randn(9, 3)
ei = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 7, 8, 1], [1, 2, 0, 4, 5, 3, 7, 8, 6, 0]])
batch = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2])
y = torch.tensor([0, 1, 0])
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
for i in range(4):
    opt.zero_grad()
    loss = F.cross_entropy(net(x, ei, batch, 3), y)
    loss.backward()
    opt.step()
    print(i, f"{loss:.4f}")
print(net.convs[0].eps.grad)
print([k for k in net.state_dict() if "running" in k or "num_batches" in k])
net.eval()
print(net(x, ei, batch, 3).softmax(-1))
'''

GAT = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
class GATConv(nn.Module):
    def __init__(self, i, o, heads=2):
        super().__init__()
        self.H, self.C = heads, o
        self.lin = nn.Linear(i, heads * o, bias=False)
        self.att_src = nn.Parameter(torch.empty(1, heads, o))
        self.att_dst = nn.Parameter(torch.empty(1, heads, o))
        nn.init.xavier_uniform_(self.att_src)
        nn.init.xavier_uniform_(self.att_dst)
        self.bias = nn.Parameter(torch.zeros(heads * o))
    def forward(self, x, ei):
        N = x.size(0)
        h = self.lin(x).view(N, self.H, self.C)
        a_s = (h * self.att_src).sum(-1)
        a_d = (h * self.att_dst).sum(-1)
        s, d = ei
        e = F.leaky_relu(a_s[s] + a_d[d], 0.2)
        idx = d.view(-1, 1).expand_as(e)
        m = torch.zeros(N, self.H).scatter_reduce(0, idx, e, "amax", include_self=False)
        e = torch.exp(e - m[d])
        den = torch.zeros(N, self.H).scatter_add_(0, idx, e) + 1e-16
        a = e / den[d]
        a = F.dropout(a, p=0.1, training=self.training)
        out = torch.zeros(N, self.H, self.C).index_add_(0, d, h[s] * a.unsqueeze(-1))
        return out.reshape(N, -1) + self.bias
x = torch.randn(5, 4)
ei = torch.tensor([[0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 1], [1, 2, 3, 4, 0, 0, 1, 2, 3, 4, 3]])
conv = GATConv(4, 3)
print(conv.att_src)
out = conv(x, ei)
print(out.shape)
print(out)
conv.eval()
out = conv(x, ei)
print(out)
loss = out.pow(2).mean()
loss.backward()
print(f"{loss.item():.6f}")
print(conv.att_dst.grad)
print(conv.bias.grad)
print(sorted(conv.state_dict().keys()))
'''

GCN = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(42)
N, Fin, C = 8, 5, 3
x = torch.randn(N, Fin)
ei = torch.tensor([[0,1,1,2,2,3,4,5,6,7,3,5],[1,0,2,1,3,2,5,4,7,6,5,3]])
A = torch.zeros(N, N)
A[ei[0], ei[1]] = 1.0
A = A + torch.eye(N)
d = A.sum(1)
Dm = torch.diag(d.pow(-0.5))
Ahat = Dm @ A @ Dm
print(Ahat.diagonal())
class GCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.w1 = nn.Linear(Fin, 16)
        self.w2 = nn.Linear(16, C)
    def forward(self, x, A):
        h = F.relu(A @ self.w1(x))
        return F.log_softmax(A @ self.w2(h), dim=1)
y = torch.tensor([0, 0, 1, 1, 2, 2, 0, 1])
mask = torch.tensor([1, 0, 1, 0, 1, 0, 1, 0], dtype=torch.bool)
model = GCN()
opt = torch.optim.Adam(model.parameters(), lr=0.05)
for ep in range(6):
    opt.zero_grad()
    out = model(x, Ahat)
    loss = F.nll_loss(out[mask], y[mask])
    loss.backward()
    opt.step()
    print(f"{ep:02d} {loss.item():.4f}")
with torch.no_grad():
    pred = model(x, Ahat).argmax(1)
print(pred, (pred == y).sum().item(), mask.sum())
print(model.w1.weight.grad.shape)
print(out.grad_fn.name(), out.dtype)
'''


@pytest.mark.parametrize("src", [SAGE, GIN, GAT, GCN], ids=["sage", "gin", "gat", "gcn"])
def test_graph_program(src):
    same_printed(src)

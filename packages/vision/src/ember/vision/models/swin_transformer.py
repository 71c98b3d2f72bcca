"""Swin Transformer ("Swin Transformer: Hierarchical Vision Transformer using Shifted
Windows") T/S/B and Swin Transformer V2 ("Swin Transformer V2: Scaling Up Capacity and
Resolution") T/S/B. Feature maps are kept channels-last, ``(B, H, W, C)``, between stages."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

import ember
from ember import Tensor, fx, nn
from ember.nn import functional as F

from ..ops.misc import MLP, Permute
from ..ops.stochastic_depth import StochasticDepth
from ._api import WeightsEnum, register_model
from ._meta import _REF, InterpolationMode, _imagenet
from ._utils import _apply_weights_config, _load_weights, _verify

__all__ = ["SwinTransformer", "Swin_T_Weights", "Swin_S_Weights", "Swin_B_Weights",
           "Swin_V2_T_Weights", "Swin_V2_S_Weights", "Swin_V2_B_Weights", "swin_t", "swin_s",
           "swin_b", "swin_v2_t", "swin_v2_s", "swin_v2_b"]


def _patch_merging_pad(x: Tensor) -> Tensor:
    """``(..., H, W, C)`` to ``(..., ceil(H/2), ceil(W/2), 4C)``: each 2x2 neighbourhood's
    four pixels side by side (odd sizes padded with zeros)."""
    h, w = x.shape[-3], x.shape[-2]
    x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
    return ember.cat([x[..., 0::2, 0::2, :], x[..., 1::2, 0::2, :], x[..., 0::2, 1::2, :],
                      x[..., 1::2, 1::2, :]], -1)


# the helpers torchvision registers with torch.fx.wrap: one call_function node each
fx.wrap("_patch_merging_pad")


def _get_relative_position_bias(relative_position_bias_table: Tensor,
                                relative_position_index: Tensor,
                                window_size: list[int]) -> Tensor:
    """The ``(1, heads, N, N)`` bias of a window of N positions, gathered from the table."""
    n = window_size[0] * window_size[1]
    bias = relative_position_bias_table[relative_position_index].view(n, n, -1)
    return bias.permute(2, 0, 1).contiguous().unsqueeze(0)


fx.wrap("_get_relative_position_bias")


class PatchMerging(nn.Module):
    """Downsampling by 2: merge 2x2 neighbourhoods (4C), LayerNorm, linear to 2C."""

    def __init__(self, dim: int, norm_layer: Callable[..., nn.Module] = nn.LayerNorm) -> None:
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(4 * dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.reduction(self.norm(_patch_merging_pad(x)))


class PatchMergingV2(nn.Module):
    """Swin V2's patch merging: the linear reduction first, then LayerNorm over 2C."""

    def __init__(self, dim: int, norm_layer: Callable[..., nn.Module] = nn.LayerNorm) -> None:
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(2 * dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.reduction(_patch_merging_pad(x)))


def _shift_mask(pad_h: int, pad_w: int, window_size: list[int], shift_size: list[int],
                dtype: Any, device: Any) -> Tensor:
    """The ``(windows, N, N)`` additive mask (0 or -100) that keeps a cyclically shifted
    window from attending across the regions the shift brought together."""
    region = np.zeros((pad_h, pad_w), dtype=np.int64)
    h_slices = ((0, -window_size[0]), (-window_size[0], -shift_size[0]), (-shift_size[0], None))
    w_slices = ((0, -window_size[1]), (-window_size[1], -shift_size[1]), (-shift_size[1], None))
    for i, hs in enumerate(h_slices):
        for j, ws in enumerate(w_slices):
            region[hs[0]:hs[1], ws[0]:ws[1]] = 3 * i + j
    wh, ww = window_size
    region = region.reshape(pad_h // wh, wh, pad_w // ww, ww).transpose(0, 2, 1, 3)
    region = region.reshape(-1, wh * ww)
    mask = np.where(region[:, None, :] != region[:, :, None], -100.0, 0.0)
    return ember.tensor(mask, dtype=dtype, device=device)


def shifted_window_attention(input: Tensor, qkv_weight: Tensor, proj_weight: Tensor,
                             relative_position_bias: Tensor, window_size: list[int],
                             num_heads: int, shift_size: list[int],
                             attention_dropout: float = 0.0, dropout: float = 0.0,
                             qkv_bias: Tensor | None = None, proj_bias: Tensor | None = None,
                             logit_scale: Tensor | None = None,
                             training: bool = True) -> Tensor:
    """Multi-head self-attention within (optionally cyclically shifted) windows of a
    ``(B, H, W, C)`` input, with a relative position bias; ``logit_scale`` selects Swin V2's
    scaled cosine attention."""
    b, h, w, c = input.shape
    pad_r = (window_size[1] - w % window_size[1]) % window_size[1]
    pad_b = (window_size[0] - h % window_size[0]) % window_size[0]
    x = F.pad(input, (0, 0, 0, pad_r, 0, pad_b))
    _, pad_h, pad_w, _ = x.shape
    shift_size = list(shift_size)
    if window_size[0] >= pad_h:
        shift_size[0] = 0
    if window_size[1] >= pad_w:
        shift_size[1] = 0
    shifted = sum(shift_size) > 0
    if shifted:
        x = ember.roll(x, shifts=(-shift_size[0], -shift_size[1]), dims=(1, 2))
    nh, nw = pad_h // window_size[0], pad_w // window_size[1]
    num_windows = nh * nw
    n = window_size[0] * window_size[1]
    x = x.view(b, nh, window_size[0], nw, window_size[1], c)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(b * num_windows, n, c)
    if logit_scale is not None and qkv_bias is not None:  # V2: no bias on the keys
        length = qkv_bias.numel() // 3
        qkv_bias = ember.cat([qkv_bias[:length], ember.zeros_like(qkv_bias[length:2 * length]),
                              qkv_bias[2 * length:]])
    qkv = F.linear(x, qkv_weight, qkv_bias)
    qkv = qkv.reshape(x.size(0), n, 3, num_heads, c // num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    if logit_scale is not None:
        attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        attn = attn * ember.clamp(logit_scale, max=math.log(100.0)).exp()
    else:
        attn = (q * (c // num_heads) ** -0.5).matmul(k.transpose(-2, -1))
    attn = attn + relative_position_bias
    if shifted:
        mask = _shift_mask(pad_h, pad_w, window_size, shift_size, attn.dtype, attn.device)
        attn = attn.view(x.size(0) // num_windows, num_windows, num_heads, n, n)
        attn = (attn + mask.unsqueeze(1).unsqueeze(0)).view(-1, num_heads, n, n)
    attn = F.dropout(F.softmax(attn, dim=-1), p=attention_dropout, training=training)
    x = attn.matmul(v).transpose(1, 2).reshape(x.size(0), n, c)
    x = F.dropout(F.linear(x, proj_weight, proj_bias), p=dropout, training=training)
    x = x.view(b, nh, nw, window_size[0], window_size[1], c)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(b, pad_h, pad_w, c)
    if shifted:
        x = ember.roll(x, shifts=(shift_size[0], shift_size[1]), dims=(1, 2))
    return x[:, :h, :w, :].contiguous()


fx.wrap("shifted_window_attention")


def _relative_position_index(window_size: list[int]) -> Tensor:
    """For each pair of positions in a window, the row of their offset in the bias table."""
    wh, ww = window_size
    coords = np.stack(np.meshgrid(np.arange(wh), np.arange(ww), indexing="ij")).reshape(2, -1)
    rel = (coords[:, :, None] - coords[:, None, :]).transpose(1, 2, 0)
    index = (rel[..., 0] + wh - 1) * (2 * ww - 1) + (rel[..., 1] + ww - 1)
    return ember.from_numpy(np.ascontiguousarray(index.reshape(-1).astype(np.int64)))


class ShiftedWindowAttention(nn.Module):
    """Window attention with a learned relative position bias table (see
    :func:`shifted_window_attention`)."""

    def __init__(self, dim: int, window_size: list[int], shift_size: list[int], num_heads: int,
                 qkv_bias: bool = True, proj_bias: bool = True, attention_dropout: float = 0.0,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if len(window_size) != 2 or len(shift_size) != 2:
            raise ValueError("window_size and shift_size must be of length 2")
        self.window_size = window_size
        self.shift_size = shift_size
        self.num_heads = num_heads
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)
        self.define_relative_position_bias_table()
        self.define_relative_position_index()

    def define_relative_position_bias_table(self) -> None:
        size = (2 * self.window_size[0] - 1) * (2 * self.window_size[1] - 1)
        self.relative_position_bias_table = nn.Parameter(ember.zeros(size, self.num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def define_relative_position_index(self) -> None:
        self.register_buffer("relative_position_index",
                             _relative_position_index(self.window_size))

    def get_relative_position_bias(self) -> Tensor:
        return _get_relative_position_bias(self.relative_position_bias_table,
                                           self.relative_position_index, self.window_size)

    def forward(self, x: Tensor) -> Tensor:
        relative_position_bias = self.get_relative_position_bias()
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, relative_position_bias, self.window_size,
            self.num_heads, shift_size=self.shift_size,
            attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, training=self.training)


class ShiftedWindowAttentionV2(ShiftedWindowAttention):
    """Swin V2's window attention: scaled cosine attention (learned ``logit_scale``) and a
    continuous position bias from a small MLP over log-spaced offsets."""

    def __init__(self, dim: int, window_size: list[int], shift_size: list[int], num_heads: int,
                 qkv_bias: bool = True, proj_bias: bool = True, attention_dropout: float = 0.0,
                 dropout: float = 0.0) -> None:
        super().__init__(dim, window_size, shift_size, num_heads, qkv_bias=qkv_bias,
                         proj_bias=proj_bias, attention_dropout=attention_dropout,
                         dropout=dropout)
        self.logit_scale = nn.Parameter(ember.log(10 * ember.ones((num_heads, 1, 1))))
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512, bias=True), nn.ReLU(inplace=True),
                                     nn.Linear(512, num_heads, bias=False))
        if qkv_bias:
            length = self.qkv.bias.numel() // 3
            with ember.no_grad():
                self.qkv.bias[length:2 * length].zero_()

    def define_relative_position_bias_table(self) -> None:
        wh, ww = self.window_size
        f32 = np.float32
        coords = np.stack(np.meshgrid(np.arange(-(wh - 1), wh, dtype=f32),
                                      np.arange(-(ww - 1), ww, dtype=f32), indexing="ij"))
        table = coords.transpose(1, 2, 0)[None].copy()
        table[..., 0] /= f32(wh - 1)
        table[..., 1] /= f32(ww - 1)
        table *= f32(8)  # offsets in [-8, 8], then log-spaced
        table = np.sign(table) * np.log2(np.abs(table) + f32(1.0)) / f32(3.0)
        self.register_buffer("relative_coords_table",
                             ember.from_numpy(np.ascontiguousarray(table, dtype=f32)))

    def get_relative_position_bias(self) -> Tensor:
        bias = _get_relative_position_bias(
            self.cpb_mlp(self.relative_coords_table).view(-1, self.num_heads),
            self.relative_position_index, self.window_size)
        return 16 * ember.sigmoid(bias)

    def forward(self, x: Tensor) -> Tensor:
        relative_position_bias = self.get_relative_position_bias()
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, relative_position_bias, self.window_size,
            self.num_heads, shift_size=self.shift_size,
            attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, logit_scale=self.logit_scale,
            training=self.training)


class SwinTransformerBlock(nn.Module):
    """Pre-norm window attention and MLP (GELU), each with a stochastic-depth residual."""

    def __init__(self, dim: int, num_heads: int, window_size: list[int], shift_size: list[int],
                 mlp_ratio: float = 4.0, dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.0,
                 norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
                 attn_layer: Callable[..., nn.Module] = ShiftedWindowAttention) -> None:
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = attn_layer(dim, window_size, shift_size, num_heads,
                               attention_dropout=attention_dropout, dropout=dropout)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.norm2 = norm_layer(dim)
        self.mlp = MLP(dim, [int(dim * mlp_ratio), dim], activation_layer=nn.GELU, inplace=None,
                       dropout=dropout)
        for m in self.mlp.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.stochastic_depth(self.attn(self.norm1(x)))
        return x + self.stochastic_depth(self.mlp(self.norm2(x)))


class SwinTransformerBlockV2(SwinTransformerBlock):
    """Swin V2's block: post-norm residuals (norm after attention and after the MLP)."""

    def __init__(self, dim: int, num_heads: int, window_size: list[int], shift_size: list[int],
                 mlp_ratio: float = 4.0, dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.0,
                 norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
                 attn_layer: Callable[..., nn.Module] = ShiftedWindowAttentionV2) -> None:
        super().__init__(dim, num_heads, window_size, shift_size, mlp_ratio=mlp_ratio,
                         dropout=dropout, attention_dropout=attention_dropout,
                         stochastic_depth_prob=stochastic_depth_prob, norm_layer=norm_layer,
                         attn_layer=attn_layer)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.stochastic_depth(self.norm1(self.attn(x)))
        return x + self.stochastic_depth(self.norm2(self.mlp(x)))


class SwinTransformer(nn.Module):
    """Patch embedding, stages of Swin blocks (every second one with shifted windows) joined
    by patch merging, a final LayerNorm, global average pooling and a linear head."""

    def __init__(self, patch_size: list[int], embed_dim: int, depths: list[int],
                 num_heads: list[int], window_size: list[int], mlp_ratio: float = 4.0,
                 dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.1, num_classes: int = 1000,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 block: Callable[..., nn.Module] | None = None,
                 downsample_layer: Callable[..., nn.Module] = PatchMerging) -> None:
        super().__init__()
        self.num_classes = num_classes
        block = block or SwinTransformerBlock
        norm_layer = norm_layer or partial(nn.LayerNorm, eps=1e-5)
        layers: list[nn.Module] = [nn.Sequential(
            nn.Conv2d(3, embed_dim, kernel_size=(patch_size[0], patch_size[1]),
                      stride=(patch_size[0], patch_size[1])),
            Permute([0, 2, 3, 1]), norm_layer(embed_dim))]
        total = sum(depths)
        block_id = 0
        for i_stage, depth in enumerate(depths):
            dim = embed_dim * 2 ** i_stage
            stage: list[nn.Module] = []
            for i_layer in range(depth):
                sd_prob = stochastic_depth_prob * float(block_id) / (total - 1)
                stage.append(block(dim, num_heads[i_stage], window_size=window_size,
                                   shift_size=[0 if i_layer % 2 == 0 else w // 2
                                               for w in window_size],
                                   mlp_ratio=mlp_ratio, dropout=dropout,
                                   attention_dropout=attention_dropout,
                                   stochastic_depth_prob=sd_prob, norm_layer=norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if i_stage < len(depths) - 1:
                layers.append(downsample_layer(dim, norm_layer))
        self.features = nn.Sequential(*layers)
        num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = norm_layer(num_features)
        self.permute = Permute([0, 3, 1, 2])
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.head = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.permute(self.norm(self.features(x)))
        return self.head(self.flatten(self.avgpool(x)))


def _swin_transformer(patch_size: list[int], embed_dim: int, depths: list[int],
                      num_heads: list[int], window_size: list[int],
                      stochastic_depth_prob: float, weights: Any, progress: bool,
                      **kwargs: Any) -> SwinTransformer:
    _apply_weights_config(weights, kwargs)
    model = SwinTransformer(patch_size=patch_size, embed_dim=embed_dim, depths=depths,
                            num_heads=num_heads, window_size=window_size,
                            stochastic_depth_prob=stochastic_depth_prob, **kwargs)
    return _load_weights(model, weights, progress)


_DOCS_1 = "These weights reproduce closely the results of the paper using a similar training recipe."

class Swin_T_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/swin_t-704ceda3.pth", crop_size=224, resize_size=232,
        interpolation=InterpolationMode.BICUBIC, num_params=28288354, min_size=(224, 224),
        acc=(81.474, 95.776), ops=4.491, file_size=108.19, recipe=_REF + "#swintransformer",
        docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V1


class Swin_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/swin_s-5e29d889.pth", crop_size=224, resize_size=246,
        interpolation=InterpolationMode.BICUBIC, num_params=49606258, min_size=(224, 224),
        acc=(83.196, 96.36), ops=8.741, file_size=189.786, recipe=_REF + "#swintransformer",
        docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V1


class Swin_B_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/swin_b-68c6b09e.pth", crop_size=224, resize_size=238,
        interpolation=InterpolationMode.BICUBIC, num_params=87768224, min_size=(224, 224),
        acc=(83.582, 96.64), ops=15.431, file_size=335.364, recipe=_REF + "#swintransformer",
        docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V1


class Swin_V2_T_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/swin_v2_t-b137f0e2.pth", crop_size=256,
        resize_size=260, interpolation=InterpolationMode.BICUBIC, num_params=28351570,
        min_size=(256, 256), acc=(82.072, 96.132), ops=5.94, file_size=108.626,
        recipe=_REF + "#swintransformer-v2", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V1


class Swin_V2_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/swin_v2_s-637d8ceb.pth", crop_size=256,
        resize_size=260, interpolation=InterpolationMode.BICUBIC, num_params=49737442,
        min_size=(256, 256), acc=(83.712, 96.816), ops=11.546, file_size=190.675,
        recipe=_REF + "#swintransformer-v2", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V1


class Swin_V2_B_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/swin_v2_b-781e5279.pth", crop_size=256,
        resize_size=272, interpolation=InterpolationMode.BICUBIC, num_params=87930848,
        min_size=(256, 256), acc=(84.112, 96.864), ops=20.325, file_size=336.372,
        recipe=_REF + "#swintransformer-v2", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V1


def _builder(arch: str, enum: type[WeightsEnum], embed_dim: int, depths: list[int],
             num_heads: list[int], sd_prob: float, v2: bool) -> Callable[..., SwinTransformer]:
    def build(*, weights: Any = None, progress: bool = True,
              **kwargs: Any) -> SwinTransformer:
        weights = _verify(enum, weights, kwargs)
        v2_layers = {"block": SwinTransformerBlockV2, "downsample_layer": PatchMergingV2}
        return _swin_transformer(patch_size=[4, 4], embed_dim=embed_dim, depths=list(depths),
                                 num_heads=list(num_heads), window_size=[8, 8] if v2 else [7, 7],
                                 stochastic_depth_prob=sd_prob, weights=weights,
                                 progress=progress, **(v2_layers if v2 else {}), **kwargs)

    size = arch.rsplit("_", 1)[1].upper()
    build.__name__ = build.__qualname__ = arch
    build.__doc__ = (f"Swin Transformer V2 {size} from \"Swin Transformer V2: Scaling Up Capacity "
                     "and Resolution\"." if v2 else f"Swin Transformer {size} from \"Swin "
                     "Transformer: Hierarchical Vision Transformer using Shifted Windows\".")
    build.__annotations__ = {"weights": enum | None, "progress": bool, "kwargs": Any,
                             "return": SwinTransformer}
    build.__module__ = __name__
    return register_model()(build)


_SMALL, _LARGE = [3, 6, 12, 24], [4, 8, 16, 32]
swin_t = _builder("swin_t", Swin_T_Weights, 96, [2, 2, 6, 2], _SMALL, 0.2, False)
swin_s = _builder("swin_s", Swin_S_Weights, 96, [2, 2, 18, 2], _SMALL, 0.3, False)
swin_b = _builder("swin_b", Swin_B_Weights, 128, [2, 2, 18, 2], _LARGE, 0.5, False)
swin_v2_t = _builder("swin_v2_t", Swin_V2_T_Weights, 96, [2, 2, 6, 2], _SMALL, 0.2, True)
swin_v2_s = _builder("swin_v2_s", Swin_V2_S_Weights, 96, [2, 2, 18, 2], _SMALL, 0.3, True)
swin_v2_b = _builder("swin_v2_b", Swin_V2_B_Weights, 128, [2, 2, 18, 2], _LARGE, 0.5, True)

"""Vision Transformer ("An Image is Worth 16x16 Words"): ViT-B/16, B/32, L/16, L/32, H/14, and
:class:`VisionTransformer` for any configuration (e.g. a small one for tests)."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import ember
from ember import Tensor, nn

from ..ops.misc import MLP, Conv2dNormActivation
from ._api import WeightsEnum, register_model
from ._meta import _REF, _SWAG_LICENSE, _TV, InterpolationMode, _imagenet
from ._utils import _load_weights, _ovewrite_named_param, _verify

# ember._assert is a lazy attribute: load it now, so that ember.fx (which collects ember's
# functions on its first trace) records the shape checks below as torch.fx records
# torch._assert, even when another model was traced first
_ASSERT = ember._assert

__all__ = ["VisionTransformer", "ViT_B_16_Weights", "ViT_B_32_Weights", "ViT_L_16_Weights",
           "ViT_L_32_Weights", "ViT_H_14_Weights", "vit_b_16", "vit_b_32", "vit_l_16",
           "vit_l_32", "vit_h_14"]


_LAYER_NORM = partial(nn.LayerNorm, eps=1e-6)


class ConvStemConfig(NamedTuple):
    out_channels: int
    kernel_size: int
    stride: int
    norm_layer: Callable[..., nn.Module] = nn.BatchNorm2d
    activation_layer: Callable[..., nn.Module] = nn.ReLU


class MLPBlock(MLP):
    """The transformer's feed-forward block: Linear, GELU, Dropout, Linear, Dropout."""

    _version = 2

    def __init__(self, in_dim: int, mlp_dim: int, dropout: float) -> None:
        super().__init__(in_dim, [mlp_dim, in_dim], activation_layer=nn.GELU, inplace=None,
                         dropout=dropout)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        version = local_metadata.get("version", None)
        if version is None or version < 2:  # version 1 named the layers linear_1, linear_2
            for i in range(2):
                for kind in ("weight", "bias"):
                    old = f"{prefix}linear_{i + 1}.{kind}"
                    if old in state_dict:
                        state_dict[f"{prefix}{3 * i}.{kind}"] = state_dict.pop(old)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class EncoderBlock(nn.Module):
    """Pre-norm transformer layer: x + attention(ln_1(x)), then + mlp(ln_2(.))."""

    def __init__(self, num_heads: int, hidden_dim: int, mlp_dim: int, dropout: float,
                 attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = _LAYER_NORM) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads,
                                                    dropout=attention_dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input: Tensor) -> Tensor:
        ember._assert(input.dim() == 3,
                      f"Expected (batch_size, seq_length, hidden_dim) got {input.shape}")
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x)
        x = x + input
        y = self.ln_2(x)
        y = self.mlp(y)
        return x + y


class Encoder(nn.Module):
    """Learned position embeddings, ``num_layers`` encoder blocks and a final LayerNorm."""

    def __init__(self, seq_length: int, num_layers: int, num_heads: int, hidden_dim: int,
                 mlp_dim: int, dropout: float, attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = _LAYER_NORM) -> None:
        super().__init__()
        self.pos_embedding = nn.Parameter(
            ember.empty(1, seq_length, hidden_dim).normal_(std=0.02))  # as BERT
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.Sequential(OrderedDict(
            (f"encoder_layer_{i}", EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout,
                                                attention_dropout, norm_layer))
            for i in range(num_layers)))
        self.ln = norm_layer(hidden_dim)

    def forward(self, input: Tensor) -> Tensor:
        ember._assert(input.dim() == 3,
                      f"Expected (batch_size, seq_length, hidden_dim) got {input.shape}")
        input = input + self.pos_embedding
        return self.ln(self.layers(self.dropout(input)))


class VisionTransformer(nn.Module):
    """Patchify with a strided convolution (or a convolutional stem), prepend a class token,
    run the encoder and classify the class token with ``heads``."""

    def __init__(self, image_size: int, patch_size: int, num_layers: int, num_heads: int,
                 hidden_dim: int, mlp_dim: int, dropout: float = 0.0,
                 attention_dropout: float = 0.0, num_classes: int = 1000,
                 representation_size: int | None = None,
                 norm_layer: Callable[..., nn.Module] = _LAYER_NORM,
                 conv_stem_configs: list[ConvStemConfig] | None = None) -> None:
        super().__init__()
        ember._assert(image_size % patch_size == 0, "Input shape indivisible by patch size!")
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.mlp_dim = mlp_dim
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.num_classes = num_classes
        self.representation_size = representation_size
        self.norm_layer = norm_layer

        if conv_stem_configs is not None:  # "Early Convolutions Help Transformers See Better"
            stem = nn.Sequential()
            prev = 3
            for i, cfg in enumerate(conv_stem_configs):
                stem.add_module(f"conv_bn_relu_{i}", Conv2dNormActivation(
                    in_channels=prev, out_channels=cfg.out_channels, kernel_size=cfg.kernel_size,
                    stride=cfg.stride, norm_layer=cfg.norm_layer,
                    activation_layer=cfg.activation_layer))
                prev = cfg.out_channels
            stem.add_module("conv_last", nn.Conv2d(prev, hidden_dim, kernel_size=1))
            self.conv_proj: nn.Module = stem
        else:
            self.conv_proj = nn.Conv2d(3, hidden_dim, kernel_size=patch_size, stride=patch_size)

        seq_length = (image_size // patch_size) ** 2
        self.class_token = nn.Parameter(ember.zeros(1, 1, hidden_dim))
        seq_length += 1
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
                               attention_dropout, norm_layer)
        self.seq_length = seq_length

        heads: OrderedDict[str, nn.Module] = OrderedDict()
        if representation_size is None:
            heads["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads["act"] = nn.Tanh()
            heads["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads)

        if isinstance(self.conv_proj, nn.Conv2d):
            fan_in = (self.conv_proj.in_channels * self.conv_proj.kernel_size[0]
                      * self.conv_proj.kernel_size[1])
            nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
            if self.conv_proj.bias is not None:
                nn.init.zeros_(self.conv_proj.bias)
        elif isinstance(getattr(self.conv_proj, "conv_last", None), nn.Conv2d):
            last = self.conv_proj.conv_last
            nn.init.normal_(last.weight, mean=0.0, std=math.sqrt(2.0 / last.out_channels))
            if last.bias is not None:
                nn.init.zeros_(last.bias)
        if isinstance(getattr(self.heads, "pre_logits", None), nn.Linear):
            pre = self.heads.pre_logits
            nn.init.trunc_normal_(pre.weight, std=math.sqrt(1 / pre.in_features))
            nn.init.zeros_(pre.bias)
        if isinstance(self.heads.head, nn.Linear):
            nn.init.zeros_(self.heads.head.weight)
            nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x: Tensor) -> Tensor:
        n, c, h, w = x.shape
        p = self.patch_size
        # ember._assert, not `if ...: raise`: recorded by ember.fx as torch._assert is
        ember._assert(h == self.image_size,
                      f"Wrong image height! Expected {self.image_size} but got {h}!")
        ember._assert(w == self.image_size,
                      f"Wrong image width! Expected {self.image_size} but got {w}!")
        n_h = h // p
        n_w = w // p
        x = self.conv_proj(x)
        x = x.reshape(n, self.hidden_dim, n_h * n_w)
        return x.permute(0, 2, 1)  # (n, seq, hidden): the batch-first layout attention expects

    def forward(self, x: Tensor) -> Tensor:
        x = self._process_input(x)
        n = x.shape[0]
        batch_class_token = self.class_token.expand(n, -1, -1)
        x = ember.cat([batch_class_token, x], dim=1)
        x = self.encoder(x)
        return self.heads(x[:, 0])


def _vision_transformer(patch_size: int, num_layers: int, num_heads: int, hidden_dim: int,
                        mlp_dim: int, weights: Any, progress: bool,
                        **kwargs: Any) -> VisionTransformer:
    if isinstance(weights, WeightsEnum):
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
        if weights.meta["min_size"][0] != weights.meta["min_size"][1]:
            raise ValueError(f"non-square min_size {weights.meta['min_size']}")
        _ovewrite_named_param(kwargs, "image_size", weights.meta["min_size"][0])
    image_size = kwargs.pop("image_size", 224)
    model = VisionTransformer(image_size=image_size, patch_size=patch_size,
                              num_layers=num_layers, num_heads=num_heads, hidden_dim=hidden_dim,
                              mlp_dim=mlp_dim, **kwargs)
    return _load_weights(model, weights, progress)


class ViT_B_16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/vit_b_16-c867db91.pth", crop_size=224,
        num_params=86567656, min_size=(224, 224), acc=(81.072, 95.318), ops=17.564,
        file_size=330.285, recipe=_REF + "#vit_b_16")
    IMAGENET1K_SWAG_E2E_V1 = _imagenet(
        "https://download.pytorch.org/models/vit_b_16_swag-9ac1b537.pth", crop_size=384,
        resize_size=384, interpolation=InterpolationMode.BICUBIC, num_params=86859496,
        min_size=(384, 384), acc=(85.304, 97.65), ops=55.484, file_size=331.398,
        recipe="https://github.com/facebookresearch/SWAG", license=_SWAG_LICENSE)
    IMAGENET1K_SWAG_LINEAR_V1 = _imagenet(
        "https://download.pytorch.org/models/vit_b_16_lc_swag-4e70ced5.pth", crop_size=224,
        resize_size=224, interpolation=InterpolationMode.BICUBIC, num_params=86567656,
        min_size=(224, 224), acc=(81.886, 96.18), ops=17.564, file_size=330.285,
        recipe=_TV + "pull/5793", license=_SWAG_LICENSE)
    DEFAULT = IMAGENET1K_V1


class ViT_B_32_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/vit_b_32-d86f8d99.pth", crop_size=224,
        num_params=88224232, min_size=(224, 224), acc=(75.912, 92.466), ops=4.409,
        file_size=336.604, recipe=_REF + "#vit_b_32")
    DEFAULT = IMAGENET1K_V1


class ViT_L_16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/vit_l_16-852ce7e3.pth", crop_size=224, resize_size=242,
        num_params=304326632, min_size=(224, 224), acc=(79.662, 94.638), ops=61.555,
        file_size=1161.023, recipe=_REF + "#vit_l_16")
    IMAGENET1K_SWAG_E2E_V1 = _imagenet(
        "https://download.pytorch.org/models/vit_l_16_swag-4f3808c9.pth", crop_size=512,
        resize_size=512, interpolation=InterpolationMode.BICUBIC, num_params=305174504,
        min_size=(512, 512), acc=(88.064, 98.512), ops=361.986, file_size=1164.258,
        recipe="https://github.com/facebookresearch/SWAG", license=_SWAG_LICENSE)
    IMAGENET1K_SWAG_LINEAR_V1 = _imagenet(
        "https://download.pytorch.org/models/vit_l_16_lc_swag-4d563306.pth", crop_size=224,
        resize_size=224, interpolation=InterpolationMode.BICUBIC, num_params=304326632,
        min_size=(224, 224), acc=(85.146, 97.422), ops=61.555, file_size=1161.023,
        recipe=_TV + "pull/5793", license=_SWAG_LICENSE)
    DEFAULT = IMAGENET1K_V1


class ViT_L_32_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/vit_l_32-c7638314.pth", crop_size=224,
        num_params=306535400, min_size=(224, 224), acc=(76.972, 93.07), ops=15.378,
        file_size=1169.449, recipe=_REF + "#vit_l_32")
    DEFAULT = IMAGENET1K_V1


class ViT_H_14_Weights(WeightsEnum):
    IMAGENET1K_SWAG_E2E_V1 = _imagenet(
        "https://download.pytorch.org/models/vit_h_14_swag-80465313.pth", crop_size=518,
        resize_size=518, interpolation=InterpolationMode.BICUBIC, num_params=633470440,
        min_size=(518, 518), acc=(88.552, 98.694), ops=1016.717, file_size=2416.643,
        recipe="https://github.com/facebookresearch/SWAG", license=_SWAG_LICENSE)
    IMAGENET1K_SWAG_LINEAR_V1 = _imagenet(
        "https://download.pytorch.org/models/vit_h_14_lc_swag-c1eb923e.pth", crop_size=224,
        resize_size=224, interpolation=InterpolationMode.BICUBIC, num_params=632045800,
        min_size=(224, 224), acc=(85.708, 97.73), ops=167.295, file_size=2411.209,
        recipe=_TV + "pull/5793", license=_SWAG_LICENSE)
    DEFAULT = IMAGENET1K_SWAG_E2E_V1


@register_model()
def vit_b_16(*, weights: ViT_B_16_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    """ViT-B/16: 12 layers, 12 heads, width 768, MLP 3072, 16x16 patches."""
    weights = _verify(ViT_B_16_Weights, weights, kwargs)
    return _vision_transformer(16, 12, 12, 768, 3072, weights, progress, **kwargs)


@register_model()
def vit_b_32(*, weights: ViT_B_32_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    """ViT-B/32: 12 layers, 12 heads, width 768, MLP 3072, 32x32 patches."""
    weights = _verify(ViT_B_32_Weights, weights, kwargs)
    return _vision_transformer(32, 12, 12, 768, 3072, weights, progress, **kwargs)


@register_model()
def vit_l_16(*, weights: ViT_L_16_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    """ViT-L/16: 24 layers, 16 heads, width 1024, MLP 4096, 16x16 patches."""
    weights = _verify(ViT_L_16_Weights, weights, kwargs)
    return _vision_transformer(16, 24, 16, 1024, 4096, weights, progress, **kwargs)


@register_model()
def vit_l_32(*, weights: ViT_L_32_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    """ViT-L/32: 24 layers, 16 heads, width 1024, MLP 4096, 32x32 patches."""
    weights = _verify(ViT_L_32_Weights, weights, kwargs)
    return _vision_transformer(32, 24, 16, 1024, 4096, weights, progress, **kwargs)


@register_model()
def vit_h_14(*, weights: ViT_H_14_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    """ViT-H/14: 32 layers, 16 heads, width 1280, MLP 5120, 14x14 patches."""
    weights = _verify(ViT_H_14_Weights, weights, kwargs)
    return _vision_transformer(14, 32, 16, 1280, 5120, weights, progress, **kwargs)


def interpolate_embeddings(image_size: int, patch_size: int, model_state: OrderedDict,
                           interpolation_mode: str = "bicubic",
                           reset_heads: bool = False) -> OrderedDict:
    """Resize a checkpoint's position embeddings for another ``image_size`` (fine-tuning at a
    higher resolution); optionally drop the ``heads`` weights."""
    pos = model_state["encoder.pos_embedding"]
    n, seq_length, hidden_dim = pos.shape
    if n != 1:
        raise ValueError(f"Unexpected position embedding shape: {pos.shape}")
    new_seq_length = (image_size // patch_size) ** 2 + 1
    if new_seq_length != seq_length:
        seq_length -= 1
        new_seq_length -= 1
        side = int(math.sqrt(seq_length))
        if side * side != seq_length:
            raise ValueError("seq_length is not a perfect square! Instead got seq_length_1d * "
                             f"seq_length_1d = {side * side} and seq_length = {seq_length}")
        img = pos[:, 1:, :].permute(0, 2, 1).reshape(1, hidden_dim, side, side)
        img = nn.functional.interpolate(img, size=image_size // patch_size,
                                        mode=interpolation_mode, align_corners=True)
        img = img.reshape(1, hidden_dim, new_seq_length).permute(0, 2, 1)
        model_state["encoder.pos_embedding"] = ember.cat([pos[:, :1, :], img], dim=1)
        if reset_heads:
            model_state = OrderedDict((k, v) for k, v in model_state.items()
                                      if not k.startswith("heads"))
    return model_state

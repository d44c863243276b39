"""Pix2Pix (Isola, Zhu, Zhou & Efros 2017), layer for layer as pytorch-CycleGAN-and-pix2pix builds it.

The generator is a U-Net: an encoder of strided convolutions (kernel 4, stride 2, padding 1)
that halves the image down to a 1x1 bottleneck, a decoder of transposed convolutions that
doubles it back, and a skip connection at every size that concatenates the encoder's features
to the decoder's. It is built from one recursive block, ``UNetSkipBlock``: a block holds the
down step, the block below it (its ``submodule``) and the up step, and returns its input
concatenated with what came up. Going down: LeakyReLU(0.2), conv, norm (no norm on the
outermost conv and on the innermost one); coming up: ReLU, transposed conv, norm, and
Dropout(0.5) in the middle blocks of width 8 ngf; Tanh at the top. unet_256 (``num_downs=8``):

    size  encoder (down)                       decoder (up)
    256   input  in_channels                   ReLU, ConvT 2 ngf -> out_channels, Tanh
    128   conv -> ngf        (no norm)         ConvT -> ngf,   norm            ; cat skip -> 2 ngf
     64   LReLU, conv -> 2 ngf, norm           ConvT -> 2 ngf, norm            ; cat skip -> 4 ngf
     32   LReLU, conv -> 4 ngf, norm           ConvT -> 4 ngf, norm            ; cat skip -> 8 ngf
     16   LReLU, conv -> 8 ngf, norm           ConvT -> 8 ngf, norm, dropout   ; cat skip -> 16 ngf
      8   LReLU, conv -> 8 ngf, norm           ConvT -> 8 ngf, norm, dropout   ; cat skip -> 16 ngf
      4   LReLU, conv -> 8 ngf, norm           ConvT -> 8 ngf, norm, dropout   ; cat skip -> 16 ngf
      2   LReLU, conv -> 8 ngf, norm           ConvT -> 8 ngf, norm            ; cat skip -> 16 ngf
      1   LReLU, conv -> 8 ngf (no norm)  -->  ReLU (innermost block)

Every ConvT row starts with ReLU and reads the row below it. unet_128 (``num_downs=7``) has
one 8 ngf row fewer (dropout at 8 and 4). The skip at each size carries LeakyReLU(0.2) of the
encoder's features, not the features themselves: the reference's in-place LeakyReLU
overwrites the tensor that ``torch.cat([x, self.model(x)], 1)`` concatenates (see
``UNetSkipBlock.forward``). Inside the generator this changes nothing, since the next layer
is the ReLU of the block above and relu(leaky_relu(x)) = relu(x), values and gradients alike;
it shows in the output of a block called on its own.

The discriminator is a PatchGAN: a fully convolutional net (the reference's
NLayerDiscriminator) that gives one logit per overlapping patch of the (input, output) pair,
concatenated on the channel dimension. ``n_layers`` 1 / 3 / 5 give patches (receptive
fields) of 16 / 70 / 286 pixels; ``PixelDiscriminator`` is the 1x1 end. Both return logits
(the reference's optional Sigmoid is left to the numerically stable loss).
"""

from __future__ import annotations

from collections.abc import Iterable

from tinygan import functional as F
from tinygan import nn
from tinygan.tensor import Tensor

NORMS = ("batch", "instance", "none")


def _check_norm(norm: str, where: str) -> None:
    if norm not in NORMS:
        raise ValueError(f"{where}: norm must be one of 'batch', 'instance', 'none', got {norm!r}")


def _norm_layer(norm: str, channels: int) -> nn.Module:
    """The reference's get_norm_layer: BatchNorm2d (affine, running statistics), InstanceNorm2d
    (affine=False, no running statistics) or Identity."""
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "instance":
        return nn.InstanceNorm2d(channels)
    return nn.Identity()


def _use_bias(norm: str) -> bool:
    # The reference: ``use_bias = norm_layer.func == nn.InstanceNorm2d``. Batch norm's shift makes a
    # bias redundant; with norm "none" the reference's norm_layer is ``lambda x: Identity()``, which
    # is no InstanceNorm2d either, so it has no biases there too. We follow the reference.
    return norm == "instance"


def _check_positive(where: str, **values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{where}: {name} must be a positive integer, got {value!r}")


def _check_images(where: str, x: Tensor, channels: int) -> None:
    if x.ndim != 4 or x.shape[1] != channels:
        raise ValueError(f"{where} expects images of shape (N, {channels}, H, W), got {x.shape}")


def pix2pix_weights_init(module: nn.Module) -> None:
    """The reference's init_weights(net, 'normal', 0.02): conv, transposed-conv and linear weights
    ~ N(0, 0.02) and their biases 0; BatchNorm2d scale ~ N(1, 0.02), shift 0. Use with ``apply``."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d) and module.weight is not None:
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class UNetSkipBlock(nn.Module):
    """One level of the U-Net (the reference's UnetSkipConnectionBlock):

        x -> LeakyReLU(0.2) -> h ---------------------------------------------------> cat([h, u], 1)
                               h -> conv, norm -> submodule -> ReLU, ConvT, norm [, dropout] -> u

    x is (N, input_nc, H, W) (``input_nc`` defaults to ``outer_nc``); the conv takes it to
    (N, inner_nc, H/2, W/2), the submodule returns (N, 2 inner_nc, H/2, W/2) and the transposed
    conv brings it back to (N, outer_nc, H, W). Innermost: no submodule and no down norm (the
    transposed conv reads inner_nc channels). Outermost: no skip, no LeakyReLU and no norm on
    the way down, Tanh instead of the up norm, and its transposed conv always has a bias; it
    returns (N, outer_nc, H, W). A block both outermost and innermost (a one-level U-Net, which
    the reference does not build) is conv, ReLU, ConvT, Tanh. ``dropout`` adds Dropout(0.5)
    after the up norm of a middle block. The layers sit in ``self.model`` (an ``nn.Sequential``)
    in the reference's order, so state-dict keys match it. Weights keep the layers' default
    init; ``UNetGenerator`` applies ``pix2pix_weights_init`` to the whole tree. ``skip=False``
    drops the concatenation: the block returns only what came up (the encoder-decoder ablation).
    """

    def __init__(
        self,
        outer_nc: int,
        inner_nc: int,
        input_nc: int | None = None,
        submodule: UNetSkipBlock | None = None,
        outermost: bool = False,
        innermost: bool = False,
        norm: str = "batch",
        dropout: bool = False,
        skip: bool = True,
    ) -> None:
        super().__init__()
        _check_norm(norm, "UNetSkipBlock")
        if (submodule is None) != innermost:
            raise ValueError("UNetSkipBlock: the innermost block has no submodule and every other block has one")
        if dropout and (outermost or innermost):
            raise ValueError("UNetSkipBlock: dropout belongs to middle blocks (the reference has none at the ends)")
        self.outermost, self.innermost, self.skip = outermost, innermost, skip
        use_bias = _use_bias(norm)
        input_nc = outer_nc if input_nc is None else input_nc
        self.input_nc, self.outer_nc, self.inner_nc = input_nc, outer_nc, inner_nc
        downconv = nn.Conv2d(input_nc, inner_nc, 4, 2, 1, bias=use_bias)
        # the submodule returns its input and its output, concatenated (only its output without skips)
        up_in = inner_nc * 2 if submodule is not None and submodule.skip else inner_nc
        layers: list[nn.Module]
        if outermost:
            upconv = nn.ConvTranspose2d(up_in, outer_nc, 4, 2, 1)  # bias=True: no norm follows
            middle = [] if innermost else [submodule]
            layers = [downconv, *middle, nn.ReLU(), upconv, nn.Tanh()]
        elif innermost:
            upconv = nn.ConvTranspose2d(up_in, outer_nc, 4, 2, 1, bias=use_bias)
            layers = [nn.LeakyReLU(0.2), downconv, nn.ReLU(), upconv, _norm_layer(norm, outer_nc)]
        else:
            upconv = nn.ConvTranspose2d(up_in, outer_nc, 4, 2, 1, bias=use_bias)
            down = [nn.LeakyReLU(0.2), downconv, _norm_layer(norm, inner_nc)]
            up = [nn.ReLU(), upconv, _norm_layer(norm, outer_nc)]
            layers = down + [submodule] + up + ([nn.Dropout(0.5)] if dropout else [])
        self.model = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        if self.outermost or not self.skip:
            return self.model(x)
        # The reference runs ``torch.cat([x, self.model(x)], 1)`` where self.model starts with
        # ``nn.LeakyReLU(0.2, True)``: in place, so by the time cat reads x it holds LeakyReLU(x),
        # and the skip carries the activated features (gradients flow through the LeakyReLU on
        # both paths). tinygan has no in-place ops, so apply the LeakyReLU once and use it twice.
        # (Within UNetGenerator the parent's ReLU comes next, relu(leaky_relu(x)) = relu(x), so
        # only a block's own output can tell the two apart; we match the reference there too.)
        first, *rest = self.model
        h = first(x)
        out = h
        for layer in rest:
            out = layer(out)
        return F.cat([h, out], 1)


class UNetGenerator(nn.Module):
    """images (N, in_channels, H, W) -> images (N, out_channels, H, W) in [-1, 1]; H and W must be
    divisible by 2**num_downs (the bottleneck is H / 2**num_downs; unet_256 takes 256 to 1).

    The reference's UnetGenerator(input_nc, output_nc, num_downs, ngf, norm_layer, use_dropout):
    block i from the top (0 = outermost) narrows to ngf * min(2**i, 8) channels. ``norm`` is
    "batch" (BatchNorm2d, affine, running statistics), "instance" (InstanceNorm2d, affine=False)
    or "none" (Identity). Convolutions have biases only with "instance" (the reference's rule:
    it gives "none" no biases either), except the outermost transposed conv, which always has
    one. ``dropout`` puts Dropout(0.5) after the up norm of the middle blocks of width 8 ngf
    (blocks 4 .. num_downs - 2: three in unet_256, two in unet_128); it is on in pix2pix, where
    it is the generator's only noise. Differs from the reference for num_downs < 5 only: the
    reference then still builds five levels (its loop adds num_downs - 5 middle blocks, none when
    negative); here num_downs levels are built, with the same widths rule.

    ``skip_connections=False`` gives the paper's "encoder-decoder" ablation: the same layers
    without the concatenations (each transposed conv then reads half as many channels).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        num_downs: int,
        ngf: int = 64,
        norm: str = "batch",
        dropout: bool = True,
        skip_connections: bool = True,
    ) -> None:
        super().__init__()
        _check_positive(
            "UNetGenerator", in_channels=in_channels, out_channels=out_channels, num_downs=num_downs, ngf=ngf
        )
        _check_norm(norm, "UNetGenerator")
        self.in_channels, self.out_channels, self.num_downs = in_channels, out_channels, num_downs
        self.ngf, self.norm, self.dropout, self.skip_connections = ngf, norm, dropout, skip_connections
        widths = [ngf * min(2**i, 8) for i in range(num_downs)]  # inner_nc of block i
        block: UNetSkipBlock | None = None
        for i in reversed(range(num_downs)):  # from the bottleneck up, as the reference builds it
            outermost, innermost = i == 0, i == num_downs - 1
            block = UNetSkipBlock(
                out_channels if outermost else widths[i - 1],
                widths[i],
                input_nc=in_channels if outermost else None,
                submodule=block,
                outermost=outermost,
                innermost=innermost,
                norm=norm,
                dropout=dropout and not innermost and i >= 4,
                skip=skip_connections,
            )
        self.model = block
        self.apply(pix2pix_weights_init)

    def forward(self, x: Tensor) -> Tensor:
        _check_images("UNetGenerator", x, self.in_channels)
        step = 2**self.num_downs
        height, width = x.shape[2:]
        if height % step or width % step or height == 0 or width == 0:
            raise ValueError(
                f"UNetGenerator with num_downs={self.num_downs} needs H and W divisible by "
                f"2**{self.num_downs} = {step}, got images of shape {x.shape}"
            )
        return self.model(x)


def unet_128(in_channels: int, out_channels: int, ngf: int = 64, **kwargs) -> UNetGenerator:
    """The reference's 'unet_128': 7 downsamplings, 128x128 -> 1x1 at the bottleneck."""
    return UNetGenerator(in_channels, out_channels, 7, ngf, **kwargs)


def unet_256(in_channels: int, out_channels: int, ngf: int = 64, **kwargs) -> UNetGenerator:
    """The reference's 'unet_256' (pix2pix's generator): 8 downsamplings, 256x256 -> 1x1."""
    return UNetGenerator(in_channels, out_channels, 8, ngf, **kwargs)


def _receptive_field(layers: Iterable[nn.Module]) -> int:
    """Walk the convolutions in order: each widens the field by (k - 1) input steps of the current jump."""
    field, jump = 1, 1
    for layer in layers:
        if isinstance(layer, nn.Conv2d):
            field += (layer.kernel_size[0] - 1) * layer.dilation[0] * jump
            jump *= layer.stride[0]
    return field


def _output_size(layers: Iterable[nn.Module], size: int) -> int:
    for layer in layers:
        if isinstance(layer, nn.Conv2d):
            k, s, p = layer.kernel_size[0], layer.stride[0], layer.padding[0]
            size = (size + 2 * p - k) // s + 1 if size + 2 * p >= k else 0
    return size


class PatchGANDiscriminator(nn.Module):
    """(input, output) pairs (N, in_channels, H, W) -> a map of logits (N, 1, H', W'), one per patch.

    The reference's NLayerDiscriminator: conv k4 s2 p1 to ndf (with bias, no norm), LeakyReLU(0.2);
    then n_layers - 1 convs k4 s2 p1 to ndf * min(2**n, 8) with norm and LeakyReLU; one conv k4 s1
    p1 to ndf * min(2**n_layers, 8) with norm and LeakyReLU; a conv k4 s1 p1 to 1 channel (with
    bias). Like the generator, convs before a norm have biases only with norm "instance". For
    pix2pix the caller concatenates the condition A and the real or generated B on dim 1
    (``F.cat([a, b], 1)``), so in_channels = channels of A + channels of B (6 for RGB -> RGB).

    Each logit sees a ``receptive_field`` x ``receptive_field`` patch (computed from the layers:
    16 / 70 / 286 for n_layers 1 / 3 / 5); a 256x256 input gives a 30x30 map for n_layers=3.
    The whole-image end, the paper's ImageGAN, is n_layers=5: its 286-pixel field covers a
    256x256 image, so every logit of its 6x6 map judges the whole image; we recommend that
    rather than a separate class. ``PixelDiscriminator`` is the 1x1 end.
    """

    def __init__(self, in_channels: int, ndf: int = 64, n_layers: int = 3, norm: str = "batch") -> None:
        super().__init__()
        _check_positive("PatchGANDiscriminator", in_channels=in_channels, ndf=ndf, n_layers=n_layers)
        _check_norm(norm, "PatchGANDiscriminator")
        self.in_channels, self.n_layers, self.norm = in_channels, n_layers, norm
        use_bias = _use_bias(norm)
        layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2)]
        mult = 1
        for n in range(1, n_layers):  # each halves the size and doubles the width, up to 8 ndf
            prev, mult = mult, min(2**n, 8)
            layers += [
                nn.Conv2d(ndf * prev, ndf * mult, 4, 2, 1, bias=use_bias),
                _norm_layer(norm, ndf * mult),
                nn.LeakyReLU(0.2),
            ]
        prev, mult = mult, min(2**n_layers, 8)
        layers += [
            nn.Conv2d(ndf * prev, ndf * mult, 4, 1, 1, bias=use_bias),
            _norm_layer(norm, ndf * mult),
            nn.LeakyReLU(0.2),
            nn.Conv2d(ndf * mult, 1, 4, 1, 1),  # one logit per patch
        ]
        self.model = nn.Sequential(*layers)
        self.receptive_field = _receptive_field(self.model)
        self.apply(pix2pix_weights_init)

    def forward(self, x: Tensor) -> Tensor:
        _check_images("PatchGANDiscriminator", x, self.in_channels)
        if min(_output_size(self.model, x.shape[2]), _output_size(self.model, x.shape[3])) < 1:
            raise ValueError(
                f"PatchGANDiscriminator with n_layers={self.n_layers} gets an empty map from images of shape "
                f"{x.shape}; they are too small"
            )
        return self.model(x)


class PixelDiscriminator(nn.Module):
    """(input, output) pairs (N, in_channels, H, W) -> logits (N, 1, H, W), one per pixel (PixelGAN).

    The reference's PixelDiscriminator: 1x1 convs to ndf (with bias), LeakyReLU(0.2), to 2 ndf,
    norm, LeakyReLU(0.2), to 1 channel; the last two convs have biases only with norm "instance"
    (as in the reference). ``receptive_field`` is 1.
    """

    def __init__(self, in_channels: int, ndf: int = 64, norm: str = "batch") -> None:
        super().__init__()
        _check_positive("PixelDiscriminator", in_channels=in_channels, ndf=ndf)
        _check_norm(norm, "PixelDiscriminator")
        self.in_channels, self.norm = in_channels, norm
        use_bias = _use_bias(norm)
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, ndf, 1, 1, 0),
            nn.LeakyReLU(0.2),
            nn.Conv2d(ndf, ndf * 2, 1, 1, 0, bias=use_bias),
            _norm_layer(norm, ndf * 2),
            nn.LeakyReLU(0.2),
            nn.Conv2d(ndf * 2, 1, 1, 1, 0, bias=use_bias),
        )
        self.receptive_field = _receptive_field(self.net)
        self.apply(pix2pix_weights_init)

    def forward(self, x: Tensor) -> Tensor:
        _check_images("PixelDiscriminator", x, self.in_channels)
        return self.net(x)

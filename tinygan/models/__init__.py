"""Network architectures: DCGAN, conditional GANs and the digit classifier used to score them."""

from tinygan.models.cgan import (
    ConditionalDCGANDiscriminator,
    ConditionalDCGANGenerator,
    ConditionalMLPDiscriminator,
    ConditionalMLPGenerator,
)
from tinygan.models.classifier import DigitClassifier, predict, train_classifier
from tinygan.models.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_weights_init
from tinygan.models.pix2pix import (
    PatchGANDiscriminator,
    PixelDiscriminator,
    UNetGenerator,
    UNetSkipBlock,
    pix2pix_weights_init,
    unet_128,
    unet_256,
)

__all__ = [
    "ConditionalDCGANDiscriminator", "ConditionalDCGANGenerator", "ConditionalMLPDiscriminator",
    "ConditionalMLPGenerator", "DCGANDiscriminator", "DCGANGenerator", "DigitClassifier", "dcgan_weights_init",
    "predict", "train_classifier",
    "PatchGANDiscriminator", "PixelDiscriminator", "UNetGenerator", "UNetSkipBlock", "pix2pix_weights_init",
    "unet_128", "unet_256",
]  # fmt: skip

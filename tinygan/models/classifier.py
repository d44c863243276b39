"""A small convolutional digit classifier, trained with tinygan itself.

It scores a conditional generator: the share of samples generated for label y that the
classifier assigns to y ("label consistency"). Training it is also an end-to-end test of
convolution and batch norm: a wrong gradient anywhere would keep its accuracy low.
"""

from __future__ import annotations

import numpy as np

from tinygan import functional as F
from tinygan import nn, optim
from tinygan.data import iterate_minibatches
from tinygan.random import generator
from tinygan.tensor import Tensor, no_grad


class DigitClassifier(nn.Module):
    """images (N, 1, 28, 28) -> class logits (N, n_classes)."""

    def __init__(self, n_classes: int = 10, width: int = 16) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 3, 1, 1), nn.BatchNorm2d(width), nn.ReLU(),                  # 28x28
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.BatchNorm2d(2 * width), nn.ReLU(),      # 14x14
            nn.Conv2d(2 * width, 4 * width, 4, 2, 1), nn.BatchNorm2d(4 * width), nn.ReLU(),  # 7x7
        )  # fmt: skip
        self.head = nn.Linear(4 * width * 7 * 7, n_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(F.flatten(self.features(x), 1))


def cross_entropy(logits: Tensor, labels: np.ndarray) -> Tensor:
    """-log softmax(logits)[label], averaged; log-softmax = logits - max - log sum exp(logits - max)."""
    shifted = logits - logits.detach().max(dim=1, keepdim=True).values
    log_probs = shifted - F.log(F.sum(F.exp(shifted), dim=1, keepdim=True))
    return -F.mean(F.sum(log_probs * F.one_hot(labels, logits.shape[1]).to(logits.dtype), dim=1))


def train_classifier(
    images: np.ndarray, labels: np.ndarray, epochs: int = 2, batch_size: int = 64, lr: float = 1e-3
) -> DigitClassifier:
    """Fit a DigitClassifier on images (N, 1, 28, 28) and integer labels (N,) with Adam."""
    model = DigitClassifier(n_classes=int(labels.max()) + 1)
    opt = optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        for x, y in iterate_minibatches(images, batch_size, generator(), y=labels):
            opt.zero_grad()
            cross_entropy(model(Tensor(x)), y).backward()
            opt.step()
    return model.eval()


def predict(model: DigitClassifier, images: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Predicted labels (N,) for images (N, 1, 28, 28), in eval mode."""
    model.eval()
    with no_grad():
        chunks = [
            model(Tensor(images[i : i + batch_size])).data.argmax(axis=1) for i in range(0, len(images), batch_size)
        ]
    return np.concatenate(chunks)

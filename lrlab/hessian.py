"""Sharpness: the largest eigenvalue of the Hessian of the training loss, from Hessian-vector products.

Gradient descent on a quadratic diverges once eta > 2 / lambda_max (see lrlab.quadratic). A network's lambda_max
(its *sharpness*) is measured here without ever forming the Hessian: a Hessian-vector product H v is the gradient of
(grad J . v), one double backward pass, and SciPy's Lanczos solver (ARPACK's eigsh) finds the top eigenvalues from
a few dozen such products. Warm-starting it from the previous estimate's eigenvector keeps it on the top eigenvalue
when the top two are close, as they are at the edge of stability.
"""

from dataclasses import asdict, dataclass

import numpy as np
import torch
from scipy.sparse.linalg import LinearOperator, eigsh
from tqdm.auto import tqdm

from lrlab import store
from lrlab.config import TrainConfig, active_profile, smoke_caps
from lrlab.data import pick_device
from lrlab.engine import fast_prepare
from lrlab.model import seeded_cnn

TOLERANCE = 1e-2  # relative accuracy asked of the Lanczos solver for the top eigenvalue (1 %)
LANCZOS_VECTORS = 8  # Lanczos basis size: enough for the top two eigenvalues at ~10 Hessian-vector products
CODE = ("config.py", "data.py", "model.py", "engine.py", "hessian.py")  # what a full-batch run's numbers depend on


def hvp_operator(loss: torch.Tensor, params: list[torch.Tensor]) -> LinearOperator:
    """The Hessian of `loss` (a scalar computed from `params`) as a SciPy LinearOperator v -> H v (float64 I/O)."""
    grads = torch.autograd.grad(loss, params, create_graph=True)
    flat_grad = torch.cat([g.reshape(-1) for g in grads])
    size = flat_grad.numel()

    def matvec(vector: np.ndarray) -> np.ndarray:
        v = torch.as_tensor(np.asarray(vector).reshape(-1), dtype=flat_grad.dtype, device=flat_grad.device)
        product = torch.autograd.grad(flat_grad @ v, params, retain_graph=True)
        return torch.cat([p.reshape(-1) for p in product]).double().cpu().numpy()

    return LinearOperator((size, size), matvec=matvec, dtype=np.float64)


def top_eigenvalues(loss: torch.Tensor, params: list[torch.Tensor], *, k: int = 2, v0: np.ndarray | None = None,
                    tol: float = TOLERANCE) -> tuple[np.ndarray, np.ndarray]:
    """The k largest (algebraic) eigenvalues of the Hessian of `loss`, largest first, and their eigenvectors as
    columns. Asking for two and keeping the first is what keeps Lanczos from settling on the second when they are
    close; v0 (a previous eigenvector) warm-starts it."""
    operator = hvp_operator(loss, params)
    ncv = min(operator.shape[0], max(LANCZOS_VECTORS, 2 * k + 1))
    values, vectors = eigsh(operator, k=k, which="LA", v0=v0, tol=tol, ncv=ncv)
    order = np.argsort(values)[::-1]
    return values[order], vectors[:, order]


def sharpness(model: torch.nn.Module, loss_fn, images, targets, *, v0=None, tol: float = TOLERANCE):
    """lambda_max of the Hessian of loss_fn(model(images), targets) at the model's current weights, and its
    eigenvector (pass it back as v0 next time)."""
    params = [p for p in model.parameters() if p.requires_grad]
    k = 2 if v0 is None else 1  # cold: the top two, so as not to converge to the second; warm: the top one
    values, vectors = top_eigenvalues(loss_fn(model(images), targets), params, k=k, v0=v0, tol=tol)
    return float(values[0]), vectors[:, 0]


def square_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """0.5 * ||f(x) - onehot(y)||^2, summed over the 10 classes and averaged over the images (Cohen et al. 2021).
    F.mse_loss would also average over the classes, which shrinks the Hessian, and every threshold, 10x."""
    onehot = torch.nn.functional.one_hot(labels, logits.shape[-1]).to(logits.dtype)
    return 0.5 * ((logits - onehot) ** 2).sum(-1).mean()


@dataclass
class SharpnessRun:
    """Full-batch gradient descent with a fixed step, its loss every step and its sharpness every few steps."""

    lr: float
    losses: list[float]  # full-batch training loss before each step
    measured_at: list[int]  # the steps at which the sharpness was measured
    sharpness: list[float]  # lambda_max there (within TOLERANCE)
    train_size: int
    seed: int
    profile: str

    @property
    def threshold(self) -> float:
        """2 / eta: gradient descent on a quadratic with a larger curvature diverges."""
        return 2 / self.lr

    @property
    def crossed_at(self) -> int | None:
        """The first measured step where the sharpness reached 2 / eta, or None."""
        return next((step for step, value in zip(self.measured_at, self.sharpness) if value >= self.threshold), None)

    def loss_rises(self, after_crossing: bool) -> list[bool]:
        """For each step before the crossing (or from it on): whether the loss rose on it."""
        at = len(self.losses) if self.crossed_at is None else self.crossed_at
        losses = self.losses[at:] if after_crossing else self.losses[:at]
        return [b > a for a, b in zip(losses, losses[1:])]


def full_batch_gd(lr: float, *, steps: int = 200, every: int = 20, train_size: int = 500, seed: int = 0,
                  device=None, cache: bool = True, progress: bool = True) -> SharpnessRun:
    """Gradient descent on a fixed subset of MNIST (all of it in every step, square loss, the book's CNN), measuring
    the sharpness every `every` steps with a warm-started Lanczos solver. Cached like every run (LRLAB_CACHE);
    LRLAB_PROFILE=smoke caps steps, every and train_size (lrlab.config.SMOKE)."""
    profile = active_profile()
    capped = smoke_caps(gd_steps=steps, gd_every=every, gd_train_size=train_size)
    steps, every, train_size = capped["gd_steps"], capped["gd_every"], capped["gd_train_size"]
    identity = dict(kind="full-batch GD", lr=lr, steps=steps, every=every, train_size=train_size, seed=seed,
                    profile=profile, device=pick_device(device).type)
    key = store.key_for(identity, CODE)
    if cache and (payload := store.load_payload(key)) is not None:
        return SharpnessRun(**payload)
    run = _descend(lr, steps, every, train_size, seed, pick_device(device), progress)
    run = SharpnessRun(lr=lr, **run, train_size=train_size, seed=seed, profile=profile)
    if cache:
        store.save_payload(asdict(run), key)
    return run


def _descend(lr, steps, every, train_size, seed, device, progress) -> dict:
    given = fast_prepare(TrainConfig(train_size=train_size), device)
    images, labels = given.images, given.labels
    model = seeded_cnn(seed).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses, measured, values, vector = [], [], [], None
    for step in tqdm(range(steps + 1), disable=not progress, leave=False, desc=f"full-batch GD eta={lr:g}"):
        if step % every == 0:
            value, vector = sharpness(model, square_loss, images, labels, v0=vector)
            measured.append(step)
            values.append(value)
        if step == steps:
            break
        loss = square_loss(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return dict(losses=losses, measured_at=measured, sharpness=values)

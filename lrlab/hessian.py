"""Sharpness: the largest eigenvalue of the Hessian of the training loss, from Hessian-vector products.

Gradient descent on a quadratic diverges once eta > 2 / lambda_max (see lrlab.quadratic). A network's lambda_max
(its *sharpness*) is measured here without ever forming the Hessian: a Hessian-vector product H v is the gradient of
(grad J . v), one double backward pass, and SciPy's Lanczos solver (ARPACK's eigsh) finds the top eigenvalues from
a few dozen such products. Warm-starting it from the previous estimate's eigenvector keeps it on the top eigenvalue
when the top two are close, as they are at the edge of stability.
"""

from dataclasses import asdict, dataclass, field

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


def hvp_operator(loss: torch.Tensor, params: list[torch.Tensor], scale: torch.Tensor | None = None) -> LinearOperator:
    """The Hessian of `loss` (a scalar computed from `params`) as a SciPy LinearOperator v -> H v (float64 I/O).
    With `scale` (a flat vector s), the operator is diag(s) H diag(s): the Hessian of a preconditioned step, with
    s = P^-1/2 for a diagonal preconditioner P (lrlab.hessian.adam_preconditioner)."""
    grads = torch.autograd.grad(loss, params, create_graph=True)
    flat_grad = torch.cat([g.reshape(-1) for g in grads])
    size = flat_grad.numel()

    def matvec(vector: np.ndarray) -> np.ndarray:
        v = torch.as_tensor(np.asarray(vector).reshape(-1), dtype=flat_grad.dtype, device=flat_grad.device)
        v = v if scale is None else v * scale
        product = torch.cat([p.reshape(-1) for p in torch.autograd.grad(flat_grad @ v, params, retain_graph=True)])
        return (product if scale is None else product * scale).double().cpu().numpy()

    return LinearOperator((size, size), matvec=matvec, dtype=np.float64)


def adam_preconditioner(optimizer: torch.optim.Adam) -> torch.Tensor:
    """Adam's diagonal preconditioner as Cohen et al. (2022) define it, flat over the parameters in order:
    P = (1 - beta1^t) (sqrt(v_t / (1 - beta2^t)) + eps), from the optimizer's own exp_avg_sq and step count t. An Adam
    step is then theta <- theta - eta P^-1 m_t, whose stability threshold on a quadratic is (2 + 2 beta1) /
    ((1 - beta1) eta): 38 / eta for beta1 = 0.9."""
    group = optimizer.param_groups[0]
    (beta1, beta2), eps = group["betas"], group["eps"]
    pieces = []
    for param in group["params"]:
        state = optimizer.state[param]
        t = float(state["step"])
        v_hat = state["exp_avg_sq"] / (1 - beta2 ** t)
        pieces.append(((1 - beta1 ** t) * (v_hat.sqrt() + eps)).reshape(-1))
    return torch.cat(pieces)


def top_eigenvalues(loss: torch.Tensor, params: list[torch.Tensor], *, k: int = 2, v0: np.ndarray | None = None,
                    tol: float = TOLERANCE, scale: torch.Tensor | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The k largest (algebraic) eigenvalues of the Hessian of `loss` (diag(scale) H diag(scale) where given),
    largest first, and their eigenvectors as columns. Asking for two and keeping the first is what keeps Lanczos
    from settling on the second when they are close; v0 (a previous eigenvector) warm-starts it."""
    operator = hvp_operator(loss, params, scale)
    ncv = min(operator.shape[0], max(LANCZOS_VECTORS, 2 * k + 1))
    values, vectors = eigsh(operator, k=k, which="LA", v0=v0, tol=tol, ncv=ncv)
    order = np.argsort(values)[::-1]
    return values[order], vectors[:, order]


def sharpness(model: torch.nn.Module, loss_fn, images, targets, *, v0=None, tol: float = TOLERANCE,
              preconditioner: torch.Tensor | None = None):
    """lambda_max of the Hessian of loss_fn(model(images), targets) at the model's current weights, and its
    eigenvector (pass it back as v0 next time). With a diagonal `preconditioner` P (flat): lambda_max of
    P^-1/2 H P^-1/2, the preconditioned sharpness that decides the stability of a preconditioned step."""
    params = [p for p in model.parameters() if p.requires_grad]
    k = 2 if v0 is None else 1  # cold: the top two, so as not to converge to the second; warm: the top one
    scale = None if preconditioner is None else preconditioner.rsqrt()
    values, vectors = top_eigenvalues(loss_fn(model(images), targets), params, k=k, v0=v0, tol=tol, scale=scale)
    return float(values[0]), vectors[:, 0]


def square_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """0.5 * ||f(x) - onehot(y)||^2, summed over the 10 classes and averaged over the images (Cohen et al. 2021).
    F.mse_loss would also average over the classes, which shrinks the Hessian, and every threshold, 10x."""
    onehot = torch.nn.functional.one_hot(labels, logits.shape[-1]).to(logits.dtype)
    return 0.5 * ((logits - onehot) ** 2).sum(-1).mean()


ADAM_BETA1 = 0.9  # torch.optim.Adam's default, which the 38/eta threshold assumes


@dataclass
class SharpnessRun:
    """Gradient descent (or Adam) with a fixed step, its loss every step and its sharpness every few steps."""

    lr: float
    losses: list[float]  # training loss of each step (full batch: before the step; minibatches: the batch's)
    measured_at: list[int]  # the steps at which the sharpness was measured
    sharpness: list[float]  # lambda_max of the Hessian there (within TOLERANCE), on the run's fixed images
    train_size: int
    seed: int
    profile: str
    optimizer: str = "gd"  # "gd" (plain gradient descent, torch.optim.SGD) or "adam" (torch.optim.Adam)
    batch_size: int | None = None  # None: full batch (every step sees all train_size images)
    loss: str = "square"  # "square" (Cohen et al.) or "cross-entropy" (the book's usual training)
    preconditioned: list[float] = field(default_factory=list)  # Adam: lambda_max of P^-1/2 H P^-1/2 at measured_at

    @property
    def threshold(self) -> float:
        """Where a quadratic's step turns unstable: 2/eta for gradient descent; for Adam, on the preconditioned
        sharpness, (2 + 2 beta1) / ((1 - beta1) eta) = 38/eta."""
        return 2 / self.lr if self.optimizer == "gd" else (2 + 2 * ADAM_BETA1) / ((1 - ADAM_BETA1) * self.lr)

    @property
    def watched(self) -> list[float]:
        """The sharpness that the threshold applies to: plain for gradient descent, preconditioned for Adam."""
        return self.sharpness if self.optimizer == "gd" else self.preconditioned

    @property
    def crossed_at(self) -> int | None:
        """The first measured step where the watched sharpness reached its threshold, or None."""
        return next((step for step, value in zip(self.measured_at, self.watched) if value >= self.threshold), None)

    def loss_rises(self, after_crossing: bool) -> list[bool]:
        """For each step before the crossing (or from it on): whether the loss rose on it."""
        at = len(self.losses) if self.crossed_at is None else self.crossed_at
        losses = self.losses[at:] if after_crossing else self.losses[:at]
        return [b > a for a, b in zip(losses, losses[1:])]


LOSSES = {"square": square_loss, "cross-entropy": torch.nn.functional.cross_entropy}


def sharpness_run(lr: float, *, optimizer: str = "gd", batch_size: int | None = None, loss: str = "square",
                  steps: int = 200, every: int = 20, train_size: int = 500, seed: int = 0, device=None,
                  cache: bool = True, progress: bool = True) -> SharpnessRun:
    """Train the book's CNN on a fixed subset of MNIST with a fixed step (gradient descent or Adam, full batch or
    minibatches of batch_size), measuring the sharpness on the whole subset every `every` steps with a warm-started
    Lanczos solver, and for Adam its preconditioned sharpness too. Cached like every run (LRLAB_CACHE);
    LRLAB_PROFILE=smoke caps steps, every and train_size (lrlab.config.SMOKE)."""
    if optimizer not in ("gd", "adam") or loss not in LOSSES:
        raise ValueError(f"optimizer={optimizer!r}, loss={loss!r}: use optimizer 'gd' or 'adam' and loss "
                         f"{' or '.join(map(repr, LOSSES))}")
    capped = smoke_caps(gd_steps=steps, gd_every=every, gd_train_size=train_size)
    settings = dict(lr=lr, optimizer=optimizer, batch_size=batch_size, loss=loss, steps=capped["gd_steps"],
                    every=capped["gd_every"], train_size=capped["gd_train_size"], seed=seed)
    key = store.key_for(dict(kind="sharpness run", **settings, profile=active_profile(),
                             device=pick_device(device).type), CODE)
    if cache and (payload := store.load_payload(key)) is not None:
        return SharpnessRun(**payload)
    measured = _descend(**settings, device=pick_device(device), progress=progress)
    run = SharpnessRun(lr=lr, **measured, train_size=settings["train_size"], seed=seed, profile=active_profile(),
                       optimizer=optimizer, batch_size=batch_size, loss=loss)
    if cache:
        store.save_payload(asdict(run), key)
    return run


def _measure(model, loss_fn, images, labels, optimizer, vectors: dict) -> tuple[float, float | None]:
    """The sharpness, and for Adam the preconditioned one, each warm-started from its previous eigenvector."""
    plain, vectors["plain"] = sharpness(model, loss_fn, images, labels, v0=vectors.get("plain"))
    if not isinstance(optimizer, torch.optim.Adam):
        return plain, None
    value, vectors["adam"] = sharpness(model, loss_fn, images, labels, v0=vectors.get("adam"),
                                       preconditioner=adam_preconditioner(optimizer))
    return plain, value


def _descend(lr, optimizer, batch_size, loss, steps, every, train_size, seed, device, progress) -> dict:
    given = fast_prepare(TrainConfig(train_size=train_size), device)
    images, labels, loss_fn = given.images, given.labels, LOSSES[loss]
    model = seeded_cnn(seed).to(device)
    step_with = (torch.optim.SGD(model.parameters(), lr=lr) if optimizer == "gd"
                 else torch.optim.Adam(model.parameters(), lr=lr, betas=(ADAM_BETA1, 0.999)))
    order = torch.Generator().manual_seed(seed)
    losses, measured, values, vectors = [], [], {"plain": [], "adam": []}, {}
    for step in tqdm(range(steps + 1), disable=not progress, leave=False, desc=f"{optimizer} eta={lr:g}"):
        if step % every == 0 and (optimizer == "gd" or step > 0):  # Adam has no preconditioner before its 1st step
            plain, preconditioned = _measure(model, loss_fn, images, labels, step_with, vectors)
            measured.append(step)
            values["plain"].append(plain)
            values["adam"] += [] if preconditioned is None else [preconditioned]
        if step == steps:
            break
        batch = slice(None) if batch_size is None else torch.randperm(len(labels), generator=order)[:batch_size]
        batch_loss = loss_fn(model(images[batch]), labels[batch])
        step_with.zero_grad()
        batch_loss.backward()
        step_with.step()
        losses.append(batch_loss.item())
    return dict(losses=losses, measured_at=measured, sharpness=values["plain"], preconditioned=values["adam"])

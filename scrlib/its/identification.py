"""Whether the data identify a model: one rule, decided by the design and the information at the
estimate, never by whether an optimiser happened to fail.

A BLAS kernel sums in its own order, so the last digits of a least-squares or scoring step differ
between machines. A well-posed fit agrees to many digits everywhere; a fit the data cannot
identify can go either way (one kernel returns non-finite estimates, another huge coefficients
that "converged"). So identification is decided here, by rule, on every path that fits
(:func:`scrlib.its.fit`, profile refits, batched refits, scans and explanations):

1. **The design.** Each column of the design matrix is scaled to unit length. Its rank counts
   the singular values above ``RANK_RTOL`` times the largest, and it must equal the number of
   coefficients; its condition number (largest over smallest singular value) must be at most
   ``MAX_CONDITION``.
2. **The information at the estimate.** The same test for the variance-weighted Jacobian of the
   mean, ``V^(-1/2) d mu / d theta`` (whose cross-product is the Fisher information): for a year
   that contains a policy date, the derivative of the sum of its parts. An estimate that runs
   off to infinity (a part whose mean goes to 0) loses rank here. A single fit takes the
   Jacobian's singular values; a batch of refits (bootstraps, profiles, scans) the eigenvalues of
   the information in correlation form, their squares. A refusal here has one wording, whatever
   the size of the smallest singular value, so that no kernel's rounding changes it.
3. **The standard errors.** Finite, and for count families (log or logit link) at most
   ``MAX_SE`` before any dispersion scaling (quasi-Poisson's scale makes a fit imprecise, not
   unidentified): a 95% interval wider than a factor of ``exp(2 x 1.96 x MAX_SE)`` (over
   3 x 10^8) says nothing about the effect.

A model that fails is *not identified*, with the reason in words; the reason holds no digits
that a kernel could change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RANK_RTOL = 1e-8  # a scaled singular value below this times the largest counts as zero
MAX_CONDITION = 1e6  # largest over smallest scaled singular value, design and information
MAX_SE = 5.0  # standard error of a coefficient on the log or logit scale
_INVOLVED = 1e-3  # a term whose share of the null space exceeds this is named


@dataclass(frozen=True)
class Identification:
    """The verdict on one design or fit: ``identified``; ``rank`` of ``k``; the scaled
    ``condition`` number; the ``involved`` terms (those in the direction the data cannot fix);
    ``reason`` in words (empty when identified)."""

    identified: bool
    rank: int
    k: int
    condition: float
    involved: tuple[str, ...] = ()
    reason: str = ""
    at_estimate: bool = False  # decided at the estimate (more data could identify it)

    def message(self, n: int, names) -> str:
        """The refusal in words: the design, its points and coefficients, why, what to drop."""
        names = list(names)
        return (f"not identified: {len(names)} coefficients ({', '.join(names)}) from {n} "
                f"time points; {self.reason}. To fit it, {self.advice()}")

    def advice(self) -> str:
        """What to drop, in words."""
        if not self.involved:
            return "use fewer effects or terms"
        slopes = [t for t in self.involved if t.endswith(":slope")]
        named = ", ".join(repr(t) for t in self.involved)
        tail = " (for example, steps without changes in slope)" if slopes else ""
        longer = ", or use a longer series" if self.at_estimate else ""
        return f"drop one of {named}{tail}{longer}"


def _scaled_singular_values(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Singular values (descending) and right singular vectors of ``matrix`` with its columns
    scaled to unit length; a column of zeros keeps a zero singular value."""
    norms = np.linalg.norm(matrix, axis=0)
    scaled = matrix / np.where(norms > 0, norms, 1.0)
    _, s, vt = np.linalg.svd(scaled, full_matrices=False)
    return s, vt


def _verdict(s: np.ndarray, vt: np.ndarray, names, at_estimate: bool = False) -> Identification:
    k = len(names)
    top = float(s[0]) if s.size and s[0] > 0 else 0.0
    rank = int(np.sum(s > RANK_RTOL * top)) if top > 0 else 0
    condition = float(top / s[-1]) if s.size and s[-1] > 0 else float("inf")
    if rank == k and condition <= MAX_CONDITION:
        return Identification(True, rank, k, condition)
    weak = s <= max(top / MAX_CONDITION, RANK_RTOL * top)
    null = vt[weak]
    share = np.sum(null**2, axis=0)  # the diagonal of the projector onto the weak directions
    involved = tuple(n for n, v in zip(names, share, strict=True) if v > _INVOLVED)
    together = ", ".join(repr(t) for t in involved) or "the terms"
    if at_estimate:  # one wording: whether a tiny singular value is 1e-9 or 1e-17 is rounding
        reason = (f"at the estimate, {together} cannot be told apart: the information matrix "
                  f"(the Jacobian of the mean, columns scaled to length 1) has a condition "
                  f"number above {MAX_CONDITION:g}, so the estimate runs off along a "
                  "combination of them")
    elif rank < k:
        reason = (f"the design matrix has rank {rank} of {k}: {together} cannot be told apart "
                  f"(singular values below {RANK_RTOL:g} of the largest count as zero)")
    else:
        reason = (f"the design matrix is nearly singular: {together} can hardly be told apart "
                  f"(condition number above {MAX_CONDITION:g} with each column scaled to "
                  "length 1)")
    return Identification(False, rank, k, condition, involved, reason, at_estimate)


def check_design(design: np.ndarray, names) -> Identification:
    """Rule 1: the design matrix's rank and condition number, columns scaled to length 1."""
    s, vt = _scaled_singular_values(np.asarray(design, dtype=float))
    return _verdict(s, vt, list(names))


def check_jacobian(jacobian: np.ndarray, names) -> Identification:
    """Rule 2: the variance-weighted Jacobian of the mean at the estimate (n x k), by its
    singular values (not the eigenvalues of the information, whose small end is rounding)."""
    jacobian = np.asarray(jacobian, dtype=float)
    names = list(names)
    if not np.isfinite(jacobian).all():
        return Identification(False, 0, len(names), float("inf"), tuple(names),
                              "the Jacobian of the mean at the estimate is not finite", True)
    s, vt = _scaled_singular_values(jacobian)
    return _verdict(s, vt, names, at_estimate=True)


def check_information(info: np.ndarray, names) -> Identification:
    """Rule 2 from the Fisher information (k x k) in correlation form, where no Jacobian is at
    hand; its eigenvalues are the squared scaled singular values of the Jacobian."""
    info = np.asarray(info, dtype=float)
    names = list(names)
    if not np.isfinite(info).all():
        return Identification(False, 0, len(names), float("inf"), tuple(names),
                              "the information matrix at the estimate is not finite", True)
    d = np.sqrt(np.clip(np.diag(info), 0.0, None))
    scaled = info / np.outer(np.where(d > 0, d, 1.0), np.where(d > 0, d, 1.0))
    values, vectors = np.linalg.eigh((scaled + scaled.T) / 2)
    order = np.argsort(values)[::-1]
    s = np.sqrt(np.clip(values[order], 0.0, None))
    return _verdict(s, vectors[:, order].T, names, at_estimate=True)


def check_standard_errors(se, names, *, link_scale: bool) -> Identification:
    """Rule 3: standard errors finite, and at most MAX_SE on a log or logit scale."""
    se = np.asarray(se, dtype=float)
    names = list(names)
    k = len(names)
    bad = ~np.isfinite(se)
    if link_scale:
        bad |= se > MAX_SE
    if not bad.any():
        return Identification(True, k, k, float("nan"))
    involved = tuple(n for n, b in zip(names, bad, strict=True) if b)
    together = ", ".join(repr(t) for t in involved)
    limit = f" or above {MAX_SE:g} on the link scale" if link_scale else ""
    return Identification(False, k, k, float("nan"), involved,
                          f"the standard errors of {together} are not finite{limit}", True)


def identified_information(info: np.ndarray) -> np.ndarray:
    """Rule 2 for a batch of information matrices (..., k, k): True where identified."""
    info = np.asarray(info, dtype=float)
    k = info.shape[-1]
    shape = info.shape[:-2]
    if k == 0:
        return np.ones(shape, dtype=bool)
    finite = np.isfinite(info).all(axis=(-1, -2))
    safe = np.where(finite[..., None, None], info, np.eye(k))
    d = np.sqrt(np.clip(np.diagonal(safe, axis1=-2, axis2=-1), 0.0, None))
    positive = (d > 0).all(axis=-1)
    d = np.where(d > 0, d, 1.0)
    scaled = safe / (d[..., :, None] * d[..., None, :])
    values = np.linalg.eigvalsh((scaled + np.swapaxes(scaled, -1, -2)) / 2)
    top, low = values[..., -1], values[..., 0]
    ok = (top > 0) & (low > 0) & (low * MAX_CONDITION**2 >= top)
    return finite & positive & ok

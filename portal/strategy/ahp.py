"""Objective weights from a pairwise comparison matrix (Saaty's AHP).

The weights are the principal eigenvector of the reciprocal matrix, normalised to sum
to 1. The consistency ratio CR = CI / RI with CI = (lambda_max - n) / (n - 1) and RI
Saaty's random index for n; above 0.1 the judgements contradict each other too much.
"""

from dataclasses import dataclass

import numpy as np

from portal.errors import PortalError

# Saaty's random consistency index by matrix size (1-based; n = 1, 2 are always consistent).
RANDOM_INDEX = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
    11: 1.51,
    12: 1.48,
    13: 1.56,
    14: 1.57,
    15: 1.59,
}
CONSISTENCY_LIMIT = 0.1
SCALE = (1 / 9, 1 / 7, 1 / 5, 1 / 3, 1.0, 3.0, 5.0, 7.0, 9.0)


class AhpError(PortalError):
    """The comparison matrix is not usable; the message says why."""


@dataclass(frozen=True)
class AhpResult:
    weights: list[float]
    lambda_max: float
    consistency_index: float
    consistency_ratio: float

    @property
    def consistent(self) -> bool:
        return self.consistency_ratio <= CONSISTENCY_LIMIT


def from_upper(n: int, upper: dict[tuple[int, int], float]) -> np.ndarray:
    """The full reciprocal matrix from the judgements above the diagonal (i < j)."""
    matrix = np.ones((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            value = float(upper[(i, j)])
            if not value > 0:
                raise AhpError("Every comparison must be a positive number.")
            matrix[i, j] = value
            matrix[j, i] = 1.0 / value
    return matrix


def weights(matrix) -> AhpResult:
    """Principal-eigenvector weights and the consistency ratio of a reciprocal matrix."""
    a = np.asarray(matrix, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 1:
        raise AhpError("The comparison matrix must be square.")
    if not np.all(a > 0):
        raise AhpError("Every comparison must be a positive number.")
    if not np.allclose(a * a.T, 1.0, rtol=1e-6):
        raise AhpError("The matrix must be reciprocal: a[j][i] = 1 / a[i][j].")
    n = a.shape[0]
    if n > max(RANDOM_INDEX):
        raise AhpError(f"At most {max(RANDOM_INDEX)} objectives can be compared at once.")
    eigenvalues, eigenvectors = np.linalg.eig(a)
    k = int(np.argmax(eigenvalues.real))
    lambda_max = float(eigenvalues[k].real)
    vector = np.abs(eigenvectors[:, k].real)
    w = vector / vector.sum()
    ci = (lambda_max - n) / (n - 1) if n > 2 else 0.0
    ri = RANDOM_INDEX[n]
    cr = ci / ri if ri else 0.0
    return AhpResult([float(x) for x in w], lambda_max, max(ci, 0.0), max(cr, 0.0))


def nearest_judgement(ratio: float) -> float:
    """The Saaty scale value closest (on a log scale) to a weight ratio."""
    return min(SCALE, key=lambda s: abs(np.log(s) - np.log(ratio)))

"""Tour: principal component pursuit on a synthetic low-rank + sparse matrix."""

import numpy as np

from skstruct.datasets import make_low_rank_sparse
from skstruct.decomposition import RobustPCA

TITLE = "Robust PCA (principal component pursuit): low-rank + sparse split"


def run():
    X, L, S = make_low_rank_sparse(300, 200, rank=10, sparsity=0.05, random_state=0)
    rpca = RobustPCA(random_state=0).fit(X)
    err = np.linalg.norm(rpca.low_rank_ - L) / np.linalg.norm(L)
    support = np.mean((np.abs(rpca.sparse_) > 1e-6) == (S != 0))
    return (
        f"300x200 matrix, rank 10 + 5% gross errors: rank found {rpca.n_components_}, "
        f"rel. error of L {err:.1e}, support of S {100 * support:.1f}% right, "
        f"{rpca.n_iter_} iterations"
    )

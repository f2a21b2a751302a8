"""Tour: an incremental Gaussian mixture learns a stream of blobs in one pass."""

import numpy as np

TITLE = "Incremental Gaussian mixture (IGMN): one pass, components created as the stream needs"


def run():
    from sklearn.metrics import adjusted_rand_score
    from sklearn.mixture import GaussianMixture

    from skstruct.mixture import IncrementalGaussianMixture

    rng = np.random.default_rng(0)
    centers = np.array([[-8.0, -8.0, 0.0], [8.0, -8.0, 4.0], [0.0, 9.0, -6.0], [9.0, 9.0, 9.0]])
    y = rng.integers(0, 4, 3000)
    X = centers[y] + rng.standard_normal((3000, 3)) * [1.0, 1.5, 0.7]
    igmn = IncrementalGaussianMixture()
    for x in X:  # the data arrive one row at a time, each seen once, defaults throughout
        igmn.partial_fit(x[None])
    ari = adjusted_rand_score(y, igmn.predict(X))
    em = GaussianMixture(4, random_state=0).fit(X)
    return (
        f"3000 samples of 4 blobs in 3-D streamed once, one row per call: "
        f"{igmn.n_components_} components "
        f"({igmn.n_created_} created, {igmn.n_pruned_} pruned), ARI {ari:.3f}, mean log-lik. "
        f"{igmn.score(X):.3f} vs EM {em.score(X):.3f}"
    )

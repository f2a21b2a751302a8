"""Tour: outlier-robust PCA on Gaussian data with 10% adversarial outliers."""

import numpy as np

TITLE = "Outlier-robust PCA (nearly-linear-time filter): top direction despite 10% outliers"


def run():
    from sklearn.decomposition import PCA

    from skstruct.decomposition import OutlierRobustPCA

    rng = np.random.default_rng(0)
    n, d, eps = 5000, 50, 0.1
    scale = np.sqrt(np.r_[25.0, 4.0, np.ones(d - 2)])  # true top axis: e_0
    X = rng.standard_normal((n, d)) * scale
    m = int(eps * n)
    X[:m] = 0.1 * rng.standard_normal((m, d))
    X[:m, -1] = rng.choice([-1.0, 1.0], m) * np.sqrt(3 * 25 / eps)  # outliers on a weak axis

    def angle(u):
        return np.degrees(np.arccos(min(1.0, abs(u[0]) / np.linalg.norm(u))))

    est = OutlierRobustPCA(contamination=eps, random_state=0).fit(X)
    pca = PCA(1).fit(X)
    caught = np.mean(est.predict(X[:m]) == -1)
    return (
        f"{n}x{d} Gaussian data, 10% outliers on a low-variance axis: angle to the true top "
        f"axis {angle(est.components_[0]):.1f} deg (PCA {angle(pca.components_[0]):.1f} deg), "
        f"{100 * caught:.0f}% of outliers flagged, {est.n_iter_} filter rounds"
    )

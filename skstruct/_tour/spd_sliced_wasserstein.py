"""Tour: kernel ridge on the sliced-Wasserstein distance between sets of SPD matrices, and a
cross-subject alignment of covariances."""

TITLE = ("Sliced-Wasserstein on SPD matrices: brain-age-style regression on distributions, "
         "cross-subject alignment")


def run():
    import numpy as np
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    from skstruct._backend._spd import logm, vech
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import FunctionTransformer

    from skstruct.datasets import make_meeg_signals, make_spd_distributions
    from skstruct.spd import Covariances, SPDSWAlignment, SPDSWKernel

    X, y = make_spd_distributions(n_distributions=60, n_matrices=20, n_channels=5,
                                  random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    model = make_pipeline(SPDSWKernel(gamma=1.0, n_projections=50, random_state=0),
                          KernelRidge(kernel="precomputed", alpha=0.03))
    mae = np.mean(np.abs(cross_val_predict(model, X, y, cv=cv) - y))
    means = vech(np.stack([logm(x).mean(axis=0) for x in X]))
    base = np.mean(np.abs(cross_val_predict(RidgeCV(alphas=np.logspace(-3, 3, 7)), means, y,
                                            cv=cv) - y))

    # two subjects (different mixing): align the source's covariances onto the target's
    kw = dict(n_trials=150, n_channels=4, n_times=128, freq_shift=0.1, noise=0.5)
    cov = Covariances(estimator="oas", order=2, lag=3)
    Xs, ys = make_meeg_signals(**kw, random_state=1, mixing_random_state=0)
    Xt, yt = make_meeg_signals(**kw, random_state=2, mixing_random_state=3)
    Cs, Ct = cov.fit_transform(Xs), cov.fit_transform(Xt)
    logvec = FunctionTransformer(lambda C: vech(logm(C)))
    clf = make_pipeline(logvec, LogisticRegression(max_iter=1000))
    acc0 = clf.fit(Cs, ys).score(Ct, yt)
    pipe = make_pipeline(SPDSWAlignment(n_projections=200, random_state=0), clf)
    acc = pipe.fit(Cs, ys, spdswalignment__X_target=Ct).score(Ct, yt)
    return (
        f"60 subjects x 20 SPD 5x5 matrices, target moves centre and spread: SPDSW kernel ridge "
        f"MAE {mae:.1f} vs {base:.1f} for ridge on each subject's log-Euclidean mean "
        f"(target range 20-80)\n"
        f"    cross-subject BCI trials (8x8 augmented covariances): target accuracy {acc0:.2f} "
        f"without adaptation, {acc:.2f} after SPDSWAlignment"
    )

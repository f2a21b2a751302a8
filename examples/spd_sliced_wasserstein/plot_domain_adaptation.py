"""
Aligning two subjects' covariances before classification
========================================================

A classifier of BCI trials trained on one subject fails on another: the
sensors see the same kind of sources through a different mixing, so every
covariance matrix moves. :class:`~skstruct.spd.SPDSWAlignment` fits one
congruence ``X -> G X G^T`` that moves the source matrices so their
distribution matches the target's in sliced-Wasserstein distance (no target
labels needed), then a classifier trained on the aligned source applies to
the target as is.

We compare, on a cross-subject shift made with
:func:`~skstruct.datasets.make_meeg_signals`: no adaptation, the
log-Euclidean re-centering the alignment starts from, and the alignment.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skstruct._backend._spd import logm, vech
from skstruct.datasets import make_meeg_signals
from skstruct.spd import Covariances, SPDSWAlignment, spd_sliced_wasserstein

cov = Covariances(estimator="oas", order=2, lag=3)  # augmented covariances: 8x8
kw = dict(n_trials=150, n_channels=4, n_times=128, freq_shift=0.1, noise=0.5)
Xs, ys = make_meeg_signals(**kw, random_state=1, mixing_random_state=0)  # subject A
Xt, yt = make_meeg_signals(**kw, random_state=2, mixing_random_state=3)  # subject B
Cs, Ct = cov.fit_transform(Xs), cov.fit_transform(Xt)
print("source and target:", Cs.shape, Ct.shape)

# %%
# Half-vectorized matrix logarithms, so that a linear classifier applies.
# ``SPDSWAlignment`` goes first in the Pipeline; the target set is a fit
# parameter, and at predict time the target passes through unchanged.


def logvec(C):
    return vech(logm(C))


clf = LogisticRegression(max_iter=1000)
acc_none = clf.fit(logvec(Cs), ys).score(logvec(Ct), yt)

start = SPDSWAlignment(max_iter=0).fit(Cs, X_target=Ct)  # the re-centering alone
acc_recenter = clf.fit(logvec(start.align(Cs)), ys).score(logvec(Ct), yt)

pipe = make_pipeline(SPDSWAlignment(n_projections=200, random_state=0),
                     FunctionTransformer(logvec), LogisticRegression(max_iter=1000))
pipe.fit(Cs, ys, spdswalignment__X_target=Ct)
acc_align = pipe.score(Ct, yt)
al = pipe[0]
print(f"SPDSW^2 on the fitted directions: {al.initial_loss_:.4g} at the start, "
      f"{al.loss_:.4g} after {al.n_iter_} L-BFGS iterations")
for name, acc in [("none", acc_none), ("re-centering", acc_recenter),
                  ("SPDSW alignment", acc_align)]:
    print(f"target accuracy, {name}: {acc:.2f}")

# %%
# Distances to the target on fresh directions (not the ones the fit used).
d = [spd_sliced_wasserstein(A, Ct, n_projections=500, random_state=7)
     for A in (Cs, start.align(Cs), al.align(Cs))]

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
names = ["none", "re-centering", "SPDSW alignment"]
axes[0].bar(names, [acc_none, acc_recenter, acc_align], color="tab:blue")
axes[0].set_ylim(0.4, 1.0)
axes[0].axhline(0.5, color="grey", lw=0.8, ls="--")
axes[0].set_ylabel("target accuracy")
axes[1].bar(names, d, color="tab:orange")
axes[1].set_ylabel("SPDSW to the target")
for ax in axes:
    ax.tick_params(axis="x", labelrotation=20)
fig.tight_layout()
plt.show()

"""
Streaming a dask array through an incremental mixture
=====================================================

A data set too large for memory arrives as a :mod:`dask.array` whose blocks
are read one at a time. :class:`dask_ml.wrappers.Incremental` feeds each
block to ``partial_fit`` of an
:class:`~skstruct.mixture.IncrementalGaussianMixture`, in order, on a dask
cluster; the estimator is usable after every block, so we score it on a
held-out set as the batches arrive. Because the model does not depend on
where the chunks end (its scale comes from the first 100 rows of the stream,
whichever block holds them), the result is exactly the model that ``fit``
learns from all rows in memory.

The cluster here is a ``LocalCluster(processes=False)``: workers are threads
of this process, talking through in-process queues (no network), and it is
closed at the end. Running this example needs the ``dask`` extra
(``pip install skstruct[dask]``).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import adjusted_rand_score

import dask.array as da
from dask_ml.wrappers import Incremental
from distributed import Client, LocalCluster

from skstruct.mixture import IncrementalGaussianMixture

rng = np.random.default_rng(0)
D, K, n = 4, 5, 10000
centers = rng.uniform(-20, 20, (K, D))
labels = rng.integers(0, K, n + 2000)
X_all = centers[labels] + rng.standard_normal((n + 2000, D)) @ np.diag([1.0, 0.6, 1.4, 0.8])
X_all += 1e4  # far from the origin: the scale comes from the data, not from 1.0
X, X_test, y_test = X_all[:n], X_all[n:], labels[n:]

# %%
# Ten blocks of 1000 rows, streamed in order (``shuffle_blocks=False``);
# after every 2 blocks, score the model on the held-out rows.
cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                       dashboard_address=None)
client = Client(cluster)
Xd = da.from_array(X, chunks=(1000, D))
inc = Incremental(IncrementalGaussianMixture(), shuffle_blocks=False)
seen, loglik, n_comp = [], [], []
for start in range(0, 10, 2):
    inc.partial_fit(Xd[start * 1000:(start + 2) * 1000])
    model = inc.estimator_
    seen.append(model.n_samples_seen_)
    loglik.append(model.score(X_test))
    n_comp.append(model.n_components_)
labels_pred = inc.predict(da.from_array(X_test, chunks=(1000, D))).compute()
client.close()
cluster.close()

# %%
# The same rows in memory, in one call: the same model, bit for bit.
ref = IncrementalGaussianMixture().fit(X)
same = (ref.n_components_ == model.n_components_
        and np.array_equal(ref.means_, model.means_)
        and np.array_equal(ref.precisions_, model.precisions_))
print(f"dask stream: {model.n_components_} components, ARI "
      f"{adjusted_rand_score(y_test, labels_pred):.3f}; identical to fit: {same}")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(seen, loglik, "o-", label="held-out mean log-likelihood")
for s, ll, k in zip(seen, loglik, n_comp):
    ax.annotate(f"K={k}", (s, ll), textcoords="offset points", xytext=(0, 6), ha="center")
ax.axhline(ref.score(X_test), color="0.5", ls="--", label="fit on all rows")
ax.set_xlabel("rows streamed through dask")
ax.set_ylabel("mean log-likelihood")
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()

"""Time to first result: the first fit of each public estimator in a fresh process.

Each case runs in its own subprocesses: with an empty numba cache directory
(``NUMBA_CACHE_DIR`` pointed at a fresh temporary directory, as in a new
install, container or dask worker) and with a cache that an earlier run left
(a warm start), alternating, the best of two of each; the cold runs also
report numba's compile CPU. Times are wall-clock seconds for the whole
process: interpreter start, imports and the fit. Each estimator is set
against the nearest scikit-learn estimator, fitted the same way. A last table
times ``import skstruct`` and each subpackage against ``import sklearn``.

An install compiles the kernels ahead of time (``skstruct._backend._aot``), so a cold
first fit compiles nothing; ``SKSTRUCT_AOT=0 python bench_cold_start.py ...`` measures
numba's JIT instead (what an install without a C compiler, or an edited checkout, pays).

``python bench_cold_start.py --only Lasso [more names]`` prints the first-fit table of
those cases without writing the results file.
``python bench_cold_start.py --profile Lasso [more names]`` prints instead, per
case, what a cold first fit compiles: each jitted function (ours and numba's own
overloads), its signatures and its compile CPU time excluding nested compiles.
"""

import os
import subprocess
import sys
import tempfile
import time

from _common import table, write_results

_REG = ("from sklearn.datasets import make_regression\n"
        "X, y = make_regression(n_samples=50, n_features=5, noise=1.0, random_state=0)\n")
_CLF = ("from sklearn.datasets import make_classification\n"
        "X, y = make_classification(n_samples=100, n_features=3, n_informative=2,\n"
        "                           n_redundant=0, random_state=0)\n")
_BLOBS = ("from sklearn.datasets import make_blobs\n"
          "X, y = make_blobs(n_samples=200, n_features=3, centers=3, random_state=0)\n")
_SUBSPACES = ("from skstruct.datasets import make_subspaces\n"
              "X, y = make_subspaces(n_samples=60, n_features=10, n_subspaces=2,\n"
              "                      subspace_dim=2, random_state=0)\n")
_LOWRANK = ("import numpy as np\n"
            "rng = np.random.default_rng(0)\n"
            "X = rng.normal(size=(60, 3)) @ rng.normal(size=(3, 40))\n")
_MULTI = ("from sklearn.datasets import make_regression\n"
          "X, Y = make_regression(n_samples=50, n_features=5, n_targets=3, noise=1.0,\n"
          "                       random_state=0)\n")
_SETS = ("from skstruct.datasets import make_spd_distributions\n"
         "X, y = make_spd_distributions(n_distributions=20, n_matrices=20, n_channels=4,\n"
         "                              random_state=0)\n")
_SIGNALS = ("from skstruct.datasets import make_meeg_signals\n"
            "X, y = make_meeg_signals(n_trials=40, n_channels=4, n_times=128, random_state=0)\n")

# name: (data, skstruct fit, nearest scikit-learn fit)
CASES = {
    "Lasso": (_REG, "from skstruct.linear_model import Lasso as E\nE(alpha=0.01).fit(X, y)",
              "from sklearn.linear_model import Lasso as E\nE(alpha=0.01).fit(X, y)"),
    "ElasticNet": (_REG, "from skstruct.linear_model import ElasticNet as E\nE(alpha=0.01).fit(X, y)",
                   "from sklearn.linear_model import ElasticNet as E\nE(alpha=0.01).fit(X, y)"),
    "LassoCV": (_REG, "from skstruct.linear_model import LassoCV as E\nE().fit(X, y)",
                "from sklearn.linear_model import LassoCV as E\nE().fit(X, y)"),
    "MCPRegressor": (_REG, "from skstruct.linear_model import MCPRegressor as E\nE().fit(X, y)",
                     "from sklearn.linear_model import Lasso as E\nE().fit(X, y)"),
    "GroupLasso": (_REG, "from skstruct.linear_model import GroupLasso as E\nE().fit(X, y)",
                   "from sklearn.linear_model import Lasso as E\nE().fit(X, y)"),
    "L0Regressor": (_REG, "from skstruct.linear_model import L0Regressor as E\nE().fit(X, y)",
                    "from sklearn.linear_model import OrthogonalMatchingPursuit as E\n"
                    "E().fit(X, y)"),
    "IncrementalGaussianMixture": (
        _BLOBS, "from skstruct.mixture import IncrementalGaussianMixture as E\nE().fit(X)",
        "from sklearn.mixture import GaussianMixture as E\nE(3).fit(X)"),
    "IncrementalGaussianMixtureClassifier": (
        _CLF, "from skstruct.mixture import IncrementalGaussianMixtureClassifier as E\n"
        "E().fit(X, y)",
        "from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis as E\n"
        "E().fit(X, y)"),
    "SparseSubspaceClustering": (
        _SUBSPACES, "from skstruct.cluster import SparseSubspaceClustering as E\n"
        "E(n_clusters=2).fit(X)",
        "from sklearn.cluster import SpectralClustering as E\nE(n_clusters=2).fit(X)"),
    "OMPSubspaceClustering": (
        _SUBSPACES, "from skstruct.cluster import OMPSubspaceClustering as E\n"
        "E(n_clusters=2).fit(X)",
        "from sklearn.cluster import SpectralClustering as E\nE(n_clusters=2).fit(X)"),
    "ModeClustering": (_BLOBS, "from skstruct.cluster import ModeClustering as E\nE().fit(X)",
                       "from sklearn.cluster import MeanShift as E\nE().fit(X)"),
    "KDEModeFinder": (_BLOBS, "from skstruct.density import KDEModeFinder as E\nE().fit(X)",
                      "from sklearn.neighbors import KernelDensity as E\nE().fit(X)"),
    "RobustPCA": (_LOWRANK, "from skstruct.decomposition import RobustPCA as E\nE().fit(X)",
                  "from sklearn.decomposition import PCA as E\nE().fit(X)"),
    "OutlierRobustPCA": (_LOWRANK, "from skstruct.decomposition import OutlierRobustPCA as E\n"
                         "E().fit(X)",
                         "from sklearn.decomposition import PCA as E\nE().fit(X)"),
    "Covariances": (_SIGNALS, "from skstruct.spd import Covariances as E\nE().fit_transform(X)",
                    "from sklearn.covariance import LedoitWolf as E\n[E().fit(x.T) for x in X]"),
    "SPDSWKernel": (_SETS, "from skstruct.spd import SPDSWKernel as E\nE().fit_transform(X)",
                    "from sklearn.metrics.pairwise import rbf_kernel\n"
                    "rbf_kernel(X.reshape(len(X), -1))"),
    "SPDSWKernel(affine-invariant)": (
        _SETS, "from skstruct.spd import SPDSWKernel as E\n"
        "E(metric='affine-invariant').fit_transform(X)",
        "from sklearn.metrics.pairwise import rbf_kernel\nrbf_kernel(X.reshape(len(X), -1))"),
    "SPDSWEmbedding(affine-invariant)": (
        _SETS, "from skstruct.spd import SPDSWEmbedding as E\n"
        "E(metric='affine-invariant').fit_transform(X)",
        "from sklearn.decomposition import PCA as E\nE().fit_transform(X.reshape(len(X), -1))"),
    "SPDSWAlignment": (
        _SETS, "from skstruct.spd import SPDSWAlignment as E\n"
        "E().fit(X[:10].reshape(-1, 4, 4), X_target=X[10:].reshape(-1, 4, 4))",
        "from sklearn.preprocessing import StandardScaler as E\n"
        "E().fit(X.reshape(len(X), -1))"),
    "IncrementalGaussianMixtureRegressor": (
        _REG, "from skstruct.mixture import IncrementalGaussianMixtureRegressor as E\n"
        "E().fit(X, y)",
        "from sklearn.neighbors import KNeighborsRegressor as E\nE().fit(X, y).predict(X)"),
    "RobustPCA.transform": (
        _LOWRANK, "from skstruct.decomposition import RobustPCA as E\nE().fit(X).transform(X)",
        "from sklearn.decomposition import PCA as E\nE().fit(X).transform(X)"),
    "ElasticNetCV": (_REG, "from skstruct.linear_model import ElasticNetCV as E\nE().fit(X, y)",
                     "from sklearn.linear_model import ElasticNetCV as E\nE().fit(X, y)"),
    "SCADRegressor": (_REG, "from skstruct.linear_model import SCADRegressor as E\nE().fit(X, y)",
                      "from sklearn.linear_model import Lasso as E\nE().fit(X, y)"),
    "MCPRegressorCV": (_REG, "from skstruct.linear_model import MCPRegressorCV as E\nE().fit(X, y)",
                       "from sklearn.linear_model import LassoCV as E\nE().fit(X, y)"),
    "SCADRegressorCV": (_REG, "from skstruct.linear_model import SCADRegressorCV as E\n"
                        "E().fit(X, y)",
                        "from sklearn.linear_model import LassoCV as E\nE().fit(X, y)"),
    "AdaptiveLasso": (_REG, "from skstruct.linear_model import AdaptiveLasso as E\nE().fit(X, y)",
                      "from sklearn.linear_model import Lasso as E\nE().fit(X, y)"),
    "AdaptiveLassoCV": (_REG, "from skstruct.linear_model import AdaptiveLassoCV as E\n"
                        "E().fit(X, y)",
                        "from sklearn.linear_model import LassoCV as E\nE().fit(X, y)"),
    "GroupLassoCV": (_REG, "from skstruct.linear_model import GroupLassoCV as E\nE().fit(X, y)",
                     "from sklearn.linear_model import LassoCV as E\nE().fit(X, y)"),
    "MultiTaskLasso": (_MULTI, "from skstruct.linear_model import MultiTaskLasso as E\n"
                       "E(alpha=0.01).fit(X, Y)",
                       "from sklearn.linear_model import MultiTaskLasso as E\n"
                       "E(alpha=0.01).fit(X, Y)"),
    "MultiTaskElasticNet": (_MULTI, "from skstruct.linear_model import MultiTaskElasticNet as E\n"
                            "E(alpha=0.01).fit(X, Y)",
                            "from sklearn.linear_model import MultiTaskElasticNet as E\n"
                            "E(alpha=0.01).fit(X, Y)"),
    "MultiTaskLassoCV": (_MULTI, "from skstruct.linear_model import MultiTaskLassoCV as E\n"
                         "E().fit(X, Y)",
                         "from sklearn.linear_model import MultiTaskLassoCV as E\nE().fit(X, Y)"),
    "MultiTaskElasticNetCV": (_MULTI, "from skstruct.linear_model import MultiTaskElasticNetCV as E\n"
                              "E().fit(X, Y)",
                              "from sklearn.linear_model import MultiTaskElasticNetCV as E\n"
                              "E().fit(X, Y)"),
    "SparseLogisticRegression": (
        _CLF, "from skstruct.linear_model import SparseLogisticRegression as E\nE().fit(X, y)",
        "from sklearn.linear_model import LogisticRegression as E\n"
        "E(l1_ratio=1.0, solver='liblinear').fit(X, y)"),
    "SparseLogisticRegressionCV": (
        _CLF, "from skstruct.linear_model import SparseLogisticRegressionCV as E\nE().fit(X, y)",
        "from sklearn.linear_model import LogisticRegressionCV as E\n"
        "E(l1_ratios=(1.0,), solver='liblinear').fit(X, y)"),
    "ElasticNetSubspaceClustering": (
        _SUBSPACES, "from skstruct.cluster import ElasticNetSubspaceClustering as E\n"
        "E(n_clusters=2).fit(X)",
        "from sklearn.cluster import SpectralClustering as E\nE(n_clusters=2).fit(X)"),
    "LeastSquaresSubspaceClustering": (
        _SUBSPACES, "from skstruct.cluster import LeastSquaresSubspaceClustering as E\n"
        "E(n_clusters=2).fit(X)",
        "from sklearn.cluster import SpectralClustering as E\nE(n_clusters=2).fit(X)"),
    "LowRankRepresentation": (
        _SUBSPACES, "from skstruct.cluster import LowRankRepresentation as E\n"
        "E(n_clusters=2).fit(X)",
        "from sklearn.cluster import SpectralClustering as E\nE(n_clusters=2).fit(X)"),
    "ThresholdingSubspaceClustering": (
        _SUBSPACES, "from skstruct.cluster import ThresholdingSubspaceClustering as E\n"
        "E(n_clusters=2).fit(X)",
        "from sklearn.cluster import SpectralClustering as E\nE(n_clusters=2).fit(X)"),
    "SPDSWEmbedding": (_SETS, "from skstruct.spd import SPDSWEmbedding as E\nE().fit_transform(X)",
                       "from sklearn.decomposition import PCA as E\n"
                       "E().fit_transform(X.reshape(len(X), -1))"),
    "python -m skstruct": ("", "import runpy, sys\nsys.argv = ['skstruct']\n"
                           "runpy.run_module('skstruct', run_name='__main__')",
                           "import sklearn"),
}


def _run(code, cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return time.perf_counter() - t0, out.stderr


def _time(code, cache_dir):
    return _run(code, cache_dir)[0]


def _cold(code):
    # one first fit with an empty cache, under the compile profiler (an event
    # listener: no measurable cost); returns wall time and compile CPU
    with tempfile.TemporaryDirectory() as cache:
        t, err = _run(_PROFILER + code, cache)
    cpu = float(err.split("total compile CPU ")[1].split()[0])
    return t, cpu


def _anchor_name(code):
    line = code.splitlines()[0]
    return line.split(" import ")[1].split(" as ")[0] if " import " in line else line


def _first_fits(cases, repeats=2):
    # Cold and warm runs alternate, each the best of `repeats` (a single pair of
    # runs carried about +-0.7 s of noise in cold - warm on this machine).
    rows = []
    for name, (data, ours, anchor) in cases.items():
        code = data + ours
        colds, cpus, warms = [], [], []
        with tempfile.TemporaryDirectory() as cache:
            _time(code, cache)  # fills this warm cache
            for _ in range(repeats):
                t, cpu = _cold(code)
                colds.append(t)
                cpus.append(cpu)
                warms.append(_time(code, cache))
        cold, warm = min(colds), min(warms)
        with tempfile.TemporaryDirectory() as cache:
            sk = min(_time(data + anchor, cache) for _ in range(2))
        rows.append([name, f"{cold:.1f}", f"{warm:.1f}", f"{cold - warm:.1f}", f"{min(cpus):.2f}",
                     f"{sk:.1f}", _anchor_name(anchor)])
    return table(["estimator", "first fit, empty cache (s)", "warm cache (s)",
                  "cold - warm (s)", "compile CPU (s)", "nearest sklearn (s)",
                  "sklearn estimator"], rows)


def _imports(repeats=5):
    # (best of 5: one process start varies by +-0.5 s on this machine)
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        base = min(_time("import sklearn", cache) for _ in range(repeats))
        rows.append(["sklearn", f"{base:.2f}", "0.00"])
        for mod in ["skstruct", "skstruct.linear_model", "skstruct.cluster",
                    "skstruct.decomposition", "skstruct.mixture", "skstruct.spd",
                    "skstruct.density", "skstruct.datasets"]:
            t = min(_time(f"import sklearn, {mod}", cache) for _ in range(repeats))
            rows.append([mod, f"{t:.2f}", f"{t - base:.2f}"])
    return table(["import", "process time (s)", "over import sklearn (s)"], rows)


# Prepended to a case by --profile and to the cold runs: numba's compile events, timed in
# CPU seconds (robust to a loaded machine), each function's time without the compiles
# nested in it. The listener is installed when the case itself imports numba, so a case
# that never uses numba does not pay numba's import here.
_PROFILER = """
import atexit, collections, importlib.util, sys, time
_stack, _recs = [], []
def _install():
    import numba.core.event as _ev
    class _Rec(_ev.Listener):
        def on_start(self, event):
            _stack.append([time.thread_time(), 0.0])
        def on_end(self, event):
            t0, nested = _stack.pop()
            dt = time.thread_time() - t0
            if _stack:
                _stack[-1][1] += dt
            f = event.data["dispatcher"].py_func
            _recs.append((f.__module__.split(".")[-1] + "." + f.__qualname__,
                          str(event.data["args"]), dt - nested))
    _ev.register("numba:compile", _Rec())
class _OnNumbaImport:
    def find_spec(self, name, path, target=None):
        if name != "numba":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec("numba")
        run = spec.loader.exec_module
        def exec_module(module):
            run(module)
            _install()
        spec.loader.exec_module = exec_module
        return spec
sys.meta_path.insert(0, _OnNumbaImport())
def _report():
    agg = collections.defaultdict(lambda: [0.0, set()])
    for name, args, t in _recs:
        agg[name][0] += t
        agg[name][1].add(args)
    print(f"total compile CPU {sum(r[2] for r in _recs):.2f} s", file=sys.stderr)
    for name, (t, sigs) in sorted(agg.items(), key=lambda kv: -kv[1][0]):
        print(f"{t:6.2f} s  {len(sigs)} sig  {name}", file=sys.stderr)
atexit.register(_report)
"""


def profile(names):
    """Print the compile profile of a cold first fit of each named case."""
    for name in names:
        data, ours, _ = CASES[name]
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache)
            out = subprocess.run([sys.executable, "-c", _PROFILER + data + ours], env=env,
                                 check=True, capture_output=True, text=True)
        print(f"== {name}\n{out.stderr}")


def main(quick=False):
    cases = CASES
    if quick:
        cases = {k: CASES[k] for k in ("Lasso", "IncrementalGaussianMixture", "ModeClustering")}
    sections = [("First fit in a fresh process", _first_fits(cases)), ("Imports", _imports())]
    return write_results("cold_start", "Time to first result", sections, quick)


if __name__ == "__main__":
    args = sys.argv[1:]
    unknown = [a for a in args if a.startswith("-") and a not in ("--profile", "--quick", "--only")]
    names = [a for a in args if not a.startswith("-")]
    if unknown or any(n not in CASES for n in names):
        sys.exit(__doc__ + "\nunknown arguments: " + " ".join(unknown + [n for n in names
                                                                    if n not in CASES])
                 + "\ncases: " + ", ".join(CASES))
    if "--profile" in args:
        profile(names)
    elif "--only" in args:
        print(_first_fits({n: CASES[n] for n in names}))
    else:
        main(quick="--quick" in args)

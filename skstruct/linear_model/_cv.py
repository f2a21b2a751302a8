"""Cross-validation over a regularisation path: one base for every CV class of the family.

As scikit-learn's ``LinearModelCV``, a CV class is "a path function plus an
estimator factory". :class:`_PathCV` runs the folds (``check_cv``, ``groups``
routed to the splitter, ``sample_weight``, ``n_jobs`` over the folds), scores
each fold along the path, picks the alpha (and the other hyperparameters of
the family) with the lowest mean fold loss and refits the plain estimator
there. A subclass says:

- ``_hyper_grid()``: the points of the non-alpha grid, as dicts
  (``[{"l1_ratio": 0.5}, ...]``; ``[{}]`` when alpha is the only one); each
  key ``k`` of the chosen point is stored as ``k_``;
- ``_path_context(X, y, sw)``: whatever the grid and the fold paths share
  (computed once on all the data);
- ``_alpha_grid(ctx, hyper)``: the decreasing grid of alphas for one point;
- ``_fold_path(ctx, X, y, sw, alphas, hyper)``: the warm-started path on a
  training fold, in any form ``_fold_loss`` reads;
- ``_fold_loss(path, X, y, sw)``: loss of each alpha on the held-out fold,
  shape (n_alphas,), lower is better;
- ``_make_estimator(alpha, hyper)``: the unfitted estimator that is refitted;
- ``_check_data(X, y)``: validation of the training data.

:class:`_PenalizedCV` fills these in for least-squares regressors (weighted
mean squared error, ``coef_`` / ``intercept_`` predictions).
"""

from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, is_classifier
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ..utils._parallel import threaded_map
from ._base import _check_X_y, _grid_from, _solver_seed, make_design, penalized_path


class _PathCV(BaseEstimator):
    """Base of the CV classes: folds, grid, selection by mean fold loss, refit.

    Fitted attributes set here: ``alpha_``, one ``<name>_`` per non-alpha
    hyperparameter, ``alphas_`` (the grid: one row per non-alpha point when
    the grids differ), the fold losses under ``_loss_path_name``
    (``(n_alphas, n_folds)``, or ``(n_points, n_alphas, n_folds)``) and the
    ``_refit_attributes`` of the refitted estimator.
    """

    _loss_path_name = "mse_path_"
    _refit_attributes = ("coef_", "intercept_", "n_iter_")

    def _hyper_grid(self):
        return [{}]

    def _check_data(self, X, y):  # pragma: no cover - overridden
        raise NotImplementedError

    def _path_context(self, X, y, sw):  # pragma: no cover - overridden
        raise NotImplementedError

    def _alpha_grid(self, ctx, hyper):  # pragma: no cover - overridden
        raise NotImplementedError

    def _fold_path(self, ctx, X, y, sw, alphas, hyper):  # pragma: no cover - overridden
        raise NotImplementedError

    def _fold_loss(self, path, X, y, sw):  # pragma: no cover - overridden
        raise NotImplementedError

    def _make_estimator(self, alpha, hyper):  # pragma: no cover - overridden
        raise NotImplementedError

    def _one_fold(self, ctx, X, y, sw, train, test, alphas, hyper, label):
        sw_tr = None if sw is None else sw[train]
        sw_te = None if sw is None else sw[test]
        path = self._fold_path(ctx, X[train], y[train], sw_tr, alphas, hyper)
        loss = np.asarray(self._fold_loss(path, X[test], y[test], sw_te), dtype=np.float64)
        if self.verbose:
            b = int(np.argmin(loss))
            print(f"[{type(self).__name__}] {label}: {len(alphas)} alphas, best alpha "
                  f"{alphas[b]:.4e} (loss {loss[b]:.5g})", flush=True)
        return loss

    def fit(self, X, y, sample_weight=None, **params):
        """Choose the hyperparameters by cross-validation, then refit on all the data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : float or array-like of shape (n_samples,), default=None
            Weights of the training fits and of the held-out losses.
        **params : dict
            Routed to the splitter (``groups``); needs
            ``sklearn.set_config(enable_metadata_routing=True)``.

        Returns
        -------
        self
        """
        _raise_for_params(params, self, "fit")
        self._validate_params()
        X, y = self._check_data(X, y)
        sw = None if sample_weight is None else _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        cv = check_cv(self.cv, y, classifier=is_classifier(self))
        split_params = {}
        if _routing_enabled():
            split_params = process_routing(self, "fit", sample_weight=sample_weight,
                                           **params).splitter.split
        folds = list(cv.split(X, y, **split_params))
        hypers = self._hyper_grid()
        ctx = self._path_context(X, y, sw)
        grids = [np.asarray(self._alpha_grid(ctx, h), dtype=np.float64) for h in hypers]
        jobs = []
        for i, h in enumerate(hypers):
            tag = "".join(f", {k}={v:.4g}" for k, v in h.items())
            for k, (train, test) in enumerate(folds):
                jobs.append((ctx, X, y, sw, train, test, grids[i], h,
                             f"fold {k + 1}/{len(folds)}{tag}"))
        losses = threaded_map(self._one_fold, jobs, self.n_jobs)
        loss = np.array(losses).reshape(len(hypers), len(folds), -1).transpose(0, 2, 1)
        mean = loss.mean(axis=2)
        i, j = np.unravel_index(np.argmin(mean), mean.shape)
        self.alpha_ = float(grids[i][j])
        for k, v in hypers[i].items():
            setattr(self, k + "_", v)
        same = all(np.array_equal(g, grids[0]) for g in grids)
        self.alphas_ = grids[0] if same else np.array(grids)
        setattr(self, self._loss_path_name, loss[0] if len(hypers) == 1 else loss)
        est = self._make_estimator(self.alpha_, hypers[i])
        est.fit(X, y, sample_weight=sw)
        for name in self._refit_attributes:
            setattr(self, name, getattr(est, name))
        if self.verbose:
            tag = "".join(f", {k}={v:.4g}" for k, v in hypers[i].items())
            print(f"[{type(self).__name__}] refit at alpha={self.alpha_:.4e}{tag}", flush=True)
        return self

    def get_metadata_routing(self):
        """Metadata routing: ``sample_weight`` to ``fit``, ``groups`` to the splitter.

        Returns
        -------
        MetadataRouter
        """
        return (MetadataRouter(owner=self).add_self_request(self)
                .add(splitter=check_cv(self.cv),
                     method_mapping=MethodMapping().add(caller="fit", callee="split")))


class _PenalizedCV(RegressorMixin, _PathCV):
    """CV base of the penalised least-squares regressors.

    The grid is computed on all the data (from ``alpha_max``, where every
    coefficient is zero, unless ``alphas`` gives it); each training fold runs
    the warm-started path of ``_make_spec(alpha, hyper, n_features)`` (a
    penalty spec for :func:`~skstruct.linear_model._base.penalized_path`) and is
    scored by the (weighted) mean squared error on its held-out fold.
    Subclasses whose path is not a ``penalized_path`` override ``_fold_path``
    and return ``(coefs (p, n_alphas), intercepts (n_alphas,))``.
    """

    _refit_attributes = ("coef_", "intercept_", "n_iter_", "dual_gap_", "kkt_violation_")
    _parameter_constraints = {
        "eps": [Interval(Real, 0, None, closed="neither")],
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like", None],
        "fit_intercept": ["boolean"],
        "precompute": ["boolean", StrOptions({"auto"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "copy_X": ["boolean"],
        "cv": ["cv_object"],
        "verbose": ["verbose"],
        "n_jobs": [Integral, None],
        "positive": ["boolean"],
        "random_state": ["random_state"],
        "selection": [StrOptions({"cyclic", "random"})],
    }

    def _grid_l1_ratio(self, hyper):
        """l1 share of the penalty that sets ``alpha_max`` (1 for l1-like penalties)."""
        return 1.0

    def _make_spec(self, alpha, hyper, p):  # pragma: no cover - overridden
        raise NotImplementedError

    def _check_data(self, X, y):
        return _check_X_y(self, X, y)

    def _path_context(self, X, y, sw):
        full, _, _ = make_design(X, y, sw, self.fit_intercept, False)
        seed = _solver_seed(getattr(self, "selection", "cyclic"),
                            getattr(self, "random_state", None))
        return SimpleNamespace(design=full, seed=seed, n_features=X.shape[1])

    def _alpha_grid(self, ctx, hyper):
        return _grid_from(self.alphas, ctx.design, l1_ratio=self._grid_l1_ratio(hyper),
                          eps=self.eps, positive=getattr(self, "positive", False))

    def _fold_path(self, ctx, X, y, sw, alphas, hyper):
        d, X_off, y_off = make_design(X, y, sw, self.fit_intercept, self.precompute)
        p = ctx.n_features
        coefs, *_ = penalized_path(d, lambda a: self._make_spec(a, hyper, p), alphas,
                                   tol=self.tol, max_iter=self.max_iter, seed=ctx.seed,
                                   verbose=max(0, self.verbose - 1))
        return coefs, y_off - X_off @ coefs

    def _fold_loss(self, path, X, y, sw):
        coefs, intercepts = path
        pred = np.asarray(safe_sparse_dot(X, coefs)) + intercepts
        return np.average((y[:, None] - pred) ** 2, axis=0, weights=sw)

    def predict(self, X):
        """Predict with the refitted model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc"),
                          dtype=[np.float64, np.float32], reset=False)
        return np.asarray(safe_sparse_dot(X, self.coef_)).ravel() + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

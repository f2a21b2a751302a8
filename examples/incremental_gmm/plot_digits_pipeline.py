"""
Classifying digits with incremental mixtures in a Pipeline
==========================================================

:class:`~skstruct.mixture.IncrementalGaussianMixtureClassifier` keeps one
incremental Gaussian mixture per class and classifies by Bayes' rule. It sits
in a :class:`~sklearn.pipeline.Pipeline` behind a scaler and is tuned by
:class:`~sklearn.model_selection.GridSearchCV` like any classifier.
``init_scale`` sets how wide new components start, hence how many components
each class needs; the plot shows accuracy and model size against it. The
fitted model can then keep learning with ``partial_fit``.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skstruct.mixture import IncrementalGaussianMixtureClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0,
                                                    stratify=y)
pipe = make_pipeline(MinMaxScaler(), IncrementalGaussianMixtureClassifier())
scales = [0.3, 0.6, 1.2]
search = GridSearchCV(pipe, {"incrementalgaussianmixtureclassifier__init_scale": scales}, cv=3)
search.fit(X_train, y_train)
print("best:", search.best_params_, f"CV accuracy {search.best_score_:.3f}")
print(f"test accuracy {search.score(X_test, y_test):.3f}")

# %%
# Model size for each setting: components summed over the ten classes.
sizes = []
for s in scales:
    clf = make_pipeline(MinMaxScaler(), IncrementalGaussianMixtureClassifier(init_scale=s))
    clf.fit(X_train, y_train)
    sizes.append(sum(m.n_components_ for m in clf[-1].mixtures_))

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(scales, search.cv_results_["mean_test_score"], "o-", label="CV accuracy")
ax.set_xlabel("init_scale")
ax.set_ylabel("accuracy")
ax2 = ax.twinx()
ax2.plot(scales, sizes, "s--", color="C1", label="components (all classes)")
ax2.set_ylabel("components")
ax2.set_yscale("log")
fig.legend(loc="upper center", fontsize=8)
fig.tight_layout()
plt.show()

# %%
# Keep learning: a new batch of labelled data goes through partial_fit of the
# last step (the scaler stays as fitted).
model = search.best_estimator_
scaler, clf = model[0], model[-1]
before = np.mean(model.predict(X_test[200:]) == y_test[200:])
clf.partial_fit(scaler.transform(X_test[:200]), y_test[:200])
after = np.mean(model.predict(X_test[200:]) == y_test[200:])
print(f"accuracy on the last {len(y_test) - 200} test digits: {before:.3f} before, "
      f"{after:.3f} after partial_fit on the first 200")

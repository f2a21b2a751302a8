"""
Classifying corrupted digits: RobustPCA vs PCA in a tuned Pipeline
==================================================================

20% of the pixels of every digit image are replaced by salt-and-pepper noise
(0 or 16). A classifier after :class:`~skstruct.decomposition.RobustPCA`
sees each image projected robustly on a subspace learned by principal
component pursuit: the corrupted pixels neither shape the subspace nor drag
the projection, as they do with PCA. The features are standardised before the
classifier; ``GridSearchCV`` picks the number of components for each pipeline.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skstruct.decomposition import RobustPCA

X, y = load_digits(return_X_y=True)
rng = np.random.default_rng(0)
X_noisy = X.copy()
hit = rng.random(X.shape) < 0.2
X_noisy[hit] = rng.choice([0.0, 16.0], hit.sum())
X_train, X_test, y_train, y_test = train_test_split(X_noisy, y, train_size=600, random_state=0)

# %%
# Tune both pipelines the same way
grid = [10, 20]
searches = {}
for name, step in [("pca", PCA(random_state=0)), ("robustpca", RobustPCA(random_state=0))]:
    pipe = make_pipeline(step, StandardScaler(), LogisticRegression())
    searches[name] = GridSearchCV(pipe, {f"{name}__n_components": grid}, cv=3).fit(
        X_train, y_train)
    s = searches[name]
    print(f"{name:10s} best n_components={s.best_params_[f'{name}__n_components']}, "
          f"test accuracy={s.score(X_test, y_test):.3f}")

# %%
# What each model keeps of a corrupted test image
rpca = searches["robustpca"].best_estimator_[0]
pca = searches["pca"].best_estimator_[0]
images = X_test[:6]
rec_rpca = rpca.inverse_transform(rpca.transform(images))
rec_pca = pca.inverse_transform(pca.transform(images))
fig, axes = plt.subplots(3, 6, figsize=(9, 5))
for j in range(6):
    for i, (title, img) in enumerate([("corrupted", images[j]), ("PCA", rec_pca[j]),
                                      ("RobustPCA", rec_rpca[j])]):
        axes[i, j].imshow(img.reshape(8, 8), cmap="gray_r")
        axes[i, j].set_xticks([])
        axes[i, j].set_yticks([])
        if j == 0:
            axes[i, j].set_ylabel(title)
fig.tight_layout()
plt.show()

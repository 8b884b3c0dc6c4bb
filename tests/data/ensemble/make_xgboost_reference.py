#!/usr/bin/python3
# Reference models and numbers from XGBoost 1.7 (Debian's python3-xgboost)
# for the gradient-boosting tests, and the scikit-learn data sets they use
# (Debian's python3-sklearn: diabetes, digits and iris, bundled with
# scikit-learn; breast cancer is examples/data/breast_cancer_wisconsin.csv).
# Run from this folder:
#   /usr/bin/python3 make_xgboost_reference.py > xgboost_reference.txt
# It also writes xgb_<case>.json (XGBoost's save_model) and <dataset>.csv.
import json
import numpy as np
import sklearn
import sklearn.datasets
import xgboost as xgb
from reference_blocks import block, write_csv

print("# xgboost", xgb.__version__, "scikit-learn", sklearn.__version__)


# Small synthetic data: values rounded to one decimal (fewer distinct values
# than bins, so that both libraries cut at the same points), 10% missing in
# features 1 and 3.
rng = np.random.default_rng(20261202)
n, p = 400, 6
X = rng.normal(size=(n, p)).round(1)
for f in (1, 3):
    X[rng.random(n) < 0.1, f] = np.nan
Z = np.nan_to_num(X)
signal = Z[:, 0] + 2.0 * (Z[:, 2] > 0) - Z[:, 4] * Z[:, 5] + 0.5 * Z[:, 1]
noise = rng.normal(size=n)
y_reg = signal + 0.3 * noise
y_bin = (signal + 0.5 * noise > 0.8).astype(float)
y_cls = np.digitize(signal + 0.3 * noise, np.quantile(signal, [0.33, 0.66])).astype(float)
y_cnt = rng.poisson(np.exp(0.4 * signal)).astype(float)
weight = rng.uniform(0.5, 2.0, size=n)
n_train = 300
block("synthetic_X", X)

base = {"tree_method": "hist", "nthread": 1, "base_score": 0.5, "max_bin": 256, "seed": 0}
cases = [
    ("squared", y_reg, {"objective": "reg:squarederror", "max_depth": 3, "eta": 0.3}, 6, None),
    ("regularised", y_reg, {"objective": "reg:squarederror", "max_depth": 4, "eta": 0.5,
                            "reg_alpha": 1.0, "reg_lambda": 3.0, "gamma": 1.0,
                            "min_child_weight": 5.0, "max_delta_step": 0.4}, 5, None),
    ("weighted", y_reg, {"objective": "reg:squarederror", "max_depth": 3, "eta": 0.3}, 4, weight),
    ("logistic", y_bin, {"objective": "binary:logistic", "max_depth": 4, "eta": 0.3}, 8, None),
    ("softprob", y_cls, {"objective": "multi:softprob", "num_class": 3, "max_depth": 3,
                         "eta": 0.3}, 5, None),
    ("poisson", y_cnt, {"objective": "count:poisson", "max_depth": 3, "eta": 0.3}, 6, None),
    ("huber", y_reg, {"objective": "reg:pseudohubererror", "max_depth": 3, "eta": 0.3}, 5, None),
    # eta 1: XGBoost 1.7 leaves the refit leaves unshrunk, 2.x (and mlprim) shrink them.
    ("absolute", y_reg, {"objective": "reg:absoluteerror", "max_depth": 3, "eta": 1.0}, 5, None),
    ("monotone", y_reg, {"objective": "reg:squarederror", "max_depth": 4, "eta": 0.3,
                         "monotone_constraints": "(1,0,-1,0,0,0)"}, 6, None),
    ("lossguide", y_reg, {"objective": "reg:squarederror", "grow_policy": "lossguide",
                          "max_leaves": 7, "max_depth": 0, "eta": 0.3}, 5, None),
]
for name, y, params, rounds, w in cases:
    d = xgb.DMatrix(X[:n_train], label=y[:n_train],
                    weight=None if w is None else w[:n_train], missing=np.nan)
    booster = xgb.train({**base, **params}, d, rounds)
    booster.save_model("xgb_%s.json" % name)
    test = xgb.DMatrix(X, missing=np.nan)
    block(name + "_y", y)
    if w is not None:
        block(name + "_weight", w)
    block(name + "_margin", booster.predict(test, output_margin=True))
    block(name + "_predict", booster.predict(test))
    block(name + "_leaf", booster.predict(test, pred_leaf=True))
    block(name + "_contrib", booster.predict(test, pred_contribs=True))


# Categorical features (XGBoost's enable_categorical): column 0 with 8
# categories and missing values (partition splits), column 1 with 3 (one-hot
# splits, fewer than max_cat_to_onehot = 4), column 2 with 12, and two numeric.
Xc = np.stack([rng.integers(0, 8, n), rng.integers(0, 3, n), rng.integers(0, 12, n),
               rng.normal(size=n).round(1), rng.normal(size=n).round(1)], 1).astype(float)
Xc[rng.random(n) < 0.1, 0] = np.nan
effect0 = np.array([0, 2, -1, 3, 0.5, -2, 1, 0])
effect2 = rng.normal(size=12)
yc = (np.nan_to_num(effect0[np.nan_to_num(Xc[:, 0]).astype(int)] * ~np.isnan(Xc[:, 0]))
      + 1.5 * (Xc[:, 1] == 1) + effect2[Xc[:, 2].astype(int)] + Xc[:, 3]
      + 0.3 * rng.normal(size=n))
dc = xgb.DMatrix(Xc[:n_train], label=yc[:n_train], feature_types=["c", "c", "c", "q", "q"],
                 enable_categorical=True)
booster = xgb.train({**base, "objective": "reg:squarederror", "max_depth": 4, "eta": 0.3,
                     "max_cat_to_onehot": 4}, dc, 5)
booster.save_model("xgb_categorical.json")
test = xgb.DMatrix(Xc, feature_types=["c", "c", "c", "q", "q"], enable_categorical=True)
block("categorical_X", Xc)
block("categorical_y", yc)
block("categorical_margin", booster.predict(test, output_margin=True))
block("categorical_predict", booster.predict(test))
block("categorical_leaf", booster.predict(test, pred_leaf=True))
block("categorical_contrib", booster.predict(test, pred_contribs=True))


# scikit-learn's data sets: a fixed 75/25 split; XGBoost's test metric with
# the parameters the test trains with too.
def split(n_rows, seed):
    order = np.random.default_rng(seed).permutation(n_rows)
    test = np.zeros(n_rows)
    test[order[: n_rows // 4]] = 1
    return test


def breast_cancer():
    raw = np.loadtxt("../../../examples/data/breast_cancer_wisconsin.csv", delimiter=",",
                     skiprows=1)
    return raw[:, :-1], raw[:, -1]


sets = []
Xd, yd = sklearn.datasets.load_diabetes(return_X_y=True)
write_csv("diabetes.csv", Xd, yd, ("target", "progression"))
Xg, yg = sklearn.datasets.load_digits(return_X_y=True)
write_csv("digits.csv", Xg, yg, [str(k) for k in range(10)])
Xi, yi = sklearn.datasets.load_iris(return_X_y=True)
write_csv("iris.csv", Xi, yi, ("setosa", "versicolor", "virginica"))
Xb, yb = breast_cancer()
common = {"tree_method": "hist", "nthread": 1, "eta": 0.1, "max_depth": 4, "seed": 0}
datasets = [
    ("breast_cancer", Xb, yb, {"objective": "binary:logistic", "eval_metric": "auc"}, 60),
    ("diabetes", Xd, yd, {"objective": "reg:squarederror", "eval_metric": "rmse"}, 60),
    ("digits", Xg, yg, {"objective": "multi:softprob", "num_class": 10,
                        "eval_metric": "mlogloss"}, 40),
    ("iris", Xi, yi, {"objective": "multi:softprob", "num_class": 3,
                      "eval_metric": "mlogloss"}, 30),
]
for name, Xs, ys, params, rounds in datasets:
    test = split(len(ys), 7)
    tr, te = test == 0, test == 1
    booster = xgb.train({**common, **params}, xgb.DMatrix(Xs[tr], label=ys[tr]), rounds)
    result = booster.eval(xgb.DMatrix(Xs[te], label=ys[te]))
    value = float(result.split(":")[-1])
    block(name + "_test_rows", test)
    block(name + "_xgb_metric", [value])
    block(name + "_xgb_predict", booster.predict(xgb.DMatrix(Xs[te])))

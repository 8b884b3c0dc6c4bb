#!/usr/bin/python3
# scikit-learn's side of bench/ensemble/classic.cpp (Debian's python3-sklearn):
# the same rows (the C++ program writes them), the same models, medians of
# three fits (one for the 100-tree forests) and five predictions, peak memory
# per fit in a fresh process. Prints the rows of bench/README.md's table.
#   /usr/bin/python3 bench/ensemble/sklearn_classic.py build/bench/bench/bench_ensemble_classic
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def load(path):
    with open(path, "rb") as f:
        n_train, n_test, p = np.frombuffer(f.read(24), dtype=np.int64)
        data = np.frombuffer(f.read(), dtype=np.float32)
    at = 0

    def take(count, shape):
        nonlocal at
        out = data[at:at + count].reshape(shape)
        at += count
        return out

    X_train = take(n_train * p, (n_train, p))
    y_train = take(n_train, (n_train,))
    X_test = take(n_test * p, (n_test, p))
    y_test = take(n_test, (n_test,))
    return X_train, y_train, X_test, y_test


def model(case, threads):
    from sklearn.ensemble import AdaBoostClassifier, RandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier
    if case == "forest":
        return RandomForestClassifier(n_estimators=100, n_jobs=threads, random_state=0)
    if case == "adaboost":
        return AdaBoostClassifier(n_estimators=200, algorithm="SAMME", random_state=0)
    return DecisionTreeClassifier(random_state=0)


def one_case(path, case, threads, fits):
    """Runs in its own process: fit times, test accuracy, peak memory of the fit, predict times."""
    X_train, y_train, X_test, y_test = load(path)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(fits):
        m = model(case, threads)
        t = time.perf_counter()
        m.fit(X_train, y_train)
        times.append(time.perf_counter() - t)
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    acc = float((m.predict(X_test) == y_test).mean())
    predict = []
    if case == "forest":
        for _ in range(5):
            t = time.perf_counter()
            m.predict_proba(X_test)
            predict.append(time.perf_counter() - t)
    print(statistics.median(times), acc, peak, statistics.median(predict) if predict else 0.0)


if len(sys.argv) == 5:
    one_case(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    sys.exit(0)

import sklearn

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "data.bin")
    subprocess.run([sys.argv[1]], env=dict(os.environ, MLPRIM_BENCH_WRITE_DATA=path), check=True)
    print("# scikit-learn", sklearn.__version__)
    print("| case | threads | fit s | test accuracy | fit peak MiB | predict ms |")
    print("|---|---|---|---|---|---|")
    for case, threads, fits in (("forest", 1, 1), ("forest", 2, 1), ("adaboost", 1, 3), ("cart", 1, 3)):
        out = subprocess.run([sys.executable, __file__, path, case, str(threads), str(fits)],
                             capture_output=True, text=True, check=True).stdout.split()
        fit, acc, peak, predict = (float(v) for v in out)
        print("| %s | %d | %.2f | %.4f | %.0f | %.0f |" % (case, threads, fit, acc, peak, predict * 1e3))

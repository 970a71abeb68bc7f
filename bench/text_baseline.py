#!/usr/bin/env python3
"""Reference for the routing classifier: scikit-learn TF-IDF over word 1-2-grams + LinearSVC.

Trains on messages-train.csv and prints macro-F1 on messages-dev.csv (the shared data's own
reference, README: "TF-IDF over word 1-2-grams with a linear SVM ... reaches macro-F1 0.92").
The `text` column is pre-segmented (words separated by whitespace), so tokens are the
whitespace-separated pieces. Installs scikit-learn with pip if it is missing.

Usage: bench/text_baseline.py [DATA_DIR]   (default: ../shared/data beside the repository)
The last line is `macro-F1: 0.xxxx` for the headline configuration (min_df=2, as the README's
0.92); scikit-learn's default min_df=1 is printed above it.
"""
import csv
import os
import subprocess
import sys
import time

try:
    import sklearn  # noqa: F401
except ImportError:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "scikit-learn"])

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.svm import LinearSVC

here = os.path.dirname(os.path.abspath(__file__))
data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared", "data")


def load(name):
    with open(os.path.join(data, name), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["label"] for r in rows]


train_x, train_y = load("messages-train.csv")
dev_x, dev_y = load("messages-dev.csv")


def run(min_df):
    started = time.perf_counter()
    vec = TfidfVectorizer(token_pattern=r"(?u)\S+", ngram_range=(1, 2), sublinear_tf=True, min_df=min_df)
    model = LinearSVC().fit(vec.fit_transform(train_x), train_y)
    seconds = time.perf_counter() - started
    pred = model.predict(vec.transform(dev_x))
    return accuracy_score(dev_y, pred), f1_score(dev_y, pred, average="macro"), seconds, len(vec.vocabulary_)


import sklearn  # noqa: E402

print(f"scikit-learn {sklearn.__version__}: TfidfVectorizer(word 1-2-grams, sublinear_tf) + LinearSVC(C=1)")
for min_df in (1, 2):
    acc, f1, seconds, n = run(min_df)
    print(f"min_df={min_df}: features {n}, train {seconds:.1f} s, accuracy {acc:.4f}, macro-F1 {f1:.4f}")
print(f"macro-F1: {f1:.4f}")

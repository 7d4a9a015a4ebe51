"""benchmarks/devise_retrieval_dev.py: its dev folds hold out training classes only (never a validation stamp, the
reported queries), the same ones for a seed, a Fashion-MNIST pair each; ranks count strictly better images."""

from types import SimpleNamespace

import numpy as np


def fake_prep():
    """40 stamps (20 classes), 20 emoji (10 classes), 8 Fashion-MNIST images (coat, bag); every 5th stamp validates."""
    classes = [f"stamp{i}" for i in range(20)] + [f"emoji{i}" for i in range(10)] + ["coat", "bag"]
    sources, splits, item_class = [], [], []
    for i in range(40):
        sources.append("tuxpaint"), splits.append("valid" if i % 5 == 0 else "train"), item_class.append(i // 2)
    for i in range(20):
        sources.append("emoji"), splits.append("train"), item_class.append(20 + i // 2)
    for i in range(8):
        sources.append("fashion_mnist"), splits.append("train"), item_class.append(30 + i % 2)
    data = SimpleNamespace(sources=sources, splits=splits, unseen=[False] * len(sources))
    item = np.arange(len(sources))

    def rows(split, unseen=None, source=None):
        return np.array([i for i in item if splits[i] == split and (source is None or sources[i] == source)])

    return SimpleNamespace(data=data, item=item, item_class=np.array(item_class), classes=classes, rows=rows)


def test_folds_hold_out_training_classes_only(benchmarks):
    bench = benchmarks("devise_retrieval_dev").devise_retrieval_dev
    prep = fake_prep()
    keep, held = bench.fold_rows(prep, 1, share=0.25)
    assert {prep.classes.index("coat"), prep.classes.index("bag")} <= held  # fold 1's Fashion-MNIST pair
    stamp_classes = {c for c in held if prep.classes[c].startswith("stamp")}
    emoji_classes = {c for c in held if prep.classes[c].startswith("emoji")}
    assert len(stamp_classes) == 5 and len(emoji_classes) == 2  # 25% of 20 and of 10 training classes
    assert not np.isin(prep.item_class[keep], list(held)).any()
    assert set(keep) <= set(prep.rows("train")) and not set(keep) & set(prep.rows("valid"))
    assert bench.fold_rows(prep, 1, share=0.25)[1] == held  # seeded: the same fold twice
    assert bench.fold_rows(prep, 2, share=0.25)[1] != held


def test_ranks_count_strictly_better_images(benchmarks):
    bench = benchmarks("devise_retrieval_dev").devise_retrieval_dev
    scores = np.array([[0.1, 0.9, 0.5], [0.7, 0.7, 0.2]])
    assert bench.ranks(scores, np.array([2, 1])).tolist() == [1, 0]  # a tie is not better

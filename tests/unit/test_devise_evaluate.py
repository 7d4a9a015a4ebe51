"""hit@k on constructed cases with known answers; ConSE averaging; the markdown table."""

import numpy as np

from wordbridge.devise.evaluation.evaluate import hit_at_k, markdown
from wordbridge.devise.methods import conse_vectors


def test_hit_at_k_known_ranks():
    scores = np.array([
        [0.9, 0.1, 0.0, 0.2],  # truth 0 is best: rank 0
        [0.9, 0.8, 0.1, 0.0],  # truth 1 is second: rank 1
        [0.4, 0.3, 0.2, 0.1],  # truth 3 is last: rank 3
        [0.5, 0.5, 0.0, 0.0],  # truth 1 ties with 0: ties do not count against (rank 0)
    ])
    truth = np.array([0, 1, 3, 1])
    hits = hit_at_k(scores, truth, (1, 2, 3, 4))
    assert hits == {1: 0.5, 2: 0.75, 3: 0.75, 4: 1.0}
    assert np.isnan(hit_at_k(np.zeros((0, 3)), np.zeros(0, int), (1,))[1])
    # a softmax scores classes it never saw -inf: such a truth is never a hit, even at k = all labels
    unseen = np.array([[0.0, -np.inf, -np.inf]])
    assert hit_at_k(unseen, np.array([2]), (1, 3, 5)) == {1: 0.0, 3: 0.0, 5: 0.0}


def test_conse_weights_top_t_by_softmax():
    vectors = np.eye(3, dtype=np.float32)
    vectors = np.vstack([vectors, np.zeros((1, 3), np.float32)])  # class 3 has no vector: ignored
    logits = np.array([[np.log(3.0), np.log(1.0), -50.0, 100.0]])
    top1 = conse_vectors(logits, vectors, top=1)
    np.testing.assert_allclose(top1, [[1, 0, 0]], atol=1e-6)
    top2 = conse_vectors(logits, vectors, top=2)  # 3/4 class 0 + 1/4 class 1, normalised
    expected = np.array([0.75, 0.25, 0.0]) / np.linalg.norm([0.75, 0.25])
    np.testing.assert_allclose(top2[0], expected, atol=1e-5)


def test_markdown_table():
    rows = [{"test set": "a", "method": "DeViSE", "images": 3, "candidates": 10, "hit@1": 1 / 3, "hit@5": 1.0}]
    table = markdown(rows, (1, 5))
    assert table.splitlines()[0] == "| test set | images | labels | method | hit@1 | hit@5 |"
    assert "| a | 3 | 10 | DeViSE | 33.3% | 100.0% |" in table

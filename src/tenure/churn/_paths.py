"""Path attributions of a LightGBM model: each split's change in the tree's output, credited
to the feature it splits on.

Saabas (2014), "Interpreting random forests" (the tree-interpreter decomposition): a row
walks each tree from the root to its leaf, and every split on the way moves the tree's output
from the value of the node to the value of the child the row goes to. Crediting that move,
``value(child) - value(node)``, to the split's feature decomposes each tree's output exactly
into the value of its root (the bias) plus one amount per feature, so that the bias plus the
contributions is the model's raw margin.

The value of a node is the tree's expected output over the training rows that reached it
(the leaf values weighted by their counts), the same expectation that LightGBM's TreeSHAP
starts from: both methods share the bias and differ only in how they share out the rest.
LightGBM's own ``internal_value`` of a node (the Newton step it would take there) is stored
to six significant digits only, which would make every contribution as coarse; on the
simulated business it also agrees slightly less often with tree SHAP on the first reason.

The paths are read once from the model's dump: per leaf of every tree, the features its
path splits on and the summed change for each. LightGBM itself says which leaf each row
reaches (``pred_leaf``), so categorical splits and missing values follow the model exactly;
the compiled loops below (Numba, cached on disk after the first use on a machine) only add
up the paths of those leaves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numba
import numpy as np

__all__ = ["TreePaths"]

# Rows explained at a time: their leaves (rows x trees) or contributions (rows x features)
# are held at once.
CHUNK = 200_000

# Rows a compiled task handles with one buffer of per-feature sums.
BLOCK = 1024


@dataclass(frozen=True)
class TreePaths:
    """The root-to-leaf paths of every tree, flattened.

    Leaf ``j`` of tree ``t`` is path ``tree_start[t] + j``, with output ``leaf_value[p]``;
    its steps are ``path_start[p]:path_start[p + 1]`` of ``feature`` (the index of the
    feature split on) and ``change`` (the summed change in the tree's output at splits on
    that feature). ``bias`` is the sum of the trees' root values.
    """

    tree_start: np.ndarray
    leaf_value: np.ndarray
    path_start: np.ndarray
    feature: np.ndarray
    change: np.ndarray
    bias: float
    features: int

    @classmethod
    def from_booster(cls, booster, num_iteration: int) -> TreePaths:
        dump = booster.dump_model(num_iteration=num_iteration)
        tree_start, leaf_value, path_start, feature, change = [0], [], [0], [], []
        bias = 0.0
        for tree in dump["tree_info"]:
            leaves, root = _leaf_paths(tree["tree_structure"])
            bias += root
            tree_start.append(tree_start[-1] + len(leaves))
            for value, steps in leaves:
                leaf_value.append(value)
                feature.extend(steps)
                change.extend(steps.values())
                path_start.append(len(feature))
        return cls(np.asarray(tree_start, np.int64), np.asarray(leaf_value, np.float64),
                   np.asarray(path_start, np.int64), np.asarray(feature, np.int32),
                   np.asarray(change, np.float64), bias, dump["max_feature_idx"] + 1)

    def contributions(self, leaves: np.ndarray, threads: int = 0) -> np.ndarray:
        """Each feature's contribution per row (rows x features), from ``leaves``, the leaf
        each row reaches in each tree (LightGBM's ``pred_leaf``), on ``threads`` threads
        (0: all)."""
        with _threads(threads):
            return _contributions(np.ascontiguousarray(leaves), self.tree_start,
                                  self.path_start, self.feature, self.change, self.features)

    def top(self, leaves: np.ndarray, k: int, allowed: np.ndarray | None = None,
            threads: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row, the ``k`` features with the largest positive contributions among those
        ``allowed`` (rows x features; None: all), strongest first (ties to the earlier
        feature): their indices and amounts (-1 and 0 where fewer than ``k`` are positive),
        each rows x k; and the raw margin, the leaf values summed as LightGBM sums them."""
        if allowed is None:
            allowed = np.ones((len(leaves), self.features), dtype=np.bool_)
        with _threads(threads):
            return _top(np.ascontiguousarray(leaves), self.tree_start, self.leaf_value,
                        self.path_start, self.feature, self.change, self.features, k,
                        np.ascontiguousarray(allowed, dtype=np.bool_))


@contextmanager
def _threads(threads: int) -> Iterator[None]:
    """Numba's threads for one call (the setting belongs to the calling thread): at most
    ``threads``, or as it stands when 0."""
    if threads <= 0:
        yield
        return
    previous = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def _leaf_paths(root: dict) -> tuple[list[tuple[float, dict[int, float]]], float]:
    """Per leaf (in leaf-index order), its value and the summed change in output per feature
    on its path; and the root's value."""
    if "leaf_value" in root:  # a tree of one leaf: all bias
        return [(root["leaf_value"], {})], root["leaf_value"]
    # Nodes in pre-order, so that walking the list backwards meets children before parents.
    order, stack = [], [root]
    while stack:
        node = stack.pop()
        order.append(node)
        if "split_feature" in node:
            stack.extend((node["right_child"], node["left_child"]))
    count, total = {}, {}
    for node in reversed(order):
        if "leaf_value" in node:
            count[id(node)] = node["leaf_count"]
            total[id(node)] = node["leaf_count"] * node["leaf_value"]
        else:
            children = (node["left_child"], node["right_child"])
            count[id(node)] = sum(count[id(c)] for c in children)
            total[id(node)] = sum(total[id(c)] for c in children)

    def value(node: dict) -> float:
        if "leaf_value" in node:
            return node["leaf_value"]
        # A node no training row reached (possible only in odd models) keeps its own value.
        return total[id(node)] / count[id(node)] if count[id(node)] else node["internal_value"]

    paths: dict[int, tuple[float, dict[int, float]]] = {}
    stack = [(root, {})]
    while stack:
        node, steps = stack.pop()
        if "leaf_value" in node:
            paths[node["leaf_index"]] = (node["leaf_value"], steps)
            continue
        here, split = value(node), node["split_feature"]
        for child in (node["left_child"], node["right_child"]):
            child_steps = dict(steps)
            child_steps[split] = child_steps.get(split, 0.0) + value(child) - here
            stack.append((child, child_steps))
    return [paths[j] for j in range(len(paths))], value(root)


@numba.njit(cache=True, nogil=True)
def _add_paths(leaves, i, tree_start, path_start, feature, change, sums):
    for t in range(leaves.shape[1]):
        path = tree_start[t] + leaves[i, t]
        for step in range(path_start[path], path_start[path + 1]):
            sums[feature[step]] += change[step]


@numba.njit(cache=True, parallel=True)
def _contributions(leaves, tree_start, path_start, feature, change, features):
    out = np.zeros((leaves.shape[0], features))
    for i in numba.prange(leaves.shape[0]):
        _add_paths(leaves, i, tree_start, path_start, feature, change, out[i])
    return out


@numba.njit(cache=True, parallel=True)
def _top(leaves, tree_start, leaf_value, path_start, feature, change, features, k, allowed):
    rows = leaves.shape[0]
    which = np.full((rows, k), -1, np.int32)
    amount = np.zeros((rows, k))
    margin = np.zeros(rows)
    for block in numba.prange((rows + BLOCK - 1) // BLOCK):
        # One buffer per block of rows: the full rows x features matrix is never made.
        sums = np.empty(features)
        for i in range(block * BLOCK, min(rows, (block + 1) * BLOCK)):
            sums[:] = 0.0
            _add_paths(leaves, i, tree_start, path_start, feature, change, sums)
            for t in range(leaves.shape[1]):
                margin[i] += leaf_value[tree_start[t] + leaves[i, t]]
            for rank in range(k):
                best, most = -1, 0.0
                for f in range(features):
                    if sums[f] > most and allowed[i, f]:
                        best, most = f, sums[f]
                if best < 0:
                    break
                which[i, rank], amount[i, rank] = best, most
                sums[best] = -np.inf
    return which, amount, margin

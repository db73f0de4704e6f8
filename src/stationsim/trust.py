"""Trust between states: an alignment baseline plus sparse learned deviations.

Trust of state *i* in state *j* is

    trust(i, j) = clip(baseline(i, j) + deviation(i, j) + reputation(j), 0, 1)

* ``baseline`` comes from alignment distance (Wu: ideological distance limits
  mutual confidence; essay 002: compatibility with the leader's policies),
  ``trust_base_max - trust_base_slope * distance``, unless the scenario
  overrides the pair.  It is computed on demand, never stored as an n x n
  matrix.
* ``deviation`` is what *i* learned about *j* by observing it (co-members and
  hosts only), held sparsely: sorted int64 pair keys and their values.
* ``reputation`` is a per-state offset everyone sees: the UN channel spreads a
  default to every state (seed 004, institutional density).

Memory is O(pairs that interacted + n), so 10,000 states cost no n^2 matrix.
Self-trust is 1.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class SparseMap:
    """A sorted int64 -> float64 map with vectorised get, set and decay."""

    def __init__(self) -> None:
        self.keys: IntArray = np.empty(0, dtype=np.int64)
        self.vals: FloatArray = np.empty(0, dtype=np.float64)

    def __len__(self) -> int:
        return int(self.keys.size)

    def get(
        self, keys: IntArray, default: float | FloatArray = 0.0
    ) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        """Values at ``keys`` (``default`` where absent), and a found mask."""
        keys = np.asarray(keys, dtype=np.int64)
        if self.keys.size == 0:
            out = np.broadcast_to(np.asarray(default, dtype=np.float64), keys.shape).copy()
            return out, np.zeros(keys.shape, dtype=bool)
        pos = np.searchsorted(self.keys, keys)
        pos_c = np.minimum(pos, self.keys.size - 1)
        found = self.keys[pos_c] == keys
        out = np.where(found, self.vals[pos_c], default).astype(np.float64)
        return out, found

    def set(self, keys: IntArray, vals: FloatArray) -> None:
        """Set ``keys`` to ``vals`` (keys must be unique)."""
        keys = np.asarray(keys, dtype=np.int64)
        vals = np.asarray(vals, dtype=np.float64)
        if keys.size == 0:
            return
        order = np.argsort(keys, kind="stable")
        keys, vals = keys[order], vals[order]
        pos = np.searchsorted(self.keys, keys)
        if self.keys.size:
            pos_c = np.minimum(pos, self.keys.size - 1)
            found = self.keys[pos_c] == keys
            self.vals[pos_c[found]] = vals[found]
        else:
            found = np.zeros(keys.size, dtype=bool)
        new = ~found
        if new.any():
            self.keys = np.insert(self.keys, pos[new], keys[new])
            self.vals = np.insert(self.vals, pos[new], vals[new])

    def scale(self, factor: float, prune: float = 1e-9) -> None:
        """Multiply every value by ``factor``; drop entries that became negligible."""
        if self.keys.size == 0:
            return
        self.vals *= factor
        keep = np.abs(self.vals) > prune
        if not keep.all():
            self.keys, self.vals = self.keys[keep], self.vals[keep]


class Trust:
    """Trust of every state in every other, stored as baseline + sparse deviations.

    Parameters
    ----------
    alignment : (n, d) array
        Alignment vectors in [-1, 1]; the baseline reads it live, so an
        alignment event changes baseline trust at once.
    params : dict
        The model's parameters (``trust_base_max``, ``trust_base_slope``).
    """

    def __init__(self, alignment: FloatArray, params: dict[str, float | int | bool | str]) -> None:
        self.alignment = alignment
        self.p = params
        self.n = int(alignment.shape[0])
        self.overrides = SparseMap()
        self.deviation = SparseMap()
        self.reputation: FloatArray = np.zeros(self.n)

    def _keys(self, i: IntArray, j: IntArray) -> IntArray:
        return np.asarray(i, dtype=np.int64) * self.n + np.asarray(j, dtype=np.int64)

    def distance(self, i: IntArray, j: IntArray) -> FloatArray:
        """Normalised alignment distance in [0, 1] between states ``i`` and ``j``."""
        a = self.alignment
        diff = a[np.asarray(i)] - a[np.asarray(j)]
        d = a.shape[1]
        return np.sqrt((diff * diff).sum(axis=-1)) / (2.0 * np.sqrt(d))

    def baseline(self, i: IntArray, j: IntArray) -> FloatArray:
        """Alignment-based trust of ``i`` in ``j`` (or the scenario's pair override)."""
        i = np.asarray(i, dtype=np.int64)
        j = np.asarray(j, dtype=np.int64)
        slope = float(self.p["trust_base_slope"])
        base = float(self.p["trust_base_max"]) - slope * self.distance(i, j)
        base = np.clip(base, 0.0, 1.0)
        if len(self.overrides):
            base, _ = self.overrides.get(self._keys(i, j), default=base)
        return base

    def get(self, i: IntArray, j: IntArray) -> FloatArray:
        """Trust of states ``i`` in states ``j`` (broadcast, elementwise)."""
        i, j = np.broadcast_arrays(np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64))
        dev, _ = self.deviation.get(self._keys(i, j))
        t = np.clip(self.baseline(i, j) + dev + self.reputation[j], 0.0, 1.0)
        return np.where(i == j, 1.0, t)

    def set(self, i: IntArray, j: IntArray, value: FloatArray) -> None:
        """Set trust of ``i`` in ``j`` to ``value`` (clipped); pairs must be unique."""
        i, j, value = np.broadcast_arrays(np.asarray(i, dtype=np.int64),
                                          np.asarray(j, dtype=np.int64),
                                          np.asarray(value, dtype=np.float64))
        mask = i != j
        i, j, value = i[mask], j[mask], np.clip(value[mask], 0.0, 1.0)
        dev = value - self.baseline(i, j) - self.reputation[j]
        self.deviation.set(self._keys(i, j), dev)

    def override(self, i: int, j: int, value: float) -> None:
        """Replace the baseline of the pair (i, j) (a scenario's ``[[trust]]`` entry)."""
        self.overrides.set(self._keys(np.array([i]), np.array([j])), np.array([value]))

    def drift(self, rate: float) -> None:
        """Move learned deviations and reputations a share ``rate`` back toward baseline."""
        if rate > 0:
            self.deviation.scale(1.0 - rate)
            self.reputation *= 1.0 - rate

    def mean_among(self, idx: IntArray) -> float:
        """Mean trust over ordered pairs of distinct states in ``idx`` (0 if fewer than 2)."""
        idx = np.asarray(idx, dtype=np.int64)
        if idx.size < 2:
            return 0.0
        ii, jj = np.meshgrid(idx, idx, indexing="ij")
        off = ii != jj
        return float(self.get(ii[off], jj[off]).mean())

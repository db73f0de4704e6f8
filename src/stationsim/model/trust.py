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

Speed (issue 6; benchmarks/README.md).  The phases read two kinds of trust
in bulk: every state's trust in a host and a host's trust in every state
(evaluation of all states at once), and trust among a station's
participants (learning).  For the first, the deviations of *watched* states
(the hosts, :meth:`Trust.watch`) are mirrored in dense rows and columns,
O(n) per host, kept equal to the sparse map on every write and drift.  For
the second, :meth:`Trust.block` reads all ordered pairs of a participant set
with one sorted lookup and writes them back (:meth:`TrustBlock.commit`)
through the positions it found.  ``version`` counts changes, so callers can
cache what they derive from trust within a step.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: learned deviations at or below this magnitude are dropped by the drift
PRUNE = 1e-9


def clip01(x: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """``np.clip(x, 0, 1)`` (same values) without its Python-level overhead."""
    return np.minimum(np.maximum(x, 0.0, out=out), 1.0, out=out)


def fmean(x: FloatArray) -> float:
    """``float(x.mean())`` of a non-empty float64 array, to the bit, without ``np.mean``'s
    Python-level overhead: numpy's mean is the same ``add.reduce`` divided by the count."""
    return float(np.add.reduce(x)) / x.size


class SparseMap:
    """A sorted int64 -> float64 map with vectorised get, set and decay."""

    def __init__(self) -> None:
        self.keys: IntArray = np.empty(0, dtype=np.int64)
        self.vals: FloatArray = np.empty(0, dtype=np.float64)

    def __len__(self) -> int:
        return int(self.keys.size)

    def locate(self, keys: IntArray) -> tuple[IntArray, BoolArray]:
        """Insertion positions of ``keys`` in the map, and whether each is present."""
        pos = self.keys.searchsorted(keys)
        if self.keys.size == 0:
            return pos, np.zeros(keys.shape, dtype=bool)
        found = self.keys[np.minimum(pos, self.keys.size - 1)] == keys
        return pos, found

    def get(
        self, keys: IntArray, default: float | FloatArray = 0.0
    ) -> tuple[FloatArray, BoolArray]:
        """Values at ``keys`` (``default`` where absent), and a found mask."""
        keys = np.asarray(keys, dtype=np.int64)
        if self.keys.size == 0:
            out = np.broadcast_to(np.asarray(default, dtype=np.float64), keys.shape).copy()
            return out, np.zeros(keys.shape, dtype=bool)
        pos = self.keys.searchsorted(keys)
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
        pos, found = self.locate(keys)
        self.set_located(keys, vals, pos, found)

    def set_located(self, keys: IntArray, vals: FloatArray, pos: IntArray,
                    found: BoolArray) -> None:
        """Set sorted unique ``keys`` whose ``pos, found = locate(keys)`` (map unchanged since)."""
        if found.all():
            self.vals[pos] = vals
            return
        self.vals[pos[found]] = vals[found]
        new = ~found
        # merge the new entries in (np.insert, for both arrays at once)
        at = pos[new]
        dest = at + np.arange(at.size)
        old = np.ones(self.keys.size + at.size, dtype=bool)
        old[dest] = False
        merged_keys = np.empty(old.size, dtype=np.int64)
        merged_vals = np.empty(old.size)
        merged_keys[dest] = keys[new]
        merged_vals[dest] = vals[new]
        merged_keys[old] = self.keys
        merged_vals[old] = self.vals
        self.keys, self.vals = merged_keys, merged_vals

    def scale(self, factor: float, prune: float = PRUNE) -> IntArray | None:
        """Multiply every value by ``factor``; drop entries that became negligible.

        Returns the dropped keys, or None if none was dropped.
        """
        if self.keys.size == 0:
            return None
        self.vals *= factor
        keep = np.abs(self.vals) > prune
        if keep.all():
            return None
        dropped = self.keys[~keep]
        self.keys, self.vals = self.keys[keep], self.vals[keep]
        return dropped


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

    def __init__(self, alignment: FloatArray,
                 params: Mapping[str, float | int | bool | str]) -> None:
        self.alignment = alignment
        self.p = params
        self.n = int(alignment.shape[0])
        self.overrides = SparseMap()
        self.deviation = SparseMap()
        self.reputation: FloatArray = np.zeros(self.n)
        #: incremented by every change of trust (set, override, reputation, drift)
        self.version = 0
        #: incremented by every change of the baseline (override)
        self.base_version = 0
        #: dense mirrors of the deviations of watched states: w -> (row, column)
        self._mirror: dict[int, tuple[FloatArray, FloatArray]] = {}
        self._watched: BoolArray = np.zeros(self.n, dtype=bool)

    def _keys(self, i: IntArray, j: IntArray) -> IntArray:
        return np.asarray(i, dtype=np.int64) * self.n + np.asarray(j, dtype=np.int64)

    def distance(self, i: IntArray | int, j: IntArray | int) -> FloatArray:
        """Normalised alignment distance in [0, 1] between states ``i`` and ``j``."""
        a = self.alignment
        diff = a[np.asarray(i)] - a[np.asarray(j)]
        d = a.shape[1]
        return np.sqrt((diff * diff).sum(axis=-1)) / (2.0 * np.sqrt(d))

    def baseline(self, i: IntArray | int, j: IntArray | int) -> FloatArray:
        """Alignment-based trust of ``i`` in ``j`` (or the scenario's pair override)."""
        i = np.asarray(i, dtype=np.int64)
        j = np.asarray(j, dtype=np.int64)
        slope = float(self.p["trust_base_slope"])
        base = float(self.p["trust_base_max"]) - slope * self.distance(i, j)
        base = clip01(base)
        if len(self.overrides):
            base, _ = self.overrides.get(self._keys(i, j), default=base)
        return base

    def get(self, i: IntArray, j: IntArray) -> FloatArray:
        """Trust of states ``i`` in states ``j`` (broadcast, elementwise)."""
        i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
        if i.shape != j.shape:
            i, j = np.broadcast_arrays(i, j)
        dev, _ = self.deviation.get(i * self.n + j)
        t = self.baseline(i, j) + dev
        t += self.reputation[j]
        clip01(t, out=t)
        return np.where(i == j, 1.0, t)

    def set(self, i: IntArray, j: IntArray, value: FloatArray) -> None:
        """Set trust of ``i`` in ``j`` to ``value`` (clipped); pairs must be unique."""
        i, j, value = np.broadcast_arrays(np.asarray(i, dtype=np.int64),
                                          np.asarray(j, dtype=np.int64),
                                          np.asarray(value, dtype=np.float64))
        mask = i != j
        i, j, value = i[mask], j[mask], clip01(value[mask])
        dev = value - self.baseline(i, j) - self.reputation[j]
        self.deviation.set(self._keys(i, j), dev)
        self._mirror_pairs(i, j, dev)
        self.version += 1

    def override(self, i: int, j: int, value: float) -> None:
        """Replace the baseline of the pair (i, j) (a scenario's ``[[trust]]`` entry)."""
        self.overrides.set(self._keys(np.array([i]), np.array([j])), np.array([value]))
        self.version += 1
        self.base_version += 1

    def lower_reputation(self, idx: IntArray, amount: float) -> None:
        """Lower the reputation of states ``idx`` with every state by ``amount`` (UN channel)."""
        self.reputation[idx] -= amount
        self.version += 1

    def drift(self, rate: float) -> None:
        """Move learned deviations and reputations a share ``rate`` back toward baseline."""
        if rate > 0:
            factor = 1.0 - rate
            dropped = self.deviation.scale(factor)
            for row, col in self._mirror.values():
                row *= factor
                col *= factor
            if dropped is not None and self._mirror:
                self._mirror_pairs(dropped // self.n, dropped % self.n, np.zeros(dropped.size))
            self.reputation *= factor
            self.version += 1

    def mean_among(self, idx: IntArray) -> float:
        """Mean trust over ordered pairs of distinct states in ``idx`` (0 if fewer than 2)."""
        idx = np.asarray(idx, dtype=np.int64)
        if idx.size < 2:
            return 0.0
        oi, ji = offdiag(int(idx.size))  # the off-diagonal cells of the meshgrid, row-major
        return fmean(self.get(idx[oi], idx[ji]))

    # ------------------------------------------------------------ bulk reads

    def watch(self, idx: IntArray) -> None:
        """Mirror the deviations of states ``idx`` (hosts) densely for :meth:`row` / :meth:`col`."""
        for w in np.unique(np.asarray(idx, dtype=np.int64)).tolist():
            if w in self._mirror:
                continue
            row, col = np.zeros(self.n), np.zeros(self.n)
            keys, vals = self.deviation.keys, self.deviation.vals
            i, j = keys // self.n, keys % self.n
            row[j[i == w]] = vals[i == w]
            col[i[j == w]] = vals[j == w]
            self._mirror[w] = (row, col)
            self._watched[w] = True

    def _mirror_pairs(self, i: IntArray, j: IntArray, dev: FloatArray) -> None:
        """Write deviations of pairs ``(i, j)`` into the mirrors of watched states."""
        if not self._mirror:
            return
        for w, (row, col) in self._mirror.items():
            sel = i == w
            if sel.any():
                row[j[sel]] = dev[sel]
            sel = j == w
            if sel.any():
                col[i[sel]] = dev[sel]

    def row(self, w: int, base: FloatArray) -> FloatArray:
        """Trust of watched state ``w`` in every state, given its baseline row ``base``."""
        t = base + self._mirror[w][0]
        t += self.reputation
        clip01(t, out=t)
        t[w] = 1.0
        return t

    def col(self, w: int, base: FloatArray) -> FloatArray:
        """Trust of every state in watched state ``w``, given its baseline column ``base``."""
        t = base + self._mirror[w][1]
        t += self.reputation[w]
        clip01(t, out=t)
        t[w] = 1.0
        return t

    def block(self, parts: IntArray | PairSet) -> TrustBlock:
        """All ordered pairs of distinct states among ``parts`` (sorted, unique), read at once."""
        return TrustBlock(self, parts if isinstance(parts, PairSet) else PairSet(self, parts))


_OFFDIAG: dict[int, tuple[IntArray, IntArray]] = {}


def offdiag(k: int) -> tuple[IntArray, IntArray]:
    """Row and column positions of the off-diagonal cells of a k x k matrix, row-major."""
    got = _OFFDIAG.get(k)
    if got is None:
        oi, ji = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
        off = oi != ji
        got = (oi[off].astype(np.int64), ji[off].astype(np.int64))
        _OFFDIAG[k] = got
    return got


class PairSet:
    """All ordered pairs of distinct states among ``parts`` and their baseline trust.

    ``parts`` must be sorted and unique, so the pair keys ``o * n + j`` (row
    major, ``o != j``) are sorted.  It depends on attributes and parameters
    only, so a caller may keep it while those and ``parts`` are unchanged.
    """

    def __init__(self, trust: Trust, parts: IntArray) -> None:
        self.parts = parts
        self.k = k = int(parts.size)
        self.oi, self.ji = offdiag(k)
        self.o = o = parts[self.oi]
        self.j = j = parts[self.ji]
        self.keys = o * trust.n + j
        self.base = trust.baseline(o, j)


class TrustBlock:
    """Trust among a set of states, read with one sorted lookup and written back in place.

    :meth:`commit` writes through the positions found at reading time.  The
    arithmetic is that of :meth:`Trust.get` and :meth:`Trust.set`, so
    results are identical.
    """

    def __init__(self, trust: Trust, pairs: PairSet) -> None:
        self.trust = trust
        self.pairs = pairs
        self.parts = pairs.parts
        self.k = pairs.k
        self.oi, self.ji, self.o, self.j = pairs.oi, pairs.ji, pairs.o, pairs.j
        self.keys, self.base = pairs.keys, pairs.base
        dmap = trust.deviation
        self.pos, self.found = dmap.locate(self.keys)
        self._version = trust.version
        if dmap.keys.size:
            dev = np.where(self.found, dmap.vals[np.minimum(self.pos, dmap.keys.size - 1)], 0.0)
        else:
            dev = np.zeros(self.keys.size)
        self.dev: FloatArray = dev
        self.current: FloatArray = self.now()

    def now(self) -> FloatArray:
        """Trust of each pair from the block's deviations and the reputations now."""
        t = self.base + self.dev
        t += self.trust.reputation[self.j]
        return clip01(t, out=t)

    def commit(self, value: FloatArray) -> None:
        """Set the pairs' trust to ``value`` (clipped), as :meth:`Trust.set` does."""
        tr = self.trust
        if tr.version != self._version:
            raise RuntimeError("trust changed since the block was read")
        value = clip01(value)
        self.dev = value - self.base - tr.reputation[self.j]
        tr.deviation.set_located(self.keys, self.dev, self.pos, self.found)
        k1 = self.k - 1
        for r in tr._watched[self.parts].nonzero()[0].tolist():  # rows and columns of hosts
            row, col = tr._mirror[int(self.parts[r])]
            row[self.j[r * k1:(r + 1) * k1]] = self.dev[r * k1:(r + 1) * k1]
            sel = self.ji == r
            col[self.o[sel]] = self.dev[sel]
        tr.version += 1
        self._version = tr.version

    def drifted(self, rate: float) -> None:
        """Apply the drift :meth:`Trust.drift` applied to the map to the block's deviations.

        ``current`` becomes the pairs' trust after the drift.
        """
        if rate > 0:
            dev = self.dev * (1.0 - rate)
            dev[np.abs(dev) <= PRUNE] = 0.0
            self.dev = dev
        self.current = self.now()

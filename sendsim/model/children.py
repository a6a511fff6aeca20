"""Children and young people as a struct of arrays.

One slot per child. Slots of children who leave (moving away, turning 26) are marked inactive
and reclaimed once a year by :meth:`Children.compact`, which keeps the order of the others. A
child's ``uid`` never changes and is never reused: it combines the home council's index with a
per-council serial number, so a child's random draws (keyed by uid) do not depend on how many
children other councils have.
"""

from __future__ import annotations

import numpy as np

NEVER = np.iinfo(np.int16).max  # an event month that does not come

#: Field name → (dtype, value for a new slot); the mechanisms declare their own fields.
FieldTable = dict[str, tuple[type, float | int | bool]]


class Children:
    """The child population of a model (struct of arrays with spare capacity).

    Args:
        fields: the arrays, with their dtype and the value of a new slot.
        capacity: slots to allocate at first.

    Each field (``children.age``) is a view of the used slots, so in-place updates through it
    change the population; the views are renewed whenever slots are added or dropped.
    """

    def __init__(self, fields: FieldTable, capacity: int = 1024) -> None:
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "n", 0)
        object.__setattr__(
            self,
            "_data",
            {name: np.empty(max(capacity, 1), dtype) for name, (dtype, _) in fields.items()},
        )
        self._renew_views()

    def _renew_views(self) -> None:
        for name, arr in self._data.items():
            object.__setattr__(self, name, arr[: self.n])

    def __setattr__(self, name: str, value: object) -> None:
        if name in self.fields:
            self._data[name][: self.n] = value  # assign in place; never rebind the array
        else:
            object.__setattr__(self, name, value)

    def __len__(self) -> int:
        return self.n

    @property
    def capacity(self) -> int:
        return len(self._data["uid"])

    def add(self, count: int, **values: np.ndarray | float | int) -> slice:
        """Append ``count`` children with the given field values; return their slots."""
        if self.n + count > self.capacity:
            self._grow(self.n + count)
        new = slice(self.n, self.n + count)
        for name, (_, fill) in self.fields.items():
            self._data[name][new] = values.pop(name, fill)
        if values:
            raise KeyError(f"unknown child fields: {sorted(values)}")
        self.n += count
        self._renew_views()
        return new

    def reserve(self, capacity: int) -> None:
        """Make room for ``capacity`` children without further growth."""
        if capacity > self.capacity:
            self._grow(capacity, exact=True)

    def _grow(self, needed: int, exact: bool = False) -> None:
        new_capacity = needed if exact else max(needed, int(self.capacity * 1.5) + 1)
        for name, (dtype, _) in self.fields.items():
            grown = np.empty(new_capacity, dtype=dtype)  # slots are filled when children are added
            grown[: self.n] = self._data[name][: self.n]
            self._data[name] = grown

    def compact(self) -> None:
        """Drop inactive slots, keeping the order of active children."""
        keep = np.flatnonzero(self.active)
        if len(keep) == self.n:
            return
        for arr in self._data.values():
            arr[: len(keep)] = arr[keep]
        self.n = len(keep)
        self._renew_views()

    def nbytes(self) -> int:
        """Memory held by the arrays, in bytes."""
        return sum(arr.nbytes for arr in self._data.values())

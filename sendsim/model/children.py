"""Children and young people as a struct of arrays.

One slot per child. Slots of children who leave (moving away, turning 26) are marked inactive
and reclaimed once a year by :meth:`Children.compact`, which keeps the order of the others. A
child's ``uid`` never changes and is never reused: it combines the home council's index with a
per-council serial number, so a child's random draws (keyed by uid) do not depend on how many
children other councils have.
"""

from __future__ import annotations

import numpy as np

from sendsim.model.codes import Need, Place, Sen

NEVER = np.iinfo(np.int16).max  # an event month that does not come

#: Field name → (dtype, value for a new slot). Units in the names where they apply.
FIELDS: dict[str, tuple[type, float | int | bool]] = {
    "uid": (np.int64, -1),
    "la": (np.int16, -1),  # home council index
    "age": (np.int8, 0),  # academic age: age at the 31 August before this academic year
    "need": (np.int8, Need.NONE),  # primary need type
    "severity": (np.float32, 0.0),  # latent need level, 0 (none) to 1 (profound)
    "sen": (np.int8, Sen.NONE),
    "place": (np.int8, Place.EARLY_YEARS),
    "school": (np.int32, -1),  # institution index within the table of ``place``; -1 none
    "weeks": (np.float32, 0.0),  # weeks since the EHC needs assessment request
    "due_weeks": (np.float32, 0.0),  # weeks this case needs before a plan can be issued
    "plan_months": (np.int16, 0),  # months since the plan was issued (annual reviews)
    "cooldown": (np.int8, 0),  # months before the family asks again after a refusal
    "unmet": (np.bool_, False),  # need unmet this month
    "unmet_history": (np.uint16, 0),  # bit i set: need unmet i months ago (last 12 months)
    "months_unmet": (np.int16, 0),  # months of unmet need since the run started
    "therapy_wait": (np.int16, -1),  # months waiting for NHS therapy; -1 not waiting
    "therapy_left": (np.int8, 0),  # months of a therapy course still to run
    "appeal": (np.int8, 0),  # pending appeal type (redress.Appeal); 0 none
    "appeal_months": (np.int8, 0),  # months until the tribunal decides
    "progress": (np.float32, 1.0),  # 12-month average of progress fit, 0-1
    "wellbeing": (np.float32, 1.0),  # 12-month average of wellbeing, 0-1
    "had_sen": (np.bool_, False),  # ever identified with SEND
    "move_month": (np.int16, NEVER),  # month (run index) the child moves out of the area
    "need_month": (np.int16, NEVER),  # month a need emerges (children without one)
    "active": (np.bool_, True),
}


class Children:
    """The child population of a model (struct of arrays with spare capacity).

    Each field (``children.age``) is a view of the used slots, so in-place updates through it
    change the population; the views are renewed whenever slots are added or dropped.
    """

    def __init__(self, capacity: int = 1024) -> None:
        object.__setattr__(self, "n", 0)
        object.__setattr__(
            self,
            "_data",
            {name: np.empty(max(capacity, 1), dtype) for name, (dtype, _) in FIELDS.items()},
        )
        self._renew_views()

    def _renew_views(self) -> None:
        for name, arr in self._data.items():
            object.__setattr__(self, name, arr[: self.n])

    def __setattr__(self, name: str, value: object) -> None:
        if name in FIELDS:
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
        for name, (_, fill) in FIELDS.items():
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
        for name, (dtype, _) in FIELDS.items():
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

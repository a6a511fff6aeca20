"""Integer codes for the child state arrays (stored as int8).

Codes are numpy int8 scalars rather than ``IntEnum`` members: numpy compares arrays with its
own scalars several times faster than with int subclasses, and the mechanisms do so thousands of
times a month. :class:`Codes` keeps the names.
"""

from __future__ import annotations

import numpy as np


class Codes:
    """A set of named int8 codes, declared as ``NAME = value`` class attributes."""

    _names: dict[int, str]

    def __init_subclass__(cls) -> None:
        cls._names = {}
        for name, value in list(vars(cls).items()):
            if not name.startswith("_") and type(value) is int:
                cls._names[value] = name
                setattr(cls, name, np.int8(value))

    @classmethod
    def name(cls, code: int) -> str:
        """The name of a code (``Place.name(3) == "STATE_SPECIAL"``)."""
        return cls._names[int(code)]

    @classmethod
    def codes(cls) -> list[np.int8]:
        """Every code, in order."""
        return [np.int8(c) for c in sorted(cls._names)]

    @classmethod
    def count(cls) -> int:
        return len(cls._names)


class Sen(Codes):
    """SEN status: every active child is in exactly one."""

    NONE = 0  # no identified need (a latent need may exist)
    SUPPORT = 1  # identified need met without a plan (SEN support)
    REQUESTED = 2  # EHC needs assessment requested, council deciding (6 weeks)
    ASSESSING = 3  # EHC needs assessment under way (20-week clock running)
    EHCP = 4  # education, health and care plan in force


class Place(Codes):
    """Where a child or young person is educated, or what they are doing, this month."""

    EARLY_YEARS = 0  # at home or in an early years setting, before Reception
    MAINSTREAM = 1  # mainstream school (maintained, academy, free or independent)
    RESOURCED = 2  # resourced provision or SEN unit in a mainstream school
    STATE_SPECIAL = 3  # maintained special school or special academy
    INDEPENDENT = 4  # independent or non-maintained special school
    AP = 5  # alternative provision or pupil referral unit
    FE = 6  # post-16 education: FE college or sixth form
    SPECIALIST_POST16 = 7  # specialist post-16 institution
    EMPLOYMENT = 8  # in work, an apprenticeship, a supported internship or higher education
    NEET = 9  # not in education, employment or training
    OTHER = 10  # home education, other arrangements, awaiting provision


class Need(Codes):
    """Primary need type, as in the school census and SEN2."""

    NONE = 0
    ASD = 1  # autistic spectrum disorder
    SLCN = 2  # speech, language and communication needs
    SEMH = 3  # social, emotional and mental health
    MLD = 4  # moderate learning difficulty
    SLD = 5  # severe learning difficulty
    PMLD = 6  # profound and multiple learning difficulty
    SPLD = 7  # specific learning difficulty
    PD = 8  # physical disability
    HI = 9  # hearing impairment
    VI = 10  # visual impairment
    MSI = 11  # multi-sensory impairment
    OTHER = 12  # other difficulty or disability


class Waiting(Codes):
    """A plan's standing on its council's special school waiting list: two flags."""

    NONE = 0  # not waiting
    RETRY = 1  # last turned away though part of a place remained: asks again next month
    LISTED = 2  # has been turned away with no place left (counted in the shortfall)
    LISTED_RETRY = 3  # both


class Agreement(Codes):
    """A council's Safety Valve agreement with DfE."""

    NONE = 0
    ACTIVE = 1  # paying instalments while the council keeps to its recovery plan
    SUSPENDED = 2  # the council's deficit ran above its plan: no more instalments
    COMPLETED = 3


N_SEN = Sen.count()
N_PLACE = Place.count()
N_NEED = Need.count()

#: Settings where a child is in education (needs can be identified and supported there).
EDUCATION_PLACES = (
    Place.EARLY_YEARS,
    Place.MAINSTREAM,
    Place.RESOURCED,
    Place.STATE_SPECIAL,
    Place.INDEPENDENT,
    Place.AP,
    Place.FE,
    Place.SPECIALIST_POST16,
)
#: Where education has ended: needs no longer escalate, and progress holds.
EDUCATION_ENDED = (Place.EMPLOYMENT, Place.NEET)

#: Settings with places held by named schools (tables of places, see ``PlaceTable``).
SPECIAL_SCHOOLS = (Place.STATE_SPECIAL, Place.INDEPENDENT)
#: Settings whose places are counted against a capacity (see ``SendModel.occupants``).
CAPPED_PLACES = (Place.RESOURCED, *SPECIAL_SCHOOLS)

MAX_AGE = 25  # children and young people aged 0-25 are in scope
SCHOOL_START_AGE = 4  # academic age in Reception
SECONDARY_START_AGE = 11  # Year 7
POST16_START_AGE = 16  # Year 12
STATUTORY_WEEKS = 20  # a plan is due within 20 weeks of the request
AWAITING_PROVISION = -2  # ``school`` of a child with a plan turned away, awaiting a place
ADULT_AGE = 19  # school sixth forms end
N_AGES = MAX_AGE + 1

#: Placement names as they appear in metric names (``ehcp_state_special``).
PLACE_NAMES = {p: Place.name(p).lower() for p in Place.codes()}
#: Placements as a reader names them.
PLACE_LABELS = {
    Place.EARLY_YEARS: "Early years",
    Place.MAINSTREAM: "Mainstream schools",
    Place.RESOURCED: "Resourced provision and SEN units",
    Place.STATE_SPECIAL: "State special schools",
    Place.INDEPENDENT: "Independent and non-maintained special schools",
    Place.AP: "Alternative provision",
    Place.FE: "Further education",
    Place.SPECIALIST_POST16: "Specialist post-16 institutions",
    Place.EMPLOYMENT: "Employment, training or higher education",
    Place.NEET: "Not in education, employment or training",
    Place.OTHER: "Other arrangements",
}
#: Post-16 education, reported together as ``post16``.
POST16_PLACES = (Place.FE, Place.SPECIALIST_POST16)
#: Placements whose cost falls on the high needs block when the child has a plan.
FUNDED_PLACES = tuple(p for p in Place.codes() if p not in (Place.EMPLOYMENT, Place.NEET))


#: The published groups of SEN status (LAIT, SEN2), in :func:`sen_group` order.
SEN_GROUPS = ("no_sen", "sen_support", "ehcp")


def sen_group(sen: np.ndarray) -> np.ndarray:
    """The published group of SEN statuses ``sen``: 0 no SEN, 1 SEN support (with a request or
    assessment under way), 2 an EHC plan."""
    return np.where(sen == Sen.EHCP, 2, np.where(sen >= Sen.SUPPORT, 1, 0))


def member(codes: np.ndarray, members: tuple[int, ...] | np.ndarray) -> np.ndarray:
    """Whether each code is one of ``members`` (comparisons: faster than ``np.isin`` here)."""
    out = codes == members[0]
    for m in members[1:]:
        out |= codes == m
    return out


class Rate(Codes):
    """Council rates that vary from year to year around their fitted level (forecast draws)."""

    REQUESTS = 0  # request propensity (log)
    REFUSAL = 1  # refusal to assess (log-odds)
    APPEALS = 2  # appeals per appealable decision (log)
    OUTFLOW = 3  # plans ending per plan a year (added)

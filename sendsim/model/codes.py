"""Integer codes for the child state arrays (stored as int8)."""

from __future__ import annotations

from enum import IntEnum
from functools import cache

import numpy as np


class Sen(IntEnum):
    """SEN status: every active child is in exactly one."""

    NONE = 0  # no identified need (a latent need may exist)
    SUPPORT = 1  # identified need met without a plan (SEN support)
    REQUESTED = 2  # EHC needs assessment requested, council deciding (6 weeks)
    ASSESSING = 3  # EHC needs assessment under way (20-week clock running)
    EHCP = 4  # education, health and care plan in force


class Place(IntEnum):
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


class Need(IntEnum):
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


N_SEN = len(Sen)
N_PLACE = len(Place)
N_NEED = len(Need)

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

MAX_AGE = 25  # children and young people aged 0-25 are in scope
SCHOOL_START_AGE = 4  # academic age in Reception
SECONDARY_START_AGE = 11  # Year 7
POST16_START_AGE = 16  # Year 12
AWAITING_PROVISION = -2  # ``school`` of a child with a plan turned away, awaiting a place
ADULT_AGE = 19  # school sixth forms end; plans can cease on leaving education


@cache
def _membership(members: tuple[int, ...]) -> np.ndarray:
    table = np.zeros(128, dtype=bool)
    table[list(members)] = True
    return table


def member(codes: np.ndarray, members: tuple[int, ...] | np.ndarray) -> np.ndarray:
    """Whether each code is one of ``members`` (a fast ``np.isin`` for small int8 codes)."""
    return _membership(tuple(int(m) for m in members))[codes]

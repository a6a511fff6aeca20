"""Build a model's world: the institutions, then each mechanism's part of the starting state.

The starting state reproduces each council's published January position: its children by
single year of age (ONS), its plans by age band and placement (SEN2), SEN support (school
census), requests and assessments in progress, its places, therapy waits and high needs budget.
Councils, ICBs and mainstream schools come first (from the area profiles); then each mechanism
builds its part in registry order; then the council's stored calibration is applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sendsim import calibration
from sendsim.model.codes import N_AGES
from sendsim.model.institutions.council import Council
from sendsim.model.institutions.icb import Icb
from sendsim.model.institutions.schools import MainstreamSchool
from sendsim.model.mechanisms import MECHANISMS
from sendsim.model.profile import load_profiles
from sendsim.model.recording import Flows

if TYPE_CHECKING:
    from sendsim.model.model import SendModel


def build(model: SendModel) -> None:
    """Create every institution and child of the model's area."""
    cfg = model.cfg
    prof = load_profiles(cfg.area.code, model.start_year, cfg.behaviour.demography)
    model.profiles = prof
    england = cfg.area.code.lower() == "england"
    model.councils = Council.create(model, prof, england)
    model.icbs = Icb.create(model, prof)
    model.schools = MainstreamSchool.create(model, prof)
    model.flows = Flows(prof.n, model.flow_names)  # events while building are not recorded
    model.residents = np.zeros((prof.n, N_AGES), np.int64)  # children by council and age
    for mechanism in MECHANISMS:
        if mechanism.build is not None:
            mechanism.build(model)
    if cfg.run.calibrated:
        calibration.apply_stored(model)
    model.set_needy(np.flatnonzero(model.children.severity > 0))
    model.schools.count_pupils(model)

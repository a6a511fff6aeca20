"""Naming a setting: placements for children with plans within the places that exist, and
the destinations of young people leaving school.

Councils name settings by the need a plan calls for and the places free (resourced provision,
state special, independent), falling back down the ladder of specialism when full.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sendsim.dates import MONTHS_PER_YEAR
from sendsim.model.codes import (
    ADULT_AGE,
    AWAITING_PROVISION,
    N_PLACE,
    POST16_START_AGE,
    SCHOOL_START_AGE,
    SECONDARY_START_AGE,
    SEN_GROUPS,
    SPECIAL_SCHOOLS,
    Need,
    Place,
    Sen,
    Waiting,
    member,
    sen_group,
)
from sendsim.model.institutions.council import Council
from sendsim.model.institutions.schools import MainstreamSchool
from sendsim.model.institutions.specialist import whole_free_places
from sendsim.model.ops import allocate, count_by, per_month

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

ALWAYS_SPECIAL = (Need.PMLD,)
ATTAINMENT8_STEP = 10.0  # Attainment 8 points: a grade in each of its ten slots
#: The months after Key Stage 4 a destination must last to count as sustained: October-March.
SUSTAINED_MONTHS = (10, 11, 12, 1, 2, 3)
MOST_NOT_SUSTAINED = 0.9  # a share held by entries against exits is below 1
PARTICIPATION_AGES = (16, 17)  # ages of the published participation of young people with SEN
PARTICIPATION = "sen_16_17_in_education_pct"
DESTINATION = "eet_after_ks4_{}_pct"  # by SEN group
#: Where a child on a special school waiting list may be meanwhile.
WAITING_PLACES = (Place.MAINSTREAM, Place.RESOURCED, Place.AP, Place.OTHER)
#: The ladder of specialism, and each placement's rung on it (other placements: rung 0).
LADDER = np.array(
    [Place.MAINSTREAM, Place.RESOURCED, Place.STATE_SPECIAL, Place.INDEPENDENT], np.int8
)
RUNG = np.zeros(N_PLACE, np.int64)
RUNG[LADDER] = np.arange(len(LADDER))


def target_setting(model: SendModel, idx: np.ndarray) -> np.ndarray:
    """The setting each plan's need calls for, before capacity (school-age children)."""
    ch, c = model.children, model.councils
    la, level = ch.la[idx], ch.severity[idx]
    target = np.full(len(idx), Place.MAINSTREAM, dtype=np.int8)
    target[level >= c.resourced_threshold[la]] = Place.RESOURCED
    special = (level >= c.special_threshold[la]) | member(ch.need[idx], ALWAYS_SPECIAL)
    target[special] = Place.STATE_SPECIAL
    return target


def place(model: SendModel, idx: np.ndarray, escalate: bool = False) -> None:
    """Name a setting for plans ``idx`` by age and need, within capacity.

    Args:
        model: the model.
        idx: children with plans to place.
        escalate: a move because need stayed unmet: go at least one rung up the ladder.
    """
    if len(idx) == 0:
        return
    ch = model.children
    age = ch.age[idx]
    early = idx[age < SCHOOL_START_AGE]
    ch.place[early] = Place.EARLY_YEARS
    ch.school[early] = -1
    post16 = idx[age >= POST16_START_AGE]
    _place_post16(model, post16)
    school = idx[(age >= SCHOOL_START_AGE) & (age < POST16_START_AGE)]
    target = target_setting(model, school)
    if escalate:
        lowest = np.minimum(RUNG[ch.place[school]] + 1, len(LADDER) - 1)
        target = LADDER[np.maximum(RUNG[target], lowest)]
    was_mainstream = member(ch.place[school], (Place.MAINSTREAM, Place.RESOURCED))
    _fill(model, school, target)
    if escalate:
        moved = was_mainstream & member(ch.place[school], SPECIAL_SCHOOLS)
        model.flows.add("moves_to_special", ch.la[school[moved]])


def _fill(model: SendModel, idx: np.ndarray, target: np.ndarray) -> None:
    """Allocate places for school-age plans by target setting, falling back down the ladder.

    Of the children needing a special school, the council names an independent one for a
    share (its published mix); the rest go to a state special school. A child refused either
    who has no special school place joins the council's waiting list for one
    (:func:`admit_waiting`) and meanwhile takes resourced provision or mainstream; secondary
    pupils with SEMH needs wait in AP.
    """
    ch = model.children
    special = target == Place.STATE_SPECIAL
    independent = target == Place.INDEPENDENT
    named = independent_named(model, idx) & special & ~member(ch.place[idx], SPECIAL_SCHOOLS)
    refused_special = model.specials.admit(model, idx[special & ~named])
    room = missed_part_of_a_place(model, refused_special)
    refused_independent = model.iss.admit(model, idx[independent | named])
    refused = np.concatenate([refused_special, refused_independent])
    # the independent market opens places as children come: one it turns away found none
    room = np.concatenate([room, np.zeros(len(refused_independent), np.bool_)])
    unplaced = ~member(ch.place[refused], SPECIAL_SCHOOLS)
    waiting = refused[unplaced]
    join_waiting_list(model, waiting, room[unplaced])
    no_rp = admit_resourced(model, np.concatenate([idx[target == Place.RESOURCED], waiting]))
    interim = np.isin(no_rp, waiting) & (ch.need[no_rp] == Need.SEMH)
    interim &= ch.age[no_rp] >= SECONDARY_START_AGE
    ch.place[no_rp[interim]] = Place.AP
    ch.school[no_rp[interim]] = -1
    to_mainstream(model, np.concatenate([idx[target == Place.MAINSTREAM], no_rp[~interim]]))


def independent_named(model: SendModel, idx: np.ndarray) -> np.ndarray:
    """Whether the council would name an independent school for each child needing a special
    one: a draw fixed for the child, against its council's share (fewer with tailored lists)."""
    ch = model.children
    u = model.streams.uniform("independent_named", ch.uid[idx])
    return u < Council.naming_independent(model, ch.la[idx]) * off_list(model)


def missed_part_of_a_place(model: SendModel, refused: np.ndarray) -> np.ndarray:
    """Whether each child state special schools turned away found part of a place left in its
    council (:meth:`PlaceTable.has_room`); no count of pupils when none was turned away."""
    if len(refused) == 0:
        return np.zeros(0, np.bool_)
    return model.specials.has_room(model)[model.children.la[refused]]


def join_waiting_list(model: SendModel, idx: np.ndarray, room: np.ndarray) -> None:
    """Children needing a special school who found no place wait for one.

    Those turned away from state special schools with ``room`` (part of a place left: a
    sampled child stands for several, and the whole population would have taken it) ask
    again next month; the rest are listed, counting once in the shortfall. The whole
    population is never turned away with room, so there every child is listed.
    """
    ch = model.children
    listed = idx[~room]
    first = (ch.special_wait[listed] & Waiting.LISTED) == 0
    model.flows.add("special_place_shortfall", ch.la[listed[first]])
    kept = ch.special_wait[idx] & Waiting.LISTED
    ch.special_wait[idx] = kept | np.where(room, Waiting.RETRY, Waiting.LISTED)


def admit_waiting(model: SendModel) -> None:
    """Councils reconsider plans on their special school waiting lists (those that missed part
    of a place, next month): special schools admit them, highest need first, where places are
    free; when none is left, the council may name an independent school instead.

    A child leaves the list with a special school place, or once its plan ends or it reaches
    post-16 (placed afresh then).
    """
    ch, p = model.children, model.cfg.behaviour.placement
    listed = model.needy[ch.special_wait[model.needy] != Waiting.NONE]
    still = (ch.sen[listed] == Sen.EHCP) & member(ch.place[listed], WAITING_PLACES)
    still &= (ch.age[listed] >= SCHOOL_START_AGE) & (ch.age[listed] < POST16_START_AGE)
    ch.special_wait[listed[~still]] = Waiting.NONE
    waiting = listed[still]
    u = model.streams.uniform("waiting_review", ch.uid[waiting], model.months_elapsed)
    retry = (ch.special_wait[waiting] & Waiting.RETRY) != 0
    reviewed = waiting[retry | (u < per_month(p.waiting_review_per_year))]
    was = ch.place[reviewed]
    left = model.specials.admit(model, reviewed)
    room = missed_part_of_a_place(model, left)
    u = model.streams.uniform("independent_when_full", ch.uid[left], model.months_elapsed)
    model.iss.admit(model, left[~room & (u < p.independent_when_full * off_list(model))])
    unplaced = ~member(ch.place[left], SPECIAL_SCHOOLS)
    join_waiting_list(model, left[unplaced], room[unplaced])
    admitted = member(ch.place[reviewed], SPECIAL_SCHOOLS)
    ch.special_wait[reviewed[admitted]] = Waiting.NONE
    moved = admitted & member(was, (Place.MAINSTREAM, Place.RESOURCED))
    model.flows.add("moves_to_special", ch.la[reviewed[moved]])


def special_places_taken(model: SendModel) -> np.ndarray:
    """Each council's special places taken, pupils on its waiting list counted, as a share
    of its places."""
    ch, n, specials = model.children, model.councils.n, model.specials
    pupils = count_by(specials.owner, n, specials.occupancy(model).astype(np.float64))
    waiting = count_by(ch.la[model.needy[ch.special_wait[model.needy] != Waiting.NONE]], n)
    return (pupils + waiting) / np.maximum(specials.places_by_council(n), 1e-9)


def off_list(model: SendModel) -> float:
    """How much independent placement remains once placements are named from tailored lists."""
    lists = model.policy.standards.tailored_lists
    return 1 - model.cfg.behaviour.effects.lists_independent_reduction * lists


def admit_resourced(model: SendModel, idx: np.ndarray) -> np.ndarray:
    """Resourced provision places within each council's capacity, highest need first.

    Returns the children who could not be admitted.
    """
    if len(idx) == 0:
        return idx
    ch, c = model.children, model.councils
    already = ch.place[idx] == Place.RESOURCED
    occupied = count_by(ch.la[model.occupants(Place.RESOURCED)], c.n)
    free = whole_free_places(model, c.resourced_places - occupied, Place.RESOURCED)
    new = idx[~already]
    ok = allocate(ch.la[new], ch.severity[new], free)
    ch.place[new[ok]] = Place.RESOURCED
    model.note_admissions(new[ok])
    _keep_or_assign_school(model, new[ok])
    return new[~ok]


def to_mainstream(model: SendModel, idx: np.ndarray) -> None:
    """Place in a mainstream school of the right phase (keeping the current one if suitable)."""
    ch = model.children
    ch.place[idx] = Place.MAINSTREAM
    _keep_or_assign_school(model, idx)


def _keep_or_assign_school(model: SendModel, idx: np.ndarray) -> None:
    """Keep a school of the right phase in the home council, else find one.

    A child with a plan needing a new school may be turned away by the school chosen, if the
    council cannot direct it to admit (academies, unless councils have that power); they await
    provision.
    """
    if len(idx) == 0:
        return
    ch = model.children
    phase = (ch.age[idx] >= SECONDARY_START_AGE).astype(np.int8)
    school = ch.school[idx]
    valid = (school >= 0) & (school < model.schools.n)
    keep = valid & (model.schools.phase[np.where(valid, school, 0)] == phase)
    keep &= model.schools.la[np.where(valid, school, 0)] == ch.la[idx]
    needing = idx[~keep]
    assign_school(model, needing)
    turned_away = MainstreamSchool.turns_away(model, needing[ch.sen[needing] == Sen.EHCP])
    ch.place[turned_away] = Place.OTHER
    ch.school[turned_away] = AWAITING_PROVISION


def assign_school(model: SendModel, idx: np.ndarray) -> None:
    """Choose a mainstream school in the home council, of the right phase, weighted by size."""
    ch = model.children
    phase = (ch.age[idx] >= SECONDARY_START_AGE).astype(np.int64)
    u = model.streams.uniform("school_choice", ch.uid[idx], model.months_elapsed)
    ch.school[idx] = model.schools.choose(ch.la[idx].astype(np.int64), phase, u)


def place_arrivals(model: SendModel, idx: np.ndarray) -> None:
    """Settings for children who have just moved in (or were born)."""
    ch = model.children
    plan = idx[ch.sen[idx] == Sen.EHCP]
    place(model, plan)
    rest = idx[ch.sen[idx] != Sen.EHCP]
    age = ch.age[rest]
    to_mainstream(model, rest[(age >= SCHOOL_START_AGE) & (age < POST16_START_AGE)])
    leave_school(model, rest[age >= POST16_START_AGE], "arrival")


# -- post-16 ------------------------------------------------------------------------------
def _place_post16(model: SendModel, idx: np.ndarray) -> None:
    """Plans at 16-25: FE, or a specialist post-16 institution for the highest needs."""
    ch = model.children
    ch.place[idx] = np.where(_specialist_post16(model, idx), Place.SPECIALIST_POST16, Place.FE)
    ch.school[idx] = -1


def _specialist_post16(model: SendModel, idx: np.ndarray) -> np.ndarray:
    """Whether plans ``idx`` leaving school go to a specialist post-16 institution."""
    return model.children.severity[idx] >= model.cfg.behaviour.placement.specialist_post16_level


def start_post16(model: SendModel, idx: np.ndarray) -> None:
    """Year 11 to Year 12: some become NEET (:func:`neet_after_ks4`); of the rest, plans stay
    in a school sixth form or move to FE or a specialist post-16 place, and others move to FE,
    a sixth form or work."""
    ch, p = model.children, model.cfg.behaviour.placement
    plan = ch.sen[idx] == Sen.EHCP
    u = model.streams.uniform("post16_stay", ch.uid[idx], model.months_elapsed)
    special = member(ch.place[idx], SPECIAL_SCHOOLS)
    mainstream = member(ch.place[idx], (Place.MAINSTREAM, Place.RESOURCED))
    stay = plan & (
        (special & (u < p.post16_stay_special)) | (mainstream & (u < p.post16_stay_mainstream))
    )
    specialist = plan & ~stay & _specialist_post16(model, idx)
    u_neet = model.streams.uniform("post16.neet", ch.uid[idx], model.months_elapsed)
    neet = u_neet < neet_after_ks4(model, idx, can_drop_out=~(stay | specialist))
    ch.place[idx[neet]] = Place.NEET
    ch.school[idx[neet]] = -1
    ch.sen[idx[neet & ~plan]] = Sen.NONE  # SEN support ends with school
    _place_post16(model, idx[~neet & plan & ~stay])
    learners = idx[~neet & ~plan]
    leave_school(model, learners, "post16", neet_chance=np.zeros(len(learners)))


def leave_school(
    model: SendModel, idx: np.ndarray, stream: str, neet_chance: np.ndarray | None = None
) -> None:
    """Young people without a plan: NEET (by default at the share held in balance,
    :func:`share_held`), else education (FE or sixth form) before 19, else work or
    training."""
    ch, p = model.children, model.cfg.behaviour.placement
    if neet_chance is None:
        neet_chance = share_held(model, idx)
    u = model.streams.uniform(f"{stream}.destination", ch.uid[idx], model.months_elapsed)
    neet = u < neet_chance
    stays = (u - neet_chance) < p.post16_education_share * (1 - neet_chance)
    education = ~neet & (ch.age[idx] < ADULT_AGE) & stays
    ch.place[idx] = np.where(education, Place.FE, np.where(neet, Place.NEET, Place.EMPLOYMENT))
    ch.school[idx] = -1
    left = idx[~education & (ch.sen[idx] != Sen.EHCP)]
    ch.sen[left] = Sen.NONE  # SEN support ends with education


def status_at_ks4(model: SendModel, idx: np.ndarray) -> np.ndarray:
    """SEN status of young people ``idx`` at the end of Key Stage 4: as recorded then (for
    those past it when the run began, as it began), or, for those who arrived past it, their
    plan or else whether they have had SEND."""
    ch = model.children
    ever = np.where(ch.had_sen[idx], Sen.SUPPORT, Sen.NONE)
    guess = np.where(ch.sen[idx] == Sen.EHCP, Sen.EHCP, ever)
    return np.where(ch.sen_at_ks4[idx] >= 0, ch.sen_at_ks4[idx], guess)


def extra_risk(model: SendModel, idx: np.ndarray) -> np.ndarray:
    """How much more often young people ``idx`` leave Key Stage 4 without a sustained
    destination than those without SEND, by their status at its end: England's share not in
    sustained education, employment or training for the status over that for pupils without
    SEN [dfe-lait]."""
    eng = model.profiles.outcomes_england
    not_eet = np.array([100.0 - eng[DESTINATION.format(group)] for group in SEN_GROUPS])
    return (not_eet / not_eet[0])[sen_group(status_at_ks4(model, idx))]


def not_sustained_share(model: SendModel, idx: np.ndarray) -> np.ndarray:
    """Share of young people like ``idx`` not in sustained education, employment or training
    after Key Stage 4 [dfe-lait]: for pupils without SEN their council's; for SEN support and
    plans a weighted mean (``own_destination_weight``) of their council's for the status and its
    for pupils without SEN times England's extra risk of the status (:func:`extra_risk`); the
    excess over pupils without SEN less with new Level 2 routes."""
    outcomes, la = model.profiles.outcomes, model.children.la[idx]
    group = sen_group(status_at_ks4(model, idx))
    not_eet = np.stack([1 - outcomes[DESTINATION.format(g)] / 100 for g in SEN_GROUPS])
    no_sen = not_eet[0, la]
    own = model.cfg.behaviour.placement.own_destination_weight
    status = own * not_eet[group, la] + (1 - own) * no_sen * extra_risk(model, idx)
    routes = model.cfg.behaviour.effects.level2_neet_reduction * model.policy.post16.level2_routes
    share = no_sen + np.where(group > 0, status - no_sen, 0.0) * (1 - routes)
    return np.minimum(share, MOST_NOT_SUSTAINED)


def share_held(model: SendModel, idx: np.ndarray) -> np.ndarray:
    """Share of young people like ``idx`` NEET in the long run: :func:`not_sustained_share`, but
    at 16-17 their council's published participation of young people with SEN [dfe-lait], not
    its destinations of pupils without SEN, sets how far it is from England's."""
    outcomes, england = model.profiles.outcomes, model.profiles.outcomes_england
    la = model.children.la[idx]
    relative = lambda measure: (100 - outcomes[measure][la]) / (100 - england[measure])  # noqa: E731
    participation = relative(PARTICIPATION) / relative(DESTINATION.format(SEN_GROUPS[0]))
    share = not_sustained_share(model, idx)
    young = member(model.children.age[idx], PARTICIPATION_AGES)
    return np.minimum(np.where(young, share * participation, share), MOST_NOT_SUSTAINED)


def neet_entry_per_year(model: SendModel, idx: np.ndarray) -> np.ndarray:
    """Yearly chance that young people ``idx`` with SEND in education or work become NEET: the
    chance that, against ``neet_exit_per_year``, holds their share NEET at :func:`share_held`."""
    return _entry_holding(model, share_held(model, idx))


def _entry_holding(model: SendModel, share: np.ndarray) -> np.ndarray:
    """The yearly chance of becoming NEET that, against the chance of leaving, holds ``share``."""
    return model.cfg.behaviour.placement.neet_exit_per_year * share / (1 - share)


def neet_after_ks4(model: SendModel, idx: np.ndarray, can_drop_out: np.ndarray) -> np.ndarray:
    """Chance that young people ``idx``, leaving Year 11, become NEET: the share not sustained
    (:func:`not_sustained_share`) less, for those going to FE or work (``can_drop_out``), the
    dropouts expected in its window (October-March), which the published share counts too; a
    sixth form or specialist post-16 place loses no one to NEET
    (:func:`sendsim.model.mechanisms.placement.neet_transitions`).
    Less for better results."""
    share = not_sustained_share(model, idx)
    window = len(SUSTAINED_MONTHS) / MONTHS_PER_YEAR
    dropout = (1 - np.exp(-neet_entry_per_year(model, idx) * window)) * can_drop_out
    chance = np.maximum(share - dropout, 0.0) / (1 - dropout)
    return np.minimum(chance / attainment_factor(model, idx), 1.0)


def attainment_factor(model: SendModel, idx: np.ndarray) -> np.ndarray:
    """How much less often young people ``idx`` become NEET, and more often leave it, for their
    Key Stage 4 results above England's for their SEN status."""
    effect = model.cfg.behaviour.placement.neet_attainment_effect
    return np.exp(effect * model.children.ks4_gap[idx] / ATTAINMENT8_STEP)


def finish_education(model: SendModel, idx: np.ndarray) -> None:
    """Young people leaving school or FE at 19+ move into work or become NEET; some with plans
    start a supported internship (counted as work with training)."""
    ch = model.children
    plan = ch.sen[idx] == Sen.EHCP
    u = model.streams.uniform("internship", ch.uid[idx], model.months_elapsed)
    interns = idx[plan & (u < model.policy.post16.supported_internships)]
    ch.place[interns] = Place.EMPLOYMENT
    ch.school[interns] = -1
    leave_school(model, np.setdiff1d(idx, interns, assume_unique=True), "finish")

"""Every write of the panels app: one function per use case, each in one transaction.

A request's state only moves through ``funding.services.apply_transition``;
these modules add the panel's own rows (agenda items, attendance, views,
decisions) in the same transaction and register the guards and actor
resolver that make the panel rules part of the lifecycle (see ``apps.py``).

By concern: ``membership`` (panels, members, the rota), ``calendar`` (publishing a
year, cancelling or moving a meeting), ``scheduling`` (requests onto agendas, one or
many), ``meetings`` (scheduling, the meeting, attendance, conflicts, moderation),
``chairing`` (the acting chair of an item), ``moderation`` (the chair's reveal of the
views, a conflict withdrawn), ``decisions``, ``chairs_action`` (the chair proposes, the
named LA SEND officer confirms or refuses), ``appeals``,
``follow_ups`` (support beyond money), ``letters`` (decision letters),
``reviews`` (the outcome review), ``sweeps`` (the daily jobs) and ``guards``.
Callers import from ``panels.services``.
"""

from ._common import PENNY, PanelError
from .appeals import guard_appeal_open, record_appeal
from .calendar import (
    Cancelled,
    ChairChangesUnconfirmed,
    cancel_meeting,
    generate_year,
    move_meeting,
    update_meeting,
)
from .chairing import chair_recused_warning, name_acting_chair, settle_acting_chairs
from .chairs_action import (
    confirm_chairs_action,
    propose_chairs_action,
    refuse_chairs_action,
    withdraw_chairs_action,
)
from .decisions import close_meeting, ratify_item, record_decision
from .follow_ups import FollowUp, add_follow_up, decide_with_follow_ups, follow_up_problems
from .guards import chair_actor, guard_not_recused, guard_quorate, register
from .letters import LetterTemplateError, produce_letters, save_letter_template
from .meetings import (
    declare_conflict,
    is_recused,
    item_quorum,
    meeting_quorum,
    open_meeting,
    record_attendance,
    record_moderation,
    schedule_request,
    unschedule_request,
)
from .membership import (
    RotaChangesUnconfirmed,
    add_member,
    create_panel,
    end_membership,
    rebalance_rota,
    record_absence,
    rota_plan,
    set_vice_chair,
    swap_chair,
    update_panel,
)
from .moderation import reveal_spread, withdraw_conflict
from .reviews import ReportedOutcomes, outcome_results_problem, report_outcomes, spent_problem
from .scheduling import Scheduled, schedule_many
from .sweeps import activate_due, reviews_due, sweep_past_meetings

__all__ = [
    "PENNY",
    "FollowUp",
    "LetterTemplateError",
    "Cancelled",
    "ChairChangesUnconfirmed",
    "Scheduled",
    "cancel_meeting",
    "move_meeting",
    "update_meeting",
    "rota_plan",
    "schedule_many",
    "PanelError",
    "ReportedOutcomes",
    "activate_due",
    "add_follow_up",
    "add_member",
    "chair_actor",
    "chair_recused_warning",
    "close_meeting",
    "confirm_chairs_action",
    "create_panel",
    "decide_with_follow_ups",
    "declare_conflict",
    "end_membership",
    "follow_up_problems",
    "generate_year",
    "guard_appeal_open",
    "guard_not_recused",
    "guard_quorate",
    "is_recused",
    "item_quorum",
    "meeting_quorum",
    "name_acting_chair",
    "open_meeting",
    "outcome_results_problem",
    "produce_letters",
    "propose_chairs_action",
    "ratify_item",
    "rebalance_rota",
    "record_absence",
    "RotaChangesUnconfirmed",
    "record_appeal",
    "record_attendance",
    "record_decision",
    "record_moderation",
    "refuse_chairs_action",
    "withdraw_chairs_action",
    "register",
    "report_outcomes",
    "reveal_spread",
    "reviews_due",
    "save_letter_template",
    "schedule_request",
    "set_vice_chair",
    "update_panel",
    "settle_acting_chairs",
    "spent_problem",
    "swap_chair",
    "sweep_past_meetings",
    "unschedule_request",
    "withdraw_conflict",
]

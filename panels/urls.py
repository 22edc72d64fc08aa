from django.urls import path

from . import letter_views, views

app_name = "panels"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.panel_detail, name="panel"),
    path("<int:pk>/members/", views.add_member, name="add_member"),
    path("<int:pk>/year/", views.generate_year, name="generate_year"),
    path("<int:pk>/vice-chair/", views.vice_chair, name="vice_chair"),
    path("<int:pk>/participation/", views.participation, name="participation"),
    path("members/<int:pk>/end/", views.end_membership, name="end_membership"),
    path("members/<int:pk>/absence/", views.record_absence, name="absence"),
    path("schedule/", views.schedule, name="schedule"),
    path("schedule/many/", views.schedule_many, name="schedule_many"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/room/", views.room, name="room"),
    path("meetings/<int:pk>/open/", views.open_meeting, name="open"),
    path("meetings/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("meetings/<int:pk>/swap-chair/", views.swap_chair, name="swap_chair"),
    path("meetings/<int:pk>/close/", views.close_meeting, name="close"),
    path("meetings/<int:pk>/cancel-or-move/", views.cancel_or_move, name="cancel_or_move"),
    path("meetings/<int:pk>/minutes/", views.minutes, name="minutes"),
    path("meetings/<int:pk>/minutes.pdf", views.minutes_pdf, name="minutes_pdf"),
    path("meetings/<int:pk>/pack.pdf", views.agenda_pack, name="pack"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("items/<int:pk>/view/", views.moderate, name="moderate"),
    path("items/<int:pk>/conflict/", views.declare_conflict, name="conflict"),
    path("items/<int:pk>/conflict/withdraw/", views.withdraw_conflict, name="withdraw_conflict"),
    path("items/<int:pk>/reveal/", views.reveal, name="reveal"),
    path("items/<int:pk>/decide/", views.decide, name="decide"),
    path("items/<int:pk>/acting-chair/", views.acting_chair, name="acting_chair"),
    path("items/<int:pk>/ratify/", views.ratify, name="ratify"),
    path("decisions/<int:pk>/", views.decision_detail, name="decision"),
    path("requests/<int:pk>/review/", views.review, name="review"),
    path("requests/<int:pk>/chairs-action/", views.chairs_action, name="chairs_action"),
    path("chairs-actions/<int:pk>/", views.proposal, name="proposal"),
    path("chairs-actions/<int:pk>/confirm/", views.confirm_proposal, name="confirm_proposal"),
    path("chairs-actions/<int:pk>/refuse/", views.refuse_proposal, name="refuse_proposal"),
    path("chairs-actions/<int:pk>/withdraw/", views.withdraw_proposal, name="withdraw_proposal"),
    path("requests/<int:pk>/appeal/", views.appeal, name="appeal"),
    # Decision letters (panels/letter_views.py).
    path("meetings/<int:pk>/letters/", letter_views.meeting_letters, name="meeting_letters"),
    path("letters/<int:pk>/", letter_views.letter, name="letter"),
    path("letters/<int:pk>/letter.pdf", letter_views.letter_pdf, name="letter_pdf"),
    path("letter-templates/", letter_views.letter_templates, name="letter_templates"),
    path(
        "letter-templates/<slug:outcome>/",
        letter_views.edit_letter_template,
        name="letter_template",
    ),
]

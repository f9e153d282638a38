"""The question-detection rule (core.questions): each of its clauses, with the reason it gives.
Its precision and recall on the labelled set are measured by bench/question_detection.py."""

from __future__ import annotations

import pytest

from core.questions import detect


@pytest.mark.parametrize(
    "text,reason",
    [
        ("How do I reset my VPN token?", "question mark"),
        ("¿Cómo restablezco mi token de la VPN", "question mark"),
        ("how do I request access to the prod read replica", "question word “how”"),
        ("Hi team, where do I find last year's OKRs", "question word “where”"),
        ("Is Grafana down for everyone or just me", "“is grafana”"),
        ("can someone point me to the brand guidelines", "“can someone”"),
        ("Avez-vous déjà installé Docker sur les portables", "inverted verb"),
        ("y a-t-il une réduction pour la salle de sport", "asks for help"),
        ("kennt jemand den Ablauf für Visa-Einladungsschreiben", "“kennt jemand”"),
        ("alguna idea de por qué se corta el wifi", "asks for help"),
        ("need help with the new expense tool, receipts won't attach", "asks for help"),
        ("I can't log in to Workday since this morning", "stuck"),
        ("Thanks! One more: how do I export my timesheet?", "question mark"),
    ],
)
def test_questions_and_why(text, reason):
    found = detect(text)
    assert found.asks and reason in found.reason


@pytest.mark.parametrize(
    "text,reason",
    [
        ("help", "very short"),
        ("anyone?", "very short"),
        ("<@U0BEN01> :wave:", "very short"),
        ("Thanks, that worked!", "thanks"),
        ("Merci beaucoup, ça marche !", "thanks"),
        ("Reminder: VPN maintenance tonight. Questions? Ask IT.", "announcement"),
        ("Today's talk is \"What's new in Python 3.13?\" at 12:30", "nothing"),
        ("Did you try restarting the agent? That usually fixes it.", "suggests"),
        ("Have a great weekend everyone", "nothing"),
        ("What a week. Glad it's over.", "nothing"),
        ("Hat sich erledigt, steht im Wiki", "thanks"),
        ("Jenkins is back up after the restart.", "nothing"),
        ("Run `kubectl get pods -A` to see them all", "nothing"),
    ],
)
def test_the_rest_and_why(text, reason):
    found = detect(text)
    assert not found.asks and reason in found.reason

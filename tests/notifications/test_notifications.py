"""Notifications: who is told what, emails after commit through the outbox, the digest,
the in-app list and the email setting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from mltrl_site.outbox import outbox_dispatch
from notifications.delivery import NOTIFICATIONS_OUTBOX
from notifications.digest import digest_send
from notifications.models import Notification, NotificationKind, NotificationSettings
from reviews.models import LevelChangeRequest
from tests.org import build_org
from tests.reviews.steps import approve_all, enter_at, open_advance, ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    org = build_org()
    for name, user in org.users.items():
        user.email = f"{name}@example.org"
        user.save(update_fields=["email"])
    return org


def _told(kind: str) -> set[str]:
    return {n.user.username for n in Notification.objects.filter(kind=kind)}


def test_submitted_request_tells_the_reviewers_of_its_roles_after_commit(
    org, django_capture_on_commit_callbacks
):
    enter_at(org, 4)
    Notification.objects.all().delete()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request = open_advance(org)
    # 4 -> 5 counts research-lead, product and ethics
    assert _told(NotificationKind.REVIEW_NEEDED) == {"lead", "prod", "ethicist"}
    assert {m.to[0] for m in mail.outbox} == {
        "lead@example.org",
        "prod@example.org",
        "ethicist@example.org",
    }
    assert f"/reviews/{request.pk}/" in mail.outbox[0].body
    assert all(n.email_sent_at for n in Notification.objects.all())
    assert Notification.objects.first().body.startswith("researcher asks for an advance of ")


def test_decision_and_level_change_tell_the_requester_and_everyone_involved(
    org, django_capture_on_commit_callbacks
):
    enter_at(org, 4)
    request = ready(open_advance(org))
    Notification.objects.all().delete()
    from reviews import services

    with django_capture_on_commit_callbacks(execute=True):
        services.signoff_record(
            level_request=request, actor=org.prod, decision="request_changes", tasks=["More eval."]
        )
    decision = Notification.objects.get(kind=NotificationKind.DECISION)
    assert decision.user == org.researcher and "More eval." in decision.body
    services.request_resubmit(level_request=request, actor=org.researcher)
    approve_all(org, request, ["lead", "prod", "ethicist"])
    assert LevelChangeRequest.objects.get(pk=request.pk).state == "approved"
    told = _told(NotificationKind.LEVEL_CHANGED)
    assert {"researcher", "lead", "peer", "prod", "ethicist"} <= told
    assert "eng" not in told


def test_email_off_keeps_the_notice_and_sends_no_mail(org, django_capture_on_commit_callbacks):
    enter_at(org, 4)
    NotificationSettings.objects.create(user=org.prod, email_enabled=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        open_advance(org)
    assert Notification.objects.filter(user=org.prod, kind=NotificationKind.REVIEW_NEEDED).exists()
    assert "prod@example.org" not in {m.to[0] for m in mail.outbox}


def test_lost_email_message_is_sent_again_by_the_outbox_dispatcher(org):
    enter_at(org, 4)
    open_advance(org)  # no commit: the messages never left
    waiting = Notification.objects.filter(email_sent_at__isnull=True, email_queued_at__isnull=False)
    assert waiting.exists()
    Notification.objects.update(email_queued_at=timezone.now() - timedelta(hours=1))
    mail.outbox.clear()
    counts = outbox_dispatch()
    assert counts[NOTIFICATIONS_OUTBOX.name] == waiting.count() or not waiting.exists()
    assert not Notification.objects.filter(
        email_sent_at__isnull=True, email_queued_at__isnull=False
    ).exists()
    assert mail.outbox
    # a second pass finds nothing to send, and a duplicate message sends no second mail
    sent = len(mail.outbox)
    assert outbox_dispatch()[NOTIFICATIONS_OUTBOX.name] == 0
    from notifications.tasks import send_notification_email

    assert send_notification_email(Notification.objects.first().pk) is False
    assert len(mail.outbox) == sent


def test_daily_digest_lists_requests_waiting_too_long_once_a_day(org, settings):
    settings.MLTRL_DIGEST_WAITING_HOURS = 24
    enter_at(org, 4)
    request = open_advance(org)
    assert digest_send() == 0  # not waiting long enough yet
    LevelChangeRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    assert digest_send() == 3
    digest = Notification.objects.get(user=org.prod, kind=NotificationKind.DIGEST)
    assert f"#{request.pk}" in digest.body
    assert digest_send() == 0  # once a day


def test_list_shows_only_my_notices_with_unread_count_and_settings_page(org, client):
    enter_at(org, 4)
    request = open_advance(org)
    mine = f"Request #{request.pk} "
    client.force_login(org.prod)
    page = client.get(reverse("notifications:list")).content.decode()
    assert mine in page
    assert 'class="bell"' in page and "unread" in page
    client.force_login(org.eng)
    assert mine not in client.get(reverse("notifications:list")).content.decode()
    client.post(reverse("notifications:mark_read"))
    assert Notification.objects.filter(user=org.prod, read_at__isnull=True).exists()
    client.force_login(org.prod)
    client.post(reverse("notifications:mark_read"))
    assert not Notification.objects.filter(user=org.prod, read_at__isnull=True).exists()
    response = client.post(reverse("notifications:settings"), {})
    assert response.status_code == 302
    assert NotificationSettings.objects.get(user=org.prod).email_enabled is False
    assert client.get(reverse("notifications:list")).status_code == 200
    client.logout()
    assert client.get(reverse("notifications:list")).status_code == 302


def test_a_run_the_worker_ends_tells_the_requester_what_failed(
    org, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from gates.models import CheckResult, CheckRun, CheckRunStatus
    from gates.run_lifecycle import run_finished_record

    enter_at(org, 4)
    request = open_advance(org)
    Notification.objects.all().delete()
    run = CheckRun.objects.create(
        project=request.project,
        request_id=request.pk,
        commit_sha=request.commit_sha,
        status=CheckRunStatus.SUCCEEDED,
    )
    for key, outcome in (("readme", "pass"), ("license", "fail"), ("tests", "error")):
        CheckResult.objects.create(run=run, check_key=key, outcome=outcome, message="-")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        run_finished_record(run.pk)
    notice = Notification.objects.get(kind=NotificationKind.CHECKS_FINISHED)
    assert notice.user == org.researcher
    assert notice.body == f"3 checks ran on commit {request.commit_sha[:10]}; 2 did not pass."
    assert f"/reviews/{request.pk}/" in notice.url

    # A run on another commit than the request's says nothing to anyone.
    other = CheckRun.objects.create(
        project=request.project, commit_sha="f" * 40, status=CheckRunStatus.FAILED
    )
    with transaction.atomic():
        run_finished_record(other.pk)
    assert Notification.objects.filter(kind=NotificationKind.CHECKS_FINISHED).count() == 1

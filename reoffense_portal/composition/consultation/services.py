"""The steps of a パブリックコメント: open a period (freezing the 案), publish the result, erase personal data.

Each step checks who may take it and writes one line of the staff log
(reoffense_portal.machinery.audit). Errors are for the user, in Japanese (ConsultationError).
"""

import datetime
import logging
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import task

from plans.models import FormulationStep, Plan
from reoffense_portal.composition.publishing.models import PlanVersion
from reoffense_portal.composition.publishing.snapshot import load_plan, plan_pages
from reoffense_portal.composition.summaries import typesetting
from reoffense_portal.composition.summaries.documents import static_roots, stylesheet_path
from reoffense_portal.machinery.audit import log_staff_action
from reoffense_portal.machinery.jobs.queue import enqueue
from reoffense_portal.machinery.text import visible

from .models import Comment, Commenter, CommentPeriod, ProposalPage

logger = logging.getLogger(__name__)

WHOLE_PLAN = "計画全体"
OTHER_SECTION = "その他"


class ConsultationError(Exception):
    """A step that cannot be taken; the message is for the user, in Japanese."""


def may_open(plan: Plan, user) -> bool:
    return plan.may_be_published_by(user) and user.has_perm("consultation.add_commentperiod")


def may_publish_result(period: CommentPeriod, user) -> bool:
    return period.plan.may_be_published_by(user) and user.has_perm("consultation.publish_commentresult")


def why_not_open(plan: Plan, *, published: bool | None = None, periods=None) -> str:
    """Why no period can be opened on the plan now, or "" when one can.

    `published` and `periods` (the plan's periods): what the caller has read already, to save its queries.
    """
    if published is None:
        published = PlanVersion.objects.released().filter(plan=plan).exists()
    if published:
        return "公開済みの計画には意見募集を開始できません。意見募集は、策定前の計画（案）について行います。"
    if periods is None:
        unfinished = CommentPeriod.objects.unfinished().filter(plan=plan).exists()
    else:
        unfinished = any(not period.result_published for period in periods)
    if unfinished:
        return "この計画には、結果をまだ公表していない意見募集があります。結果を公表してから次の意見募集を開始してください。"
    return ""


def sections_of(plan: Plan) -> list[str]:
    """The parts of the 案 a resident may comment on: the whole plan, each priority area, the rest."""
    areas = [f"重点施策{area.number} {area.title}" for area in plan.priority_areas.order_by("number")]
    return [WHOLE_PLAN, *areas, OTHER_SECTION]


@transaction.atomic
def open_period(period: CommentPeriod, user) -> CommentPeriod:
    """Save a new period and freeze the plan as it is now as the 案 residents will read.

    The pages are rendered by the same code as a published version (publishing.snapshot) and
    stored with the period, never as a version: no live list, open data, feed or sitemap sees them.
    """
    plan = Plan.objects.select_for_update().get(pk=period.plan_id)
    if not may_open(plan, user):
        raise ConsultationError("意見募集を開始できるのは、この自治体の公開責任者だけです。")
    reason = why_not_open(plan)
    if reason:
        raise ConsultationError(reason)
    if period.ends_on < timezone.localdate():
        raise ConsultationError("募集締切日が過ぎています。今日以降の日付にしてください。")
    loaded = load_plan(plan.pk)
    period.plan = plan
    period.proposal_title = visible(f"{plan.title}（案）")
    period.sections = sections_of(plan)
    period.opened_by, period.opened_at = user, timezone.now()
    period.save()
    ProposalPage.objects.bulk_create(
        ProposalPage(period=period, path=page.path, title=f"{page.title}（案）" if page.path == plan.get_absolute_url()
                     else page.title, description=page.description, breadcrumbs=page.breadcrumbs, content=page.content)
        for page in plan_pages(loaded, updated_on=period.starts_on, draft=False, proposal=True)
    )
    log_staff_action(user, "open_comment_period", period, municipality=plan.municipality_id,
                     starts_on=period.starts_on.isoformat(), ends_on=period.ends_on.isoformat())
    return period


def unanswered(period: CommentPeriod):
    """Comments no row of 「意見の概要と市の考え方」 covers yet."""
    return period.comments.filter(responses__isnull=True)


def result_context(period: CommentPeriod) -> dict:
    submitters, opinions = period.counts()
    return {
        "period": period,
        "plan": period.plan,
        "municipality": period.plan.municipality,
        "responses": period.responses.order_by("order"),
        "submitter_count": submitters,
        "opinion_count": opinions,
    }


@transaction.atomic
def publish_result(period: CommentPeriod, user) -> CommentPeriod:
    """Freeze 「意見の概要と市の考え方」 as the public result page and its PDF, and record the step in 策定経過.

    From now on the 案 is no longer shown; the result stays public at its own URL, and the adopted
    plan's page links it. The formulation step goes into the plan's working rows, so the next
    approved version prints it in its 策定経過.
    """
    period = CommentPeriod.objects.select_for_update().select_related("plan__municipality").get(pk=period.pk)
    if not may_publish_result(period, user):
        raise ConsultationError("結果を公表できるのは、この自治体の公開責任者だけです。")
    if period.result_published:
        raise ConsultationError("この意見募集の結果はすでに公表しています。")
    if not period.has_ended:
        raise ConsultationError(f"意見募集は{period.deadline_label}まで受け付けています。締切日の翌日以降に公表してください。")
    missing = list(unanswered(period).values_list("number", flat=True)[:10])
    if missing:
        numbers = "、".join(str(number) for number in missing)
        raise ConsultationError(
            f"「意見の概要と{period.view_heading}」に含まれていない意見があります（受付番号：{numbers}）。"
            "すべての意見について概要と考え方を作成してから公表してください。"
        )
    context = result_context(period)
    period.submitter_count, period.opinion_count = context["submitter_count"], context["opinion_count"]
    period.result_published_at, period.result_published_by = timezone.now(), user
    context["published_on"] = timezone.localdate(period.result_published_at)
    period.result_html = visible(render_to_string("consultation/_result.html", context))
    period.result_pdf_html = visible(render_to_string("pdf/comment_result.html", {
        **context, "document": {"title": f"{period.proposal_title}に対する意見の概要と{period.view_heading}",
                                "draft": False},
        "stylesheet_url": Path(stylesheet_path()).as_uri(),
    }))
    period.save()
    FormulationStep.objects.create(  # after the steps entered so far; staff may move it (順番)
        plan=period.plan, order=FormulationStep.next_order(period.plan), date=period.starts_on, end_date=period.ends_on, kind=FormulationStep.Kind.PUBLIC_COMMENT,
        description=f"パブリックコメント（意見募集）の実施（提出者{period.submitter_count}人、意見{period.opinion_count}件）",
    )
    enqueue(typeset_result, period.pk)
    log_staff_action(user, "publish_comment_result", period, municipality=period.plan.municipality_id,
                     submitters=period.submitter_count, opinions=period.opinion_count)
    return period


@task()
def typeset_result(period_pk: int) -> None:
    """The job worker typesets the published result's PDF once; a reader before then is asked to come back."""
    html = (CommentPeriod.objects.filter(pk=period_pk, result_pdf__isnull=True)
            .values_list("result_pdf_html", flat=True).first())
    if not html:
        return
    try:
        content = typesetting.render_pdf(html, static_roots=static_roots(), charts={},
                                         timeout=settings.PDF_RENDER_TIMEOUT)
    except typesetting.PdfRenderError as error:
        logger.error("Comment result PDF %s failed: %s", period_pk, error)
        return
    CommentPeriod.objects.filter(pk=period_pk, result_pdf__isnull=True).update(result_pdf=content)


def requeue_result_pdf(period: CommentPeriod) -> None:
    """A reader found no PDF yet: queue it again, at most once a minute (its job may have been lost)."""
    if cache.add(f"consultation:result-pdf:{period.pk}", 1, 60):
        enqueue(typeset_result, period.pk)


def erase_due_personal_data(now=None) -> list[CommentPeriod]:
    """Erase the names and addresses of commenters once the retention period after the result has passed."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.CONSULTATION_PERSONAL_DATA_RETENTION_DAYS)
    due = CommentPeriod.objects.filter(result_published_at__lte=cutoff, personal_data_erased_at__isnull=True)
    erased = []
    for period in due.select_related("plan"):
        with transaction.atomic():
            count, _ = Commenter.objects.filter(comment__period=period).delete()
            period.personal_data_erased_at = now
            period.save(update_fields=["personal_data_erased_at"])
        log_staff_action("scheduler", "erase_commenter_data", period, municipality=period.plan.municipality_id,
                         rows=count)
        erased.append(period)
    return erased


def receive(period: CommentPeriod, *, section: str, opinion: str, name: str = "", address: str = "",
            channel: str = Comment.Channel.WEB) -> Comment:
    """Store a comment, and its commenter's personal data apart, numbered in the order received."""
    with transaction.atomic():
        CommentPeriod.objects.select_for_update().filter(pk=period.pk).first()
        comment = Comment.objects.create(period=period, section=section, opinion=opinion, channel=channel,
                                         consents_to_publication=True)
        if name or address:
            Commenter.objects.create(comment=comment, name=name, address=address)
    return comment

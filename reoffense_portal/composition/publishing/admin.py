"""The approval flow in the admin: the 公開 panel of each plan's change form, and 「承認待ち」 on the admin index.

The panel is a mixin the plan's admin is composed with (reoffense_portal.composition.plan_admin), since
plans must not know about versions: it shows whether the plan is live, its unpublished changes, the
buttons of the flow the user may use, and the publication record (publishing/plan_panel.html).
"""

import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Subquery
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from . import workflow
from .models import ApprovalRequest, PlanVersion
from .rows import unpublished_changes


def parse_local_datetime(value: str) -> datetime.datetime | None:
    """「2027-04-01T09:00」 (a datetime-local field) in Japan's time; None when empty. Raises WorkflowError."""
    if not value.strip():
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        raise workflow.WorkflowError(
            f"日時「{value[:40]}」を読み取れません。「2027-04-01 09:00」の形で入力してください。"
        ) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class PublicationPanel:
    """The plan's 公開 panel and the steps of the flow (申請, 承認 or 差戻し, 公開終了) on a plan's admin.

    Its change list's column `publication_state` (公開状態) is read from the annotations of get_queryset.
    """

    panel = "publishing/plan_panel.html"

    def get_queryset(self, request):
        live = PlanVersion.objects.live().filter(plan=OuterRef("pk")).order_by("-live_from")
        return super().get_queryset(request).annotate(
            live_number=Subquery(live.values("number")[:1]),
            awaiting_approval=Exists(ApprovalRequest.objects.pending().filter(plan=OuterRef("pk"))),
        )

    @admin.display(description="公開状態")
    def publication_state(self, plan):
        state = f"公開中（第{plan.live_number}版）" if plan.live_number else "未公開"
        return f"{state}・承認待ち" if plan.awaiting_approval else state

    def get_urls(self):
        def view(function, name):
            return path(f"<path:object_id>/{name}/", self.admin_site.admin_view(function),
                        name=f"plans_plan_{name.replace('-', '_')}")

        return [
            view(self.submit_view, "submit"),
            view(self.decide_view, "decide"),
            view(self.end_view, "end-publication"),
            view(self.changes_view, "changes"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            pending = ApprovalRequest.objects.pending().filter(plan=obj).select_related("submitted_by").first()
            approval_job = pending.current_approval_job() if pending else None
            building = approval_job is not None and not approval_job.finished
            context.update({
                "approval_job": approval_job,
                "approval_building": building,
                "approval_failed": approval_job is not None and approval_job.status == approval_job.Status.FAILED,
                "live_version": PlanVersion.objects.current(obj),
                "scheduled_version": PlanVersion.objects.filter(plan=obj).scheduled().order_by("live_from").first(),
                "pending_request": pending,
                "may_publish": obj.may_be_published_by(request.user),
                "may_decide": pending is not None and not building and workflow.may_approve(pending, request.user),
                "may_send_back": pending is not None and not building and obj.may_be_published_by(request.user),
                "unpublished_change_count": len(unpublished_changes(obj)),
                "publication_events": obj.publication_events.select_related("user", "version")[:20],
            })
        return super().render_change_form(request, context, add, change, form_url, obj)

    # The steps of the flow: each a POST from the change form, each redirecting back to it with a message.

    def _step(self, request, object_id, step):
        """Run `step(plan)`, which returns what was done, or that and the page to go on to (a job's);
        a WorkflowError is the user's error message, on the plan's page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        plan = get_object_or_404(self.get_queryset(request), pk=object_id)
        next_url = reverse("admin:plans_plan_change", args=[plan.pk])
        try:
            done = step(plan)
        except workflow.WorkflowError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            message, next_url = done if isinstance(done, tuple) else (done, next_url)
            self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(next_url)

    def submit_view(self, request, object_id):
        def submit(plan):
            workflow.submit(plan, request.user, request.POST.get("comment", ""))
            return f"「{plan}」の承認を申請しました。公開責任者が承認すると公開されます。"

        return self._step(request, object_id, submit)

    def decide_view(self, request, object_id):
        def decide(plan):
            pending = ApprovalRequest.objects.pending().filter(plan=plan).first()
            if pending is None:
                raise workflow.WorkflowError("承認待ちの申請はありません。")
            reason = request.POST.get("reason", "")
            if request.POST.get("decision") == "send_back":
                workflow.send_back(pending, request.user, reason)
                return f"「{plan}」の承認申請を差し戻しました。"
            live_from = parse_local_datetime(request.POST.get("live_from", ""))
            job = workflow.start_approval(pending, request.user, live_from=live_from, comment=reason)
            when = (f"{workflow.when_label(live_from)}に公開します" if live_from and live_from > timezone.now()
                    else "できあがると公開します")
            return (f"「{plan}」を承認しました。公開版を作成しています。{when}。",
                    reverse("admin:jobs_job_progress", args=[job.pk]))

        return self._step(request, object_id, decide)

    def end_view(self, request, object_id):
        def end(plan):
            at = parse_local_datetime(request.POST.get("at", ""))
            workflow.end_publication(plan, request.user, at=at)
            if at and at > timezone.now():
                return f"「{plan}」は{workflow.when_label(at)}に公開を終了します。"
            return f"「{plan}」の公開を終了しました。住民には表示されません。"

        return self._step(request, object_id, end)

    def changes_view(self, request, object_id):
        plan = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_view_permission(request, plan):
            raise PermissionDenied
        return TemplateResponse(request, "admin/publishing/changes.html", {
            **self.admin_site.each_context(request),
            "title": f"{plan} の未公開の変更",
            "plan": plan,
            "opts": self.opts,
            "live_version": PlanVersion.objects.current(plan),
            "changes": unpublished_changes(plan),
        })


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    """承認申請の一覧: read-only; requests are made and decided on the plan's change form."""

    list_display = ["plan", "state", "submitted_by", "submitted_at", "decided_by", "decided_at"]
    list_filter = ["state"]
    search_fields = ["plan__title", "comment"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user).select_related("plan", "submitted_by",
                                                                                   "decided_by")

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff and request.user.has_perm("plans.view_plan")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_model_perms(self, request):
        return {"view": self.has_view_permission(request)}

"""パブリックコメント in the admin: opening a period, handling the comments, writing the answers, publishing the result.

Reached from the plan's change form (the 「パブリックコメント」 panel under 「公開」) and from the admin index.
Publishers open a period and publish its result; any staff of the municipality handles comments and
answers. Everything is scoped to the user's municipalities (plans.admin_scoping).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone

from reoffense_portal.machinery.scoping.admin import ScopedAdminMixin, ScopedModelForm, StaffHistoryAdmin
from reoffense_portal.machinery.scoping.querysets import scoped
from reoffense_portal.machinery.spreadsheets.admin import SpreadsheetAdminMixin

from . import services
from .models import OPINION_MAX_LENGTH, Comment, Commenter, CommentPeriod, CommentResponse
from .resources import CommentResource

# --- the plan's change form ---------------------------------------------------------------------


class CommentPeriodsPanel:
    """The plan's パブリックコメント panel: its comment periods and the button that opens one.

    Composed above PublicationPanel (reoffense_portal.composition.plan_admin), whose context it reuses.
    """

    panel = "consultation/plan_panel.html"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if obj is not None:
            # One query more than the 公開 panel: what that panel read already (live version, publisher) is reused.
            context = response.context_data
            periods = list(CommentPeriod.objects.filter(plan=obj).annotate(comment_count=Count("comments")))
            context.update({
                "comment_periods": periods,
                "may_open_period": context["may_publish"] and request.user.has_perm("consultation.add_commentperiod"),
                "open_period_blocked": services.why_not_open(
                    obj, published=True if context["live_version"] else None, periods=periods
                ),
            })
        return response


# --- periods ------------------------------------------------------------------------------------


class CommentPeriodForm(ScopedModelForm):
    user = None  # set by CommentPeriodAdmin.get_form

    class Meta:
        model = CommentPeriod
        fields = ["plan", "starts_on", "ends_on", "document", "explanation", "rules", "ask_name", "ask_address"]

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on") or self.instance.starts_on, data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "募集締切日は募集開始日以降にしてください。")
        if ends_on and "ends_on" in self.changed_data and ends_on < timezone.localdate():
            self.add_error("ends_on", "募集締切日が過ぎています。今日以降の日付にしてください。")
        plan = data.get("plan")
        if self.instance.pk is None and plan is not None:
            if not services.may_open(plan, self.user):
                self.add_error("plan", "意見募集を開始できるのは、この自治体の公開責任者だけです。")
            elif reason := services.why_not_open(plan):
                self.add_error("plan", reason)
        return data


class PeriodStateFilter(admin.SimpleListFilter):
    title = "状態"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("accepting", "募集中"), ("closed", "締切後・結果の公表前"), ("published", "結果を公表済み")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "accepting":
            return queryset.filter(starts_on__lte=today, ends_on__gte=today, result_published_at__isnull=True)
        if self.value() == "closed":
            return queryset.filter(ends_on__lt=today, result_published_at__isnull=True)
        if self.value() == "published":
            return queryset.filter(result_published_at__isnull=False)
        return queryset


@admin.register(CommentPeriod)
class CommentPeriodAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = CommentPeriodForm
    list_display = ["__str__", "plan", "starts_on", "ends_on", "state", "comment_count"]
    list_filter = [PeriodStateFilter, "plan__municipality", "plan"]
    search_fields = ["proposal_title", "plan__title"]
    autocomplete_fields = ["plan"]
    change_form_template = "admin/consultation/commentperiod/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("plan__municipality").annotate(
            comment_count=Count("comments")
        ).defer("result_pdf", "result_pdf_html", "result_html").order_by("-starts_on", "-pk")

    @admin.display(description="意見の数（通）", ordering="comment_count")
    def comment_count(self, period):
        return period.comment_count

    @admin.display(description="状態")
    def state(self, period):
        if period.result_published:
            return "結果を公表済み"
        if not period.has_started():
            return "募集開始前"
        return "募集中" if period.accepts_comments() else "締切後・結果の公表前"

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user
        return form

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # The 案 was frozen when the period opened: only the deadline may move (延長), until the result.
        frozen = ["plan", "starts_on", "document", "explanation", "rules", "ask_name", "ask_address"]
        return frozen + ["ends_on"] if obj.result_published else frozen

    def has_add_permission(self, request):
        return request.user.has_perm("consultation.add_commentperiod")

    def has_change_permission(self, request, obj=None):
        if obj is not None and (obj.result_published or not obj.plan.may_be_published_by(request.user)):
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            services.open_period(obj, request.user)
        except services.ConsultationError as error:  # the form checked the same; a race is the rest
            raise PermissionDenied(str(error)) from error

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(request, f"「{obj.proposal_title}」の意見募集を開始しました（{obj.period_label}）。"
                                   "募集開始日から、計画の公開ページに案と意見の送信フォームを表示します。", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:consultation_commentperiod_change", args=[obj.pk]))

    def get_urls(self):
        return [
            path("<path:object_id>/publish-result/", self.admin_site.admin_view(self.publish_result_view),
                 name="consultation_commentperiod_publish_result"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update({
                "period": obj,
                "unanswered_count": services.unanswered(obj).count(),
                "response_count": obj.responses.count(),
                "may_publish_result": services.may_publish_result(obj, request.user),
            })
        return super().render_change_form(request, context, add, change, form_url, obj)

    def publish_result_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        period = get_object_or_404(self.get_queryset(request), pk=object_id)
        try:
            services.publish_result(period, request.user)
            self.message_user(request, f"「{period.proposal_title}」の意見募集の結果を公表しました。"
                                       "策定経過にも記録しました（次の承認で計画のページに載ります）。", messages.SUCCESS)
        except services.ConsultationError as error:
            self.message_user(request, str(error), messages.ERROR)
        return HttpResponseRedirect(reverse("admin:consultation_commentperiod_change", args=[period.pk]))


# --- comments -----------------------------------------------------------------------------------


class CommentForm(ScopedModelForm):
    """A comment with its commenter's name and address, which are stored apart (Commenter)."""

    commenter_name = forms.CharField(label="氏名（団体名）", max_length=100, required=False)
    commenter_address = forms.CharField(label="住所（所在地）", max_length=200, required=False)

    class Meta:
        model = Comment
        fields = ["period", "received_at", "channel", "section", "opinion", "consents_to_publication",
                  "opinion_count", "staff_note"]
        widgets = {"opinion": forms.Textarea(attrs={"maxlength": OPINION_MAX_LENGTH, "rows": 8})}
        error_messages = {"opinion": {"max_length": f"意見は{OPINION_MAX_LENGTH:,}文字以内で入力してください（現在%(show_value)d文字）。"}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        commenter = getattr(self.instance, "commenter", None) if self.instance.pk else None
        if commenter is not None:
            self.initial.setdefault("commenter_name", commenter.name)
            self.initial.setdefault("commenter_address", commenter.address)

    def clean(self):
        data = super().clean()
        period = data.get("period") or (self.instance.period if self.instance.period_id else None)
        if period is not None and period.result_published:
            raise forms.ValidationError("結果を公表した意見募集です。意見を追加・変更することはできません。")
        return data

    def save_commenter(self, comment: Comment) -> None:
        name, address = self.cleaned_data.get("commenter_name", ""), self.cleaned_data.get("commenter_address", "")
        if name or address:
            Commenter.objects.update_or_create(comment=comment, defaults={"name": name, "address": address})
        else:
            Commenter.objects.filter(comment=comment).delete()


class AnsweredFilter(admin.SimpleListFilter):
    title = "意見の概要と考え方"
    parameter_name = "answered"

    def lookups(self, request, model_admin):
        return [("no", "未作成"), ("yes", "作成済み")]

    def queryset(self, request, queryset):
        answered = Exists(CommentResponse.comments.through.objects.filter(comment=OuterRef("pk")))
        if self.value() == "no":
            return queryset.filter(~answered)
        if self.value() == "yes":
            return queryset.filter(answered)
        return queryset


class SectionFilter(admin.SimpleListFilter):
    """The parts of the 案 the user's own comments point to (never another city's area names)."""

    title = "意見の対象"
    parameter_name = "section"

    def lookups(self, request, model_admin):
        sections = model_admin.get_queryset(request).order_by("section").values_list("section", flat=True).distinct()
        return [(section, section) for section in sections]

    def queryset(self, request, queryset):
        return queryset.filter(section=self.value()) if self.value() else queryset


@admin.register(Comment)
class CommentAdmin(SpreadsheetAdminMixin, StaffHistoryAdmin):
    """寄せられた意見: listed, filtered and exported by the municipality's staff; the commenter seen only here."""

    form = CommentForm
    resource_classes = [CommentResource]
    list_display = ["number", "period", "received_at", "channel", "section", "opinion_excerpt", "opinion_count",
                    "response_numbers"]
    list_display_links = ["number", "opinion_excerpt"]
    list_filter = ["period__plan__municipality", "period", AnsweredFilter, SectionFilter, "channel"]
    search_fields = ["opinion", "section"]
    autocomplete_fields = ["period"]
    fieldsets = [
        (None, {"fields": ["period", "received_at", "channel", "section", "opinion", "consents_to_publication",
                           "opinion_count", "staff_note"]}),
        ("提出者（この自治体の職員だけが見られます。公表も書き出しもしません）", {
            "fields": ["commenter_name", "commenter_address"],
            "description": "結果の公表から保存期間が過ぎると自動的に消去します。",
        }),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("period").prefetch_related("responses")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.channel == Comment.Channel.WEB:  # what a resident sent through the form stays as sent
            return ["period", "received_at", "channel", "section", "opinion", "consents_to_publication"]
        return ["period"]

    @admin.display(description="意見")
    def opinion_excerpt(self, comment):
        return comment.opinion if len(comment.opinion) <= 60 else f"{comment.opinion[:60]}…"

    @admin.display(description="概要と考え方の番号")
    def response_numbers(self, comment):
        return "、".join(str(response.order) for response in comment.responses.all()) or "未作成"

    def has_import_permission(self, request):
        return False  # comments arrive through the form, or are typed in one by one

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        form.save_commenter(obj)


# --- answers ------------------------------------------------------------------------------------


class CommentResponseForm(ScopedModelForm):
    class Meta:
        model = CommentResponse
        fields = ["period", "order", "section", "summary", "city_view", "reflection", "comments"]
        widgets = {"comments": forms.CheckboxSelectMultiple}

    def clean(self):
        data = super().clean()
        period, comments = data.get("period"), data.get("comments")
        if period is not None and comments:
            others = [comment for comment in comments if comment.period_id != period.pk]
            if others:
                self.add_error("comments", "対象の意見は、選んだ意見募集に寄せられた意見から選んでください。")
        if period is not None and period.result_published:
            self.add_error("period", "結果を公表した意見募集です。意見の概要と考え方は変更できません。")
        return data


@admin.register(CommentResponse)
class CommentResponseAdmin(StaffHistoryAdmin):
    """意見の概要と市の考え方: one row per comment or group of comments, with whether the plan changed."""

    form = CommentResponseForm
    list_display = ["order", "period", "section", "summary", "reflection", "comment_numbers"]
    list_filter = ["period__plan__municipality", "period", "reflection"]
    search_fields = ["summary", "city_view", "section"]
    autocomplete_fields = ["period"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("period").prefetch_related("comments")

    @admin.display(description="対象の意見（受付番号）")
    def comment_numbers(self, response):
        return "、".join(str(comment.number) for comment in response.comments.all())

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "comments":
            comments = scoped(Comment.objects.select_related("period"), request.user)
            period_id = self._period_id(request)
            if period_id:
                comments = comments.filter(period_id=period_id)
            kwargs["queryset"] = comments.order_by("period", "number")
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "comments" and formfield is not None:
            formfield.label_from_instance = lambda comment: (
                f"受付番号{comment.number}（{comment.section}）：{comment.opinion[:50]}"
            )
        return formfield

    def _period_id(self, request):
        """The period of the response being edited, or the one chosen for a new response (?period=…)."""
        match = request.resolver_match
        object_id = match.kwargs.get("object_id") if match else None
        if object_id:
            return CommentResponse.objects.filter(pk=object_id).values_list("period_id", flat=True).first()
        value = request.GET.get("period") or request.POST.get("period")
        return int(value) if value and value.isdigit() else None

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.period.result_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.period.result_published:
            return False
        return super().has_delete_permission(request, obj)

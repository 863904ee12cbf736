"""The three-question page survey residents answer at the foot of each page.

Rate limiting is a counter in Django's cache per client address and window
rather than a library: the survey is the only form residents post, it needs
one fixed rule, and the counter shares the cache the site already uses (a
shared cache such as Redis makes the limit hold across server processes).
"""

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.utils.http import url_has_allowed_host_and_scheme

from reoffense_portal.text import PlainTextFormMixin

from .models import Feedback, Municipality, Plan

RATE_LIMIT = 5  # submissions …
RATE_WINDOW = 10 * 60  # … per client address in ten minutes
HONEYPOT_FIELD = "homepage"


def client_address(request) -> str:
    """The resident's address: behind a reverse proxy, the header that proxy sets (CLIENT_IP_HEADER)."""
    if settings.CLIENT_IP_HEADER:
        forwarded = request.META.get(settings.CLIENT_IP_HEADER, "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


def over_rate_limit(request, scope="feedback-rate", limit=RATE_LIMIT, window=RATE_WINDOW) -> bool:
    """Count this submission; True once the address has sent more than `limit` within `scope` in the window.

    A counter in Django's cache: a shared cache (REDIS_URL) makes it hold across server processes.
    """
    key = f"{scope}:{client_address(request)}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # the counter expired between add and incr
        cache.set(key, 1, window)
        count = 1
    return count > limit


def is_local_path(path: str) -> bool:
    return path.startswith("/") and url_has_allowed_host_and_scheme(path, allowed_hosts=None)


class FeedbackForm(PlainTextFormMixin, forms.ModelForm):
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.all(),
        to_field_name="code",
        widget=forms.HiddenInput,
        error_messages={
            "required": "ご意見の送り先が分かりません。ページを読み込み直してから送信してください。",
            "invalid_choice": "ご意見の送り先が分かりません。ページを読み込み直してから送信してください。",
        },
    )
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.all(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "このページの計画は公開されていません。"},
    )
    page_path = forms.CharField(max_length=200, widget=forms.HiddenInput)
    page_title = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)
    # Hidden from people by CSS; form-filling robots fill it in and are ignored.
    homepage = forms.CharField(required=False, label="この欄には何も入力しないでください")

    class Meta:
        model = Feedback
        fields = ["municipality", "plan", "page_path", "page_title", "sufficiency", "clarity", "findability", "comment"]
        widgets = {
            "sufficiency": forms.RadioSelect,
            "clarity": forms.RadioSelect,
            "findability": forms.RadioSelect,
            "comment": forms.Textarea(attrs={"rows": 4, "maxlength": Feedback.COMMENT_MAX_LENGTH}),
        }
        labels = {"comment": "良かった点や悪かった点を具体的にお聞かせください。"}
        help_texts = {"comment": f"{Feedback.COMMENT_MAX_LENGTH}文字以内。個人情報（氏名、住所、電話番号など）は書かないでください。"}
        error_messages = {
            field: {"invalid_choice": "選択肢の中から選んでください。"}
            for field in ("sufficiency", "clarity", "findability")
        } | {
            "comment": {
                "max_length": f"ご意見は{Feedback.COMMENT_MAX_LENGTH}文字以内で入力してください（現在%(show_value)d文字）。"
            }
        }

    def __init__(self, *args, public_plans=None, **kwargs):
        """`public_plans`: the plans residents may comment on (the public site passes those with a live version)."""
        super().__init__(*args, **kwargs)
        if public_plans is not None:
            self.fields["plan"].queryset = public_plans
        for name in ("sufficiency", "clarity", "findability"):
            self.fields[name].choices = self.fields[name].choices[1:]  # no empty “---------” radio

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get(HONEYPOT_FIELD))

    def clean_page_path(self):
        path = self.cleaned_data["page_path"]
        if not is_local_path(path):
            raise forms.ValidationError("ページのURLが正しくありません。ページを読み込み直してから送信してください。")
        return path

    def clean_comment(self):
        return self.cleaned_data["comment"].strip()

    def clean(self):
        data = super().clean()
        municipality, plan = data.get("municipality"), data.get("plan")
        if municipality and plan and plan.municipality_id != municipality.code:
            raise forms.ValidationError("ご意見の送り先が正しくありません。ページを読み込み直してから送信してください。")
        answers = [data.get(name) for name in ("sufficiency", "clarity", "findability", "comment")]
        if not any(answers) and not self.errors:
            raise forms.ValidationError("質問のいずれかにお答えいただくか、ご意見をご記入ください。")
        return data

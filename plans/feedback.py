"""The three-question page survey residents answer at the foot of each page.

Its rate limits (reoffense_portal.machinery.limits, counted in the database every server process shares):

- ANSWERS: 5 stored answers per address in ten minutes. Only answers that are stored count: a post
  refused for a mistake costs nothing, so a resident who has to correct a form keeps the quota, and
  nobody's bad posts use up anyone else's (the address is the resident's own, never the proxy's).
- POSTS: 30 posts of any kind per address in ten minutes, so refused and robots' posts cannot go on
  without end either. Only a program reaches it.
"""

from django import forms
from django.utils.http import url_has_allowed_host_and_scheme

from reoffense_portal.machinery.limits.counters import RateLimit
from reoffense_portal.machinery.text import PlainTextFormMixin

from .models import Feedback, Municipality, Plan

ANSWERS = RateLimit("feedback", limit=5, window=10 * 60)
POSTS = RateLimit("feedback-posts", limit=30, window=10 * 60)
HONEYPOT_FIELD = "homepage"


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

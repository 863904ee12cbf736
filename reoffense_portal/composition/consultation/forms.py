"""The comment form residents fill in on the 案's page, with its rate limits.

As the page survey's (plans.feedback): COMMENTS counts only comments that are received, 5 per address
and period in ten minutes, so that a resident correcting a refused form keeps the quota and nobody's
bad posts block another resident; POSTS counts every post, 30 in ten minutes, so that none go on
without end. Both count in the database every server process shares (reoffense_portal.machinery.limits).
"""

from django import forms

from plans.feedback import HONEYPOT_FIELD
from reoffense_portal.machinery.limits.counters import RateLimit
from reoffense_portal.machinery.text import PlainTextFormMixin

from .models import OPINION_MAX_LENGTH, CommentPeriod

COMMENTS = RateLimit("comments", limit=5, window=10 * 60)  # per client address and period
POSTS = RateLimit("comment-posts", limit=30, window=10 * 60)


class CommentForm(PlainTextFormMixin, forms.Form):
    name = forms.CharField(label="氏名（団体の場合は団体名）", max_length=100, required=False,
                           error_messages={"max_length": "氏名は100文字以内で入力してください。",
                                           "required": "氏名を入力してください。"})
    address = forms.CharField(label="住所（団体の場合は所在地）", max_length=200, required=False,
                              error_messages={"max_length": "住所は200文字以内で入力してください。",
                                              "required": "住所を入力してください。"})
    section = forms.ChoiceField(label="意見の対象（案のどの部分についてのご意見か）",
                                error_messages={"required": "意見の対象を選んでください。",
                                                "invalid_choice": "意見の対象は選択肢の中から選んでください。"})
    opinion = forms.CharField(
        label="ご意見", widget=forms.Textarea(attrs={"rows": 8, "maxlength": OPINION_MAX_LENGTH}),
        help_text=f"{OPINION_MAX_LENGTH:,}文字以内。",
        error_messages={"required": "ご意見を入力してください。",
                        "max_length": f"ご意見は{OPINION_MAX_LENGTH:,}文字以内で入力してください（現在%(show_value)d文字）。"},
        max_length=OPINION_MAX_LENGTH,
    )
    consent = forms.BooleanField(
        label="ご意見の概要を、氏名・住所を除いて公表することに同意します。",
        error_messages={"required": "ご意見の概要の公表に同意いただける場合に受け付けます。同意の欄にチェックを入れてください。"},
    )
    # Hidden from people by CSS; form-filling robots fill it in and are ignored.
    homepage = forms.CharField(required=False, label="この欄には何も入力しないでください")

    def __init__(self, *args, period: CommentPeriod, **kwargs):
        super().__init__(*args, **kwargs)
        self.period = period
        self.fields["section"].choices = [("", "選んでください"), *((s, s) for s in period.sections)]
        for name, ask in (("name", period.ask_name), ("address", period.ask_address)):
            if ask == CommentPeriod.Ask.NOT_ASKED:
                del self.fields[name]
            else:
                self.fields[name].required = ask == CommentPeriod.Ask.REQUIRED
                if not self.fields[name].required:
                    self.fields[name].label += "（任意）"

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get(HONEYPOT_FIELD))

    def clean_opinion(self):
        opinion = self.cleaned_data["opinion"].strip()
        if not opinion:
            raise forms.ValidationError("ご意見を入力してください。")
        return opinion

"""The staff export of a period's comments (CSV/XLSX, the project's spreadsheet format), without personal data.

Names and addresses never leave the admin in a file: the export is what staff
share while drafting 「意見の概要と市の考え方」, and it outlives the erasure of
the personal data.
"""

from django.utils import timezone
from import_export.fields import Field

from reoffense_portal.machinery.spreadsheets.resources import PortalResource, column
from reoffense_portal.machinery.spreadsheets.widgets import ChoiceWidget, IntegerWidget, TextWidget

from .models import Comment


class ResponseNumbersWidget(TextWidget):
    def render(self, value, obj=None, **kwargs):
        return "、".join(str(response.order) for response in value.all()) if value is not None else ""


class ReceivedWidget(TextWidget):
    def render(self, value, obj=None, **kwargs):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


class CommentResource(PortalResource):
    display_name = "寄せられた意見"

    municipality = column("period__plan__municipality__code", "団体コード")
    period = column("period__proposal_title", "案の名称")
    number = column("number", "受付番号", IntegerWidget(maximum=10**9))
    received_at = column("received_at", "受付日時", ReceivedWidget())
    channel = column("channel", "提出方法", ChoiceWidget(Comment.Channel.choices))
    section = column("section", "意見の対象")
    opinion = column("opinion", "意見")
    opinion_count = column("opinion_count", "意見の数", IntegerWidget(maximum=999))
    responses = Field(attribute="responses", column_name="概要と考え方の番号", widget=ResponseNumbersWidget())
    staff_note = column("staff_note", "職員用メモ")

    class Meta(PortalResource.Meta):
        model = Comment
        fields = ("municipality", "period", "number", "received_at", "channel", "section", "opinion", "opinion_count", "responses",
                  "staff_note")
        export_order = fields

    def export_queryset(self, queryset):
        return queryset.select_related("period__plan").prefetch_related("responses").order_by("period", "number")

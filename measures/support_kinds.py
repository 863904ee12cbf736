"""The Ministry's kinds of direct support, as its document lists them: the rows a new database starts with."""

from django.db import transaction

# 法務省「地域再犯防止推進事業について」: R7取組内容 (団体数（重複計上）) and 取組内容別 支援実績（R6）, in its order.
# (code, 区分, 取組内容 as the Ministry writes it, its support counted, offered for new choices, 例・注記)
MINISTRY_KINDS = [
    ("employment", "就労・住居支援", "就労支援", True, True, "ex.保護観察を終了した者等への就職活動支援等"),
    ("employment_direct", "就労・住居支援", "就労支援（直接雇用）", True, True, "支援実績（R6）で就労支援と別に示されている区分"),
    ("housing", "就労・住居支援", "居住支援", True, True, "ex.見守り保証つき家賃債務保証への補助"),
    ("drugs", "専門的支援", "専門的支援（薬物事犯者への支援）", True, True, ""),
    ("sexual_offences", "専門的支援", "専門的支援（性犯罪者への支援）", True, True, ""),
    ("lawyer", "専門的支援", "専門的支援（よりそい／寄り添い弁護士）", True, True, ""),
    ("consultation_settlement_centre", "相談支援", "相談支援（地域生活定着支援センター受託団体に委託）", True, True, ""),
    ("consultation_hogoshi", "相談支援", "相談支援（保護司会に委託）", True, True, ""),
    ("consultation_other_body", "相談支援", "相談支援（その他の団体に委託）", True, True, ""),
    ("consultation_own", "相談支援", "相談支援（各都道府県が自前で実施）", True, True, ""),
    ("consultation_welfare_link", "相談支援", "相談支援（福祉サービスへのつなぎ支援）", False, True,
     "リーフレット等の作成・配布。支援件数の計上から除外"),
    ("consultation_supporters", "相談支援", "相談支援（支援者支援）", True, True, ""),
    # The portal's former 「相談支援」 without the Ministry's sub-kind: kept on the programmes that had it.
    ("consultation", "相談支援", "相談支援（内訳未選択）", True, False,
     "法務省の区分（委託先等）を選ぶ前に登録された相談支援。新しくは選べません"),
]


def write_ministry_kinds(sender, apps=None, using="default", **kwargs):
    """After migrate, and after the flush that ends a transactional test, an empty list is the Ministry's again.

    A list that holds any row is the site's own (a superuser may have revised it) and is left as it is."""
    try:
        SupportKind = (apps or sender.apps).get_model("measures", "SupportKind")
    except LookupError:  # migrating to a state before the kinds existed
        return
    with transaction.atomic(using=using):
        if SupportKind.objects.using(using).exists():
            return
        SupportKind.objects.using(using).bulk_create(
            SupportKind(code=code, group=group, name=name, counts_support=counts, selectable=selectable,
                        note=note, order=order)
            for order, (code, group, name, counts, selectable, note) in enumerate(MINISTRY_KINDS, start=1)
        )

"""Site search over what is live: a bigram index of each version's public text, written at approval.

Japanese has no spaces between words, and the words residents look for are often two characters
(就労, 住居, 福祉, 保護). A morphological analyser needs a dictionary download; a trigram index
(SQLite FTS5's trigram tokenizer, PostgreSQL's pg_trgm) cannot look up a word shorter than three
characters. So every passage (`SearchEntry`) is cut into its pairs of adjacent characters
(`SearchGram`), the same tables on SQLite and PostgreSQL: a word is looked up by its pairs through the
index, then checked as a whole in the few passages holding them all (「就労支援」 needs 就労, 労支 and
支援, then the string itself). A word of one character is refused with a message.

Entries are written with the version (snapshot.build_version) from the rows it freezes, and found only
through live versions: a draft is never searched, and a new version's entries replace the old ones the
moment it goes live (the old are deleted once their version has ended).
"""

import unicodedata
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from reoffense_portal.machinery.text import visible

from .models import PlanVersion, SearchEntry, SearchGram

MIN_TERM = 2
MAX_QUERY = 100
MAX_TERMS = 5
EXCERPT = 60  # characters either side of the first match


def fold(text: str) -> str:
    """Text as it is matched: NFKC (全角英数 → 半角, 半角カナ → 全角), case-folded."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def grams(folded: str) -> set[str]:
    """Every pair of adjacent characters, without whitespace."""
    return {folded[i:i + 2] for i in range(len(folded) - 1) if not any(c.isspace() for c in folded[i:i + 2])}


class QueryError(ValueError):
    """A query search cannot run, with the Japanese message the page shows."""


def terms(query: str) -> list[str]:
    """The words of a query (split at spaces, full-width included), each at least two characters."""
    words = fold(query).split()
    if not words:
        raise QueryError("検索する言葉を入力してください。")
    if len(query) > MAX_QUERY:
        raise QueryError(f"検索する言葉は{MAX_QUERY}文字以内で入力してください。")
    if any(len(word) < MIN_TERM for word in words):
        raise QueryError(f"検索する言葉は{MIN_TERM}文字以上で入力してください（例：就労、住居）。")
    return list(dict.fromkeys(words))[:MAX_TERMS]


def search(query: str):
    """Entries of live versions holding every word of `query`, by municipality and reading order (QueryError)."""
    words = terms(query)
    entries = SearchEntry.objects.filter(version__in=PlanVersion.objects.live())
    for gram in sorted(set().union(*(grams(word) for word in words))):
        entries = entries.filter(pk__in=SearchGram.objects.filter(gram=gram).values("entry_id"))
    for word in words:
        entries = entries.filter(folded__contains=word)
    return (entries.select_related("version__municipality").defer("version__rows", "version__card", "folded")
            .order_by("version__municipality__code", "version__plan_id", "order"))


def excerpt(text: str, query: str) -> str:
    """The passage around the first word found, every word marked (<mark>), as safe HTML."""
    words = fold(query).split()
    # Fold character by character, so that a place in the folded text is a place in the text.
    places, pieces = [], []
    for position, char in enumerate(text):
        piece = fold(char)
        pieces.append(piece)
        places.extend([position] * len(piece))
    folded = "".join(pieces)
    spans = sorted({(places[at], places[at + len(word) - 1] + 1) for at, word in _occurrences(folded, words)})
    first = spans[0][0] if spans else 0
    start, end = max(first - EXCERPT, 0), min(first + EXCERPT, len(text))
    parts, cursor = ["…" if start else ""], start
    for span_start, span_end in spans:
        if span_start < cursor or span_end > end:
            continue
        parts += [escape(text[cursor:span_start]), "<mark>", escape(text[span_start:span_end]), "</mark>"]
        cursor = span_end
    parts += [escape(text[cursor:end]), "…" if end < len(text) else ""]
    return mark_safe("".join(parts))  # every piece of the text is escaped


def _occurrences(folded: str, words: list[str]):
    for word in words:
        at = folded.find(word)
        while at >= 0:
            yield at, word
            at = folded.find(word, at + len(word))


# --------------------------------------------------------------------------- the index, written at approval


@dataclass
class Passage:
    kind: str
    title: str
    url: str
    text: str


def _join(*parts) -> str:
    return "\n".join(part for part in parts if part)


def _plan_passages(plan) -> list[Passage]:
    url = plan.get_absolute_url()
    sections = [
        ("outline", "計画の概要", _join(plan.position, plan.embedded_in, plan.period_full_label)),
        ("purpose", "計画の目的と対象者", _join(plan.purpose, plan.target_persons)),
        ("situation", "現状と課題", _join(plan.current_situation, *(c.text for c in plan.challenges.all()))),
        ("philosophy", "基本理念と基本方針", _join(plan.basic_philosophy, plan.basic_policy)),
        ("system", "推進体制と進捗管理", _join(plan.promotion_system, plan.progress_management)),
        ("history", "策定経過", _join(*(f"{s.date_label} {s.description}" for s in plan.formulation_steps.all()))),
    ]
    passages = [Passage(SearchEntry.Kind.PLAN, plan.title, url, plan.title)]
    passages += [Passage(SearchEntry.Kind.PLAN, f"{plan.title}　{heading}", f"{url}#{anchor}", text)
                 for anchor, heading, text in sections if text]
    return passages


def _structure_passages(plan) -> list[Passage]:
    url = plan.get_absolute_url()
    passages = []
    for area in plan.area_list:
        passages.append(Passage(SearchEntry.Kind.AREA, f"{area.number} {area.title}", f"{url}#area-{area.pk}",
                                _join(area.title, area.description)))
        for measure in area.measure_list:
            passages.append(Passage(SearchEntry.Kind.MEASURE, measure.heading, f"{url}#measure-{measure.pk}",
                                    _join(measure.heading, measure.description)))
        for section in area.section_list:
            for program in section.program_list:
                who = "、".join(p.name for p in [*program.department_list, *program.partner_list])
                passages.append(Passage(SearchEntry.Kind.PROGRAM, program.name, f"{url}#program-{program.pk}",
                                        _join(program.name, program.description, who)))
    for indicator in [*plan.targets, *plan.statistics]:
        passages.append(Passage(
            SearchEntry.Kind.INDICATOR, indicator.name, f"{url}#indicator-{indicator.pk}",
            _join(indicator.name, indicator.target_text, indicator.source, indicator.note),
        ))
    return passages


def _year_passages(plan) -> list[Passage]:
    passages = []
    for year in plan.years:
        for area in year.areas:
            for _measure, rows in area.measures:
                for row in rows:
                    if row.progress and row.progress.results:
                        passages.append(Passage(
                            SearchEntry.Kind.PROGRESS, f"{row.program.name}（{year.label}の実施状況）",
                            f"{year.path}#year-area-{area.area.pk}", _join(row.program.name, row.progress.results),
                        ))
    return passages


def _council_passages(plan) -> list[Passage]:
    passages = []
    for council in plan.council_list:
        members = "、".join(member.organization.name for member in council.members.all())
        passages.append(Passage(SearchEntry.Kind.COUNCIL, council.name, council.get_absolute_url(),
                                _join(council.name, council.purpose, members)))
        for meeting in council.meeting_list:
            items = [_join(item.title, item.description) for item in meeting.agenda_items.all()]
            passages.append(Passage(SearchEntry.Kind.MEETING, meeting.title, meeting.get_absolute_url(),
                                    _join(meeting.title, meeting.when_label, meeting.venue, *items, meeting.minutes)))
    return passages


def passages(plan) -> list[Passage]:
    """What the version's pages show, passage by passage, from a plan loaded by snapshot.load_plan."""
    return [*_plan_passages(plan), *_structure_passages(plan), *_year_passages(plan), *_council_passages(plan)]


def index_version(version: PlanVersion, plan) -> int:
    """Write the version's entries and their bigrams; drop the entries of versions that will never be live again."""
    ended = SearchEntry.objects.filter(Q(version__plan_id=version.plan_id) & Q(version__live_until__lte=timezone.now()))
    # Two statements, whatever the number of rows: the index keeps no history, and no handler of a deletion
    # needs its rows (Django's delete() would fetch them to send its signals, in batches).
    SearchGram.objects.filter(entry__in=ended.values("pk"))._raw_delete(SearchGram.objects.db)
    ended._raw_delete(SearchEntry.objects.db)
    entries = []
    for order, passage in enumerate(passages(plan), start=1):
        title, text = visible(passage.title)[:400], visible(passage.text)
        entries.append(SearchEntry(version=version, order=order, kind=passage.kind, title=title, url=passage.url,
                                   text=text, folded=fold(f"{title}\n{text}")))
    SearchEntry.objects.bulk_create(entries)
    SearchGram.objects.bulk_create(
        (SearchGram(entry=entry, gram=gram) for entry in entries for gram in grams(entry.folded)), batch_size=5000
    )
    return len(entries)

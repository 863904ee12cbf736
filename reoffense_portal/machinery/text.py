"""Text as people typed it, without invisible control characters.

Whatever staff forms, imported spreadsheets, the approval steps and the
residents' page survey and comment form store passes through `plain_text`:
the C0 and C1 control characters (BEL, ESC, backspace, DEL …) and the
bidirectional embeddings, overrides and isolates (U+202A–U+202E,
U+2066–U+2069) are removed. None of them belongs in a plan's text, and on a
public page or in a spreadsheet they make text show differently from what is
stored: 「請求書」 + RIGHT-TO-LEFT OVERRIDE + 「fdp.exe」 shows as 「請求書exe.pdf」.
Where several lines are allowed (a text area, a model's TextField) line breaks
become "\\n" and tabs stay; a one-line value (a title, a name) keeps neither.

What residents read is frozen through `visible` as well (pages, open data,
PDFs' sources), so rows saved before this cleaning existed never show theirs.
"""

import re
import unicodedata

from django import forms

INVISIBLE_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
LINE_BREAKS_AND_TABS = re.compile("[\t\n]")
# In rendered output: the same, but tab, line feed and carriage return stay (HTML's whitespace, CSV's line ends).
RENDERED_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# The marks that begin an item as plans write them (○ for a heading item, ・ for the points under it, …);
# a hyphen only when it is not a minus sign (「-2.5%」).
ITEM_MARK = re.compile(r"[・○◯●◎■□◆◇•]|[-‐－](?![\d０-９])")


def plain_text(text: str, multiline: bool = True) -> str:
    """`text` without control characters; with `multiline`, "\\n" line breaks and tabs kept."""
    text = INVISIBLE_CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text if multiline else LINE_BREAKS_AND_TABS.sub("", text)


def visible(value):
    """Rendered output (text, UTF-8 bytes, and lists and dicts of them) without invisible controls."""
    if isinstance(value, str):
        return RENDERED_CONTROLS.sub("", value)
    if isinstance(value, (bytes, memoryview)):
        try:
            return visible(bytes(value).decode()).encode()
        except UnicodeDecodeError:  # not text (a PDF): nothing to show differently
            return value
    if isinstance(value, (list, tuple)):
        return type(value)(visible(item) for item in value)
    if isinstance(value, dict):
        return {key: visible(item) for key, item in value.items()}
    return value


class PlainTextFormMixin:
    """Every text a form accepts is `plain_text`, of several lines only in a text area.

    The fields' own validation runs first: NUL stays refused.
    """

    def clean(self):
        cleaned_data = super().clean()
        for name, value in cleaned_data.items():
            if isinstance(value, str):
                field = self.fields.get(name)
                value = plain_text(value, multiline=isinstance(getattr(field, "widget", None), forms.Textarea))
                cleaned_data[name] = value.strip() if getattr(field, "strip", False) else value
        return cleaned_data


def own_mark(text) -> str:
    """The mark a text begins with as it was written (「・」「○」 …), or "".

    Where a page or a PDF lists items with a mark of its own (○ before a programme, ● before a 課題), a
    text that brings its own keeps it and gets no second one: 「・就労支援」, never 「○ ・就労支援」.
    """
    match = ITEM_MARK.match(str(text or "").lstrip())
    return match.group() if match else ""


def without_own_mark(text) -> str:
    """The text after its own mark and the space that follows it (「・ 就労支援」 → 「就労支援」)."""
    text = str(text or "").lstrip()
    mark = own_mark(text)
    return text[len(mark):].lstrip(" \u3000") if mark else text


def normalised(value) -> str:
    """NFKC (全角英数→半角) without spaces, for values typed many ways."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


def shown(value) -> str:
    """A typed value quoted in a message, shortened."""
    text = str(value).replace("\n", " ")
    return f"“{text[:40]}…”" if len(text) > 40 else f"“{text}”"

"""Text as people typed it, without invisible control characters.

Whatever staff forms, imported spreadsheets and the residents' page survey
store passes through `plain_text`: line breaks become "\\n" and tab stays,
but the other C0 and C1 control characters (ESC, backspace, DEL …) and the
bidirectional embeddings, overrides and isolates (U+202A–U+202E,
U+2066–U+2069) are removed. None of them belongs in a plan's text, and on a
public page or in a spreadsheet they make text show differently from what is
stored: 「請求書」 + RIGHT-TO-LEFT OVERRIDE + 「fdp.exe」 shows as 「請求書exe.pdf」.
"""

import re
import unicodedata

INVISIBLE_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# The marks that begin an item as plans write them (○ for a heading item, ・ for the points under it, …);
# a hyphen only when it is not a minus sign (「-2.5%」).
ITEM_MARK = re.compile(r"[・○◯●◎■□◆◇•]|[-‐－](?![\d０-９])")


def plain_text(text: str) -> str:
    """`text` with "\\n" line breaks and without control characters other than newline and tab."""
    return INVISIBLE_CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


class PlainTextFormMixin:
    """Every text a form accepts is `plain_text` (the fields' own validation runs first: NUL stays refused)."""

    def clean(self):
        cleaned_data = super().clean()
        for name, value in cleaned_data.items():
            if isinstance(value, str):
                value = plain_text(value)
                field = self.fields.get(name)
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

"""What a browser would post from an admin page, read from the page's HTML alone.

`BrowserForm.from_html(html, form_id)` reads one <form>: its inputs (checked boxes only), selects
with their selected options (or the first, as a browser does), textareas, and the inline groups'
hidden empty rows, which the admin's script copies when 「追加」 is clicked (`add_inline_row`).
`refusal_messages(html)` reads what a refused save shows: the error lists, the error note and
error messages. `not_japanese(message)` says what in a message a Japanese reader would not read.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

EMPTY_ROW_MARK = "__prefix__"


@dataclass
class Control:
    """One control of a form as the browser sees it."""

    tag: str  # input, select, textarea
    name: str
    kind: str = "text"  # the input's type; "select", "select-multiple" or "textarea" otherwise
    value: str = ""
    checked: bool = False
    disabled: bool = False
    classes: tuple[str, ...] = ()
    attrs: dict = field(default_factory=dict)
    options: list[tuple[str, bool]] = field(default_factory=list)  # (value, selected)

    def posted(self) -> list[str]:
        """What the browser sends for this control (nothing for an unchecked box or a file)."""
        if self.disabled or self.kind in ("submit", "button", "image", "reset", "file"):
            return []
        if self.kind in ("checkbox", "radio"):
            return [self.value or "on"] if self.checked else []
        if self.kind == "select":
            chosen = [value for value, selected in self.options if selected]
            if chosen:
                return chosen[-1:]
            return [self.options[0][0]] if self.options else []
        if self.kind == "select-multiple":
            return [value for value, selected in self.options if selected]
        return [self.value]

    @property
    def may_be_blanked(self) -> bool:
        """Whether a user can leave this control empty: a box cleared, a box unticked, 「---------」 chosen."""
        if self.disabled or self.kind in ("hidden", "submit", "button", "image", "reset", "file", "radio"):
            return False
        if self.kind == "select":
            return any(value == "" for value, _ in self.options) and self.posted() != [""]
        if self.kind == "checkbox":
            return self.checked
        if self.kind == "select-multiple":
            return bool(self.posted())
        return self.value != ""


class _FormParser(HTMLParser):
    """The controls of the form `form_id`, or, with `form_id` None, of every form, each with its attributes."""

    def __init__(self, form_id: str | None):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.depth = 0
        self.controls: list[Control] = []
        self.forms: list[tuple[dict, list[Control]]] = []
        self._select: Control | None = None
        self._option: list | None = None
        self._textarea: Control | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "form":
            if self.inside:
                self.depth += 1
            elif self.form_id is None or attrs.get("id") == self.form_id:
                self.inside, self.depth = True, 0
                self.controls = []
                self.forms.append((attrs, self.controls))
            return
        if not self.inside:
            return
        classes = tuple(attrs.get("class", "").split())
        disabled = "disabled" in attrs
        if tag == "input" and attrs.get("name"):
            self.controls.append(Control(
                "input", attrs["name"], attrs.get("type", "text").lower(), attrs.get("value", ""),
                checked="checked" in attrs, disabled=disabled, classes=classes, attrs=attrs,
            ))
        elif tag == "button" and attrs.get("name"):  # sent only when clicked: BrowserForm.data(button=…)
            self.controls.append(Control(
                "button", attrs["name"], attrs.get("type", "submit").lower(), attrs.get("value", ""),
                disabled=disabled, classes=classes, attrs=attrs,
            ))
        elif tag == "select" and attrs.get("name"):
            kind = "select-multiple" if "multiple" in attrs else "select"
            self._select = Control("select", attrs["name"], kind, disabled=disabled, classes=classes, attrs=attrs)
            self.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = [attrs.get("value"), "selected" in attrs, ""]
            self._select.options.append(self._option)
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = Control("textarea", attrs["name"], "textarea", disabled=disabled, classes=classes,
                                     attrs=attrs)
            self.controls.append(self._textarea)

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            if self.depth:
                self.depth -= 1
            else:
                self.inside = False
        elif tag == "select" and self._select is not None:
            self._select.options = [
                (text.strip() if value is None else value, selected) for value, selected, text in self._select.options
            ]
            self._select = self._option = None
        elif tag == "option":
            self._option = None
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops the one line break that follows <textarea>.
            value = self._textarea.value
            self._textarea.value = value[1:] if value.startswith("\n") else value
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data
        elif self._option is not None:
            self._option[2] += data


@dataclass
class BrowserForm:
    controls: list[Control]

    action: str = ""  # where the form posts ("" for the page's own address)
    form_id: str = ""

    @classmethod
    def from_html(cls, html: str, form_id: str) -> BrowserForm | None:
        parser = _FormParser(form_id)
        parser.feed(html)
        parser.close()
        return cls(parser.controls) if parser.controls else None

    @classmethod
    def posted_forms(cls, html: str) -> list[BrowserForm]:
        """Every form of the page that posts, but the header's 「ログアウト」."""
        parser = _FormParser(None)
        parser.feed(html)
        parser.close()
        return [
            cls(controls, attrs.get("action", ""), attrs.get("id", ""))
            for attrs, controls in parser.forms
            if attrs.get("method", "get").lower() == "post" and attrs.get("id") != "logout-form"
        ]

    def data(self, button: str = "_save", value: str = "保存") -> dict[str, list[str]]:
        """The POST body a click on `button` sends, the empty inline rows' controls included, as a browser does."""
        data: dict[str, list[str]] = {}
        for control in self.controls:
            for posted in control.posted():
                data.setdefault(control.name, []).append(posted)
        if button:
            data[button] = [value]
        return data

    def named(self, name: str) -> Control | None:
        return next((control for control in self.controls if control.name == name), None)

    # -- inline groups --------------------------------------------------------------------

    def inline_prefixes(self) -> list[str]:
        """The prefixes of the inline groups, read from their management forms."""
        return [
            control.name.removesuffix("-TOTAL_FORMS")
            for control in self.controls
            if control.name.endswith("-TOTAL_FORMS")
        ]

    def row_controls(self, prefix: str, index: int | str) -> list[Control]:
        start = f"{prefix}-{index}-"
        return [control for control in self.controls if control.name.startswith(start)]

    def main_controls(self) -> list[Control]:
        """The controls of the object's own form (not an inline's, not a management form's)."""
        prefixes = tuple(f"{prefix}-" for prefix in self.inline_prefixes())
        return [control for control in self.controls if not control.name.startswith(prefixes)]

    def add_inline_row(self, prefix: str) -> list[Control]:
        """What the admin's 「追加」 does: a copy of the group's empty row at the next index, counted."""
        total = self.named(f"{prefix}-TOTAL_FORMS")
        maximum = self.named(f"{prefix}-MAX_NUM_FORMS")
        index = int(total.value)
        if maximum is not None and maximum.value and index >= int(maximum.value):
            return []
        template = self.row_controls(prefix, EMPTY_ROW_MARK)
        row = [
            Control(
                c.tag, c.name.replace(EMPTY_ROW_MARK, str(index)), c.kind, c.value, c.checked, c.disabled, c.classes,
                {**c.attrs}, [*c.options],
            )
            for c in template
        ]
        self.controls.extend(row)
        total.value = str(index + 1)
        return row


# -- what a refused save shows ---------------------------------------------------------------


ERROR_LISTS = re.compile(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', re.S)
ERROR_NOTES = re.compile(r'<p class="errornote[^"]*"[^>]*>(.*?)</p>', re.S)
MESSAGE_LISTS = re.compile(r'<ul class="messagelist[^"]*"[^>]*>(.*?)</ul>', re.S)
ITEMS = re.compile(r"<li[^>]*>(.*?)</li>", re.S)
ERROR_ITEMS = re.compile(r'<li class="[^"]*\berror\b[^"]*"[^>]*>(.*?)</li>', re.S)
TAG = re.compile(r"<[^>]+>")


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(TAG.sub("", fragment))).strip()


def page_messages(page: str) -> list[str]:
    """Every message the page shows above its content (saved, deleted, refused, …)."""
    found = [_text(item) for block in MESSAGE_LISTS.findall(page) for item in ITEMS.findall(block)]
    return [message for message in found if message]


def refusal_messages(page: str) -> list[str]:
    """What a refused save shows: the items of the error lists (Django writes each as plain, escaped
    text), the error note above the form and the page's error messages."""
    found = [_text(note) for note in ERROR_NOTES.findall(page)]
    found += [_text(item) for block in ERROR_LISTS.findall(page) for item in ITEMS.findall(block)]
    found += [_text(item) for block in MESSAGE_LISTS.findall(page) for item in ERROR_ITEMS.findall(block)]
    return [message for message in found if message]


# -- Japanese ----------------------------------------------------------------------------------

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")
# Latin that Japanese staff read as written: file kinds, units, the examples of typed dates (R6.4.1).
LATIN_READ_AS_IS = {
    "PDF", "URL", "CSV", "XLSX", "Excel", "Word", "MB", "KB", "https", "http", "UTF", "Shift_JIS", "CP932",
    "Web", "e-mail", "mail",
}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_\-]+")


# What the user typed, as the portal quotes it back (reoffense_portal.machinery.text.shown): their words, not the portal's.
QUOTED_INPUT = re.compile(r"“[^”]*”")


def not_japanese(message: str, field_names=(), typed=()) -> list[str]:
    """What a Japanese reader would not read in `message`: English words and fields' English names.

    The user's own input quoted back (“@SUM(A1)”, or any of `typed`) is theirs and is not judged.
    """
    text = QUOTED_INPUT.sub("“”", message)
    for value in sorted((str(v) for v in typed if LATIN_WORD.search(str(v))), key=len, reverse=True):
        text = text.replace(value, "")
    problems = []
    if not JAPANESE.search(text):
        problems.append("日本語がない")
    for word in LATIN_WORD.findall(text):
        if word in LATIN_READ_AS_IS:
            continue
        problems.append(f"項目名「{word}」" if word in field_names else f"英語「{word}」")
    return problems

"""Staff-written text as they wrote it: {{ program.description|as_written }}.

Plans are written like their Word originals: paragraphs split by a blank line,
line breaks inside them, and items that begin with a mark such as 「○」 or 「・」.
Those marks are part of the text (○ for a heading item, ・ for the points under
it), so they stay visible; consecutive marked lines become one list, so that a
screen reader announces them as a list and wrapped lines hang under their mark.
A line indented under an item continues it. Everything is escaped.
"""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from reoffense_portal.machinery.text import ITEM_MARK as BULLET
from reoffense_portal.machinery.text import own_mark

register = template.Library()

# {% if program.name|own_mark %}: the text brings its own 「・」「○」, so the page adds no mark of its own.
register.filter("own_mark", own_mark)


@register.filter
def as_written(text) -> SafeString:
    """Paragraphs (<p>, lines kept with <br>) and lists of marked lines (<ul class="as-written">)."""
    if not text:
        return ""
    blocks = re.split(r"\n(?:[ \t\u3000]*\n)+", str(text).replace("\r\n", "\n").replace("\r", "\n").strip("\n"))
    return mark_safe("\n".join(_block_html(block) for block in blocks if block.strip()))


def _block_html(block: str) -> str:
    html, lines, items = [], [], []

    def flush_lines():
        if lines:
            html.append("<p>" + "<br>".join(lines) + "</p>")
            lines.clear()

    def flush_items():
        if items:
            html.append('<ul class="as-written">' + "".join(_item_html(*item) for item in items) + "</ul>")
            items.clear()

    for line in block.split("\n"):
        line = line.rstrip()
        stripped = line.lstrip()
        indented = stripped != line
        if BULLET.match(stripped):
            flush_lines()
            items.append(([escape(stripped)], indented))
        elif items and indented:
            items[-1][0].append(escape(stripped))
        else:
            flush_items()
            lines.append(escape(line))
    flush_lines()
    flush_items()
    return "".join(html)


def _item_html(lines: list[str], indented: bool) -> str:
    css = ' class="as-written__sub"' if indented else ""
    return f'<li{css}>{"<br>".join(lines)}</li>'

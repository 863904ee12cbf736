"""A form renderer for screens of many rows: the plain widgets written in Python.

Django renders each widget through its templates (input, attributes, one
include per option), about a millisecond each; the yearly progress screen of
a large plan has over a thousand widgets, so that was most of its time. This
renderer writes the same HTML as those templates for the plain widgets
(text-like inputs, checkboxes, textareas, selects), skips the error lists of fields
without errors (each one a template render writing nothing) and leaves every
other template to Django's.
"""

import html

from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

INPUTS = {
    f"django/forms/widgets/{kind}.html"
    for kind in ("text", "number", "hidden", "email", "url", "date", "password", "checkbox")
}


def escaped(value) -> str:
    """As the templates' autoescape: safe strings as they are, anything else escaped."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def attributes(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: in order, True bare, False left out."""
    return "".join(
        f" {escaped(name)}" if value is True else f' {escaped(name)}="{escaped(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def input_html(widget) -> str:
    value = "" if widget["value"] is None else f' value="{escaped(widget["value"])}"'
    return f'<input type="{escaped(widget["type"])}" name="{escaped(widget["name"])}"{value}{attributes(widget["attrs"])}>'


def textarea_html(widget) -> str:
    value = escaped(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{escaped(widget["name"])}"{attributes(widget["attrs"])}>\n{value}</textarea>'


def select_html(widget) -> str:
    parts = [f'<select name="{escaped(widget["name"])}"{attributes(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'<optgroup label="{escaped(group_name)}">')
        parts.extend(
            f'<option value="{escaped(option["value"])}"{attributes(option["attrs"])}>'
            f'{escaped(option["label"])}</option>'
            for option in options
        )
        if group_name:
            parts.append("</optgroup>")
    parts.append("</select>")
    return "\n".join(parts)


WRITERS = {
    **dict.fromkeys(INPUTS, input_html),
    "django/forms/widgets/textarea.html": textarea_html,
    "django/forms/widgets/select.html": select_html,
}


class RowRenderer(DjangoTemplates):
    """Set as a form's `default_renderer` where a page shows many of its rows."""

    def render(self, template_name, context, request=None):
        if template_name.startswith("django/forms/errors/") and not context["errors"]:
            return ""
        writer = WRITERS.get(template_name)
        if writer is None:
            return super().render(template_name, context, request=request)
        return mark_safe(writer(context["widget"]))

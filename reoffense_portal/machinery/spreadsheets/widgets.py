"""Widgets: parse a cell on import, render the native value on export (the format decides
how a number or a date is written)."""

from import_export import widgets
from import_export.fields import Field

from reoffense_portal.machinery import eras
from reoffense_portal.machinery.text import normalised, shown

from .cells import (
    blank,
    clean_text,
    parse_bool,
    parse_decimal,
    parse_integer,
    parse_time,
    split_names,
)


class TextWidget(widgets.Widget):
    """A text cell, without control characters; line breaks and tabs kept only where the column is `multiline`.

    `multiline` None: as the model field says (a TextField), which PortalResource looks up for its columns.
    """

    def __init__(self, multiline: bool | None = None, **kwargs):
        super().__init__(**kwargs)
        self.multiline = multiline

    def clean(self, value, row=None, **kwargs):
        return clean_text(value, multiline=self.multiline is not False)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class YearWidget(widgets.Widget):
    def __init__(self, fiscal: bool):
        super().__init__(coerce_to_string=False)
        self.fiscal = fiscal

    def clean(self, value, row=None, **kwargs):
        return eras.parse_year(value, fiscal=self.fiscal)

    def render(self, value, obj=None, **kwargs):
        return value


class IntegerWidget(widgets.Widget):
    def __init__(self, maximum: int = 2_147_483_647, example: str = "12"):
        super().__init__(coerce_to_string=False)
        self.maximum = maximum
        self.example = example

    def clean(self, value, row=None, **kwargs):
        return parse_integer(value, maximum=self.maximum, example=self.example)

    def render(self, value, obj=None, **kwargs):
        return value


# Numbers, orders and sequences stored in a PositiveSmallIntegerField.
SMALL_NUMBER = IntegerWidget(maximum=32767, example="3")


class DecimalWidget(widgets.Widget):
    def __init__(self, rate: bool = False):
        super().__init__(coerce_to_string=False)
        self.rate = rate

    def clean(self, value, row=None, **kwargs):
        return parse_decimal(value, rate=self.rate)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return None
        # 564.00 → 564, 0.500 → 0.5: the number as people write it.
        return int(value) if value == value.to_integral_value() else value.normalize()


class DateWidget(widgets.Widget):
    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        typed = eras.parse_date(value)
        return typed.day if typed else None

    def render(self, value, obj=None, **kwargs):
        return value


class PreciseDateWidget(widgets.Widget):
    """A day, or a month or fiscal year as the source states it (令和5年12月, 令和5年度): an eras.TypedDate."""

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        return eras.parse_date(value, precise=True)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return None
        if value.precision == eras.DatePrecision.DAY:
            return value.day  # a date cell, like every other date
        return eras.written_date(value.day, value.precision)  # 2023年12月, 2023年度


class PreciseDateColumn(Field):
    """A date column of a row with a `date_precision`: the cell sets both (令和5年12月 → 2023-12-01, 月).

    A second date of the row (an end date, `sets_precision=False`) is written with the precision the
    first one set, and refused when typed with another (令和5年12月1日～令和5年12月).
    """

    also_writes = ("date_precision",)  # saved with the date by bulk updates

    def __init__(self, attribute, column_name, *, sets_precision=True):
        super().__init__(attribute=attribute, column_name=column_name, widget=PreciseDateWidget())
        self.sets_precision = sets_precision

    def get_value(self, instance):
        day = getattr(instance, self.attribute)
        return None if day is None else eras.TypedDate(day, instance.date_precision)

    def save(self, instance, row, is_m2m=False, **kwargs):
        typed = self.clean(row, **kwargs)
        if not self.sets_precision and typed and typed.precision != instance.date_precision:
            raise ValueError("日付と同じ書き方（日まで、月まで、年度のどれか）で入力してください")
        setattr(instance, self.attribute, typed.day if typed else None)
        if self.sets_precision:
            instance.date_precision = typed.precision if typed else eras.DatePrecision.DAY


class TimeWidget(widgets.Widget):
    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        return parse_time(value)

    def render(self, value, obj=None, **kwargs):
        return value


class BooleanWidget(widgets.Widget):
    """○ or blank, as checklists in Excel are kept."""

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        return parse_bool(value)

    def render(self, value, obj=None, **kwargs):
        return "○" if value else ""


class ChoiceWidget(widgets.Widget):
    """A choice by its Japanese label (実施) — the stored value is accepted too."""

    def __init__(self, choices, default=None):
        super().__init__()
        self.choices = list(choices)
        self.default = default
        self.by_text = {}
        for value, label in self.choices:
            self.by_text[normalised(label)] = value
            self.by_text[normalised(value).lower()] = value

    def clean(self, value, row=None, **kwargs):
        if blank(value):
            if self.default is not None:
                return self.default
            raise ValueError(f"入力してください（{'、'.join(str(label) for _, label in self.choices)}のいずれか）")
        key = normalised(value)
        found = self.by_text.get(key, self.by_text.get(key.lower()))
        if found is None:
            raise ValueError(
                f"{shown(value)} は使えません（{'、'.join(str(label) for _, label in self.choices)}のいずれか）"
            )
        return found

    def render(self, value, obj=None, **kwargs):
        return str(dict(self.choices).get(value, value or ""))


class NameListWidget(widgets.ManyToManyWidget):
    """Related rows by name, separated by 「、」, looked up in the row's municipality.

    The resource binds itself so that the widget can find the row's
    municipality and create or refuse names it does not know.
    """

    def __init__(self, model, resolve_names):
        super().__init__(model, field="name", separator="、")
        self.resolve_names = resolve_names  # name of a resource method: (names, row) -> objects
        self.resource = None

    def clean(self, value, row=None, **kwargs):
        names = split_names(value)
        if not names:
            return []  # not objects.none(): compiling that empty query cost a millisecond a row
        return getattr(self.resource, self.resolve_names)(names, row)

    def render(self, value, obj=None, **kwargs):
        """The stored names (a related manager), or the names a row sets (a list), in the model's order."""
        if value is None:
            return ""
        if hasattr(value, "all"):
            return "、".join(item.name for item in value.all())
        return "、".join(item.name for item in sorted(value, key=self.sort_key))

    def sort_key(self, item):
        """Meta.ordering, as a query would sort (plain fields; a relation by its id)."""
        key = []
        for name in self.model._meta.ordering:
            name = name.lstrip("-")
            field = self.model._meta.get_field(name)
            key.append(getattr(item, field.attname))
        return key

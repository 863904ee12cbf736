"""Form fields that read dates, years and figures as staff type them: 令和6年4月1日, 令和5年度, R1, 「49,653件」."""

from decimal import Decimal

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import (
    FieldDoesNotExist,
    ValidationError,
)
from django.db import models

from reoffense_portal.machinery import eras, numbers

# A model with this field stores how precisely its dates are known: typed 令和5年12月 or 令和5年度,
# they are stored as the first day with that precision, and shown no more precisely.
PRECISION_FIELD = "date_precision"


def has_date_precision(model) -> bool:
    try:
        model._meta.get_field(PRECISION_FIELD)
    except FieldDoesNotExist:
        return False
    return True


class JapaneseDateField(forms.DateField):
    """A date read by eras.parse_date, like the import's cells: 2024/4/1, 令和6年4月1日, R6.4.1, ２０２４／４／１ ….

    `precise` (the dates of a model with a `date_precision`): also a month or a fiscal year
    (令和5年12月, 令和5年度); ScopedModelForm stores the precision. `bound` (eras.PeriodBound, the
    start or end of a period such as a plan's 計画期間): a month or a fiscal year stands for its first
    or its last day (令和8年度 as the end is 2027-03-31). Errors say what is accepted.
    """

    def __init__(self, *, precise: bool = False, bound: str | None = None, **kwargs):
        self.precise = precise
        self.bound = bound
        kwargs.setdefault("widget", AdminDateWidget(attrs={"size": "16"}))
        super().__init__(**kwargs)

    def typed(self, value) -> eras.TypedDate | None:
        """The date and its precision of a typed value (or of a stored date)."""
        try:
            if self.bound:
                day = eras.parse_period_bound(value, self.bound)
                return eras.TypedDate(day) if day else None
            return eras.parse_date(value, precise=self.precise)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from None

    def to_python(self, value):
        typed = self.typed(value)
        return typed.day if typed else None

    def has_changed(self, initial, data):
        """令和5年12月1日 → 令和5年12月 is a change, though the first day stays the same (a period's
        令和6年度 is no change from 2024-04-01: both are the same day)."""
        try:
            return self.typed(initial) != self.typed(data)
        except ValidationError:
            return True


class JapaneseYearField(forms.IntegerField):
    """A calendar year typed 2019, 令和元年, R1 or 令和元年度, read by eras.parse_year like the import's cells."""

    widget = forms.TextInput(attrs={"size": "10"})

    def to_python(self, value):
        try:
            return eras.parse_year(value, fiscal=False)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from None


# --- figures as staff type them ---------------------------------------------------------------------


class FigureInput(forms.TextInput):
    """A text box for a figure: a browser's number box (type="number") refuses 「49,653」 and posts nothing."""

    input_type = "text"

    def __init__(self, attrs=None, *, decimal: bool = False, size: int = 12, grouped: bool = True):
        super().__init__({"inputmode": "decimal" if decimal else "numeric", "size": str(size),
                          "class": "vFigureField", **(attrs or {})})
        self.grouped = grouped

    def format_value(self, value):
        """A stored figure as staff write it (49,653 and 44.8, not 49653.00); what they typed stays as typed."""
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return numbers.figure_label(value, grouped=self.grouped)
        return super().format_value(value)


class FigureFieldMixin:
    """A figure typed as staff write it: 「49,653」「49,653件」「４９，６５３」 (reoffense_portal.machinery.numbers); 「1,2,3」 refused."""

    integer = True

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            number = numbers.read_number(value, integer=self.integer)
        except numbers.NumberError as error:
            raise ValidationError(str(error), code="invalid") from None
        return int(number) if self.integer else number


class FigureIntegerField(FigureFieldMixin, forms.IntegerField):
    widget = FigureInput


class FigureDecimalField(FigureFieldMixin, forms.DecimalField):
    integer = False
    widget = FigureInput(decimal=True)

    def to_python(self, value):
        number = super().to_python(value)
        if number is not None and not number.is_finite():  # pragma: no cover — read_number reads digits only
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number


# Every number box of the staff forms: the admin's (ScopedFieldsMixin.formfield_overrides) and the
# yearly screen's (ScopedModelForm's formfield_callback). A field with choices stays a select.
FIGURE_FIELDS = {
    # Years, numbers, orders and pages: 2024, not 2,024.
    models.SmallIntegerField: {"form_class": FigureIntegerField, "widget": FigureInput(grouped=False)},
    models.IntegerField: {"form_class": FigureIntegerField, "widget": FigureInput},
    models.BigIntegerField: {"form_class": FigureIntegerField, "widget": FigureInput(size=16)},
    models.DecimalField: {"form_class": FigureDecimalField, "widget": FigureInput(decimal=True)},
}


def figure_formfield(db_field, **kwargs):
    """A model field's form field, a figure typed as staff write it if it is a number (ModelForm's formfield_callback)."""
    if not db_field.choices:
        for klass in type(db_field).__mro__:
            if klass in FIGURE_FIELDS:
                kwargs = {**kwargs, **FIGURE_FIELDS[klass]}
                break
    return db_field.formfield(**kwargs)



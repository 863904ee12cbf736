"""`<bigint:…>`: the integer part of the portal's URLs (ids, version numbers, years), registered on import.

Django's `<int:…>` matches any number of digits. An id beyond what the database can hold then reaches the
query: SQLite refuses to be asked (OverflowError, a 500) where PostgreSQL finds nothing. No row, version or
year of the portal is numbered beyond a 64-bit integer (the BigAutoField of every table), so such a number
names nothing: the URL answers 404 on every database, before any view runs.

It is a 404 at once (Http404), not the converter's usual "no match" (ValueError): under the admin, no match
would fall through to the admin's catch-all, which redirects to the change page of an object called
"entry/99999999999999999999" and on to the index.
"""

from django.db import connection
from django.http import Http404
from django.urls import register_converter
from django.urls.converters import IntConverter


class BigIntConverter(IntConverter):
    """A non-negative integer up to the largest the database's bigint (and so every id) holds."""

    def to_python(self, value):
        number = int(value)
        if number > connection.ops.integer_field_range("BigIntegerField")[1]:
            raise Http404("このURLの番号に当たるものはありません。")
        return number


register_converter(BigIntConverter, "bigint")

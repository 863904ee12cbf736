"""The lookups a stored page or download makes, compiled to SQL once per process and run with each request's values.

Django compiles a queryset to SQL on every request; for a page sent as stored bytes that compiling
costs more than the query itself. A `Prepared` lookup is built from a queryset (so it is the ORM's own
SQL, on SQLite as on PostgreSQL, with the ORM's conversions of what it reads), compiled the first time
with marker values, and then only executed.
"""

import datetime
import weakref

from django.db import connections

# Marker values: each parameter of the compiled SQL is recognised by the marker it was compiled from.
NOW = datetime.datetime(1901, 2, 3, 4, 5, 6, 789, tzinfo=datetime.UTC)
TEXT = "\x00{}\x00"
NUMBER = -987_654_321


class Prepared:
    """`build(**markers)` gives the queryset (sliced to one row); `first(**values)` runs it: a row, or None."""

    def __init__(self, build, **markers):
        self.build, self.markers = build, markers
        self._compiled = weakref.WeakKeyDictionary()  # per database connection

    def _role(self, param, connection) -> str:
        for name, marker in self.markers.items():
            if param == marker or (isinstance(marker, datetime.datetime)
                                   and param == connection.ops.adapt_datetimefield_value(marker)):
                return name
        raise ValueError(f"a parameter of the lookup is none of its markers: {param!r}")

    def compiled(self, connection):
        if connection not in self._compiled:
            compiler = self.build(**self.markers).query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            converters = compiler.get_converters([column[0] for column in compiler.select])
            self._compiled[connection] = (sql, [self._role(p, connection) for p in params], compiler, converters)
        return self._compiled[connection]

    def first(self, alias: str = "default", **values):
        connection = connections[alias]
        sql, roles, compiler, converters = self.compiled(connection)
        params = [
            connection.ops.adapt_datetimefield_value(values[role]) if isinstance(values[role], datetime.datetime)
            else values[role]
            for role in roles
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is not None and converters:
            row = tuple(next(iter(compiler.apply_converters([row], converters))))
        return row

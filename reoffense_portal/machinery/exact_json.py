"""Django's JSON serializer, keeping the microseconds of dates and times: the backup's format.

Django's own JSON writes times to the millisecond, so a restore would move every change-history date by
up to a millisecond; a backup gives back exactly what was stored. Django's JSON deserializer reads these
values as they are, so a backup still loads with `loaddata`.
"""

import datetime

from django.core.serializers import json


class Serializer(json.Serializer):
    def _value_from_field(self, obj, field):
        value = super()._value_from_field(obj, field)
        if isinstance(value, datetime.datetime | datetime.time):
            return value.isoformat()
        return value


Deserializer = json.Deserializer

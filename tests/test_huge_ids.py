"""A number in a URL too large for the database (/opendata/plans/99999999999999999999.json) finds nothing: 404.

SQLite cannot even be asked about an integer beyond 64 bits (OverflowError, a 500 before); PostgreSQL
answered 404. Every URL of the portal with an integer in it is walked, residents' and staff's alike.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter

from reoffense_portal.composition.publishing.opendata import DATASETS

HUGE = "99999999999999999999"  # 2**66 and more: beyond a 64-bit integer
BEYOND_BIGINT = str(2**63)  # the first integer no bigint column holds
# The values of the other parts of a URL: something the URL accepts, so the integer is what is asked about.
OTHER_PARTS = {"dataset": next(iter(DATASETS)), "extension": "xlsx", "code": "431001", "object_id": "1"}
PART = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def routes(resolver=None, prefix=""):
    """(route, converters) of every URL pattern of the project, its included ones and the admin's."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from routes(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.pattern.converters, pattern.name


def integer_urls(number: str):
    """Each URL with an integer part, once for each such part: that part `number`, the others 1."""
    for route, converters, _ in routes():
        integers = [name for name, converter in converters.items() if isinstance(converter, IntConverter)]
        for huge in integers:
            values = {**OTHER_PARTS, **{name: number if name == huge else "1" for name in integers}}
            yield "/" + PART.sub(lambda match, values=values: values[match["name"]], route)


def test_the_walk_finds_the_residents_and_the_staffs_integer_urls():
    urls = set(integer_urls(HUGE))
    assert f"/opendata/plans/{HUGE}.json" in urls
    assert f"/plans/1/comments/{HUGE}/result/" in urls
    assert f"/admin/summaries/meetings/{HUGE}/report.pdf" in urls
    assert f"/admin/measures/programprogress/entry/1/{HUGE}/" in urls


def test_no_url_takes_an_integer_of_any_length():
    """Django's <int:…> would hand the views numbers no database column holds; <bigint:…> does not match them."""
    unbounded = [route for route, converters, _ in routes()
                 if any(type(converter) is IntConverter for converter in converters.values())]
    assert unbounded == []


@pytest.mark.parametrize("number", [HUGE, BEYOND_BIGINT])
def test_every_url_answers_404_for_an_integer_beyond_the_database(client, seeded, number):
    client.force_login(get_user_model().objects.create_superuser("operator", password="correct-horse-battery"))
    client.raise_request_exception = False

    answers = {url: client.get(url).status_code for url in integer_urls(number)}

    wrong = {url: status for url, status in answers.items() if status != 404}
    assert not wrong, "\n".join(f"{status} {url}" for url, status in sorted(wrong.items()))


def test_the_portals_own_admin_object_views_answer_404_for_an_id_beyond_the_database(client, seeded):
    """Its approval steps and the comment period's result take the admin's object id (Django's own views,
    change, history and delete, already find nothing and say so)."""
    client.force_login(get_user_model().objects.create_superuser("operator", password="correct-horse-battery"))
    client.raise_request_exception = False
    own = [
        "/" + route.replace("<path:object_id>", HUGE)
        for route, converters, name in routes()
        if "object_id" in converters and name and not name.endswith(("_change", "_history", "_delete"))
    ]
    assert "/admin/plans/plan/99999999999999999999/submit/" in own

    answers = {url: (client.get(url).status_code, client.post(url).status_code) for url in own}

    # 404 for the method the view takes; the other one may be refused first (405).
    assert {url: answer for url, answer in answers.items() if not (set(answer) <= {404, 405} and 404 in answer)} == {}

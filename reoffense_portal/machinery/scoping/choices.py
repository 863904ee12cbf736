"""The labels of a staff user's choices: a department's name with its municipality's where names repeat."""

from reoffense_portal.machinery.scoping.querysets import municipality_model, municipality_path


def choice_labeller(user, readable: bool = False):
    """A choice's label: 「地域福祉課（山口市）」 for a user who sees several municipalities, else 「地域福祉課」.

    For the rows that belong to a municipality directly (departments, organisations, plans), whose
    names repeat between cities; used by every scoped select and by the autocomplete endpoint
    (reoffense_portal.admin_site). A name that already holds the municipality's stays as it is.
    `readable`: for the rows the user reads (the filters), which a prefecture's staff see of several.
    """
    manager = municipality_model().objects
    municipalities = manager.readable_by(user) if readable else manager.for_user(user)
    if municipalities[:2].count() < 2:
        return str
    names = {}

    def label(obj) -> str:
        text = str(obj)
        code = getattr(obj, "municipality_id", None) if municipality_path(type(obj)) == "municipality" else None
        if code is None:
            return text
        if code not in names:
            names[code] = municipalities.filter(pk=code).values_list("name", flat=True).first()
        return text if not names[code] or names[code] in text else f"{text}（{names[code]}）"

    return label

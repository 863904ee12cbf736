"""Printable summaries: the plan summary (概要版) and the meeting progress report.

Cross-app composition (plans, measures, councils), so it lives at the top
beside the root URLconf. `documents` builds the HTML from templates/pdf/ and
caches the PDF; `typesetting` turns HTML into a tagged PDF with WeasyPrint in
a time-limited worker process; `views` serves both to staff and residents.

This package's __init__ imports nothing: the PDF worker process preloads
`typesetting`, which must not pull in Django's app registry.
"""

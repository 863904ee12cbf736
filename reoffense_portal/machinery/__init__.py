"""The ground floor: machinery plans, measures and councils use (spreadsheets, jobs, scoping, limits, dates,
figures, text, charts, uploads). It imports none of them, nor anything above (tests/test_project.py)."""

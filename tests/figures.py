"""Figures tests measure, printed in the terminal summary (see conftest.pytest_terminal_summary)."""

FIGURES: list[str] = []

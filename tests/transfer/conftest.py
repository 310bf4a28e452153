"""Fixtures for imports, exports and backups."""

import csv

import pytest


@pytest.fixture
def write_csv(tmp_path):
    def write(rows, name="ideas.csv", header=None, delimiter=","):
        header = header or list(rows[0].keys())
        path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=header, delimiter=delimiter)
            writer.writeheader()
            writer.writerows(rows)
        return path

    return write


def good_row(n: int, department: str = "Finance", **fields) -> dict:
    row = {
        "title": f"Imported idea {n}",
        "problem": "Month-end closing takes a week.",
        "department": department,
        "proposal": "Automate reconciliations.",
        "expected_benefit": "Two days saved a month.",
        "submitter_email": "",
        "objectives": "",
        "submitted_on": "",
        "estimated_cost": "",
        "cost_period": "",
    }
    row.update(fields)
    return row

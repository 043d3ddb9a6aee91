"""Load labels/schema.yaml, the single source of truth for the label set."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")
TASKS = ("domain", "type")


@dataclass(frozen=True)
class Schema:
    domain: tuple[str, ...]
    type: tuple[str, ...]
    definitions: dict[str, dict[str, str]]
    english: dict[str, str]
    other_domain: str

    def labels(self, task: str) -> tuple[str, ...]:
        return getattr(self, task)

    def to_dict(self) -> dict:
        return {task: list(self.labels(task)) for task in TASKS}

    def check(self, record: dict, where: str = "") -> None:
        """Raise ValueError naming the bad field if a labeled record does not fit the schema."""
        for task in TASKS:
            value = record.get(task)
            if value not in self.labels(task):
                raise ValueError(f"{where}unknown {task} label {value!r}; expected one of {list(self.labels(task))}")


def load_schema(path: str | Path = SCHEMA_PATH) -> Schema:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    definitions = {task: {item["name"]: item["definition"] for item in raw[task]} for task in TASKS}
    return Schema(
        domain=tuple(item["name"] for item in raw["domain"]),
        type=tuple(item["name"] for item in raw["type"]),
        definitions=definitions,
        english={item["name"]: item["en"] for task in TASKS for item in raw[task]},
        other_domain=raw["constraints"]["other_type_implies_domain"],
    )

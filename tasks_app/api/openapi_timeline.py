"""The JSON shape of a task's timeline (selectors.timeline), a component of the API's document."""

from __future__ import annotations

from tasks_app.selectors.timeline import EVENTS


def timeline_schemas() -> dict:
    text = {"type": "string"}
    return {
        "TimelineEvent": {
            "type": "object",
            "description": "one event of a task's history, oldest first",
            "properties": {
                "event": {"type": "string", "enum": list(EVENTS), "description": "what happened"},
                "at": {"type": ["string", "null"], "format": "date-time", "description": "when; null if not kept"},
                "gap_ms": {
                    "type": ["integer", "null"],
                    "description": "milliseconds since the previous event with a time; null for the first",
                },
                "detail": {**text, "description": "in words: from where and by whom, why it ran again, its error"},
                "attempt": {"type": ["integer", "null"], "description": "the attempt an event of a run belongs to"},
                "worker": {"type": ["string", "null"], "description": "the worker that ran the current attempt"},
                "state": {"type": ["string", "null"], "description": "the final state, on `finished`"},
            },
            "required": ["event", "at", "gap_ms", "detail", "attempt", "worker", "state"],
        }
    }

"""Render entries into the three text layouts, exactly as the site prints them (for tests)."""

from __future__ import annotations

from pipeline.parsers.dates import MONTHS


def printed_date(month: int, day: int, year: int | None) -> str:
    return f"{MONTHS[month - 1]} {day}" + (f", {year}" if year else "")


def author_line(e: dict) -> str:
    text = ", ".join(e["authors"]) + (" et al." if e["authors_truncated"] else "")
    return text + (f" · {e['org']}" if e["org"] else "")


def meta_line(e: dict) -> str:
    score = e["score_text"] or ""
    return f"{score}{e['category']}{printed_date(*e['date'])}{'Code' if e['has_code'] else ''}"


def render_profile(entries: list[dict], name: str = "Ada Lovelace") -> str:
    lines = [name, "", "CV", "h-index3", f"{len(entries)}papers", "10citations", "Novelty5%",
             "AI Score5", "", f"{len(entries)} Papers"]  # fmt: skip
    for e in entries:
        lines += ["", meta_line(e), e["title"], "", author_line(e), "", e["abstract"]]
    return "\n".join(lines)


def render_compact(entries: list[dict]) -> str:
    lines = []
    for e in entries:
        lines += [meta_line(e), e["title"] + author_line(e), e["abstract"]]
    return "\n".join(lines)


def render_daily(entries: list[dict], header_day: tuple[int, int] = (12, 31)) -> str:
    lines = ["new", "", "Get trending papers in your email inbox!", "", "Subscribe", "",
             "Daily Papers", "", "byAK and the research community", "",
             printed_date(*header_day, None)]  # fmt: skip
    for e in entries:
        lines += ["", e["title"], "", e["abstract"]]
        if e["block"]:
            who = f"  • {e['n_authors']} authors" if e["n_authors"] else f"{e['org']} Org Name"
            date = printed_date(*e["date"]) + (f" {e['upvotes']}" if e["upvotes"] else "")
            lines += ["", who, "·", date]
    return "\n".join(lines)

"""The console's sections. Entries whose page does not exist yet are left out, so the
menu only ever links to real pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Section:
    label: str
    url_name: str


SECTIONS = (
    Section("Dashboard", "console:dashboard"),
    Section("Customer managed keys", "console:keys"),
    Section("AWS managed keys", "console:keys-aws"),
    Section("Aliases", "console:aliases"),
    Section("IAM", "console:iam"),
    Section("Credentials", "console:credentials"),
    Section("Event history", "console:events"),
    Section("Policy simulator", "console:simulator"),
    Section("Crypto playground", "console:playground"),
    Section("Blob inspector", "console:blob-inspector"),
    Section("Monitoring", "console:monitoring"),
    Section("Cost estimator", "console:costs"),
    Section("Labs", "labs:catalogue"),
    Section("Classes", "classroom:home"),
)


def menu(current_path: str) -> list[dict[str, object]]:
    entries = []
    for section in SECTIONS:
        try:
            url = reverse(section.url_name)
        except NoReverseMatch:
            continue
        active = current_path == url or (url != "/" and current_path.startswith(url))
        entries.append({"label": section.label, "url": url, "active": active})
    return entries

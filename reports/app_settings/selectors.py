"""Reads for the Settings and Integration pages, and the help center's own content.

tickets reads the help-center content through help_center_content (tickets -> reports).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.shortcuts import get_object_or_404

from ..models import FaqEntry, HelpIntro, HelpLanguage, MiniApp
from ..signing import previous_secret_valid_until

# Words beyond this many in a help-center search are ignored (each one is a LIKE clause).
SEARCH_MAX_WORDS = 8


@dataclass
class HelpContent:
    intro: str
    faq: list[FaqEntry]
    query: str = ""
    total: int = 0  # FAQ entries in this language, before the search


def help_center_content(*, mini_app: MiniApp, language: str, query: str = "") -> HelpContent:
    """The intro and the FAQ entries in `language` (English when it has none of its own),
    narrowed to the entries containing every word of `query` (question or answer)."""
    language = language if language in HelpLanguage.values else HelpLanguage.EN
    intro = (
        HelpIntro.objects.filter(mini_app=mini_app, language=language)
        .values_list("text", flat=True)
        .first()
    ) or ""
    entries = FaqEntry.objects.filter(mini_app=mini_app, language=language)
    total = entries.count()
    # A NUL cannot be in a PostgreSQL text literal (an error, not a miss): a word break here.
    words = query.replace("\x00", " ").split()[:SEARCH_MAX_WORDS]
    for word in words:
        entries = entries.filter(Q(question__icontains=word) | Q(answer__icontains=word))
    return HelpContent(intro=intro, faq=list(entries), query=" ".join(words), total=total)


@dataclass
class SettingsPage:
    intros: dict[str, str]
    faq_by_language: dict[str, list[FaqEntry]]
    previous_secret_until: datetime | None
    rotation_stamp: str


@dataclass
class SecretState:
    previous_secret_until: datetime | None  # None: no previous secret is accepted now
    rotation_stamp: str  # sent back with "Rotate", so a double-click rotates once


def rotation_stamp(mini_app: MiniApp) -> str:
    """The app's last rotation time as the Rotate form sends it back ("" before the first)."""
    rotated_at = mini_app.signing_secret_rotated_at
    return rotated_at.isoformat() if rotated_at else ""


def secret_state(*, mini_app: MiniApp, now: datetime) -> SecretState:
    return SecretState(
        previous_secret_until=previous_secret_valid_until(mini_app=mini_app, now=now),
        rotation_stamp=rotation_stamp(mini_app),
    )


def settings_page(*, mini_app: MiniApp, now: datetime) -> SettingsPage:
    intros = dict(HelpIntro.objects.filter(mini_app=mini_app).values_list("language", "text"))
    faq_by_language = {language: [] for language in HelpLanguage.values}
    for entry in FaqEntry.objects.filter(mini_app=mini_app):
        faq_by_language[entry.language].append(entry)
    return SettingsPage(
        intros=intros,
        faq_by_language=faq_by_language,
        **vars(secret_state(mini_app=mini_app, now=now)),
    )


def faq_entry_for_app(*, mini_app: MiniApp, entry_id: int) -> FaqEntry:
    """One of the app's FAQ entries; a 404 for another app's entry."""
    return get_object_or_404(
        FaqEntry.objects.select_related("mini_app"), pk=entry_id, mini_app=mini_app
    )

"""The trámite record, shaped like SUIT's (Sistema Único de Información de Trámites), and the pure
rules around it: validation, statuses, the text normalisation both search engines share.

No I/O here: services load and store, `queries` holds every dialect difference.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

TO_CONFIRM = "por confirmar con la dependencia"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 80
VOICE_SUMMARY_MAX = 600  # about 40 seconds read out on the phone


class Status(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class VersionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"  # was published, then another version replaced it (or archived)


# SUIT's "situaciones de vida": who a trámite is for. A short fixed list keeps browsing useful.
LIFE_SITUATIONS: dict[str, str] = {
    "vivienda": "Vivienda y propiedad",
    "vehiculos": "Vehículos y movilidad",
    "salud": "Salud y protección social",
    "empresa": "Empresa y comercio",
    "construccion": "Construcción y urbanismo",
    "impuestos": "Impuestos y pagos",
    "identidad": "Identidad y certificados",
    "eventos": "Eventos y espacio público",
    "educacion": "Educación",
    "convivencia": "Convivencia y seguridad",
}

Text = Annotated[str, Field(min_length=1, max_length=4000)]
ShortText = Annotated[str, Field(min_length=1, max_length=300)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LegalBasis(_Part):
    """A norm as it is cited: "Ley 1755 de 2015", articles "art. 14"."""

    norma: ShortText
    articles: Annotated[str, Field(max_length=300)] = ""


class TimeToObtain(_Part):
    unit: Literal["inmediato", "dias_habiles", "dias_calendario", "por_confirmar"] = "por_confirmar"
    amount: Annotated[int, Field(ge=1, le=3650)] | None = None

    def spoken(self) -> str:
        if self.unit == "inmediato":
            return "inmediato"
        if self.unit == "por_confirmar" or self.amount is None:
            return TO_CONFIRM
        days = "día" if self.amount == 1 else "días"
        kind = "hábil" if self.unit == "dias_habiles" else "calendario"
        if self.unit == "dias_habiles" and self.amount != 1:
            kind = "hábiles"
        return f"{self.amount} {days} {kind}"


class Cost(_Part):
    free: bool | None = None  # None: not confirmed yet
    text: ShortText = TO_CONFIRM
    legal_basis: Annotated[str, Field(max_length=300)] = ""


class PointOfService(_Part):
    name: ShortText
    address: ShortText
    hours: ShortText = TO_CONFIRM
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None


class Requirement(_Part):
    """What is needed, in SUIT's terms: a moment, an action, a condition, a document, an exception."""

    kind: Literal["momento", "accion", "condicion", "documento", "excepcion"]
    text: Text


class TramiteRecord(BaseModel):
    """One version of a trámite as an official writes it; every version stores one of these."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    slug: Annotated[str, Field(min_length=2, max_length=MAX_SLUG)] | None = None
    name: Annotated[str, Field(min_length=3, max_length=200)]
    standardized_name: Annotated[str, Field(max_length=200)] = ""
    also_known_as: list[Annotated[str, Field(min_length=2, max_length=120)]] = Field(
        default_factory=list, max_length=20
    )
    dependencia: Annotated[str, Field(min_length=1, max_length=40)]  # the owner's code
    suit_code: Annotated[str, Field(max_length=20)] | None = None
    purpose: Text
    online: bool = False
    online_url: Annotated[str, Field(max_length=500)] | None = None
    result: Text = TO_CONFIRM
    time_to_obtain: TimeToObtain = Field(default_factory=TimeToObtain)
    legal_basis: list[LegalBasis] = Field(default_factory=list, max_length=30)
    points_of_service: list[PointOfService] = Field(default_factory=list, max_length=30)
    life_situations: list[str] = Field(default_factory=list, max_length=10)
    requirements: list[Requirement] = Field(default_factory=list, max_length=60)
    cost: Cost = Field(default_factory=Cost)
    follow_up: Text = TO_CONFIRM
    voice_summary: Annotated[str, Field(min_length=10, max_length=VOICE_SUMMARY_MAX)]
    chat_answer: Annotated[str, Field(min_length=10, max_length=2000)]

    @field_validator("slug")
    @classmethod
    def _slug_shape(cls, slug: str | None) -> str | None:
        if slug is not None and not SLUG.match(slug):
            raise ValueError("solo minúsculas sin tildes, números y guiones (p. ej. impuesto-predial)")
        return slug

    @field_validator("life_situations")
    @classmethod
    def _known_situations(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in LIFE_SITUATIONS]
        if unknown:
            raise ValueError(f"situación de vida desconocida: {', '.join(unknown)}")
        return values

    @field_validator("online_url")
    @classmethod
    def _web_address(cls, url: str | None) -> str | None:
        if url and not url.startswith(("https://", "http://", "/")):
            raise ValueError("la dirección debe empezar por https://, http:// o /")
        return url or None

    def effective_slug(self) -> str:
        return self.slug or slugify(self.name)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slugify(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", strip_accents(text).lower())
    return "-".join(words)[:MAX_SLUG].strip("-") or "tramite"


WORD = re.compile(r"[a-z0-9]+")
# Words too common to narrow a search; the PostgreSQL Spanish configuration drops them too.
STOPWORDS = frozenset(
    {
        "a",
        "al",
        "como",
        "con",
        "de",
        "del",
        "el",
        "en",
        "es",
        "la",
        "las",
        "lo",
        "los",
        "mi",
        "para",
        "por",
        "que",
        "se",
        "su",
        "sus",
        "un",
        "una",
        "y",
        "o",
        "u",
        "e",
        "me",
        "quiero",
        "necesito",
        "sacar",
        "hacer",
        "tramite",
        "tramites",
        "donde",
        "cual",
    }
)


def light_stem(word: str) -> str:
    """A light Spanish plural stemmer: "prediales" -> "predial", "licencias" -> "licencia".

    Only plural endings are removed: a query word is then searched as a prefix, so "licencia"
    finds "licencias" and "conduccion" finds "conducción" once accents are gone.
    """
    if len(word) > 4 and word.endswith("ces"):
        return word[:-3] + "z"  # "luces" -> "luz"
    if len(word) > 4 and word.endswith("es") and word[-3] in "lrnd":
        return word[:-2]  # "prediales", "mayores", "certificaciones"... -> "predial", "certificacion"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def normalize(text: str) -> str:
    """Lower case, no accents: what both engines index and compare."""
    return strip_accents(text).lower()


def search_words(query: str) -> list[str]:
    """The query's words, normalised, stopwords removed (kept when they are all there is)."""
    words = WORD.findall(normalize(query))[:12]
    return [w for w in words if w not in STOPWORDS] or words


def search_terms(query: str) -> list[str]:
    """The query's words stemmed like the SQLite index's."""
    return [light_stem(w) for w in search_words(query)]


def stemmed_text(text: str) -> str:
    """The text as the SQLite index keeps it: normalised, each word stemmed like query words."""
    return " ".join(light_stem(w) for w in WORD.findall(normalize(text)))


def _word_trigrams(word: str) -> frozenset[str]:
    padded = f"  {word} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def trigrams(text: str) -> set[str]:
    grams: set[str] = set()
    for word in WORD.findall(normalize(text)):
        grams.update(_word_trigrams(word))
    return grams


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity (shared trigrams over all trigrams), for the SQLite fallback."""
    return _jaccard(frozenset(trigrams(a)), frozenset(trigrams(b)))


def word_similarity(query: str, text: str) -> float:
    """The best similarity of each query word to some word of `text`, averaged (typo tolerance)."""
    terms = [_word_trigrams(t) for t in WORD.findall(normalize(query))]
    words = {_word_trigrams(w) for w in WORD.findall(normalize(text))}
    if not words or not terms:
        return 0.0
    return sum(max(_jaccard(t, w) for w in words) for t in terms) / len(terms)


def body_text(record: TramiteRecord) -> str:
    """The searchable text besides name and synonyms: purpose, result, requirements, summary."""
    parts = [record.standardized_name, record.purpose, record.result, record.chat_answer]
    parts += [r.text for r in record.requirements]
    return " ".join(p for p in parts if p and p != TO_CONFIRM)

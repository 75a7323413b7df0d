"""The words of Amazon's processing report in every marketplace's language, as data.

A processing report (docs/domain.md section 6) keeps its column names in English, but the
`error-type` cell and the summary lines follow the seller's Seller Central language
(docs/domain.md section 7: amazon.de `Fehler` / `Warnung`, amazon.fr `Erreur` /
`Avertissement`; Seller Central also shows informational messages, `Info`). Words are
matched after the safe normalisation of `normalise` (NFKC, format characters such as a
zero-width space removed, case, spacing); a word still not listed is reported by the reader
with its line and leaves the batch unconfirmed (ledger/reconcile.py), never guessed.
"""

from __future__ import annotations

import re
import unicodedata

ERROR = "Error"  # that record failed
WARNING = "Warning"  # the record was processed; tell the user
FATAL = "Fatal"  # the whole file was rejected
INFO = "Info"  # informational: handled like a warning

# error-type word -> kind. English: Amazon's reports (docs/domain.md section 6, the public
# SP-API issue amzn/selling-partner-api-docs#133 shows `Fatal` and `Warning`). DE and FR:
# docs/domain.md section 7 (seen in real amazon.de / amazon.fr reports). The other languages
# are the words Seller Central's own translations use for error / warning / information
# (IT, ES, NL, SE, PL, TR, PT-BR, JP, ZH, AR); not yet seen in a published report, so they
# are an open list: a word missing here is reported with its line and no row of the batch
# is confirmed (they stay `unconfirmed` until a report cancelkit understands is given).
# Seller Central's help on processing reports (sellercentral.amazon.com/gp/help/201576740;
# .ca/gp/help/200828080) names the error-type values `Error` and `Fatal` ("Fatals refer to
# invalid data that affects the entire file") besides warnings; its Dutch page
# (sellercentral.amazon.nl/gp/help/200194300) says the report's language is a setting
# (Settings > Account Info > "processing report feed language": English or the
# marketplace's language), which the README gives as the way out of an unknown word.
# Not found in any public report or help page, so deliberately NOT listed (they stay
# unknown and stop the confirmation): "Errore fatale", "Schwerer Fehler", "Kritischer
# Fehler", "Erro crítico", "Fatal Error".
ERROR_TYPE_WORDS: dict[str, str] = {
    # English
    "error": ERROR,
    "warning": WARNING,
    "fatal": FATAL,
    "info": INFO,
    "information": INFO,
    "informational": INFO,
    # German (amazon.de)
    "fehler": ERROR,
    "warnung": WARNING,
    "schwerwiegend": FATAL,
    "schwerwiegender fehler": FATAL,
    "hinweis": INFO,
    # French (amazon.fr, amazon.com.be)
    "erreur": ERROR,
    "avertissement": WARNING,
    "fatale": FATAL,
    "erreur fatale": FATAL,
    "informations": INFO,
    # Italian (amazon.it)
    "errore": ERROR,
    "avviso": WARNING,
    "avvertenza": WARNING,
    "errore irreversibile": FATAL,
    "irreversibile": FATAL,
    "informazioni": INFO,
    "informazione": INFO,
    # Spanish (amazon.es, amazon.com.mx): "error" as in English
    "advertencia": WARNING,
    "error grave": FATAL,
    "grave": FATAL,
    "información": INFO,
    # Dutch (amazon.nl)
    "fout": ERROR,
    "waarschuwing": WARNING,
    "fataal": FATAL,
    "fatale fout": FATAL,
    "informatie": INFO,
    # Swedish (amazon.se)
    "fel": ERROR,
    "varning": WARNING,
    "allvarligt fel": FATAL,
    "kritiskt fel": FATAL,
    # Polish (amazon.pl)
    "błąd": ERROR,
    "ostrzeżenie": WARNING,
    "błąd krytyczny": FATAL,
    "krytyczny": FATAL,
    "informacja": INFO,
    # Turkish (amazon.com.tr)
    "hata": ERROR,
    "uyarı": WARNING,
    "kritik hata": FATAL,
    "bilgi": INFO,
    # Portuguese (amazon.com.br)
    "erro": ERROR,
    "aviso": WARNING,
    "erro fatal": FATAL,
    "informação": INFO,
    # Japanese (amazon.co.jp)
    "エラー": ERROR,
    "警告": WARNING,
    "致命的": FATAL,
    "致命的なエラー": FATAL,
    "情報": INFO,
    # Chinese (Seller Central's Chinese UI)
    "错误": ERROR,
    "严重错误": FATAL,
    "信息": INFO,
    # Arabic (amazon.ae, amazon.sa, amazon.eg)
    "خطأ": ERROR,
    "تحذير": WARNING,
    "خطأ فادح": FATAL,
    "معلومات": INFO,
}


def normalise(word: str) -> str:
    """The form a word is looked up in: NFKC (fullwidth letters, compatibility forms),
    format characters removed (zero-width space and joiners, soft hyphen, BOM, bidi marks:
    Unicode category Cf), case folded, runs of any white space made one space. Nothing
    else: a look-alike letter of another script (Cyrillic `о` in `Errоr`) stays what it
    is, so the word stays unknown."""
    text = unicodedata.normalize("NFKC", word)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split()).casefold()


def error_type(word: str) -> str | None:
    """The kind (Error, Warning, Fatal, Info) of an `error-type` word; None when unknown."""
    return ERROR_TYPE_WORDS.get(normalise(word))


# The summary lines that count records. English from Amazon's reports (docs/domain.md section 6:
# "Number of records processed", "Number of records successful", also written
# "Number of records processed: 1045"). The localized words are the translations of
# "processed" and "successful" (same sources and caveat as ERROR_TYPE_WORDS): a line is read
# as a count when it holds one of these words and ends in a number; "successful" is tested
# first, because a translation may say "successfully processed".
SUCCESSFUL_WORDS: tuple[str, ...] = (
    "successful",
    "erfolgreich",
    "réussi",
    "reussi",
    "riuscit",
    "correct",
    "succesvol",
    "lyckade",
    "pomyśln",
    "powodzeniem",
    "exitos",
    "éxito",
    "sucesso",
    "başarılı",
    "成功",
)
PROCESSED_WORDS: tuple[str, ...] = (
    "processed",
    "verarbeitet",
    "traité",
    "traite",
    "elaborat",
    "procesad",
    "verwerkt",
    "bearbetade",
    "przetworzon",
    "processad",
    "işlenen",
    "処理",
    "处理",
)
#: a summary line: words (any script), optional colon, then a count
# the count is ASCII digits: "²" or "٢" is never read as a number
SUMMARY_COUNT = re.compile(r"^\s*(?P<words>\D*?\w\D*?)[\s:：]+(?P<count>[0-9]+)\s*$")


def summary_count(line: str) -> tuple[str, int] | None:
    """`("processed" | "successful", count)` for a summary line that counts records, in
    any of the languages above; None for any other line."""
    match = SUMMARY_COUNT.match(line)
    if not match:
        return None
    words = normalise(match.group("words"))
    if any(w in words for w in SUCCESSFUL_WORDS):
        return "successful", int(match.group("count"))
    if any(w in words for w in PROCESSED_WORDS):
        return "processed", int(match.group("count"))
    return None


def is_summary_title(line: str) -> bool:
    """Whether a line is the report's title (`Feed Processing Summary:`, or a translation):
    words ending in a colon, no digits."""
    text = line.strip()
    return text.endswith((":", "：")) and not any(ch.isdigit() for ch in text) and len(text) > 2


def is_other_summary(line: str) -> bool:
    """Another "words ... number" summary line (tolerated and ignored)."""
    return SUMMARY_COUNT.match(line) is not None

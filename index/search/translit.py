"""Latin spellings of Cyrillic text, so a question written in Latin letters finds a source
cited in Cyrillic ("Tsedenbal" is "Цэдэнбал", "Gadaad Khariltsaa" is "Гадаад Харилцаа").

English-language writing on Mongolia and Russia spells names by two customs that differ in
a few letters (ж: Mongolian "j", Russian "zh"; й: "i" or "y"); both spellings are given.
"""
from __future__ import annotations

import re

# letters both customs spell alike
_COMMON = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "з": "z",
    "и": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "ө": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ү": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "э": "e", "ю": "yu", "я": "ya",
}
_MONGOLIAN = {**_COMMON, "ж": "j", "й": "i", "ь": "i"}
_RUSSIAN = {**_COMMON, "ж": "zh", "й": "y", "ь": ""}
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def _spell(text: str, table: dict[str, str]) -> str:
    out = []
    for ch in text:
        low = ch.lower()
        latin = table.get(low)
        if latin is None:
            out.append(ch)
        elif ch != low:  # a capital keeps its capital: names stay names
            out.append(latin[:1].upper() + latin[1:])
        else:
            out.append(latin)
    return "".join(out)


def latin_spellings(text: str) -> list[str]:
    """The text's Latin spellings (one per custom, without repeats), or [] when it has no
    Cyrillic letters."""
    if not _CYRILLIC.search(text):
        return []
    return list(dict.fromkeys(_spell(text, t) for t in (_MONGOLIAN, _RUSSIAN)))

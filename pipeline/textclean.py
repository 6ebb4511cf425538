"""Text for modelling: markup out, PDF damage mended, whitespace normalised; and title keys.

`clean` is a fixed point by construction: its passes never lengthen the text, and it repeats
them until nothing changes, so `clean(clean(x)) == clean(x)` (tested with hypothesis).
Dumps keep their original text; only the `text` column of papers.parquet is cleaned.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Collection

_TAGS = (
    "a|abbr|b|big|blockquote|br|cite|code|del|div|em|font|h[1-6]|hr|i|ins|kbd|li|mark|math|mi|"
    "mn|mo|mrow|msub|msup|mfrac|ol|p|pre|q|s|samp|small|span|strike|strong|sub|sup|table|td|"
    "th|tr|tt|u|ul|var|wbr|jats:[a-z]+|mml:[a-z]+"
)
# Only known HTML tags: "<BOX>" in an abstract is a token of the paper, not markup.
_TAG = re.compile(rf"</?(?:{_TAGS})(?:\s[^<>]*)?/?>", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|www\.)\S+?(?=[.,;:!?)\]}']*(?:\s|$))", re.IGNORECASE)
_CID = re.compile(r"\(cid:\d+\)")
# (cid:173) is a soft hyphen that pdf-to-text left where a word was cut at a line end
# ("struc(cid:173) tures" in confpapers): the word is joined again.
_CID_SOFT_HYPHEN = re.compile(r"\(cid:173\)\s*")
_CITE = re.compile(r"\\(?:cite[a-z]*|ref|eqref|label)\*?(?:\[[^\]]*\])*\{[^{}]*\}")
_NUM_CITE = re.compile(r"\s?\[\d+(?:\s*[,–-]\s*\d+)*\]")
_URL_CMD = re.compile(r"\\url\{[^{}]*\}")
_HREF = re.compile(r"\\href\{[^{}]*\}\{([^{}]*)\}")
_WRAP = re.compile(r"\\[a-zA-Z]+\*?\{([^{}]*)\}")
_SCRIPT = re.compile(r"[\^_]\{([^{}]*)\}")
_MATH = re.compile(r"\$([^$]*)\$")
_COMMAND = re.compile(r"\\([a-zA-Z]+)")
_ESCAPED = re.compile(r"\\([%&_#$])")
_TILDE = re.compile(r"(?<=[^\s\d])~|~(?=[^\s\d])")
_LIGATURE = re.compile(r"(?:\b([a-z]+) )?\b(ffi|ffl|ff|fi|fl) ([a-z]+)\b")
_LIGATURE_QUICK = re.compile(r"\b(?:ffi|ffl|ff|fi|fl) [a-z]")
_HYPHEN_SPLIT = re.compile(r"\b([A-Za-z]+)- ([a-z]+)\b")
_SUSPENDED = {"and", "or", "nor", "vs", "versus", "to", "but", "as", "through"}
_SPACE_BEFORE = re.compile(r"\s+([.,;:!?)\]])")
_EMPTY_BRACKETS = re.compile(r"\(\s*[,;]?\s*\)|\[\s*\]")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "theta": "θ",
    "lambda": "λ", "mu": "μ", "pi": "π", "sigma": "σ", "tau": "τ", "phi": "φ", "omega": "ω",
    "degree": "°", "times": "×", "pm": "±", "leq": "≤", "geq": "≥", "le": "≤", "ge": "≥",
    "approx": "≈", "sim": "~", "cdot": "·", "rightarrow": "→", "to": "→", "infty": "∞",
}  # fmt: skip
_MAX_PASSES = 50


def title_key(title: str) -> str:
    """Case, accents' forms, markup and punctuation removed: equal for the same title."""
    text = clean(title).casefold()
    return " ".join(re.findall(r"[^\W_]+", text))


def paper_id(title: str) -> str:
    """`p` + 12 hex chars of SHA-1 of the title key: stable across runs and machines."""
    return key_id(title_key(title))


def key_id(key: str) -> str:
    """The paper id of a title key (`paper_id(title) == key_id(title_key(title))`)."""
    return "p" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def model_text(title: str, abstract: str, vocab: Collection[str] = ()) -> str:
    """Title and abstract, cleaned, as one string for embedding and topic models."""
    title, abstract = title.strip(), abstract.strip()
    sep = " " if not title or not abstract or title[-1] in ".!?" else ". "
    return clean(f"{title}{sep}{abstract}", vocab)


def clean(text: str, vocab: Collection[str] = ()) -> str:
    """Clean until stable. `vocab` (known words) lets "signi fi cant" be mended whole."""
    for _ in range(_MAX_PASSES):
        new = _pass(text, vocab)
        if new == text:
            break
        text = new
    return text


def _pass(text: str, vocab: Collection[str]) -> str:
    # Each step runs only when its trigger character is present: most abstracts have no
    # markup, and cleaning a large corpus is dominated by these scans.
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "(cid:" in text:
        text = _CID.sub(" ", _CID_SOFT_HYPHEN.sub("", text))
    if "\\" in text:
        text = _URL_CMD.sub("", _HREF.sub(r"\1", text))
    if "://" in text or "www." in text.lower():
        text = _URL.sub("", text)
    if "\\" in text:
        text = _CITE.sub("", text)
    if "[" in text:
        text = _NUM_CITE.sub("", text)
    if any(c in text for c in "\\{}$^_"):
        text = _latex(text)
    if "`" in text or "''" in text:
        text = text.replace("``", '"').replace("''", '"')
    if "~" in text:
        text = _TILDE.sub(" ", text)
    if _LIGATURE_QUICK.search(text):
        text = _LIGATURE.sub(lambda m: _mend_ligature(m, vocab), text)
    if "- " in text:
        text = _HYPHEN_SPLIT.sub(lambda m: _mend_hyphen(m, vocab), text)
    text = " ".join(text.split())
    if "(" in text or "[" in text:
        text = _EMPTY_BRACKETS.sub("", text)
    text = _SPACE_BEFORE.sub(r"\1", text)
    return " ".join(text.split())


def _latex(text: str) -> str:
    text = _ESCAPED.sub(r"\1", text)
    for _ in range(_MAX_PASSES):  # innermost braces first: \underline{\textit{M}}
        new = _SCRIPT.sub(r"\1", _WRAP.sub(r"\1", text))
        if new == text:
            break
        text = new
    text = _MATH.sub(lambda m: re.sub(r"[\^_{}]", "", m[1]), text)
    text = _COMMAND.sub(lambda m: _SYMBOLS.get(m[1], " "), text)
    return text.replace("{", "").replace("}", "")


def _mend_ligature(m: re.Match, vocab: Collection[str]) -> str:
    before, lig, after = m[1], m[2], m[3]
    if before and f"{before}{lig}{after}" in vocab and before not in vocab:
        return f"{before}{lig}{after}"
    return f"{before} {lig}{after}" if before else f"{lig}{after}"


def _mend_hyphen(m: re.Match, vocab: Collection[str]) -> str:
    if m[2] in _SUSPENDED:  # "inter- and intra-organ" is English, not a line break
        return m[0]
    joined, hyphenated = m[1] + m[2], f"{m[1]}-{m[2]}"
    # "self- supervised" was "self-supervised" cut at a line end, "de- tection" was one word.
    if hyphenated.lower() in vocab and joined.lower() not in vocab:
        return hyphenated
    return joined

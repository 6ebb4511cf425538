"""What a title, an abstract and an author line look like on the text pages.

The text layouts give each field a position, not a label, so a lost or shifted line makes
another field take its place: an entry that lost its abstract takes the next title as its
abstract (issue 11). These checks turn such an entry into an error or a reject instead of a
paper. They are deliberately loose for real entries (the seeds' titles have 25 to 143
characters and no final full stop; their abstracts 858 to 1,919 characters and at least three
sentences) and only catch the shapes a misplaced line has: a title is one short line that
does not end like a sentence; an abstract is prose, which a title or an author list is not.

Exports name their columns, so a title cannot land in the abstract column by a shifted line:
they are not checked here (only for emptiness and unreadable bytes, in `tabular`).
"""

from __future__ import annotations

import re

from pipeline.parsers.meta import ET_AL, authors_shape

MAX_TITLE_CHARS = 300  # longer than any title seen; every seed abstract is longer
MAX_TITLE_WORDS = 50
MIN_ABSTRACT_WORDS = 2
_CLOSERS = re.escape("\"'’”)]")
# Ends like a sentence: a word, then a full stop, "!" or an ellipsis (closing quotes or
# brackets allowed). Not "?": titles end in "?" ("Does DINOv3 Set a New ... Standard?").
_SENTENCE_END = re.compile(rf"[^\s.][.!…][{_CLOSERS}]*$")
# A word of two letters or more and a full stop: how a sentence ends, never how a title does
# ("Abstract one." vs "... in VLLMs"); initials ("U.S.") are one letter.
_TITLE_FULL_STOP = re.compile(rf"[^\W\d_]{{2,}}\.[{_CLOSERS}]*$")
# A sentence break inside the text: "... results. The ..." (a "?" break occurs in titles).
_PERIOD_BREAK = re.compile(r"[^\W\d_]{2,}\. [A-Z]")
_URL_END = re.compile(r"https?://\S+$")
_MID_SENTENCE = re.compile(r"[^\W\d_]$|[,;:(\-–]$")  # ends with a letter or a joining mark
_WORD = re.compile(r"[^\W\d_][\w'’-]{3,}")  # words of four characters or more
# Share of capitalised long words from which a line reads as Title Case: 229 of the 236 seed
# titles are above 0.5, no seed abstract is above 0.24.
TITLE_CASE_SHARE = 0.5


def is_prose(text: str) -> bool:
    """Longer than a title can be, or shaped like sentences."""
    text = text.strip()
    return (
        len(text) > MAX_TITLE_CHARS
        or bool(_SENTENCE_END.search(text))
        or bool(_PERIOD_BREAK.search(text))
    )


def ends_complete(text: str) -> bool:
    """Whether prose can end here. A file cut at a random byte mostly ends inside a word or
    after a comma; only that is doubted, so an abstract that ends in a bracket, a number or
    a link is taken as complete."""
    text = text.rstrip()
    if _URL_END.search(text) or _SENTENCE_END.search(text):
        return True
    return not _MID_SENTENCE.search(text)


def title_case(text: str) -> bool:
    """Most long words capitalised ("Prompt as Knowledge Bank: Boost ..."); a line without
    long words ("AI in CT") counts as Title Case."""
    words = _WORD.findall(text)
    return not words or sum(w[0].isupper() for w in words) >= TITLE_CASE_SHARE * len(words)


def reads_as_authors(text: str) -> bool:
    """Every comma-separated part is a name, and it does not end with a full stop (names end
    in a name, " et al." or an org slug; an abstract ends in a sentence)."""
    text = text.strip()
    if text.endswith(".") and not text.endswith(ET_AL):
        return False
    return authors_shape(text) is not None


def title_problem(text: str) -> str | None:
    """Why `text` cannot be a title, or None."""
    text = text.strip()
    if not text:
        return "empty title"
    if len(text) > MAX_TITLE_CHARS:
        return f"title of {len(text)} characters (at most {MAX_TITLE_CHARS}: is it an abstract?)"
    if len(text.split()) > MAX_TITLE_WORDS:
        return f"title of {len(text.split())} words (at most {MAX_TITLE_WORDS})"
    if _TITLE_FULL_STOP.search(text) and not text.endswith(ET_AL):
        return "title ends with a full stop like a sentence (is it an abstract?)"
    return None


def abstract_problem(text: str) -> str | None:
    """Why `text` cannot be an abstract, or None."""
    text = text.strip()
    n_words = len(text.split())
    if n_words < MIN_ABSTRACT_WORDS:
        return f"abstract of {n_words} word(s) (at least {MIN_ABSTRACT_WORDS})"
    # Sentence case is no proof of prose: 7 of the 236 seed titles are in sentence case, so
    # a short line without a sentence end is taken for a title, whatever its capitals.
    if not is_prose(text):
        return f"abstract is title-shaped: {len(text)} characters and no sentence end " + (
            "(is it a title?)")  # fmt: skip
    if reads_as_authors(text):
        return "abstract reads as a list of author names (is it the author line?)"
    return None


def pair_score(title: str, abstract: str) -> int:
    """How well (title, abstract) fit their roles, 0 to 5, among pairs that pass the checks
    above: used only to choose between pairings of a run that lost a paragraph."""
    return (
        int(title_case(title))
        + int(not is_prose(title))
        + int(is_prose(abstract))
        + int(len(abstract.strip()) > MAX_TITLE_CHARS)
        + int(len(abstract.strip()) > len(title.strip()))
    )


def author_line_problem(text: str) -> str | None:
    """Why a profile's author line cannot be one, or None: only prose is refused, because
    real names take more shapes than `meta.name_shape` knows."""
    if authors_shape(text) is None and is_prose(text.removesuffix(ET_AL)):
        return "author line reads as prose (is it the abstract?)"
    return None

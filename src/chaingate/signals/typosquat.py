"""Typosquat engine: does a package name look like a popular one it is not?

A name resembles a popular *target* when it is one small step away from it: one letter changed,
added or left out; two adjacent letters swapped; the same letters with different separators; or
a `py`/`python` affix added or left out. A name on the shipped popular list (any rank) is never
flagged, which keeps pairs of popular packages such as `boto`/`boto3` quiet.

Steps that healthy packages take all the time are not counted, because users judge the check by
how quiet it is on them (`scripts/typosquat_fp_rate.py` measures it):

- edits against targets shorter than `MIN_EDIT_TARGET`, or of names that short;
- a changed first letter (`crick`/`click`, `grequests`/`requests`), unless it is a look-alike,
  and a letter appended at the end (`torchx`/`torch`), unless it repeats the last (`djangoo`);
- edits inside a short word (`faiss-gpu`/`faiss-cpu`, `pyaes`/`pydes`: `py` counts as a word);
- digits that do not pass for a letter: `urllib2`/`urllib3`, `boto`/`boto3`, `html2docx`;
- one binding's affix for another's (`py-consul`/`python-consul`); `python`/`python3` still
  counts, as in the `python3-dateutil` attack.

The popular list (`chaingate/data/popular_pypi.txt`) ships inside the package so the check works
offline; `scripts/make_popular_names.py` regenerates it.
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Literal

import msgspec
from packaging.utils import canonicalize_name
from rapidfuzz import process
from rapidfuzz.distance import OSA

MatchKind = Literal["separator", "affix", "transposition", "homoglyph", "edit"]

DATA_FILE = "popular_pypi.txt"

#: Plain edits need a target (and a name) at least this long: shorter names have so many
#: one-edit neighbours that most of them are unrelated packages.
MIN_EDIT_TARGET = 5
#: An affix match needs this much name left once the affix is removed (`pytz` -> `tz` is noise).
MIN_AFFIX_CORE = 4
#: Words this short are not edited: `sqs`/`sns`, `gpu`/`cpu` are different words, not typos.
SHORT_WORD = 3

# Matched on names with separators removed (`python-requests` -> `pythonrequests`), longest
# first so that `python3requests` loses `python3` rather than `py`.
_AFFIXES = ("python3", "python", "py3", "py")

# Characters that read alike once a name is lowercased (`jeIlyfish`, `crypt0graphy`).
_LOOK_ALIKE = frozenset(
    frozenset(pair) for pair in (("0", "o"), ("1", "l"), ("1", "i"), ("i", "l"), ("5", "s"))
)

# When several targets match, the most popular wins; among equals, the plainest explanation.
_KIND_ORDER: dict[MatchKind, int] = {
    "separator": 0,
    "affix": 1,
    "transposition": 2,
    "homoglyph": 3,
    "edit": 4,
}


class Match(msgspec.Struct, frozen=True):
    """The popular package a name resembles, and how."""

    target: str
    target_rank: int
    kind: MatchKind
    detail: str


class PopularNames:
    """Canonical package names with their download rank (1 is the most downloaded)."""

    def __init__(
        self,
        ranks: Mapping[str, int],
        *,
        canonical: bool = False,
        normalize: Callable[[str], str] = canonicalize_name,
    ) -> None:
        """`canonical=True`: the names are canonical already (the shipped list is written
        so), which spares 15,000 `normalize` calls per scan. `normalize` is the ecosystem's
        name rule (PEP 503 by default)."""
        self.normalize = normalize
        if canonical:
            self._ranks = dict(ranks)
        else:
            self._ranks = {normalize(name): rank for name, rank in ranks.items()}
        self._indexes: dict[int, _TargetIndex] = {}

    @classmethod
    def from_lines(
        cls,
        lines: Iterable[str],
        *,
        canonical: bool = False,
        normalize: Callable[[str], str] = canonicalize_name,
    ) -> PopularNames:
        """Parse `rank<TAB>name` lines; blank lines and `#` comments are skipped."""
        return cls.from_text("\n".join(lines), canonical=canonical, normalize=normalize)

    @classmethod
    def from_text(
        cls,
        text: str,
        *,
        canonical: bool = False,
        normalize: Callable[[str], str] = canonicalize_name,
    ) -> PopularNames:
        """Parse `rank<TAB>name` lines; blank lines and `#` comments are skipped. (Split in
        one pass, not line by line: every scan reads the 15,000 shipped lines.)"""
        lines = [line for line in text.splitlines() if line.strip() and line[0] != "#"]
        bad = next((line for line in lines if line.count("\t") != 1), None)
        if bad is not None:
            raise ValueError(f"not a rank<TAB>name line: {bad!r}")
        cells = "\t".join(lines).split("\t")
        ranks = dict(zip(cells[1::2], map(int, cells[0::2]), strict=True))
        return cls(ranks, canonical=canonical, normalize=normalize)

    @functools.cached_property
    def _by_rank(self) -> list[str]:
        """Names, most downloaded first: only the look-alike search needs them, and a scan
        whose names are all popular never searches."""
        return sorted(self._ranks, key=self._ranks.__getitem__)

    def rank(self, name: str) -> int | None:
        """The download rank of `name` (any spelling), or None when it is not on the list."""
        return self._ranks.get(self.normalize(name))

    def __len__(self) -> int:
        return len(self._ranks)

    def __iter__(self) -> Iterator[str]:
        """Canonical names, most downloaded first."""
        return iter(self._by_rank)

    def _index(self, targets: int) -> _TargetIndex:
        """Lookup tables over the `targets` most downloaded names, built once per size."""
        index = self._indexes.get(targets)
        if index is None:
            index = self._indexes[targets] = _TargetIndex(self._by_rank[:targets])
        return index


@functools.cache
def load_popular() -> PopularNames:
    """The shipped list of the most downloaded PyPI packages, read once."""
    from chaingate.data import read_text

    text = read_text(DATA_FILE)
    # scripts/make_popular_names.py writes canonical names (a test holds it to that)
    return PopularNames.from_text(text, canonical=True)


def resembles(name: str, popular: PopularNames, *, targets: int = 5000) -> Match | None:
    """The package among the `targets` most popular that `name` looks like, if any.

    Returns None for a name that is on `popular` itself, at any rank.
    """
    canonical = popular.normalize(name)
    if popular.rank(canonical) is not None:
        return None
    written = name.strip()
    matches = []
    for target in popular._index(targets).candidates(canonical):
        rank = popular.rank(target)
        assert rank is not None
        found = _explain(canonical, target, written)
        if found is not None:
            kind, how = found
            matches.append(Match(target, rank, kind, f"{how}: {written!r} vs {target!r}"))
    if not matches:
        return None
    return min(matches, key=lambda m: (m.target_rank, _KIND_ORDER[m.kind], m.target))


class _TargetIndex:
    """Targets grouped so that a name is compared only with the few that can match. Built
    when a scan meets its first name that is not popular, so kept cheap: one pass for the
    separator-free keys, the affix split only for the keys that hold a `py`, and the long
    names sorted by length instead of grouped under three lengths each. The groups may hold
    more targets than can match; `_explain` decides."""

    def __init__(self, names: Sequence[str]) -> None:
        self.by_key: dict[str, list[str]] = {}
        for name in names:
            self.by_key.setdefault(_strip_separators(name), []).append(name)
        # Names whose affix-free core differs from their key; for the others, the core is
        # the key, found in by_key.
        self.by_core: dict[str, list[str]] = {}
        for key, group in self.by_key.items():
            if "py" in key:
                core = _split_affixes(key)[1]
                if core != key and len(core) >= MIN_AFFIX_CORE:
                    self.by_core.setdefault(core, []).extend(group)
        self.long = sorted((n for n in names if len(n) >= MIN_EDIT_TARGET), key=len)
        self.lengths = [len(n) for n in self.long]

    def candidates(self, canonical: str) -> set[str]:
        """Targets that may be one step from `canonical`; `_explain` decides which are."""
        key = _strip_separators(canonical)
        found = set(self.by_key.get(key, ()))
        core = _Affixed.split(key).core
        if len(core) >= MIN_AFFIX_CORE:
            found.update(self.by_key.get(core, ()))
            found.update(self.by_core.get(core, ()))
        if len(canonical) >= MIN_EDIT_TARGET:
            nearby = self.long[
                bisect_left(self.lengths, len(canonical) - 1) : bisect_right(
                    self.lengths, len(canonical) + 1
                )
            ]
            hits = process.extract(
                canonical, nearby, scorer=OSA.distance, score_cutoff=1, limit=None
            )
            found.update(target for target, _, _ in hits)
        return found


def _explain(canonical: str, target: str, written: str) -> tuple[MatchKind, str] | None:
    """How `canonical` (spelt `written` by the user) is one step from `target`, or None when no
    rule accepts the pair."""
    name_key, target_key = _strip_separators(canonical), _strip_separators(target)
    if name_key == target_key:
        return "separator", "same letters, different separators"
    ours, theirs = _Affixed.split(name_key), _Affixed.split(target_key)
    if ours.core == theirs.core:
        if len(ours.core) < MIN_AFFIX_CORE:
            return None
        how = _affix_change(ours, theirs)
        return None if how is None else ("affix", how)
    if min(len(canonical), len(target)) < MIN_EDIT_TARGET:
        return None
    return _one_edit(canonical, target, written)


class _Affixed(msgspec.Struct, frozen=True):
    """A separator-free name cut into py/python prefix, core and suffix."""

    prefix: str
    core: str
    suffix: str

    @classmethod
    def split(cls, key: str) -> _Affixed:
        return cls(*_split_affixes(key))


def _split_affixes(key: str) -> tuple[str, str, str]:
    """(prefix, core, suffix) of a separator-free name; the index splits 5,000 this way,
    so no object is built."""
    if "py" not in key:  # every affix has it; most names have none
        return "", key, ""
    prefix = next((a for a in _AFFIXES if key.startswith(a) and key != a), "")
    rest = key[len(prefix) :]
    suffix = next((a for a in _AFFIXES if rest.endswith(a) and rest != a), "")
    return prefix, rest[: len(rest) - len(suffix)], suffix


def _affix_change(ours: _Affixed, theirs: _Affixed) -> str | None:
    """Describe an affix added, left out or moved between `python` and `python3`; None for
    one binding's affix in place of another's (`py-consul` vs `python-consul`)."""
    changes = []
    for place, mine, target in (
        ("prefix", ours.prefix, theirs.prefix),
        ("suffix", ours.suffix, theirs.suffix),
    ):
        if mine == target:
            continue
        if not target:
            changes.append(f"{mine!r} {place} added")
        elif not mine:
            changes.append(f"{target!r} {place} left out")
        elif mine.replace("3", "") == target.replace("3", ""):
            changes.append(f"{mine!r} {place} in place of {target!r}")
        else:
            return None
    if len(changes) != 1:
        return None  # the affix moved to the other end (`pykafka` vs `kafka-python`)
    return changes[0]


class _Edit(msgspec.Struct, frozen=True):
    """One character changed, added or left out, or two adjacent characters swapped, at
    `position` in the target."""

    op: Literal["changed", "added", "left out", "swapped"]
    position: int
    ours: str
    theirs: str


def _one_edit(canonical: str, target: str, written: str) -> tuple[MatchKind, str] | None:
    """Classify a one-step difference; None when it is not one or it looks benign."""
    edit = _find_edit(canonical, target)
    if edit is None:
        return None
    look_alike = edit.op == "changed" and frozenset((edit.ours, edit.theirs)) in _LOOK_ALIKE
    if edit.position == 0 and not look_alike:
        return None  # first letters are rarely mistyped; `grequests`, `crick` are their own
    # An added letter belongs to the word it was typed after, or before at a word's start.
    at = edit.position
    if edit.op == "added" and (at == len(target) or target[at - 1] != "-"):
        at -= 1
    word = _word_at(target, at)
    if len(word) <= SHORT_WORD and word not in _AFFIXES:
        return None  # `faiss-gpu` vs `faiss-cpu`: a short word changed is another word
    if edit.op == "added" and edit.position == len(target) and edit.ours != target[-1]:
        return None  # `torchx`, `behavex`: a letter appended names a variant; `djangoo` is a slip
    if "-" in edit.ours + edit.theirs:
        return None  # a separator for a letter changes the words, not one letter
    if _involves_digit(edit) and not look_alike:
        return None
    if look_alike:
        typed = edit.ours
        if len(written) == len(canonical) and written[edit.position].lower() == typed:
            typed = written[edit.position]  # the capital I of `jeIlyfish`
        return "homoglyph", f"look-alike {typed!r} for {edit.theirs!r}"
    if edit.op == "swapped":
        return "transposition", f"letters {edit.theirs!r} swapped"
    if edit.op == "changed":
        return "edit", f"one letter changed, {edit.ours!r} for {edit.theirs!r}"
    if edit.op == "added":
        return "edit", f"one letter added, {edit.ours!r}"
    return "edit", f"one letter left out, {edit.theirs!r}"


def _find_edit(canonical: str, target: str) -> _Edit | None:
    start = 0
    while start < min(len(canonical), len(target)) and canonical[start] == target[start]:
        start += 1
    if len(canonical) == len(target):
        if canonical[start + 1 :] == target[start + 1 :]:
            return _Edit("changed", start, canonical[start], target[start])
        pair = target[start : start + 2]
        if (
            canonical[start : start + 2] == pair[::-1]
            and canonical[start + 2 :] == target[start + 2 :]
        ):
            return _Edit("swapped", start, pair[::-1], pair)
    elif len(canonical) == len(target) + 1 and canonical[start + 1 :] == target[start:]:
        return _Edit("added", start, canonical[start], "")
    elif len(target) == len(canonical) + 1 and target[start + 1 :] == canonical[start:]:
        return _Edit("left out", start, "", target[start])
    return None


def _involves_digit(edit: _Edit) -> bool:
    """Digits number versions and variants (`urllib2`/`urllib3`, `boto3`, `html2docx`); they
    are not typos unless they pass for a letter (`crypt0graphy`, caught before this)."""
    return any(char.isdigit() for char in edit.ours + edit.theirs)


def _word_at(name: str, position: int) -> str:
    """The word of `name` that holds `position`; a py/python affix is a word of its own
    (`pyaes` is `py` + `aes`)."""
    begin = name.rfind("-", 0, position) + 1
    end = name.find("-", position)
    end = len(name) if end == -1 else end
    parts = _Affixed.split(name[begin:end])
    if position < begin + len(parts.prefix):
        return parts.prefix
    if position >= end - len(parts.suffix):
        return parts.suffix
    return parts.core


def _strip_separators(canonical: str) -> str:
    return canonical.replace("-", "")

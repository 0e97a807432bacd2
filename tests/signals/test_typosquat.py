"""The typosquat engine against names from real incidents and against healthy packages.

Incident names come from public reports of removed PyPI typosquats: the 2017 SK-CSIRT list
(`urlib3`, `setup-tools`), `jeIlyfish` and `python3-dateutil` (2019), `colourama` (2018), and
the `requests`/`django` look-alikes of later waves. The popular list is the shipped one.
"""

from __future__ import annotations

from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from chaingate.data import read_text
from chaingate.signals.typosquat import (
    _KIND_ORDER,
    Match,
    PopularNames,
    _explain,
    load_popular,
    resembles,
)


@pytest.fixture(scope="module")
def popular() -> PopularNames:
    return load_popular()


@pytest.fixture(scope="module")
def top_5000(popular: PopularNames) -> PopularNames:
    """Only the 5,000 most downloaded: names ranked below act as healthy, not-popular ones."""
    return PopularNames({name: popular.rank(name) or 0 for name in list(popular)[:5000]})


@pytest.mark.parametrize(
    ("name", "target", "kind"),
    [
        ("reqeusts", "requests", "transposition"),
        ("requets", "requests", "edit"),
        ("rquests", "requests", "edit"),
        ("requesys", "requests", "edit"),
        ("requestss", "requests", "edit"),
        ("urlib3", "urllib3", "edit"),
        ("djanga", "django", "edit"),
        ("diango", "django", "edit"),
        ("colourama", "colorama", "edit"),
        ("beautfulsoup4", "beautifulsoup4", "edit"),
        ("matplotilb", "matplotlib", "transposition"),
        ("tenserflow", "tensorflow", "edit"),
        ("numpyy", "numpy", "edit"),
        ("jeIlyfish", "jellyfish", "homoglyph"),
        ("crypt0graphy", "cryptography", "homoglyph"),
        ("djang0", "django", "homoglyph"),
        ("pil1ow", "pillow", "homoglyph"),
        ("setup-tools", "setuptools", "separator"),
        ("setup_tools", "setuptools", "separator"),
        ("pythondateutil", "python-dateutil", "separator"),
        ("scikitlearn", "scikit-learn", "separator"),
        ("python3-dateutil", "python-dateutil", "affix"),
        ("dateutil", "python-dateutil", "affix"),
        ("python-requests", "requests", "affix"),
        ("requests-py", "requests", "affix"),
        ("pyrequests", "requests", "affix"),
    ],
)
def test_typosquats_name_the_package_they_imitate(
    popular: PopularNames, name: str, target: str, kind: str
) -> None:
    match = resembles(name, popular)

    assert match is not None, name
    assert (match.target, match.kind) == (target, kind)
    assert match.target_rank == popular.rank(target)


def test_detail_says_what_changed_in_the_name_as_written(popular: PopularNames) -> None:
    assert resembles("jeIlyfish", popular) == Match(
        target="jellyfish",
        target_rank=popular.rank("jellyfish") or 0,
        kind="homoglyph",
        detail="look-alike 'I' for 'l': 'jeIlyfish' vs 'jellyfish'",
    )
    requets = resembles("requets", popular)
    assert requets is not None
    assert requets.detail == "one letter left out, 's': 'requets' vs 'requests'"
    dateutil = resembles("python3-dateutil", popular)
    assert dateutil is not None
    assert dateutil.detail == (
        "'python3' prefix in place of 'python': 'python3-dateutil' vs 'python-dateutil'"
    )


@pytest.mark.parametrize(
    "name",
    [
        "requests",
        "Requests",
        "boto3",
        "boto",  # one digit from boto3, but popular itself
        "urllib3",
        "pyyaml",
        "PyYAML",
        "six",
        "numpy",
        "python-dateutil",
        "Python_Dateutil",
        "beautifulsoup",  # one letter from beautifulsoup4, popular itself
        "requests-toolbelt",
    ],
)
def test_popular_packages_are_never_flagged(popular: PopularNames, name: str) -> None:
    assert popular.rank(name) is not None
    assert resembles(name, popular) is None


@pytest.mark.parametrize(
    "name",
    [
        "torchx",  # a letter appended names a variant of torch
        "behavex",
        "faiss-gpu",  # faiss-cpu: a short word changed is a different word
        "types-boto3-sns",  # types-boto3-sqs
        "pydes",  # pyaes: `py` plus a three-letter word
        "grequests",  # first letter: gevent + requests
        "entrypoint2",  # entrypoints: digits number variants
        "html2docx",  # htmldocx
        "py-consul",  # python-consul: one binding's affix for another's
        "pykafka",  # kafka-python
        "scanpy",  # scapy
    ],
)
def test_healthy_less_popular_packages_are_not_flagged(top_5000: PopularNames, name: str) -> None:
    assert top_5000.rank(name) is None
    assert resembles(name, top_5000) is None


@pytest.mark.parametrize(
    "name",
    ["requests2", "urllib4", "boto4", "django3", "jinja3", "pandas2", "nunpy"],
)
def test_version_digits_and_short_words_are_not_typos(popular: PopularNames, name: str) -> None:
    assert resembles(name, popular) is None


def test_short_targets_need_more_than_one_edit(popular: PopularNames) -> None:
    # Names as short as `six` have hundreds of one-edit neighbours on PyPI.
    assert resembles("sox", popular) is None
    assert resembles("sixx", popular) is None


def test_targets_limits_which_popular_names_are_imitated(popular: PopularNames) -> None:
    rank = popular.rank("django")
    assert rank is not None and rank > 100

    assert resembles("djanga", popular, targets=100) is None
    assert resembles("djanga", popular, targets=rank) is not None


def test_the_most_popular_of_several_targets_wins() -> None:
    popular = PopularNames({"colorama": 10, "colorana": 5})

    match = resembles("coloraka", popular)

    assert match is not None
    assert (match.target, match.target_rank) == ("colorana", 5)


def test_a_name_on_the_list_at_any_rank_is_popular_itself(popular: PopularNames) -> None:
    low = list(popular)[-1]

    assert popular.rank(low) == max(popular.rank(n) or 0 for n in popular)
    assert resembles(low, popular) is None


def test_shipped_list_is_ranked_canonical_and_read_once() -> None:
    text = resources.files("chaingate.data").joinpath("popular_pypi.txt").read_text("utf-8")
    header, *rows = text.splitlines()
    ranked = [(int(rank), name) for rank, name in (row.split("\t") for row in rows)]

    assert header.startswith("# source: pypi.tsv") and "2026-11-25" in header
    assert len(ranked) > 14_900
    assert ranked == sorted(ranked)
    assert all(name == canonicalize_name(name) for _, name in ranked)
    assert len({name for _, name in ranked}) == len(ranked)
    assert load_popular() is load_popular()
    assert len(load_popular()) == len(ranked)


def test_list_text_skips_comments_and_blank_lines_and_names_a_bad_line() -> None:
    popular = PopularNames.from_text("# header\n1\trequests\n\n  \n2\tFlask_Login\n")

    assert popular.rank("flask-login") == 2 and popular.rank("requests") == 1
    assert list(popular) == ["requests", "flask-login"]
    with pytest.raises(ValueError, match="'2 flask'"):
        PopularNames.from_text("1\trequests\n2 flask\n")
    with pytest.raises(ValueError, match="'3\\\\tflask\\\\textra'"):
        PopularNames.from_text("1\trequests\n3\tflask\textra\n")
    with pytest.raises(ValueError, match="'1\\\\ta\\\\t2'"):
        PopularNames.from_text("1\ta\t2\nb\n")  # tabs that add up across lines


_TOP = [line.split("\t")[1] for line in read_text("popular_pypi.txt").splitlines()[1:5001]]


@st.composite
def _near_a_popular_name(draw: st.DrawFn) -> str:
    """A popular name with one small change: the kind of name the index must not miss."""
    name = draw(st.sampled_from(_TOP))
    at = draw(st.integers(min_value=0, max_value=len(name)))
    letter = draw(st.sampled_from("abcdeilmnoprstuy0135-_."))
    change = draw(st.sampled_from(["add", "drop", "swap", "replace", "prefix", "suffix", "sep"]))
    if change == "add":
        return name[:at] + letter + name[at:]
    if change == "drop":
        return name[:at] + name[at + 1 :]
    if change == "swap":
        return name[:at] + name[at + 1 : at + 2] + name[at : at + 1] + name[at + 2 :]
    if change == "replace":
        return name[:at] + letter + name[at + 1 :]
    if change == "prefix":
        return draw(st.sampled_from(["py", "python-", "python3-", "py3"])) + name
    if change == "suffix":
        return name + draw(st.sampled_from(["py", "-python", "3"]))
    return name.replace("-", "") if "-" in name else name[:at] + "-" + name[at:]


@settings(max_examples=400, deadline=None)
@given(name=_near_a_popular_name())
def test_the_index_finds_what_comparing_with_every_target_finds(
    top_5000: PopularNames, name: str
) -> None:
    canonical = canonicalize_name(name)
    if not canonical or top_5000.rank(canonical) is not None:
        return
    every = []
    for target in _TOP:
        found = _explain(canonical, target, name.strip())
        if found is not None:
            every.append((top_5000.rank(target) or 0, _KIND_ORDER[found[0]], target))
    match = resembles(name, top_5000)

    assert (match.target if match else None) == (min(every)[2] if every else None)

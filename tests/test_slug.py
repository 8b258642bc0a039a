"""kpireport/slug.py: department slugs (safe in any file name and URL, unique within a report
set, the report set's own file names and Windows device names kept clear) and a workbook's output
folder (its own name where that is safe on any system, else a slug and a hash of the name)."""

from __future__ import annotations

import os
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpireport.fsutil import inside
from kpireport.slug import (
    MAX_FOLDER_LENGTH,
    MAX_LENGTH,
    REPORT_SET_NAMES,
    folder_name,
    slugify,
    unique_slugs,
)

SAFE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
HASHED = re.compile(r"(?P<slug>[a-z0-9-]+)-[0-9a-f]{8}")
# Microsoft, "Naming Files, Paths, and Namespaces": names never to give a file or folder, with or
# without an extension, in any case; the superscript digits count as digits.
DEVICES = [
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"{port}{n}" for port in ("COM", "LPT") for n in "0123456789¹²³"),
]
# Characters no Windows file name may hold (besides the control characters).
NOT_ON_WINDOWS = set('<>:"/\\|?*')
LONGEST_SLUG = MAX_LENGTH + len("department-")  # a device name gets the fallback as a prefix

# Names with the collisions unique_slugs has to untangle, mixed into the generated ones.
TRICKY_NAMES = [
    "Sales",
    "sales",
    "SALES",
    "Sales!",
    "Sales 2",
    "sales-2",
    "Index",
    "index-2",
    "Board Pack",
    "CON",
    "..",
    "数据",
    "Department",
    "department-2",
    "department-index",
]
names_strategy = st.lists(
    st.one_of(st.sampled_from(TRICKY_NAMES), st.text(max_size=12)), max_size=14
)
reserved_strategy = st.frozensets(
    st.sampled_from([*sorted(REPORT_SET_NAMES), "sales", "sales-2", "department", "con"])
)


def device_stem(name: str) -> str:
    """What Windows would look up as a device: the part before the first dot, trailing spaces
    dropped, compatibility characters (full-width, superscripts) folded, in capitals."""
    return unicodedata.normalize("NFKC", name.split(".", 1)[0]).rstrip().upper()


def hashed_slug(folder: str) -> str | None:
    """The slug part of a folder name made of a slug and a hash, or None for any other name."""
    match = HASHED.fullmatch(folder)
    return match["slug"] if match else None


# --- slugify -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Kundeservice & Support", "kundeservice-support"),  # the docstring's example
        ("Økonomi & Løn", "oekonomi-loen"),  # Danish letters become two ASCII letters
        ("Århus", "aarhus"),
        ("ÅÆØ", "aaaeoe"),
        ("Ångström", "aangstrom"),  # the Danish fold first, then accents drop off
        ("Straße", "strasse"),
        ("Café Crème", "cafe-creme"),
        ("naïve", "naive"),
        ("Malmö", "malmo"),
        ("İstanbul", "istanbul"),
        ("ﬁnance", "finance"),  # a ligature is two letters
        ("Ｓａｌｅｓ", "sales"),  # full-width letters
        ("x²", "x2"),
        ("Ⅻ", "xii"),
        ("Sales  —  Nord", "sales-nord"),  # a run of separators is one hyphen
        ("  Sales  ", "sales"),
        ("HR_2026", "hr-2026"),  # not even an underscore
        ("数据 Sales", "sales"),  # what has no ASCII form is dropped, the rest kept
        ("Ελληνικά", "department"),
        ("Продажи", "department"),
        ("📈", "department"),
    ],
)
def test_a_name_becomes_lower_case_ascii_letters_digits_and_hyphens(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_a_name_with_nothing_left_gets_the_fallback_a_reserved_one_a_prefix() -> None:
    assert slugify("..", fallback="workbook") == "workbook"
    assert slugify("CON", fallback="workbook") == "workbook-con"
    assert slugify("Index", reserved=REPORT_SET_NAMES) == "department-index"
    assert slugify("Board Pack", reserved=REPORT_SET_NAMES) == "department-board-pack"
    # only the names asked to be kept clear are, and only whole
    assert slugify("Index") == "index"
    assert slugify("Index 2", reserved=REPORT_SET_NAMES) == "index-2"


@pytest.mark.parametrize("device", DEVICES)
def test_no_windows_device_name_is_a_slug(device: str) -> None:
    ascii_name = unicodedata.normalize("NFKC", device).lower()
    for spelling in (device, device.lower(), device.title()):
        assert slugify(spelling) == f"department-{ascii_name}"


@pytest.mark.parametrize(
    "name", ["COM10", "LPT", "com", "Console", "Auxiliary", "nul1", "prn-2", "icon", "lpt-1"]
)
def test_a_name_that_only_looks_like_a_device_is_kept(name: str) -> None:
    assert slugify(name) == name.lower()


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("a" * MAX_LENGTH, "a" * MAX_LENGTH),
        ("a" * (MAX_LENGTH + 1), "a" * MAX_LENGTH),
        ("a" * (MAX_LENGTH - 1) + " bcd", "a" * (MAX_LENGTH - 1)),  # no hyphen left at the cut
        ("æ" * 31, "ae" * 30),  # the limit counts the slug, not the name
        ("-" * 100 + "sales", "sales"),  # separators in front do not use up the length
        ("数" * 100 + "Sales", "sales"),
    ],
)
def test_a_slug_is_at_most_max_length_characters(name: str, slug: str) -> None:
    assert slugify(name) == slug


@given(st.text(max_size=80))
def test_any_name_gives_a_safe_slug(name: str) -> None:
    slug = slugify(name)
    assert SAFE.fullmatch(slug), slug
    assert len(slug) <= LONGEST_SLUG
    assert slug.upper() not in {unicodedata.normalize("NFKC", d) for d in DEVICES}
    assert slugify(slug) == slug  # a slug is already its own slug


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=MAX_LENGTH))
def test_an_ascii_name_keeps_its_letters_and_digits_in_order_whatever_its_case(name: str) -> None:
    slug = slugify(name)
    kept = "".join(c for c in name.lower() if c.isalnum())
    assert slugify(name.upper()) == slugify(name.lower()) == slug
    if not kept:
        assert slug == "department"
        return
    # a Windows device name (judged with its hyphens: "PR:N" is pr-n, no device) gets a prefix
    rest = slug.removeprefix("department-")
    if rest != slug and rest.upper() in DEVICES and rest.replace("-", "") == kept:
        return
    assert slug.replace("-", "") == kept


# --- unique_slugs --------------------------------------------------------------------------------


def test_the_same_name_twice_is_one_department() -> None:
    assert unique_slugs(["Sales", "HR", "Sales"]) == {"Sales": "sales", "HR": "hr"}
    assert unique_slugs([]) == {}


def test_names_that_differ_only_in_case_get_different_slugs() -> None:
    # a file system that ignores case (Windows, macOS) would otherwise hold one file for both
    assert unique_slugs(["Sales", "SALES", "sales"]) == {
        "Sales": "sales",
        "SALES": "sales-2",
        "sales": "sales-3",
    }


def test_a_prefixed_slug_does_not_take_a_name_that_slugs_to_it() -> None:
    slugs = unique_slugs(["Index", "Department Index"], reserved=REPORT_SET_NAMES)
    assert slugs == {"Index": "department-index", "Department Index": "department-index-2"}


def test_a_numbered_slug_skips_the_reserved_names_too() -> None:
    assert unique_slugs(["Sales", "Sales!"], reserved=["sales-2"]) == {
        "Sales": "sales",
        "Sales!": "sales-3",
    }


def test_the_fallback_itself_can_be_reserved() -> None:
    slugs = unique_slugs(["..", "数据"], reserved={"department"})
    assert slugs == {"..": "department-2", "数据": "department-3"}


def test_reserved_names_may_come_from_a_generator() -> None:
    # read once: every name is checked against all of them, not only the first name
    reserved = (name for name in sorted(REPORT_SET_NAMES))
    slugs = unique_slugs(["Validation", "Index", "Board Pack"], reserved=reserved)
    assert slugs == {
        "Validation": "department-validation",
        "Index": "department-index",
        "Board Pack": "department-board-pack",
    }


@given(names_strategy, reserved_strategy)
def test_slugs_are_always_safe_unique_and_clear_of_the_reserved_names(
    names: list[str], reserved: frozenset[str]
) -> None:
    slugs = unique_slugs(names, reserved=reserved)
    assert list(slugs) == list(dict.fromkeys(names))
    values = list(slugs.values())
    assert len(set(values)) == len(values)
    assert not set(values) & reserved
    for name, slug in slugs.items():
        assert SAFE.fullmatch(slug), slug
        # a number is added only to the name's own slug, and only because that was taken
        base = slugify(name, reserved=reserved)
        numbered = re.fullmatch(rf"{re.escape(base)}-(\d+)", slug)
        assert slug == base or (numbered and int(numbered[1]) >= 2), (name, slug)


@given(names_strategy, reserved_strategy)
def test_a_name_keeps_its_plain_slug_unless_an_earlier_one_took_it(
    names: list[str], reserved: frozenset[str]
) -> None:
    slugs = unique_slugs(names, reserved=reserved)
    taken = set(reserved)
    for name, slug in slugs.items():
        base = slugify(name, reserved=reserved)
        assert (slug == base) == (base not in taken)
        taken.add(slug)


@given(names_strategy, names_strategy, reserved_strategy)
def test_a_department_added_at_the_end_renames_none_before_it(
    names: list[str], more: list[str], reserved: frozenset[str]
) -> None:
    before = unique_slugs(names, reserved=reserved)
    after = unique_slugs(names + more, reserved=reserved)
    assert {name: after[name] for name in before} == before


# --- folder_name ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stem",
    [
        "KPI (final) v2",
        "Budget 2026 – Q2",
        "nøgletal 2026",
        "KPI's #1 & co",
        "kpis~1",
        "数据",
        "😀",
        "a b",
        "COM10",  # only looks like a device
        "Console",
        "nul1",
        "x" * MAX_FOLDER_LENGTH,
    ],
)
def test_a_name_safe_on_any_system_is_its_own_folder(stem: str) -> None:
    assert folder_name(stem) == stem


@pytest.mark.parametrize(
    "stem",
    [
        *DEVICES,
        *(d.lower() for d in DEVICES[:4]),
        "Con.backup",  # still the device CON on Windows
        "nul.tar.gz",
        "CON .x",  # Windows drops the space before the dot
        "aux.",
        "ＣＯＮ",
        "com¹.txt",
    ],
)
def test_a_windows_device_name_never_is_a_folder(stem: str) -> None:
    name = folder_name(stem)
    assert hashed_slug(name) == slugify(stem, "workbook")
    assert device_stem(name) not in {device_stem(d) for d in DEVICES}


@pytest.mark.parametrize(
    "stem",
    [
        "\u00a0kpis",  # no-break space in front
        "kpis\u3000",  # ideographic space at the end
        "\u200bkpis",  # zero-width space: the folder would look like another one
        "\ufeffkpis",  # byte order mark
        "a\u2028b",  # line separator
        "a\tb",
        "a|b",
        "a?b",
        'a"b',
        "a*b",
        "<a>",
        "x" * (MAX_FOLDER_LENGTH + 1),
        ".kpis",  # hidden, and skipped by `kpireport send`
        "-kpis",  # an option to any command
        "kpis.",  # Windows drops the dot
        "kpis ",
    ],
)
def test_a_name_unsafe_somewhere_gets_a_slug_and_a_hash(stem: str) -> None:
    assert hashed_slug(folder_name(stem)) == slugify(stem, "workbook")


def test_the_hash_is_of_the_whole_name() -> None:
    # the same first 60 characters, so the same slug; the folders still differ
    a, b = folder_name("y" * 150 + "a"), folder_name("y" * 150 + "b")
    assert a != b
    assert a[: MAX_LENGTH + 1] == b[: MAX_LENGTH + 1] == "y" * MAX_LENGTH + "-"
    assert len(a) == MAX_LENGTH + 1 + 8


stems = st.one_of(
    st.text(max_size=MAX_FOLDER_LENGTH + 10),
    # the ends Windows trims or a shell reads as an option or a hidden file
    st.tuples(
        st.sampled_from([".", "..", "-", " ", ""]), st.text(), st.sampled_from([".", " ", ""])
    ).map("".join),
    st.builds(
        lambda device, case, tail: getattr(device, case)() + tail,
        st.sampled_from(DEVICES),
        st.sampled_from(["upper", "lower", "title"]),
        st.text(max_size=6),
    ),
)


@settings(max_examples=300)
@given(stems)
def test_any_workbook_name_gives_a_folder_safe_on_any_system(stem: str) -> None:
    name = folder_name(stem)
    assert name == folder_name(stem)  # stable: a rebuild finds the same folder
    assert folder_name(name) == name  # and that folder's name is kept as it is
    assert 0 < len(name) <= MAX_FOLDER_LENGTH
    assert not set(name) & NOT_ON_WINDOWS
    assert all(unicodedata.category(c)[0] != "C" and c not in "\u2028\u2029" for c in name)
    assert name == name.strip() and name[0] not in ".-" and name[-1] != "."
    assert device_stem(name) not in {device_stem(d) for d in DEVICES}
    if name != stem:
        assert hashed_slug(name) == slugify(stem, "workbook")


@given(st.text(min_size=1, max_size=70).filter(lambda s: "/" not in s and "\x00" not in s))
def test_the_folder_of_any_workbook_this_system_can_hold_can_be_made_here(
    tmp_path_factory: pytest.TempPathFactory, stem: str
) -> None:
    try:
        fits = len(os.fsencode(stem + ".xlsx")) <= 255  # the workbook could exist here
    except UnicodeEncodeError:  # a surrogate no file name here decodes to
        fits = False
    if not fits:
        return
    root = tmp_path_factory.mktemp("out")
    folder = inside(root, folder_name(stem))
    folder.mkdir()
    assert [p.name for p in root.iterdir()] == [folder_name(stem)]

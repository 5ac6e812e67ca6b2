"""Round-trip list edits: the result is always the new list, and comments stay put."""

from hypothesis import given
from hypothesis import strategies as st

from faq import yaml_roundtrip as rt

WORDS = st.sampled_from(["a", "b", "c", "ab", "abc", "bc"])
GROUPS = st.lists(st.tuples(WORDS, WORDS), max_size=6)


@given(old=st.lists(WORDS, max_size=8), new=st.lists(WORDS, max_size=8))
def test_update_gives_the_new_list(old: list[str], new: list[str]) -> None:
    body = "".join(f"  - {w}  # about {w}\n" for w in old) + "  # above next\n"
    data = rt.load(("items:\n" + body if old else "items: []\n") + "next: 1\n")
    rt.update_list(data, "items", new)
    assert rt.load(rt.dump(data))["items"] == new


@given(old=GROUPS, new=GROUPS)
def test_update_of_nested_groups_gives_the_new_groups(
    old: list[tuple[str, str]], new: list[tuple[str, str]]
) -> None:
    body = "".join(f"  # group {n}\n  - [{a}, {b}]\n" for n, (a, b) in enumerate(old))
    data = rt.load(("groups:\n" + body if old else "groups: []\n") + "next: 1\n")
    rt.update_list(data, "groups", new)
    assert [tuple(g) for g in rt.load(rt.dump(data))["groups"]] == new


def test_inserted_items_keep_the_comment_on_the_item_they_follow() -> None:
    data = rt.load("items:\n  - a  # about a\n  - b\n  # above next\nnext: 1\n")
    rt.update_list(data, "items", ["x", "a", "y", "b", "z"])
    assert rt.dump(data) == (
        "items:\n  - x\n  - a  # about a\n  - y\n  - b\n  - z\n  # above next\nnext: 1\n"
    )


def test_text_value_keeps_block_and_quote_styles() -> None:
    data = rt.load('a: |\n  one\nb: "two"\nc: three\n')
    for key, text in (("a", "uno"), ("b", "dos"), ("c", "tres\ncuatro")):
        data[key] = rt.text_value(data[key], text)
    assert rt.dump(data) == 'a: |\n  uno\nb: "dos"\nc: |\n  tres\n  cuatro\n'

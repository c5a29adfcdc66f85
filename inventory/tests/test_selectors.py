"""inventory.selectors: the reads, without HTTP."""

import pytest

from inventory import selectors


def test_inventory_list_is_ordered_by_id(make_item):
    items = [make_item(name=name) for name in ("c", "a", "b")]
    assert list(selectors.inventory_list()) == items


def test_inventory_list_is_one_query(make_item, django_assert_num_queries):
    for _ in range(5):
        make_item()
    with django_assert_num_queries(1):
        assert len(list(selectors.inventory_list())) == 5


@pytest.mark.parametrize(
    "name",
    [
        "Brake Pad",
        "brake pad",
        "  BRAKE PAD ",
        "Brake  Pad",
        "Brake\u200b Pad",
        "\ufeffBrake Pad\u2060",
        "Ｂｒａｋｅ Ｐａｄ",
        "Brake Pad\u3164",
        "Brake\u2800 Pad",
    ],
)
def test_name_taken_ignores_case_spaces_and_invisible_characters(make_item, name):
    make_item(name="Brake Pad")
    assert selectors.name_taken(name=name)


def test_name_taken_leaves_out_the_item_itself(make_item):
    item = make_item(name="Brake Pad")
    other = make_item(name="Rotor")
    assert not selectors.name_taken(name="brake pad", exclude_id=item.pk)
    assert selectors.name_taken(name="brake pad", exclude_id=other.pk)


@pytest.mark.parametrize("name", ["Brake Pads", "BrakePad", "Brake", "Brake_Pad", "Brake%Pad"])
def test_name_taken_matches_whole_names_only(make_item, name):
    make_item(name="Brake Pad")
    assert not selectors.name_taken(name=name)

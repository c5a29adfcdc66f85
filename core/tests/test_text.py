"""core.text: what every text input becomes before it is validated or compared."""

import sys
import unicodedata

import pytest

from core.text import normalize_email, normalize_text

# The look-alikes of "Oil Filter" that were created as distinct items (issue #23): characters that
# are no format character (category Cf) but draw nothing.
INVISIBLE = {
    "hangul-filler": "\u3164",
    "combining-grapheme-joiner": "\u034f",
    "variation-selector-16": "\ufe0f",
    "mongolian-free-variation-selector": "\u180b",
    "khmer-vowel-inherent-aq": "\u17b4",
    "hangul-choseong-filler": "\u115f",
    "hangul-jungseong-filler": "\u1160",
    "halfwidth-hangul-filler": "\uffa0",
    "braille-blank": "\u2800",
    # and the format characters removed before
    "zero-width-space": "\u200b",
    "zero-width-joiner": "\u200d",
    "byte-order-mark": "\ufeff",
    "right-to-left-mark": "\u200f",
    "soft-hyphen": "\u00ad",
    "mongolian-vowel-separator": "\u180e",
    "word-joiner": "\u2060",
    "tag-space": "\U000e0020",
}
INVISIBLE_IDS = list(INVISIBLE)


@pytest.mark.parametrize("character", list(INVISIBLE.values()), ids=INVISIBLE_IDS)
@pytest.mark.parametrize("multiline", [False, True])
def test_characters_that_draw_nothing_are_removed_wherever_they_are(character, multiline):
    for text in (
        f"Oil Filter{character}",
        f"{character}Oil Filter",
        f"Oil{character} Filter",
        f"Oil {character}Filter",
    ):
        assert normalize_text(text, multiline=multiline) == "Oil Filter", ascii(text)


@pytest.mark.parametrize("character", list(INVISIBLE.values()), ids=INVISIBLE_IDS)
def test_emails_lose_them_too(character):
    assert normalize_email(f"Ann{character}@Example.com{character}") == "ann@example.com"


@pytest.mark.parametrize(
    "text",
    [
        "Oil  Filter",
        "Oil\tFilter",
        "Oil\nFilter",
        "Oil \r\n Filter",
        " Oil Filter ",
        "Oil\u00a0Filter",
        "Oil\u3000Filter",
        "Oil\u2003\u2003Filter",
        "Oil\u0085Filter",
        "Oil\u2028Filter",
        "Oil \u200b Filter",
        "Ｏｉｌ　Ｆｉｌｔｅｒ",
    ],
)
def test_one_line_text_has_each_run_of_whitespace_made_one_space(text):
    assert normalize_text(text) == "Oil Filter"


def test_multiline_text_keeps_its_line_breaks_and_spacing():
    text = "  Replace pads.\n\n  Check rotors:\tfront  only.\u200b\n"

    assert normalize_text(text, multiline=True) == "Replace pads.\n\n  Check rotors:\tfront  only."


def test_a_letter_and_its_accent_compose_once_the_joiner_between_them_is_gone():
    assert normalize_text("Cafe\u034f\u0301") == normalize_text("Café") == "Caf\u00e9"


@pytest.mark.parametrize("text", ["Oil Filter", "Ｂｒａｋｅ\u3164 Pad\u2800", "e\u034f\u0301\u200b x", "ﬁ\ufe0f  ﬂ"])
def test_normalising_twice_changes_nothing_more(text):
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert unicodedata.is_normalized("NFKC", once)


def test_visible_text_is_left_alone():
    for text in ("Zündkerze", "ブレーキパッド", "Ölfilter 5W-30", "火花塞", "Свеча зажигания", "مرشح الزيت", "🚗🔧"):
        assert normalize_text(text) == text


def test_every_format_character_is_removed():
    # Default_Ignorable_Code_Point comes from the regex package's Unicode data (Python's own has
    # no such property); every character Python's data calls a format character goes as well.
    format_characters = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]

    assert all(normalize_text(f"a{char}b") == "ab" for char in format_characters), [
        hex(ord(char)) for char in format_characters if normalize_text(f"a{char}b") != "ab"
    ]

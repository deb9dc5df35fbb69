"""French telephone numbers in the call log and the citizen's file (issue 9, item 20)."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.domain.phone import phone_key, phone_problem
from desktop.domain.text import identity_key
from desktop.store.intake import NewCitizen, citizen_problems
from desktop.store.phone_calls import NewCall, call_problems

GOOD = (
    "03 88 95 12 34", "0388951234", "03.88.95.12.34", "03-88-95-12-34", "06 12 34 56 78",
    "+33 3 88 95 12 34", "+33 (0)3 88 95 12 34", "0033 3 88 95 12 34", "+262 692 12 34 56",
    "+590 590 12 34 56", "+594 594 12 34 56", "+596 696 12 34 56", "+508 41 23 45",
    "+687 12 34 56", "+689 40 12 34 56", "+41 22 123 45 67", "+49 761 1234567",
    "00262 692 12 34 56", "",
)
BAD = (
    "03 88 95 12", "03 88 95 12 34 5", "3 88 95 12 34", "00 88 95 12 34", "+33 03 88 95 12 34",
    "+33 3 88 95 12", "+262 692 12 34", "+687 12 34 56 78", "appeler le soir", "3615",
    "+0 12 34 56 78", "03 88 95 12 3x", "0041 22 123 45 67",
)


@pytest.mark.parametrize("number", GOOD)
def test_french_numbers_are_accepted(number: str) -> None:
    assert phone_problem(number) is None


@pytest.mark.parametrize("number", BAD)
def test_wrong_numbers_are_refused_in_french(number: str) -> None:
    message = phone_problem(number)
    assert message is not None
    assert message.startswith(f"Le numéro de téléphone « {number} » n'est pas valide : ")
    assert "10 chiffres commençant par 0" in message


@given(st.lists(st.integers(0, 9), min_size=9, max_size=9), st.sampled_from(" .-"))
def test_any_ten_digit_national_number_with_any_separator(digits: list[int], sep: str) -> None:
    first = digits[0] or 1  # 01 to 09
    number = "0" + str(first) + "".join(map(str, digits[1:]))
    spaced = sep.join(number[i:i + 2] for i in range(0, 10, 2))
    assert phone_problem(spaced) is None
    assert phone_problem("+33 " + spaced[1:].lstrip(sep)) is None
    assert phone_problem(spaced[:-3]) is not None  # eight digits, the reported case


def test_the_call_log_refuses_an_eight_digit_number() -> None:
    call = NewCall(authority_pk=1, caller_name="Hélène Roux", phone_number="03 88 95 12",
                   called_at=datetime(2026, 11, 23, 10, 0))
    problems = call_problems(call, datetime(2026, 11, 23, 10, 5))
    assert problems == [phone_problem("03 88 95 12")]


def test_the_citizen_file_refuses_an_eight_digit_number() -> None:
    problems = citizen_problems(NewCitizen(last_name="Roux", phone="03 88 95 12"))
    assert problems == [phone_problem("03 88 95 12")]
    assert citizen_problems(NewCitizen(last_name="Roux", phone="03 88 95 12 34")) == []


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("03 88 95 12 34", "0388951234"),
        ("+33 3 88 95 12 34", "0388951234"),
        ("+33 (0)3 88 95 12 34", "0388951234"),
        ("0033 3 88 95 12 34", "0388951234"),
        ("03.88.95.12.34", "0388951234"),
        ("+262 692 12 34 56", "262692123456"),
        ("00262 692 12 34 56", "262692123456"),
        ("+41 22 123 45 67", "41221234567"),
        ("", ""),
        ("appeler le soir", ""),
    ],
)
def test_one_key_per_number_however_it_is_written(written: str, key: str) -> None:
    """The duplicate check and the look-up compare numbers by this key (issue 12)."""
    assert phone_key(written) == key


def test_name_and_address_key_ignores_accents_case_and_punctuation() -> None:
    assert identity_key("NOËL Éloïse", "3, rue des Lilas", "88700") == identity_key(
        "Noel eloise", "3 Rue des  lilas", "88700"
    )
    assert identity_key("NOËL Éloïse", "3 rue des Lilas", "88700") != identity_key(
        "NOËL Éloïse", "5 rue des Lilas", "88700"
    )
    assert identity_key("NOËL Éloïse", "", "88700") == ""  # a name alone proves nothing

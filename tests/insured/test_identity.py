import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc
from stdnum.iso7064 import mod_11_2

from insured.identity import id_check_character, organisation_code_check, parse_resident_id, validate_uscc
from tests.factories import make_id_no, make_uscc

TODAY = dt.date(2026, 11, 22)


def test_valid_id_gives_birth_date_and_sex():
    parsed = parse_resident_id(make_id_no(dt.date(1958, 7, 9), 131, "211370"), today=TODAY)
    assert parsed.birth_date == dt.date(1958, 7, 9)
    assert parsed.sex == "M"  # 17th digit 1 is odd


def test_x_check_digit_is_valid():
    # GLOSSARY 4.2 test vector: body 11010519491231002 has check character X.
    parsed = parse_resident_id("11010519491231002X", today=TODAY)
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.sex == "F"  # 17th digit 2 is even


def test_lower_case_x_is_upper_cased():
    assert parse_resident_id("11010519491231002x", today=TODAY).number == "11010519491231002X"


def test_spaces_are_ignored():
    assert parse_resident_id(" 110105 19491231002X ", today=TODAY).number == "11010519491231002X"


def test_bad_checksum_is_refused():
    with pytest.raises(ValidationError) as exc:
        parse_resident_id("110105194912310022", today=TODAY)
    assert exc.value.code == "id_checksum"
    assert "校验" in exc.value.messages[0]


def test_impossible_date_is_refused():
    body = "11010519490231002"  # 31 February
    from stdnum.iso7064 import mod_11_2

    with pytest.raises(ValidationError) as exc:
        parse_resident_id(body + mod_11_2.calc_check_digit(body), today=TODAY)
    assert exc.value.code == "id_birth_date"


def test_future_birth_date_is_refused():
    with pytest.raises(ValidationError) as exc:
        parse_resident_id(make_id_no(dt.date(2027, 1, 1), 11), today=TODAY)
    assert exc.value.code == "id_birth_date"


def test_fifteen_digit_id_is_refused_with_advice():
    with pytest.raises(ValidationError) as exc:
        parse_resident_id("110105491231002", today=TODAY)
    assert exc.value.code == "id_15_digits"
    assert "18" in exc.value.messages[0]


def test_wrong_length_is_refused():
    with pytest.raises(ValidationError) as exc:
        parse_resident_id("1101051949123100", today=TODAY)
    assert exc.value.code == "id_format"


def test_retired_county_code_with_right_checksum_passes():
    # 370103 (济南市市中区) was absorbed, 320821 (淮阴县) was renamed: the cards stay valid.
    for area in ("320821", "440902", "370103"):
        number = make_id_no(dt.date(1980, 3, 4), 123, area)
        assert parse_resident_id(number, today=TODAY).number == number


def test_uscc_check_character():
    assert validate_uscc("91350100M000100Y43") == "91350100M000100Y43"
    with pytest.raises(ValidationError):
        validate_uscc("91350100M000100Y44")


def test_uscc_of_a_rural_collective_starting_with_n_passes():
    # N2: 农业农村部门登记的村级集体经济组织 (GLOSSARY 4.3); its organisation code MA0N2C3D7 checks.
    code = make_uscc("N2", "150102", "MA0N2C3D")
    assert code[8:17] == "MA0N2C3D7"
    assert validate_uscc(code) == code


def test_uscc_typed_with_full_width_characters_and_spaces_is_normalised():
    code = make_uscc("N2", "211370", "12345678")
    typed = " " + "".join(chr(ord(c) + 0xFEE0) for c in code.lower()) + " "
    assert validate_uscc(typed) == code


@pytest.mark.parametrize(
    ("first_two", "code"),
    [("B1", "uscc_department"), ("94", "uscc_type"), ("N5", "uscc_type"), ("Y2", "uscc_type")],
)
def test_uscc_with_an_unknown_department_or_type_is_refused(first_two, code):
    with pytest.raises(ValidationError) as exc:
        validate_uscc(make_uscc(first_two, "211370", "12345678"))
    assert exc.value.code == code


def test_uscc_whose_embedded_organisation_code_does_not_check_is_refused():
    # The organisation code 12345678 checks with 8 (GB 11714); 9 with a right overall check is refused.
    body = "N2211370" + "123456789"
    code = body + uscc.calc_check_digit(body)
    with pytest.raises(ValidationError) as exc:
        validate_uscc(code)
    assert exc.value.code == "uscc_organisation_code"
    assert validate_uscc(make_uscc("N2", "211370", "12345678"))[8:17] == "123456788"


def test_uscc_with_letters_in_the_division_code_is_refused():
    with pytest.raises(ValidationError) as exc:
        validate_uscc(make_uscc("91", "2113A0", "12345678"))
    assert exc.value.code == "uscc_division"


def test_organisation_code_check_character_x_and_zero():
    assert organisation_code_check("D2143569") == "X"  # GB 11714 example: D2143569-X
    bodies = [f"{n:08d}" for n in range(200)]
    assert {organisation_code_check(b) for b in bodies} >= {"0", "X"}


def test_uscc_with_forbidden_letter_is_refused():
    with pytest.raises(ValidationError) as exc:
        validate_uscc("91350100M000100YO3")
    assert exc.value.code == "uscc_format"


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_the_precomputed_id_check_is_gb_11643s_mod_11_2(digits):
    assert id_check_character(digits + "0") == mod_11_2.calc_check_digit(digits)

"""Resident ID (GB 11643) and unified social credit code (GB 32100) checks.

`stdnum.cn.ric.validate()` is deliberately not used: it also checks the six-digit address
code against its own table and so rejects real IDs whose county code was later renamed
or retired. The number on the card never changes, so only the MOD 11-2 check digit and
the birth date are checked here.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.cn import uscc

# ASCII digits only: `\d` would also take full-width and other scripts' digits.
_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
EARLIEST_BIRTH = dt.date(1890, 1, 1)
# GB 11643 / ISO 7064 MOD 11-2: the weight of each of the first 17 digits, and the check character
# of each remainder, computed once (the tax push checks two IDs a notice).
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK = tuple("10X98765432"[r] for r in range(11))


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    sex: str  # "M" or "F"

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


def normalize_id_no(raw: str) -> str:
    """What a person typed or a spreadsheet held, as plain ASCII: full-width digits and letters
    (NFKC), spaces anywhere, a lower-case x."""
    return "".join(unicodedata.normalize("NFKC", raw or "").split()).upper()


def parse_resident_id(raw: str, today: dt.date | None = None, *, strict: bool = False) -> ResidentId:
    """Return the parsed ID or raise ValidationError with a Chinese message.

    Human input is normalised first (normalize_id_no); machine input (`strict`, the tax
    contract) must already be the 18 ASCII characters, upper-case X.
    """
    number = raw if strict else normalize_id_no(raw)
    if len(number) == 15 and number.isdigit():
        raise ValidationError(
            _("This is an old 15-digit ID number. Please enter the 18-digit resident ID number."),
            code="id_15_digits",
        )
    if not _ID_RE.match(number):
        raise ValidationError(
            _("A resident ID number has 18 characters: 17 digits and a final digit or X."),
            code="id_format",
        )
    if id_check_character(number) != number[17]:
        raise ValidationError(
            _("The check digit of this resident ID number is wrong; please check the number."),
            code="id_checksum",
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("The birth date in this resident ID number does not exist."), code="id_birth_date"
        ) from None
    today = today or dt.date.today()
    if birth > today or birth < EARLIEST_BIRTH:
        raise ValidationError(_("The birth date in this resident ID number is impossible."), code="id_birth_date")
    return ResidentId(number=number, birth_date=birth, sex="M" if int(number[16]) % 2 else "F")


def id_check_character(number: str) -> str:
    """The check character of an ID from its first 17 ASCII digits (what
    `stdnum.iso7064.mod_11_2.calc_check_digit` computes, with the weights computed once)."""
    return _ID_CHECK[sum(w * (ord(c) - 48) for w, c in zip(_ID_WEIGHTS, number, strict=False)) % 11]


def mask_id_no(id_no: str | None) -> str:
    """A resident ID as lists, exports and logs show it (个人信息保护法): the first 6 and the last 4."""
    if not id_no:
        return ""
    return f"{id_no[:6]}{'*' * max(len(id_no) - 10, 0)}{id_no[-4:]}" if len(id_no) > 10 else "*" * len(id_no)


def validate_resident_id(raw: str) -> None:
    parse_resident_id(raw)


def normalize_uscc(raw: str) -> str:
    return "".join(unicodedata.normalize("NFKC", raw or "").split()).upper()


# GB 32100-2015 table 1: the registration department (position 1) and the kinds of body it
# registers (position 2). N is 农业农村 (rural collective economic organisations: N1 组级,
# N2 村级, N3 乡镇级, N9 其他), which the rural collectives of notice 001 附件5 carry.
USCC_TYPES: dict[str, str] = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 群众团体, 其他
    "2": "19",  # 外交
    "3": "123459",  # 司法行政: 律师事务所, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": "19",  # 文化
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "19",  # 工会
    "9": "123",  # 市场监管: 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室
    "N": "1239",  # 农业农村: 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": "1",  # 其他
}
# GB 11714-1997: the organisation code's check character over its first eight characters.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code_check(body: str) -> str:
    """The check character of a nine-character organisation code (GB 11714), given its first eight."""
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def validate_uscc(raw: str, *, strict: bool = False) -> str:
    """The unified social credit code (GB 32100), as GLOSSARY 4.3 describes it: the alphabet, the
    registration department and the type of body, the six-digit division code, the embedded
    organisation code with its own check character (GB 11714), and the check character. `strict`
    takes the code exactly as a program sent it: nothing normalised.

    `stdnum.cn.uscc.validate()` insists on eight leading digits and so rejects the codes of
    rural collective organisations (N2…), which notice 001 附件5 asks for; only its check
    character calculation is used.
    """
    code = raw if strict else normalize_uscc(raw)
    if len(code) != 18 or any(c not in _USCC_ALPHABET for c in code):
        raise ValidationError(
            _("A unified social credit code has 18 characters (digits and capital letters except I, O, Z, S, V)."),
            code="uscc_format",
        )
    if uscc.calc_check_digit(code[:17]) != code[17]:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong."),
            code="uscc_checksum",
        )
    department, kind = code[0], code[1]
    if department not in USCC_TYPES:
        raise ValidationError(
            _(
                "The first character of a unified social credit code names the registration department "
                "(1–9, A, N or Y); %(c)s is none of them."
            )
            % {"c": department},
            code="uscc_department",
        )
    if kind not in USCC_TYPES[department]:
        raise ValidationError(
            _("%(kind)s is not a type of body that registration department %(department)s registers (GB 32100).")
            % {"kind": kind, "department": department},
            code="uscc_type",
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("Characters 3 to 8 of a unified social credit code are the six-digit division code."),
            code="uscc_division",
        )
    organisation = code[8:17]
    if not organisation[:8].isalnum() or organisation_code_check(organisation[:8]) != organisation[8]:
        raise ValidationError(
            _(
                "Characters 9 to 17 of a unified social credit code are the organisation code, and its "
                "check character (GB 11714) is wrong."
            ),
            code="uscc_organisation_code",
        )
    return code

"""The faces every printed form is set in: PensionSans Regular and Bold, cut once from the system's
Noto Sans CJK SC (fonts-noto-cjk, SIL Open Font License 1.1) by `manage.py build_print_fonts` and
shipped as static files (static/fonts/, with the licence beside them).

Why not the system fonts directly: the Noto CJK collections are 19-27 MB with ~65,000 glyphs, and
WeasyPrint subsets each embedded face keeping the glyph ids (HarfBuzz's RETAIN_GIDS): every glyph
slot up to the highest one a page uses stays in the PDF's font (its advance, its CFF offset), so
a one-page form carried ~400 KB of fonts and HarfBuzz parsed the big files on every render.

What the cut keeps, in this order of glyph ids, so that what a form prints sits at the front and
a page retains few empty slots:

1. digits, Latin letters and the punctuation of forms;
2. the characters of the printed forms (their templates and pdf.py modules), the most used first;
3. the characters of amounts in words, common surnames and given-name characters;
4. the rest of the system's own vocabulary (its Python sources, the Chinese catalogue, the
   reference regions), the most used first;
5. the rest of Latin-1, general punctuation, CJK punctuation and full-width forms;
6. GB 2312 level 1 (3,755 hanzi), then level 2 (3,008), in the standard's order.

A character outside all of these (a rare name character) is still printed: the stylesheet names
the system's Noto Sans CJK SC after PensionSans, so that one face is embedded as before.

The cut has no hinting, no subroutines, no vertical metrics and no OpenType layout tables (forms
are set horizontally; Pango needs no GSUB for Chinese), and the glyphs are renumbered with their
CIDs equal to their glyph ids (WeasyPrint writes glyph ids as CIDs).
"""

from __future__ import annotations

import collections
import io
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

FAMILY = "PensionSans"
SOURCE_FAMILY = "Noto Sans CJK SC"
FONT_DIR = Path(__file__).resolve().parent.parent.parent / "static" / "fonts"


@dataclass(frozen=True)
class Face:
    weight: int  # CSS
    style: str  # the name table's subfamily
    fontconfig_style: str

    @property
    def filename(self) -> str:
        return f"{FAMILY}-{self.style}.otf"

    @property
    def path(self) -> Path:
        return FONT_DIR / self.filename


FACES = (Face(400, "Regular", "Regular"), Face(700, "Bold", "Bold"))

ASCII_FIRST = [chr(c) for c in range(0x20, 0x7F)] + list("¥￥，。、：；？！（）《》“”‘’—…·　")
# 零壹贰叁…: amounts in words (insured.money); the rest are dates and units printed on every form.
AMOUNT_WORDS = "零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整人民币年月日号第页共"
# Names: the most frequent surnames, then characters common in given names (so a roster of
# names rarely reaches far into GB 2312's pinyin order). Duplicates are harmless.
COMMON_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴"
    "霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑"
    "景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMMON_GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬燕琴云凤春梅兵荣新建国利民文斌宇浩凯健俊"
    "帆帅旭宁林欣佳怡雪婷颖倩晶琳丹慧莉淑珍志海波辉鹏飞鑫亮成永庆德福贵生山宝有长喜秋冬花宏峰毅晨阳洁瑶露媛"
    "婧琪璐萌蕾小大二三中东西南北子女儿金银铁树松柏竹青翠彩虹霖雨霜月星光辰天地人和顺安康泰祥瑞吉乐欢喜美好"
    "忠孝仁义礼智信诚勤俭朴实良善博学思源振兴家富贵满堂凤英兰菊梅桂芝香莲芹翠娟霞艳秀珍淑惠贤淑玉梅红霞军华"
    "志强建国建华建军建平卫东卫国立新立军永红永强永刚海燕春燕秀兰桂英玉兰秀珍桂兰凤兰德明德华德胜"
    "玥喆堃赟昇晞珺琇璟祎濛昶彧"
)
SKIPPED_DIRS = {".venv", ".git", "node_modules", "staticfiles", "media", "tests", "bench", "__pycache__"}
PRINTED_TEMPLATE = re.compile(r"(^|_)pdf")


def _is_cjk(char: str) -> bool:
    return ord(char) >= 0x2E80


def _most_used(texts: Iterable[str]) -> list[str]:
    counts: collections.Counter[str] = collections.Counter()
    for text in texts:
        counts.update(c for c in text if _is_cjk(c))
    # Ties broken by code point, so the same sources always give the same order.
    return [c for c, _n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _files(root: Path, pattern: str) -> Iterator[Path]:
    for path in sorted(root.rglob(pattern)):
        if not SKIPPED_DIRS.intersection(path.relative_to(root).parts) and "migrations" not in path.parts:
            yield path


def printed_texts(root: Path) -> list[str]:
    """The fixed text of every printed form: its template and the app's pdf.py."""
    templates = [p for p in _files(root / "templates", "*.html") if PRINTED_TEMPLATE.search(p.stem)]
    modules = list(_files(root, "pdf.py"))
    return [p.read_text(encoding="utf-8") for p in [*templates, *modules]]


def system_texts(root: Path) -> list[str]:
    """Everything else the system says: its Python sources, templates, catalogue and reference data."""
    paths = [
        *_files(root, "*.py"),
        *_files(root / "templates", "*.html"),
        *_files(root / "locale", "*.po"),
        *_files(root / "fixtures", "*.json"),
    ]
    return [p.read_text(encoding="utf-8") for p in paths]


def _gb2312(level: int) -> list[str]:
    rows = range(0xB0, 0xD8) if level == 1 else range(0xD8, 0xF8)
    chars = []
    for high in rows:
        for low in range(0xA1, 0xFF):
            try:
                chars.append(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue  # the unassigned end of row 0xD7
    return chars


def _blocks() -> list[str]:
    ranges = [(0xA0, 0x100), (0x2010, 0x2070), (0x2150, 0x2200), (0x2460, 0x24A0), (0x3000, 0x3040), (0xFF01, 0xFF5F)]
    return [chr(c) for start, end in ranges for c in range(start, end)]


def character_order(root: Path) -> list[str]:
    """The characters the faces keep, in the order their glyphs take."""
    tiers = [
        ASCII_FIRST,
        _most_used(printed_texts(root)),
        list(AMOUNT_WORDS + COMMON_SURNAMES + COMMON_GIVEN),
        _most_used(system_texts(root)),
        _blocks(),
        _gb2312(1),
        _gb2312(2),
    ]
    return list(dict.fromkeys(c for tier in tiers for c in tier))


def source_font(face: Face) -> tuple[Path, int]:
    """The system's Noto Sans CJK SC file and collection index for a weight, found by fontconfig."""
    try:
        listing = subprocess.run(  # noqa: S603 - a fixed program with fixed arguments
            ["fc-list", f"{SOURCE_FAMILY}:style={face.fontconfig_style}", "file", "index"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise FileNotFoundError(f"fontconfig could not list {SOURCE_FAMILY}: {exc}") from exc
    for line in sorted(listing.splitlines()):
        match = re.match(r"(.+?): :index=(\d+)", line.strip())
        if match:
            return Path(match.group(1)), int(match.group(2))
    raise FileNotFoundError(f"{SOURCE_FAMILY} {face.style} is not installed (Debian: apt-get install fonts-noto-cjk)")


def build_face(face: Face, characters: list[str], source: tuple[Path, int] | None = None) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    path, index = source or source_font(face)
    font = TTFont(str(path), fontNumber=index, lazy=False, recalcTimestamp=False)
    cmap = font.getBestCmap()
    kept = [c for c in characters if ord(c) in cmap]
    options = subset.Options()
    options.retain_gids = False
    options.hinting = False
    options.desubroutinize = True
    options.notdef_outline = True
    options.layout_features = []
    options.drop_tables += ["vhea", "vmtx", "VORG", "GSUB", "GPOS", "GDEF", "BASE", "DSIG", "meta"]
    options.name_IDs = [0, 8, 9, 10, 11, 12, 13, 14]
    options.name_languages = [0x409]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in kept])
    subsetter.subset(font)
    _renumber(font, kept)
    _rename(font, face)
    out = io.BytesIO()
    font.save(out, reorderTables=True)
    return out.getvalue()


def _renumber(font, characters: list[str]) -> None:
    """Put the glyphs in the order of `characters` and name each `cid<gid>`, so that CID = GID."""
    cmap = font.getBestCmap()
    old_order = font.getGlyphOrder()
    order = [".notdef"]
    seen = set(order)
    for char in characters:
        glyph = cmap.get(ord(char))
        if glyph is not None and glyph not in seen:
            seen.add(glyph)
            order.append(glyph)
    order += [g for g in old_order if g not in seen]
    new_name = {glyph: (".notdef" if gid == 0 else f"cid{gid:05d}") for gid, glyph in enumerate(order)}
    old_gid = {glyph: gid for gid, glyph in enumerate(old_order)}

    top = font["CFF "].cff.topDictIndex[0]
    charstrings = top.CharStrings
    index = charstrings.charStringsIndex
    items = index.items
    index.items = [items[charstrings.charStrings[g]] for g in order]
    charstrings.charStrings = {new_name[g]: gid for gid, g in enumerate(order)}
    if hasattr(top, "FDSelect"):
        selected = top.FDSelect.gidArray
        top.FDSelect.gidArray = [selected[old_gid[g]] for g in order]
        top.FDSelect.format = None
    top.charset = [new_name[g] for g in order]
    metrics = font["hmtx"].metrics
    font["hmtx"].metrics = {new_name[g]: metrics[g] for g in order}
    for table in font["cmap"].tables:
        table.cmap = {code: new_name[g] for code, g in table.cmap.items()}
    font.setGlyphOrder([new_name[g] for g in order])
    font["maxp"].numGlyphs = len(order)


def _rename(font, face: Face) -> None:
    """A name of its own: OFL 1.1 §3 and the Noto trademark keep a modified font from the original's."""
    full, postscript = f"{FAMILY} {face.style}", f"{FAMILY}-{face.style}"
    names = font["name"]
    source_version = names.getDebugName(5) or ""
    for name_id, value in {
        1: FAMILY,
        2: face.style,
        3: f"{postscript};subset of {SOURCE_FAMILY} {source_version.split(';')[0]}",
        4: full,
        5: f"Version 1.000; subset of {SOURCE_FAMILY} {source_version.split(';')[0]}",
        6: postscript,
    }.items():
        names.setName(value, name_id, 3, 1, 0x409)
    cff = font["CFF "].cff
    cff.fontNames = [postscript]
    top = cff.topDictIndex[0]
    top.FullName, top.FamilyName = full, FAMILY
    if hasattr(top, "CIDFontName"):
        top.CIDFontName = postscript


def build(root: Path, out_dir: Path = FONT_DIR) -> list[tuple[Path, int, int]]:
    """Cut every face into `out_dir`: (path, glyphs, bytes) each."""
    characters = character_order(root)
    out_dir.mkdir(parents=True, exist_ok=True)
    built = []
    for face in FACES:
        content = build_face(face, characters)
        target = out_dir / face.filename
        target.write_bytes(content)
        built.append((target, _glyph_count(content), len(content)))
    return built


def _glyph_count(content: bytes) -> int:
    from fontTools.ttLib import TTFont

    return TTFont(io.BytesIO(content), lazy=True)["maxp"].numGlyphs

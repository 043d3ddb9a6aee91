"""Places and administrative levels in Chinese document titles and lines (for inference/metadata.py): the first
chain of administrative units a text names — province (the 34, short forms too), 市/州/盟/地区, 县/区/旗, 乡/镇/街道,
村/社区 — and the level of a document's author. The rules are in metadata.py's docstring."""

from __future__ import annotations

import re

from .normalize import model_form

LEVELS = ("central", "province", "city", "county", "township", "village")
PLACE_KEYS = ("province", "city", "county", "township", "village")
PROVINCES = {  # full name: short forms
    **{f"{n}市": (n,) for n in ("北京", "天津", "上海", "重庆")},
    **{
        f"{n}省": (n,)
        for n in "河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾".split()
    },
    "内蒙古自治区": ("内蒙古",),
    "广西壮族自治区": ("广西", "广西自治区"),
    "西藏自治区": ("西藏",),
    "宁夏回族自治区": ("宁夏", "宁夏自治区"),
    "新疆维吾尔自治区": ("新疆", "新疆自治区"),
    "香港特别行政区": ("香港",),
    "澳门特别行政区": ("澳门",),
}
_PROVINCE = {name: full for full, shorts in PROVINCES.items() for name in (full, *shorts)}
# full names first, then short forms not followed by a unit or a street (吉林市, 海南州, 湖南路, 山东大学 are not provinces)
_PROVINCE_RE = re.compile(
    "|".join(sorted(PROVINCES, key=len, reverse=True))
    + "|(?:"
    + "|".join(sorted({s for v in PROVINCES.values() for s in v}, key=len, reverse=True))
    + ")(?![市州盟县区旗镇乡村路街巷道桥大])"
)

# a character of a place name: no function words (赴/到 lead to a destination), no digits, no masks (XX市, 某县)
_C = r"(?:(?![的在与及对赴到年度各我某其此这那等了是从向由以第届次号期委党])[\u4e00-\u9fff])"
_ELEMENTS = (  # (level, name lengths, suffix): the name is lazy, so the first suffix ends it
    ("city", (2, 10), "自治州"),
    ("city", (2, 4), "(?:市(?!场)|州|盟)"),
    ("city", (2, 5), "地区"),
    ("county", (2, 10), "自治[县旗]"),
    ("county", (1, 4), "县(?!域)"),
    ("county", (2, 8), "(?:新区|开发区|高新区|工业园区)"),
    ("county", (2, 4), "区(?!域)"),
    ("county", (2, 5), "旗"),
    ("township", (2, 4), "[镇乡]"),
    ("township", (2, 5), "街道"),
    ("township", (2, 4), "苏木"),
    ("village", (1, 5), "村"),
    ("village", (2, 6), "社区"),
    ("village", (2, 5), "嘎查"),
)
_ELEMENT_RES = [(level, re.compile(rf"(?P<name>{_C}{{{lo},{hi}}}?){suffix}")) for level, (lo, hi), suffix in _ELEMENTS]
RANK = {level: i for i, level in enumerate(LEVELS)}
_DEPARTMENT = (
    "发展|发改|财政|教育|公安|民政|司法|人力资源|人社|自然资源|生态环境|住房|住建|交通|水利|农业|商务|文化|文旅|卫生|卫健|退役|应急|审计|"
    "统计|市场监|医疗保障|医保|林业|城市管理|城管|信访|工业和信息化|工信|科技|政务服务|数据|国资|档案|机关事务|体育|乡村振兴"
)
# words no place name holds (智慧城市, 老旧小区, 美丽乡村, 住房和城乡建设局, 居家和社区养老), names that begin with
# a function word or a scope (关于全市, 乡镇农村, 全区城镇; 全州县 is a county), are levels alone (乡镇镇长, 街道社区) or
# end in a generic word (小区)
_NOT_NAME = re.compile(
    "智慧|文明|卫生|园林|海绵|韧性|数字|宜居|森林|节水|无废|美丽|和谐|平安|法治|特色|老旧|示范|试点|重点|中心|全国|基层|"
    "城乡|农村|乡村|社会|工作|会议|建设|改革|政府|人民|项目|企业|农业|住房|居家|"
    f"{_DEPARTMENT}|^(?:中共|中国|关于|乡镇)|^[全本我该各每](?:[省市县区旗镇乡村]|街道|社区)|^(?:[省市州县区旗镇乡村]|街道|社区)+$|[小社片景辖校厂矿营]$"
)
_ETHNIC = re.compile("[^族]{1,3}族自治")  # 藏族自治州: a name that is an ethnic group alone
_ONE_CHAR_NOT = set("全本该我各某此每农乡山渔新老城郡市区州省")
# what follows a one-character name (曹县人民政府, 余村2024年): anything else makes it a word (乡村振兴)
_AFTER_SHORT = re.compile(r"\d|[〇零一二]{4}|人民|政府|党|委|村民|居民|办|局|召开|关于|[^\u4e00-\u9fff]|$")
_COMPANY = re.compile(rf"{_C}{{0,10}}?(?:有限公司|公司|集团|银行|大学|学院|医院|学校|中学|小学|研究院|协会|商会)")
_QUOTED = re.compile(r"“[^”]*”|‘[^’]*’|\"[^\"]*\"|「[^」]*」|『[^』]*』")
_START_AFTER = ("关于", "中共", "中国共产党", "印发", "在", "年度", "年")

_UNIT = "自治区|省|市|州|盟|县|区|旗|镇|乡|街道|村|社区"
_UNIT_LEVEL = {
    **dict.fromkeys(("省", "自治区"), "province"),
    **dict.fromkeys("市州盟", "city"),
    **dict.fromkeys("县区旗", "county"),
    **dict.fromkeys(("镇", "乡", "街道"), "township"),
    **dict.fromkeys(("村", "社区"), "village"),
}
# the author named by its level alone: 市政府, 县委书记, 区人力资源和社会保障局, 社区2024年…, 在镇第二十届人民代表大会
_ORGAN = re.compile(
    rf"({_UNIT})(?=(?:人民)?政府|委|长|人大|政协|纪委|监委|党|办事处|办公室|居委会|村委会|第.{{1,4}}届|\d|{_DEPARTMENT})"
)
_SCOPE = re.compile(rf"[全我本]({_UNIT})")
_MASKED = re.compile(rf"(?:[Xx×*＊○]+|某)({_UNIT})")
_CENTRAL = re.compile(
    r"中共中央|国务院|全国人大|全国政协|中华人民共和国|中央[\u4e00-\u9fff]{1,6}?(?:办公厅|部|委)|"
    r"国家[\u4e00-\u9fff]{1,10}?(?:委员会|委|总局|局|署)|审计署|海关总署|中国人民银行|"
    r"(?:外交|国防|教育|科学技术|科技|工业和信息化|公安|国家安全|民政|司法|财政|人力资源和社会保障|自然资源|生态环境|"
    r"住房和城乡建设|交通运输|水利|农业农村|商务|文化和旅游|退役军人事务|应急管理)部"
)
# the first lines: the author speaking of itself, or of the committee that leads it
_SELF = re.compile(rf"我({_UNIT}|局|委|办|中心|院|所|站|队)")
_LED_BY = re.compile(r"在(省|市|州|盟|县|区|旗)委")
_TOWNSHIP_ORGAN = re.compile(r"(?:街道|镇|乡)(?:党工委|党委|办事处|人民政府|政府)")


def _element(text: str, i: int, after: str | None) -> tuple[str, str, int] | None:
    """(level, name, end) of the administrative unit that starts at text[i], below `after` (the chain's last level)."""
    province = _PROVINCE_RE.match(text, i)
    others = []
    for level, pattern in _ELEMENT_RES:
        m = pattern.match(text, i)
        if not m:
            continue
        stem = m["name"]
        if (
            _NOT_NAME.search(stem)
            or len(stem) == 1
            and (stem in _ONE_CHAR_NOT or not _AFTER_SHORT.match(text, m.end()))
        ):
            continue
        if level == "city" and after == "city" and m.group().endswith("市"):
            level = "county"  # 苏州市昆山市: a county-level city
        others.append((level, m.group(), m.end()))
    if province and after is None:
        # a short form begins a prefecture's name when what follows is no unit of its own (海南|藏族自治州)
        rest = _element(text, province.end(), "province")
        longest = max((o[2] for o in others), default=0) <= province.end()
        if province.group() in PROVINCES or longest or rest and not _ETHNIC.match(rest[1]):
            return "province", _PROVINCE[province.group()], province.end()
    others = [o for o in others if after is None or RANK[o[0]] > RANK[after]]
    return min(others, key=lambda o: o[2]) if others else None


def _chain_at(text: str, i: int) -> dict[str, str] | None:
    chain, after = {}, None
    while True:
        found = _element(text, i, after)
        if not found:
            break
        after, name, i = found
        chain[after] = name
        while i < len(text) and text[i] == " ":
            i += 1
    if not chain or _COMPANY.match(text, i):
        return None
    return chain


def _starts(text: str):
    """Where a chain may start: the text's start, after a mark, a space or a number (not inside a date), after
    关于/中共/印发/在/a year."""
    yield 0
    for i in range(1, len(text)):
        if (text[i - 1].isdigit() or text[i - 1] in "Xx×") and text[i] in "年月日号份":
            continue  # 2024年12月全市, 20XX年X月份: a date goes on
        if not "\u4e00" <= text[i - 1] <= "\u9fff" or text.endswith(_START_AFTER, 0, i):
            yield i


def place_chain(text: str) -> dict[str, str]:
    """The first chain of administrative units `text` (a title, a publishing line) names as its author's place:
    {"province": "浙江省", "city": "杭州市", "county": "西湖区", …}, empty when none."""
    text = _QUOTED.sub(" ", model_form(text))
    for i in _starts(text):
        chain = _chain_at(text, i)
        if chain:
            return chain
    return {}


def level_hint(text: str) -> str | None:
    """The author's level as a title or a publishing line names it without a place name: masked names (XX市XX区:
    the lowest), the central organs, organs (县政府, 区委书记, 区人力资源和社会保障局), scopes (全县, 我市)."""
    masked = [_UNIT_LEVEL[m[1]] for m in _MASKED.finditer(text)]
    if masked:
        return max(masked, key=RANK.get)
    for i in _starts(text):
        if _CENTRAL.match(text, i):
            return "central"
        organ = _ORGAN.match(text, i)
        if organ:
            return _UNIT_LEVEL[organ[1]]
    scope = _SCOPE.search(text)
    return _UNIT_LEVEL[scope[1]] if scope else None


def level_from_sentences(sentences: list[str]) -> str | None:
    """The author's level from the first lines: 我镇; 我局 led by 区委 (a district department); a township's organ;
    led by 区委 alone (a street or town of the district)."""
    text = "\n".join(sentences)
    own, led = _SELF.search(text), _LED_BY.search(text)
    if own and own[1] in _UNIT_LEVEL:
        return _UNIT_LEVEL[own[1]]
    if led and own:
        return _UNIT_LEVEL[led[1]]
    if _TOWNSHIP_ORGAN.search(text):
        return "township"
    if led:
        return LEVELS[min(RANK[_UNIT_LEVEL[led[1]]] + 1, RANK["township"])]
    return None

"""Chinese names and terms of the zone literature, with the English the documents use.

A 1.5B model translating a Chinese question sometimes leaves a place name in Chinese ("in 海南"),
or swaps one province for a similar one (陕西 Shaanxi → "Sichuan"). Both break an English search.
So the translation's leftover Chinese is replaced from this list, and the English of every name
the question contains is added when the translation lacks it. General vocabulary only: the
provinces and cities with pilot free trade zones, the zones' names, and the policy terms.

Usage::

    english_terms("2024年陕西自贸试验区新设立了多少家企业？")   # ["Shaanxi", "pilot free trade zone"]
    glossary_pairs("临港新片区")                                 # [("临港", "Lingang"), ("新片区", "New Area")]
    replace_chinese("How long in 海南?")                         # "How long in Hainan?"
"""

from __future__ import annotations

import re

#: Chinese → English, as the English documents write it. Longer keys win over their parts.
GLOSSARY: dict[str, str] = {
    # places with pilot free trade zones (provinces, cities, areas)
    "上海": "Shanghai",
    "广东": "Guangdong",
    "天津": "Tianjin",
    "福建": "Fujian",
    "辽宁": "Liaoning",
    "浙江": "Zhejiang",
    "河南": "Henan",
    "湖北": "Hubei",
    "重庆": "Chongqing",
    "四川": "Sichuan",
    "陕西": "Shaanxi",
    "海南": "Hainan",
    "山东": "Shandong",
    "江苏": "Jiangsu",
    "广西": "Guangxi",
    "河北": "Hebei",
    "云南": "Yunnan",
    "黑龙江": "Heilongjiang",
    "北京": "Beijing",
    "湖南": "Hunan",
    "安徽": "Anhui",
    "新疆": "Xinjiang",
    "深圳": "Shenzhen",
    "前海": "Qianhai",
    "蛇口": "Shekou",
    "南沙": "Nansha",
    "横琴": "Hengqin",
    "广州": "Guangzhou",
    "珠海": "Zhuhai",
    "厦门": "Xiamen",
    "青岛": "Qingdao",
    "杭州": "Hangzhou",
    "宁波": "Ningbo",
    "舟山": "Zhoushan",
    "西安": "Xi'an",
    "成都": "Chengdu",
    "武汉": "Wuhan",
    "郑州": "Zhengzhou",
    "大连": "Dalian",
    "临港": "Lingang",
    "浦东": "Pudong",
    "雄安": "Xiong'an",
    "香港": "Hong Kong",
    "澳门": "Macao",
    "粤港澳大湾区": "Greater Bay Area",
    "西部": "western",
    "东部": "eastern",
    "中部": "central",
    # zones and policy terms
    "自由贸易试验区": "pilot free trade zone",
    "自贸试验区": "pilot free trade zone",
    "自贸区": "free trade zone",
    "自由贸易区": "free trade zone",
    "自由贸易港": "free trade port",
    "自贸港": "free trade port",
    "经济特区": "special economic zone",
    "综合保税区": "comprehensive bonded zone",
    "保税区": "bonded zone",
    "片区": "area",
    "新片区": "New Area",
    "负面清单": "negative list",
    "一带一路": "Belt and Road",
    "中欧班列": "China-Europe Railway Express",
    "单一窗口": "single window",
    "制度创新": "institutional innovation",
    "复制推广": "replicated and promoted",
    "外商投资": "foreign investment",
    "跨境": "cross-border",
    "世界自由区组织": "World Free Zones Organization",
    "国务院": "State Council",
    "十周年": "tenth anniversary",
    # units, as the tables' captions write them
    "万亿美元": "trillion US dollars",
    "十亿美元": "billion US dollars",
    "百万美元": "million US dollars",
    "经济总量": "economic total",
    "增长率": "growth rate",
    "周年": "anniversary",
}
_KEYS = sorted(GLOSSARY, key=len, reverse=True)
_PATTERN = re.compile("|".join(re.escape(key) for key in _KEYS))
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def glossary_pairs(question: str) -> list[tuple[str, str]]:
    """The glossary entries ``question`` uses, as (Chinese, English), in order, without repeats."""
    pairs: dict[str, tuple[str, str]] = {}
    for match in _PATTERN.finditer(question):
        chinese = match.group(0)
        pairs.setdefault(GLOSSARY[chinese], (chinese, GLOSSARY[chinese]))
    return list(pairs.values())


def english_terms(question: str) -> list[str]:
    """The English of the glossary names in ``question``, in order, without repeats."""
    return [english for _chinese, english in glossary_pairs(question)]


def replace_chinese(text: str) -> str:
    """``text`` with its glossary names in English and any other Chinese left out."""
    replaced = _PATTERN.sub(lambda match: f" {GLOSSARY[match.group(0)]} ", text)
    return " ".join(_HAN_RUN.sub(" ", replaced).split())

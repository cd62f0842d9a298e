"""Small Korean data tables shared by the order and customer renderers: names, addresses, phones, banks.

The helpers draw from a caller's `random.Random`, so a caller that seeds it the same way (e.g. with the member id)
gets the same person or address in every response that shows it.
"""

from __future__ import annotations

import random
from typing import NamedTuple

# (hangul, romanized)
SURNAMES: tuple[tuple[str, str], ...] = (
    ("김", "Kim"), ("이", "Lee"), ("박", "Park"), ("최", "Choi"), ("정", "Jung"), ("강", "Kang"),
    ("조", "Cho"), ("윤", "Yoon"), ("장", "Jang"), ("임", "Lim"), ("한", "Han"), ("오", "Oh"),
    ("서", "Seo"), ("신", "Shin"), ("권", "Kwon"), ("황", "Hwang"), ("안", "Ahn"), ("송", "Song"),
)  # fmt: skip
GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("민준", "Minjun"), ("서연", "Seoyeon"), ("도윤", "Doyun"), ("지우", "Jiwoo"), ("하준", "Hajun"),
    ("서윤", "Seoyun"), ("시우", "Siwoo"), ("지민", "Jimin"), ("주원", "Juwon"), ("하은", "Haeun"),
    ("예준", "Yejun"), ("수아", "Sua"), ("지호", "Jiho"), ("지유", "Jiyu"), ("준서", "Junseo"),
    ("채원", "Chaewon"), ("현우", "Hyunwoo"), ("윤서", "Yunseo"), ("건우", "Gunwoo"), ("다은", "Daeun"),
    ("우진", "Woojin"), ("소율", "Soyul"), ("선우", "Sunwoo"), ("예린", "Yerin"),
)  # fmt: skip
_ROMAN_SURNAME = dict(SURNAMES)
_ROMAN_GIVEN = dict(GIVEN_NAMES)


class Region(NamedTuple):
    city: str  # 시/도
    district: str  # 시/군/구
    streets: tuple[str, ...]
    zip_prefix: str  # first two digits of the 5-digit postal code
    area_code: str  # landline prefix
    residence: str  # short region name, as members pick it


REGIONS: tuple[Region, ...] = (
    Region("서울특별시", "강남구", ("테헤란로", "강남대로", "논현로", "선릉로"), "06", "02", "서울"),
    Region("서울특별시", "마포구", ("월드컵북로", "양화로", "독막로"), "04", "02", "서울"),
    Region("서울특별시", "송파구", ("올림픽로", "송파대로", "백제고분로"), "05", "02", "서울"),
    Region("서울특별시", "동작구", ("노량진로", "상도로", "여의대방로"), "07", "02", "서울"),
    Region("경기도", "성남시 분당구", ("판교역로", "황새울로", "정자일로"), "13", "031", "경기"),
    Region("경기도", "수원시 영통구", ("광교중앙로", "봉영로", "매영로"), "16", "031", "경기"),
    Region("경기도", "고양시 일산동구", ("중앙로", "정발산로", "일산로"), "10", "031", "경기"),
    Region("인천광역시", "연수구", ("컨벤시아대로", "송도과학로", "해돋이로"), "21", "032", "인천"),
    Region("부산광역시", "해운대구", ("해운대로", "센텀중앙로", "좌동순환로"), "48", "051", "부산"),
    Region("대구광역시", "수성구", ("달구벌대로", "동대구로", "범어천로"), "42", "053", "대구"),
    Region("광주광역시", "서구", ("상무중앙로", "치평로", "무진대로"), "61", "062", "광주"),
    Region("대전광역시", "유성구", ("대학로", "엑스포로", "계룡로"), "34", "042", "대전"),
    Region("제주특별자치도", "제주시", ("중앙로", "연삼로", "노형로"), "63", "064", "제주"),
)
BUILDING_PREFIXES: tuple[str, ...] = (
    "래미안", "자이", "푸르지오", "힐스테이트", "e편한세상", "롯데캐슬", "한신", "현대",
)  # fmt: skip

# (Cafe24-style bank code, bank name)
BANKS: tuple[tuple[str, str], ...] = (
    ("bank_04", "국민은행"), ("bank_88", "신한은행"), ("bank_20", "우리은행"), ("bank_81", "하나은행"),
    ("bank_11", "농협은행"), ("bank_03", "기업은행"), ("bank_90", "카카오뱅크"), ("bank_92", "토스뱅크"),
)  # fmt: skip
EMAIL_DOMAINS: tuple[str, ...] = ("naver.com", "gmail.com", "daum.net", "hanmail.net", "kakao.com", "nate.com")


class Person(NamedTuple):
    name: str
    name_english: str
    cellphone: str


class Address(NamedTuple):
    region: Region
    zipcode: str
    address1: str  # 시/도 구 도로명 건물번호
    address2: str  # building, unit
    phone: str  # landline in the region's area code


def person(rng: random.Random) -> Person:
    surname, surname_en = rng.choice(SURNAMES)
    given, given_en = rng.choice(GIVEN_NAMES)
    return Person(surname + given, f"{given_en} {surname_en}", cellphone(rng))


def cellphone(rng: random.Random) -> str:
    n = rng.randrange(10**8)
    return f"010-{n // 10000:04d}-{n % 10000:04d}"


def address(rng: random.Random) -> Address:
    region = rng.choice(REGIONS)
    road = f"{region.city} {region.district} {rng.choice(region.streets)} {rng.randrange(1, 480)}"
    zipcode = f"{region.zip_prefix}{rng.randrange(1000):03d}"
    prefix = rng.choice(BUILDING_PREFIXES)
    unit = f"{rng.randrange(1, 26)}{rng.randrange(1, 5):02d}호"
    building = f"{prefix}아파트 {rng.randrange(101, 113)}동" if rng.random() < 0.7 else f"{prefix}오피스텔"
    phone = f"{region.area_code}-{rng.randrange(200, 9000)}-{rng.randrange(10000):04d}"
    return Address(region, zipcode, road, f"{building} {unit}", phone)


def romanize(name: str) -> str:
    """'김민준' -> 'Minjun Kim' when both parts are in the tables above, else ''."""
    surname, given = _ROMAN_SURNAME.get(name[:1]), _ROMAN_GIVEN.get(name[1:])
    return f"{given} {surname}" if surname and given else ""

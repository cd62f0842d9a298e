"""Customers as the Admin API prints them: GET /customersprivacy (list and detail) and the GET /customers lookup.

Shapes follow tests/fixtures/cafe24_examples/admin_customersprivacy_*.json key for key and the customers.md example
(docs/cafe24-reference.md#customersprivacy, #customer-lookup). Dates print like the examples:
created_date, last_login_date and account_reactivation_date with the offset ("2018-01-18T11:19:27+09:00"),
birthday and wedding_anniversary as "YYYY-MM-DD", the dates inside sns_list as "YYYY-MM-DD HH:MM:SS".

What the Customer record does not hold (address, points, flags) is drawn from a generator seeded with the member
id; the address is the first draw, the same one `orders.buyer` shows for that member.
"""

from __future__ import annotations

from typing import NamedTuple

from sandbox.clock import kst, kst_plain
from sandbox.models import Customer, MallContext
from sandbox.render import korean

# (job, job_class)
JOBS: tuple[tuple[str, str], ...] = (
    ("회사원", "사무직"), ("학생", "학생"), ("자영업", "서비스업"), ("전문직", "전문직"), ("주부", "기타"),
    ("공무원", "공공"),
)  # fmt: skip
SNS_PROVIDERS: tuple[str, ...] = ("KAKAO", "NAVER", "APPLE", "GOOGLE")


class _Member(NamedTuple):
    """What the record leaves open, drawn once per member."""

    address: korean.Address | None  # None: no address on file
    phone: str
    name_english: str
    total_points: int
    used_points: int
    solar_calendar: bool
    authentication_method: str | None
    blacklisted: bool
    use_mobile_app: bool
    join_path: str
    fixed_group: bool
    thirdparty_agree: bool
    lifetime_member: bool
    job: tuple[str, str]
    wedding_anniversary: str | None
    refund_bank: tuple[str, str] | None
    refund_account_no: str
    sns: str | None
    reactivated: bool


def _member(c: Customer, ctx: MallContext) -> _Member:
    rng = ctx.rng("member", c.member_id)
    address = korean.address(rng)  # first draw: orders.buyer shows the same address for this member
    draw = rng.random
    total = rng.randrange(1, 400) * 100 if draw() < 0.7 else 0
    return _Member(
        address=address if draw() < 0.85 else None,
        phone=address.phone if draw() < 0.3 else "",
        name_english=korean.romanize(c.name) if draw() < 0.25 else "",
        total_points=total,
        used_points=rng.randrange(0, total + 1, 100),
        solar_calendar=draw() < 0.9,
        authentication_method=rng.choice(("m", "m", "m", "m", "i", None, None, None, None, None)),
        blacklisted=draw() < 0.01,
        use_mobile_app=draw() < 0.25,
        join_path="M" if draw() < 0.6 else "P",
        fixed_group=draw() < 0.05,
        thirdparty_agree=draw() < 0.55,
        lifetime_member=draw() < 0.2,
        job=rng.choice(JOBS) if draw() < 0.3 else ("", ""),
        wedding_anniversary=(
            f"{rng.randrange(1995, 2023)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            if draw() < 0.1
            else None
        ),
        refund_bank=rng.choice(korean.BANKS) if draw() < 0.2 else None,
        refund_account_no=f"{rng.randrange(10**12):012d}",
        sns=rng.choice(SNS_PROVIDERS) if draw() < 0.3 else None,
        reactivated=draw() < 0.03 and c.last_login is not None,
    )


def _points(value: int, rate: float) -> str:
    return f"{value * rate:.2f}"


def _country(c: Customer, ctx: MallContext) -> str:
    shop = ctx.shops.get(c.shop_no)
    return "KR" if shop is None or shop.language_code.startswith("ko") else shop.language_code[-2:]


def customer_privacy(c: Customer, ctx: MallContext, *, detail: bool = False) -> dict[str, object]:
    """One member of GET /customersprivacy; detail=True adds what GET /customersprivacy/{member_id} adds."""
    m = _member(c, ctx)
    shop = ctx.shops.get(c.shop_no)
    rate = shop.exchange_rate if shop else 1.0
    address = m.address
    region = address.region if address else None
    out: dict[str, object] = {
        "shop_no": c.shop_no,
        "member_id": c.member_id,
        "name": c.name,
        "name_english": m.name_english,
        "name_phonetic": "",
        "phone": m.phone,
        "cellphone": c.cellphone,
        "email": c.email,
        "sms": "T" if c.sms else "F",
        "news_mail": "T" if c.news_mail else "F",
        "wedding_anniversary": m.wedding_anniversary,
        "birthday": c.birthday,
        "solar_calendar": "T" if m.solar_calendar else "F",
        "total_points": _points(m.total_points, rate),
        "available_points": _points(m.total_points - m.used_points, rate),
        "used_points": _points(m.used_points, rate),
    }
    if detail:
        out["available_credits"] = "0.00"
    out.update(
        {
            "city": region.city if region else "",
            "state": region.district if region else "",
            "address1": address.address1 if address else "",
            "address2": address.address2 if address else "",
            "group_no": c.group_no,
            "job": m.job[0],
            "job_class": m.job[1],
            "zipcode": address.zipcode if address else "",
            "created_date": kst(c.created),
            "member_authentication": "T",
            "use_blacklist": "T" if m.blacklisted else "F",
            "blacklist_type": "P" if m.blacklisted else "",
            "last_login_date": kst(c.last_login) if c.last_login is not None else None,
            "member_authority": "C",
            "nick_name": "",
            "recommend_id": "",
            "residence": region.residence if region else "",
            "interest": "",
            "gender": c.gender,
            "member_type": "p",
            "company_type": None,
            "foreigner_type": None,
            "authentication_method": m.authentication_method,
            "lifetime_member": "T" if m.lifetime_member else "F",
            "corporate_name": "",
            "nationality": "",
            "shop_name": "",
            "country_code": _country(c, ctx),
            "use_mobile_app": "T" if m.use_mobile_app else "F",
        }
    )
    if detail:
        out["additional_information"] = []
    out.update(
        {
            "join_path": m.join_path,
            "fixed_group": "T" if m.fixed_group else "F",
            "thirdparty_agree": "T" if m.thirdparty_agree else "F",
            "refund_bank_code": m.refund_bank[0] if m.refund_bank else None,
            "refund_bank_account_no": m.refund_account_no if m.refund_bank else None,
            "refund_bank_account_holder": c.name if m.refund_bank else None,
            "company_condition": None,
            "company_line": None,
            "sns_list": [f"{m.sns}({kst_plain(c.created)})"] if m.sns else [],
            # The detail example leaves this out; the sandbox keeps it so a detail is a superset of the list row.
            "account_reactivation_date": (
                kst(c.created + (c.last_login - c.created) // 2) if m.reactivated and c.last_login is not None else None
            ),
        }
    )
    return out


def customer(c: Customer, ctx: MallContext) -> dict[str, object]:
    """One member of the GET /customers lookup (customers.md).

    The official example spells some keys with a trailing space ("last_login_date ", "gender ", ...); the sandbox
    uses the clean names, which are the ones the property list gives.
    """
    m = _member(c, ctx)
    shop = ctx.shops.get(c.shop_no)
    rate = shop.exchange_rate if shop else 1.0
    return {
        "shop_no": c.shop_no,
        "member_id": c.member_id,
        "group_no": c.group_no,
        "member_authentication": "T",
        "use_blacklist": "T" if m.blacklisted else "F",
        "blacklist_type": "P" if m.blacklisted else "",
        "authentication_method": m.authentication_method,
        "sms": "T" if c.sms else "F",
        "news_mail": "T" if c.news_mail else "F",
        "solar_calendar": "T" if m.solar_calendar else "F",
        "total_points": _points(m.total_points, rate),
        "available_points": _points(m.total_points - m.used_points, rate),
        "used_points": _points(m.used_points, rate),
        "last_login_date": kst(c.last_login) if c.last_login is not None else None,
        "created_date": kst(c.created),
        "gender": c.gender,
        "use_mobile_app": "T" if m.use_mobile_app else "F",
        "available_credits": "0.00",
        "fixed_group": "T" if m.fixed_group else "F",
    }

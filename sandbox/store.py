"""The generated store of one mall: deterministic from (seed, mall id, volumes, start time), and live.

History is generated once, on first use. Every order carries a planned lifecycle (paid, shipped, cancelled...)
whose events become visible as the sandbox clock passes them, so status changes need no bookkeeping. New
orders, members and product edits arrive as time passes when the mall is made live (`LiveRates`), drawn
minute by minute from a generator seeded by the minute, so the same clock moves give the same store.
"""

from __future__ import annotations

import bisect
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .clock import kst_wall
from .config import Volumes
from .models import (
    Category,
    Customer,
    MallContext,
    Order,
    OrderLine,
    Product,
    Shop,
    base36,
)

DAY = 86400

SHOPS = (
    Shop(1, "기본 쇼핑몰", "KRW", "ko_KR", "Asia/Seoul", True, True, 1.0),
    Shop(2, "English Shop", "USD", "en_US", "America/Los_Angeles", False, True, 0.00075),
    Shop(3, "日本語ショップ", "JPY", "ja_JP", "Asia/Tokyo", False, True, 0.11),
    Shop(4, "中文商城", "CNY", "zh_CN", "Asia/Shanghai", False, False, 0.0053),
)
SHOP_WEIGHTS = (0.82, 0.12, 0.06)  # orders and members per active shop

CATEGORY_TREE = {
    "의류": {"상의": ["티셔츠", "셔츠", "니트"], "하의": ["청바지", "슬랙스", "스커트"], "아우터": ["코트", "패딩"]},
    "잡화": {"가방": ["백팩", "토트백"], "모자": ["볼캡", "버킷햇"], "액세서리": ["목걸이", "반지"]},
    "뷰티": {"스킨케어": ["토너", "세럼", "크림"], "메이크업": ["립스틱", "파운데이션"]},
    "리빙": {"주방": ["머그컵", "접시"], "침구": ["이불", "베개"]},
    "식품": {"간식": ["쿠키", "견과류"], "음료": ["커피", "차"]},
}
ADJECTIVES = ("베이직", "오버핏", "슬림", "데일리", "프리미엄", "빈티지", "유기농", "미니멀", "클래식", "시그니처")
MATERIALS = ("코튼", "린넨", "울", "레더", "데님", "실크", "캐시미어", "스테인리스", "세라믹", "대나무")
ENGLISH = ("Basic", "Oversized", "Slim", "Daily", "Premium", "Vintage", "Organic", "Minimal", "Classic", "Signature")
COLORS = ("블랙", "화이트", "네이비", "베이지", "그레이", "카키", "레드", "블루", "핑크", "옐로우", "브라운", "그린")
SIZES = ("XS", "S", "M", "L", "XL", "XXL", "FREE", "230", "240", "250")
SURNAMES = ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임")
GIVEN = ("민준", "서연", "도윤", "하은", "지호", "수아", "예준", "지우", "시우", "서윤", "하준", "채원")
ROMAN = ("kim", "lee", "park", "choi", "jung", "kang", "cho", "yoon", "jang", "lim")
PAYMENT_METHODS = (("card", 0.62), ("cash", 0.12), ("tcash", 0.08), ("icash", 0.08), ("cell", 0.05), ("point", 0.05))


@dataclass(frozen=True)
class LiveRates:
    """Activity per hour of sandbox time while the mall is live."""

    orders_per_hour: float = 0.0
    customers_per_hour: float = 0.0
    product_edits_per_hour: float = 0.0
    products_per_hour: float = 0.0
    dcollection_edits_per_hour: float = 0.0  # shop and product edits in the D.Collection feed

    @property
    def quiet(self) -> bool:
        return not (
            self.orders_per_hour or self.customers_per_hour or self.product_edits_per_hour or self.products_per_hour
        )


class MallStore:
    def __init__(self, mall_id: str, seed: int, volumes: Volumes, anchor: float) -> None:
        self.mall_id = mall_id
        self.seed = seed
        self.volumes = volumes
        self.anchor = int(anchor)
        self.lock = threading.RLock()
        self.rates = LiveRates()
        self.simulated_until = self.anchor  # live activity has been drawn up to here
        self.day_seq: dict[str, int] = {}
        self.categories = _categories(self._rng("categories"), volumes.categories)
        self.products: dict[int, Product] = {}
        self.trash: dict[int, Product] = {}  # deleted products, which the merchant can restore
        self._product_nos: list[int] | None = None  # sorted keys of `products`; None after they changed
        self.customers: list[Customer] = []
        self.members_made = 0  # member ids are numbered by how many were ever made, so a deletion frees none
        self.customer_ids: dict[str, Customer] = {}
        self.orders: list[Order] = []
        self.order_ids: dict[str, Order] = {}
        # Fields the platform starts sending one day, undocumented: response key -> {field: value} for every row.
        self.new_fields: dict[str, dict[str, Any]] = {}
        # (shop_no, date_type) -> parallel sorted lists of event times and order positions
        self._times: dict[tuple[int, str], list[int]] = {}
        self._rows: dict[tuple[int, str], list[int]] = {}
        self.ctx = MallContext(
            mall_id, seed, {s.shop_no: s for s in SHOPS}, self.categories, self.products, self.customer_ids
        )
        self._generate()

    # ---- reading -----------------------------------------------------------------------------------------

    def catch_up(self, now: float) -> None:
        """Draw the live activity of every minute that has fully passed, so nothing appears back-dated."""
        with self.lock:
            minute = self.simulated_until // 60 + 1
            last = int(now) // 60 - 1
            if self.rates.quiet:
                self.simulated_until = max(self.simulated_until, last * 60)
                return
            while minute <= last:
                self._live_minute(minute * 60)
                minute += 1
            self.simulated_until = max(self.simulated_until, last * 60)

    def products_above(self, product_no: int) -> Iterator[Product]:
        """Products numbered above `product_no`, in number order: a keyset page reads only the rows it shows."""
        if self._product_nos is None:
            self._product_nos = sorted(self.products)
        numbers = self._product_nos
        return (self.products[n] for n in numbers[bisect.bisect_right(numbers, product_no) :])

    def orders_between(self, shop_no: int, date_type: str, lo: float, hi: float) -> list[Order]:
        """Orders of a shop whose `date_type` event falls in [lo, hi], oldest event first."""
        times = self._times.get((shop_no, date_type), [])
        rows = self._rows.get((shop_no, date_type), [])
        i, j = bisect.bisect_left(times, lo), bisect.bisect_right(times, hi)
        return [self.orders[r] for r in rows[i:j]]

    # ---- generation --------------------------------------------------------------------------------------

    def _rng(self, *parts: object) -> random.Random:
        return random.Random(f"{self.seed}|{self.mall_id}|" + "|".join(map(str, parts)))

    def _generate(self) -> None:
        v = self.volumes
        start = self.anchor - v.history_days * DAY
        self._generate_products(start)
        self._generate_customers(start)
        self._generate_orders(start)

    def _generate_products(self, start: int) -> None:
        v, rng = self.volumes, self._rng("products")
        leaves = [c.category_no for c in self.categories.values() if c.depth >= 2] or [0]
        bulk_day = self.anchor - 30 * DAY + 9 * 3600
        product_no = 6
        created_times = sorted(rng.uniform(start, self.anchor - DAY) for _ in range(v.products))
        same_second = set(rng.sample(range(v.products), min(v.same_second_rows, v.products)))
        for i, created in enumerate(created_times):
            product_no += rng.choice((1, 1, 1, 2, 3))
            if i == 6 and v.max_variants > 1:
                n_variants = v.max_variants
            else:
                n_variants = rng.choice((1, 1, 1, 2, 3, 4, 6, 8, 10, 12))
            created = int(created)
            updated = int(created + rng.expovariate(1 / (20 * DAY)))
            if updated > self.anchor - 60:
                updated = int(rng.uniform(created, self.anchor - 60))
            if i in same_second:
                updated = bulk_day + 7  # one bulk edit: many products share this exact second
            elif rng.random() < v.bulk_edit_fraction and created < bulk_day:
                updated = bulk_day + rng.randrange(14 * 3600)
            self._add_product(rng, product_no, created, max(created, updated), n_variants, leaves)

    def _add_product(
        self, rng: random.Random, product_no: int, created: int, updated: int, n_variants: int, leaves: list[int]
    ) -> Product:
        leaf = self.categories.get(rng.choice(leaves))
        noun = leaf.name if leaf else "상품"
        k = rng.randrange(len(ADJECTIVES))
        price = rng.choice((9900, 12900, 15000, 19800, 24900, 29000, 35000, 39900, 49000, 59000, 89000, 129000))
        options: tuple[str, ...] = ()
        if n_variants > 1:
            options = ("색상", "사이즈") if n_variants > len(COLORS) or n_variants % 2 == 0 else ("색상",)
        cats = tuple(dict.fromkeys((leaf.category_no, leaf.path_nos[0]))) if leaf else ()
        product = Product(
            product_no=product_no,
            product_code=f"P{base36(product_no, 7)}",
            name=f"{ADJECTIVES[k]} {rng.choice(MATERIALS)} {noun}",
            eng_name=f"{ENGLISH[k]} Item {product_no}",
            created=created,
            updated=updated,
            price=price,
            retail_price=int(price * rng.choice((1.0, 1.1, 1.2, 1.3)) // 100 * 100),
            supply_price=int(price * rng.uniform(0.4, 0.6)) // 100 * 100,
            display=rng.random() < 0.9,
            selling=rng.random() < 0.85,
            category_nos=cats,
            n_variants=n_variants,
            option_names=options,
        )
        self.products[product_no] = product
        self._product_nos = None
        return product

    def _generate_customers(self, start: int) -> None:
        v, rng = self.volumes, self._rng("customers")
        times = sorted(int(rng.uniform(start, self.anchor - 3600)) for _ in range(v.customers))
        # A bulk member import: many members joining in one second.
        cluster_at = self.anchor - 200 * DAY + 3 * 3600
        first = len(times) // 3
        for i in range(min(v.same_second_rows, len(times) - first)):
            times[first + i] = cluster_at
        times.sort()
        for created in times:
            self._add_customer(rng, created)

    def _add_customer(self, rng: random.Random, created: int) -> Customer:
        s = rng.randrange(len(SURNAMES))
        self.members_made += 1
        member_id = f"{ROMAN[s]}{rng.choice('abcdefghjkmnpqrstuvwxyz')}{self.members_made:05d}"
        shop_no = rng.choices((1, 2, 3), SHOP_WEIGHTS)[0]
        born = rng.random() < 0.7
        customer = Customer(
            member_id=member_id,
            shop_no=shop_no,
            name=f"{SURNAMES[s]}{rng.choice(GIVEN)}",
            created=created,
            last_login=None if rng.random() < 0.08 else int(created + rng.uniform(0, max(1, self.anchor - created))),
            group_no=rng.choices((1, 2, 3, 4), (0.7, 0.18, 0.09, 0.03))[0],
            birthday=f"{rng.randint(1960, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if born else None,
            gender=rng.choice(("M", "F", None)),
            sms=rng.random() < 0.6,
            news_mail=rng.random() < 0.5,
            cellphone=f"010-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
            email=f"{member_id}@example.com",
        )
        self.customers.append(customer)
        self.customer_ids[member_id] = customer
        return customer

    def _generate_orders(self, start: int) -> None:
        v, rng = self.volumes, self._rng("orders")
        peak_lo = self.anchor - 60 * DAY
        deal_at = self.anchor - 20 * DAY + 12 * 3600  # a timed deal: many orders in one second
        times = []
        for i in range(v.orders):
            if i < v.same_second_rows:
                times.append(deal_at)
            elif rng.random() < v.peak_fraction:
                times.append(int(rng.uniform(peak_lo, peak_lo + 7 * DAY)))
            else:
                times.append(int(rng.uniform(start, self.anchor - 60)))
        times.sort()
        members_by_shop: dict[int, list[str]] = {}
        for c in self.customers:
            members_by_shop.setdefault(c.shop_no, []).append(c.member_id)
        product_nos = list(self.products)
        pairs: dict[tuple[int, str], list[tuple[int, int]]] = {}
        for ordered in times:
            order = self._add_order(rng, ordered, members_by_shop, product_nos, index=False)
            for date_type, at in order.timeline.items():
                pairs.setdefault((order.shop_no, date_type), []).append((at, len(self.orders) - 1))
        for key, events in pairs.items():
            events.sort()
            self._times[key] = [at for at, _ in events]
            self._rows[key] = [row for _, row in events]

    def _add_order(
        self,
        rng: random.Random,
        ordered: int,
        members_by_shop: dict[int, list[str]],
        product_nos: list[int],
        *,
        index: bool = True,
    ) -> Order:
        shop_no = rng.choices((1, 2, 3), SHOP_WEIGHTS)[0]
        members = members_by_shop.get(shop_no)
        member_id = rng.choice(members) if members and rng.random() < 0.8 else None
        lines = []
        for _ in range(rng.choices((1, 2, 3, 4), (0.55, 0.28, 0.12, 0.05))[0]):
            product = self.products[rng.choice(product_nos)]
            lines.append(
                OrderLine(
                    product.product_no,
                    rng.randrange(product.n_variants),
                    rng.choices((1, 2, 3), (0.8, 0.15, 0.05))[0],
                    product.price,
                )
            )
        items_total = sum(line.quantity * line.unit_price for line in lines)
        day = _kst_day(ordered)
        seq = self.day_seq.get(day, 0) + 1
        self.day_seq[day] = seq
        method = rng.choices([m for m, _ in PAYMENT_METHODS], [w for _, w in PAYMENT_METHODS])[0]
        order = Order(
            order_id=f"{day}-{seq:07d}",
            shop_no=shop_no,
            member_id=member_id,
            lines=tuple(lines),
            shipping_fee=0 if items_total >= 50000 else 3000,
            discount=rng.choice((0, 0, 0, 1000, 2000, 5000)) if items_total > 20000 else 0,
            payment_method=method,
            timeline=_lifecycle(rng, ordered, method),
        )
        self.orders.append(order)
        self.order_ids[order.order_id] = order
        if not index:
            return order
        position = len(self.orders) - 1
        for date_type, at in order.timeline.items():
            self._index(shop_no, date_type, at, position)
        return order

    def _index(self, shop_no: int, date_type: str, at: int, position: int) -> None:
        key = (shop_no, date_type)
        times, rows = self._times.setdefault(key, []), self._rows.setdefault(key, [])
        i = bisect.bisect_right(times, at)
        times.insert(i, at)
        rows.insert(i, position)

    # ---- what a merchant does ----------------------------------------------------------------------------

    def cancel_line(self, order_id: str, at: int) -> Order:
        """The merchant cancels an order's last line at `at`: the line leaves the order's items, and the order
        gets a cancel_date, as a partial cancellation does."""
        with self.lock:
            order = self.order_ids[order_id]
            if len(order.lines) < 2 or "cancel_date" in order.timeline:
                raise ValueError(f"order {order_id} has one line or is cancelled already")
            order.lines = order.lines[:-1]
            order.timeline["cancel_date"] = at
            self._index(order.shop_no, "cancel_date", at, self.orders.index(order))
            return order

    # ---- the merchant's deletions ----------------------------------------------------------------------------

    def delete_products(self, product_nos: list[int]) -> list[int]:
        """Products go to the trash: every list, count and detail call stops returning them, in every shop."""
        with self.lock:
            missing = [n for n in product_nos if n not in self.products]
            if missing:
                raise KeyError(f"product {missing[0]}")
            for n in product_nos:
                self.trash[n] = self.products.pop(n)
            self._product_nos = None
            return sorted(product_nos)

    def restore_products(self, product_nos: list[int]) -> list[int]:
        """Back from the trash as they were: the reference does not say a restore moves updated_date, so it does
        not, and only a walk of the keys can see them again (the stricter reading)."""
        with self.lock:
            missing = [n for n in product_nos if n not in self.trash]
            if missing:
                raise KeyError(f"product {missing[0]} in the trash")
            for n in product_nos:
                self.products[n] = self.trash.pop(n)
            self._product_nos = None
            return sorted(product_nos)

    def delete_members(self, member_ids: list[str]) -> list[str]:
        """Members leave for good (there is no restore of a deleted member); their orders keep their member_id."""
        with self.lock:
            missing = [m for m in member_ids if m not in self.customer_ids]
            if missing:
                raise KeyError(f"member {missing[0]}")
            gone = set(member_ids)
            self.customers = [c for c in self.customers if c.member_id not in gone]
            for m in gone:
                del self.customer_ids[m]
            return sorted(gone)

    # ---- live activity -----------------------------------------------------------------------------------

    def _live_minute(self, minute_start: int) -> None:
        rng = self._rng("live", minute_start)
        r = self.rates
        for _ in range(_draws(rng, r.products_per_hour / 60)):
            product_no = max((*self.products, *self.trash)) + 1
            at = minute_start + rng.randrange(60)
            leaves = [c.category_no for c in self.categories.values() if c.depth >= 2] or [0]
            self._add_product(rng, product_no, at, at, rng.choice((1, 2, 4)), leaves)
        for _ in range(_draws(rng, r.product_edits_per_hour / 60)):
            product = self.products[rng.choice(list(self.products))]
            product.updated = max(product.updated, minute_start + rng.randrange(60))
            product.version += 1
            if rng.random() < 0.3:
                product.price = int(product.price * rng.choice((0.9, 1.1)) // 100 * 100)
            if rng.random() < 0.1:
                product.selling = not product.selling
        for _ in range(_draws(rng, r.customers_per_hour / 60)):
            self._add_customer(rng, minute_start + rng.randrange(60))
        members_by_shop: dict[int, list[str]] = {}
        if r.orders_per_hour:
            for c in self.customers[-500:]:
                members_by_shop.setdefault(c.shop_no, []).append(c.member_id)
        product_nos = list(self.products) if r.orders_per_hour else []
        for _ in range(_draws(rng, r.orders_per_hour / 60)):
            self._add_order(rng, minute_start + rng.randrange(60), members_by_shop, product_nos)


def _draws(rng: random.Random, expected: float) -> int:
    """How many events happen in a minute whose expected count is `expected` (Poisson by inversion)."""
    if expected <= 0:
        return 0
    limit, count, product = pow(2.718281828459045, -expected), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _lifecycle(rng: random.Random, ordered: int, method: str) -> dict[str, int]:
    """Plan every event of an order; some fall after the sandbox's start and appear as the clock passes them."""
    hour = 3600
    t: dict[str, int] = {"order_date": ordered}
    fate = rng.random()
    paid_at = ordered + (rng.randint(5, 90) if method in ("card", "cell", "point") else rng.randint(hour, 2 * DAY))
    if fate < 0.07:  # never paid: automatic cancellation after the deposit deadline
        t["cancel_date"] = t["cancel_complete_date"] = ordered + 3 * DAY + rng.randint(0, hour)
        return t
    t["pay_date"] = paid_at
    if fate < 0.14:  # cancelled by the buyer after paying
        t["cancel_request_date"] = paid_at + rng.randint(hour, 2 * DAY)
        t["cancel_accept_date"] = t["cancel_request_date"] + rng.randint(600, 6 * hour)
        t["cancel_complete_date"] = t["cancel_date"] = t["cancel_accept_date"] + rng.randint(hour, DAY)
        return t
    t["place_date"] = paid_at + rng.randint(2 * hour, DAY)
    t["shipbegin_date"] = t["place_date"] + rng.randint(2 * hour, 2 * DAY)
    t["shipend_date"] = t["shipbegin_date"] + rng.randint(DAY, 3 * DAY)
    if fate < 0.21:
        t["return_request_date"] = t["shipend_date"] + rng.randint(hour, 5 * DAY)
        t["return_accept_date"] = t["return_request_date"] + rng.randint(hour, DAY)
        t["return_complete_date"] = t["return_accept_date"] + rng.randint(2 * DAY, 4 * DAY)
    elif fate < 0.26:
        t["exchange_request_date"] = t["shipend_date"] + rng.randint(hour, 5 * DAY)
        t["exchange_accept_date"] = t["exchange_request_date"] + rng.randint(hour, DAY)
        t["exchange_complete_date"] = t["exchange_accept_date"] + rng.randint(3 * DAY, 6 * DAY)
    elif fate < 0.85:
        t["purchaseconfirmation_date"] = t["shipend_date"] + rng.randint(7 * DAY, 10 * DAY)
    return t


def _kst_day(epoch: int) -> str:
    y, mo, d = kst_wall(epoch)[:3]
    return f"{y}{mo:02d}{d:02d}"


def _categories(rng: random.Random, wanted: int) -> dict[int, Category]:
    """A tree up to four levels deep; category numbers start at 24 as in a real mall's first own category."""
    out: dict[int, Category] = {}
    next_no = 24

    def add(name: str, parent: Category | None) -> Category:
        nonlocal next_no
        depth = parent.depth + 1 if parent else 1
        cat = Category(
            category_no=next_no,
            depth=depth,
            parent_category_no=parent.category_no if parent else 1,
            name=name,
            path_nos=(parent.path_nos if parent else ()) + (next_no,),
            path_names=(parent.path_names if parent else ()) + (name,),
            display_order=sum(1 for c in out.values() if c.depth == depth) + 1,
            use_display=rng.random() < 0.92,
            use_main=depth == 1 or rng.random() < 0.2,
        )
        out[next_no] = cat
        next_no += rng.choice((1, 1, 2))
        return cat

    for top, subs in CATEGORY_TREE.items():
        if len(out) >= wanted:
            break
        parent = add(top, None)
        for sub, leaves in subs.items():
            if len(out) >= wanted:
                break
            middle = add(sub, parent)
            for leaf in leaves:
                if len(out) >= wanted:
                    break
                small = add(leaf, middle)
                if rng.random() < 0.3 and len(out) < wanted:
                    add(f"{leaf} 세일", small)
    return out

-- One row per member and shop (a shop has one currency), with what the member ordered there.
with orders as (
    select
        mall_id,
        shop_no,
        member_id,
        min(order_date) as first_order_at,
        max(order_date) as last_order_at,
        count(*) as order_count,
        sum(case when is_paid and not is_canceled then 1 else 0 end) as paid_order_count,
        sum(paid_revenue) as lifetime_value
    from {{ ref('cafe24__orders') }}
    where member_id is not null
    group by mall_id, shop_no, member_id
)

select
    c.mall_id,
    c.shop_no,
    c.member_id,
    s.currency_code as currency,
    c.created_date,
    {{ cafe24_kst_date('c.created_date') }} as created_date_kst,
    c.group_no,
    coalesce(c._cafe24_deleted, false) as is_deleted,
    c._cafe24_deleted_at as deleted_at,
    o.first_order_at,
    o.last_order_at,
    coalesce(o.order_count, 0) as order_count,
    coalesce(o.paid_order_count, 0) as paid_order_count,
    coalesce(o.lifetime_value, 0) as lifetime_value
from {{ source('cafe24', 'customers') }} as c
left join {{ source('cafe24', 'shops') }} as s
    on s.mall_id = c.mall_id and s.shop_no = c.shop_no
left join orders as o
    on o.mall_id = c.mall_id and o.shop_no = c.shop_no and o.member_id = c.member_id

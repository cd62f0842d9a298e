-- One row per Korean calendar day, mall and shop (so per currency) on which anything happened: orders placed,
-- orders cancelled, members joined.
with orders as (
    select * from {{ ref('cafe24__orders') }}
),

placed as (
    select
        mall_id,
        shop_no,
        order_date_kst as date_day,
        count(*) as orders,
        sum(case when is_paid and not is_canceled then 1 else 0 end) as paid_orders,
        sum(paid_revenue) as paid_revenue,
        sum(units) as units
    from orders
    group by mall_id, shop_no, order_date_kst
),

cancelled as (
    select mall_id, shop_no, {{ cafe24_kst_date('cancel_date') }} as date_day, count(*) as cancellations
    from orders
    where is_canceled and cancel_date is not null
    group by mall_id, shop_no, {{ cafe24_kst_date('cancel_date') }}
),

joined as (
    select mall_id, shop_no, created_date_kst as date_day, count(*) as new_members
    from {{ ref('cafe24__customers') }}
    where created_date_kst is not null
    group by mall_id, shop_no, created_date_kst
),

days as (
    select mall_id, shop_no, date_day from placed
    union
    select mall_id, shop_no, date_day from cancelled
    union
    select mall_id, shop_no, date_day from joined
)

select
    d.date_day,
    d.mall_id,
    d.shop_no,
    s.currency_code as currency,
    coalesce(p.orders, 0) as orders,
    coalesce(p.paid_orders, 0) as paid_orders,
    coalesce(p.paid_revenue, 0) as paid_revenue,
    coalesce(p.units, 0) as units,
    coalesce(c.cancellations, 0) as cancellations,
    coalesce(j.new_members, 0) as new_members
from days as d
left join {{ source('cafe24', 'shops') }} as s
    on s.mall_id = d.mall_id and s.shop_no = d.shop_no
left join placed as p
    on p.mall_id = d.mall_id and p.shop_no = d.shop_no and p.date_day = d.date_day
left join cancelled as c
    on c.mall_id = d.mall_id and c.shop_no = d.shop_no and c.date_day = d.date_day
left join joined as j
    on j.mall_id = d.mall_id and j.shop_no = d.shop_no and j.date_day = d.date_day

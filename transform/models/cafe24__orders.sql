-- One row per order: its Korean calendar day, its shop's currency, its state and what it came to.
with items as (
    select mall_id, shop_no, order_id, count(*) as item_count, sum(quantity) as units
    from {{ source('cafe24', 'order_items') }}
    group by mall_id, shop_no, order_id
),

orders as (
    select
        o.mall_id,
        o.shop_no,
        o.order_id,
        o.member_id,
        o.order_date,
        {{ cafe24_kst_date('o.order_date') }} as order_date_kst,
        s.currency_code as currency,
        o.paid as paid_status,
        o.canceled as canceled_status,
        o.shipping_status,
        coalesce(o.paid = 'T', false) as is_paid,
        coalesce(o.canceled = 'T', false) as is_canceled,
        coalesce(o.shipping_status = 'T', false) as is_shipped,
        o.payment_date,
        o.cancel_date,
        coalesce(i.item_count, 0) as item_count,
        coalesce(i.units, 0) as units,
        o.actual_order_amount__order_price_amount as order_price_amount,
        o.actual_order_amount__shipping_fee as shipping_fee,
        coalesce(o.actual_order_amount__payment_amount, o.payment_amount) as payment_amount
    from {{ source('cafe24', 'orders') }} as o
    left join {{ source('cafe24', 'shops') }} as s
        on s.mall_id = o.mall_id and s.shop_no = o.shop_no
    left join items as i
        on i.mall_id = o.mall_id and i.shop_no = o.shop_no and i.order_id = o.order_id
)

select
    *,
    case when is_paid and not is_canceled then payment_amount else 0 end as paid_revenue
from orders

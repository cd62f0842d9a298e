-- One row per order item, with its order's day, currency and state, and its product as the catalogue has it.
select
    i.mall_id,
    i.shop_no,
    i.order_id,
    i.order_item_code,
    i.product_no,
    i.variant_code,
    coalesce(p.product_name, i.product_name) as product_name,
    p.product_no is not null as in_catalogue,
    o.order_date,
    o.order_date_kst,
    o.currency,
    o.member_id,
    i.order_status,
    i.quantity,
    i.product_price,
    i.option_price,
    (i.product_price + coalesce(i.option_price, 0)) * i.quantity as line_amount,
    i.payment_amount,
    o.is_paid and not o.is_canceled and not {{ cafe24_line_undone('i.order_status') }} as is_sold
from {{ source('cafe24', 'order_items') }} as i
join {{ ref('cafe24__orders') }} as o
    on o.mall_id = i.mall_id and o.shop_no = i.shop_no and o.order_id = i.order_id
left join {{ source('cafe24', 'products') }} as p
    on p.mall_id = i.mall_id and p.shop_no = i.shop_no and p.product_no = i.product_no

-- One row per product and shop, with what its sold lines add up to.
with sold as (
    select
        mall_id,
        shop_no,
        product_no,
        sum(quantity) as units_sold,
        sum(line_amount) as revenue,
        count(distinct order_id) as order_count,
        max(order_date) as last_sold_at
    from {{ ref('cafe24__order_lines') }}
    where is_sold
    group by mall_id, shop_no, product_no
)

select
    p.mall_id,
    p.shop_no,
    p.product_no,
    p.product_code,
    p.product_name,
    p.eng_product_name,
    s.currency_code as currency,
    p.price,
    p.selling,
    p.display,
    p.created_date,
    coalesce(p._cafe24_deleted, false) as is_deleted,
    p._cafe24_deleted_at as deleted_at,
    coalesce(sold.units_sold, 0) as units_sold,
    coalesce(sold.revenue, 0) as revenue,
    coalesce(sold.order_count, 0) as order_count,
    sold.last_sold_at
from {{ source('cafe24', 'products') }} as p
left join {{ source('cafe24', 'shops') }} as s
    on s.mall_id = p.mall_id and s.shop_no = p.shop_no
left join sold
    on sold.mall_id = p.mall_id and sold.shop_no = p.shop_no and sold.product_no = p.product_no

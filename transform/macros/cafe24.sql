{#- The Korean calendar day of a timestamp with time zone. Cafe24 prints Korea time and the tables store it as
    TIMESTAMPTZ, so the day is taken in Asia/Seoul, not in the session's time zone. DuckDB and PostgreSQL read
    this expression alike (Korea has kept +09:00 all year since 1988). -#}
{% macro cafe24_kst_date(column) -%}
    cast(({{ column }}) at time zone 'Asia/Seoul' as date)
{%- endmacro %}

{#- A line no longer sold: its cancellation or return is complete (orders.md `order_status`: C40-C49 cancelled,
    R40-R43 returned). A request, a refusal or an exchange leaves the line sold. -#}
{% macro cafe24_line_undone(status) -%}
    coalesce({{ status }} in ('C40', 'C41', 'C42', 'C43', 'C47', 'C48', 'C49', 'R40', 'R41', 'R42', 'R43'), false)
{%- endmacro %}

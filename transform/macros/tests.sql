{#- Generic tests on composite keys: every table is keyed by (mall_id, shop_no, natural key), and dbt's own
    unique and relationships tests take one column. -#}

{% test unique_key(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{% test has_parent(model, to, columns) %}
select child.*
from {{ model }} as child
left join {{ to }} as parent
  on {% for column in columns %}{{ 'and ' if not loop.first }}parent.{{ column }} = child.{{ column }} {% endfor %}
where parent.{{ columns[0] }} is null
{% endtest %}

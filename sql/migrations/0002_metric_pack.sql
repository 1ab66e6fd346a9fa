-- The default metric pack (DESIGN.md, Metrics), per exposed shopper from first exposure t0.
-- Refunds are events with negative values, so summing order and refund values is net revenue.
INSERT INTO lift.metrics
    (key, name, description, kind, event_types, aggregation, threshold,
     den_event_types, den_aggregation, window_length, winsor_pct, cuped_pre, direction)
VALUES
    ('conversion', 'Conversion', 'Shopper placed at least one order within 14 days',
     'proportion', '{order}', 'count', 1, NULL, NULL, '14 days', NULL, NULL, 'higher'),
    ('revenue_per_shopper', 'Revenue per shopper', 'Net revenue (orders minus refunds) within 14 days',
     'mean', '{order,refund}', 'sum', NULL, NULL, NULL, '14 days', 0.999, '28 days', 'higher'),
    ('aov', 'Average order value', 'Net revenue per order, among shoppers who ordered within 14 days',
     'ratio', '{order,refund}', 'sum', NULL, '{order}', 'count', '14 days', NULL, NULL, 'higher'),
    ('retention', 'Repeat purchase', 'Shopper ordered again (a second order) within 30 days',
     'proportion', '{order}', 'count', 2, NULL, NULL, '30 days', NULL, NULL, 'higher'),
    ('ltv_90d', 'Lifetime value (90 days)', 'Net revenue within 90 days; only shoppers 90 days old',
     'mean', '{order,refund}', 'sum', NULL, NULL, NULL, '90 days', 0.999, NULL, 'higher'),
    ('engagement', 'Engagement', 'Page views within 14 days',
     'mean', '{page_view}', 'count', NULL, NULL, NULL, '14 days', NULL, '28 days', 'higher');

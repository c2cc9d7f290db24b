-- The demo organization (slug "demo") and its phone number. Idempotent: safe to run again.
-- Portable between PostgreSQL and SQLite: ids are 32 hex digits, JSON is a plain literal.

INSERT INTO organizations (id, slug, name, timezone, config, config_version, created_at, updated_at)
VALUES (
    'd3e0c0de000040008000000000000001',
    'demo',
    'Bright Smiles Dental (demo)',
    'America/Chicago',
    '{"timezone":"America/Chicago","business_hours":{"monday":[{"open":"08:00","close":"12:00"},{"open":"13:00","close":"17:00"}],"tuesday":[{"open":"08:00","close":"12:00"},{"open":"13:00","close":"17:00"}],"wednesday":[{"open":"08:00","close":"12:00"},{"open":"13:00","close":"17:00"}],"thursday":[{"open":"08:00","close":"12:00"},{"open":"13:00","close":"17:00"}],"friday":[{"open":"08:00","close":"12:00"},{"open":"13:00","close":"17:00"}],"saturday":[],"sunday":[]},"holidays":[{"date":"2026-12-25","name":"Christmas Day","hours":[]},{"date":"2027-01-01","name":"New Year''s Day","hours":[]}],"after_hours_policy":"emergencies_only","services_offered":["dental cleaning","fillings","emergency extractions"],"escalation_phone":"+15555550100","emergency_keywords":["jaw swelling"],"high_priority_keywords":["lost crown"],"intake_fields":[{"name":"caller_name","label":"Your name","type":"string","required":true,"options":null},{"name":"callback_phone","label":"Best number to call you back","type":"phone","required":true,"options":null},{"name":"visit_type","label":"Visit type","type":"enum","required":false,"options":["new","existing"]},{"name":"reason","label":"Reason for the call","type":"string","required":true,"options":null}],"greeting":"Thanks for calling Bright Smiles Dental. How can I help you today?","recording_disclosure":"This call is recorded and handled by an automated assistant.","language":"en-US","realtime":{"model":null,"voice":null}}',
    1,
    CURRENT_TIMESTAMP,
    CURRENT_TIMESTAMP
)
ON CONFLICT (slug) DO NOTHING;

INSERT INTO phone_numbers (number, organization_id, created_at)
VALUES ('+15555550123', 'd3e0c0de000040008000000000000001', CURRENT_TIMESTAMP)
ON CONFLICT (number) DO NOTHING;

-- callintake schema: generated from the Alembic migrations by database/schema_dump.py.

CREATE FUNCTION public.outbox_events_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN IF EXISTS (SELECT 1 FROM inserted WHERE fanned_out_at IS NULL) THEN PERFORM pg_notify('callintake_outbox', ''); END IF; RETURN NULL; END $$;

CREATE TABLE public.api_keys (
    id uuid NOT NULL,
    organization_id uuid NOT NULL,
    name character varying(100) NOT NULL,
    prefix character varying(32) NOT NULL,
    key_hash character varying(64) NOT NULL,
    scopes jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone
);

CREATE TABLE public.call_analyses (
    call_id uuid NOT NULL,
    analysis_version integer NOT NULL,
    organization_id uuid NOT NULL,
    status character varying(16) NOT NULL,
    model character varying(64),
    prompt_hash character varying(80),
    schema_version integer NOT NULL,
    attempts integer NOT NULL,
    result jsonb,
    error_kind character varying(32),
    next_attempt_at timestamp with time zone,
    locked_until timestamp with time zone,
    lease_token character varying(32),
    created_at timestamp with time zone NOT NULL,
    completed_at timestamp with time zone
);

CREATE TABLE public.call_events (
    call_id uuid NOT NULL,
    seq integer NOT NULL,
    organization_id uuid NOT NULL,
    type character varying(64) NOT NULL,
    at timestamp with time zone NOT NULL,
    data jsonb NOT NULL
);

CREATE TABLE public.call_intakes (
    call_id uuid NOT NULL,
    organization_id uuid NOT NULL,
    data jsonb NOT NULL,
    urgency character varying(16),
    summary text,
    completed_at timestamp with time zone NOT NULL
);

CREATE TABLE public.call_overflows (
    id bigint NOT NULL,
    organization_id uuid NOT NULL,
    at timestamp with time zone NOT NULL,
    channel character varying(16) NOT NULL,
    outcome character varying(32) NOT NULL,
    refused_by character varying(16) NOT NULL,
    call_id uuid
);

CREATE SEQUENCE public.call_overflows_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.call_overflows_id_seq OWNED BY public.call_overflows.id;

CREATE TABLE public.call_quarantine (
    call_id uuid NOT NULL,
    organization_id uuid,
    error_type character varying(128) NOT NULL,
    attempts integer NOT NULL,
    snapshot bytea NOT NULL,
    quarantined_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.call_transcripts (
    call_id uuid NOT NULL,
    seq integer NOT NULL,
    organization_id uuid NOT NULL,
    speaker character varying(16) NOT NULL,
    text text NOT NULL,
    at timestamp with time zone NOT NULL,
    CONSTRAINT ck_call_transcripts_speaker CHECK (((speaker)::text = ANY ((ARRAY['caller'::character varying, 'agent'::character varying])::text[])))
);

CREATE TABLE public.calls (
    id uuid NOT NULL,
    organization_id uuid NOT NULL,
    channel character varying(16) NOT NULL,
    status character varying(16) NOT NULL,
    started_at timestamp with time zone NOT NULL,
    ended_at timestamp with time zone,
    duration_seconds double precision,
    escalated boolean NOT NULL,
    escalation_reason text,
    escalation_urgency character varying(16),
    urgency character varying(16),
    end_reason character varying(64),
    twilio_call_sid character varying(64),
    from_number character varying(32),
    caller_name character varying(200),
    config_version integer NOT NULL,
    prompt_hash character varying(80) NOT NULL,
    metadata jsonb NOT NULL,
    turn_count integer NOT NULL,
    persisted_at timestamp with time zone DEFAULT now() NOT NULL,
    openai_call_id character varying(64),
    recording_url character varying(2048),
    transcript_purged_at timestamp with time zone,
    intake_purged_at timestamp with time zone,
    content_erased_at timestamp with time zone,
    content_erased_by character varying(64),
    CONSTRAINT ck_calls_channel CHECK (((channel)::text = ANY ((ARRAY['browser'::character varying, 'phone'::character varying])::text[])))
);

CREATE TABLE public.config_audit (
    id bigint NOT NULL,
    organization_id uuid NOT NULL,
    actor_type character varying(32) NOT NULL,
    actor_id character varying(64),
    actor_name character varying(200),
    changed_at timestamp with time zone DEFAULT now() NOT NULL,
    old_version integer NOT NULL,
    new_version integer NOT NULL,
    changed_fields jsonb NOT NULL,
    changes jsonb NOT NULL
);

CREATE SEQUENCE public.config_audit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.config_audit_id_seq OWNED BY public.config_audit.id;

CREATE TABLE public.organizations (
    id uuid NOT NULL,
    slug character varying(63) NOT NULL,
    name character varying(200) NOT NULL,
    timezone character varying(64) NOT NULL,
    config jsonb NOT NULL,
    config_version integer NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.outbox_events (
    id uuid NOT NULL,
    organization_id uuid NOT NULL,
    call_id uuid,
    type character varying(64) NOT NULL,
    data jsonb NOT NULL,
    created_at timestamp with time zone NOT NULL,
    fanned_out_at timestamp with time zone
);

CREATE TABLE public.phone_numbers (
    number character varying(16) NOT NULL,
    organization_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.privacy_audit (
    id bigint NOT NULL,
    organization_id uuid NOT NULL,
    at timestamp with time zone NOT NULL,
    action character varying(16) NOT NULL,
    actor character varying(64) NOT NULL,
    call_id uuid,
    deleted jsonb NOT NULL,
    details jsonb NOT NULL
);

CREATE SEQUENCE public.privacy_audit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.privacy_audit_id_seq OWNED BY public.privacy_audit.id;

CREATE TABLE public.webhook_attempts (
    id bigint NOT NULL,
    delivery_id uuid NOT NULL,
    organization_id uuid NOT NULL,
    number integer NOT NULL,
    at timestamp with time zone NOT NULL,
    status_code integer,
    latency_ms double precision,
    error_kind character varying(32)
);

CREATE SEQUENCE public.webhook_attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.webhook_attempts_id_seq OWNED BY public.webhook_attempts.id;

CREATE TABLE public.webhook_deliveries (
    id uuid NOT NULL,
    organization_id uuid NOT NULL,
    endpoint_id uuid NOT NULL,
    event_id uuid NOT NULL,
    message_id character varying(64) NOT NULL,
    event_type character varying(64) NOT NULL,
    call_id uuid,
    payload jsonb NOT NULL,
    state character varying(16) NOT NULL,
    attempt_count integer NOT NULL,
    schedule_step integer NOT NULL,
    client_errors integer NOT NULL,
    next_attempt_at timestamp with time zone,
    locked_until timestamp with time zone,
    lease_token character varying(32),
    last_status_code integer,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    delivered_at timestamp with time zone
);

CREATE TABLE public.webhook_endpoints (
    id uuid NOT NULL,
    organization_id uuid NOT NULL,
    url character varying(2048) NOT NULL,
    description character varying(500),
    events jsonb NOT NULL,
    include_transcript boolean NOT NULL,
    previous_secret_expires_at timestamp with time zone,
    enabled boolean NOT NULL,
    disabled_reason character varying(64),
    disabled_at timestamp with time zone,
    failing_since timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    secret_encrypted character varying(255) NOT NULL,
    previous_secret_encrypted character varying(255)
);

ALTER TABLE ONLY public.call_overflows ALTER COLUMN id SET DEFAULT nextval('public.call_overflows_id_seq'::regclass);

ALTER TABLE ONLY public.config_audit ALTER COLUMN id SET DEFAULT nextval('public.config_audit_id_seq'::regclass);

ALTER TABLE ONLY public.privacy_audit ALTER COLUMN id SET DEFAULT nextval('public.privacy_audit_id_seq'::regclass);

ALTER TABLE ONLY public.webhook_attempts ALTER COLUMN id SET DEFAULT nextval('public.webhook_attempts_id_seq'::regclass);

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT pk_api_keys PRIMARY KEY (id);

ALTER TABLE ONLY public.call_analyses
    ADD CONSTRAINT pk_call_analyses PRIMARY KEY (call_id, analysis_version);

ALTER TABLE ONLY public.call_events
    ADD CONSTRAINT pk_call_events PRIMARY KEY (call_id, seq);

ALTER TABLE ONLY public.call_intakes
    ADD CONSTRAINT pk_call_intakes PRIMARY KEY (call_id);

ALTER TABLE ONLY public.call_overflows
    ADD CONSTRAINT pk_call_overflows PRIMARY KEY (id);

ALTER TABLE ONLY public.call_quarantine
    ADD CONSTRAINT pk_call_quarantine PRIMARY KEY (call_id);

ALTER TABLE ONLY public.call_transcripts
    ADD CONSTRAINT pk_call_transcripts PRIMARY KEY (call_id, seq);

ALTER TABLE ONLY public.calls
    ADD CONSTRAINT pk_calls PRIMARY KEY (id);

ALTER TABLE ONLY public.config_audit
    ADD CONSTRAINT pk_config_audit PRIMARY KEY (id);

ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT pk_organizations PRIMARY KEY (id);

ALTER TABLE ONLY public.outbox_events
    ADD CONSTRAINT pk_outbox_events PRIMARY KEY (id);

ALTER TABLE ONLY public.phone_numbers
    ADD CONSTRAINT pk_phone_numbers PRIMARY KEY (number);

ALTER TABLE ONLY public.privacy_audit
    ADD CONSTRAINT pk_privacy_audit PRIMARY KEY (id);

ALTER TABLE ONLY public.webhook_attempts
    ADD CONSTRAINT pk_webhook_attempts PRIMARY KEY (id);

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT pk_webhook_deliveries PRIMARY KEY (id);

ALTER TABLE ONLY public.webhook_endpoints
    ADD CONSTRAINT pk_webhook_endpoints PRIMARY KEY (id);

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT uq_api_keys_prefix UNIQUE (prefix);

ALTER TABLE ONLY public.calls
    ADD CONSTRAINT uq_calls_twilio_call_sid UNIQUE (twilio_call_sid);

ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT uq_organizations_slug UNIQUE (slug);

ALTER TABLE ONLY public.webhook_attempts
    ADD CONSTRAINT uq_webhook_attempts_delivery_id_number UNIQUE (delivery_id, number);

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT uq_webhook_deliveries_endpoint_id_event_id UNIQUE (endpoint_id, event_id);

CREATE INDEX ix_api_keys_organization_id ON public.api_keys USING btree (organization_id);

CREATE INDEX ix_call_analyses_due ON public.call_analyses USING btree (next_attempt_at) WHERE ((status)::text = 'pending'::text);

CREATE INDEX ix_call_analyses_organization_id ON public.call_analyses USING btree (organization_id);

CREATE INDEX ix_call_intakes_org_completed ON public.call_intakes USING btree (organization_id, completed_at);

CREATE INDEX ix_call_overflows_org_at ON public.call_overflows USING btree (organization_id, at);

CREATE INDEX ix_call_quarantine_organization_id ON public.call_quarantine USING btree (organization_id);

CREATE INDEX ix_calls_org_escalated_started ON public.calls USING btree (organization_id, escalated, started_at, id);

CREATE INDEX ix_calls_org_started ON public.calls USING btree (organization_id, started_at, id);

CREATE INDEX ix_calls_org_started_unpurged ON public.calls USING btree (organization_id, started_at) WHERE (transcript_purged_at IS NULL);

CREATE INDEX ix_calls_org_status_started ON public.calls USING btree (organization_id, status, started_at, id);

CREATE INDEX ix_calls_org_urgency_started ON public.calls USING btree (organization_id, urgency, started_at, id);

CREATE INDEX ix_config_audit_org_changed ON public.config_audit USING btree (organization_id, changed_at, id);

CREATE INDEX ix_outbox_events_call_id ON public.outbox_events USING btree (call_id);

CREATE INDEX ix_outbox_events_org_created ON public.outbox_events USING btree (organization_id, created_at);

CREATE INDEX ix_outbox_events_organization_id ON public.outbox_events USING btree (organization_id);

CREATE INDEX ix_outbox_events_pending ON public.outbox_events USING btree (created_at) WHERE (fanned_out_at IS NULL);

CREATE INDEX ix_phone_numbers_organization_id ON public.phone_numbers USING btree (organization_id);

CREATE INDEX ix_privacy_audit_org_at ON public.privacy_audit USING btree (organization_id, at, id);

CREATE INDEX ix_webhook_attempts_delivery_id ON public.webhook_attempts USING btree (delivery_id);

CREATE INDEX ix_webhook_deliveries_due ON public.webhook_deliveries USING btree (next_attempt_at) WHERE ((state)::text = 'pending'::text);

CREATE INDEX ix_webhook_deliveries_endpoint_created ON public.webhook_deliveries USING btree (endpoint_id, created_at, id);

CREATE INDEX ix_webhook_deliveries_event_id ON public.webhook_deliveries USING btree (event_id);

CREATE INDEX ix_webhook_deliveries_organization_id ON public.webhook_deliveries USING btree (organization_id);

CREATE INDEX ix_webhook_endpoints_organization_id ON public.webhook_endpoints USING btree (organization_id);

CREATE TRIGGER outbox_events_notify AFTER INSERT ON public.outbox_events REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.outbox_events_notify();

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT fk_api_keys_organization_id_organizations FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.call_analyses
    ADD CONSTRAINT fk_call_analyses_call_id_calls FOREIGN KEY (call_id) REFERENCES public.calls(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.call_events
    ADD CONSTRAINT fk_call_events_call_id_calls FOREIGN KEY (call_id) REFERENCES public.calls(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.call_intakes
    ADD CONSTRAINT fk_call_intakes_call_id_calls FOREIGN KEY (call_id) REFERENCES public.calls(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.call_overflows
    ADD CONSTRAINT fk_call_overflows_organization_id_organizations FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.call_quarantine
    ADD CONSTRAINT fk_call_quarantine_organization_id_organizations FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.call_transcripts
    ADD CONSTRAINT fk_call_transcripts_call_id_calls FOREIGN KEY (call_id) REFERENCES public.calls(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.calls
    ADD CONSTRAINT fk_calls_organization_id_organizations FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.config_audit
    ADD CONSTRAINT fk_config_audit_organization_id_organizations FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.outbox_events
    ADD CONSTRAINT fk_outbox_events_organization_id_organizations FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.phone_numbers
    ADD CONSTRAINT fk_phone_numbers_organization_id_organizations FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.privacy_audit
    ADD CONSTRAINT fk_privacy_audit_organization_id_organizations FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.webhook_attempts
    ADD CONSTRAINT fk_webhook_attempts_delivery_id_webhook_deliveries FOREIGN KEY (delivery_id) REFERENCES public.webhook_deliveries(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT fk_webhook_deliveries_endpoint_id_webhook_endpoints FOREIGN KEY (endpoint_id) REFERENCES public.webhook_endpoints(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT fk_webhook_deliveries_event_id_outbox_events FOREIGN KEY (event_id) REFERENCES public.outbox_events(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.webhook_endpoints
    ADD CONSTRAINT fk_webhook_endpoints_organization_id_organizations FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

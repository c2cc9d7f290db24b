-- callintake schema: generated from the Alembic migrations by database/schema_dump.py.

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

CREATE TABLE public.phone_numbers (
    number character varying(16) NOT NULL,
    organization_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY public.config_audit ALTER COLUMN id SET DEFAULT nextval('public.config_audit_id_seq'::regclass);

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT pk_api_keys PRIMARY KEY (id);

ALTER TABLE ONLY public.call_events
    ADD CONSTRAINT pk_call_events PRIMARY KEY (call_id, seq);

ALTER TABLE ONLY public.call_intakes
    ADD CONSTRAINT pk_call_intakes PRIMARY KEY (call_id);

ALTER TABLE ONLY public.call_transcripts
    ADD CONSTRAINT pk_call_transcripts PRIMARY KEY (call_id, seq);

ALTER TABLE ONLY public.calls
    ADD CONSTRAINT pk_calls PRIMARY KEY (id);

ALTER TABLE ONLY public.config_audit
    ADD CONSTRAINT pk_config_audit PRIMARY KEY (id);

ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT pk_organizations PRIMARY KEY (id);

ALTER TABLE ONLY public.phone_numbers
    ADD CONSTRAINT pk_phone_numbers PRIMARY KEY (number);

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT uq_api_keys_prefix UNIQUE (prefix);

ALTER TABLE ONLY public.calls
    ADD CONSTRAINT uq_calls_twilio_call_sid UNIQUE (twilio_call_sid);

ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT uq_organizations_slug UNIQUE (slug);

CREATE INDEX ix_api_keys_organization_id ON public.api_keys USING btree (organization_id);

CREATE INDEX ix_calls_org_escalated_started ON public.calls USING btree (organization_id, escalated, started_at, id);

CREATE INDEX ix_calls_org_started ON public.calls USING btree (organization_id, started_at, id);

CREATE INDEX ix_calls_org_status_started ON public.calls USING btree (organization_id, status, started_at, id);

CREATE INDEX ix_calls_org_urgency_started ON public.calls USING btree (organization_id, urgency, started_at, id);

CREATE INDEX ix_config_audit_org_changed ON public.config_audit USING btree (organization_id, changed_at, id);

CREATE INDEX ix_phone_numbers_organization_id ON public.phone_numbers USING btree (organization_id);

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT fk_api_keys_organization_id_organizations FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.call_events
    ADD CONSTRAINT fk_call_events_call_id_calls FOREIGN KEY (call_id) REFERENCES public.calls(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.call_intakes
    ADD CONSTRAINT fk_call_intakes_call_id_calls FOREIGN KEY (call_id) REFERENCES public.calls(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.call_transcripts
    ADD CONSTRAINT fk_call_transcripts_call_id_calls FOREIGN KEY (call_id) REFERENCES public.calls(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.calls
    ADD CONSTRAINT fk_calls_organization_id_organizations FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.config_audit
    ADD CONSTRAINT fk_config_audit_organization_id_organizations FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.phone_numbers
    ADD CONSTRAINT fk_phone_numbers_organization_id_organizations FOREIGN KEY (organization_id) REFERENCES public.organizations(id) ON DELETE CASCADE;

// Schema migrations. See migrations.h. Never edit a released migration: append a new one.
#include "migrations.h"

#include <string>
#include <vector>

#include "hestia/base/log.h"

namespace hestia::storage {
namespace {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// last_updated columns hold microseconds since the Unix epoch (exact, cheap to compare).
const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "resources, versions, token index", R"sql(
CREATE TABLE resource (
  pk           bigserial PRIMARY KEY,
  res_type     text      NOT NULL,
  res_id       text      NOT NULL,
  version      integer   NOT NULL,
  deleted      boolean   NOT NULL,
  last_updated bigint    NOT NULL,
  CONSTRAINT resource_type_id UNIQUE (res_type, res_id)
);
CREATE INDEX resource_type_updated ON resource (res_type, last_updated);

CREATE TABLE resource_version (
  seq          bigserial PRIMARY KEY,
  res_pk       bigint    NOT NULL REFERENCES resource (pk),
  res_type     text      NOT NULL,
  res_id       text      NOT NULL,
  version      integer   NOT NULL,
  method       text      NOT NULL,
  last_updated bigint    NOT NULL,
  deleted      boolean   NOT NULL,
  body         text,
  CONSTRAINT resource_version_pk_version UNIQUE (res_pk, version)
);
CREATE INDEX resource_version_type_seq ON resource_version (res_type, seq);
CREATE INDEX resource_version_updated ON resource_version (last_updated);

CREATE TABLE idx_token (
  param_hash bigint NOT NULL,
  res_pk     bigint NOT NULL REFERENCES resource (pk),
  system     text   NOT NULL,
  code       text   NOT NULL
);
CREATE INDEX idx_token_lookup ON idx_token (param_hash, code, system);
CREATE INDEX idx_token_res ON idx_token (res_pk);
)sql"},
      // Typical resources (a few KiB) stay inline and uncompressed: no TOAST compression on
      // the write path and none to undo on reads; larger ones are compressed with lz4, which
      // costs a fraction of pglz. The last_updated index duplicated the seq order that history
      // reads by (versions are written in time order), and cost every write an index insert.
      {2, "resource_version storage: inline bodies, lz4", R"sql(
ALTER TABLE resource_version SET (toast_tuple_target = 8160);
ALTER TABLE resource_version ALTER COLUMN body SET COMPRESSION lz4;
DROP INDEX resource_version_updated;
)sql"},
      // The search index (search/include/hestia/search/index.h): one lean table per parameter
      // type, keyed by param_hash = hash(resource type, code); grp ties the component rows of
      // one composite item together (0 for ordinary rows). Ranges are half-open [low, high)
      // for dates and closed [low, high] for numbers/quantities; NULL = unbounded. Index rows
      // carry no foreign keys: they are written and replaced only together with their
      // resource row, in one statement, and an FK check per row would double the write cost.
      {3, "search index tables", R"sql(
ALTER TABLE idx_token DROP CONSTRAINT IF EXISTS idx_token_res_pk_fkey;
ALTER TABLE idx_token ADD COLUMN grp integer NOT NULL DEFAULT 0;
DROP INDEX idx_token_lookup;
-- res_pk as a key column: a page in pk order over one code stops after count+1 entries.
CREATE INDEX idx_token_lookup ON idx_token (param_hash, code, res_pk) INCLUDE (system);

CREATE TABLE idx_string (
  param_hash bigint  NOT NULL,
  res_pk     bigint  NOT NULL,
  grp        integer NOT NULL DEFAULT 0,
  norm       text    NOT NULL,
  exact      text    NOT NULL
);
CREATE INDEX idx_string_lookup ON idx_string (param_hash, norm text_pattern_ops) INCLUDE (res_pk);
CREATE INDEX idx_string_res ON idx_string (res_pk);

CREATE TABLE idx_date (
  param_hash bigint  NOT NULL,
  res_pk     bigint  NOT NULL,
  grp        integer NOT NULL DEFAULT 0,
  low        bigint  NOT NULL,
  high       bigint  NOT NULL
);
CREATE INDEX idx_date_low ON idx_date (param_hash, low) INCLUDE (res_pk, high);
CREATE INDEX idx_date_high ON idx_date (param_hash, high) INCLUDE (res_pk, low);
CREATE INDEX idx_date_res ON idx_date (res_pk);

CREATE TABLE idx_number (
  param_hash bigint  NOT NULL,
  res_pk     bigint  NOT NULL,
  grp        integer NOT NULL DEFAULT 0,
  low        numeric,
  high       numeric
);
CREATE INDEX idx_number_lookup ON idx_number (param_hash, low) INCLUDE (res_pk, high);
CREATE INDEX idx_number_res ON idx_number (res_pk);

CREATE TABLE idx_quantity (
  param_hash bigint  NOT NULL,
  res_pk     bigint  NOT NULL,
  grp        integer NOT NULL DEFAULT 0,
  system     text    NOT NULL,
  code       text    NOT NULL,
  low        numeric,
  high       numeric,
  canon_unit text    NOT NULL,
  canon_low  double precision,
  canon_high double precision
);
CREATE INDEX idx_quantity_lookup ON idx_quantity (param_hash, code, low) INCLUDE (res_pk);
CREATE INDEX idx_quantity_canon ON idx_quantity (param_hash, canon_unit, canon_low)
  INCLUDE (res_pk);
CREATE INDEX idx_quantity_res ON idx_quantity (res_pk);

CREATE TABLE idx_uri (
  param_hash bigint  NOT NULL,
  res_pk     bigint  NOT NULL,
  grp        integer NOT NULL DEFAULT 0,
  uri        text    NOT NULL
);
CREATE INDEX idx_uri_lookup ON idx_uri (param_hash, uri text_pattern_ops) INCLUDE (res_pk);
CREATE INDEX idx_uri_res ON idx_uri (res_pk);

CREATE TABLE idx_reference (
  param_hash  bigint  NOT NULL,
  res_pk      bigint  NOT NULL,
  grp         integer NOT NULL DEFAULT 0,
  target_type text    NOT NULL,
  target_id   text    NOT NULL,
  url         text    NOT NULL
);
CREATE INDEX idx_reference_target ON idx_reference (target_id, target_type, param_hash, res_pk);
CREATE INDEX idx_reference_url ON idx_reference (param_hash, url) INCLUDE (res_pk)
  WHERE url <> '';
CREATE INDEX idx_reference_res ON idx_reference (res_pk, param_hash);

CREATE TABLE idx_geo (
  param_hash bigint           NOT NULL,
  res_pk     bigint           NOT NULL,
  latitude   double precision NOT NULL,
  longitude  double precision NOT NULL
);
CREATE INDEX idx_geo_lookup ON idx_geo (param_hash, latitude, longitude) INCLUDE (res_pk);
CREATE INDEX idx_geo_res ON idx_geo (res_pk);

CREATE TABLE idx_text (
  res_pk    bigint   PRIMARY KEY,
  narrative tsvector NOT NULL,
  content   tsvector NOT NULL
);
CREATE INDEX idx_text_narrative ON idx_text USING gin (narrative);
CREATE INDEX idx_text_content ON idx_text USING gin (content);

CREATE INDEX resource_type_pk ON resource (res_type, pk) WHERE NOT deleted;

-- $reindex jobs: resumable background work (search/reindex).
CREATE TABLE reindex_job (
  id          bigserial   PRIMARY KEY,
  res_type    text        NOT NULL DEFAULT '',
  res_id      text        NOT NULL DEFAULT '',
  state       text        NOT NULL,
  last_pk     bigint      NOT NULL DEFAULT 0,
  done        bigint      NOT NULL DEFAULT 0,
  total       bigint      NOT NULL DEFAULT 0,
  error       text        NOT NULL DEFAULT '',
  activated   text[]      NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
)sql"},
      // The plug-in event outbox (plugins/host, docs/adr/0009-plugin-abi.md): a statement-level
      // trigger records every new resource_version row in the writing transaction itself, so
      // an event exists exactly when its write committed, without touching the write
      // statements. Rows are ordered by (xid, version_seq); a dispatcher delivers only rows
      // whose transaction is older than every running one, so no event is ever skipped.
      {4, "plug-in outbox, event positions, job runs", R"sql(
CREATE TABLE resource_event (
  xid         bigint NOT NULL,
  version_seq bigint NOT NULL,
  PRIMARY KEY (xid, version_seq)
);

CREATE FUNCTION resource_event_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO resource_event (xid, version_seq)
    SELECT pg_current_xact_id()::text::bigint, seq FROM new_versions;
  RETURN NULL;
END
$$;

CREATE TRIGGER resource_version_outbox AFTER INSERT ON resource_version
  REFERENCING NEW TABLE AS new_versions
  FOR EACH STATEMENT EXECUTE FUNCTION resource_event_enqueue();

CREATE TABLE plugin_event_position (
  subscriber text   PRIMARY KEY,
  last_xid   bigint NOT NULL,
  last_seq   bigint NOT NULL
);

CREATE TABLE plugin_job_run (
  job      text   PRIMARY KEY,
  last_run bigint NOT NULL
);
)sql"},
      // Booking invariants (docs/adr/0010-scheduling.md), enforced by PostgreSQL for every
      // path that writes an Appointment or a Slot — REST, Bundles, import, plug-ins — rather
      // than by checks in C++. A row trigger on resource_version (Appointment and Slot only)
      // keeps two tables in step with the current version: booking_slot holds one row per
      // occupied seat of a Slot (primary key slot + seat, seats below the Slot's capacity),
      // booking_busy one row per busy actor and period, where an exclusion constraint refuses
      // overlaps. Rows of one multi-seat Slot share a group and do not conflict with each
      // other. A hold (pending with the hold-expires extension) occupies until it expires;
      // expired rows are cleared by the next booking that meets them. Errors: 23P01 (refused
      // by the invariant, 409) and HSB01 (the booking data is unusable, 400).
      {5, "booking invariants: seats per Slot, no overlapping busy periods", R"sql(
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE booking_policy (
  singleton         boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  patient_exclusive boolean NOT NULL DEFAULT true
);
INSERT INTO booking_policy DEFAULT VALUES;

CREATE TABLE booking_slot (
  slot           text        NOT NULL,
  seat           integer     NOT NULL CHECK (seat >= 0),
  appointment_pk bigint      NOT NULL,
  expires_at     timestamptz,
  PRIMARY KEY (slot, seat)
);
CREATE INDEX booking_slot_appointment ON booking_slot (appointment_pk);

CREATE TABLE booking_busy (
  appointment_pk bigint      NOT NULL,
  actor          text        NOT NULL,
  period         tstzrange   NOT NULL,
  grp            text        NOT NULL,
  expires_at     timestamptz,
  CONSTRAINT booking_busy_no_overlap
    EXCLUDE USING gist (actor WITH =, period WITH &&, grp WITH <>)
);
CREATE INDEX booking_busy_appointment ON booking_busy (appointment_pk);

-- A JSON array member, or an empty array when absent or not an array.
CREATE FUNCTION booking_array(doc jsonb, member text) RETURNS jsonb
  LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE jsonb_typeof(doc -> member) WHEN 'array' THEN doc -> member ELSE '[]'::jsonb END
$$;

-- A FHIR instant as timestamptz; HSB01 names the element when it is not one.
CREATE FUNCTION booking_instant(value text, element text) RETURNS timestamptz
  LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF value IS NULL THEN RETURN NULL; END IF;
  IF value !~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$' THEN
    RAISE EXCEPTION USING ERRCODE = 'HSB01',
      MESSAGE = format('%s must be an instant with a time zone, not "%s"', element, value);
  END IF;
  RETURN value::timestamptz;
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
  RAISE EXCEPTION USING ERRCODE = 'HSB01',
    MESSAGE = format('%s is not a valid instant: "%s"', element, value);
END
$$;

-- The seats of a Slot (its slot-capacity extension, default 1).
CREATE FUNCTION booking_capacity(slot_doc jsonb) RETURNS integer
  LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce((SELECT CASE WHEN jsonb_typeof(e -> 'valuePositiveInt') = 'number'
                               THEN greatest(1, (e ->> 'valuePositiveInt')::numeric::integer)
                          END
                     FROM jsonb_array_elements(booking_array(slot_doc, 'extension')) e
                    WHERE e ->> 'url' = 'http://hestia.health/fhir/StructureDefinition/slot-capacity'
                    LIMIT 1), 1)
$$;

-- Brings the booking rows of one resource version in line with it (see migration comment).
CREATE FUNCTION booking_apply_version(p_pk bigint, p_type text, p_id text, p_deleted boolean,
                                      p_body text) RETURNS void
  LANGUAGE plpgsql AS $$
DECLARE
  doc       jsonb;
  status    text;
  expires   timestamptz;
  starts    timestamptz;
  ends      timestamptz;
  span      tstzrange;
  grp       text;
  slot_key  text;
  slot_doc  jsonb;
  capacity  integer;
  free_seat integer;
  actor_key text;
  patients  boolean;
  taken     integer;
BEGIN
  IF p_type = 'Slot' THEN
    -- A Slot may not lose seats that are occupied: deleting it, making it unavailable or
    -- lowering its capacity below an occupied seat is refused until those bookings end.
    capacity := 0;  -- a deleted or unavailable Slot keeps no seat
    IF NOT p_deleted AND p_body IS NOT NULL THEN
      slot_doc := p_body::jsonb;
      IF coalesce(slot_doc ->> 'status', '') NOT IN ('busy-unavailable', 'entered-in-error') THEN
        capacity := booking_capacity(slot_doc);
      END IF;
    END IF;
    SELECT count(*) INTO taken FROM booking_slot b
     WHERE b.slot = 'Slot/' || p_id AND b.seat >= capacity
       AND (b.expires_at IS NULL OR b.expires_at > clock_timestamp());
    IF taken > 0 THEN
      RAISE EXCEPTION USING ERRCODE = '23P01',
        MESSAGE = format('Slot/%s has %s active booking(s) that this change would drop; '
                         'cancel or move them first', p_id, taken);
    END IF;
    RETURN;
  END IF;

  DELETE FROM booking_busy WHERE appointment_pk = p_pk;
  DELETE FROM booking_slot WHERE appointment_pk = p_pk;
  IF p_deleted OR p_body IS NULL THEN RETURN; END IF;
  doc := p_body::jsonb;
  status := doc ->> 'status';
  IF status IS NULL OR status NOT IN ('pending', 'booked', 'arrived', 'checked-in', 'fulfilled')
  THEN
    RETURN;
  END IF;
  IF status = 'pending' THEN  -- only a pending Appointment is a hold that can expire
    SELECT booking_instant(e ->> 'valueInstant', 'Appointment.extension(hold-expires)')
      INTO expires
      FROM jsonb_array_elements(booking_array(doc, 'extension')) e
     WHERE e ->> 'url' = 'http://hestia.health/fhir/StructureDefinition/hold-expires'
     LIMIT 1;
  END IF;
  IF expires IS NOT NULL AND expires <= clock_timestamp() THEN
    RETURN;  -- an expired hold holds nothing
  END IF;
  starts := booking_instant(doc ->> 'start', 'Appointment.start');
  ends := booking_instant(doc ->> 'end', 'Appointment.end');
  IF starts IS NULL OR ends IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'HSB01',
      MESSAGE = format('a %s Appointment needs start and end (app-3)', status);
  END IF;
  IF ends <= starts THEN
    RAISE EXCEPTION USING ERRCODE = 'HSB01', MESSAGE = 'Appointment.end must be after start';
  END IF;
  span := tstzrange(starts, ends, '[)');
  grp := 'Appointment/' || p_id;

  -- Seats first, in key order (two bookings of the same Slots lock them in one order).
  FOR slot_key IN
    SELECT DISTINCT substring(s ->> 'reference'
                              FROM '(?:^|/)(Slot/[A-Za-z0-9.-]{1,64})(?:/_history/[^/]*)?$')
      FROM jsonb_array_elements(booking_array(doc, 'slot')) s
     ORDER BY 1
  LOOP
    IF slot_key IS NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'HSB01',
        MESSAGE = 'Appointment.slot must reference Slot resources of this server';
    END IF;
    -- Lock, then read in a second statement: a join in the locking statement would keep the
    -- snapshot from before the wait and miss a version committed meanwhile.
    PERFORM 1 FROM resource r
     WHERE r.res_type = 'Slot' AND r.res_id = substr(slot_key, 6) AND NOT r.deleted
       FOR UPDATE;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'HSB01',
        MESSAGE = format('Appointment.slot references %s, which does not exist', slot_key);
    END IF;
    SELECT v.body::jsonb INTO slot_doc
      FROM resource r JOIN resource_version v ON v.res_pk = r.pk AND v.version = r.version
     WHERE r.res_type = 'Slot' AND r.res_id = substr(slot_key, 6);
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'HSB01',
        MESSAGE = format('Appointment.slot references %s, which does not exist', slot_key);
    END IF;
    IF slot_doc ->> 'status' IN ('busy-unavailable', 'entered-in-error') THEN
      RAISE EXCEPTION USING ERRCODE = '23P01',
        MESSAGE = format('%s is not available for booking', slot_key);
    END IF;
    capacity := booking_capacity(slot_doc);
    DELETE FROM booking_slot WHERE slot = slot_key AND expires_at <= clock_timestamp();
    SELECT min(s) INTO free_seat FROM generate_series(0, capacity - 1) s
     WHERE NOT EXISTS (SELECT 1 FROM booking_slot b WHERE b.slot = slot_key AND b.seat = s);
    IF free_seat IS NULL THEN
      RAISE EXCEPTION USING ERRCODE = '23P01',
        MESSAGE = format('%s is already booked (%s of %s seats taken)', slot_key, capacity,
                         capacity);
    END IF;
    INSERT INTO booking_slot (slot, seat, appointment_pk, expires_at)
      VALUES (slot_key, free_seat, p_pk, expires);
    IF capacity > 1 THEN grp := slot_key; END IF;
  END LOOP;

  -- Then the actors: every participant who is not declined and not information-only.
  SELECT p.patient_exclusive INTO patients FROM booking_policy p;
  FOR actor_key IN
    SELECT DISTINCT k FROM (
      SELECT substring(pt -> 'actor' ->> 'reference'
                       FROM '(?:^|/)((?:Practitioner|PractitionerRole|Location|Device|Patient)/'
                            '[A-Za-z0-9.-]{1,64})(?:/_history/[^/]*)?$') AS k
        FROM jsonb_array_elements(booking_array(doc, 'participant')) pt
       WHERE coalesce(pt ->> 'status', '') <> 'declined'
         AND coalesce(pt ->> 'required', '') <> 'information-only') a
     WHERE k IS NOT NULL AND (patients OR k NOT LIKE 'Patient/%')
     ORDER BY 1
  LOOP
    DELETE FROM booking_busy b
     WHERE b.actor = actor_key AND b.expires_at <= clock_timestamp();
    BEGIN
      INSERT INTO booking_busy (appointment_pk, actor, period, grp, expires_at)
        VALUES (p_pk, actor_key, span, grp, expires);
    EXCEPTION WHEN exclusion_violation THEN
      RAISE EXCEPTION USING ERRCODE = '23P01',
        MESSAGE = format('%s already has a booking that overlaps %s to %s', actor_key,
                         doc ->> 'start', doc ->> 'end');
    END;
  END LOOP;
END
$$;

CREATE FUNCTION booking_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM booking_apply_version(NEW.res_pk, NEW.res_type, NEW.res_id, NEW.deleted, NEW.body);
  RETURN NULL;
END
$$;

CREATE TRIGGER resource_version_booking AFTER INSERT ON resource_version
  FOR EACH ROW WHEN (NEW.res_type IN ('Appointment', 'Slot'))
  EXECUTE FUNCTION booking_apply();

-- Appointments stored before this migration take their seats and periods now, oldest first;
-- one that conflicts with an earlier one is reported and left without rows.
DO $$
DECLARE
  cur record;
BEGIN
  FOR cur IN
    SELECT r.pk, r.res_id, v.body
      FROM resource r JOIN resource_version v ON v.res_pk = r.pk AND v.version = r.version
     WHERE r.res_type = 'Appointment' AND NOT r.deleted
     ORDER BY r.pk
  LOOP
    BEGIN
      PERFORM booking_apply_version(cur.pk, 'Appointment', cur.res_id, false, cur.body);
    EXCEPTION WHEN SQLSTATE '23P01' OR SQLSTATE 'HSB01' THEN
      RAISE WARNING 'Appointment/% keeps no booking rows: %', cur.res_id, SQLERRM;
    END;
  END LOOP;
END
$$;
)sql"},
      // idx_text rows hold the server's own lexemes (search::TextLexemes: case- and
      // accent-insensitive words, array_to_tsvector) instead of to_tsvector('simple', …):
      // every stored resource is indexed again by a background $reindex job, which the server
      // resumes at start (fhir-core/interactions/reindex.cc). Until it reaches a resource,
      // its old row still answers the queries whose words both forms share (plain words).
      {6, "full-text rows as the server's lexemes", R"sql(
INSERT INTO reindex_job (state, total)
SELECT 'queued', count(*) FROM resource WHERE NOT deleted HAVING count(*) > 0;
)sql"},
  };
  return kMigrations;
}

constexpr long long kMigrationLock = 0x4845535449414D49LL;  // "HESTIAMI"

}  // namespace

int LatestSchemaVersion() { return Migrations().back().version; }

Status ApplyMigrations(pqxx::connection& conn) {
  try {
    pqxx::nontransaction session(conn);
    session.exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLock) + ")");
    session.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text "
        "NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    const int current =
        session.exec("SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0].as<int>();
    session.commit();
    Status result = Status::Ok();
    if (current > LatestSchemaVersion()) {
      result = InternalError("database schema version " + std::to_string(current) +
                             " is newer than this server's " +
                             std::to_string(LatestSchemaVersion()) + "; refusing to downgrade");
    } else {
      for (const auto& m : Migrations()) {
        if (m.version <= current) continue;
        pqxx::work txn(conn);
        txn.exec(m.sql);
        txn.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version,
                        std::string(m.name));
        txn.commit();
        log::Info("schema migration applied", {{"version", m.version}, {"name", m.name}});
      }
    }
    pqxx::nontransaction unlock(conn);
    unlock.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
    unlock.commit();
    return result;
  } catch (const std::exception& e) {
    return InternalError(std::string("schema migration failed: ") + e.what());
  }
}

}  // namespace hestia::storage

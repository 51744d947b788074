#!/usr/bin/python3
"""partner_sync.py: keeps a local SQLite copy of Vigil's published data.

The reference client of the partner exchange (README, "Partners: the gRPC
exchange and the Python client"). It uses Debian's python3-grpcio and
python3-protobuf only, with message classes and stubs generated from proto/
(vigil.v1.exchange_pb2_grpc.ExchangeStub, ...), and the standard sqlite3.

First run (the database holds no cursor yet): a snapshot. It lists the
published cycles (Catalog/ListCycles), loads each one's current publication
with Exchange/Export (ranking, methodology, every counted assessment with its
evidence), and stores the feed position of the snapshot. Then, and on every
later run: it follows Exchange/Changes from the stored cursor, applying each
change and storing its cursor in one SQLite transaction, so a crash or a kill
at any point neither loses a change nor applies one twice.

    deploy/examples/partner_sync.py --address vigil.example.org:7443 \\
        --ca ca.crt --cert acme.crt --key acme.key --db acme.sqlite

Without --until-caught-up it keeps following (Ctrl-C or SIGTERM stops it
cleanly); with it, it exits once everything committed before the call has been
applied. A lost connection, a restarting server or an unavailable database
(UNAVAILABLE) make it reconnect with a backoff and resume from the stored
cursor.

Output: one progress line per change on stderr; on exit one summary line on
stdout: `cursor=C changes=N snapshot_cycles=M`. Exit status 0 success (also
when stopped by a signal), 1 error, 2 usage error. Run it with
/usr/bin/python3: another python3 earlier on PATH may lack grpcio.
"""

import argparse
import contextlib
import datetime
import fcntl
import glob
import importlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading

from google.protobuf import json_format  # python3-protobuf

PROG = "partner_sync"
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PROTO_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "proto"))
GRPC_PYTHON_PLUGIN = "/usr/bin/grpc_python_plugin"

# An export streams a whole cycle; a deadline still bounds a server that hangs.
EXPORT_DEADLINE_S = 600.0
# Codes after which a new attempt, from the stored cursor, can succeed: the
# connection was lost, the server restarts or its database is down.
RETRYABLE = {"UNAVAILABLE", "DEADLINE_EXCEEDED", "INTERNAL", "UNKNOWN", "ABORTED",
             "RESOURCE_EXHAUSTED"}
# Codes meaning "this caller may not do that here" (e.g. an anonymous caller of
# the public listener calling Catalog/ListCycles: UNAUTHENTICATED, which with a
# client certificate means "not a registered office" instead, and is fatal).
NOT_ALLOWED = {"PERMISSION_DENIED", "UNIMPLEMENTED"}
NOT_ALLOWED_ANONYMOUS = NOT_ALLOWED | {"UNAUTHENTICATED"}
# Export of a cycle with no version visible to the caller (all under embargo).
NOTHING_VISIBLE = {"NOT_FOUND", "FAILED_PRECONDITION"}


def log(msg):
    sys.stderr.write("%s: %s\n" % (PROG, msg))
    sys.stderr.flush()


class Fatal(Exception):
    """An error that another attempt will not cure: exit 1."""


class Retry(Exception):
    """The stream ended or broke where it should not: reconnect and resume."""


# ---- command line ----------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="partner_sync.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Keep a local SQLite copy of Vigil's published data: a snapshot\n"
                    "(Exchange/Export) on the first run, then the change feed\n"
                    "(Exchange/Changes) from the stored cursor.",
        epilog="Exit status: 0 success (also when stopped by SIGINT/SIGTERM), 1 error, "
               "2 usage error.\nOn exit prints `cursor=C changes=N snapshot_cycles=M` on "
               "stdout; progress goes to stderr.\nTables: sync_state, cycles, publications, "
               "methodologies, assessments, evidence,\napprovals; views current_rankings, "
               "counted_assessments, entries (see the README).")
    p.add_argument("--address", default="127.0.0.1:7443",
                   help="host:port of vigild (default 127.0.0.1:7443)")
    p.add_argument("--ca", help="CA certificate (PEM) the server's certificate must chain "
                                "to (default: gRPC's built-in roots)")
    p.add_argument("--cert", help="the partner office's client certificate (PEM); without "
                                  "--cert/--key: no client certificate (public listener)")
    p.add_argument("--key", help="its private key (PEM)")
    p.add_argument("--server-name",
                   help="name checked in the server's certificate (default: the host of "
                        "--address, as the vigil CLI; the development certificates "
                        "are for localhost and 127.0.0.1)")
    p.add_argument("--db", required=True, metavar="FILE",
                   help="the local SQLite database (created when missing)")
    p.add_argument("--until-caught-up", action="store_true",
                   help="exit 0 once everything committed before the call is applied "
                        "(CHANGE_KIND_CAUGHT_UP) instead of following for ever")
    p.add_argument("--from-beginning", action="store_true",
                   help="first run only: read the whole feed from the start instead of "
                        "taking a snapshot (every version, not only the current ones)")
    p.add_argument("--include-approvals", action="store_true",
                   help="central office only: also approvals in unpublished cycles "
                        "(table approvals)")
    p.add_argument("--max-retries", type=int, metavar="N",
                   help="consecutive failed attempts before giving up with exit 1 "
                        "(default: never with follow, 10 with --until-caught-up)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="deadline of each unary call (default 30)")
    p.add_argument("--proto-dir", default=DEFAULT_PROTO_DIR,
                   help="the repository's proto/ (default %(default)s)")
    p.add_argument("--stubs", metavar="DIR",
                   help="generated stubs (deploy/examples/gen_stubs.sh DIR); made there "
                        "when missing (default: a temporary directory per run)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress lines, only errors and the summary")
    a = p.parse_args(argv)
    if bool(a.cert) != bool(a.key):
        p.error("--cert and --key go together")
    if a.max_retries is None:
        a.max_retries = 10 if a.until_caught_up else 0
    if a.max_retries < 0 or a.timeout <= 0:
        p.error("--max-retries must be >= 0 and --timeout > 0")
    return a


# ---- generated code --------------------------------------------------------

class Stubs:
    """The generated modules: vigil.v1.{exchange,catalog,rankings}_pb2(_grpc)."""

    def __init__(self, proto_dir, out_dir):
        marker = os.path.join(out_dir, "vigil", "v1", "exchange_pb2_grpc.py")
        if not os.path.exists(marker):
            generate(proto_dir, out_dir)
        sys.path.insert(0, out_dir)
        m = importlib.import_module
        self.exchange = m("vigil.v1.exchange_pb2")
        self.exchange_grpc = m("vigil.v1.exchange_pb2_grpc")
        self.catalog = m("vigil.v1.catalog_pb2")
        self.catalog_grpc = m("vigil.v1.catalog_pb2_grpc")


def generate(proto_dir, out_dir):
    """What deploy/examples/gen_stubs.sh does."""
    protos = sorted(glob.glob(os.path.join(proto_dir, "vigil", "v1", "*.proto")))
    if not protos:
        raise Fatal("no vigil/v1/*.proto under %s (see --proto-dir)" % proto_dir)
    os.makedirs(out_dir, exist_ok=True)
    cmd = ["protoc", "--python_out=" + out_dir, "--grpc_python_out=" + out_dir,
           "--plugin=protoc-gen-grpc_python=" + GRPC_PYTHON_PLUGIN, "-I", proto_dir] + protos
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as e:
        raise Fatal("cannot run protoc (package protobuf-compiler): %s" % e)
    if r.returncode != 0:
        raise Fatal("protoc failed: %s\n%s" % (" ".join(cmd), r.stderr.strip()))


# ---- the local database ----------------------------------------------------

SCHEMA = """
-- The feed position the rest of the database reflects; no row = no snapshot yet.
CREATE TABLE IF NOT EXISTS sync_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    cursor     TEXT NOT NULL,      -- opaque; "" = the beginning of the feed
    updated_at TEXT NOT NULL);
-- One row per published cycle: the newest version visible to us.
CREATE TABLE IF NOT EXISTS cycles (
    cycle           TEXT PRIMARY KEY,
    current_version INTEGER NOT NULL,
    methodology     TEXT NOT NULL);
-- Every version received (published data never changes).
CREATE TABLE IF NOT EXISTS publications (
    cycle         TEXT NOT NULL,
    version       INTEGER NOT NULL,
    published_at  TEXT NOT NULL,
    embargo_until TEXT NOT NULL,
    digest        TEXT NOT NULL,   -- SHA-256 of the canonical inputs (README)
    methodology   TEXT NOT NULL,
    ranking       TEXT NOT NULL,   -- the Ranking message as JSON, proto field names
    source        TEXT NOT NULL,   -- export, published or embargo_released
    PRIMARY KEY (cycle, version));
CREATE TABLE IF NOT EXISTS methodologies (
    code        TEXT PRIMARY KEY,
    methodology TEXT NOT NULL);    -- the Methodology message as JSON
-- Every counted revision received: version = the first publication counting it.
CREATE TABLE IF NOT EXISTS assessments (
    cycle         TEXT NOT NULL,
    state         TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    state_name    TEXT NOT NULL,
    office        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    base_revision INTEGER NOT NULL,
    entries       TEXT NOT NULL,   -- the Entry messages as a JSON array
    PRIMARY KEY (cycle, state, revision));
CREATE TABLE IF NOT EXISTS evidence (
    cycle     TEXT NOT NULL,
    state     TEXT NOT NULL,
    revision  INTEGER NOT NULL,
    indicator TEXT NOT NULL,
    position  INTEGER NOT NULL,    -- 0-based within the entry
    citation  TEXT NOT NULL,
    url       TEXT NOT NULL,
    date      TEXT NOT NULL,
    PRIMARY KEY (cycle, state, revision, indicator, position));
-- Central office with --include-approvals: approvals in unpublished cycles.
CREATE TABLE IF NOT EXISTS approvals (
    cycle        TEXT NOT NULL,
    state        TEXT NOT NULL,
    revision     INTEGER NOT NULL,
    state_name   TEXT NOT NULL,
    committed_at TEXT NOT NULL,
    entries      TEXT NOT NULL,
    PRIMARY KEY (cycle, state, revision));
-- The current publication of each cycle.
CREATE VIEW IF NOT EXISTS current_rankings AS
    SELECT p.* FROM publications p
      JOIN cycles c ON c.cycle = p.cycle AND p.version = c.current_version;
-- The revision each state's current publication counts: the newest one that a
-- version up to the current one counted.
CREATE VIEW IF NOT EXISTS counted_assessments AS
    SELECT a.* FROM assessments a
      JOIN cycles c ON c.cycle = a.cycle
     WHERE a.revision = (SELECT max(b.revision) FROM assessments b
                          WHERE b.cycle = a.cycle AND b.state = a.state
                            AND b.version <= c.current_version);
-- One row per indicator of every stored revision.
CREATE VIEW IF NOT EXISTS entries AS
    SELECT a.cycle, a.state, a.revision, CAST(j.key AS INTEGER) AS position,
           json_extract(j.value, '$.indicator') AS indicator,
           json_extract(j.value, '$.level') AS level,
           json_extract(j.value, '$.justification') AS justification
      FROM assessments a, json_each(a.entries) j;
"""


def lock_db(path):
    """Only one partner_sync per database: two would store each other's cursors.
    The lock (on FILE.lock) lasts as long as the returned file stays open."""
    lock = open(path + ".lock", "a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise Fatal("%s is in use by another partner_sync" % path)
    return lock


def open_db(path):
    """Opens the database, creating the tables that are missing."""
    # isolation_level=None: no implicit transactions; transaction() says where.
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")   # readers do not block the follower
    db.execute("PRAGMA synchronous=FULL")   # a committed change survives a power cut
    db.executescript(SCHEMA)
    return db


@contextlib.contextmanager
def transaction(db):
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def stored_cursor(db):
    row = db.execute("SELECT cursor FROM sync_state WHERE id = 1").fetchone()
    return None if row is None else row[0]


def store_cursor(db, cursor):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    db.execute("INSERT INTO sync_state (id, cursor, updated_at) VALUES (1, ?, ?)"
               " ON CONFLICT (id) DO UPDATE SET cursor = excluded.cursor,"
               " updated_at = excluded.updated_at", (cursor, now))


def as_json(message):
    return json.dumps(json_format.MessageToDict(message, preserving_proto_field_name=True),
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# Every write below is an upsert keyed by what the data is (cycle, version,
# state, revision), never an increment: applying the same change twice leaves
# the same rows. This is what makes the snapshot safe (see snapshot()).

def upsert_publication(db, ranking, source):
    db.execute(
        "INSERT INTO publications (cycle, version, published_at, embargo_until, digest,"
        " methodology, ranking, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (cycle, version) DO UPDATE SET ranking = excluded.ranking",
        (ranking.cycle, ranking.version, ranking.published_at, ranking.embargo_until,
         ranking.digest, ranking.methodology, as_json(ranking), source))
    # Current = the newest version received, whatever the order they came in
    # (an embargoed version released after a newer one published at once).
    db.execute(
        "INSERT INTO cycles (cycle, current_version, methodology) VALUES (?, ?, ?)"
        " ON CONFLICT (cycle) DO UPDATE SET"
        " current_version = max(current_version, excluded.current_version),"
        " methodology = excluded.methodology",
        (ranking.cycle, ranking.version, ranking.methodology))


def upsert_methodology(db, methodology):
    db.execute("INSERT INTO methodologies (code, methodology) VALUES (?, ?)"
               " ON CONFLICT (code) DO UPDATE SET methodology = excluded.methodology",
               (methodology.code, as_json(methodology)))


def upsert_assessment(db, cycle, version, state, state_name, revision):
    entries = json.loads(as_json(revision)).get("entries", [])
    db.execute(
        "INSERT INTO assessments (cycle, state, revision, version, state_name, office,"
        " created_at, base_revision, entries) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (cycle, state, revision) DO UPDATE SET"
        " version = min(version, excluded.version)",
        (cycle, state, revision.number, version, state_name, revision.office,
         revision.created_at, revision.base_revision,
         json.dumps(entries, ensure_ascii=False, sort_keys=True, separators=(",", ":"))))
    db.execute("DELETE FROM evidence WHERE cycle = ? AND state = ? AND revision = ?",
               (cycle, state, revision.number))
    db.executemany(
        "INSERT INTO evidence (cycle, state, revision, indicator, position, citation, url,"
        " date) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(cycle, state, revision.number, e.indicator, i, ev.citation, ev.url, ev.date)
         for e in revision.entries for i, ev in enumerate(e.evidence)])


def upsert_approval(db, change):
    entries = json.loads(as_json(change.revision)).get("entries", [])
    db.execute(
        "INSERT INTO approvals (cycle, state, revision, state_name, committed_at, entries)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (cycle, state, revision) DO NOTHING",
        (change.cycle, change.state, change.revision.number, change.state_name,
         change.committed_at, json.dumps(entries, ensure_ascii=False, sort_keys=True)))


# ---- the two phases --------------------------------------------------------

class Sync:
    def __init__(self, args, grpc, stubs, db, stop):
        self.args, self.grpc, self.pb, self.db, self.stop = args, grpc, stubs, db, stop
        self.changes = 0          # changes applied by this run
        self.snapshot_cycles = 0  # cycles exported by this run
        self.progressed = False   # this attempt applied something (resets the backoff)
        self.not_allowed = NOT_ALLOWED if args.cert else NOT_ALLOWED_ANONYMOUS

    def say(self, msg):
        if not self.args.quiet:
            log(msg)

    def connect(self, channel):
        self.exchange = self.pb.exchange_grpc.ExchangeStub(channel)
        self.catalog = self.pb.catalog_grpc.CatalogStub(channel)

    # -- snapshot --

    def published_cycles(self):
        cat = self.pb.catalog
        resp = self.catalog.ListCycles(cat.ListCyclesRequest(), timeout=self.args.timeout)
        return [c.code for c in resp.cycles if c.status == cat.CYCLE_STATUS_PUBLISHED]

    def snapshot(self):
        """Loads every published cycle's current version, then stores the cursor.

        Each Export names the feed position of its own snapshot; cursors are opaque
        and cannot be compared, but positions only grow with time, so the first
        export's cursor is the earliest. Following from it re-delivers what was
        committed while the later cycles were exported: harmless, since applying
        a change is an idempotent upsert (a publication, an assessment revision)
        and the current version is the newest one received, not the last one.
        Listing again after the exports catches a cycle first published while the
        list was being read (before the first cursor, so the feed would not bring
        it). Until the cursor is stored, an interrupted snapshot simply starts over.
        """
        if self.args.from_beginning:
            self.say("snapshot skipped (--from-beginning): reading the whole feed")
            with transaction(self.db):
                store_cursor(self.db, "")
            return
        try:
            todo = self.published_cycles()
        except self.grpc.RpcError as e:
            if e.code().name not in self.not_allowed:
                raise
            self.say("Catalog/ListCycles refused (%s): reading the whole feed instead"
                     % e.code().name)
            with transaction(self.db):
                store_cursor(self.db, "")
            return
        first_cursor, done = None, set()
        while todo:
            for cycle in todo:
                cursor = self.export(cycle)
                if self.stop.requested:
                    return   # no cursor stored: the next run starts the snapshot over
                done.add(cycle)
                if first_cursor is None and cursor is not None:
                    first_cursor = cursor
            todo = [c for c in self.published_cycles() if c not in done]
        with transaction(self.db):
            # No cycle visible yet: every publication is still ahead in the feed.
            store_cursor(self.db, first_cursor if first_cursor is not None else "")
        self.say("snapshot: %d cycle(s); following from the first export's cursor"
                 % self.snapshot_cycles)

    def export(self, cycle):
        """Loads one cycle's current version in one transaction; returns its cursor
        (None when no version is visible to us yet)."""
        K = self.pb.exchange
        header = end = ranking = methodology = None
        records, evidence = [], 0
        try:
            stream = self.exchange.Export(K.ExportRequest(cycle=cycle),
                                          timeout=EXPORT_DEADLINE_S)
            self.stop.watch(stream)
            for rec in stream:
                if rec.kind == K.EXPORT_RECORD_KIND_HEADER:
                    header = rec.header
                elif rec.kind == K.EXPORT_RECORD_KIND_METHODOLOGY:
                    methodology = rec.methodology
                elif rec.kind == K.EXPORT_RECORD_KIND_ASSESSMENT:
                    records.append(rec)
                    evidence += sum(len(e.evidence) for e in rec.revision.entries)
                elif rec.kind == K.EXPORT_RECORD_KIND_RANKING:
                    ranking = rec.ranking
                elif rec.kind == K.EXPORT_RECORD_KIND_END:
                    end = rec.header
                # AGGREGATES (and kinds added later) are not kept: recompute them
                # from the assessments, or read Rankings/GetAggregates.
        except self.grpc.RpcError as e:
            if self.stop.requested:
                return None
            if e.code().name in NOTHING_VISIBLE:
                self.say("export %s: nothing visible yet (%s): the feed will bring it"
                         % (cycle, e.code().name))
                return None
            raise
        finally:
            self.stop.watch(None)
        if self.stop.requested:
            return None
        if header is None or end is None or ranking is None:
            raise Retry("export %s ended early" % cycle)
        if end.assessments != len(records) or end.evidence != evidence:
            raise Retry("export %s: got %d assessments / %d evidence items, the server "
                        "sent %d / %d" % (cycle, len(records), evidence, end.assessments,
                                          end.evidence))
        with transaction(self.db):
            if methodology is not None:
                upsert_methodology(self.db, methodology)
            upsert_publication(self.db, ranking, "export")
            for rec in records:
                if rec.HasField("revision"):   # unset: no approved revision (not ranked)
                    upsert_assessment(self.db, cycle, header.version, rec.state,
                                      rec.state_name, rec.revision)
        self.snapshot_cycles += 1
        self.progressed = True
        counted = sum(1 for rec in records if rec.HasField("revision"))
        self.say("export %s version %d: %d states, %d counted revisions, %d evidence items, "
                 "digest %s" % (cycle, header.version, len(records), counted, evidence,
                                header.digest[:12]))
        return header.cursor

    # -- the feed --

    def follow(self):
        """Applies the feed from the stored cursor. Returns when caught up with
        --until-caught-up, or when stopped by a signal; raises otherwise."""
        K = self.pb.exchange
        after = stored_cursor(self.db)
        self.say("following the feed from %s" % (repr(after) if after else "the beginning"))
        call = self.exchange.Changes(K.ChangesRequest(
            after=after, follow=True, include_approvals=self.args.include_approvals))
        self.stop.watch(call)
        try:
            for change in call:
                if change.kind == K.CHANGE_KIND_CAUGHT_UP:
                    self.say("caught up at cursor %r (%d change(s) applied by this run)"
                             % (change.cursor, self.changes))
                    self.progressed = True
                    if self.args.until_caught_up:
                        return
                    continue
                self.apply(change)
                if self.stop.requested:
                    return
        except self.grpc.RpcError:
            if self.stop.requested:
                return
            raise
        finally:
            self.stop.watch(None)
            call.cancel()
        if self.stop.requested:
            return
        raise Retry("the server ended the feed")

    def apply(self, change):
        """One change and its cursor, in one transaction."""
        K = self.pb.exchange
        try:
            short = K.ChangeKind.Name(change.kind)[len("CHANGE_KIND_"):].lower()
        except ValueError:   # a kind added after this program was written
            short = "kind_%d" % change.kind
        if change.kind in (K.CHANGE_KIND_PUBLISHED, K.CHANGE_KIND_EMBARGO_RELEASED):
            methodology = self.fetch_methodology(change.ranking.methodology)
        with transaction(self.db):
            if change.kind in (K.CHANGE_KIND_PUBLISHED, K.CHANGE_KIND_EMBARGO_RELEASED):
                if methodology is not None:
                    upsert_methodology(self.db, methodology)
                upsert_publication(self.db, change.ranking, short)
                what = "%s version %d (digest %s)" % (change.cycle, change.version,
                                                      change.ranking.digest[:12])
            elif change.kind == K.CHANGE_KIND_REVISION_PUBLISHED:
                upsert_assessment(self.db, change.cycle, change.version, change.state,
                                  change.state_name, change.revision)
                what = "%s version %d %s revision %d" % (change.cycle, change.version,
                                                         change.state, change.revision.number)
            elif change.kind == K.CHANGE_KIND_APPROVED:
                upsert_approval(self.db, change)
                what = "%s %s revision %d" % (change.cycle, change.state,
                                              change.revision.number)
            else:
                # A kind this program does not know (a newer server): skip it, but
                # move past it, as the feed's contract allows.
                what = "(kind %d, skipped)" % change.kind
            store_cursor(self.db, change.cursor)
        self.changes += 1
        self.progressed = True
        self.say("%s %s" % (short, what))

    def fetch_methodology(self, code):
        """The methodology of a publication the feed brings, unless already stored
        or not readable by this caller (then the copy has none for it)."""
        if not code or self.db.execute("SELECT 1 FROM methodologies WHERE code = ?",
                                       (code,)).fetchone():
            return None
        cat = self.pb.catalog
        try:
            return self.catalog.GetMethodology(cat.GetMethodologyRequest(methodology=code),
                                               timeout=self.args.timeout).methodology
        except self.grpc.RpcError as e:
            if e.code().name in self.not_allowed:
                return None
            raise


# ---- connection, retries, signals ------------------------------------------

class Stop:
    """SIGINT/SIGTERM: finish the change being applied, cancel the call, exit 0."""

    def __init__(self):
        self.requested = False
        self.event = threading.Event()
        self.call = None
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self.handle)

    def handle(self, signum, frame):
        if not self.requested:
            log("stopping (%s)" % signal.Signals(signum).name)
        self.requested = True
        self.event.set()
        call = self.call
        if call is not None:
            call.cancel()   # the blocked iteration ends with CANCELLED

    def watch(self, call):
        self.call = call

    def sleep(self, seconds):
        self.event.wait(seconds)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def make_channel(grpc, args):
    creds = grpc.ssl_channel_credentials(
        root_certificates=read(args.ca) if args.ca else None,
        private_key=read(args.key) if args.key else None,
        certificate_chain=read(args.cert) if args.cert else None)
    options = [
        # A follow stream may stay silent for hours: pings find a dead connection
        # (then UNAVAILABLE, and a reconnection from the stored cursor).
        ("grpc.keepalive_time_ms", 30000),
        ("grpc.keepalive_timeout_ms", 10000),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ]
    if args.server_name:
        options += [("grpc.ssl_target_name_override", args.server_name),
                    ("grpc.default_authority", args.server_name)]
    return grpc.secure_channel(args.address, creds, options=options)


def run(args, grpc, sync, stop):
    """Attempts until done; each attempt connects, snapshots if needed, follows.
    Raises Fatal on an error that another attempt would not cure."""
    failures, delay = 0, 0.5
    while not stop.requested:
        channel = make_channel(grpc, args)
        try:
            sync.connect(channel)
            sync.progressed = False
            if stored_cursor(sync.db) is None:
                sync.snapshot()
            if not stop.requested:
                sync.follow()
            return
        except grpc.RpcError as e:
            if stop.requested:
                return
            name = e.code().name if e.code() else "UNKNOWN"
            if name not in RETRYABLE:
                raise Fatal("%s: %s" % (name, e.details()))
            reason = "%s: %s" % (name, e.details())
        except Retry as e:
            reason = str(e)
        finally:
            channel.close()
        if sync.progressed:
            failures, delay = 0, 0.5
        failures += 1
        if args.max_retries and failures > args.max_retries:
            raise Fatal("%s (giving up after %d attempts)" % (reason, failures))
        wait = delay * (0.5 + random.random() / 2)   # jitter: partners do not stampede
        log("%s; reconnecting in %.1f s" % (reason, wait))
        stop.sleep(wait)
        delay = min(delay * 2, 30.0)


def main(argv):
    args = parse_args(argv)
    import grpc  # grpcio, imported before the generated modules touch sys.path

    stop = Stop()
    with contextlib.ExitStack() as cleanup:
        try:
            stubs_dir = args.stubs or cleanup.enter_context(
                tempfile.TemporaryDirectory(prefix="vigil-stubs-"))
            stubs = Stubs(os.path.abspath(args.proto_dir), os.path.abspath(stubs_dir))
            cleanup.enter_context(lock_db(args.db))
            db = open_db(args.db)
            cleanup.callback(db.close)
            sync = Sync(args, grpc, stubs, db, stop)
            run(args, grpc, sync, stop)
        except (Fatal, OSError, sqlite3.Error) as e:
            log("error: %s" % e)
            return 1
        cursor = stored_cursor(db)
        print("cursor=%s changes=%d snapshot_cycles=%d"
              % (cursor if cursor is not None else "", sync.changes, sync.snapshot_cycles))
        sys.stdout.flush()
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

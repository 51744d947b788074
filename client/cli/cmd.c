/* cmd: the command table, the parsing and help shared by all commands, and
 * the list of exit codes (see cmd.h). */
#include "cmd.h"
#include "args.h"
#include "rankargs.h"

#include <string.h>

#define CMD_OPTION_BASE 2000 /* getopt value of a command's own option id 0 */
#define MAX_OWN_OPTIONS 32

static const struct cmd_option health_options[] = {
    {"service", "NAME", 0, "service to ask about; default \"\" (the whole server)"},
    {NULL, NULL, 0, NULL},
};

/* The options of the data commands (ids of args.h). */
static const struct cmd_option states_options[] = {
    {"region", "CODE", ARG_REGION, "only this region (M49 code) and the regions below it"},
    {NULL, NULL, 0, NULL},
};
static const struct cmd_option methodology_options[] = {
    {"cycle", "CYCLE", ARG_CYCLE, "the methodology of this cycle"},
    {"methodology", "CODE", ARG_METHODOLOGY, "or the methodology with this code"},
    {NULL, NULL, 0, NULL},
};
static const struct cmd_option cycle_options[] = {
    {"methodology", "CODE", ARG_METHODOLOGY, "create: the cycle's methodology (required)"},
    {"predecessor", "CYCLE", ARG_PREDECESSOR, "create: the cycle it is compared with"},
    {NULL, NULL, 0, NULL},
};
static const struct cmd_option office_options[] = {
    {"role", "ROLE", ARG_ROLE, "add: regional, central or partner"},
    {"region", "CODE", ARG_REGION, "add, scope: the scope's region (and those below it)"},
    {"state", "XX", ARG_STATE, "add, scope: a state of the scope (repeat for more)"},
    {"sha256", "HEX", ARG_SHA256, "add-cert: a fingerprint instead of a certificate file"},
    {"subject", "CN", ARG_SUBJECT, "add-cert --sha256: the informative subject"},
    {NULL, NULL, 0, NULL},
};
static const struct cmd_option template_options[] = {
    {"cycle", "CYCLE", ARG_CYCLE, "the cycle to assess (required)"},
    {"region", "CODE", ARG_REGION, "the states of this region instead of the office's scope"},
    {"state", "XX", ARG_STATE, "this state (repeat for more) instead of the office's scope"},
    {"out", "FILE", ARG_OUT, "write to FILE (never over an existing one); default stdout"},
    {NULL, NULL, 0, NULL},
};
static const struct cmd_option submit_options[] = {
    {"draft", NULL, ARG_DRAFT, "store every revision as a draft (not submitted for review)"},
    {"check", NULL, ARG_CHECK, "check the files against the methodology; send nothing"},
    {NULL, NULL, 0, NULL},
};
static const struct cmd_option show_options[] = {
    {"cycle", "CYCLE", ARG_CYCLE, "the cycle (required)"},
    {"revision", "N", ARG_REVISION, "this revision; default the latest"},
    {NULL, NULL, 0, NULL},
};
static const struct cmd_option cycle_only_options[] = {
    {"cycle", "CYCLE", ARG_CYCLE, "the cycle (required)"},
    {NULL, NULL, 0, NULL},
};
static const struct cmd_option queue_options[] = {
    {"cycle", "CYCLE", ARG_CYCLE, "the cycle (required)"},
    {"status", "STATUS", ARG_STATUS, "draft, submitted, returned, approved or unlocked"},
    {"region", "CODE", ARG_REGION, "only this region and the regions below it"},
    {NULL, NULL, 0, NULL},
};
static const struct cmd_option review_options[] = {
    {"cycle", "CYCLE", ARG_CYCLE, "the cycle (required)"},
    {"comment", "TEXT", ARG_COMMENT, "why (required to return or unlock)"},
    {"revision", "N", ARG_REVISION, "the revision judged (one STATE); default the latest"},
    {NULL, NULL, 0, NULL},
};
static const struct cmd_option audit_options[] = {
    {"since", "TIME", ARG_SINCE, "from this time on (RFC 3339, or a date YYYY-MM-DD in UTC)"},
    {"limit", "N", ARG_LIMIT, "at most N entries; default 100"},
    {"after-id", "ID", ARG_AFTER_ID, "entries after this id (to page on)"},
    {NULL, NULL, 0, NULL},
};

/* The rankings commands (ids of rankargs.h and args.h). */
static const struct cmd_option ranking_options[] = {
    {"cycle", "CYCLE", ARG_CYCLE, "the cycle (required)"},
    {"area", "CODE", RANKARG_AREA, "rank on this area's score instead of the overall score"},
    {"region", "CODE", ARG_REGION, "only this region and those below it (adds the region rank)"},
    {"version", "N", RANKARG_VERSION, "this published version; default the current"},
    {"live", NULL, RANKARG_LIVE, "computed now from the latest approved revisions (central)"},
    {NULL, NULL, 0, NULL},
};
static const struct cmd_option aggregates_options[] = {
    {"cycle", "CYCLE", ARG_CYCLE, "the cycle (required)"},
    {"region", "CODE", ARG_REGION, "only the states of this region and those below it"},
    {"conditional", "T=L|G=L", RANKARG_CONDITIONAL, "a conditional share (repeat for more)"},
    {"version", "N", RANKARG_VERSION, "this published version; default the current"},
    {"live", NULL, RANKARG_LIVE, "computed now from the latest approved revisions (central)"},
    {NULL, NULL, 0, NULL},
};
static const struct cmd_option card_options[] = {
    {"cycle", "CYCLE", ARG_CYCLE, "the cycle (required)"},
    {"version", "N", RANKARG_VERSION, "this published version; default the current"},
    {"live", NULL, RANKARG_LIVE, "computed now from the latest approved revisions (central)"},
    {NULL, NULL, 0, NULL},
};
static const struct cmd_option publish_options[] = {
    {"cycle", "CYCLE", ARG_CYCLE, "the closed (or published) cycle (required)"},
    {"embargo", "TIME", RANKARG_EMBARGO, "hidden from all but the central office until TIME"},
    {NULL, NULL, 0, NULL},
};
static const struct cmd_option verify_options[] = {
    {"cycle", "CYCLE", ARG_CYCLE, "the published cycle (required)"},
    {"version", "N", RANKARG_VERSION, "this published version; default the current"},
    {NULL, NULL, 0, NULL},
};

/* The exchange commands (ids of args.h). */
static const struct cmd_option export_options[] = {
    {"cycle", "CYCLE", ARG_CYCLE, "the published cycle (required)"},
    {"version", "N", ARG_VERSION, "this published version; default the current"},
    {"format", "csv|jsonl", ARG_FILE_FORMAT, "the files' format (default csv)"},
    {"out", "DIR", ARG_OUT, "the directory to write (created if missing; required)"},
    {NULL, NULL, 0, NULL},
};
static const struct cmd_option changes_options[] = {
    {"after", "CURSOR", ARG_AFTER, "the changes after this cursor; default from the start"},
    {"follow", NULL, ARG_FOLLOW, "stay and print new changes as they are committed"},
    {"approvals", NULL, ARG_APPROVALS, "also approvals in cycles not yet published (central)"},
    {NULL, NULL, 0, NULL},
};
static const struct cmd_option import_options[] = {
    {"dry-run", NULL, ARG_DRY_RUN,
     "check every record with every rule of the server; store "
     "nothing"},
    {NULL, NULL, 0, NULL},
};

#define LIST_NOTE                                                                                  \
    "A table on a terminal; --format csv (a header row, then one row per item) or\n"               \
    "--format json (an array of objects with the same keys) for scripts."

/* clang-format off */
const struct cmd cmd_table[] = {
    {"health", "", 0, "ask whether the server is serving (exit 0 only when SERVING)",
     "Calls grpc.health.v1.Health/Check. Prints SERVING, NOT_SERVING, UNKNOWN or\n"
     "SERVICE_UNKNOWN (with --format csv or json: a record of service and status).\n"
     "Exits 0 when SERVING and 6 for any other answer. Needs a registered client\n"
     "certificate, like every call but the public listener's published reads.",
     health_options, cmd_health},
    {"whoami", "", 0, "show the office, role and certificate the server sees",
     "Calls vigil.v1.Offices/WhoAmI and prints the office the client certificate is\n"
     "registered to (id, name, region, active), the effective role, and the\n"
     "certificate's SHA-256 fingerprint and subject. UNAUTHENTICATED means the\n"
     "certificate is registered to no active office.",
     NULL, cmd_whoami},
    {"regions", "", 0, "list the regions (UN M49 tree)",
     "Columns: code, name, parent (\"\" for the root), parents before children.\n"
     LIST_NOTE, NULL, cmd_regions},
    {"states", "", 0, "list the states and territories that can be assessed",
     "Columns: code (ISO 3166-1 alpha-2), name (ISO English short name), region\n"
     "(the smallest region holding it), by name.\n" LIST_NOTE,
     states_options, cmd_states},
    {"cycles", "", 0, "list the assessment cycles",
     "Columns: code, methodology, predecessor, status (open, closed, published),\n"
     "embargo_until, created_at; oldest first. Closed cycles are shown to the\n"
     "central office only.\n" LIST_NOTE, NULL, cmd_cycles},
    {"methodology", "[load FILE]", 2, "show a methodology, or load a new one (central office)",
     "vigil methodology --cycle C (or --methodology CODE) shows what is assessed: a\n"
     "table of the methodology (code, name, minimum coverage), its areas, its\n"
     "indicators and its bands. --format csv prints the indicators only, columns:\n"
     "indicator, area, weight, scale, levels (\"yes=2; partial=1; no=0; no data;\n"
     "not assessed\": labels with their values), applies_when (\"CA.1 is yes or\n"
     "partial\"; empty = always), question, call_to_action, source (the table\n"
     "leaves out the last two). --format json prints the whole methodology as the\n"
     "JSON form of the vigil.v1.Methodology message (catalog.proto: keys are the\n"
     "field names).\n\n"
     "vigil methodology load FILE loads a new methodology from FILE, a JSON file\n"
     "in exactly that form (write one by editing the output of --format json; it\n"
     "needs a new code). The server validates it as a whole and stores nothing\n"
     "on error. Loading the same file again is answered with the first result.",
     methodology_options, cmd_methodology},
    {"cycle", "create|close|open CODE", 2, "create a cycle, or close or reopen one (central)",
     "vigil cycle create CODE --methodology M [--predecessor P] creates a cycle\n"
     "(code: 1-32 of A-Z a-z 0-9 . _ -) with its methodology and the cycle it is\n"
     "compared with; a cycle's predecessor cannot be changed later. Creating the\n"
     "same cycle again is answered with the first result.\n"
     "vigil cycle close CODE / vigil cycle open CODE move it between open (accepts\n"
     "submissions) and closed. Prints the cycle with the columns of vigil cycles.",
     cycle_options, cmd_cycle},
    {"office", "ACTION [NAME] [CERT.pem]", 3, "manage offices (central office)",
     "vigil office list                       every office: id, name, role, region,\n"
     "                                        states (space-separated), active,\n"
     "                                        certificates (SHA-256 fingerprints)\n"
     "vigil office add NAME --role ROLE [--region CODE] [--state XX]...\n"
     "vigil office add-cert NAME CERT.pem     registers a certificate: sends it\n"
     "                                        alone (PEM, re-encoded with OpenSSL: a\n"
     "                                        key in the same file is never sent)\n"
     "vigil office add-cert NAME --sha256 HEX [--subject CN]\n"
     "vigil office scope NAME [--region CODE] [--state XX]...   replaces the scope\n"
     "vigil office disable NAME / vigil office enable NAME\n"
     "Each prints the office (or the certificate) it changed. Adding the same\n"
     "office or certificate again is answered with the first result.",
     office_options, cmd_office},
    {"template", "", 0, "write the CSV to fill in for a cycle",
     "Writes the CSV that vigil submit reads, with one row per state of the\n"
     "office's scope (or of --region / --state) and indicator of the cycle's\n"
     "methodology, states by name, indicators in the methodology's order:\n"
     "  state,cycle,indicator,level,justification,evidence,allowed_levels\n"
     "Fill in level (one of allowed_levels), justification and evidence; leave\n"
     "the level of an indicator that does not apply empty (allowed_levels says\n"
     "when one applies). allowed_levels is for the reader: vigil submit ignores it.\n"
     "See vigil submit --help for the cell syntax. Always CSV (UTF-8, no byte\n"
     "order mark); --out never overwrites a file.",
     template_options, cmd_template},
    {"submit", "FILE...", -1, "submit assessment files (CSV or JSON)",
     "Sends each state and cycle of the files as one revision (vigil.v1.Assessments/\n"
     "Submit). A file whose first non-blank character is { is JSON, else CSV.\n\n"
     "CSV (UTF-8; a byte order mark is skipped): a header row naming the columns\n"
     "  state,cycle,indicator,level,justification,evidence\n"
     "in any order (justification and evidence may be left out; other columns,\n"
     "like allowed_levels, are ignored), then one row per state, cycle and\n"
     "indicator; cells with commas, quotes or line breaks are quoted (\"...\",\n"
     "a quote doubled). level is the level's label in the indicator's scale (yes,\n"
     "partial, no, no data, not assessed, woefully inadequate, ...; any case; the\n"
     "level code, e.g. no_data, works too). An indicator that does not apply (CA.2\n"
     "unless CA.1 is yes or partial) has no row or an empty level; one that applies\n"
     "must have a level. evidence holds one item per line inside the cell:\n"
     "  citation | url | date        url (http or https) and date (YYYY-MM-DD)\n"
     "  citation | | 2011-05-01      optional: \"citation\", \"citation | url\",\n"
     "  citation | 2011-05-01        \"citation | date\" also work\n"
     "A citation cannot hold \"|\" in CSV (use JSON). Example:\n"
     "  state,cycle,indicator,level,justification,evidence\n"
     "  TH,2009-2012,PR.1,yes,\"Penal Code s.312, amended 2008\",\"Penal Code | https://example.org/pc | 2008-05-01\"\n"
     "  TH,2009-2012,CA.1,no data,,\n\n"
     "JSON: {\"assessments\": [{\"state\": \"TH\", \"cycle\": \"2009-2012\", \"draft\": false,\n"
     "  \"entries\": [{\"indicator\": \"PR.1\", \"level\": \"yes\", \"justification\": \"...\",\n"
     "  \"evidence\": [{\"citation\": \"...\", \"url\": \"https://...\", \"date\": \"2008-05-01\"}]}]}]}\n"
     "(draft, justification, evidence, url, date optional; level by label or code).\n\n"
     "Everything is checked against the cycles' methodologies first; mistakes are\n"
     "reported as FILE:LINE: FIELD: reason (JSON: FILE: PATH: reason) and their\n"
     "state is not sent; the other states are. Before each request is sent, its\n"
     "request id and base revision (the latest revision, 0 for none) are written\n"
     "to FILE.pending, and removed once the server has answered: a run cut short\n"
     "and started again resends the very same request, which the server answers\n"
     "with its first result, so nothing is stored twice. If the file's content\n"
     "for that state changed in between, a new request (new id, fresh base) is\n"
     "made instead. A state whose latest revision already holds the same content\n"
     "(and is a draft, submitted or approved) is skipped as unchanged. A server\n"
     "refusal is reported at the line its field points to; ABORTED means another\n"
     "revision was stored meanwhile: look at it (vigil show), then run again to\n"
     "submit on top of it. On a terminal a progress line shows; at the end a\n"
     "summary (\"40 submitted, 2 refused\").\n"
     "Prints one row per state: file, state, cycle, result (submitted, unchanged,\n"
     "invalid, refused, not sent), revision, status, detail.\n"
     "Exit: 0 all sent or unchanged; 2 a file could not be read or has errors;\n"
     "4 the server refused a state; 3 or 5 the link failed (run it again).",
     submit_options, cmd_submit},
    {"show", "STATE", 1, "show an assessment: status, revision, entries",
     "Prints the assessment of STATE in the cycle (status, latest and approved\n"
     "revision, last review comment) and one revision (the latest, or --revision)\n"
     "with its entries: level label, justification, evidence.\n"
     "--format csv prints the entries in the very format vigil submit reads:\n"
     "  state,cycle,indicator,level,justification,evidence\n"
     "so that a file submitted comes back unchanged. --format json prints the\n"
     "GetResponse message (assessments.proto) as JSON, levels as codes.",
     show_options, cmd_show},
    {"revisions", "STATE", 1, "list the revisions of an assessment",
     "Columns: revision, draft, office, created_at, base_revision; oldest first.\n"
     LIST_NOTE, cycle_only_options, cmd_revisions},
    {"queue", "", 0, "list a cycle's assessments (the review queue)",
     "Columns: state, state_name, cycle, status, latest_revision,\n"
     "approved_revision, updated_at, review_comment; by state name. Every status\n"
     "unless --status (vigil queue --cycle C --status submitted: what waits for\n"
     "review). A regional office sees the states of its scope.\n" LIST_NOTE,
     queue_options, cmd_queue},
    {"approve", "STATE...", -1, "approve the latest revision (central office)",
     "Approves (locks) the latest revision of each STATE, or --revision N. A\n"
     "review already done (say by a run whose answer was lost) is reported as\n"
     "\"already\", not refused; a resend after a cut link carries the same request\n"
     "id. Columns: state, cycle, action, revision, result (done, already), status,\n"
     "approved_revision.", review_options, cmd_review},
    {"return", "STATE...", -1, "return a submitted revision to its office (central)",
     "Like approve, with --comment TEXT (required): the office corrects and\n"
     "submits again.", review_options, cmd_review},
    {"unlock", "STATE...", -1, "reopen an approved assessment for correction (central)",
     "Like approve, with --comment TEXT (required). The latest approved revision\n"
     "keeps counting until a newer one is approved.", review_options, cmd_review},
    {"audit", "", 0, "read the audit log (central office)",
     "Columns: id, at, office, certificate_sha256, peer, request_id, action, object,\n"
     "detail (JSON); oldest first. Pages through the log up to --limit entries.\n"
     LIST_NOTE, audit_options, cmd_audit},
    {"ranking", "", 0, "show a cycle's ranking: ranks, bands, scores, movement",
     "Reads vigil.v1.Rankings/GetRanking: the published ranking (the current\n"
     "version, or --version N; past its embargo time unless you are the central\n"
     "office), or with --live the ranking computed now (central office only).\n"
     "The rules are the README's (\"Rankings\").\n\n"
     "A table: a title line (cycle, methodology, version, publication time, the\n"
     "digest's first 12 digits; \"(live)\" for the live view), then per ranked\n"
     "state: rank (\"=5\" when tied), state, name, band, overall, one column per\n"
     "area (its code: the area's score), movement against the predecessor cycle's\n"
     "ranking (\"\u25b23\" climbed 3, \"\u25bc1\" fell 1, \"=\" same rank, \"new\" not ranked\n"
     "then, \"n/c\" not comparable: another methodology; a change of band is added\n"
     "as \"(band \u25b21)\"; empty when the cycle has no predecessor ranking) and, with\n"
     "--region, the rank within the region. Then the states not ranked, with\n"
     "every reason (\"not approved; no rated indicator in Care; coverage 62.50%\n"
     "below 75%\").\n\n"
     "--format csv: one row per state, ranked states in rank order, then those not\n"
     "ranked; columns:\n"
     "  rank          1, 2, 2, 4 ... (empty when not ranked)\n"
     "  tied          true when the rank is shared\n"
     "  state         ISO 3166-1 alpha-2 code\n"
     "  state_name    English short name\n"
     "  region        its smallest region (UN M49 code)\n"
     "  band          band name\n"
     "  overall       overall score, 2 decimals (\"66.67\")\n"
     "  overall_num   its exact value: numerator ...\n"
     "  overall_den   ... and denominator\n"
     "  <AREA>...     one column per area of the methodology, named by its code:\n"
     "                the area score, 2 decimals\n"
     "  coverage      rated / applicable indicators, a percentage, 2 decimals\n"
     "  movement      empty (none to show), delta, new or not_comparable\n"
     "  rank_delta    delta: rank then - rank now (positive = climbed)\n"
     "  band_delta    delta: band position then - now (positive = climbed)\n"
     "  region_rank   with --region: the rank among the region's ranked states\n"
     "  region_tied   with --region: true when that rank is shared\n"
     "  reasons       not ranked: the reasons, separated by \"; \" (as in the table)\n"
     "--format json: the Ranking message (rankings.proto) as JSON.",
     ranking_options, cmd_ranking},
    {"aggregates", "", 0, "show a cycle's counts and shares per indicator, with their N",
     "Reads vigil.v1.Rankings/GetAggregates over the states assessed in the cycle\n"
     "with an approved revision (published, or --live), or those of --region.\n"
     "Per indicator: how many states at each valued level with the share of N (N =\n"
     "the states with a valued level), how many with no data, not assessed, or\n"
     "not applicable, and how many were counted.\n\n"
     "--conditional 'TARGET=LEVELS|GIVEN=LEVELS' adds the share of the states at\n"
     "LEVELS of TARGET among those at LEVELS of GIVEN that have a valued level of\n"
     "TARGET, with its own N. LEVELS are separated by commas, by code or label:\n"
     "  --conditional 'CA.2=woefully inadequate|CA.1=yes,partial'\n"
     "When the methodology has them (ecpat-2012), that conditional is always\n"
     "added, and the table ends with the sentence the two facts read as:\n"
     "  \"13.00% of states with data have no services (CA.1 = no; N = 38); of those\n"
     "  that do, 76.47% are woefully inadequate (CA.2; N = 34)\"\n\n"
     "--format csv: one row per figure; columns indicator, levels, given,\n"
     "given_levels, count, n, share, counted. An indicator has a row per valued\n"
     "level (levels = the level's code; share = count / n as a percentage, 2\n"
     "decimals), then rows no_data, not_assessed and not_applicable (n and share\n"
     "empty); a conditional has one row (levels and given_levels: codes joined by\n"
     "\",\"; counted empty). --format json: the GetAggregatesResponse message.",
     aggregates_options, cmd_aggregates},
    {"card", "STATE", 1, "show a state's country card in a cycle",
     "Reads vigil.v1.Rankings/GetCard: the state's overall and area scores and\n"
     "ranks, band, movement, coverage (or why it is not ranked); then each\n"
     "indicator in the methodology's order of areas, then of indicators: level,\n"
     "score, justification and evidence; then the calls to action of its rated\n"
     "indicators below their scale's top level.\n"
     "--format csv: the indicators; columns indicator, area, level (code), label,\n"
     "score, justification, evidence (as vigil show writes it). --format json:\n"
     "the GetCardResponse message.",
     card_options, cmd_card},
    {"history", "STATE", 1, "show a state's rank, band and score in every published cycle",
     "Reads vigil.v1.Rankings/GetHistory: one row per published cycle visible to\n"
     "you, oldest first: cycle, version, rank, band, overall, movement, and the\n"
     "reasons when not ranked. --format csv columns: cycle, version, rank, tied,\n"
     "band, overall, overall_num, overall_den, movement, rank_delta, band_delta,\n"
     "reasons (as in vigil ranking). --format json: the GetHistoryResponse message.",
     NULL, cmd_history},
    {"publish", "", 0, "publish a closed cycle's ranking (central office)",
     "Calls vigil.v1.Rankings/Publish: stores the ranking of the cycle with its\n"
     "inputs and their SHA-256 digest, and prints cycle, version, digest,\n"
     "published_at and embargo_until. Publishing again after corrections stores\n"
     "a new version that supersedes the old (both stay readable).\n"
     "--embargo TIME: only the central office sees it before TIME; it is released\n"
     "without anyone acting when TIME passes. TIME is RFC 3339\n"
     "(2026-04-01T09:00:00Z, 2026-04-01T11:00:00+02:00) or \"YYYY-MM-DD HH:MM\" in\n"
     "local time (TZ); it is sent in UTC.\n"
     "The request id is derived from the cycle, the embargo and the version\n"
     "published so far: a resend after a cut link is the same request, answered\n"
     "with the first result. If the run ends without an answer (exit 3 or 5),\n"
     "check with vigil ranking before publishing again: a new run that sees the\n"
     "new version makes another.",
     publish_options, cmd_publish},
    {"verify", "", 0, "check a published ranking against its inputs and a recomputation",
     "Fetches the published inputs (GetPublishedInputs: the canonical JSON bytes\n"
     "and their digest), the published ranking and aggregates of the same\n"
     "version, and, when the inputs name one, the predecessor's ranking they\n"
     "name. Checks that the SHA-256 of the bytes is the digest (and the ranking's\n"
     "digest), that they are in canonical form, and that the predecessor's\n"
     "digest is the one named; then recomputes the ranking and the aggregates\n"
     "from the inputs with the scoring module linked into this client, and\n"
     "compares them field by field: order, ranks and ties, names and regions,\n"
     "overall and area scores (text and exact value), area ranks, bands,\n"
     "coverage, movement, the reasons of states not ranked, every count, N and\n"
     "share. Publication metadata (published_at, embargo) is not compared.\n"
     "Movement is recomputed from the ranks and bands of the predecessor's\n"
     "ranking (check that one in turn: vigil verify --cycle P --version N).\n"
     "Prints every difference (\"TH: overall published 66.67, recomputed 66.66\")\n"
     "and a last line, \"verified: ...\" or \"NOT VERIFIED: ...\".\n"
     "Exit: 0 verified; 7 the inputs do not match their digest (altered); 8 the\n"
     "published results differ from the recomputation (or the inputs cannot be\n"
     "read); 2, 3, 4, 5 as for every command.",
     verify_options, cmd_verify},
    {"export", "", 0, "write a published cycle to a directory (CSV or JSON lines)",
     "Reads vigil.v1.Exchange/Export: one published version of the cycle (past its\n"
     "embargo unless you are the central office), as one consistent snapshot, and\n"
     "writes it to DIR record by record as it arrives (constant memory, any size).\n"
     "The files are written in DIR/.export-partial-* and moved into DIR only once\n"
     "the export is complete (the server's END record came, with the counts it\n"
     "announced); snapshot.json is moved in last, so a DIR with snapshot.json holds\n"
     "a complete snapshot, and an export cut short changes nothing in DIR.\n\n"
     "Files (--format here names the files' format, not the output's):\n"
     "  snapshot.json      cycle, version, published_at, digest, cursor (the feed\n"
     "                     position of the snapshot), assessments and evidence\n"
     "                     (counts), format, files\n"
     "  --format csv (UTF-8 with a byte order mark, RFC 4180, a header row):\n"
     "  methodology.json   the Methodology message as JSON (catalog.proto)\n"
     "  assessments.csv    a row per state and indicator of the revision the\n"
     "                     publication counts: state, state_name, revision,\n"
     "                     indicator, level (code), justification, evidence_count\n"
     "                     (a state it counts no revision of: one row, state only)\n"
     "  evidence.csv       a row per evidence item: state, indicator, n, citation,\n"
     "                     url, date\n"
     "  ranking.csv        the columns of vigil ranking --format csv\n"
     "  aggregates.csv     the columns of vigil aggregates --format csv\n"
     "  --format jsonl (one JSON object per line, keys as in the protos):\n"
     "  assessments.jsonl  {\"state\", \"state_name\", \"revision\"} per state\n"
     "  methodology.jsonl, ranking.jsonl, aggregates.jsonl: one line each\n"
     "Files of the other format left in DIR by an earlier export are removed.\n\n"
     "On a terminal a progress bar shows; at the end one summary line on stderr,\n"
     "and on stdout the snapshot's cursor:\n"
     "  cursor: c000000000000002a\n"
     "from which vigil changes --after CURSOR continues with exactly what changed\n"
     "since. --timeout bounds each wait for the server, not the whole export.",
     export_options, cmd_export},
    {"changes", "", 0, "list the changes to published data (the partners' feed)",
     "Reads vigil.v1.Exchange/Changes: every change to published data in commit\n"
     "order (publications, embargo releases, the revisions they count; with\n"
     "--approvals, for the central office, approvals in cycles not yet published),\n"
     "after --after CURSOR (a cursor printed here or by vigil export), or from the\n"
     "start. One line per change:\n"
     "  CURSOR  KIND  CYCLE  VERSION  STATE\n"
     "kind: published, embargo_released, revision_published, approved; state is \"-\"\n"
     "for a publication. Store the last cursor you processed and pass it back to\n"
     "get exactly what came after it. --format csv: a header row, then columns\n"
     "cursor, kind, committed_at, cycle, version, state, state_name, revision;\n"
     "--format json: each Change message as one JSON line.\n"
     "--follow stays after the backlog and prints new changes as they are\n"
     "committed (until interrupted); \"caught up at CURSOR\" goes to stderr once the\n"
     "backlog has been printed. Without --follow, --timeout bounds each wait.",
     changes_options, cmd_changes},
    {"import", "FILE...", -1, "import assessment files in one stream (offices, partners)",
     "Reads the files of vigil submit (CSV or JSON, see vigil submit --help),\n"
     "checks them against the cycles' methodologies the same way (mistakes are\n"
     "reported as FILE:LINE: FIELD: reason and their state is not sent), and sends\n"
     "each state and cycle as one record of a single vigil.v1.Exchange/Import\n"
     "stream, labelled FILE:LINE (the line where the state's first row starts;\n"
     "FILE:assessments[N] for JSON). The server applies every rule of Submit to\n"
     "each record and answers each with its own result: a refused record does not\n"
     "stop the others. A refusal is printed on stderr as it comes:\n"
     "  asia.csv:2: TH 2009-2012: INVALID_ARGUMENT: entries[3].justification: ...\n"
     "      (at asia.csv:5: justification)\n"
     "with, when the server names an entry, the line of that entry's row.\n\n"
     "Request ids: each record's id and base revision (the latest revision when\n"
     "this office may read it, else 0) go to FILE.pending before anything is sent,\n"
     "as vigil submit does, and stay there once stored: importing the same file\n"
     "again (or after a cut link) resends the very same requests, which the server\n"
     "answers with their first result, storing nothing new. A record whose\n"
     "content changed gets a new id. A stream cut by a bad link is opened again\n"
     "and the records without a result are resent.\n"
     "--dry-run: every record is checked by the server with every rule and nothing\n"
     "is stored (FILE.pending is left as it is).\n\n"
     "Prints one row per record: ref, state, cycle, result (stored, or valid with\n"
     "--dry-run; refused, invalid, not sent), revision, status, detail; on a\n"
     "terminal a progress bar; and a summary on stderr: \"40 stored, 2 refused\".\n"
     "Exit: 0 every record stored (valid); 4 the server refused a record; 2 a file\n"
     "could not be read or has errors; 3 or 5 the link failed (run it again).",
     import_options, cmd_import},
    {NULL, NULL, 0, NULL, NULL, NULL, NULL},
};
/* clang-format on */

static const struct {
    int code;
    const char *meaning;
} exit_codes[] = {
    {CLI_EXIT_OK, "success"},
    {CLI_EXIT_FAILURE, "other failure (out of memory, cannot write output)"},
    {CLI_EXIT_USAGE, "usage error: command line, environment or config file"},
    {CLI_EXIT_CONNECT, "cannot connect: network, TLS (certificates) or protocol failure"},
    {CLI_EXIT_RPC, "the server answered with an error status (printed as CODE: message)"},
    {CLI_EXIT_DEADLINE, "deadline exceeded (--timeout), on our side or the server's"},
    {CLI_EXIT_NOT_SERVING, "health: the server answered but is not SERVING"},
    {CLI_EXIT_DIGEST, "verify: the published inputs do not match their digest"},
    {CLI_EXIT_DIFFERS, "verify: the published results differ from a recomputation"},
};

int cmd_emit(struct output *out, bool record)
{
    char err[256] = "out of memory";
    bool ok = out != NULL && (record ? output_print_record(out, stdout, err, sizeof(err))
                                     : output_print_list(out, stdout, err, sizeof(err)));

    output_free(out);
    if (ok)
        return CLI_EXIT_OK;
    fprintf(stderr, "error: %s\n", err);
    return CLI_EXIT_FAILURE;
}

int cmd_emit_row(enum output_format f, const struct output_column *cols, size_t ncols,
                 const char *const row[])
{
    struct output *out = output_new(f, cols, ncols);

    if (out != NULL && !output_add(out, row)) {
        output_free(out);
        out = NULL;
    }
    return cmd_emit(out, true);
}

int cmd_emit_json(json_t *j)
{
    int rc = j != NULL ? json_dumpf(j, stdout, JSON_INDENT(2)) : -1;

    json_decref(j);
    if (rc == 0 && fputc('\n', stdout) != EOF && fflush(stdout) == 0)
        return CLI_EXIT_OK;
    fprintf(stderr, "error: %s\n", j == NULL ? "out of memory" : "cannot write output");
    return CLI_EXIT_FAILURE;
}

const struct cmd *cmd_find(const char *name)
{
    for (const struct cmd *c = cmd_table; c->name != NULL; c++) {
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

static bool usage_error(const struct cmd *cmd, int *exit_code, const char *msg, const char *arg)
{
    fprintf(stderr, "vigil %s: %s%s\nTry 'vigil %s --help'.\n", cmd->name, msg, arg, cmd->name);
    *exit_code = CLI_EXIT_USAGE;
    return false;
}

/* A command's own option named like a global one (export's --format, the
 * files' format) replaces it for that command. */
static bool shadowed(const struct cmd *cmd, const char *name)
{
    for (const struct cmd_option *co = cmd->options; co != NULL && co->name != NULL; co++) {
        if (strcmp(co->name, name) == 0)
            return true;
    }
    return false;
}

static size_t build_options(const struct cmd *cmd, struct option *lo)
{
    size_t all = opts_long_options(lo);
    size_t n = 0, own = 0;

    for (size_t i = 0; i < all; i++) {
        if (!shadowed(cmd, lo[i].name))
            lo[n++] = lo[i];
    }
    for (const struct cmd_option *co = cmd->options; co != NULL && co->name != NULL; co++) {
        if (++own > MAX_OWN_OPTIONS)
            break; /* a programming error, visible in --help as missing options */
        lo[n++] = (struct option){co->name, co->arg != NULL ? required_argument : no_argument, NULL,
                                  CMD_OPTION_BASE + co->id};
    }
    lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
    lo[n] = (struct option){NULL, 0, NULL, 0};
    return n;
}

bool cmd_parse(const struct cmd *cmd, struct opts *o, int argc, char *argv[],
               cmd_option_fn on_option, void *ctx, int *first_arg, int *exit_code)
{
    struct option lo[OPTS_NKEYS + MAX_OWN_OPTIONS + 2];
    char err[512];
    int c;

    build_options(cmd, lo);
    optind = 0; /* GNU: re-initialise; options and arguments may be mixed */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        if (c == 'h') {
            cmd_print_command_help(cmd, stdout);
            *exit_code = CLI_EXIT_OK;
            return false;
        }
        if (c == ':')
            return usage_error(cmd, exit_code, "option needs a value: ", argv[optind - 1]);
        if (c == '?')
            return usage_error(cmd, exit_code, "unknown option ", argv[optind - 1]);
        if (c >= CMD_OPTION_BASE) {
            if (on_option == NULL || !on_option(ctx, c - CMD_OPTION_BASE, optarg)) {
                *exit_code = CLI_EXIT_USAGE;
                return false;
            }
        } else if (!opts_apply_flag(o, c, optarg, err, sizeof(err))) {
            return usage_error(cmd, exit_code, err, "");
        }
    }
    if (cmd->max_args >= 0 && argc - optind > cmd->max_args)
        return usage_error(cmd, exit_code, "unexpected argument ", argv[optind + cmd->max_args]);
    *first_arg = optind;
    return true;
}

void cmd_print_help(FILE *f)
{
    fprintf(f, "Usage: vigil [OPTIONS] COMMAND [COMMAND OPTIONS] [ARGS]\n\n"
               "The client of Vigil: calls a vigild server over gRPC with mutual TLS.\n\n"
               "Commands (vigil COMMAND --help for details):\n");
    for (const struct cmd *c = cmd_table; c->name != NULL; c++)
        fprintf(f, "  %-22s %s\n", c->name, c->summary);
    fprintf(f, "\nOptions (before or after the command; flags win over the environment,\n"
               "which wins over the config file):\n");
    opts_print_help(f);
    fprintf(f, "\nExit codes:\n");
    for (size_t i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++)
        fprintf(f, "  %d  %s\n", exit_codes[i].code, exit_codes[i].meaning);
}

void cmd_print_command_help(const struct cmd *cmd, FILE *f)
{
    char left[64];

    fprintf(f, "Usage: vigil %s [OPTIONS]%s%s\n\nvigil %s: %s.\n", cmd->name,
            cmd->args[0] ? " " : "", cmd->args, cmd->name, cmd->summary);
    if (cmd->details != NULL)
        fprintf(f, "\n%s\n", cmd->details);
    if (cmd->options != NULL && cmd->options[0].name != NULL) {
        fprintf(f, "\nOptions:\n");
        for (const struct cmd_option *co = cmd->options; co->name != NULL; co++) {
            snprintf(left, sizeof(left), "--%s%s%s", co->name, co->arg ? " " : "",
                     co->arg ? co->arg : "");
            fprintf(f, "  %-22s %s\n", left, co->help);
        }
    }
    fprintf(f, "\nGlobal options (see vigil --help):\n");
    opts_print_help(f);
}

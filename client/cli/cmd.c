/* cmd: the command table, the parsing and help shared by all commands, and
 * the list of exit codes (see cmd.h). */
#include "cmd.h"
#include "args.h"

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

static size_t build_options(const struct cmd *cmd, struct option *lo)
{
    size_t n = opts_long_options(lo);
    size_t own = 0;

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

/* sheetset: reading, checking and locking the files of submit and import
 * (see sheetset.h). */
#include "sheetset.h"

#include "vigil/v1/catalog.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* The same state and cycle in two files would be two revisions racing:
 * the later file's copy is refused. */
static void cross_check(struct sheetset *ss)
{
    for (size_t i = 1; i < ss->nfiles; i++) {
        struct sheet *s = &ss->files[i].sheet;
        for (size_t g = 0; ss->files[i].usable && g < s->ngroups; g++) {
            for (size_t j = 0; j < i; j++) {
                const struct sheet *t = &ss->files[j].sheet;
                for (size_t h = 0; ss->files[j].usable && h < t->ngroups; h++) {
                    if (strcmp(s->groups[g].state, t->groups[h].state) == 0 &&
                        strcmp(s->groups[g].cycle, t->groups[h].cycle) == 0)
                        sheet_issue(s, (int)g, s->groups[g].line, s->groups[g].path, NULL,
                                    "%s %s is also in %s: give each state once", s->groups[g].state,
                                    s->groups[g].cycle, t->file);
                }
            }
        }
    }
}

bool sheetset_read(struct sheetset *ss, char *const paths[], size_t n)
{
    char err[600];

    *ss = (struct sheetset){0};
    if ((ss->files = calloc(n + 1, sizeof(*ss->files))) == NULL)
        return false;
    ss->nfiles = n;
    for (size_t i = 0; i < n; i++) {
        struct sheetset_file *f = &ss->files[i];
        f->lock_fd = -1;
        sheet_init(&f->sheet, paths[i]);
        f->usable = sheet_read(&f->sheet, err, sizeof(err));
        if (!f->usable) {
            fprintf(stderr, "%s: %s\n", paths[i], err);
            ss->file_error = true;
        }
    }
    cross_check(ss);
    return true;
}

size_t sheetset_ngroups(const struct sheetset *ss)
{
    size_t n = 0;

    for (size_t i = 0; i < ss->nfiles; i++)
        n += ss->files[i].usable ? ss->files[i].sheet.ngroups : 0;
    return n;
}

static struct sheetset_method *method_for(const struct sheetset *ss, const char *cycle)
{
    for (size_t i = 0; i < ss->nmethods; i++) {
        if (strcmp(ss->methods[i].cycle, cycle) == 0)
            return &ss->methods[i];
    }
    return NULL;
}

/* Asks the methodology of m's cycle; false when the link failed. */
static bool fetch_method(struct remote *r, struct sheetset_method *m)
{
    Vigil__V1__GetMethodologyRequest req = VIGIL__V1__GET_METHODOLOGY_REQUEST__INIT;

    req.cycle = (char *)m->cycle;
    if (remote_call(r, "/vigil.v1.Catalog/GetMethodology", &req.base,
                    &vigil__v1__get_methodology_response__descriptor, &m->resp) == VIGIL_OK) {
        if (((Vigil__V1__GetMethodologyResponse *)m->resp)->methodology != NULL)
            return true;
        snprintf(m->error, sizeof(m->error), "the server sent no methodology");
        protobuf_c_message_free_unpacked(m->resp, NULL);
        m->resp = NULL;
        return true;
    }
    if (remote_outcome_unknown(r) || r->st != VIGIL_E_RPC)
        return false;
    snprintf(m->error, sizeof(m->error), "%s: %.500s", vigil_code_name(r->rpc_code), r->msg);
    return true;
}

bool sheetset_fetch_methods(struct sheetset *ss, struct remote *r)
{
    size_t n = sheetset_ngroups(ss);

    if ((ss->methods = calloc(n + 1, sizeof(*ss->methods))) == NULL) {
        ss->nomem = true;
        return false;
    }
    for (size_t i = 0; i < ss->nfiles; i++) {
        const struct sheet *s = &ss->files[i].sheet;
        for (size_t g = 0; ss->files[i].usable && g < s->ngroups; g++) {
            if (method_for(ss, s->groups[g].cycle) != NULL)
                continue;
            struct sheetset_method *m = &ss->methods[ss->nmethods];
            m->cycle = s->groups[g].cycle;
            if (!fetch_method(r, m))
                return false; /* this cycle stays unchecked, as the ones after it */
            ss->nmethods++;
        }
    }
    return true;
}

enum sheetset_built sheetset_build(struct sheetset *ss, size_t f, size_t g, struct submission *sub,
                                   bool draft)
{
    struct sheet *s = &ss->files[f].sheet;
    const struct sheet_group *gr = &s->groups[g];
    const struct sheetset_method *m = method_for(ss, gr->cycle);

    memset(sub, 0, sizeof(*sub));
    if (m == NULL)
        return SHEETSET_UNCHECKED;
    if (m->resp == NULL) {
        sheet_issue(s, (int)g, gr->line, gr->path, "cycle", "%s %s: %s", gr->state, gr->cycle,
                    m->error);
        return SHEETSET_INVALID;
    }
    const Vigil__V1__Methodology *meth =
        ((Vigil__V1__GetMethodologyResponse *)m->resp)->methodology;
    return submission_build(sub, s, g, meth, draft) ? SHEETSET_BUILT : SHEETSET_INVALID;
}

bool sheetset_open_pending(struct sheetset *ss, size_t i)
{
    struct sheetset_file *f = &ss->files[i];
    char err[600];

    if (!f->usable || f->lock_fd >= 0)
        return f->usable;
    f->lock_fd = open(f->sheet.file, O_RDONLY | O_CLOEXEC);
    if (f->lock_fd < 0 || flock(f->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, sizeof(err), "%s",
                 errno == EWOULDBLOCK ? "another vigil submit or import is sending this file"
                                      : strerror(errno));
    } else if (pending_load(&f->pending, f->sheet.file, err, sizeof(err))) {
        return true;
    }
    fprintf(stderr, "%s: %s\n", f->sheet.file, err);
    ss->file_error = true;
    f->usable = false;
    return false;
}

void sheetset_print_issues(const struct sheetset *ss)
{
    for (size_t i = 0; i < ss->nfiles; i++)
        sheet_print_issues(&ss->files[i].sheet, stderr);
}

void sheetset_clear(struct sheetset *ss)
{
    for (size_t i = 0; i < ss->nmethods; i++) {
        if (ss->methods[i].resp != NULL)
            protobuf_c_message_free_unpacked(ss->methods[i].resp, NULL);
    }
    for (size_t i = 0; i < ss->nfiles; i++) {
        sheet_clear(&ss->files[i].sheet);
        pending_clear(&ss->files[i].pending);
        if (ss->files[i].lock_fd >= 0)
            close(ss->files[i].lock_fd);
    }
    free(ss->methods);
    free(ss->files);
    *ss = (struct sheetset){0};
}

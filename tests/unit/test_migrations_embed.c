/* migrations: the table the build embeds (cmake/embed_migrations.cmake) is
 * complete, ordered, and byte for byte the files of migrations/. */
#include "migrate.h"
#include "migrations.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    cr_assert_geq(n, 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

Test(migrations, versions_are_1_to_n_in_order)
{
    cr_assert_gt(migrations_count, 0);
    cr_assert_eq(migrate_count(), migrations_count);
    for (int i = 0; i < migrations_count; i++) {
        char prefix[16];
        snprintf(prefix, sizeof(prefix), "%04d_", i + 1);
        cr_assert_eq(migrations[i].version, i + 1);
        cr_assert_eq(strncmp(migrations[i].name, prefix, 5), 0, "%s", migrations[i].name);
        size_t n = strlen(migrations[i].name);
        cr_assert(n > 9 && strcmp(migrations[i].name + n - 4, ".sql") == 0, "%s",
                  migrations[i].name);
    }
}

/* Quotes, backslashes and non-ASCII survive the embedding unchanged. */
Test(migrations, embedded_text_equals_the_files)
{
    for (int i = 0; i < migrations_count; i++) {
        char path[1024];
        size_t len;
        snprintf(path, sizeof(path), "%s/migrations/%s", VIGIL_SOURCE_DIR, migrations[i].name);
        char *text = read_file(path, &len);
        cr_assert_eq(strlen(migrations[i].sql), len, "%s", migrations[i].name);
        cr_assert_eq(memcmp(migrations[i].sql, text, len), 0, "%s", migrations[i].name);
        free(text);
    }
}

Test(migrations, every_file_is_embedded)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/migrations", VIGIL_SOURCE_DIR);
    DIR *d = opendir(path);
    cr_assert_not_null(d);
    int files = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".sql") == 0)
            files++;
    }
    closedir(d);
    cr_assert_eq(files, migrations_count);
}

/* migrate.c creates vigil_migration before migration 1, which grants it to
 * the service role: the first migration must not create it itself. */
Test(migrations, first_migration_relies_on_the_record_table)
{
    cr_assert_null(strstr(migrations[0].sql, "CREATE TABLE vigil_migration"));
    cr_assert_not_null(strstr(migrations[0].sql, "vigil_migration"));
}

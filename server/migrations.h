/* migrations: the SQL files of migrations/, compiled in by the build
 * (cmake/embed_migrations.cmake writes the table). Read by migrate.c only. */
#ifndef VIGIL_MIGRATIONS_H
#define VIGIL_MIGRATIONS_H

struct migration {
    int version;      /* 1, 2, 3, ... from the file name's NNNN */
    const char *name; /* file name, e.g. "0001_offices.sql" */
    const char *sql;  /* whole file, run as one multi-statement query */
};

extern const struct migration migrations[];
extern const int migrations_count;

#endif

/* h_run: runs a command (the vigil CLI, vigild's office commands, python, a
 * shell script) as a child process and captures what it prints. */
#ifndef H_RUN_H
#define H_RUN_H

#include <sys/types.h>

/* Runs argv (argv[0] searched in PATH when it has no '/'; the array ends with
 * NULL) with stdin from /dev/null. envp_extra (NULL-terminated, may be NULL)
 * adds or replaces "KEY=VALUE" entries of the environment; a bare "KEY"
 * removes KEY. When out / err are not NULL they receive the child's stdout /
 * stderr, malloc'd and NUL-terminated (the caller frees); when NULL the stream
 * is inherited (shows in the test's output). The child is killed when the
 * test process dies, and after 120 s.
 * Returns the exit status, 128 + N when killed by signal N, or -1 when it
 * could not be run or timed out (a message is then in *err, if captured).
 * Never asserts: safe in cleanup handlers. */
int h_run(const char *const argv[], const char *const envp_extra[], char **out, char **err);

/* The same with a timeout in milliseconds (0 = none). */
int h_run_timeout(const char *const argv[], const char *const envp_extra[], char **out, char **err,
                  int timeout_ms);

/* Builds an environment: the process's, with envp_extra applied as h_run
 * does. malloc'd array of malloc'd strings; free with h_envp_free. NULL on
 * out-of-memory. Used by h_run and h_daemon before fork (the child only execs). */
char **h_envp_build(const char *const envp_extra[]);
void h_envp_free(char **envp);

/* In a freshly forked child, before exec: default signal dispositions and mask,
 * and SIGKILL when the parent (the test) dies. Async-signal-safe. */
void h_child_setup(void);

#endif

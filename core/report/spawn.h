/* Child processes for `apnas ablate`: one command with its output
 * appended to a log file.  Internal to libapnas. */
#ifndef APNAS_REPORT_SPAWN_H
#define APNAS_REPORT_SPAWN_H

#include <sys/types.h>

#include <apnas/error.h>

/* Starts exe with argv (argv[0] included, NULL-terminated): stdin from
 * /dev/null, stdout and stderr appended to log_path after a header line
 * naming the command.  The child gets its own process group (a Ctrl-C
 * reaches only the parent, which passes it on once) and SIGTERM when the
 * parent dies (so it checkpoints instead of running on unwatched).
 * Returns the pid, or -1 with err filled. */
pid_t apnas_spawn_logged(const char *exe, char *const *argv,
                         const char *log_path, apnas_error *err);

/* The last non-empty line of a file (at most cap - 1 bytes of it), for
 * quoting a failed child's final message; "" when there is none. */
void apnas_log_last_line(const char *path, char *buf, size_t cap);

#endif

/* fork/exec with the output logged.  Everything the child runs between
 * fork and exec is async-signal-safe: the parent may hold OpenBLAS
 * threads, and a lock taken by one of them would never be released in
 * the child. */
#include "report/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t k = write(fd, s, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		s += k;
		n -= (size_t)k;
	}
}

static void header(int fd, char *const *argv)
{
	char stamp[64] = "";
	time_t t = time(NULL);
	struct tm tm;
	if (localtime_r(&t, &tm))
		strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
	char line[4096];
	int n = snprintf(line, sizeof line, "== %s:", stamp);
	for (size_t i = 0; argv[i] && n >= 0 && (size_t)n < sizeof line; i++)
		n += snprintf(line + n, sizeof line - (size_t)n, " %s",
		              argv[i]);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line - 1)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	write_all(fd, line, (size_t)n);
}

pid_t apnas_spawn_logged(const char *exe, char *const *argv,
                         const char *log_path, apnas_error *err)
{
	int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	               0666);
	if (log < 0) {
		apnas_error_set(err, APNAS_EIO, "cannot open log %s: %s",
		                log_path, strerror(errno));
		return -1;
	}
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0) {
		close(log);
		apnas_error_set(err, APNAS_EIO, "cannot open /dev/null: %s",
		                strerror(errno));
		return -1;
	}
	header(log, argv);
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		apnas_error_set(err, APNAS_EIO, "fork: %s", strerror(errno));
		close(log);
		close(devnull);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		/* The parent may have died before prctl took effect. */
		if (getppid() != parent)
			_exit(1);
		struct sigaction dfl;
		memset(&dfl, 0, sizeof dfl);
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGINT, &dfl, NULL);
		sigaction(SIGTERM, &dfl, NULL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(devnull, 0);
		dup2(log, 1);
		dup2(log, 2);
		execv(exe, argv);
		static const char msg[] = "apnas: ablate: cannot execute the "
		                          "apnas binary\n";
		write_all(2, msg, sizeof msg - 1);
		_exit(127);
	}
	close(log);
	close(devnull);
	return pid;
}

void apnas_log_last_line(const char *path, char *buf, size_t cap)
{
	buf[0] = '\0';
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	/* The tail is enough: a child's last message is one line. */
	if (fseek(f, 0, SEEK_END) == 0) {
		long size = ftell(f);
		if (size > 8192)
			fseek(f, size - 8192, SEEK_SET);
		else
			rewind(f);
	}
	char line[8192];
	while (fgets(line, sizeof line, f)) {
		size_t n = strlen(line);
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n)
			snprintf(buf, cap, "%s", line);
	}
	fclose(f);
}

/* apnas_error helpers: one line per failure, context prepended upward. */
#include <apnas/error.h>

#include <stdio.h>
#include <string.h>

int apnas_error_set(apnas_error *err, int code, const char *fmt, ...)
{
	if (!err)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	err->code = code;
	return code;
}

int apnas_error_prefix(apnas_error *err, const char *fmt, ...)
{
	if (!err)
		return APNAS_EINVAL;
	char head[sizeof err->msg];
	char tail[sizeof err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(head, sizeof head, fmt, ap);
	va_end(ap);
	memcpy(tail, err->msg, sizeof tail);
	/* Joined at full length, then cut to the message's size: a long
	 * message loses its end, never its start (which names the file). */
	char both[sizeof head + sizeof tail + 2];
	snprintf(both, sizeof both, "%s: %s", head, tail);
	memcpy(err->msg, both, sizeof err->msg - 1);
	err->msg[sizeof err->msg - 1] = '\0';
	return err->code;
}

void apnas_error_clear(apnas_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->line = 0;
	err->msg[0] = '\0';
}

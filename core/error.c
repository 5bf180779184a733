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
	snprintf(err->msg, sizeof err->msg, "%s: %s", head, tail);
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

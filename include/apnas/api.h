/* APNAS_API marks every function and object libapnas exports.  The
 * library is built with hidden visibility, so what carries this marker is
 * exactly its public API (tests/sdk checks `nm -D` against the headers). */
#ifndef APNAS_API_H
#define APNAS_API_H

#if defined(__GNUC__) || defined(__clang__)
#define APNAS_API __attribute__((visibility("default")))
#else
#define APNAS_API
#endif

#endif

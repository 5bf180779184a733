/* apnas version and plugin ABI version.
 *
 * The ABI major changes when a public struct changes incompatibly; the minor
 * grows when a member is appended to an ops table or descriptor.  A plugin
 * built against (major M, minor m) loads into a core with the same M and a
 * minor >= m. */
#ifndef APNAS_VERSION_H
#define APNAS_VERSION_H

#define APNAS_VERSION "0.3.0"
#define APNAS_ABI_MAJOR 2u
#define APNAS_ABI_MINOR 2u

#endif

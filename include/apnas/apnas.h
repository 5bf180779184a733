/* The whole apnas SDK in one include. */
#ifndef APNAS_H
#define APNAS_H

#include "batch.h"
#include "codec.h"
#include "data.h"
#include "error.h"
#include "harness.h"
#include "net.h"
#include "nn.h"
#include "options.h"
#include "plugin.h"
#include "rng.h"
#include "version.h"

#endif

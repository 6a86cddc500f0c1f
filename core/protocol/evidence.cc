#include "core/protocol/evidence.h"

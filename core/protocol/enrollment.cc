#include "core/protocol/enrollment.h"

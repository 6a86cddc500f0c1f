#include "core/http/http.h"

#include "core/http/cpprest_http.h"

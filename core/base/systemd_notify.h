// sd_notify(3) without libsystemd, for the daemons (vouch-agent serve/push,
// vouch-verifier): systemd units with Type=notify learn when they are ready.
#ifndef VOUCH_CORE_BASE_SYSTEMD_NOTIFY_H_
#define VOUCH_CORE_BASE_SYSTEMD_NOTIFY_H_

#include <string_view>

namespace vouch {

// Sends `state` ("READY=1", "STOPPING=1") as one datagram to
// $NOTIFY_SOCKET when it is set (abstract "@..." sockets too); does nothing
// otherwise or on any error (notification is best effort).
void NotifySystemd(std::string_view state);

}  // namespace vouch

#endif  // VOUCH_CORE_BASE_SYSTEMD_NOTIFY_H_

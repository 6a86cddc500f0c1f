#include "agent/commands.h"

#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>

#include "agent/ak.h"
#include "agent/enroll.h"
#include "agent/evidence_collector.h"
#include "agent/host_facts.h"
#include "agent/push.h"
#include "agent/service.h"
#include "agent/state_dir.h"
#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/base/systemd_notify.h"
#include "core/crypto/digest.h"
#include "core/crypto/random.h"
#include "core/http/cpprest_http.h"
#include "core/protocol/evidence.h"
#include "core/tpm_device/esys_tpm_device.h"

namespace vouch::agent {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case Code::kOk: return kExitOk;
    case Code::kInvalidArgument: return kExitBadConfig;
    case Code::kPermissionDenied:
    case Code::kUnauthenticated: return kExitRefused;
    case Code::kNotFound:
    case Code::kFailedPrecondition:
    case Code::kUnavailable:
    case Code::kDataLoss: return kExitFailure;
    case Code::kInternal: return kExitInternal;
  }
  return kExitInternal;
}

namespace {

int Fail(Logger& logger, const Status& status) {
  logger.Error(status.ToString());
  return ExitCodeFor(status);
}

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) {
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<std::unique_ptr<tpm_device::TpmDevice>> OpenTpm(const AgentConfig& config) {
  Result<std::unique_ptr<tpm_device::TpmDevice>> device =
      tpm_device::OpenEsysTpmDevice(config.tcti);
  if (!device.has_value()) return device.error().WithContext("open TPM at " + config.tcti);
  return device;
}

AkOptions AkOptionsFrom(const AgentConfig& config) {
  AkOptions options;
  options.kind = config.ak_kind;
  options.ek_kind = config.ek_kind;
  options.storage = config.ak_storage;
  options.persistent_handle = config.ak_persistent_handle;
  return options;
}

std::string EkCertificateFingerprint(tpm_device::TpmDevice& device, tpm_device::EkKind kind) {
  uint32_t index = kind == tpm_device::EkKind::kEcc ? tpm_device::kEccEkCertNvIndex
                                                    : tpm_device::kRsaEkCertNvIndex;
  Result<Bytes> cert = device.ReadNv(index);
  if (!cert.has_value()) return "";
  Result<Bytes> digest = crypto::Digest(HashAlg::kSha256, *cert);
  return digest.has_value() ? HexEncode(*digest) : "";
}

std::vector<std::string> BankNames(tpm_device::TpmDevice& device) {
  std::vector<std::string> names;
  Result<std::vector<HashAlg>> banks = device.ActiveBanks();
  if (banks.has_value()) {
    for (HashAlg bank : *banks) names.emplace_back(HashAlgName(bank));
  }
  return names;
}

Result<AgentInfo> MakeInfo(tpm_device::TpmDevice& device, const StateDir& state,
                           const AkRecord& record, HostFactsSource& facts) {
  AgentInfo info;
  info.agent_version = AgentVersion();
  info.hostname = facts.Facts().hostname;
  info.ak_name_hex = HexEncode(record.name);
  info.ak_type = AkKindName(record.kind);
  info.ek_certificate_sha256 = EkCertificateFingerprint(device, record.ek_kind);
  VOUCH_ASSIGN_OR_RETURN(std::optional<EnrollmentState> enrollment, LoadEnrollment(state));
  if (enrollment.has_value()) info.host_id = enrollment->host_id;
  info.pcr_banks = BankNames(device);
  return info;
}

// An HTTP client for the verifier, with the configured CA and client
// certificate.
Result<std::unique_ptr<http::HttpClient>> VerifierClient(const AgentConfig& config) {
  http::ClientOptions options;
  options.tls.ca_file = config.verifier_ca;
  options.tls.certificate_file = config.client_certificate;
  options.tls.private_key_file = config.client_private_key;
  return http::MakeCpprestClient(options);
}

// The state directory, the TPM and the AK loaded from it (info, enroll).
struct TpmWithAk {
  std::optional<StateDir> state;
  std::unique_ptr<tpm_device::TpmDevice> device;
  std::optional<LoadedAk> ak;
};

Result<TpmWithAk> OpenTpmWithAk(const AgentConfig& config) {
  TpmWithAk r;
  VOUCH_ASSIGN_OR_RETURN(StateDir state, StateDir::Open(config.state_dir, /*create=*/false));
  r.state = std::move(state);
  VOUCH_ASSIGN_OR_RETURN(r.device, OpenTpm(config));
  VOUCH_ASSIGN_OR_RETURN(LoadedAk ak, LoadAkFromState(*r.device, *r.state));
  r.ak.emplace(std::move(ak));
  return r;
}

// What quote, serve and push share: the state directory, the TPM, the log
// sources, host facts and the evidence service over them (the AK loaded).
struct Runtime {
  std::optional<StateDir> state;
  std::unique_ptr<tpm_device::TpmDevice> device;
  std::unique_ptr<FileEventLogSource> logs;
  std::unique_ptr<SystemHostFacts> facts;
  std::unique_ptr<TpmEvidenceService> service;
};

Result<Runtime> OpenRuntime(const AgentConfig& config, Logger& logger) {
  Runtime r;
  VOUCH_ASSIGN_OR_RETURN(StateDir state, StateDir::Open(config.state_dir, /*create=*/false));
  r.state = std::move(state);
  VOUCH_ASSIGN_OR_RETURN(r.device, OpenTpm(config));
  r.logs = std::make_unique<FileEventLogSource>(config.srtm_log_path, config.drtm_log_path,
                                                config.vm_log_path);
  r.facts = std::make_unique<SystemHostFacts>(config);
  VOUCH_ASSIGN_OR_RETURN(
      r.service, TpmEvidenceService::Create(*r.device, *r.state, *r.logs, *r.facts, logger));
  return r;
}

// Blocks SIGTERM, SIGINT and SIGHUP in this thread (and so in every thread
// started after it) and starts a thread that turns them into stop.Stop().
// Must run before any other thread exists. `stop` and `logger` must live
// until the process exits (the thread is detached).
void StopOnSignals(StopSignal& stop, Logger& logger) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set, &stop, &logger] {
    int sig = 0;
    while (sigwait(&set, &sig) == 0) {
      logger.Info(std::string("received ") +
                  (sig == SIGTERM  ? "SIGTERM"
                   : sig == SIGINT ? "SIGINT"
                                   : "SIGHUP") +
                  "; shutting down");
      stop.Stop();
    }
  }).detach();
}

}  // namespace

int RunInit(const AgentConfig& config, const InitFlags& flags, Logger& logger) {
  AkOptions options = AkOptionsFrom(config);
  options.force = flags.force;
  if (flags.ak_type.has_value()) {
    options.kind =
        *flags.ak_type == "ecc" ? tpm_device::AkKind::kEccP256 : tpm_device::AkKind::kRsa2048;
  }
  if (flags.ak_storage.has_value()) {
    options.storage =
        *flags.ak_storage == "persistent" ? AkStorage::kPersistentHandle : AkStorage::kStateFile;
  }
  Result<StateDir> state = StateDir::Open(config.state_dir, /*create=*/true);
  if (!state.has_value()) return Fail(logger, state.error());
  Result<std::unique_ptr<tpm_device::TpmDevice>> device = OpenTpm(config);
  if (!device.has_value()) return Fail(logger, device.error());
  SystemClock clock;
  Result<InitResult> result = InitAk(**device, *state, options, clock);
  if (!result.has_value()) return Fail(logger, result.error().WithContext("init"));
  logger.Info(std::string(result->created ? "created" : "reusing") + " AK " +
              HexEncode(result->record.name) + " in " + config.state_dir);
  Json out;
  out["created"] = result->created;
  out["ak"] = {
      {"name", HexEncode(result->record.name)},
      {"type", AkKindName(result->record.kind)},
      {"storage", result->record.storage == AkStorage::kPersistentHandle ? "persistent" : "file"}};
  if (result->record.storage == AkStorage::kPersistentHandle) {
    std::array<char, 16> handle{};
    std::snprintf(handle.data(), handle.size(), "0x%08x", result->record.persistent_handle);
    out["ak"]["handle"] = handle.data();
  }
  out["state_dir"] = config.state_dir;
  std::fputs(Dump(out).c_str(), stdout);
  return kExitOk;
}

int RunQuote(const AgentConfig& config, const QuoteFlags& flags, Logger& logger) {
  Result<Bytes> nonce = HexDecode(flags.nonce_hex);
  if (!nonce.has_value()) return Fail(logger, nonce.error().WithContext("--nonce"));
  Result<Runtime> runtime = OpenRuntime(config, logger);
  if (!runtime.has_value()) return Fail(logger, runtime.error());
  Result<protocol::Evidence> evidence = runtime->service->Collect(*nonce, flags.pcrs);
  if (!evidence.has_value()) return Fail(logger, evidence.error().WithContext("quote"));
  Result<std::string> json = protocol::EncodeEvidence(*evidence);
  if (!json.has_value()) return Fail(logger, json.error());
  if (flags.out.empty() || flags.out == "-") {
    std::fwrite(json->data(), 1, json->size(), stdout);
    std::fputc('\n', stdout);
    return kExitOk;
  }
  std::ofstream out(flags.out, std::ios::binary | std::ios::trunc);
  out << *json << '\n';
  out.close();
  if (!out) return Fail(logger, Status(Code::kUnavailable, "cannot write " + flags.out));
  logger.Info("evidence written to " + flags.out + " (" + std::to_string(json->size()) + " bytes)");
  return kExitOk;
}

int RunInfo(const AgentConfig& config, Logger& logger) {
  Result<TpmWithAk> tpm = OpenTpmWithAk(config);
  if (!tpm.has_value()) return Fail(logger, tpm.error());
  SystemHostFacts facts(config);
  Result<AgentInfo> info = MakeInfo(*tpm->device, *tpm->state, tpm->ak->record, facts);
  if (!info.has_value()) return Fail(logger, info.error());
  Json out;
  out["agent_version"] = info->agent_version;
  out["hostname"] = info->hostname;
  out["tcti"] = config.tcti;
  out["state_dir"] = config.state_dir;
  out["ak"] = {{"name", info->ak_name_hex}, {"type", info->ak_type}};
  out["ek_certificate_sha256"] = info->ek_certificate_sha256;
  out["host_id"] = info->host_id;
  out["pcr_banks"] = info->pcr_banks;
  std::fputs(Dump(out).c_str(), stdout);
  return kExitOk;
}

int RunEnroll(const AgentConfig& config, const std::optional<std::string>& verifier_url,
              Logger& logger) {
  std::string url = verifier_url.value_or(config.verifier_url);
  if (url.empty()) {
    return Fail(logger, Status(Code::kInvalidArgument,
                               "no verifier: set verifier_url in the configuration or pass "
                               "--verifier URL"));
  }
  Result<TpmWithAk> tpm = OpenTpmWithAk(config);
  if (!tpm.has_value()) return Fail(logger, tpm.error());
  Result<std::unique_ptr<http::HttpClient>> client = VerifierClient(config);
  if (!client.has_value()) return Fail(logger, client.error());
  SystemHostFacts facts(config);
  SystemClock clock;
  logger.Info("enrolling AK " + HexEncode(tpm->ak->record.name) + " with " + url);
  Result<EnrollmentState> enrolled =
      EnrollWithVerifier(*tpm->device, *tpm->ak, facts.Facts(), **client, url, clock);
  if (!enrolled.has_value()) return Fail(logger, enrolled.error().WithContext("enroll"));
  if (Status saved = SaveEnrollment(*tpm->state, *enrolled); !saved.ok())
    return Fail(logger, saved);
  logger.Info("enrolled as host " + enrolled->host_id);
  Json out;
  out["host_id"] = enrolled->host_id;
  out["verifier_url"] = enrolled->verifier_url;
  out["ak_name"] = HexEncode(enrolled->ak_name);
  std::fputs(Dump(out).c_str(), stdout);
  return kExitOk;
}

int RunServe(const AgentConfig& config_in, const ServeFlags& flags, Logger& logger) {
  AgentConfig config = config_in;
  if (flags.listen_address.has_value()) config.listen_address = *flags.listen_address;
  if (flags.port.has_value()) config.listen_port = *flags.port;
  if (Status valid = ValidateServeConfig(config); !valid.ok()) return Fail(logger, valid);
  // Static: the detached signal thread may outlive this function.
  static StopSignal stop;
  StopOnSignals(stop, logger);
  // TPM work is serialized anyway: a few HTTP threads are plenty.
  http::SetCpprestThreadCount(4);

  Result<Runtime> runtime = OpenRuntime(config, logger);
  if (!runtime.has_value()) return Fail(logger, runtime.error());
  Result<AgentInfo> info =
      MakeInfo(*runtime->device, *runtime->state, runtime->service->ak_record(), *runtime->facts);
  if (!info.has_value()) return Fail(logger, info.error());
  SystemClock clock;
  AgentApi api(*runtime->service, *info, clock, config.rate_limit_per_second,
               config.rate_limit_burst, logger);

  http::ServerOptions options;
  options.address = config.listen_address;
  options.port = config.listen_port;
  options.max_body_bytes = config.max_request_bytes;
  if (!config.tls_certificate.empty()) {
    http::TlsServerOptions tls;
    tls.certificate_chain_file = config.tls_certificate;
    tls.private_key_file = config.tls_private_key;
    tls.client_ca_file = config.tls_client_ca;
    options.tls = tls;
  }
  Result<std::unique_ptr<http::HttpServer>> server = http::StartCpprestServer(
      options, [&api](const http::Request& request) { return api.Handle(request); }, logger);
  if (!server.has_value()) return Fail(logger, server.error().WithContext("listen"));
  std::string scheme = options.tls.has_value() ? "https" : "http";
  // Tests and scripts read this line to learn the port (with port 0).
  logger.Info("listening on " + scheme + "://" + config.listen_address + ":" +
              std::to_string((*server)->BoundPort()) +
              (config.tls_client_ca.empty() ? "" : " (client certificates required)"));
  NotifySystemd("READY=1");
  while (stop.SleepFor(std::chrono::hours(1))) {
  }
  NotifySystemd("STOPPING=1");
  (*server)->Stop();
  logger.Info("stopped");
  return kExitOk;
}

int RunPush(const AgentConfig& config, const PushFlags& flags, Logger& logger) {
  // Static: the detached signal thread may outlive this function.
  static StopSignal stop;
  if (!flags.once) StopOnSignals(stop, logger);
  http::SetCpprestThreadCount(2);
  Result<StateDir> state = StateDir::Open(config.state_dir, /*create=*/false);
  if (!state.has_value()) return Fail(logger, state.error());
  Result<std::optional<EnrollmentState>> enrollment = LoadEnrollment(*state);
  if (!enrollment.has_value()) return Fail(logger, enrollment.error());
  if (!enrollment->has_value()) {
    return Fail(logger, Status(Code::kFailedPrecondition,
                               "this host is not enrolled: run vouch-agent enroll first"));
  }
  std::string url = flags.verifier_url.value_or(
      config.verifier_url.empty() ? (*enrollment)->verifier_url : config.verifier_url);
  Result<Runtime> runtime = OpenRuntime(config, logger);
  if (!runtime.has_value()) return Fail(logger, runtime.error());
  Result<std::unique_ptr<http::HttpClient>> client = VerifierClient(config);
  if (!client.has_value()) return Fail(logger, client.error());
  crypto::OpenSslRandom random;
  PushOptions options;
  options.verifier_url = url;
  options.host_id = (*enrollment)->host_id;
  options.interval = config.push_interval;
  options.pcr_poll_interval = config.pcr_poll_interval;
  options.max_backoff = config.max_backoff;
  PushClient push(**client, *runtime->service, options, random, logger);
  if (flags.once) {
    Result<std::string> report = push.PushOnce();
    if (!report.has_value()) return Fail(logger, report.error().WithContext("push"));
    std::fputs(report->c_str(), stdout);
    std::fputc('\n', stdout);
    return kExitOk;
  }
  logger.Info("pushing evidence to " + url + " as host " + options.host_id + " every " +
              std::to_string(config.push_interval.count()) + " s");
  NotifySystemd("READY=1");
  uint64_t sent = push.Run(stop);
  logger.Info("stopped after " + std::to_string(sent) + " submissions");
  return kExitOk;
}

}  // namespace vouch::agent

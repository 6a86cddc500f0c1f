#include "agent/service.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "core/base/bytes.h"
#include "core/protocol/enrollment.h"

namespace vouch::agent {

std::string AkKindName(tpm_device::AkKind kind) {
  return kind == tpm_device::AkKind::kEccP256 ? "ecc-p256" : "rsa2048";
}

// ---- TpmEvidenceService ----------------------------------------------------

TpmEvidenceService::TpmEvidenceService(tpm_device::TpmDevice& device, StateDir state,
                                       EventLogSource& logs, HostFactsSource& facts, Logger& logger)
    : device_(device), state_(std::move(state)), logs_(logs), facts_(facts), logger_(logger) {}

Result<std::unique_ptr<TpmEvidenceService>> TpmEvidenceService::Create(
    tpm_device::TpmDevice& device, StateDir state, EventLogSource& logs, HostFactsSource& facts,
    Logger& logger) {
  std::unique_ptr<TpmEvidenceService> service(
      new TpmEvidenceService(device, std::move(state), logs, facts, logger));
  std::lock_guard<std::mutex> lock(service->mu_);
  VOUCH_RETURN_IF_ERROR(service->ReloadLocked());
  return service;
}

Status TpmEvidenceService::ReloadLocked() {
  // The collector refers to the loaded AK: drop it first, then the keys
  // (flushing them; after a TPM reset the flush fails harmlessly).
  collector_.reset();
  loaded_.reset();
  VOUCH_ASSIGN_OR_RETURN(LoadedAk loaded, LoadAkFromState(device_, state_));
  record_ = loaded.record;
  loaded_ = std::make_unique<LoadedAk>(std::move(loaded));
  collector_ = std::make_unique<EvidenceCollector>(device_, loaded_->ak, logs_, facts_);
  return Status::Ok();
}

Result<protocol::Evidence> TpmEvidenceService::Collect(ByteView nonce,
                                                       const std::vector<uint32_t>& pcrs) {
  std::lock_guard<std::mutex> lock(mu_);
  if (collector_ == nullptr) VOUCH_RETURN_IF_ERROR(ReloadLocked());
  Result<protocol::Evidence> evidence = collector_->Collect(nonce, pcrs);
  // Bad requests and oversized logs are not the TPM's fault; anything else
  // may be a TPM reset that flushed our keys: reload once and retry.
  if (evidence.has_value() || evidence.error().code() == Code::kInvalidArgument) return evidence;
  logger_.Warning("evidence collection failed (" + evidence.error().ToString() +
                  "); reloading the AK and retrying once");
  if (Status reload = ReloadLocked(); !reload.ok()) {
    return reload.WithContext("reload AK after a failed quote");
  }
  return collector_->Collect(nonce, pcrs);
}

Result<tpm::PcrValues> TpmEvidenceService::ReadAllPcrs() {
  std::lock_guard<std::mutex> lock(mu_);
  VOUCH_ASSIGN_OR_RETURN(std::vector<HashAlg> banks, device_.ActiveBanks());
  std::vector<tpm::PcrSelection> selection;
  for (HashAlg bank : banks) {
    tpm::PcrSelection s;
    s.bank = bank;
    s.pcrs = AllPcrs();
    selection.push_back(std::move(s));
  }
  return device_.ReadPcrs(selection);
}

// ---- RateLimiter -------------------------------------------------------------

RateLimiter::RateLimiter(const Clock& clock, double rate_per_second, uint32_t burst)
    : clock_(clock),
      rate_(rate_per_second),
      burst_(std::max<double>(1, burst)),
      tokens_(burst_),
      last_(clock.Now()) {}

bool RateLimiter::TryAcquire() {
  if (rate_ <= 0) return true;
  std::lock_guard<std::mutex> lock(mu_);
  auto now = clock_.Now();
  double elapsed = std::chrono::duration<double>(now - last_).count();
  if (elapsed > 0) {
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

// ---- AgentApi ----------------------------------------------------------------

namespace {

std::string InfoJson(const AgentInfo& info) {
  nlohmann::ordered_json j;
  j["agent_version"] = info.agent_version;
  j["hostname"] = info.hostname;
  j["ak"] = {{"name", info.ak_name_hex}, {"type", info.ak_type}};
  j["ek_certificate_sha256"] = info.ek_certificate_sha256.empty()
                                   ? nlohmann::ordered_json(nullptr)
                                   : nlohmann::ordered_json(info.ek_certificate_sha256);
  j["host_id"] =
      info.host_id.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(info.host_id);
  j["pcr_banks"] = info.pcr_banks;
  j["api_version"] = "v1";
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

AgentApi::AgentApi(EvidenceService& evidence, const AgentInfo& info, const Clock& clock,
                   double rate_limit_per_second, uint32_t rate_limit_burst, Logger& logger)
    : evidence_(evidence),
      info_json_(InfoJson(info)),
      limiter_(clock, rate_limit_per_second, rate_limit_burst),
      logger_(logger) {}

http::Response AgentApi::Handle(const http::Request& request) {
  if (request.path == "/v1/evidence") {
    if (request.method != "POST") return http::MethodNotAllowed("POST");
    return HandleEvidence(request);
  }
  if (request.path == "/v1/healthz") {
    if (request.method != "GET" && request.method != "HEAD") return http::MethodNotAllowed("GET");
    return http::JsonResponse(R"({"status":"ok"})");
  }
  if (request.path == "/v1/info") {
    if (request.method != "GET" && request.method != "HEAD") return http::MethodNotAllowed("GET");
    return http::JsonResponse(info_json_);
  }
  return http::ErrorResponse(404, "not_found", "no such endpoint: " + request.path);
}

http::Response AgentApi::HandleEvidence(const http::Request& request) {
  std::string_view type = request.Header("content-type");
  if (!type.empty() && type.substr(0, type.find(';')) != "application/json") {
    return http::ErrorResponse(415, "unsupported_media_type",
                               "content-type must be application/json");
  }
  // Decoding is cheap and answers malformed requests at once; the limit
  // guards the TPM (a quote takes milliseconds and the TPM serves one
  // command at a time), so only well-formed requests spend a token.
  Result<protocol::EvidenceRequest> parsed = protocol::DecodeEvidenceRequest(request.body);
  if (!parsed.has_value()) return http::ErrorResponse(parsed.error());
  if (!limiter_.TryAcquire()) {
    http::Response response =
        http::ErrorResponse(429, "rate_limited", "too many evidence requests; retry later");
    response.headers["retry-after"] = "1";
    return response;
  }
  Result<protocol::Evidence> evidence = evidence_.Collect(parsed->nonce, parsed->pcrs);
  if (!evidence.has_value()) {
    // The error names the TPM command and code, never key material.
    logger_.Warning("evidence request from " + request.remote_address +
                    " failed: " + evidence.error().ToString());
    return http::ErrorResponse(evidence.error());
  }
  Result<std::string> body = protocol::EncodeEvidence(*evidence);
  if (!body.has_value()) return http::ErrorResponse(body.error());
  logger_.Debug("evidence served to " + request.remote_address + " (" +
                std::to_string(body->size()) + " bytes)");
  return http::JsonResponse(std::move(*body));
}

}  // namespace vouch::agent

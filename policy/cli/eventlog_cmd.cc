// vouch-policy eventlog show|replay: inspect a TCG event log on the
// operator's desk (a copy of /sys/kernel/security/tpm0/binary_bios_measurements,
// a TXT/tboot D-RTM log, or a log taken from evidence).
//
//   show FILE [--json] [--fields]   every event with digests and decoded data
//   replay FILE [--json]            the PCR values the log produces
//
// Nothing here is verified: the output describes what the log claims. JSON
// documents follow schemas/eventlog-show.schema.json and
// schemas/eventlog-replay.schema.json.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"
#include "core/eventlog/describe.h"
#include "core/eventlog/event_log.h"
#include "core/eventlog/replay.h"
#include "policy/cli/commands.h"

namespace vouch::cli {
namespace {

using Json = nlohmann::ordered_json;

// Same cap as ParseOptions::max_log_size; checked before reading the file.
constexpr uint64_t kMaxLogFileBytes = 64ull * 1024 * 1024;

// One line of text without control characters (file names and messages can
// contain anything).
std::string OneLine(std::string_view s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

// Reads the whole file, refusing anything above kMaxLogFileBytes: a regular
// file by its size before reading, anything else (securityfs reports size 0,
// pipes) by stopping one byte past the cap.
Result<Bytes> ReadLogFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    std::string msg = std::string("cannot open: ") + std::strerror(err);
    return err == ENOENT ? NotFoundError(msg) : PermissionDeniedError(msg);
  }
  if (S_ISDIR(st.st_mode)) return InvalidArgumentError("is a directory");
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > kMaxLogFileBytes) {
    return InvalidArgumentError("file of " + std::to_string(st.st_size) +
                                " bytes exceeds the 64 MiB limit for event logs");
  }
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    return PermissionDeniedError(std::string("cannot open: ") + std::strerror(errno));
  }
  Bytes data;
  uint8_t buf[64 * 1024];
  while (true) {
    size_t n = std::fread(buf, 1, sizeof(buf), f.get());
    data.insert(data.end(), buf, buf + n);
    if (data.size() > kMaxLogFileBytes) {
      return InvalidArgumentError("input exceeds the 64 MiB limit for event logs");
    }
    if (n < sizeof(buf)) break;
  }
  if (std::ferror(f.get())) {
    return PermissionDeniedError(std::string("cannot read: ") + std::strerror(errno));
  }
  return data;
}

Result<eventlog::UnverifiedEventLog> LoadLog(const std::string& path) {
  VOUCH_ASSIGN_OR_RETURN(Bytes data, ReadLogFile(path));
  // The log keeps the file's bytes and views them (no second copy).
  return eventlog::ParseEventLog(std::make_shared<const Bytes>(std::move(data)));
}

// Prints "vouch-policy: eventlog <cmd>: FILE: message" on stderr and returns
// kExitBadInput.
int Fail(std::string_view command, const std::string& path, const Status& status) {
  std::cerr << "vouch-policy: eventlog " << command << ": " << OneLine(path) << ": "
            << OneLine(status.message()) << "\n";
  return kExitBadInput;
}

std::string BankList(const eventlog::UnverifiedEventLog& log) {
  std::string s;
  for (HashAlg alg : log.banks()) {
    if (!s.empty()) s += ", ";
    s += HashAlgName(alg);
  }
  return s.empty() ? "none" : s;
}

std::string PcrText(uint32_t pcr) {
  return pcr == eventlog::kPcrNotExtended ? std::string("-1") : std::to_string(pcr);
}

// ---------------------------------------------------------------------------
// show

Json FieldJson(const eventlog::FieldValue& v) {
  return std::visit([](const auto& x) { return Json(x); }, v);
}

std::string FieldText(const eventlog::FieldValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* n = std::get_if<uint64_t>(&v)) return std::to_string(*n);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  std::string out;
  for (const std::string& item : std::get<std::vector<std::string>>(v)) out += "\n    " + item;
  return out;
}

Json ShowJson(const std::string& path, const eventlog::UnverifiedEventLog& log) {
  Json doc;
  doc["file"] = path;
  doc["format"] = std::string(eventlog::LogFormatName(log.format()));
  doc["event_count"] = log.size();
  Json banks = Json::array();
  for (HashAlg alg : log.banks()) banks.push_back(std::string(HashAlgName(alg)));
  doc["banks"] = banks;
  if (log.startup_locality()) doc["startup_locality"] = *log.startup_locality();
  doc["trailing_padding"] = log.trailing_padding();
  doc["warnings"] = log.warnings();
  Json events = Json::array();
  for (const eventlog::Event& e : log.EventsUnverifiedForDebug()) {
    Json j;
    j["index"] = e.index;
    j["offset"] = e.offset;
    j["pcr"] = e.pcr == eventlog::kPcrNotExtended ? Json(-1) : Json(e.pcr);
    j["type"] = e.type;
    j["type_name"] = eventlog::EventTypeName(e.type);
    j["size"] = e.data.size();
    Json digests = Json::object();
    for (const eventlog::EventDigest& d : e.digests) {
      digests[std::string(HashAlgName(d.alg))] = HexEncode(d.digest);
    }
    j["digests"] = digests;
    eventlog::EventDescription desc = eventlog::DescribeEvent(e);
    Json dj;
    dj["kind"] = desc.kind;
    dj["summary"] = desc.summary;
    if (!desc.malformed.empty()) dj["malformed"] = desc.malformed;
    Json fields = Json::object();
    for (const eventlog::DescriptionField& f : desc.fields) fields[f.key] = FieldJson(f.value);
    dj["fields"] = fields;
    j["description"] = dj;
    events.push_back(std::move(j));
  }
  doc["events"] = std::move(events);
  return doc;
}

void PrintShowText(const std::string& path, const eventlog::UnverifiedEventLog& log,
                   bool with_fields) {
  std::string out;
  out += OneLine(path) + ": " + std::string(eventlog::LogFormatName(log.format())) + ", " +
         std::to_string(log.size()) + " events, banks " + BankList(log);
  if (log.startup_locality()) {
    out += ", startup locality " + std::to_string(*log.startup_locality());
  }
  out += "\n\n";
  size_t bank_width = 0;
  for (HashAlg alg : log.banks()) bank_width = std::max(bank_width, HashAlgName(alg).size());
  char line[160];
  for (const eventlog::Event& e : log.EventsUnverifiedForDebug()) {
    std::string type = eventlog::EventTypeName(e.type);
    std::snprintf(line, sizeof(line), "%5zu  PCR %-3s %-32s %zu bytes\n", e.index,
                  PcrText(e.pcr).c_str(), type.c_str(), e.data.size());
    out += line;
    for (const eventlog::EventDigest& d : e.digests) {
      std::string name(HashAlgName(d.alg));
      out += "       " + name + std::string(bank_width - name.size() + 2, ' ') +
             HexEncode(d.digest) + "\n";
    }
    eventlog::EventDescription desc = eventlog::DescribeEvent(e);
    out += "       " + desc.summary + "\n";
    if (with_fields) {
      for (const eventlog::DescriptionField& f : desc.fields) {
        out += "         " + f.key + ": " + FieldText(f.value) + "\n";
      }
    }
    if (out.size() > (1 << 16)) {
      std::cout << out;
      out.clear();
    }
  }
  if (log.trailing_padding() > 0) {
    out +=
        "\n" + std::to_string(log.trailing_padding()) + " bytes of padding after the last event\n";
  }
  for (const std::string& w : log.warnings()) out += "warning: " + OneLine(w) + "\n";
  std::cout << out << std::flush;
}

// ---------------------------------------------------------------------------
// replay

// {"format", "events", "pcrs": {bank: {"<pcr>": hex}}, "warnings"}; PCR keys
// in numeric order, banks in HashAlg order (sha1 first).
Json ReplayJson(const eventlog::UnverifiedEventLog& log, const tpm::PcrValues& pcrs) {
  Json doc;
  doc["format"] = std::string(eventlog::LogFormatName(log.format()));
  doc["events"] = log.size();
  Json banks = Json::object();
  for (const auto& [alg, values] : pcrs.banks()) {
    Json bank = Json::object();
    for (const auto& [index, value] : values) bank[std::to_string(index)] = HexEncode(value);
    banks[std::string(HashAlgName(alg))] = std::move(bank);
  }
  doc["pcrs"] = std::move(banks);
  doc["warnings"] = log.warnings();
  return doc;
}

void PrintReplayText(const eventlog::UnverifiedEventLog& log, const tpm::PcrValues& pcrs) {
  std::string out = "format:   " + std::string(eventlog::LogFormatName(log.format())) + "\n" +
                    "events:   " + std::to_string(log.size()) + "\n";
  size_t bank_width = 0;
  for (const auto& entry : pcrs.banks()) {
    bank_width = std::max(bank_width, HashAlgName(entry.first).size());
  }
  for (const auto& [alg, values] : pcrs.banks()) {
    std::string name(HashAlgName(alg));
    for (const auto& [index, value] : values) {
      char pcr[16];
      std::snprintf(pcr, sizeof(pcr), "%2u", index);
      out += name + std::string(bank_width - name.size() + 2, ' ') + "PCR " + pcr + "  " +
             HexEncode(value) + "\n";
    }
  }
  if (pcrs.empty()) out += "(the log extends no PCR)\n";
  if (log.warnings().empty()) {
    out += "warnings: none\n";
  } else {
    for (const std::string& w : log.warnings()) out += "warning:  " + OneLine(w) + "\n";
  }
  std::cout << out << std::flush;
}

struct Args {
  std::string file;
  bool json = false;
  bool fields = false;
};

constexpr const char* kExitCodes =
    "Exit codes: 0 success, 2 usage error, 3 the file cannot be read or is not a valid "
    "event log (one line on stderr naming the byte offset).";

}  // namespace

void AddEventlogCommands(CLI::App& app, int* exit_code) {
  CLI::App* group = app.add_subcommand(
      "eventlog",
      "Inspect a TCG event log (UEFI/BIOS crypto-agile or SHA-1 legacy, TXT/tboot D-RTM). "
      "Nothing is verified: output shows what the log claims.");
  group->require_subcommand(1);

  auto args = std::make_shared<Args>();

  CLI::App* show = group->add_subcommand(
      "show", std::string("List every event: index, PCR, type, digest per bank and the decoded "
                          "event data (UEFI variables, device paths, image loads, ...). ") +
                  kExitCodes);
  show->add_option("FILE", args->file, "Event log file (binary_bios_measurements format)")
      ->required();
  show->add_flag("--json", args->json,
                 "Print one JSON document (schemas/eventlog-show.schema.json)");
  show->add_flag("--fields", args->fields, "Also print every decoded field (text output)");
  show->callback([args, exit_code] {
    Result<eventlog::UnverifiedEventLog> log = LoadLog(args->file);
    if (!log) {
      *exit_code = Fail("show", args->file, log.error());
      return;
    }
    if (args->json) {
      std::cout << ShowJson(args->file, *log).dump(2, ' ', false, Json::error_handler_t::replace)
                << "\n";
    } else {
      PrintShowText(args->file, *log, args->fields);
    }
    *exit_code = kExitOk;
  });

  CLI::App* replay = group->add_subcommand(
      "replay", std::string("Replay the log and print the PCR values it produces, per bank, for "
                            "the PCRs it extends (PCR 0 starts at the StartupLocality; "
                            "EV_NO_ACTION events are not extended). ") +
                    kExitCodes);
  replay->add_option("FILE", args->file, "Event log file (binary_bios_measurements format)")
      ->required();
  replay->add_flag("--json", args->json,
                   "Print one JSON object (schemas/eventlog-replay.schema.json)");
  replay->callback([args, exit_code] {
    Result<eventlog::UnverifiedEventLog> log = LoadLog(args->file);
    if (!log) {
      *exit_code = Fail("replay", args->file, log.error());
      return;
    }
    Result<tpm::PcrValues> pcrs = eventlog::ComputePcrs(*log);
    if (!pcrs) {
      *exit_code = Fail("replay", args->file, pcrs.error());
      return;
    }
    if (args->json) {
      std::cout << ReplayJson(*log, *pcrs).dump(2, ' ', false, Json::error_handler_t::replace)
                << "\n";
    } else {
      PrintReplayText(*log, *pcrs);
    }
    *exit_code = kExitOk;
  });
}

}  // namespace vouch::cli

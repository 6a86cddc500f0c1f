#include "launcher/gate/libvirt_domain.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace vouch::launcher::gate {
namespace {

constexpr size_t kMaxNameBytes = 256;
constexpr size_t kMaxUuidBytes = 128;

struct DocDeleter {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct CtxtDeleter {
  void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};

// libxml2 wants one xmlInitParser before threads parse concurrently.
void InitLibxml() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

bool Is(const xmlNode* node, const char* name) {
  return node->type == XML_ELEMENT_NODE && node->ns == nullptr &&
         std::strcmp(reinterpret_cast<const char*>(node->name), name) == 0;
}

std::string Trim(std::string_view s) {
  const char* ws = " \t\r\n";
  const size_t begin = s.find_first_not_of(ws);
  if (begin == std::string_view::npos) return "";
  const size_t end = s.find_last_not_of(ws);
  return std::string(s.substr(begin, end - begin + 1));
}

// The element's text (entity references are never defined: no DTD).
std::string Text(const xmlNode* node) {
  xmlChar* content = xmlNodeGetContent(node);
  if (content == nullptr) return "";
  std::string out(reinterpret_cast<const char*>(content));
  xmlFree(content);
  return Trim(out);
}

std::optional<std::string> Attr(const xmlNode* node, const char* name) {
  // xmlHasNsProp(.., nullptr) finds only attributes without a namespace.
  xmlChar* value = xmlGetNoNsProp(node, reinterpret_cast<const xmlChar*>(name));
  if (value == nullptr) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return out;
}

const xmlNode* FirstChild(const xmlNode* parent, const char* name) {
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (Is(c, name)) return c;
  }
  return nullptr;
}

bool HasControlChar(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// `what` names the element for the message ("<os><kernel>", "disk vda").
Status CheckPath(std::string_view what, const std::string& path) {
  if (path.empty()) return InvalidArgumentError(std::string(what) + ": empty path");
  if (path.size() > kMaxDomainPathBytes) {
    return InvalidArgumentError(std::string(what) + ": path longer than " +
                                std::to_string(kMaxDomainPathBytes) + " bytes");
  }
  if (path.front() != '/') {
    return InvalidArgumentError(std::string(what) + ": path " + path + " is not absolute");
  }
  if (HasControlChar(path)) {
    return InvalidArgumentError(std::string(what) + ": path contains control characters");
  }
  return Status::Ok();
}

// One optional element of <os> holding a path; error when repeated.
Status ReadOsPath(const xmlNode* os, const char* name, std::optional<std::string>& out) {
  const std::string what = std::string("<os><") + name + ">";
  for (const xmlNode* c = os->children; c != nullptr; c = c->next) {
    if (!Is(c, name)) continue;
    if (out.has_value()) return InvalidArgumentError(what + ": given more than once");
    std::string path = Text(c);
    // <loader> without a path (firmware auto-selection not yet resolved)
    // names nothing to measure.
    if (path.empty()) continue;
    VOUCH_RETURN_IF_ERROR(CheckPath(what, path));
    out = std::move(path);
  }
  return Status::Ok();
}

Status ReadDisk(const xmlNode* disk, size_t index, LibvirtDomain& domain) {
  const std::string type = Attr(disk, "type").value_or("file");
  const std::string device = Attr(disk, "device").value_or("disk");
  const xmlNode* target = FirstChild(disk, "target");
  std::string target_dev = target != nullptr ? Attr(target, "dev").value_or("") : "";
  if (HasControlChar(target_dev) || target_dev.size() > 64) target_dev = "?";
  const std::string what =
      "disk " + (target_dev.empty() ? "#" + std::to_string(index + 1) : target_dev);
  const xmlNode* source = FirstChild(disk, "source");
  if (device != "disk") {
    std::string note = what + " (" + (HasControlChar(device) ? "?" : device) + ") not measured";
    domain.not_measured.push_back(std::move(note));
    return Status::Ok();
  }
  if (type == "network") {
    std::string protocol = source != nullptr ? Attr(source, "protocol").value_or("") : "";
    if (HasControlChar(protocol) || protocol.size() > 32) protocol = "?";
    domain.not_measured.push_back(what + ": network disk" +
                                  (protocol.empty() ? "" : " (" + protocol + ")") +
                                  " not measured (no local file)");
    return Status::Ok();
  }
  const char* attr = nullptr;
  if (type == "file") {
    attr = "file";
  } else if (type == "block") {
    attr = "dev";
  } else {
    return InvalidArgumentError(
        what + ": disk type '" + (HasControlChar(type) || type.size() > 32 ? "?" : type) +
        "' cannot be measured (only type='file' and type='block' disks can)");
  }
  std::optional<std::string> path = source != nullptr ? Attr(source, attr) : std::nullopt;
  if (!path.has_value() || path->empty()) {
    return InvalidArgumentError(what + ": no <source " + attr + "=...> to measure");
  }
  VOUCH_RETURN_IF_ERROR(CheckPath(what, *path));
  domain.disks.push_back(DomainDisk{std::move(*path), target_dev});
  return Status::Ok();
}

// Reads <name> or <uuid> (at most once, at most `max` bytes, printable).
Status ReadSingleText(const xmlNode* root, const char* name, size_t max, std::string& out) {
  bool seen = false;
  for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
    if (!Is(c, name)) continue;
    if (seen) return InvalidArgumentError(std::string("<") + name + ">: given more than once");
    seen = true;
    out = Text(c);
    if (out.size() > max) {
      return InvalidArgumentError(std::string("<") + name + ">: longer than " +
                                  std::to_string(max) + " bytes");
    }
    if (HasControlChar(out)) {
      return InvalidArgumentError(std::string("<") + name + ">: contains control characters");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<LibvirtDomain> ParseLibvirtDomain(std::string_view xml) {
  if (xml.size() > kMaxDomainXmlBytes) {
    return InvalidArgumentError("domain XML: larger than " + std::to_string(kMaxDomainXmlBytes) +
                                " bytes");
  }
  if (xml.empty()) return InvalidArgumentError("domain XML: empty input");
  if (xml.find('\0') != std::string_view::npos) {
    return InvalidArgumentError("domain XML: contains a NUL byte");
  }
  // libvirt never writes a DTD; refusing one before parsing means no entity
  // can be declared, so nothing can be expanded or fetched. The encoding is
  // forced to UTF-8 below, so a DOCTYPE cannot hide in another encoding.
  if (xml.find("<!DOCTYPE") != std::string_view::npos ||
      xml.find("<!ENTITY") != std::string_view::npos) {
    return InvalidArgumentError("domain XML: DOCTYPE and entity declarations are not allowed");
  }
  InitLibxml();
  std::unique_ptr<xmlParserCtxt, CtxtDeleter> ctxt(xmlNewParserCtxt());
  if (ctxt == nullptr) return InternalError("domain XML: libxml2 parser context");
  // No XML_PARSE_NOENT (no entity substitution), no DTDLOAD/DTDATTR/DTDVALID,
  // no XINCLUDE; NONET forbids any fetch; errors are returned, not printed.
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  std::unique_ptr<xmlDoc, DocDeleter> doc(xmlCtxtReadMemory(
      ctxt.get(), xml.data(), static_cast<int>(xml.size()), "domain.xml", "UTF-8", options));
  if (doc == nullptr) {
    const xmlError* e = xmlCtxtGetLastError(ctxt.get());
    std::string why = e != nullptr && e->message != nullptr ? Trim(e->message) : "parse error";
    const int line = e != nullptr ? e->line : 0;
    return InvalidArgumentError("domain XML: not well-formed" +
                                (line > 0 ? " (line " + std::to_string(line) + ")" : "") + ": " +
                                why);
  }
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) {
    return InvalidArgumentError("domain XML: DOCTYPE and entity declarations are not allowed");
  }
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr || !Is(root, "domain")) {
    return InvalidArgumentError("domain XML: the root element is not <domain>");
  }

  LibvirtDomain domain;
  VOUCH_RETURN_IF_ERROR(ReadSingleText(root, "name", kMaxNameBytes, domain.name));
  if (domain.name.empty()) return InvalidArgumentError("domain XML: no <name>");
  VOUCH_RETURN_IF_ERROR(ReadSingleText(root, "uuid", kMaxUuidBytes, domain.uuid));

  const xmlNode* os = nullptr;
  const xmlNode* devices = nullptr;
  for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
    if (Is(c, "os")) {
      if (os != nullptr) return InvalidArgumentError("<os>: given more than once");
      os = c;
    } else if (Is(c, "devices")) {
      if (devices != nullptr) return InvalidArgumentError("<devices>: given more than once");
      devices = c;
    }
  }
  if (os != nullptr) {
    VOUCH_RETURN_IF_ERROR(ReadOsPath(os, "kernel", domain.kernel));
    VOUCH_RETURN_IF_ERROR(ReadOsPath(os, "initrd", domain.initrd));
    VOUCH_RETURN_IF_ERROR(ReadOsPath(os, "loader", domain.loader));
    if (FirstChild(os, "nvram") != nullptr) {
      domain.not_measured.push_back("<os><nvram> not measured (the guest writes it)");
    }
  }
  if (devices != nullptr) {
    size_t index = 0;
    for (const xmlNode* c = devices->children; c != nullptr; c = c->next) {
      if (!Is(c, "disk")) continue;
      VOUCH_RETURN_IF_ERROR(ReadDisk(c, index++, domain));
    }
  }
  return domain;
}

}  // namespace vouch::launcher::gate

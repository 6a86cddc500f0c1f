#include "launcher/gate/libvirt_domain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "launcher/gate/gate.h"
#include "tests/testing/status_matchers.h"

namespace vouch::launcher::gate {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using vouch::testing::StatusIs;

std::string Sample(const std::string& name) {
  std::ifstream in(std::string(VOUCH_LIBVIRT_DATA_DIR) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Domain(const std::string& devices, const std::string& os = "") {
  return "<domain type='kvm'><name>t</name><uuid>u-1</uuid><os><type>hvm</type>" + os +
         "</os><devices>" + devices + "</devices></domain>";
}

TEST(LibvirtDomainTest, KvmGuestMeasuresQcow2DiskAndLoaderAndSkipsCdromAndNvram) {
  const std::string xml = Sample("kvm-qcow2-cdrom.xml");
  ASSERT_FALSE(xml.empty());
  ASSERT_OK_AND_ASSIGN(LibvirtDomain d, ParseLibvirtDomain(xml));
  EXPECT_EQ(d.name, "web-01");
  EXPECT_EQ(d.uuid, "6f1c2f0e-8a47-4b4e-9f2e-2d0b5b3c9a11");
  ASSERT_EQ(d.disks.size(), 1u);
  EXPECT_EQ(d.disks[0].path, "/var/lib/libvirt/images/web-01.qcow2");
  EXPECT_EQ(d.disks[0].target, "vda");
  EXPECT_EQ(d.loader, "/usr/share/OVMF/OVMF_CODE_4M.fd");
  EXPECT_FALSE(d.kernel.has_value());
  EXPECT_FALSE(d.initrd.has_value());
  EXPECT_THAT(d.not_measured, ElementsAre(HasSubstr("nvram"), "disk sda (cdrom) not measured"));

  const VmSpec vm = VmSpecFromDomain(d);
  EXPECT_EQ(vm.id, d.uuid);
  EXPECT_EQ(vm.name, "web-01");
  EXPECT_THAT(
      vm.components,
      ElementsAre(
          VmComponentSpec{protocol::VmComponent::kFirmware, "/usr/share/OVMF/OVMF_CODE_4M.fd"},
          VmComponentSpec{protocol::VmComponent::kDisk, "/var/lib/libvirt/images/web-01.qcow2"}));
}

TEST(LibvirtDomainTest, DirectKernelBootMeasuresLoaderKernelInitrdAndBlockAndFileDisks) {
  ASSERT_OK_AND_ASSIGN(LibvirtDomain d, ParseLibvirtDomain(Sample("direct-kernel-boot.xml")));
  EXPECT_EQ(d.name, "db-02");
  EXPECT_EQ(d.kernel, "/var/lib/libvirt/boot/vmlinuz-6.1.0-13-amd64");
  EXPECT_EQ(d.initrd, "/var/lib/libvirt/boot/initrd.img-6.1.0-13-amd64");
  EXPECT_EQ(d.loader, "/usr/share/seabios/bios-256k.bin");
  ASSERT_EQ(d.disks.size(), 2u);
  EXPECT_EQ(d.disks[0].path, "/dev/vg0/db-02-root");
  EXPECT_EQ(d.disks[1].path, "/var/lib/libvirt/images/db-02-data.img");
  EXPECT_TRUE(d.not_measured.empty());
  const VmSpec vm = VmSpecFromDomain(d);
  ASSERT_EQ(vm.components.size(), 5u);
  EXPECT_EQ(vm.components[0].component, protocol::VmComponent::kFirmware);
  EXPECT_EQ(vm.components[1].component, protocol::VmComponent::kKernel);
  EXPECT_EQ(vm.components[2].component, protocol::VmComponent::kInitrd);
  EXPECT_EQ(vm.components[3].component, protocol::VmComponent::kDisk);
  EXPECT_EQ(vm.components[4].path, "/var/lib/libvirt/images/db-02-data.img");
}

TEST(LibvirtDomainTest, NetworkDiskIsNotedAndLocalDiskMeasured) {
  ASSERT_OK_AND_ASSIGN(LibvirtDomain d, ParseLibvirtDomain(Sample("network-disk.xml")));
  ASSERT_EQ(d.disks.size(), 1u);
  EXPECT_EQ(d.disks[0].path, "/var/lib/libvirt/images/ceph-03-scratch.qcow2");
  EXPECT_THAT(d.not_measured,
              ElementsAre(AllOf(HasSubstr("disk vda"), HasSubstr("network disk (rbd)"))));
}

TEST(LibvirtDomainTest, MalformedSampleNamesTheLine) {
  EXPECT_THAT(
      ParseLibvirtDomain(Sample("malformed.xml")),
      StatusIs(Code::kInvalidArgument, AllOf(HasSubstr("not well-formed"), HasSubstr("line 1"))));
}

TEST(LibvirtDomainTest, OversizedInputIsRefusedUnparsed) {
  std::string xml = Domain("");
  xml.insert(xml.find("</domain>"), std::string(kMaxDomainXmlBytes, ' '));
  EXPECT_THAT(ParseLibvirtDomain(xml),
              StatusIs(Code::kInvalidArgument, HasSubstr("larger than 1048576 bytes")));
}

TEST(LibvirtDomainTest, ExternalEntityIsNeverExpanded) {
  const std::string xxe =
      "<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>\n"
      "<domain><name>&xxe;</name><devices><disk type='file' device='disk'>"
      "<source file='/x'/></disk></devices></domain>";
  EXPECT_THAT(ParseLibvirtDomain(xxe),
              StatusIs(Code::kInvalidArgument, HasSubstr("DOCTYPE and entity declarations")));
}

TEST(LibvirtDomainTest, EntityExpansionBombIsRefused) {
  // The classic "billion laughs": ten levels of ten references each.
  std::string bomb = "<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY a 'aaaaaaaaaa'>";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string refs;
    for (int i = 0; i < 10; ++i) refs += std::string("&") + static_cast<char>(c - 1) + ";";
    bomb += std::string("<!ENTITY ") + c + " '" + refs + "'>";
  }
  bomb += "]><domain><name>&j;</name></domain>";
  EXPECT_THAT(ParseLibvirtDomain(bomb), StatusIs(Code::kInvalidArgument, HasSubstr("DOCTYPE")));
}

TEST(LibvirtDomainTest, UndeclaredEntityReferenceIsAnErrorNotAFetch) {
  EXPECT_THAT(ParseLibvirtDomain("<domain><name>&xxe;</name></domain>"),
              StatusIs(Code::kInvalidArgument, HasSubstr("not well-formed")));
}

TEST(LibvirtDomainTest, ErrorsNameWhatIsWrong) {
  EXPECT_THAT(ParseLibvirtDomain(""), StatusIs(Code::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(ParseLibvirtDomain("<vm><name>x</name></vm>"),
              StatusIs(Code::kInvalidArgument, HasSubstr("root element is not <domain>")));
  EXPECT_THAT(ParseLibvirtDomain("<domain><uuid>1</uuid></domain>"),
              StatusIs(Code::kInvalidArgument, HasSubstr("no <name>")));
  EXPECT_THAT(ParseLibvirtDomain("<domain><name>a</name><name>b</name></domain>"),
              StatusIs(Code::kInvalidArgument, HasSubstr("<name>: given more than once")));
  EXPECT_THAT(ParseLibvirtDomain("<domain><name>" + std::string(257, 'n') + "</name></domain>"),
              StatusIs(Code::kInvalidArgument, HasSubstr("<name>: longer than 256")));
  EXPECT_THAT(ParseLibvirtDomain(Domain("<disk type='file' device='disk'><target dev='vdc'/>"
                                        "</disk>")),
              StatusIs(Code::kInvalidArgument, HasSubstr("disk vdc: no <source file=...>")));
  EXPECT_THAT(ParseLibvirtDomain(Domain("<disk type='block' device='disk'><source file='/x'/>"
                                        "<target dev='vdd'/></disk>")),
              StatusIs(Code::kInvalidArgument, HasSubstr("disk vdd: no <source dev=...>")));
  EXPECT_THAT(ParseLibvirtDomain(Domain("<disk type='file' device='disk'>"
                                        "<source file='images/a.qcow2'/><target dev='vda'/>"
                                        "</disk>")),
              StatusIs(Code::kInvalidArgument, HasSubstr("disk vda: path images/a.qcow2 is not "
                                                         "absolute")));
  EXPECT_THAT(ParseLibvirtDomain(Domain("<disk type='volume' device='disk'>"
                                        "<source pool='default' volume='a'/><target dev='vda'/>"
                                        "</disk>")),
              StatusIs(Code::kInvalidArgument, HasSubstr("disk type 'volume' cannot be measured")));
  EXPECT_THAT(ParseLibvirtDomain(Domain("", "<kernel>vmlinuz</kernel>")),
              StatusIs(Code::kInvalidArgument, HasSubstr("<os><kernel>: path vmlinuz")));
  EXPECT_THAT(ParseLibvirtDomain(Domain("", "<kernel>/a</kernel><kernel>/b</kernel>")),
              StatusIs(Code::kInvalidArgument, HasSubstr("<os><kernel>: given more than once")));
  EXPECT_THAT(ParseLibvirtDomain(Domain("<disk type='file'><source file='/" +
                                        std::string(kMaxDomainPathBytes, 'p') + "'/></disk>")),
              StatusIs(Code::kInvalidArgument, HasSubstr("disk #1: path longer than 4096 bytes")));
  EXPECT_THAT(ParseLibvirtDomain(std::string("<domain><name>a\0</name></domain>", 31)),
              StatusIs(Code::kInvalidArgument, HasSubstr("NUL")));
}

TEST(LibvirtDomainTest, DefaultsFollowLibvirtAndFloppyLunAreNoted) {
  // type defaults to file, device to disk; a VM without uuid is named by its name.
  ASSERT_OK_AND_ASSIGN(
      LibvirtDomain d,
      ParseLibvirtDomain("<domain><name>plain</name><devices><disk><source file='/a.img'/></disk>"
                         "<disk device='floppy'><source file='/f.img'/><target dev='fda'/></disk>"
                         "<disk type='block' device='lun'><source dev='/dev/sdz'/>"
                         "<target dev='sdb'/></disk></devices></domain>"));
  ASSERT_EQ(d.disks.size(), 1u);
  EXPECT_EQ(d.disks[0].path, "/a.img");
  EXPECT_THAT(d.not_measured,
              ElementsAre("disk fda (floppy) not measured", "disk sdb (lun) not measured"));
  EXPECT_EQ(VmSpecFromDomain(d).id, "plain");
}

TEST(LibvirtDomainTest, LoaderWithoutPathAndNamespacedElementsAreIgnored) {
  ASSERT_OK_AND_ASSIGN(
      LibvirtDomain d,
      ParseLibvirtDomain("<domain xmlns:x='urn:x'><name>n</name><x:name>other</x:name>"
                         "<os firmware='efi'><loader/></os></domain>"));
  EXPECT_EQ(d.name, "n");
  EXPECT_FALSE(d.loader.has_value());
  EXPECT_TRUE(d.disks.empty());
}

}  // namespace
}  // namespace vouch::launcher::gate

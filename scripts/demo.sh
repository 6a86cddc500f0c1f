#!/usr/bin/env bash
# The Vouch demo: installs missing packages, builds, then walks through what
# Vouch can do today, one section at a time:
#   1. a real machine's TPM event log replayed to the PCR values its TPM
#      reported;
#   2. a software TPM (swtpm) with EK certificates from a throw-away CA makes
#      a quote over a fresh nonce; vouch-policy verifies it, and rejects the
#      same quote against a tampered nonce;
#   3. the host agent on that TPM: creates its attestation key, answers a
#      challenge with an evidence document (quote + PCRs + event log) that
#      vouch-policy verifies, and serves evidence over HTTPS (pull mode),
#      refusing a malformed request;
#   4. the verifier (embedded SQLite store, configuration file, API tokens):
#      the swtpm's firmware boot is emulated from a real PC's event log and
#      its hypervisor measured-launched (emulated tboot/TXT sequence); the
#      agent enrolls (EK certificate chain, MakeCredential/ActivateCredential)
#      and pushes evidence; an admin imports the host's platform reference
#      values and adds the hypervisor's, and the host becomes trusted;
#   5. a measured VM start through the launch gate: vouch-launcher run
#      measures a guest's disk and kernel into PCR 15 and the VM log and asks
#      the verifier: denied while no reference value vouches for them, allowed
#      once the admin adds them, denied again for a swapped disk image;
#   6. tampering: an unlogged PCR extend makes the host untrusted (and every
#      launch on it denied); a replayed submission is refused.
# Later issues add sections (enrollment, attestation, placement) to SECTIONS.
#
# Usage: scripts/demo.sh [--no-build]   (--no-build: use the existing build)
# Fixtures: ../shared/fixtures beside the repository, or $VOUCH_FIXTURES_DIR.
# Everything the demo creates lives in one temporary directory, removed on
# exit together with the swtpm it started (stopped by its PID).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${VOUCH_BUILD_DIR:-$repo/build}
export VOUCH_BUILD_DIR=$build_dir
fixtures=${VOUCH_FIXTURES_DIR:-$(cd "$repo/.." && pwd)/shared/fixtures}
vouch_policy=$build_dir/policy/cli/vouch-policy
vouch_agent=$build_dir/agent/vouch-agent
vouch_verifier=$build_dir/verifier/vouch-verifier
vouch_launcher=$build_dir/launcher/vouch-launcher

SECTIONS=(section_eventlog_replay section_swtpm_quote section_agent section_verifier
  section_vm_launch section_tamper)

# --- output helpers ----------------------------------------------------------

header() { printf '\n== %s ==\n' "$*"; }
step() { printf '  -> %s\n' "$*"; }
indent() { sed 's/^/     /'; }
die() {
  printf 'demo: %s\n' "$*" >&2
  exit 1
}

# --- temporary directory, swtpm and cleanup ----------------------------------

work=""
swtpm_pid=""
agent_pid=""
verifier_pid=""
# Shared by sections 4-6: the verifier's URL and tokens, the enrolled host,
# the agent command line and the last report.
url=""
admin_token=""
reader_token=""
host_id=""
report=""
agent=()

cleanup() {
  if [[ -n "$verifier_pid" ]] && kill -0 "$verifier_pid" 2>/dev/null; then
    kill "$verifier_pid" 2>/dev/null || true
    wait "$verifier_pid" 2>/dev/null || true
  fi
  if [[ -n "$agent_pid" ]] && kill -0 "$agent_pid" 2>/dev/null; then
    kill "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
  fi
  if [[ -n "$swtpm_pid" ]] && kill -0 "$swtpm_pid" 2>/dev/null; then
    kill "$swtpm_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$swtpm_pid" 2>/dev/null || break
      sleep 0.05
    done
    kill -9 "$swtpm_pid" 2>/dev/null || true
  fi
  if [[ -n "$work" ]]; then
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# Runs a command quietly; on failure shows its output and stops the demo.
quiet() {
  local out
  if ! out=$("$@" 2>&1); then
    printf '%s\n' "$out" | indent >&2
    die "failed: $*"
  fi
}

# Whether something listens on 127.0.0.1:$1.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Provisions a TPM (RSA and ECC EKs with certificates, sha1+sha256 banks) with
# a CA private to $work/ca, so nothing under /etc or /var is touched.
swtpm_provision() {
  local localca
  localca=$(command -v swtpm_localca) || die "swtpm_localca not found (package swtpm-tools)"
  mkdir -p "$work/ca" "$work/state"
  cat >"$work/swtpm-localca.conf" <<CONF
statedir = $work/ca
signingkey = $work/ca/signkey.pem
issuercert = $work/ca/issuercert.pem
certserial = $work/ca/certserial
CONF
  cat >"$work/swtpm-localca.options" <<CONF
--platform-manufacturer Vouch
--platform-version 2.1
--platform-model swtpm
CONF
  cat >"$work/swtpm_setup.conf" <<CONF
create_certs_tool = $localca
create_certs_tool_config = $work/swtpm-localca.conf
create_certs_tool_options = $work/swtpm-localca.options
active_pcr_banks = sha1,sha256
CONF
  quiet swtpm_setup --tpm2 --tpmstate "$work/state" --create-ek-cert --create-platform-cert \
    --pcr-banks sha1,sha256 --write-ek-cert-files "$work/state" --config "$work/swtpm_setup.conf"
}

# Starts swtpm on free loopback ports P (commands) and P+1 (control; the swtpm
# TCTI requires P+1) and exports TPM2TOOLS_TCTI for the tools below.
swtpm_start() {
  local port attempt err
  for attempt in $(seq 20); do
    port=$((20000 + RANDOM % 12700))
    if port_in_use "$port" || port_in_use $((port + 1)); then
      continue
    fi
    if err=$(swtpm socket --tpm2 --tpmstate "dir=$work/state" \
      --server "type=tcp,port=$port,bindaddr=127.0.0.1" \
      --ctrl "type=tcp,port=$((port + 1)),bindaddr=127.0.0.1" \
      --flags not-need-init,startup-clear --pid "file=$work/swtpm.pid" \
      --log "file=$work/swtpm.log" --daemon 2>&1); then
      break
    fi
    [[ "$err" == *"in use"* ]] || die "swtpm did not start: $err"
    [[ $attempt -lt 20 ]] || die "no free port pair for swtpm"
  done
  for _ in $(seq 100); do
    [[ -s "$work/swtpm.pid" ]] && break
    sleep 0.02
  done
  swtpm_pid=$(cat "$work/swtpm.pid")
  export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port" TSS2_LOG=all+none
  for _ in $(seq 100); do
    tpm2_getrandom 4 >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  die "swtpm on port $port does not answer"
}

# tpm2-tools leave transient objects loaded and swtpm has no resource
# manager: flush after each command that loads one.
tpm() {
  quiet "$@"
  quiet tpm2_flushcontext -t
}

# --- sections ----------------------------------------------------------------

section_eventlog_replay() {
  header "1. A real machine's measured boot: event log replay"
  local log=$fixtures/eventlogs/gotpmtools__glinux-alex.bin
  local expected=$log.expected_pcrs.json
  [[ -f "$log" && -f "$expected" ]] ||
    die "fixture $log not found (set VOUCH_FIXTURES_DIR to the shared fixtures directory)"
  step "log: $(basename "$log") (a laptop's UEFI boot, from go-tpm-tools)"
  step "vouch-policy eventlog replay $(basename "$log")"
  local replay
  replay=$("$vouch_policy" eventlog replay "$log") || die "eventlog replay failed"
  printf '%s\n' "$replay" | indent

  # "sha1    PCR  0  <hex>" -> "sha1 0 <hex>", PCR 0-7.
  printf '%s\n' "$replay" |
    awk '$2 == "PCR" && $3 <= 7 { print $1, $3, tolower($4) }' | sort >"$work/replayed.txt"
  # expected_pcrs.json: {"banks": {"sha1": {"0": "<hex>", ...}, ...}}
  awk -F'"' '
    /"(sha1|sha256|sha384|sha512)": *\{/ { bank = $2; next }
    bank != "" && NF >= 4 && $2 ~ /^[0-9]+$/ && $2 <= 7 { print bank, $2, tolower($4) }
    /^ *\}/ { bank = "" }' "$expected" | sort >"$work/expected.txt"
  local n
  n=$(wc -l <"$work/expected.txt")
  if [[ $n -gt 0 ]] && diff -u "$work/expected.txt" "$work/replayed.txt" >"$work/pcr.diff"; then
    step "PCR0..7 match the values read from the real TPM ($n values, banks" \
      "$(cut -d' ' -f1 "$work/expected.txt" | sort -u | paste -sd, -))"
  else
    indent <"$work/pcr.diff"
    die "replayed PCRs differ from the values the TPM reported"
  fi
}

section_swtpm_quote() {
  header "2. A software TPM: quote, verify, tamper"
  step "provisioning swtpm (EK certificates from a CA made for this run in $work/ca)"
  swtpm_provision
  swtpm_start
  step "swtpm running: pid $swtpm_pid, TCTI $TPM2TOOLS_TCTI"
  quiet openssl verify -CAfile "$work/ca/swtpm-localca-rootca-cert.pem" \
    -untrusted "$work/ca/issuercert.pem" \
    <(openssl x509 -inform der -in "$work/state/ek-rsa2048.crt")
  step "EK certificate (RSA-2048, NV 0x01c00002) chains to this run's CA"

  cd "$work"
  tpm tpm2_createek -c ek.ctx -G rsa -u ek.pub
  tpm tpm2_createak -C ek.ctx -c ak.ctx -G rsa -g sha256 -s rsassa -u ak.pub -n ak.name
  step "AK created: RSA-2048, RSASSA-SHA256, name $(od -An -v -tx1 ak.name | tr -d ' \n')"
  local measurement
  measurement=$(printf 'vouch demo measurement' | sha256sum | cut -d' ' -f1)
  tpm tpm2_pcrextend "16:sha256=$measurement"
  step "PCR16 (sha256) extended with sha256(\"vouch demo measurement\")"

  local nonce selection
  nonce=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
  selection=sha1:0,1,2,3,4,5,6,7,16+sha256:0,1,2,3,4,5,6,7,16
  tpm tpm2_quote -c ak.ctx -l "$selection" -q "$nonce" -m quote.msg -s quote.sig -o pcrs.out \
    -g sha256
  step "quote over $selection with fresh nonce $nonce"

  step "vouch-policy quote verify --ak ak.pub --attest quote.msg --signature quote.sig" \
    "--pcrs pcrs.out --nonce $nonce"
  local out rc=0
  out=$("$vouch_policy" quote verify --ak ak.pub --attest quote.msg --signature quote.sig \
    --pcrs pcrs.out --nonce "$nonce") || rc=$?
  printf '%s\n' "$out" | indent
  [[ $rc -eq 0 ]] || die "a genuine quote was rejected (exit $rc)"
  if tpm2_checkquote -u ak.pub -m quote.msg -s quote.sig -f pcrs.out -g sha256 \
    -q "$nonce" >/dev/null 2>&1; then
    step "independent check: tpm2_checkquote accepts the same quote"
  else
    die "tpm2_checkquote rejects the quote vouch-policy accepted"
  fi

  # The same evidence presented against a different challenge (a replay).
  local tampered
  tampered=$(printf '%x' $((0x${nonce:0:1} ^ 1)))${nonce:1}
  step "the same quote against a tampered nonce $tampered"
  rc=0
  out=$("$vouch_policy" quote verify --ak ak.pub --attest quote.msg --signature quote.sig \
    --pcrs pcrs.out --nonce "$tampered") || rc=$?
  printf '%s\n' "$out" | indent
  if [[ $rc -eq 1 && "$out" == *quote.nonce_mismatch* ]]; then
    step "rejected with quote.nonce_mismatch (exit 1), as it must be"
  else
    die "a tampered nonce was not rejected with quote.nonce_mismatch (exit $rc)"
  fi
  cd "$repo"
}

section_agent() {
  header "3. The host agent: attestation key, evidence, pull mode over HTTPS"
  [[ -n "$swtpm_pid" ]] || die "section 3 needs the swtpm of section 2"
  local agent=("$vouch_agent" --tcti "$TPM2TOOLS_TCTI" --state-dir "$work/agent-state")
  # The firmware log of a real laptop stands in for this TPM's (swtpm has no
  # firmware): its events do not match swtpm's PCRs, which the check shows.
  cat >"$work/agent.conf" <<CONF
srtm_log = $fixtures/eventlogs/gotpmtools__glinux-alex.bin
tls_certificate = $work/agent.crt
tls_private_key = $work/agent.key
label.region = demo-1
CONF
  agent+=(--config "$work/agent.conf")
  step "vouch-agent init (RSA-2048 AK under the EK, blobs in a 0700 state directory)"
  "${agent[@]}" init 2>/dev/null | indent || die "vouch-agent init failed"
  step "vouch-agent init again: idempotent, reuses the same AK"
  "${agent[@]}" init 2>/dev/null | grep -E '"created"' | indent

  local nonce
  nonce=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  step "vouch-agent quote --nonce $nonce --out evidence.json"
  "${agent[@]}" quote --nonce "$nonce" --out "$work/evidence.json" 2>&1 | indent ||
    die "vouch-agent quote failed"
  step "vouch-policy evidence verify evidence.json --nonce $nonce"
  local out rc=0
  out=$("$vouch_policy" evidence verify "$work/evidence.json" --nonce "$nonce") || rc=$?
  printf '%s\n' "$out" | grep -v -e '^     ' -e '^FAIL replay.pcr_mismatch' | indent
  printf '%s\n' "$out" | grep '^FAIL replay.pcr_mismatch' | head -n 2 | indent
  step "... $(printf '%s\n' "$out" | grep -c '^FAIL replay.pcr_mismatch') replay.pcr_mismatch findings in all (PCRs 0-7, both banks)"
  [[ "$out" == *"quote: signature, nonce and PCR digest OK"* ]] ||
    die "the agent's quote did not verify"
  step "the quote verifies; the borrowed laptop log does not replay into swtpm's PCRs" \
    "(exit $rc): evidence from another machine is caught"

  quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$work/agent.key" -out "$work/agent.crt"
  "${agent[@]}" serve --port 0 2>"$work/agent.log" &
  agent_pid=$!
  url=""
  for _ in $(seq 200); do
    url=$(grep -o 'https://127.0.0.1:[0-9]*' "$work/agent.log" 2>/dev/null || true)
    [[ -n "$url" ]] && break
    kill -0 "$agent_pid" 2>/dev/null || { indent <"$work/agent.log"; die "vouch-agent serve exited"; }
    sleep 0.05
  done
  [[ -n "$url" ]] || die "vouch-agent serve did not start"
  step "vouch-agent serve: pid $agent_pid, $url (TLS, self-signed certificate for this run)"
  nonce=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  curl -sS --cacert "$work/agent.crt" -H 'content-type: application/json' \
    -d "{\"nonce\":\"$nonce\",\"pcrs\":[0,1,2,3,4,5,6,7,16]}" "$url/v1/evidence" \
    -o "$work/pulled.json" || die "POST /v1/evidence failed"
  step "POST $url/v1/evidence -> $(wc -c <"$work/pulled.json") bytes of evidence"
  "$vouch_policy" evidence verify "$work/pulled.json" --nonce "$nonce" --json |
    grep -E '"ok"|"reset_count"' | indent || true
  step "a malformed request (8-bit nonce) is refused with a clear error:"
  curl -sS --cacert "$work/agent.crt" -H 'content-type: application/json' \
    -d '{"nonce":"00"}' -w ' (HTTP %{http_code})\n' "$url/v1/evidence" | indent
  kill -TERM "$agent_pid"
  wait "$agent_pid" || die "vouch-agent serve did not stop cleanly"
  agent_pid=""
  step "SIGTERM: vouch-agent stopped cleanly"
}

section_verifier() {
  header "4. The verifier: enrollment, reference values, appraisal (SQLite store)"
  [[ -n "$swtpm_pid" ]] || die "section 4 needs the swtpm of section 2"
  local fw_fixture=$fixtures/eventlogs/tpm2tss__binary_measurements_pc_client.bin
  step "the swtpm stands in for a server: its firmware boot is emulated from a real PC's" \
    "event log (vouch-launcher emulate-firmware; demos and tests only)"
  "$vouch_launcher" emulate-firmware --tcti "$TPM2TOOLS_TCTI" --log "$fw_fixture" \
    --copy-to "$work/firmware.log" 2>&1 | sed 's/^info //' | indent
  [[ ${PIPESTATUS[0]} -eq 0 ]] || die "emulate-firmware failed"
  step "then the measured launch of its hypervisor: vouch-launcher emulate-launch (tboot's" \
    "sequence on TPM 2.0 - locality-4 hash start, SINIT, tboot, policy, modules - with a" \
    "stand-in SINIT named as such; a real host runs tboot/TXT)"
  printf 'stand-in hypervisor image for the demo (xen.gz on a real host)\n' >"$work/xen.gz"
  local xen_cmdline="dom0_mem=4G loglvl=all"
  "$vouch_launcher" emulate-launch --tcti "$TPM2TOOLS_TCTI" --hypervisor "$work/xen.gz" \
    --hypervisor-cmdline "$xen_cmdline" --out "$work/drtm.log" 2>&1 | sed 's/^info //' | indent
  [[ ${PIPESTATUS[0]} -eq 0 ]] || die "emulate-launch failed"

  step "API tokens: vouch-verifier token new (the configuration keeps only their SHA-256)"
  local admin reader
  admin=$("$vouch_verifier" token new --name demo-admin --role admin 2>/dev/null) ||
    die "token new failed"
  reader=$("$vouch_verifier" token new --name dashboard --role reader 2>/dev/null) ||
    die "token new failed"
  admin_token=$(sed -n 1p <<<"$admin")
  reader_token=$(sed -n 1p <<<"$reader")
  mkdir -p "$work/ek-roots"
  cp "$work/ca/swtpm-localca-rootca-cert.pem" "$work/ek-roots/"
  cat >"$work/verifier.conf" <<CONF
listen_port = 0
database = $work/verifier.db
ek_ca_dir = $work/ek-roots
ek_intermediates = $work/ca/issuercert.pem
require_measured_launch = true
allow_emulated_launch = true
$(sed -n 2p <<<"$admin")
$(sed -n 2p <<<"$reader")
CONF
  sed 's/sha256:\([0-9a-f]\{12\}\)[0-9a-f]*/sha256:\1.../' "$work/verifier.conf" | indent
  "$vouch_verifier" --config "$work/verifier.conf" 2>"$work/verifier.log" &
  verifier_pid=$!
  url=""
  for _ in $(seq 200); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/verifier.log" 2>/dev/null || true)
    [[ -n "$url" ]] && break
    kill -0 "$verifier_pid" 2>/dev/null || { indent <"$work/verifier.log"; die "vouch-verifier exited"; }
    sleep 0.05
  done
  [[ -n "$url" ]] || die "vouch-verifier did not start"
  step "vouch-verifier: pid $verifier_pid, $url, store $work/verifier.db;" \
    "trusted EK root: this run's swtpm CA (the TPM vendor's CA on real hosts);" \
    "a measured launch is required, and this demo accepts the emulated one"

  # The agent of section 3, now with the emulated firmware's log.
  agent=("$vouch_agent" --tcti "$TPM2TOOLS_TCTI" --state-dir "$work/agent-state")
  mkdir -p "$work/vouch-state"
  printf 'srtm_log = %s\ndrtm_log = %s\nvm_log = %s\nmeasured_launch = emulated\nhypervisor = xen\nlabel.region = demo-1\n' \
    "$work/firmware.log" "$work/drtm.log" "$work/vouch-state/vm.log" >"$work/agent-push.conf"
  agent+=(--config "$work/agent-push.conf")
  step "vouch-agent enroll --verifier $url"
  local enrolled
  enrolled=$("${agent[@]}" enroll --verifier "$url" 2>/dev/null) || die "enrollment failed"
  printf '%s\n' "$enrolled" | indent
  host_id=$(printf '%s\n' "$enrolled" | sed -n 's/.*"host_id": "\(h-[0-9a-f]*\)".*/\1/p')
  step "EK certificate chained to the trusted root; the TPM proved it holds EK and AK" \
    "(ActivateCredential); host $host_id enrolled"

  push_once() {
    report=$("${agent[@]}" push --once 2>/dev/null) || die "push failed"
    printf '%s\n' "$report" | sed 's/,"/,\n"/g' |
      grep -E '^"(verdict|trust|measured_launch|hypervisor|vms)"|"id":"(log|quote|ref)\.|"pcr"' | head -9 | indent
  }
  step "vouch-agent push --once (challenge -> quote over PCRs 0-23 + firmware and launch logs" \
    "-> appraisal)"
  push_once
  [[ "$report" == *'"verdict":"unknown"'* ]] || die "unexpected verdict: $report"
  step "quote verified, both logs replay to the quoted PCRs; verdict unknown: no reference" \
    "values say what this firmware and hypervisor should be"

  step "an admin imports this known-good host's platform values as reference set 'golden'"
  local imported
  imported=$(curl -sS -X POST -H "Authorization: Bearer $admin_token" \
    -H 'content-type: application/json' -d "{\"host_id\":\"$host_id\"}" \
    "$url/v1/reference-sets/golden/import") || die "import failed"
  [[ "$imported" == *'"version":1'* ]] || die "import refused: $imported"
  printf '%s\n' "$imported" | grep -o '"kind":"platform"' | wc -l |
    sed 's/^/reference values in golden v1: /' | indent
  local denied
  denied=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE \
    -H "Authorization: Bearer $reader_token" "$url/v1/reference-sets/golden")
  step "the dashboard's reader token may not change them: DELETE -> HTTP $denied"
  [[ "$denied" == 403 ]] || die "a reader token changed reference values"

  step "vouch-agent push --once"
  push_once
  [[ "$report" == *'"verdict":"unknown"'* && "$report" == *'"platform":"trusted"'* ]] ||
    die "unexpected verdict: $report"
  step "platform trusted (every firmware event matches); still unknown: nothing vouches" \
    "for the launched hypervisor"

  step "the admin adds the hypervisor the operators ship: its tboot measurement" \
    "H(H(cmdline) || H(image)) per bank, computed here with openssl"
  local bank digests=""
  for bank in sha1 sha256; do
    { printf '%s' "$xen_cmdline" | openssl dgst -"$bank" -binary
      openssl dgst -"$bank" -binary "$work/xen.gz"; } >"$work/xen.$bank.in"
    digests+="${digests:+,}\"$bank\":\"$(openssl dgst -"$bank" -r "$work/xen.$bank.in" | cut -d' ' -f1)\""
  done
  local added
  added=$(curl -sS -X POST -H "Authorization: Bearer $admin_token" \
    -H 'content-type: application/json' \
    -d "{\"kind\":\"hypervisor\",\"name\":\"xen (demo build)\",\"version\":\"4.17\",\"digests\":{$digests}}" \
    "$url/v1/reference-sets/golden/entries") || die "adding the hypervisor failed"
  [[ "$added" == *'"version":2'* ]] || die "hypervisor value refused: $added"
  printf '%s\n' "{\"kind\":\"hypervisor\",\"name\":\"xen (demo build)\",\"digests\":{$digests}}" | indent
  step "vouch-agent push --once"
  push_once
  [[ "$report" == *'"verdict":"trusted"'* ]] || die "not trusted: $report"
  step "trusted: firmware, measured launch (emulated, allowed here) and hypervisor all known"

}

section_vm_launch() {
  header "5. A measured VM start: the launch gate (vouch-launcher run)"
  [[ -n "$verifier_pid" ]] || die "section 5 needs the verifier of section 4"
  step "a guest: a 1 GiB disk image (sparse) and a kernel; the launcher asks the verifier" \
    "with a reader token kept in a 0600 file"
  truncate -s 1G "$work/web-1.img"
  printf 'guest root filesystem, release 2026.11\n' | dd of="$work/web-1.img" conv=notrunc status=none
  printf 'stand-in guest kernel for the demo\n' >"$work/web-1.vmlinuz"
  (umask 077 && printf '%s\n' "$reader_token" >"$work/launcher.token")
  cat >"$work/launcher.conf" <<CONF
tcti = $TPM2TOOLS_TCTI
state_dir = $work/vouch-state
verifier_url = $url
token_file = $work/launcher.token
host_id = $host_id
CONF
  indent <"$work/launcher.conf"
  local launcher=("$vouch_launcher" run --config "$work/launcher.conf" --vm web-1
    --disk "$work/web-1.img" --kernel "$work/web-1.vmlinuz" --)
  local start=(sh -c "echo 'qemu-system-x86_64 -name web-1 ... (started)' >$work/web-1.started")
  step "vouch-launcher run --vm web-1 --disk web-1.img --kernel web-1.vmlinuz -- qemu..."
  local rc=0
  "${launcher[@]}" "${start[@]}" 2>&1 | sed -e 's/^info //' -e '/^warning   /d' | indent || rc=${PIPESTATUS[0]}
  [[ $rc -eq 1 && ! -e "$work/web-1.started" ]] || die "an unknown image was not refused (exit $rc)"
  step "denied (exit 1): both components were measured into PCR 15 and the VM log, but no" \
    "reference value vouches for them; the command never ran"

  step "the admin adds the image and kernel the tenant ships (digests = sha1sum/sha256sum)"
  local kind file entry digests added
  for entry in "vm-image:web-1.img" "vm-kernel:web-1.vmlinuz"; do
    kind=${entry%%:*}
    file=${entry#*:}
    digests="\"sha1\":\"$(sha1sum "$work/$file" | cut -d' ' -f1)\",\"sha256\":\"$(sha256sum "$work/$file" | cut -d' ' -f1)\""
    added=$(curl -sS -X POST -H "Authorization: Bearer $admin_token" \
      -H 'content-type: application/json' \
      -d "{\"kind\":\"$kind\",\"name\":\"$file (web tier 2026.11)\",\"digests\":{$digests}}" \
      "$url/v1/reference-sets/golden/entries") || die "adding $file failed"
    [[ "$added" == *'"version":'* ]] || die "$file refused: $added"
    printf '%s\n' "{\"kind\":\"$kind\",\"name\":\"$file\",\"digests\":{$digests}}" | indent
  done
  step "vouch-launcher run ... again"
  rc=0
  "${launcher[@]}" "${start[@]}" 2>&1 | sed -e 's/^info //' -e '/^warning   /d' | indent || rc=${PIPESTATUS[0]}
  [[ $rc -eq 0 && -e "$work/web-1.started" ]] || die "the known image was not started (exit $rc)"
  indent <"$work/web-1.started"
  step "allowed: host trusted, every component known; the command was exec'd"

  step "the VM log (vouch-launcher vm-log show): one record per component, replayed to PCR 15"
  "$vouch_launcher" vm-log show --config "$work/launcher.conf" 2>&1 | indent
  step "vouch-agent push --once (now with the VM log)"
  push_once
  [[ "$report" == *'"verdict":"trusted"'* && "$report" == *'"vms":"trusted"'* ]] || die "unexpected: $report"
  step "the verifier replays the VM log to the quoted PCR 15 and knows which images started"

  step "someone swaps web-1's disk image on this host and starts it again"
  printf 'guest root filesystem, with a backdoor\n' | dd of="$work/web-1.img" conv=notrunc status=none
  rm -f "$work/web-1.started"
  rc=0
  "${launcher[@]}" "${start[@]}" 2>&1 | sed -e 's/^info //' -e '/^warning   /d' | indent || rc=${PIPESTATUS[0]}
  [[ $rc -eq 1 && ! -e "$work/web-1.started" ]] || die "a swapped image was started (exit $rc)"
  step "denied: launch.component_unknown names the disk and its digest"
  step "vouch-agent push --once"
  push_once
  [[ "$report" == *'"verdict":"trusted"'* && "$report" == *ref.unknown_vm_component* ]] ||
    die "the swapped image is not reported: $report"
  step "the verifier sees the swapped image's measurement too (ref.unknown_vm_component, VMs" \
    "unknown); the host itself stays trusted: which VMs may run is the run policy's call"
}

section_tamper() {
  header "6. Tampering: an unlogged extend, a replayed submission"
  [[ -n "$verifier_pid" ]] || die "section 6 needs the verifier of section 4"
  step "something extends PCR 4 without logging it (tpm2_pcrextend, as a hidden boot loader would)"
  tpm tpm2_pcrextend "4:sha1=$(printf 'a%.0s' {1..40}),sha256=$(printf 'b%.0s' {1..64})"
  push_once
  [[ "$report" == *'"verdict":"untrusted"'* && "$report" == *log.replay_mismatch* ]] ||
    die "an unlogged extend was not caught: $report"
  step "untrusted: log.replay_mismatch names PCR 4 with the quoted and the replayed value"
  step "and now no VM may start here: vouch-launcher run --vm web-2 (a known image) ..."
  printf 'guest root filesystem, release 2026.11\n' | dd of="$work/web-1.img" conv=notrunc status=none
  local rc=0
  "$vouch_launcher" run --config "$work/launcher.conf" --vm web-2 --disk "$work/web-1.img" \
    --kernel "$work/web-1.vmlinuz" -- sh -c "touch $work/web-2.started" 2>&1 |
    sed -e 's/^info //' -e '/^warning   /d' | indent || rc=${PIPESTATUS[0]}
  [[ $rc -eq 1 && ! -e "$work/web-2.started" ]] || die "a VM started on an untrusted host (exit $rc)"
  step "denied: launch.host_untrusted"

  step "an attacker replays a captured submission:"
  local challenge nonce replay
  challenge=$(curl -sS -X POST -H 'content-type: application/json' -d '{}' \
    "$url/v1/hosts/$host_id/challenges") || die "challenge failed"
  nonce=$(printf '%s' "$challenge" | sed -n 's/.*"nonce":"\([0-9a-f]*\)".*/\1/p')
  "${agent[@]}" quote --nonce "$nonce" --out "$work/captured.json" 2>/dev/null ||
    die "quote failed"
  curl -sS -H 'content-type: application/json' --data-binary "@$work/captured.json" \
    "$url/v1/hosts/$host_id/evidence" -o /dev/null || die "evidence failed"
  replay=$(curl -sS -H 'content-type: application/json' --data-binary "@$work/captured.json" \
    "$url/v1/hosts/$host_id/evidence") || die "evidence failed"
  [[ "$replay" == *'"verdict":"untrusted"'* && "$replay" == *quote.nonce_reused* ]] ||
    die "a replayed submission was not refused: $replay"
  step "untrusted: quote.nonce_reused (every nonce is single use)"

  step "the dashboard's view (reader token): GET /v1/summary"
  curl -sS -H "Authorization: Bearer $reader_token" "$url/v1/summary" | indent
  printf '\n'
  step "GET /v1/metrics (Prometheus):"
  curl -sS -H "Authorization: Bearer $reader_token" "$url/v1/metrics" |
    grep -E '^vouch_(attestations_total|hosts)\{' | indent
  kill -TERM "$verifier_pid"
  wait "$verifier_pid" || die "vouch-verifier did not stop cleanly"
  verifier_pid=""
  step "SIGTERM: vouch-verifier stopped; hosts, reports and reference sets stay in" \
    "$work/verifier.db"
}

# --- main --------------------------------------------------------------------

build() {
  bash "$repo/scripts/deps.sh"
  local build_log
  build_log=$(mktemp "${TMPDIR:-/tmp}/vouch-build.XXXXXX")
  if ! bash "$repo/scripts/build.sh" >"$build_log" 2>&1; then
    tail -n 40 "$build_log" >&2
    rm -f "$build_log"
    die "build failed"
  fi
  rm -f "$build_log"
  echo "build: ok ($build_dir)"
}

main() {
  if [[ "${1:-}" == --no-build ]]; then
    [[ -x "$vouch_policy" ]] || die "$vouch_policy not built (run without --no-build)"
  else
    build
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/vouch-demo.XXXXXX")

  local section
  for section in "${SECTIONS[@]}"; do
    "$section"
  done

  header "Cleanup"
  cleanup
  swtpm_pid=""
  work=""
  step "swtpm stopped, temporary files removed"
  printf '\nDemo complete.\n'
}

main "$@"

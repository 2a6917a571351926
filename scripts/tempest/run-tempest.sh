#!/usr/bin/env bash
# Runs OpenStack's conformance suite (Debian's python3-tempest) against a Keystone v3 endpoint:
# writes a tempest.conf for it in a fresh workspace, runs `tempest.api.identity` and prints the
# summary. Works against Lintel and against a real Keystone alike (docs/testing.md).
#
#   scripts/tempest/run-tempest.sh URL ADMIN_PASSWORD [WORKDIR]
#
# URL is the v3 endpoint (http://127.0.0.1:5000/v3). The admin is `admin` with the `admin`
# role on project `admin` in domain Default, as Keystone's bootstrap and Lintel's make it.
# Env: TEMPEST_REGEX (default ^tempest\.api\.identity), TEMPEST_CONCURRENCY (default 1),
#      TEMPEST_EXCLUDE (a regex of tests not to run; default none),
#      TEMPEST_TIMEOUT (seconds, default 1800), TEMPEST_TRUSTS / TEMPEST_APP_CREDS /
#      TEMPEST_ACCESS_RULES (true|false, default false: features this profile leaves off).
# Exit status: tempest's (0 when nothing failed).
set -euo pipefail
URL="${1:?usage: run-tempest.sh URL ADMIN_PASSWORD [WORKDIR]}"
PASSWORD="${2:?usage: run-tempest.sh URL ADMIN_PASSWORD [WORKDIR]}"
WORK="${3:-$(mktemp -d /tmp/lintel-tempest.XXXXXX)}"
REGEX="${TEMPEST_REGEX:-^tempest\.api\.identity}"
CONCURRENCY="${TEMPEST_CONCURRENCY:-1}"
TIMEOUT="${TEMPEST_TIMEOUT:-1800}"

command -v tempest >/dev/null || { echo "run-tempest.sh: tempest is missing (apt-get install python3-tempest)" >&2; exit 2; }

mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
if [ ! -f "$WORK/.stestr.conf" ]; then
  tempest init --workspace-path "$WORK/workspace.yaml" --name "lintel-$$-$RANDOM" "$WORK/ws" >/dev/null
fi
WS="$WORK/ws"
mkdir -p "$WS/logs"

# The admin password is written only into the workspace's own config (mode 0600).
umask 077
cat > "$WS/etc/tempest.conf" <<EOF
[DEFAULT]
log_dir = $WS/logs
log_file = tempest.log
use_stderr = false

[auth]
use_dynamic_credentials = true
create_isolated_networks = false
admin_username = admin
admin_password = $PASSWORD
admin_project_name = admin
admin_domain_name = Default
default_credentials_domain_name = Default
tempest_roles = member

[identity]
uri_v3 = $URL
auth_version = v3
region = RegionOne
v3_endpoint_type = public
disable_ssl_certificate_validation = true
admin_domain_scope = false

[identity-feature-enabled]
api_v2 = false
api_v2_admin = false
api_v3 = true
trust = ${TEMPEST_TRUSTS:-false}
application_credentials = ${TEMPEST_APP_CREDS:-false}
access_rules = ${TEMPEST_ACCESS_RULES:-false}
security_compliance = false
project_tags = true

[service_available]
cinder = false
glance = false
neutron = false
nova = false
swift = false
horizon = false

[validation]
run_validation = false
EOF
umask 022

cd "$WS"
args=(run --regex "$REGEX" --concurrency "$CONCURRENCY")
[ -n "${TEMPEST_EXCLUDE:-}" ] && args+=(--exclude-regex "$TEMPEST_EXCLUDE")
status=0
timeout "$TIMEOUT" tempest "${args[@]}" > "$WORK/tempest-output.txt" 2>&1 || status=$?
# The summary and every failure, without the admin password (tempest does not print it; belt and braces).
grep -v -F -- "$PASSWORD" "$WORK/tempest-output.txt" | grep -E '^\{[0-9]+\} .*(FAILED|\.\.\. SKIPPED)|^(Totals|=+| - |Sum of|Worker)|FAILED|Passed|Failed|Skipped' | tail -n 200 || true
echo "full output: $WORK/tempest-output.txt (exit $status)"
exit "$status"

#!/usr/bin/env bash
# A full restore-as-database and restore-as-files flow against the emulator, with nothing but curl, then the same two
# as cross-region restores into the paired region.
# Starts the emulator with the demo config, drives the Data Protection REST API exactly as a client would,
# and prints, per flow, the ARM requests it took and the wall time. Usage: bash emulator/examples/walkthrough.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
json() { node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const o=JSON.parse(s);console.log(eval('o'+process.argv[1]))})" "$1"; }

npm run build --silent
out=$(mktemp); err=$(mktemp)
node dist/emulator/main.js --config emulator/examples/demo.json >"$out" 2>"$err" &
emu=$!
trap 'kill $emu 2>/dev/null; wait $emu 2>/dev/null; rm -f "$out" "$err"' EXIT
# Six clusters and two weeks of seeded backups: allow up to two minutes on a busy machine.
for _ in $(seq 1 1200); do [ -s "$out" ] && break; sleep 0.1; done
ready=$(head -n1 "$out")
[ -n "$ready" ] || { cat "$err"; exit 1; }
ARM=$(echo "$ready" | json .arm); CA=$(echo "$ready" | json .caFile); IDH=$(echo "$ready" | json .identityHeader)
echo "emulator ready in $(echo "$ready" | json .startupMs) ms at $ARM"

# 1. A token, as a managed identity gets it (App Service protocol).
TOKEN=$(curl -s --cacert "$CA" -H "X-IDENTITY-HEADER: $IDH" "$ARM/msi/token?api-version=2019-08-01&resource=https://management.azure.com" | json .access_token)
call() { curl -s --cacert "$CA" -H "Authorization: Bearer $TOKEN" "$@"; }
V=2026-06-01
RES=$(call "$ARM/_emulator/resources")
SUB=$(echo "$RES" | json .subscriptionId)
SINGLE=$(echo "$RES" | json ".vaults[0].backupInstances.find(b=>b.kind==='single').id")
FLEX=$(echo "$RES" | json ".vaults[0].backupInstances.find(b=>b.kind==='flexible').id")
VAULT=${SINGLE%/backupInstances/*}
TGT="/subscriptions/$SUB/resourceGroups/pgdrill-demo/providers/Microsoft.DBforPostgreSQL/servers/pgdemo-target"
CONTAINER=$(echo "$RES" | json ".storage.containers[0].url")

# Poll an Azure-AsyncOperation URL until the status is terminal, honouring Retry-After.
follow() {
  local url=$1 body
  while :; do
    body=$(call "$url")
    case $(echo "$body" | json .status) in Inprogress) sleep 1 ;; *) echo "$body"; return ;; esac
  done
}
# POST, return the Azure-AsyncOperation header.
start() { call -s -D - -o /dev/null -X POST -H 'Content-Type: application/json' -d "$2" "$ARM$1?api-version=$V" | tr -d '\r' | awk -F': ' 'tolower($1)=="azure-asyncoperation"{print $2}'; }

flow() {
  local name=$1 bi=$2 body=$3 t0 n0 op job jobid status
  n0=$(call "$ARM/_emulator/requests" | json ".requests.filter(r=>r.service==='arm').length")
  t0=$(date +%s.%N)
  # newest recovery point in the vault store
  local rp
  rp=$(call "$ARM$bi/recoveryPoints?api-version=$V" | json ".value.find(p=>p.properties.recoveryPointDataStoresDetails.some(s=>s.type==='VaultStore')).name")
  body=${body//RP_ID/$rp}
  op=$(follow "$(start "$bi/validateRestore" "{\"restoreRequestObject\":$body}")")
  echo "  validate: $(echo "$op" | json .status)"
  op=$(follow "$(start "$bi/restore" "$body")")
  jobid=$(echo "$op" | json ".properties.jobId.split('/').pop()")
  echo "  restore operation: $(echo "$op" | json .status), job $jobid"
  while :; do
    job=$(call "$ARM$VAULT/backupJobs/$jobid?api-version=$V")
    status=$(echo "$job" | json .properties.status)
    [ "$status" = InProgress ] || break
    sleep 2
  done
  local n1 t1
  n1=$(call "$ARM/_emulator/requests" | json ".requests.filter(r=>r.service==='arm').length")
  t1=$(date +%s.%N)
  echo "  job: $status in $(echo "$job" | json .properties.duration) (Azure's own duration)"
  printf '  %s: %d ARM requests, %s s wall time\n' "$name" $((n1 - n0)) "$(awk "BEGIN{printf \"%.1f\", $t1 - $t0}")"
}

echo "restore as database (Single Server):"
flow "restore as database" "$SINGLE" "{\"objectType\":\"AzureBackupRecoveryPointBasedRestoreRequest\",\"recoveryPointId\":\"RP_ID\",\"sourceDataStoreType\":\"VaultStore\",\"restoreTargetInfo\":{\"objectType\":\"RestoreTargetInfo\",\"recoveryOption\":\"FailIfExists\",\"restoreLocation\":\"westus\",\"datasourceInfo\":{\"objectType\":\"Datasource\",\"resourceID\":\"$TGT/databases/walkthrough\",\"resourceName\":\"walkthrough\",\"resourceType\":\"Microsoft.DBforPostgreSQL/servers/databases\",\"datasourceType\":\"Microsoft.DBforPostgreSQL/servers/databases\"},\"datasourceSetInfo\":{\"objectType\":\"DatasourceSet\",\"resourceID\":\"$TGT\",\"resourceName\":\"pgdemo-target\",\"resourceType\":\"Microsoft.DBforPostgreSQL/servers\",\"datasourceType\":\"Microsoft.DBforPostgreSQL/servers/databases\"},\"datasourceAuthCredentials\":{\"objectType\":\"SecretStoreBasedAuthCredentials\",\"secretStoreResource\":{\"secretStoreType\":\"AzureKeyVault\",\"uri\":\"https://pgdrill-demo-kv.vault.azure.net/secrets/pg-target-admin\"}}}}"
PORT=$(echo "$RES" | json ".servers.find(s=>s.name==='pgdemo-target').port")
echo "  restored rows: $(PGPASSWORD=demo-target-admin psql -h 127.0.0.1 -p "$PORT" -U postgres -d walkthrough -tAc 'select count(*) from orders') orders"

echo "restore as files (Flexible Server):"
flow "restore as files" "$FLEX" "{\"objectType\":\"AzureBackupRecoveryPointBasedRestoreRequest\",\"recoveryPointId\":\"RP_ID\",\"sourceDataStoreType\":\"VaultStore\",\"restoreTargetInfo\":{\"objectType\":\"RestoreFilesTargetInfo\",\"recoveryOption\":\"FailIfExists\",\"restoreLocation\":\"westus\",\"targetDetails\":{\"filePrefix\":\"walkthrough\",\"restoreTargetLocationType\":\"AzureBlobs\",\"url\":\"$CONTAINER\"}}}"
echo "  files: $(call "$ARM/_emulator/jobs" | json ".jobs.filter(j=>j.properties.operation==='Restore').pop().emulator.restoredBlobs.join(', ')")"

# Cross-region restore: the same two restores from the paired region's copy of the points, through the
# location-scoped operations at the secondary region, into the servers and container there.
PRI=$(echo "$RES" | json ".vaults[0].location")
SEC=$(echo "$RES" | json ".vaults[0].secondaryRegion")
L="/subscriptions/$SUB/resourceGroups/pgdrill-demo/providers/Microsoft.DataProtection/locations/$SEC"
post() { call -X POST -H 'Content-Type: application/json' -d "$2" "$ARM$1?api-version=$V"; }
crrflow() {
  local name=$1 bi=$2 body=$3 t0 n0 op jobid job status rp details
  n0=$(call "$ARM/_emulator/requests" | json ".requests.filter(r=>r.service==='arm').length")
  t0=$(date +%s.%N)
  details="\"crossRegionRestoreDetails\":{\"sourceBackupInstanceId\":\"$bi\",\"sourceRegion\":\"$PRI\"}"
  # newest point replicated to the secondary region (it lags the primary by the replication delay)
  rp=$(post "$L/fetchSecondaryRecoveryPoints" "{\"sourceBackupInstanceId\":\"$bi\",\"sourceRegion\":\"$PRI\"}" | json ".value[0].name")
  body=${body//RP_ID/$rp}
  op=$(follow "$(start "$L/validateCrossRegionRestore" "{\"restoreRequestObject\":$body,$details}")")
  echo "  validate in $SEC: $(echo "$op" | json .status)"
  op=$(follow "$(start "$L/crossRegionRestore" "{\"restoreRequestObject\":$body,$details}")")
  jobid=$(echo "$op" | json .properties.jobId)
  echo "  restore operation: $(echo "$op" | json .status), job $jobid"
  while :; do
    job=$(post "$L/fetchCrossRegionRestoreJob" "{\"jobId\":\"$jobid\",\"sourceBackupVaultId\":\"$VAULT\",\"sourceRegion\":\"$PRI\"}")
    status=$(echo "$job" | json .properties.status)
    [ "$status" = InProgress ] || break
    sleep 2
  done
  local n1 t1
  n1=$(call "$ARM/_emulator/requests" | json ".requests.filter(r=>r.service==='arm').length")
  t1=$(date +%s.%N)
  echo "  job: $status in $(echo "$job" | json .properties.duration) ($(echo "$job" | json .properties.operationCategory))"
  printf '  %s: %d ARM requests, %s s wall time\n' "$name" $((n1 - n0)) "$(awk "BEGIN{printf \"%.1f\", $t1 - $t0}")"
}

TGT_DR="/subscriptions/$SUB/resourceGroups/pgdrill-demo-dr/providers/Microsoft.DBforPostgreSQL/servers/pgdemo-target-dr"
echo "cross-region restore as database (Single Server, $PRI -> $SEC):"
crrflow "cross-region restore as database" "$SINGLE" "{\"objectType\":\"AzureBackupRecoveryPointBasedRestoreRequest\",\"recoveryPointId\":\"RP_ID\",\"sourceDataStoreType\":\"VaultStore\",\"restoreTargetInfo\":{\"objectType\":\"RestoreTargetInfo\",\"recoveryOption\":\"FailIfExists\",\"restoreLocation\":\"$SEC\",\"datasourceInfo\":{\"objectType\":\"Datasource\",\"resourceID\":\"$TGT_DR/databases/walkthrough_dr\",\"resourceName\":\"walkthrough_dr\",\"resourceType\":\"Microsoft.DBforPostgreSQL/servers/databases\",\"datasourceType\":\"Microsoft.DBforPostgreSQL/servers/databases\"},\"datasourceAuthCredentials\":{\"objectType\":\"SecretStoreBasedAuthCredentials\",\"secretStoreResource\":{\"secretStoreType\":\"AzureKeyVault\",\"uri\":\"https://pgdrill-demo-kv.vault.azure.net/secrets/pg-target-dr-admin\"}}}}"
PORT=$(echo "$RES" | json ".servers.find(s=>s.name==='pgdemo-target-dr').port")
echo "  restored rows: $(PGPASSWORD=demo-target-dr-admin psql -h 127.0.0.1 -p "$PORT" -U postgres -d walkthrough_dr -tAc 'select count(*) from orders') orders"

CONTAINER_DR=$(echo "$RES" | json ".storage.containers.find(c=>c.name==='drill-restores-dr').url")
echo "cross-region restore as files (Flexible Server, $PRI -> $SEC):"
crrflow "cross-region restore as files" "$FLEX" "{\"objectType\":\"AzureBackupRecoveryPointBasedRestoreRequest\",\"recoveryPointId\":\"RP_ID\",\"sourceDataStoreType\":\"VaultStore\",\"restoreTargetInfo\":{\"objectType\":\"RestoreFilesTargetInfo\",\"recoveryOption\":\"FailIfExists\",\"restoreLocation\":\"$SEC\",\"targetDetails\":{\"filePrefix\":\"walkthrough-dr\",\"restoreTargetLocationType\":\"AzureBlobs\",\"url\":\"$CONTAINER_DR\"}}}"
echo "  files: $(call "$ARM/_emulator/crossRegion" | json ".jobs.pop().emulator.restoredBlobs.join(', ')")"

#!/bin/sh
# foobar-data-volume MOUNT_POINT DATA_DIR OWNER UNIT DEVICE... (components/vm/dataVolume.ts)
# Puts UNIT's data on a volume that outlives the machine. First use: format the empty volume and
# seed it with DATA_DIR. Later use (a new machine, the same volume): never format or seed.
set -eu
log() { echo "foobar-data-volume: $*"; }
fail() { log "error: $*" >&2; exit 1; }
[ "$#" -ge 5 ] || fail "usage: foobar-data-volume MOUNT_POINT DATA_DIR OWNER UNIT DEVICE..."
mount_point=$1 data_dir=$2 owner=$3 unit=$4
shift 4
data="$mount_point/$(basename "$data_dir")"

# Wait for the volume (on aws it is attached once the instance runs), at the first DEVICE to appear.
deadline=$(($(date +%s) + ${FOOBAR_VOLUME_WAIT_SECONDS:-600}))
device=""
while [ -z "$device" ]; do
    for candidate in "$@"; do
        if [ -b "$candidate" ]; then device=$candidate && break; fi
    done
    [ -n "$device" ] || [ "$(date +%s)" -lt "$deadline" ] || fail "no volume at any of $*"
    [ -n "$device" ] || sleep 2
done

# Format only when blkid finds nothing at all on it (status 2).
status=0
blkid -p "$device" >/dev/null 2>&1 || status=$?
if [ "$status" = 2 ]; then
    log "no filesystem on $device: formatting it (first use)"
    mkfs.ext4 -q -L foobar-data "$device"
elif [ "$status" != 0 ]; then
    fail "blkid cannot read $device (status $status)"
fi
fstype=$(blkid -p -o value -s TYPE "$device" || true)
[ -n "$fstype" ] || fail "$device holds something that is not a filesystem"
log "$device: $fstype, UUID $(blkid -p -o value -s UUID "$device")"

# UNIT runs on the root disk (its package started it): stop it before its data moves.
systemctl stop "$unit"

# Mounted at every boot, by mount units rather than fstab (whose device entries systemd ignores in a
# container, the rehearsal's stand-in). Wanted, not required: without the volume the boot goes on,
# and UNIT's drop-in (RequiresMountsFor) keeps UNIT down.
mount_unit() { # WHERE WHAT TYPE OPTIONS
    name=$(systemd-escape -p --suffix=mount "$1")
    printf '[Unit]\nDescription=foobar data volume\n[Mount]\nWhat=%s\nWhere=%s\nType=%s\nOptions=%s\n[Install]\nWantedBy=local-fs.target\n' \
        "$2" "$1" "$3" "$4" >"/etc/systemd/system/$name"
    systemctl daemon-reload
    systemctl enable --now "$name"
}
mkdir -p "$mount_point" "$data_dir"
mount_unit "$mount_point" "$device" "$fstype" defaults

# First use: seed through a temporary name, so a cut-short boot leaves no half copy that looks whole.
if [ -d "$data" ]; then
    log "existing data in $data: $unit starts on it"
else
    log "first use: seeding $data from $data_dir"
    rm -rf "$data.new"
    cp -a "$data_dir" "$data.new"
    mv "$data.new" "$data"
fi
# A new machine's OWNER may have another uid.
chown -R "$owner:" "$data"
mount_unit "$data_dir" "$data" none bind
log "$data_dir is $data on $device"

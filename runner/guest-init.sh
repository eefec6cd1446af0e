#!/bin/sh
# /init of the runner's initramfs (runs inside the VM, busybox sh). A job is /jobs/NN_name.o and
# /jobs/env (LEVEL=, FLAGS=, HARDEN=). Every object is loaded by bpfload; everything in /out is then
# written to the NVMe results disk as framed records, read by runner/src/vm.ts:
#   BPFLENS-RESULTS 1 <job> \n release <uname -r> \n  (@@FILE <bytes> <dir/name> \n <bytes> \n)*  @@END \n
# Progress markers go to the serial console.
#
# Two modes:
# - one job (default): the host appended the job to the initrd; it runs as job 0 and the VM powers
#   off (QEMU runs -no-reboot).
# - serve (`bpflens.serve` on the kernel command line, runner/src/pool.ts): the VM stays up and
#   reads requests `JOB <n> <skip> <blocks>` from the serial console; the job is a newc archive in
#   the results disk's job area (<blocks> blocks of 64 KiB from block <skip>), rewritten by the host
#   for every job. `@@BPFLENS-DONE <n>` says job n's results are on the disk.
# Only numbers are read from the console, and only into dd's arguments.
export PATH=/bin
DISK=/dev/nvme0n1
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
SERVE=
case " $(cat /proc/cmdline) " in *" bpflens.serve "*) SERVE=1 ;; esac
# The host's requests are not echoed back into the serial output it reads.
[ -n "$SERVE" ] && stty -echo 2>/dev/null
echo "@@BPFLENS-READY $(uname -r) $(cut -d' ' -f1 /proc/uptime)"

wait_disk() {
  local i=0
  while [ ! -b $DISK ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  [ -b $DISK ]
}

load_jobs() {
  LEVEL=1
  FLAGS=
  HARDEN=0
  [ -f /jobs/env ] && . /jobs/env
  echo "$HARDEN" > /proc/sys/net/core/bpf_jit_harden 2>/dev/null
  local o d
  for o in /jobs/*.o; do
    [ -e "$o" ] || break
    d=$(basename "$o" .o)
    mkdir -p "/out/$d"
    bpfload $FLAGS "$o" "$LEVEL" "/out/$d" > "/out/$d/bpfload.out" 2>&1
    echo $? > "/out/$d/bpfload.rc"
    echo "@@BPFLENS-LOADED $d"
  done
}

write_results() { # job number
  if wait_disk; then
    local f
    {
      echo "BPFLENS-RESULTS 1 $1"
      echo "release $(uname -r)"
      for f in /out/*/*; do
        [ -f "$f" ] || continue
        echo "@@FILE $(stat -c %s "$f") ${f#/out/}"
        cat "$f"
        echo
      done
      echo "@@END"
    } > $DISK
    sync
    echo "@@BPFLENS-DONE $1"
  else
    echo "@@BPFLENS-NO-DISK"
  fi
}

if [ -z "$SERVE" ]; then
  load_jobs
  write_results 0
  reboot -f
fi

while read -r cmd job skip blocks; do
  [ "$cmd" = JOB ] || continue
  case "$job.$skip.$blocks" in *[!0-9.]* | *..* | .* | *.) continue ;; esac
  # Nothing of the previous job: its programs went with its loader processes, its files go here.
  rm -rf /jobs /out
  mkdir /jobs /out
  # O_DIRECT: the host rewrote the job area behind the guest's back, so its page cache is stale.
  wait_disk && dd if=$DISK bs=65536 skip="$skip" count="$blocks" iflag=direct 2>/dev/null | (cd / && cpio -id 2>/dev/null)
  load_jobs
  write_results "$job"
done
# read failed: the console is gone, and with it anyone to serve.
reboot -f

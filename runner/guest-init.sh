#!/bin/sh
# /init of the runner's initramfs (runs inside the VM, busybox sh). The host appends a cpio with
# /jobs/NN_name.o and /jobs/env (LEVEL=, FLAGS=, HARDEN=). Every object is loaded by bpfload; everything in
# /out is then written to the NVMe results disk as framed records, read by runner/src/vm.ts:
#   BPFLENS-RESULTS 1 \n release <uname -r> \n  (@@FILE <bytes> <dir/name> \n <bytes> \n)*  @@END \n
# Progress markers go to the serial console. The VM powers off at the end (QEMU runs -no-reboot).
export PATH=/bin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
echo "@@BPFLENS-READY $(uname -r) $(cut -d' ' -f1 /proc/uptime)"
LEVEL=1
FLAGS=
HARDEN=0
[ -f /jobs/env ] && . /jobs/env
echo "$HARDEN" > /proc/sys/net/core/bpf_jit_harden 2>/dev/null
for o in /jobs/*.o; do
  [ -e "$o" ] || break
  n=$(basename "$o" .o)
  mkdir -p "/out/$n"
  bpfload $FLAGS "$o" "$LEVEL" "/out/$n" > "/out/$n/bpfload.out" 2>&1
  echo $? > "/out/$n/bpfload.rc"
  echo "@@BPFLENS-LOADED $n"
done
i=0
while [ ! -b /dev/nvme0n1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ -b /dev/nvme0n1 ]; then
  {
    echo "BPFLENS-RESULTS 1"
    echo "release $(uname -r)"
    for f in /out/*/*; do
      [ -f "$f" ] || continue
      echo "@@FILE $(stat -c %s "$f") ${f#/out/}"
      cat "$f"
      echo
    done
    echo "@@END"
  } > /dev/nvme0n1
  sync
  echo "@@BPFLENS-DONE"
else
  echo "@@BPFLENS-NO-DISK"
fi
reboot -f

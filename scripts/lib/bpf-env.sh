# Shared by the scripts that compile and load BPF programs: build packages, bpffs, multiarch.
# Source it; `TAG` names the calling script in messages.

BPF_PKGS="clang llvm libbpf-dev libelf-dev zlib1g-dev gcc libc6-dev linux-libc-dev"

ensure_packages() {
	local missing="" p
	command -v dpkg-query >/dev/null || {
		echo "$TAG: not a Debian system; assuming clang, gcc, libbpf, libelf, zlib are installed" >&2
		return 0
	}
	for p in $BPF_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "$TAG: installing:$missing"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
	fi
}

mount_bpffs() {
	if ! mount | grep -q " /sys/fs/bpf type bpf "; then
		mkdir -p /sys/fs/bpf
		mount -t bpf bpf /sys/fs/bpf 2>/dev/null || echo "$TAG: warning: could not mount bpffs (not needed for loading)" >&2
	fi
}

bpf_multiarch() {
	local m
	m="$(gcc -print-multiarch 2>/dev/null || true)"
	[ -n "$m" ] || m="$(uname -m)-linux-gnu"
	echo "$m"
}
